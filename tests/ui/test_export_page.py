"""Downloads on the dashboard (AppTest): every chart as PNG, SVG, PDF and HTML, the briefing and the
bundle on the Overview; the files are made when a button is pressed, from the figure on the page."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from conftest import network_references, open_dashboard, pdf_pages, png_size
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from resettle.compute import choices
from resettle.compute.scope import view_scope
from resettle.figures import registry
from resettle.publish import rendering, report
from resettle.store import db

PAGE_CHARTS = {
    "overview": {"chart_remaining": "remaining_population", "chart_cumulative": "cumulative_relocations"},
    "relocation": {"chart_departures": "departures_per_month", "chart_stages": "stages"},
    "destinations": {"chart_map": "departures_map", "chart_flows": "where_people_went",
                     "chart_pledged": "pledged_vs_departed"},
    "medical": {"chart_medevacs": "medevacs_per_month", "chart_waits": "waiting_days"},
    "incidents": {"chart_incidents": "incidents_timeline", "chart_deaths": "cumulative_deaths"},
    "reconciliation": {"chart_reconciliation": "reconciliation"},
}


@pytest.fixture
def deferred(monkeypatch) -> dict:
    """The callables behind the download buttons and their file names, by file id (Streamlit calls them
    on a click)."""
    made: dict = {}
    real = MediaFileManager.add_deferred

    def record(self, data_callable, *args, **kwargs):
        file_id = real(self, data_callable, *args, **kwargs)
        made[file_id] = (data_callable, kwargs.get("file_name", args[2] if len(args) > 2 else None))
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return made


def open_page(monkeypatch, path: Path, name: str) -> AppTest:
    at = open_dashboard(monkeypatch, path, name)
    assert not at.error, [e.value for e in at.error]
    return at


def buttons(at: AppTest) -> dict:
    return {b.key: b for b in at.get("download_button")}


def content(button, deferred: dict) -> bytes:
    assert button.proto.deferred_file_id, "the file is made on demand"
    return deferred[button.proto.deferred_file_id][0]()


@pytest.mark.parametrize("page", list(PAGE_CHARTS))
def test_every_chart_has_its_four_downloads(monkeypatch, sample_copy, deferred, page):
    at = open_page(monkeypatch, sample_copy, page)
    found = buttons(at)
    for key, name in PAGE_CHARTS[page].items():
        for fmt, label in export_labels():
            button = found[f"{key}_{fmt}"]
            assert button.label == label
            assert deferred[button.proto.deferred_file_id][1] == f"{name}_as_of_2016-09-09.{fmt}"


def export_labels():
    from resettle.ui import common

    return common.DOWNLOADS


def test_the_html_download_holds_the_chart_on_the_page(monkeypatch, sample_copy, deferred):
    at = open_page(monkeypatch, sample_copy, "overview")
    page = content(buttons(at)["chart_remaining_html"], deferred).decode("utf-8")
    assert network_references(page) == [] and page.count("* plotly.js v") == 1
    shown = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if c.proto.spec and "Remaining population" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    assert "<title>Remaining population</title>" in page
    estimate = next(t for t in shown["data"] if t["name"] == "Residents (estimate)")
    assert json.dumps(estimate["name"]) in page and "Data as of 2016-09-09" in page


def test_the_page_draws_what_the_export_draws(monkeypatch, sample_copy):
    """registry.build_all and the pages give the same figures: what is downloaded is what is shown."""
    conn = db.connect(sample_copy)
    try:
        # The page's default view: every site, from the first dated record to the latest.
        first, latest = choices.date_bounds(conn, [i for i, _ in view_scope(conn).sites])
        exported = registry.build_all(conn, view_scope(conn, start=first, end=latest))
    finally:
        conn.close()
    for page, charts in PAGE_CHARTS.items():
        at = open_page(monkeypatch, sample_copy, page)
        specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        assert len(specs) == len(charts), page
        for spec, name in zip(specs, charts.values(), strict=True):
            mine = json.loads(exported[name].to_json())
            assert spec["data"] == mine["data"], name
            assert spec["layout"]["title"] == mine["layout"]["title"], name
            assert spec["layout"]["annotations"] == mine["layout"]["annotations"], name


@pytest.mark.browser
def test_the_static_downloads_are_images_of_the_slide_size(monkeypatch, sample_copy, deferred, chromium):
    at = open_page(monkeypatch, sample_copy, "relocation")
    found = buttons(at)
    assert png_size(content(found["chart_departures_png"], deferred)) == (2560, 1440)
    assert content(found["chart_stages_svg"], deferred).lstrip().startswith(b"<svg")
    assert pdf_pages(content(found["chart_stages_pdf"], deferred)) == [(960.0, 540.0)]


def test_the_overview_offers_the_briefing_and_the_bundle(monkeypatch, sample_copy, deferred):
    at = open_page(monkeypatch, sample_copy, "overview")
    found = buttons(at)
    assert found["briefing_html"].label == "Download briefing (HTML)"
    assert found["briefing_pdf"].label == "Download briefing (PDF)"
    assert found["briefing_bundle"].label == "Download bundle (zip)"
    page = content(found["briefing_html"], deferred).decode("utf-8")
    assert all(f'id="chart-{name}"' in page for name in [name for page in registry.PAGES for name in page.charts])
    assert network_references(page) == [] and "Data as of <b>2016-09-09</b>" in page


def test_the_briefing_follows_the_filters(monkeypatch, sample_copy, deferred):
    at = open_dashboard(monkeypatch, sample_copy, "overview", run=False)
    at.run()
    at.multiselect(key="sites").set_value(["Camp Ashraf"]).run()
    assert not at.exception
    page = content(buttons(at)["briefing_html"], deferred).decode("utf-8")
    assert "<h1>Camp Ashraf</h1>" in page


@pytest.mark.browser
def test_the_briefing_pdf_download(monkeypatch, sample_copy, deferred, chromium):
    at = open_page(monkeypatch, sample_copy, "overview")
    assert content(buttons(at)["briefing_pdf"], deferred)[:5] == b"%PDF-"


@pytest.mark.browser
def test_the_bundle_download(monkeypatch, sample_copy, deferred, chromium):
    at = open_page(monkeypatch, sample_copy, "overview")
    found = buttons(at)
    # The images are test_export's business: stand-ins keep this one quick.
    monkeypatch.setattr(rendering, "charts_bytes", lambda figs, fmt, size=rendering.SLIDE: dict.fromkeys(figs, b"image"))
    monkeypatch.setattr(report, "pdf_report", lambda b: b"%PDF-")
    with zipfile.ZipFile(BytesIO(content(found["briefing_bundle"], deferred))) as zf:
        names = zf.namelist()
    assert "report.html" in names and "resettle.db" in names and "charts/remaining_population.png" in names


def test_without_a_browser_the_page_offers_html_and_says_how_to_get_the_rest(monkeypatch, sample_copy, deferred):
    monkeypatch.setattr(rendering, "static_available", lambda: False)
    at = open_page(monkeypatch, sample_copy, "overview")
    found = buttons(at)
    assert "chart_remaining_html" in found and "chart_remaining_png" not in found and "chart_remaining_pdf" not in found
    assert found["briefing_pdf"].proto.disabled and found["briefing_bundle"].proto.disabled
    assert not found["briefing_html"].proto.disabled
    assert any(rendering.NO_BROWSER in c.value for c in at.caption)
    page = content(found["chart_remaining_html"], deferred).decode("utf-8")
    assert "Remaining population" in page
