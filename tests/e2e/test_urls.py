"""Every page answers at its own URL, the first one too: a link to /overview opens the overview (not
"Page not found"), and / shows the same page."""

from __future__ import annotations

import pytest

from .pages import open_page


@pytest.mark.browser
@pytest.mark.parametrize("path", ["overview", ""])
def test_the_first_page_answers_at_its_own_url_and_at_the_root(dashboard, page, path):
    open_page(page, f"{dashboard.url}/{path}", "Relocation overview", charts=2)

    body = page.inner_text("body")
    assert "Page not found" not in body
    assert page.url.rstrip("/").endswith(f"/{path}".rstrip("/"))
    # The navigation marks the overview as the page shown.
    current = page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]')
    assert current.count() == 1 and current.inner_text().strip() == "Overview"


@pytest.mark.browser
def test_a_page_linked_by_url_keeps_its_url_and_its_filters(dashboard, page):
    open_page(page, f"{dashboard.url}/relocation?sites=Camp+Liberty", "Relocation", charts=2)

    assert "Page not found" not in page.inner_text("body")
    assert "/relocation" in page.url and "sites=Camp+Liberty" in page.url
