"""The maps in Chromium, with no network: the Relocation page's world map draws the countries from the
outlines the dashboard serves itself, and the offline HTML report draws them from the copy inlined in it."""

from __future__ import annotations

import pytest

from resettle.compute.scope import view_scope
from resettle.figures import flows, geo, pages
from resettle.publish import report
from resettle.store import db

from .pages import TIMEOUT_MS, off_site, open_page

DESTINATIONS_CHARTS = 3  # the world map, where people went, pledged (sample data)
# The countries plotly.js drew in a chart: one path per location of each choropleth.
SHAPES = """box => {
    const plot = box.querySelector('.js-plotly-plot');
    return {drawn: box.querySelectorAll('path.choroplethlocation').length,
            with_outline: [...box.querySelectorAll('path.choroplethlocation')]
                .filter(p => (p.getAttribute('d') || '').length > 20).length,
            land: (box.querySelector('g.layer.land path') || {getAttribute: () => ''}).getAttribute('d').length,
            title: plot && plot.layout.title.text};
}"""


def bands(db_path) -> int:
    """How many bands the flow diagram draws for the whole sample: one per (site, host country) after
    grouping (on the sample: Camp Liberty to 7 named countries and to the grouped ones, Camp Ashraf to Iraq)."""
    conn = db.connect(db_path)
    try:
        data = pages.destinations_data(conn, view_scope(conn))
        return len(flows.group_flows(data.flows, pages.colours(conn)).links)
    finally:
        conn.close()


def world_map(page):
    return page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator("path.choroplethlocation")).first


@pytest.mark.browser
def test_the_world_map_draws_its_countries_from_the_dashboard_itself(dashboard, page, requests_made):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_page(page, f"{dashboard.url}/destinations", "Destinations", charts=DESTINATIONS_CHARTS)

    box = world_map(page)
    box.wait_for(timeout=TIMEOUT_MS)
    shapes = box.evaluate(SHAPES)
    countries = len(geo.outline_countries())
    # Every country of the outlines as the pale base, and the 12 host countries of the sample on top.
    assert shapes["drawn"] == countries + 12 and shapes["with_outline"] == shapes["drawn"], shapes
    assert shapes["land"] > 10_000 and "Where people went: departed up to 2016-09-09" in shapes["title"]
    # The outlines came from this dashboard, and nothing left the machine.
    assert f"{dashboard.url}/app/static/{geo.TOPOJSON_NAME}.json" in requests_made.urls
    assert off_site(requests_made.urls) == [], "the page fetched from outside this machine"
    assert not [e for e in errors if "topojson" in e], errors
    # The flow diagram beside it: a band per flow.
    assert page.locator(".sankey-link").count() == bands(dashboard.db_path) == 9
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0  # the outlines are served


@pytest.mark.browser
def test_the_offline_report_draws_its_map_with_nothing_fetched(browser, sample_db, tmp_path):
    conn = db.connect(sample_db)
    try:
        path = report.write_report(conn, view_scope(conn), tmp_path / "briefing.html")
    finally:
        conn.close()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    asked: list[str] = []
    # Offline for real: any request that is not the file itself is refused (and recorded).
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (asked.append(route.request.url), route.abort()))
    try:
        page = context.new_page()
        page.on("request", lambda r: asked.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(path.resolve().as_uri(), timeout=TIMEOUT_MS)
        chart = page.locator("#chart-departures_map")
        page.wait_for_function("() => document.querySelectorAll('#chart-departures_map path.choroplethlocation')"
                               ".length > 100", timeout=TIMEOUT_MS)
        drawn = chart.evaluate("c => c.querySelectorAll('path.choroplethlocation').length")
        assert drawn == len(geo.outline_countries()) + 12
        assert page.locator("#chart-where_people_went .sankey-link").count() == bands(sample_db) == 9
        assert asked == [], asked
    finally:
        context.close()
