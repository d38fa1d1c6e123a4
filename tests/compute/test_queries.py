"""The dashboard's queries on tests/files/tiny/, against values worked out by hand.

The fixture (see the docstring of test_metrics.py): Alpha counts 1000 (2020-01-01, UNHCR), 900 (UNHCR)
and 880 (NGO report) on 2020-04-01, 700 (2020-07-01); departed 50 ALB 02-15, 40 DEU 03-10, 100 ALB 05-01,
80 FIN 06-15 (no source: "transfers.csv"), and 30 ALB 06-20 submitted; incidents killing 5 (03-20) and
2 (06-01, 3 wounded); medical evacuations: died 1 (evacuated 05-10, requested 05-01), denied 2 (requested
06-05), returned 1 (evacuated 06-10, requested 06-01). Beta: count 200 (02-01), 20 ALB departed 03-01, an
incident on 02-10 with killed unknown and 1 wounded. Pledges: ALB 300 (01-15), DEU 100 (02-01).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from resettle.compute import (
    aggregates,
    choices,
    headline,
    incidents,
    medical,
    reconciliation,
    relocation,
    series,
    sources,
    table_rows,
)
from resettle.compute.scope import resolve_sites, view_scope
from resettle.publish import tables


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_scope_defaults_to_every_site_and_their_as_of(tiny_conn):
    s = view_scope(tiny_conn)
    assert s.sites == ((1, "Alpha"), (2, "Beta"))
    assert (s.start, s.end, s.host_countries) == (None, "2020-07-01", ())
    beta = view_scope(tiny_conn, ["Beta"])
    assert beta.sites == ((2, "Beta"),) and beta.end == "2020-03-01"  # a site keeps its own as-of date
    assert view_scope(tiny_conn, ["Alpha"], dt.date(2020, 2, 1), dt.date(2020, 5, 1)).end == "2020-05-01"


def test_the_database_as_a_whole(tiny_conn, conn):
    assert choices.is_empty(conn) and not choices.is_empty(tiny_conn)
    assert choices.host_countries(tiny_conn) == ["ALB", "DEU", "FIN"]
    assert choices.host_countries_ranked(tiny_conn) == ["ALB", "FIN", "DEU"]  # 170, 80, 40 departed
    assert choices.date_bounds(tiny_conn, [1, 2]) == (dt.date(2020, 1, 1), dt.date(2020, 7, 1))
    assert choices.date_bounds(tiny_conn, [2]) == (dt.date(2020, 2, 1), dt.date(2020, 3, 1))


def test_departures_per_month_count_departed_only(tiny_conn):
    frame = relocation.departures_per_month(tiny_conn, view_scope(tiny_conn))
    assert rows(frame) == [
        ("2020-02-01", "ALB", 50),
        ("2020-03-01", "ALB", 20),  # Beta's 20
        ("2020-03-01", "DEU", 40),
        ("2020-05-01", "ALB", 100),
        ("2020-06-01", "FIN", 80),  # the 30 submitted to ALB in June are not departures
    ]
    assert frame["people"].sum() == headline.summary(tiny_conn)["relocated_total"]


def test_departures_per_month_within_the_range_and_countries(tiny_conn):
    s = view_scope(tiny_conn, start="2020-03-01", end="2020-06-30", host_countries=["ALB"])
    assert rows(relocation.departures_per_month(tiny_conn, s)) == [("2020-03-01", "ALB", 20), ("2020-05-01", "ALB", 100)]
    alpha = view_scope(tiny_conn, ["Alpha"], end="2020-03-31")
    assert rows(relocation.departures_per_month(tiny_conn, alpha)) == [("2020-02-01", "ALB", 50), ("2020-03-01", "DEU", 40)]


def test_departures_table_is_one_row_a_month_largest_country_first(tiny_conn):
    table = relocation.departures_table(relocation.departures_per_month(tiny_conn, view_scope(tiny_conn)))
    assert list(table.columns) == ["month", "ALB", "FIN", "DEU", "total"]  # 170, 80, 40
    assert rows(table) == [("2020-02", 50, 0, 0, 50), ("2020-03", 20, 0, 40, 60), ("2020-05", 100, 0, 0, 100),
                           ("2020-06", 0, 80, 0, 80)]
    assert list(relocation.departures_table(pd.DataFrame(columns=["month", "host_country", "people"])).columns) == [
        "month", "total"]


def test_cumulative_relocations_per_country_up_to_the_as_of_date(tiny_conn):
    frame = series.cumulative_relocations(tiny_conn, view_scope(tiny_conn))
    last = frame[frame["date"] == "2020-07-01"].set_index("host_country")["people"].to_dict()
    assert last == {"ALB": 170, "DEU": 40, "FIN": 80} == headline.summary(tiny_conn)["relocated_by_country"]
    assert sorted(set(frame["date"])) == ["2020-02-15", "2020-03-01", "2020-03-10", "2020-05-01", "2020-06-15",
                                          "2020-07-01"]
    alb = frame[frame["host_country"] == "ALB"]["people"].tolist()
    assert alb == [50, 70, 70, 170, 170, 170]


def test_cumulative_relocations_end_at_d_and_keep_what_came_before_the_start(tiny_conn):
    s = view_scope(tiny_conn, ["Alpha"], start="2020-04-01", end="2020-04-15")
    frame = series.cumulative_relocations(tiny_conn, s)
    assert rows(frame[frame["date"] == "2020-04-15"]) == [("2020-04-15", "ALB", 50), ("2020-04-15", "DEU", 40)]
    assert frame["date"].max() == "2020-04-15"


def test_cumulative_pledges(tiny_conn):
    assert rows(series.cumulative_pledges(tiny_conn, view_scope(tiny_conn))) == [
        ("2020-01-15", 300), ("2020-02-01", 400), ("2020-07-01", 400)]
    deu = view_scope(tiny_conn, host_countries=["DEU"])
    assert rows(series.cumulative_pledges(tiny_conn, deu)) == [("2020-02-01", 100), ("2020-07-01", 100)]


def test_pledged_vs_departed(tiny_conn):
    assert rows(relocation.pledged_vs_departed(tiny_conn, view_scope(tiny_conn))) == [
        ("ALB", 300, 170), ("FIN", 0, 80), ("DEU", 100, 40)]
    early = view_scope(tiny_conn, end="2020-03-05")
    assert rows(relocation.pledged_vs_departed(tiny_conn, early)) == [("ALB", 300, 70), ("DEU", 100, 0)]


def test_stages_where_the_data_has_them(tiny_conn):
    frame = relocation.stages(tiny_conn, view_scope(tiny_conn))
    assert rows(frame) == [("submitted", "ALB", 1, 30), ("departed", "ALB", 3, 170), ("departed", "DEU", 1, 40),
                           ("departed", "FIN", 1, 80)]
    assert relocation.stages(tiny_conn, view_scope(tiny_conn, ["Beta"])).empty  # departed only: no stages to show


def test_medevacs_per_month_by_outcome(tiny_conn):
    assert rows(medical.medevacs_per_month(tiny_conn, view_scope(tiny_conn))) == [
        ("2020-05-01", "died", 1, 1),
        ("2020-06-01", "denied", 1, 2),  # no evacuation date: counted in the month of its request
        ("2020-06-01", "returned", 1, 1),
    ]


def test_waiting_days_and_the_medical_figures(tiny_conn):
    s = view_scope(tiny_conn)
    assert rows(medical.waiting_days(tiny_conn, s)) == [(9, 2, 2)]  # 05-01 -> 05-10 and 06-01 -> 06-10
    assert medical.medical_access(tiny_conn, s) == {
        "evacuations": 2, "patients_evacuated": 2, "denied_requests": 1, "denied_patients": 2,
        "pending_requests": 0, "pending_patients": 0, "died_patients": 1, "median_wait_days": 9.0,
        "patients_with_wait": 2,
    }
    before_june = view_scope(tiny_conn, end="2020-05-31")
    assert medical.medical_access(tiny_conn, before_june)["denied_requests"] == 0


def test_denied_and_pending_requests_with_their_wait_so_far(tiny_conn):
    frame = medical.open_requests(tiny_conn, view_scope(tiny_conn))
    assert rows(frame[["site", "request_date", "outcome", "patients", "days_since_request"]]) == [
        ("Alpha", "2020-06-05", "denied", 2, 26)]  # 06-05 -> 07-01


def test_incidents_in_the_range(tiny_conn):
    frame = incidents.incidents(tiny_conn, view_scope(tiny_conn))
    assert frame["date"].tolist() == ["2020-02-10", "2020-03-20", "2020-06-01"]
    assert frame["site"].tolist() == ["Beta", "Alpha", "Alpha"]
    assert pd.isna(frame["killed"][0])  # not reported, not zero
    later = view_scope(tiny_conn, start="2020-04-01")
    assert incidents.incidents(tiny_conn, later)["date"].tolist() == ["2020-06-01"]
    assert incidents.incident_totals(tiny_conn, view_scope(tiny_conn)) == {
        "incidents": 3, "killed": 7, "wounded": 16, "hostages": 0}


def test_a_row_of_several_events_counts_them_all(tiny_conn):
    tiny_conn.execute("UPDATE incidents SET events = 4 WHERE date = '2020-06-01'")  # a monthly count of 4
    assert incidents.incident_totals(tiny_conn, view_scope(tiny_conn))["incidents"] == 6


def test_cumulative_deaths_by_cause(tiny_conn):
    frame = incidents.cumulative_deaths(tiny_conn, view_scope(tiny_conn))
    last = frame[frame["date"] == "2020-07-01"].set_index("cause")["cumulative"].to_dict()
    assert last == {"Killed in incidents": 7, "Died after a medical evacuation request": 1}
    assert sum(last.values()) == headline.summary(tiny_conn)["deaths_recorded"] == 8
    mid = incidents.cumulative_deaths(tiny_conn, view_scope(tiny_conn, start="2020-05-01", end="2020-05-15"))
    at_end = mid[mid["date"] == "2020-05-15"].set_index("cause")["cumulative"].to_dict()
    assert at_end == {"Killed in incidents": 5, "Died after a medical evacuation request": 1}


def test_reconciliation_intervals_in_the_range(tiny_conn):
    frame, total = reconciliation.intervals(tiny_conn, view_scope(tiny_conn, ["Alpha"]))
    assert rows(frame[["start", "end", "departures", "deaths", "unexplained_change", "discrepancy"]]) == [
        ("2020-01-01", "2020-04-01", 90, 5, -15, True), ("2020-04-01", "2020-07-01", 180, 3, -7, True)]
    assert total == -22 == headline.summary(tiny_conn, "Alpha")["unexplained_change"]
    later, total = reconciliation.intervals(tiny_conn, view_scope(tiny_conn, ["Alpha"], start="2020-05-01"))
    assert later["start"].tolist() == ["2020-04-01"]
    assert total == -22  # the headline still counts every interval up to D
    assert reconciliation.intervals(tiny_conn, view_scope(tiny_conn, ["Beta"]))[0].empty  # one count only


def test_reconciliation_intervals_are_each_sites_intervals_side_by_side(sample_db):
    """The table built column by column holds what each site lists interval by interval (Site.intervals),
    in the same order and types; a table of no rows keeps its columns."""
    from resettle.compute.aggregates import load_sites
    from resettle.store import db

    conn = db.connect(sample_db)
    try:
        for sites, start, end in ((None, None, None), (None, "2015-01-01", None), (["Camp Liberty"], None, "2014-06-30"),
                                  (None, "2016-09-01", None), (None, None, "2000-01-01"), (None, "2030-01-01", "2030-02-01")):
            scope = view_scope(conn, sites, start=start, end=end)
            frame, total = reconciliation.intervals(conn, scope)
            listed = [i for s in load_sites(conn, list(scope.sites)) for i in s.intervals(scope.end)]
            assert total == sum(i["unexplained_change"] for i in listed)
            expected = pd.DataFrame([i for i in listed if not scope.start or i["end"] >= scope.start],
                                    columns=reconciliation.COLUMNS)
            expected["discrepancy"] = expected["unexplained_change"] != 0
            pd.testing.assert_frame_equal(frame, expected)
    finally:
        conn.close()


def test_largest_discrepancies_when_there_are_too_many_to_show():
    frame = pd.DataFrame({"end": ["a", "b", "c", "d"], "unexplained_change": [0, -9, 3, 20]})
    frame["discrepancy"] = frame["unexplained_change"] != 0
    assert reconciliation.largest_discrepancies(frame, 4) is frame
    assert reconciliation.largest_discrepancies(frame, 2)["end"].tolist() == ["d", "b"]


def test_deaths_recorded_in_sql_is_the_summarys(tiny_conn, sample_db):
    assert incidents.deaths_recorded(tiny_conn, view_scope(tiny_conn)) == 8
    assert incidents.deaths_recorded(tiny_conn, view_scope(tiny_conn, ["Alpha"], end="2020-05-31")) == 6
    from resettle.store import db

    conn = db.connect(sample_db)
    try:
        for sites in ([], ["Camp Ashraf"]):
            for end in (None, "2013-09-05", "2015-12-31"):
                s = view_scope(conn, sites, end=end)
                assert incidents.deaths_recorded(conn, s) == headline.summary(conn, sites or None, s.end)["deaths_recorded"]
    finally:
        conn.close()


def test_incident_markers_keep_the_deadliest(tiny_conn):
    frame, total = incidents.incident_markers(tiny_conn, view_scope(tiny_conn), limit=2)
    assert total == 3
    assert frame["date"].tolist() == ["2020-03-20", "2020-06-01"]  # 17 and 5 casualties; Beta's 1 left out


def test_every_site_without_a_site_condition_gives_the_same_figures(tiny_conn):
    every = view_scope(tiny_conn)
    named = view_scope(tiny_conn, ["Alpha", "Beta"])
    assert every.all_sites and not named.all_sites
    for query in (relocation.departures_per_month, series.cumulative_relocations, medical.medevacs_per_month,
                  incidents.cumulative_deaths, relocation.pledged_vs_departed):
        assert rows(query(tiny_conn, every)) == rows(query(tiny_conn, named)), query.__name__
    assert table_rows.table_slice(tiny_conn, "sites", every)[1] == 2


def test_a_long_cumulative_series_is_drawn_month_by_month(tiny_conn, monkeypatch):
    monkeypatch.setattr(series, "DAILY_POINTS", 2)
    frame = series.cumulative_relocations(tiny_conn, view_scope(tiny_conn))
    alb = frame[frame["host_country"] == "ALB"]
    assert alb["date"].tolist() == ["2020-02-15", "2020-03-10", "2020-05-01", "2020-06-15", "2020-07-01"]
    assert alb["people"].tolist() == [50, 70, 170, 170, 170]
    assert frame[frame["host_country"] == "DEU"]["people"].tolist() == [0, 40, 40, 40, 40]


def test_sources(tiny_conn):
    everything = view_scope(tiny_conn)
    assert sources.sources_behind(tiny_conn, everything) == ["NGO", "NGO report", "Press", "UNHCR", "transfers.csv"]
    early = view_scope(tiny_conn, ["Alpha"], end="2020-03-01")
    assert sources.sources_behind(tiny_conn, early) == ["UNHCR"]
    assert sources.sources(tiny_conn, "transfers", everything) == ["UNHCR", "transfers.csv"]
    assert sources.sources(tiny_conn, "pledges", everything) == ["Government of Albania", "UNAMI"]
    assert sources.sources(tiny_conn, "medevacs", everything) == ["NGO"]


def test_table_slice_filters_limits_and_counts(tiny_conn):
    everything = view_scope(tiny_conn)
    frame, total = table_rows.table_slice(tiny_conn, "transfers", everything)
    assert total == 6 and len(frame) == 6
    assert frame["site"].tolist() == ["Alpha", "Beta", "Alpha", "Alpha", "Alpha", "Alpha"]  # in date order
    alb = view_scope(tiny_conn, host_countries=["ALB"])
    frame, total = table_rows.table_slice(tiny_conn, "transfers", alb, limit=2)
    assert (len(frame), total) == (2, 4)
    frame, total = table_rows.table_slice(tiny_conn, "transfers", everything, source_contains=".csv")
    assert total == 1 and frame["host_country"].tolist() == ["FIN"]
    assert table_rows.table_slice(tiny_conn, "transfers", everything, source_contains="%")[1] == 0  # literal
    frame, total = table_rows.table_slice(tiny_conn, "population", view_scope(tiny_conn, start="2020-04-01"))
    assert frame["residents"].tolist() == [900, 880, 700] and total == 3
    assert table_rows.table_slice(tiny_conn, "sites", view_scope(tiny_conn, ["Beta"]))[0]["name"].tolist() == ["Beta"]
    assert table_rows.table_slice(tiny_conn, "pledges", everything)[1] == 2
    assert table_rows.table_slice(tiny_conn, "medevacs", everything)[1] == 3


def test_csv_bytes_neutralises_formulas():
    frame = pd.DataFrame({"source": ["=HYPERLINK(\"x\")", "UNHCR", "-3", "@x"], "people": [1, 2, 3, 4]})
    text = tables.csv_bytes(frame).decode()
    assert text.splitlines() == ["source,people", "\"'=HYPERLINK(\"\"x\"\")\",1", "UNHCR,2", "'-3,3", "'@x,4"]


# ---------------------------------------------------------------- figures the dashboard adds to metrics


def test_changes_over_30_days(tiny_conn):
    loaded = aggregates.load_sites(tiny_conn, resolve_sites(tiny_conn, "Alpha"))
    now = headline.figures_at(tiny_conn, loaded, dt.date(2020, 7, 1), "Alpha", [1])
    before = headline.figures_at(tiny_conn, loaded, dt.date(2020, 6, 1), "Alpha", [1])
    # On 06-01: 890 - 100 departed (05-01) - 3 deaths (05-10, 06-01) = 787 residents; 190 relocated;
    # 140 departed in (03-03, 06-01]; completion 787 / (140 / 90) = 505.9 -> 506 days later.
    assert (before["residents"], before["relocated_total"], before["departures_last_90_days"]) == (787, 190, 140)
    expected_before = dt.date(2020, 6, 1) + dt.timedelta(days=math.ceil(787 * 90 / 140))
    assert before["projected_completion"] == expected_before.isoformat()
    assert headline.changes(now, before) == {
        "residents": -87, "relocated_total": 80, "departures_last_90_days": 40, "deaths_recorded": 0,
        "percent_relocated": 8.0,
        "projected_completion": (dt.date(2021, 6, 16) - expected_before).days,
    }


def test_changes_are_none_where_a_figure_is_unknown(tiny_conn):
    now = headline.summary(tiny_conn, "Alpha", "2020-01-15")
    before = headline.summary(tiny_conn, "Alpha", "2019-12-16")  # before the first count
    change = headline.changes(now, before)
    assert change["residents"] is None and change["projected_completion"] is None
    assert change["relocated_total"] == 0


def test_relocated_to_chosen_countries(tiny_conn):
    s = headline.summary(tiny_conn)
    assert headline.relocated_to(s, ["ALB", "FIN"]) == 250
    assert headline.relocated_to(s, ["NOR"]) == 0


def test_median_wait_counts_each_patient():
    assert medical.median_wait_days([(3, 1), (10, 2)]) == 10.0  # 3, 10, 10
    assert medical.median_wait_days([(2, 1), (5, 1)]) == 3.5
    assert medical.median_wait_days([(1, 2), (4, 2)]) == 2.5  # 1, 1, 4, 4
    assert medical.median_wait_days([(7, 0)]) is None
    assert medical.median_wait_days([]) is None
