"""The world map in every export, drawn on the shipped outlines with nothing fetched: PNG, SVG and PDF by
the export browser (which reads the outlines from the package's folder), the interactive HTML and the
briefing (which carry them inline)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import network_references, pdf_pages, png_size, write
from plotly.offline import get_plotlyjs

from resettle.compute.scope import view_scope
from resettle.figures import geo, maps, registry
from resettle.ingest import importer
from resettle.publish import rendering, report
from resettle.store import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HOST_COUNTRIES = 12  # of the sample's departures, every one with an outline
REGISTER = f'window.PlotlyGeoAssets.topojson["{geo.TOPOJSON_NAME}"] = '


@pytest.fixture(scope="module")
def destination_figures(sample_db: Path) -> dict:
    conn = db.connect(sample_db)
    try:
        return registry.build_all(conn, view_scope(conn), ("destinations",))
    finally:
        conn.close()


def colours_of(png: bytes) -> dict[tuple[int, int, int], int]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        counted = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return {colour: n for n, colour in counted}


def test_the_destinations_page_draws_the_map_and_the_flows(destination_figures):
    assert list(destination_figures) == list(registry.page("destinations").charts) == [
        "departures_map", "where_people_went", "pledged_vs_departed"]
    assert geo.has_map(destination_figures["departures_map"])
    assert not geo.has_map(destination_figures["pledged_vs_departed"])


@pytest.mark.browser
def test_a_png_of_the_world_map_shows_the_countries(chromium, destination_figures):
    fig = destination_figures["departures_map"]
    png = rendering.chart_bytes(fig, "png", rendering.Size(1280, 720, 1))
    assert png_size(png) == (1280, 720)
    counted = colours_of(png)
    land = counted.get((0xF2, 0xF2, 0xF2), 0)
    # The pale countries cover a good part of the picture: without the outlines there would be none.
    assert land > 0.08 * 1280 * 720, land  # 12 % here
    # Albania (the most people) in the darkest blue of the scale, Germany and the others lighter.
    assert counted.get((0x08, 0x30, 0x6B), 0) > 0
    blues = [c for c, n in counted.items() if c[2] > c[0] + 40 and c[2] > c[1] + 10 and n > 50]
    assert len(blues) >= 5, blues

    # The same figure without any country shaded still draws the world: the pale land is the outlines'.
    empty = maps.departures_map(pd.DataFrame(columns=["host_country", "people"]), "2016-09-09", [])
    blank = colours_of(rendering.chart_bytes(empty, "png", rendering.Size(1280, 720, 1)))
    assert blank.get((0xF2, 0xF2, 0xF2), 0) > land  # the host countries are pale there too
    assert blank.get((0x08, 0x30, 0x6B), 0) == 0


@pytest.mark.browser
def test_svg_and_pdf_of_the_world_map_hold_every_country(chromium, destination_figures):
    fig = destination_figures["departures_map"]
    svg = rendering.chart_bytes(fig, "svg").decode("utf-8")
    assert svg.count('class="choroplethlocation"') == len(geo.outline_countries()) + HOST_COUNTRIES
    assert "cdn.plot.ly" not in svg
    pdf = rendering.chart_bytes(fig, "pdf")
    assert pdf_pages(pdf) == [(960.0, 540.0)] and len(pdf) > 50_000  # vectors of every outline


def test_the_interactive_map_carries_its_outlines(destination_figures):
    page = rendering.chart_bytes(destination_figures["departures_map"], "html").decode("utf-8")
    assert network_references(page) == [] and page.count(REGISTER) == 1
    # Handed to plotly.js before the chart is drawn.
    assert page.index(REGISTER) < page.index("Plotly.newPlot(")
    other = rendering.chart_bytes(destination_figures["pledged_vs_departed"], "html").decode("utf-8")
    assert REGISTER not in other  # a chart without a map carries no outlines


def test_the_offline_report_inlines_the_outlines_once_and_fetches_no_topojson(sample_db):
    conn = db.connect(sample_db)
    try:
        b = report.briefing(conn, view_scope(conn))
        early = report.briefing(conn, view_scope(conn, end="2013-01-31"))  # before any departure: no map
    finally:
        conn.close()
    page = report.html_report(b)
    assert network_references(page) == []
    assert page.count(REGISTER) == 1 and page.index(REGISTER) < page.index("* plotly.js v")
    assert 'id="chart-departures_map"' in page and 'id="chart-where_people_went"' in page
    # The only http(s) address of a topojson is plotly.js's own default, in its inlined source: never used,
    # since the outlines are registered before it draws.
    library = get_plotlyjs()
    assert len(re.findall(r"https?://[^\"'`\s]*topojson|cdn\.plot\.ly/un", page)) == len(
        re.findall(r"https?://[^\"'`\s]*topojson|cdn\.plot\.ly/un", library))
    # Before any departure: no world map, but the sites map (the sample's camps have coordinates), once.
    early_page = report.html_report(early)
    assert 'id="chart-departures_map"' not in early_page and 'id="chart-sites_map"' in early_page
    assert early_page.count(REGISTER) == 1


def test_a_report_without_a_map_carries_no_outlines(tmp_path):
    path = tmp_path / "nomap.db"
    importer.import_file(path, "sites", write(tmp_path, "sites.csv", "name,country\nGamma,IRQ\n"))
    importer.import_file(path, "population", write(tmp_path, "p.csv", "site,date,residents\nGamma,2015-01-31,40\n"))
    conn = db.connect(path)
    try:
        page = report.html_report(report.briefing(conn, view_scope(conn)))
    finally:
        conn.close()
    assert 'id="chart-remaining_population"' in page and "chart-sites_map" not in page
    assert REGISTER not in page
