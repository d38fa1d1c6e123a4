"""The Sites page's figures: each site's row is the Overview of that site alone; stale counts and large
unexplained changes; the residents over time."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import write

from resettle.compute import aggregates, headline, per_site
from resettle.compute.scope import view_scope
from resettle.domain.errors import UsageError
from resettle.figures import pages
from resettle.ingest import importer
from resettle.store import db

# The row's column -> the headline figure (resettle summary --json) it must equal.
SAME_AS_SUMMARY = {"residents_now": "residents", "baseline": "baseline_population", "departed": "relocated_total",
                   "pct_relocated": "percent_relocated", "departures_last_90_days": "departures_last_90_days",
                   "projected_completion": "projected_completion", "deaths": "deaths_recorded",
                   "unexplained_change": "unexplained_change"}


def _plain(value):
    """A table cell as the summary writes it (pandas' missing value as None)."""
    return None if value is None or value != value or str(value) == "<NA>" else value


@pytest.mark.parametrize("as_of", [None, "2015-12-31", "2013-06-30"])
def test_each_row_equals_the_overview_of_that_site_alone(sample_db, as_of):
    conn = db.connect(sample_db)
    try:
        scope = view_scope(conn, end=as_of)
        data = pages.sites_data(conn, scope)
        assert sorted(data.table["name"]) == ["Camp Ashraf", "Camp Liberty"]
        for row in data.table.to_dict("records"):
            alone = headline.summary(conn, row["name"], scope.end)
            overview = pages.overview_data(conn, view_scope(conn, [row["name"]], end=scope.end)).summary
            assert overview == alone
            for column, key in SAME_AS_SUMMARY.items():
                assert _plain(row[column]) == alone[key], (row["name"], column)
        # The figures of every site together are the sums of the rows (DOMAIN.md: per site, then summed).
        together = headline.summary(conn, None, scope.end)
        assert int(data.table["departed"].sum()) == together["relocated_total"]
        assert int(data.table["deaths"].sum()) == together["deaths_recorded"]
        assert int(data.table["unexplained_change"].sum()) == together["unexplained_change"]
    finally:
        conn.close()


def test_sample_rows_at_the_end_of_2015(sample_db):
    conn = db.connect(sample_db)
    try:
        table = pages.sites_data(conn, view_scope(conn, end="2015-12-31")).table.set_index("name")
    finally:
        conn.close()
    # The README's figures of Camp Liberty at the end of 2015.
    liberty = table.loc["Camp Liberty"]
    assert (liberty["residents_now"], liberty["departed"], liberty["pct_relocated"]) == (1899, 1104, 35.5)
    assert liberty["projected_completion"] == "2020-02-21"
    assert (liberty["country"], liberty["type"], liberty["lat"], liberty["lon"]) == ("IRQ", "camp", 33.28, 44.23)
    assert list(table.index) == ["Camp Liberty", "Camp Ashraf"]  # by residents now, largest first


def test_tiny_rows_stale_and_intervals(tiny_conn, monkeypatch):
    monkeypatch.delenv("RESETTLE_STALE_DAYS", raising=False)
    scope = view_scope(tiny_conn)
    assert scope.end == "2020-07-01"
    data = pages.sites_data(tiny_conn, scope)
    table = data.table.set_index("name")
    alpha, beta = table.loc["Alpha"], table.loc["Beta"]
    # Alpha: counts 1000 (01-01), 890 (04-01: the median of 900 and 880), 700 (07-01).
    assert (alpha["latest_count"], alpha["count_age_days"], bool(alpha["stale"])) == ("2020-07-01", 0, False)
    assert (alpha["residents_now"], alpha["baseline"], alpha["departed"]) == (700, 1000, 270)
    # Intervals: -110 + 90 departed + 5 killed = -15; -190 + 180 departed + 3 dead = -7; neither above 5%.
    assert (alpha["unexplained_change"], alpha["intervals_unexplained"], alpha["intervals_large"]) == (-22, 2, 0)
    # Beta: one count of 200 on 2020-02-01, 151 days before the as-of date: stale.
    assert (beta["latest_count"], beta["count_age_days"], bool(beta["stale"])) == ("2020-02-01", 151, True)
    assert (beta["residents_now"], beta["departed"], beta["intervals_unexplained"]) == (180, 20, 0)
    assert (data.stale, data.unexplained, data.stale_days) == (1, 1, 30)
    # The small line starts at the first count and ends at the residents now.
    assert alpha["residents_over_time"][0] == 1000 and alpha["residents_over_time"][-1] == 700
    assert len(alpha["residents_over_time"]) == per_site.SERIES_POINTS
    assert beta["residents_over_time"][0] == 200 and beta["residents_over_time"][-1] == 180


def test_stale_days_from_the_environment(tiny_conn, monkeypatch):
    scope = view_scope(tiny_conn)
    monkeypatch.setenv("RESETTLE_STALE_DAYS", "151")  # Beta's count is 151 days old: not more than that
    data = pages.sites_data(tiny_conn, scope)
    assert (data.stale, data.stale_days) == (0, 151)
    assert pages.overview_data(tiny_conn, scope).stale_sites == 0
    monkeypatch.setenv("RESETTLE_STALE_DAYS", "150")
    assert pages.sites_data(tiny_conn, scope).stale == 1
    assert pages.overview_data(tiny_conn, scope).stale_sites == 1
    for wrong in ("thirty", "-1", "2.5"):
        monkeypatch.setenv("RESETTLE_STALE_DAYS", wrong)
        with pytest.raises(UsageError, match="RESETTLE_STALE_DAYS"):
            pages.sites_data(tiny_conn, scope)


def test_large_unexplained_change_is_counted_for_the_overview(tiny_db, tmp_path, monkeypatch):
    monkeypatch.delenv("RESETTLE_STALE_DAYS", raising=False)
    # Beta from 200 to 100 on 2020-03-01 with 20 departed on that day: -100 + 20 = -80, more than 5% of 200.
    importer.import_file(tiny_db, "population", write(tmp_path, "beta.csv",
                                                      "site,date,residents,source\nBeta,2020-03-01,100,NGO\n"))
    conn = db.connect(tiny_db)
    try:
        scope = view_scope(conn)
        overview = pages.overview_data(conn, scope)
        assert (overview.stale_sites, overview.large_intervals) == (1, 1)
        beta = pages.sites_data(conn, scope).table.set_index("name").loc["Beta"]
        assert (beta["unexplained_change"], beta["intervals_unexplained"], beta["intervals_large"]) == (-80, 1, 1)
        loaded = aggregates.load_sites(conn, list(scope.sites))
        assert per_site.freshness(loaded, dt.date(2020, 7, 1), 30) == (1, 1)
        # Before Beta's second count: no interval of it yet; Alpha's count of 2020-01-01 is 59 days old.
        assert per_site.freshness(loaded, dt.date(2020, 2, 29), 30) == (1, 0)
        assert per_site.freshness(loaded, dt.date(2020, 2, 29), 59) == (0, 0)
    finally:
        conn.close()


def test_a_view_without_dates_has_no_rows(db_path):
    importer.import_file(db_path, "sites", write(db_path.parent, "sites.csv", "name,country\nGamma,IRQ\n"))
    conn = db.connect(db_path)
    try:
        data = pages.sites_data(conn, view_scope(conn))
    finally:
        conn.close()
    assert data.empty and data.stale == 0 and data.composition.empty
