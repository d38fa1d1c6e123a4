"""The dashboard pages in-process with Streamlit's AppTest, on the sample data."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import open_dashboard, table_digest, write
from streamlit.testing.v1 import AppTest

from resettle.compute import headline
from resettle.figures import registry
from resettle.ingest import importer, review
from resettle.store import db

ROOT = Path(__file__).resolve().parents[2]


def app(monkeypatch, path: Path) -> AppTest:
    monkeypatch.setenv("RESETTLE_DB", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def values(v) -> list:
    """A plotly array from a figure's JSON: a list, or a typed array ({"dtype", "bdata"}) as plotly 6+ writes."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def test_overview_shows_the_summary_figures(monkeypatch, sample_copy):
    at = app(monkeypatch, sample_copy)
    conn = db.connect(sample_copy)
    s = headline.summary(conn)
    conn.close()
    assert metric(at, "Residents (estimate)") == f"{s['residents']:,}"
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"
    assert metric(at, "Deaths recorded") == f"{s['deaths_recorded']:,}"
    assert metric(at, "Projected completion") == (s["projected_completion"] or "–")
    charts = at.get("plotly_chart")
    assert charts, "no chart drawn"
    spec = json.loads(charts[0].proto.spec)
    estimate = next(t for t in spec["data"] if t["name"] == "Residents (estimate)")
    assert values(estimate["y"])[-1] == s["residents"]
    assert "Remaining population" in spec["layout"]["title"]["text"]


def test_site_filter_changes_the_figures(monkeypatch, sample_copy):
    at = app(monkeypatch, sample_copy)
    at.multiselect(key="sites").set_value(["Camp Ashraf"]).run()
    assert not at.exception
    conn = db.connect(sample_copy)
    s = headline.summary(conn, site="Camp Ashraf")
    conn.close()
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"
    assert metric(at, "Deaths recorded") == f"{s['deaths_recorded']:,}"


def test_empty_database_gets_a_first_screen(monkeypatch, tmp_path):
    at = app(monkeypatch, tmp_path / "empty.db")
    assert any("empty" in i.value for i in at.info), [i.value for i in at.info]


# ---------------------------------------------------------------- every page, the filters, the URL


PAGES = [p.path for p in registry.PAGES]  # overview, relocation, medical, incidents, reconciliation, data, import


def page(monkeypatch, path: Path, name: str, query: dict | None = None, run: bool = True) -> AppTest:
    """The dashboard opened on one page (st.navigation's default), optionally with URL query parameters."""
    return open_dashboard(monkeypatch, path, name, query=query, run=run)


def chart(at: AppTest, title: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title):
            return spec
    raise AssertionError(f"no chart {title!r}")


def summary(path: Path, **kwargs) -> dict:
    conn = db.connect(path)
    try:
        return headline.summary(conn, **kwargs)
    finally:
        conn.close()


def test_every_page_of_the_registry_has_its_module_and_no_other():
    from resettle.ui import pages

    assert set(pages.bodies()) == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_runs(monkeypatch, sample_copy, name):
    at = page(monkeypatch, sample_copy, name)
    assert not at.error, [e.value for e in at.error]
    assert at.title, "no title"
    assert at.sidebar.multiselect(key="sites") is not None  # the filters are on every page
    if registry.page(name).charts:  # the pages that draw charts (not Data, Import, Add a record)
        assert at.get("plotly_chart"), "no chart"
        for element in at.get("plotly_chart"):
            spec = json.loads(element.proto.spec)
            assert spec["layout"]["title"]["text"]
            assert any(a["text"].startswith("Data as of 2016-09-09") for a in spec["layout"]["annotations"])


