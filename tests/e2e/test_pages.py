"""Every page, loaded in Chromium from the server: no exception, every chart drawn, nothing fetched from
anywhere but the server, and a screenshot kept in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from .pages import charts, full_screenshot, off_site, open_page

# url path (the overview is the default page, served at /), title, charts drawn on the sample data
PAGES = [
    ("", "Relocation overview", 2),
    ("sites", "Sites", 2),
    ("relocation", "Relocation", 2),
    ("destinations", "Destinations", 3),
    ("medical", "Medical access", 2),
    ("incidents", "Incidents", 2),
    ("reconciliation", "Reconciliation", 1),
    ("data", "Data", 0),
    ("import", "Import a file", 0),
]


@pytest.mark.browser
@pytest.mark.parametrize(("path", "title", "expected"), PAGES, ids=[p or "overview" for p, _, _ in PAGES])
def test_page_loads_with_its_charts_and_nothing_from_outside(dashboard, page, requests_made, path, title, expected):
    open_page(page, f"{dashboard.url}/{path}", title, charts=expected)  # waits for them to be drawn

    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]') \
        .first.inner_text()
    # The pages turn an unexpected error into an st.error message, not an exception element.
    errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    assert not errors, errors
    drawn = charts(page)
    assert drawn["drawn"] == drawn["boxes"] >= expected, drawn
    full_screenshot(page, path or "overview")

    assert requests_made.urls, "no request recorded"
    assert off_site(requests_made.urls) == [], "the page fetched from outside this machine"
    assert "Traceback" not in dashboard.log(), dashboard.log()[-3000:]


def test_off_site_tells_this_machine_from_the_world():
    here = ["http://127.0.0.1:8501/static/js/index.js", "ws://127.0.0.1:8501/_stcore/stream",
            "http://localhost:8501/favicon.png", "http://[::1]:8501/", "data:image/png;base64,AAAA",
            "blob:http://127.0.0.1:8501/4f2c"]
    away = ["https://cdn.jsdelivr.net/npm/plotly.js", "https://fonts.googleapis.com/css2?family=Source+Sans",
            "http://127.0.0.2.example.com/", "https://webhooks.fivetran.com/webhooks/x", "wss://example.org/"]
    assert off_site(here + away) == away


@pytest.mark.browser
def test_sites_page_shows_its_table_and_follows_a_chosen_site(dashboard, page, requests_made):
    from playwright.sync_api import expect

    open_page(page, f"{dashboard.url}/sites", "Sites", charts=1)
    grid = page.locator('[data-testid="stDataFrame"]')
    assert grid.count() == 1 and grid.first.is_visible()
    # The map marks both camps, emptied as they are (0 residents now): a circle with a radius, not "A0,0".
    marks = page.locator(".scattergeo .point")
    assert marks.count() == 2
    assert all(not d.startswith("M0,0A0,0") for d in (marks.nth(i).get_attribute("d") for i in range(2)))
    # The grid draws its cells on a canvas; its accessible table holds the same headings and cells.
    assert "2** sites" not in page.content()  # markdown rendered, not shown as asterisks
    caption = page.get_by_text("sites as of 2016-09-09").first
    assert caption.is_visible() and "1 stale" in caption.inner_text()
    grid.locator('[role="columnheader"]').first.wait_for(state="attached", timeout=60_000)  # drawn after the run
    headings = grid.locator('[role="columnheader"]').all_inner_texts()
    assert headings[:5] == ["Site", "Country", "Type", "Residents now", "Latest count"], headings
    assert _column(grid, 1) == ["Camp Ashraf", "Camp Liberty"]
    assert _column(grid, 5) == ["2013-09-11", "2016-09-09"]
    # Choosing a site sets the sidebar's filter and the URL; the table then lists that site only.
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Show one site on every page")
    # Typed, as a person would on a long list: the box opens, filters the sites, and Enter picks one. (A bare
    # click could land while the map above it was still laying out, leaving the list closed.)
    box.locator("input").click()
    page.keyboard.type("Camp Ashraf")
    page.locator('[role="option"]').filter(has_text="Camp Ashraf").first.wait_for(timeout=30_000)
    page.keyboard.press("Enter")
    page.wait_for_url("**/sites?sites=Camp+Ashraf", timeout=60_000)
    page.get_by_text("1 site as of 2013-09-11").first.wait_for(timeout=60_000)
    expect(grid.locator('[role="gridcell"][aria-colindex="1"]')).to_have_text(["Camp Ashraf"], timeout=60_000)
    assert off_site(requests_made.urls) == []


def _column(grid, index: int) -> list[str]:
    """The texts of one column of a st.dataframe's accessible table (1 is the first)."""
    return grid.locator(f'[role="gridcell"][aria-colindex="{index}"]').all_inner_texts()
