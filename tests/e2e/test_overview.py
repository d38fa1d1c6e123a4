"""The overview in Chromium: its figures are the command line's, the date filter and its URL, a chart as PNG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .pages import TIMEOUT_MS, full_screenshot, metrics, open_page, png_size, settled, wait_for_metric
from .server import summary

pytestmark = pytest.mark.browser

TITLE = "Relocation overview"
CHARTS = 2  # on the sample data
METRICS = 6


def shown(summary: dict) -> dict[str, str]:
    """The headline figures as the overview writes them."""
    def people(n):
        return "–" if n is None else f"{n:,}"

    return {
        "Residents (estimate)": people(summary["residents"]),
        "Relocated (departed)": people(summary["relocated_total"]),
        "Relocated, % of baseline": "–" if summary["percent_relocated"] is None
        else f"{summary['percent_relocated']:.1f} %",
        "Departures, last 90 days": people(summary["departures_last_90_days"]),
        "Projected completion": summary["projected_completion"] or "–",
        "Deaths recorded": people(summary["deaths_recorded"]),
    }


def as_of_shown(page) -> str:
    caption = page.get_by_text("figures as of").first.inner_text()
    return caption.split("figures as of", 1)[1].split()[0].strip(" ,.*")


def test_headline_figures_equal_the_command_line(dashboard, page):
    open_page(page, dashboard.url, TITLE, CHARTS)
    expected = summary(dashboard.db_path)
    assert metrics(page, METRICS) == shown(expected)
    assert as_of_shown(page) == expected["as_of"]


def type_date(page, field: str, day: str) -> None:
    """Type YYYY-MM-DD into the start or end field of the sidebar's date range."""
    segments = page.locator(f'[data-testid="stDateInput"] [data-range-field="{field}"] [role="spinbutton"]')
    segments.first.click()
    page.keyboard.type(day.replace("-", ""))


def test_narrowed_dates_change_the_figures_and_the_url_reproduces_the_view(dashboard, page, browser):
    open_page(page, dashboard.url, TITLE, CHARTS)
    before = metrics(page, METRICS)
    start, end = "2014-01-01", "2015-06-30"

    type_date(page, "start", start)
    type_date(page, "end", end)
    page.get_by_role("heading", name=TITLE).click()  # leaving the field sets the range
    page.wait_for_function(f"() => location.search.includes('to={end}') && location.search.includes('from={start}')",
                           timeout=TIMEOUT_MS)
    expected = shown(summary(dashboard.db_path, "--as-of", end))
    for label, value in expected.items():
        wait_for_metric(page, label, value)
    settled(page, CHARTS)
    narrowed = metrics(page, METRICS)
    assert narrowed != before
    assert narrowed == expected
    assert as_of_shown(page) == end
    link = page.evaluate("location.href")

    # A new browser context (no session, no cookies) on the link shows the same view.
    context = browser.new_context(viewport=page.viewport_size)
    try:
        other = context.new_page()
        open_page(other, link, TITLE, CHARTS)
        assert metrics(other, METRICS) == narrowed
        assert as_of_shown(other) == end
        dates = other.locator('[data-testid="stDateInput"] [data-range-field] [role="spinbutton"]').all_inner_texts()
        assert "-".join(dates[:3]) == start and "-".join(dates[3:]) == end, dates
        full_screenshot(other, f"overview_{start}_to_{end}")
    finally:
        context.close()


def assert_picture(path: Path, size: tuple[int, int]) -> None:
    """A whole, valid PNG of that size, which decodes to a picture (not one flat colour)."""
    from PIL import Image

    assert png_size(path.read_bytes()) == size
    with Image.open(path) as image:
        image.load()  # decodes every pixel
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 10, f"a blank image: {colours}"


def test_a_chart_downloads_as_png_from_its_mode_bar(dashboard, page):
    """plotly.js's own "Download plot as a png", drawn in the browser at the chart's size on the page."""
    open_page(page, dashboard.url, TITLE, CHARTS)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.hover()  # plotly shows its mode bar on hover
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        chart.locator('.modebar-btn[data-title="Download plot as a png" i]').click()
    assert download.value.suggested_filename.endswith(".png")
    on_page = chart.locator(".js-plotly-plot").evaluate("p => [p._fullLayout.width, p._fullLayout.height]")
    assert_picture(download.value.path(), tuple(on_page))


def test_a_chart_downloads_as_png_from_its_download_button(dashboard, page):
    """The page's own export (kaleido on the server): 1280x720 at twice the scale, as the README says."""
    open_page(page, dashboard.url, TITLE, CHARTS)
    page.get_by_role("button", name="Download chart").first.click()
    menu = page.locator('[data-testid="stPopoverBody"]')
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        menu.get_by_role("button", name="PNG", exact=True).click()
    assert re.fullmatch(r"remaining_population.*\.png", download.value.suggested_filename)
    assert_picture(download.value.path(), (2560, 1440))