def test_overview_metrics_and_changes_equal_the_summary(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "overview")
    now = summary(sample_copy)
    before = summary(sample_copy, as_of=dt.date.fromisoformat(now["as_of"]) - dt.timedelta(days=30))
    assert metric(at, "Relocated, % of baseline") == f"{now['percent_relocated']:.1f} %"
    assert metric(at, "Departures, last 90 days") == f"{now['departures_last_90_days']:,}"
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["Relocated (departed)"] == f"{now['relocated_total'] - before['relocated_total']:+,}"
    assert deltas["Residents (estimate)"] == f"{now['residents'] - before['residents']:+,}"
    assert deltas["Deaths recorded"] == "0"
    assert any("from" in c.value and "sources" in c.value and now["as_of"] in c.value for c in at.caption)
    cumulative = chart(at, "Relocated, by host country")
    albania = next(t for t in cumulative["data"] if t["name"] == "Albania")
    assert values(albania["y"])[-1] == now["relocated_by_country"]["ALB"]


def test_the_date_range_sets_the_as_of_date_and_the_url(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "overview")
    assert "to" not in at.query_params  # the default follows the data
    at.date_input(key="date_range").set_value((dt.date(2013, 1, 31), dt.date(2015, 12, 31))).run()
    assert not at.exception
    s = summary(sample_copy, as_of="2015-12-31")
    assert metric(at, "Residents (estimate)") == f"{s['residents']:,}"
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"
    assert metric(at, "Projected completion") == s["projected_completion"]
    assert at.query_params["to"] == "2015-12-31" and at.query_params["from"] == "2013-01-31"
    projection = next(t for t in chart(at, "Remaining population")["data"] if t["name"].startswith("Projection"))
    assert projection["x"] == ["2015-12-31", s["projected_completion"]]


def test_a_link_reproduces_the_view(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "overview", {"sites": "Camp Ashraf", "host_countries": ["ALB", "IRQ"]})
    assert at.multiselect(key="sites").value == ["Camp Ashraf"]
    assert at.multiselect(key="host_countries").value == ["ALB", "IRQ"]
    s = summary(sample_copy, site="Camp Ashraf")
    assert s["as_of"] == "2013-09-11"  # Camp Ashraf keeps its own as-of date
    assert any("2013-09-11" in c.value for c in at.caption)
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"
    assert metric(at, "Relocated to Albania, Iraq") == f"{headline.relocated_to(s, ['ALB', 'IRQ']):,}"


def test_a_link_with_unknown_names_warns_and_shows_the_rest(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "overview", {"sites": ["Camp Liberty", "Nowhere"], "to": "not-a-date"})
    assert at.multiselect(key="sites").value == ["Camp Liberty"]
    warnings = " ".join(w.value for w in at.warning)
    assert "Nowhere" in warnings and "not-a-date" in warnings


def test_the_host_country_filter_narrows_the_charts_by_country(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "relocation")
    at.multiselect(key="host_countries").set_value(["DEU"]).run()
    assert not at.exception
    departures = chart(at, "Departures per month")
    assert {t["name"] for t in departures["data"]} == {"Germany"}
    # One figure per month (the first and last month drawn from their edges as well).
    per_month = {str(x)[:7]: y for x, y in zip(departures["data"][0]["x"], values(departures["data"][0]["y"]),
                                               strict=True)}
    assert sum(v or 0 for v in per_month.values()) == summary(sample_copy)["relocated_by_country"]["DEU"]
    assert at.query_params["host_countries"] == "DEU"


def test_a_country_has_one_colour_across_pages(monkeypatch, sample_copy):
    def colours(spec: dict) -> dict[str, str]:
        out = {}
        for t in spec["data"]:
            colour = t.get("marker", {}).get("color") or t.get("line", {}).get("color")
            if isinstance(colour, str):
                out[t["name"]] = colour
        return out

    overview = colours(chart(page(monkeypatch, sample_copy, "overview"), "Relocated, by host country"))
    relocation = colours(chart(page(monkeypatch, sample_copy, "relocation"), "Departures per month"))
    shared = set(overview) & set(relocation)
    assert len(shared) >= 10
    assert {n: overview[n] for n in shared} == {n: relocation[n] for n in shared}
    assert len(set(relocation.values())) == len(relocation)  # no two countries alike


def test_the_site_filter_applies_to_every_page(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "incidents", {"sites": "Camp Ashraf"})
    assert metric(at, "Killed") == "52" and metric(at, "Taken hostage") == "7"
    at = page(monkeypatch, sample_copy, "reconciliation", {"sites": "Camp Ashraf"})
    assert metric(at, "Unexplained change, all intervals up to the as-of date") == \
        f"{summary(sample_copy, site='Camp Ashraf')['unexplained_change']:+,}"


def test_the_data_page_filters_and_offers_what_it_shows(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "data")
    at.selectbox(key="data_table").set_value("transfers").run()
    at.text_input(key="data_source").set_value("Albania").run()
    assert not at.exception
    shown = at.dataframe[0].value
    conn = db.connect(sample_copy)
    expected = conn.execute("SELECT count(*) FROM transfers WHERE source LIKE '%Albania%'").fetchone()[0]
    conn.close()
    assert len(shown) == expected > 0
    assert shown["source"].str.contains("Albania").all()
    assert at.get("download_button")


def test_a_failing_page_shows_a_message_not_a_traceback(monkeypatch, sample_copy):
    from resettle.compute import relocation

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(relocation, "departures_per_month", broken)
    at = page(monkeypatch, sample_copy, "relocation")
    assert any("unexpected error (RuntimeError: boom)" in e.value for e in at.error)


def test_every_page_of_an_empty_database_offers_the_sample(monkeypatch, tmp_path):
    at = page(monkeypatch, tmp_path / "empty.db", "medical")
    assert any("empty" in i.value for i in at.info)
    at.button(key="load_sample").click().run()
    assert not at.exception
    s = summary(tmp_path / "empty.db")
    assert s["relocated_total"] > 0
    at = page(monkeypatch, tmp_path / "empty.db", "overview")
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"


def test_the_import_page_of_an_empty_database_is_the_import_page(monkeypatch, tmp_path):
    at = page(monkeypatch, tmp_path / "empty.db", "import")
    assert at.file_uploader and not at.info


# ---------------------------------------------------------------- the import page

BAD = b"site,date,host_country,people\nCamp Liberty,2016-01-10,ALB,-3\nCamp Liberty,2016-02-30,DEU,5\n"
GOOD = b"site,date,host_country,people,source\nCamp Liberty,2016-09-01,Germany,7,Test upload\n"


def upload(at: AppTest, name: str, content: bytes, kind: str = "transfers") -> AppTest:
    at.selectbox(key="import_kind").set_value(kind).run()
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_the_import_page_rejects_a_bad_file(monkeypatch, sample_copy):
    before = table_digest(sample_copy)
    at = upload(page(monkeypatch, sample_copy, "import"), "flights.csv", BAD)
    errors = at.dataframe[0].value
    assert errors["line"].tolist() == [2, 3]
    assert errors["column"].tolist() == ["people", "date"]
    assert "negative" in errors["message"][0]
    assert any("2 problems" in e.value for e in at.error)
    with pytest.raises(KeyError):
        at.button(key="import_confirm")
    assert table_digest(sample_copy) == before


def test_the_import_page_accepts_a_good_file_and_undo_restores(monkeypatch, sample_copy):
    total = summary(sample_copy)["relocated_total"]
    at = upload(page(monkeypatch, sample_copy, "import"), "flights.csv", GOOD)
    assert any("would add 1" in s.value for s in at.success)
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert any("Imported" in s.value for s in at.success)
    assert summary(sample_copy)["relocated_total"] == total + 7
    assert at.dataframe[0].value["file_name"].iloc[0] == "flights.csv"  # the batch, named as uploaded
    newest = at.dataframe[0].value["id"].iloc[0]
    at.button(key="undo_ask").click().run()
    assert any(f"Undo batch {newest} (transfers from flights.csv)" in w.value for w in at.warning)
    at.button(key="undo_confirm").click().run()
    assert not at.exception
    assert any(f"Batch {newest} undone: removed 1 row from transfers" in s.value for s in at.success)
    assert summary(sample_copy)["relocated_total"] == total


def test_the_dry_run_is_not_repeated_while_nothing_changes(monkeypatch, sample_copy):
    """A click elsewhere on the page (or the confirming click) reuses the dry run of the same file and
    options; a changed option or a changed database checks again."""
    from resettle.ui import cache as page_data

    calls = []
    real = page_data.check_import
    monkeypatch.setattr(page_data, "check_import", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    at = upload(page(monkeypatch, sample_copy, "import"), "flights.csv", GOOD)
    assert len(calls) == 1
    at.run()
    at.selectbox(key="import_kind").set_value("transfers").run()
    assert len(calls) == 1
    at.text_input(key="import_source").set_value("Another source").run()
    assert len(calls) == 2 and calls[-1].source == "Another source"
    at.button(key="import_confirm").click().run()
    assert len(calls) == 2  # the confirming click imports what was checked
    assert any("Imported" in s.value for s in at.success)
    assert summary(sample_copy)["relocated_total"] > 0


def test_the_import_page_lets_the_user_map_a_column(monkeypatch, sample_copy):
    content = b"Camp,Departure date,Destination,Headcount\nCamp Liberty,2016-09-01,Norway,3\n"
    at = upload(page(monkeypatch, sample_copy, "import"), "export.csv", content)
    boxes = {s.label: s for s in at.selectbox if s.key and s.key.startswith("map_")}
    assert boxes["site *"].value == "Camp" and boxes["date *"].value == "Departure date"
    assert boxes["host_country *"].value == "Destination" and boxes["people *"].value == "(not in the file)"
    assert any("No column for people (required)" in w.value for w in at.warning)
    assert not at.success and not at.error  # not checked until every required field has a column or a value
    boxes["people *"].set_value("Headcount").run()
    assert any("would add 1" in s.value for s in at.success)
    at.button(key="import_confirm").click().run()
    assert summary(sample_copy)["relocated_by_country"]["NOR"] == 15 + 3


def test_a_missing_column_can_take_one_value_for_every_row(monkeypatch, sample_copy):
    content = b"date,host_country,people\n2016-09-01,Norway,3\n"
    at = upload(page(monkeypatch, sample_copy, "import"), "liberty.csv", content)
    box = next(t for t in at.text_input if t.label == "site, for every row")
    box.set_value("Camp Liberty").run()
    assert any("would add 1" in s.value for s in at.success)
    at.button(key="import_confirm").click().run()
    assert summary(sample_copy, site="Camp Liberty")["relocated_by_country"]["NOR"] == 15 + 3


def test_a_file_that_is_not_a_table_shows_its_problem(monkeypatch, sample_copy):
    at = upload(page(monkeypatch, sample_copy, "import"), "photo.csv", bytes(range(256)) * 40)
    assert any(e.value.startswith("photo.csv") for e in at.error), [e.value for e in at.error]
    assert not any("resettle-upload-" in e.value for e in at.error)  # the user's file, not the temp folder


def test_undo_is_behind_a_confirmation(monkeypatch, sample_copy):
    before = table_digest(sample_copy)
    at = page(monkeypatch, sample_copy, "import")
    at.button(key="undo_ask").click().run()
    at.button(key="undo_cancel").click().run()
    assert not at.warning
    assert table_digest(sample_copy) == before


# ---------------------------------------------------------------- the part after the upload, directly


def test_propose_finds_columns_even_when_a_required_one_is_missing(tmp_path):
    path = write(tmp_path, "export.csv", "Camp,Departure date,Destination,Headcount\nX,2016-09-01,Norway,3\n")
    proposal = review.propose(path, "transfers")
    assert proposal.mapping["site"] == "Camp" and proposal.mapping["host_country"] == "Destination"
    assert proposal.mapping["people"] is None and proposal.missing == ["people"]
    assert proposal.columns == ["Camp", "Departure date", "Destination", "Headcount"]
    assert proposal.guessed_kind == "transfers"


def test_check_reports_every_error_and_writes_nothing(tmp_path, sample_copy):
    path = write(tmp_path, "flights.csv", BAD.decode())
    before = table_digest(sample_copy)
    result = review.check(sample_copy, "transfers", path, importer.ImportOptions())
    assert result.report is None and not result.importable
    assert [(e.path, e.line, e.column) for e in result.errors] == [("flights.csv", 2, "people"),
                                                                     ("flights.csv", 3, "date")]
    assert review.errors_frame(result.errors)["line"].tolist() == [2, 3]
    skipped = review.check(sample_copy, "transfers", path, importer.ImportOptions(skip_invalid=True))
    assert skipped.report is not None and skipped.total_errors == 2 and not skipped.importable  # nothing valid
    assert table_digest(sample_copy) == before


def test_check_then_commit_with_the_users_mapping(tmp_path, sample_copy):
    path = write(tmp_path, "export.csv", "Camp,Departure date,Destination,Headcount\nCamp Liberty,2016-09-01,NO,3\n")
    missing = review.check(sample_copy, "transfers", path, importer.ImportOptions())
    assert "required column missing" in missing.problem and missing.problem.startswith("export.csv")
    options = importer.ImportOptions(column_map=review.column_map({"people": "Headcount", "source": None}))
    dry = review.check(sample_copy, "transfers", path, options)
    assert dry.importable and dry.report.added == 1 and dry.report.batch_id is None
    assert summary(sample_copy)["relocated_by_country"]["NOR"] == 15
    done = review.commit(sample_copy, "transfers", path, options)
    assert done.report.batch_id is not None
    assert summary(sample_copy)["relocated_by_country"]["NOR"] == 18
    again = review.check(sample_copy, "transfers", path, options)
    assert again.report.identical_to == done.report.batch_id and not again.importable


def test_an_upload_is_saved_under_its_own_name_and_removed():
    with review.saved_upload("../../etc/flights.csv", b"a,b\n") as path:
        assert path.name == "flights.csv" and path.read_bytes() == b"a,b\n"
        folder = path.parent
    assert not folder.exists()


# ---------------------------------------------------------------- the import page: fiscal years, strict, the report

FISCAL = (b"Camp,Fiscal Year,Destination,Persons,Nationality\n"
          b"Camp Liberty,2016,USA,4,Tibetan\nCamp Liberty,FY2015,USA,3,Iran\n")


def test_the_import_page_offers_fiscal_years_and_strict_and_shows_the_report(monkeypatch, sample_copy):
    at = upload(page(monkeypatch, sample_copy, "import"), "arrivals.csv", FISCAL)
    # Without a fiscal year start: every error, and the mapping with its values above them.
    assert any("--fiscal-year-start" in m for m in at.dataframe[0].value["message"])
    shown = [c.value.replace("\\<", "<") for c in at.caption]  # "<" is made inert in the page's markdown
    assert any("columns: site <- Camp (Camp Liberty, Camp Liberty), date <- Fiscal Year (2016, FY2015)" in c
               for c in shown), shown
    at.selectbox(key="import_fiscal_start").set_value(10).run()
    report = next(s.value for s in at.success if "would add 2" in s.value)
    assert "origin_country 'Tibetan': 1 row, 4 people, stored empty (not a country I know)" in report
    at.checkbox(key="import_strict").check().run()
    assert at.dataframe[0].value["line"].tolist() == [2]
    at.checkbox(key="import_strict").uncheck().run()
    at.button(key="import_confirm").click().run()
    assert not at.exception
    conn = sqlite3.connect(sample_copy)
    try:
        assert conn.execute("SELECT date, people, origin_country FROM transfers WHERE batch_id = "
                            "(SELECT max(id) FROM import_batches) ORDER BY date").fetchall() == [
            ("2014-10-01", 3, "IRN"), ("2015-10-01", 4, None)]
    finally:
        conn.close()


@pytest.mark.parametrize("path", [p.path for p in registry.PAGES if p.charts])
def test_every_chart_is_sent_as_the_figure_the_registry_draws(monkeypatch, sample_copy, path):
    """The page's figures are sent from a dict made once and kept (cache.PreparedFigure), not made again on
    each visit: what reaches the browser is still exactly the figure the registry draws for the view (all
    sites, from the first date to the latest, as the sidebar opens)."""
    import plotly.io as pio

    from resettle.compute import choices
    from resettle.compute.scope import resolve_sites, view_scope
    from resettle.figures import pages

    at = page(monkeypatch, sample_copy, path)
    sent = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    conn = db.connect(sample_copy)
    try:
        first, latest = choices.date_bounds(conn, [i for i, _ in resolve_sites(conn, None)])
        p = registry.page(path)
        drawn = p.draw(p.gather(conn, view_scope(conn, None, first, latest, ())), pages.colours(conn))
    finally:
        conn.close()
    expected = [json.loads(pio.to_json(fig, validate=False)) for fig in drawn.values()]
    assert len(sent) == len(expected) > 0
    for spec in expected:
        assert spec in sent, spec["layout"]["title"]["text"]
    at.run()  # a second run of the session takes the cached figures: the same specs again
    assert [json.loads(e.proto.spec) for e in at.get("plotly_chart")] == sent


def test_a_prepared_figure_hands_out_one_dict_equal_to_the_figures_own():
    import plotly.graph_objects as go

    from resettle.ui.cache import PreparedFigure

    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[4.5, 5.5, 6.5], name="a"), layout={"title": {"text": "T"}})
    prepared = PreparedFigure(fig)
    assert prepared.to_dict() == fig.to_dict()
    assert prepared.to_dict() is prepared.to_dict()  # made once
    assert go.Figure(prepared).to_dict() == fig.to_dict()  # a copy (as an export makes) is the figure itself


def test_the_reconciliation_table_flags_each_discrepancy(monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "reconciliation")
    shown = at.dataframe[0].value
    assert len(shown) > 0 and shown["discrepancy"].dtype == bool
    assert (shown["discrepancy"] == (shown["unexplained_change"] != 0)).all()
    assert shown["discrepancy"].any() and not shown["discrepancy"].all()


def test_the_medical_table_lists_at_most_its_limit_and_says_of_how_many(monkeypatch, sample_copy):
    from resettle.ui import common

    conn = db.connect(sample_copy)
    requests = conn.execute("SELECT count(*) FROM medical_evacuations WHERE outcome IN ('denied', 'pending')"
                            ).fetchone()[0]
    conn.close()
    assert requests > 2
    monkeypatch.setattr(common, "TABLE_ROWS_MAX", 2)
    at = page(monkeypatch, sample_copy, "medical")
    assert any(f"The 2 oldest of the {requests:,} denied and pending requests" in c.value for c in at.caption)
    # The table itself is drawn once its expander is opened (and stays open on the runs after).
    assert not at.dataframe and at.expander[-1].label == "The table: 2 denied and pending requests, the oldest first"
    at.session_state["table_requests"] = True
    at.run()
    assert len(at.dataframe[-1].value) == 2
    at.run()
    assert len(at.dataframe[-1].value) == 2


@pytest.mark.parametrize(("path", "key", "rows"), [("relocation", "table_departures", "months"),
                                                   ("incidents", "table_incidents", "incidents")])
def test_a_table_behind_the_charts_is_drawn_when_opened(monkeypatch, sample_copy, path, key, rows):
    at = page(monkeypatch, sample_copy, path)
    assert not at.dataframe
    (box,) = [e for e in at.expander if e.label.startswith("The table:")]
    assert rows in box.label
    at.session_state[key] = True
    at.run()
    assert not at.exception and len(at.dataframe[-1].value) > 0
