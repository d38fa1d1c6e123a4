"""Correcting and adding records in Chromium, on a server of its own with an editor configured: sign in,
correct a count on the Data page, see the Overview's residents change, undo the change set, see them
restored; and the Add a record form filled in a phone-sized window (390 px wide)."""

from __future__ import annotations

import re

import pytest

from resettle.store import auth

from .conftest import copy_database
from .pages import TIMEOUT_MS, full_screenshot, open_page, settled, wait_for_metric
from .server import serve, summary

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
FAST = {"n": 2**4, "r": 1, "p": 1}  # a cheap hash: the flow is tested here, the hash in tests/store/test_auth.py
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def editors_dashboard(chromium, sample_db, tmp_path, monkeypatch):
    """The dashboard on a copy of the sample data, with one editor (Amira) who must sign in."""
    monkeypatch.setenv("RESETTLE_EDITORS", f"Amira:{auth.hash_password(PASSWORD, **FAST)}")
    for name in ("RESETTLE_PUBLIC", "RESETTLE_EDITOR"):
        monkeypatch.delenv(name, raising=False)
    with serve(copy_database(sample_db, tmp_path / "sample.db"), tmp_path / "streamlit.log") as server:
        yield server


def go_to(page, name: str, title: str) -> None:
    """Follow the sidebar's link to another page (the same session: the sign-in holds)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=TIMEOUT_MS)
    settled(page)


def sign_in(page) -> None:
    page.get_by_label("Editor", exact=True).fill("Amira")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=TIMEOUT_MS)
    settled(page)


def open_cell_editor(page, grid, column: int, holding: str, tries: int = 5) -> None:
    """Open the editor of the first row's cell in `column` (0 is id), which holds `holding`: the grid is a
    canvas, so select the row's id cell (after the rows' selection boxes), move right, press Enter. The
    grid may still be settling after the rerun that drew it (a key press lost): tried again until the
    editor shows that cell's value."""
    from playwright.sync_api import TimeoutError as NotYet

    editor = page.locator("#portal input, #portal textarea").first
    for _ in range(tries):
        box = grid.bounding_box()
        if box is not None:
            page.mouse.click(box["x"] + 65, box["y"] + 35 + 17)
            for _ in range(column):
                page.keyboard.press("ArrowRight")
            page.keyboard.press("Enter")
            try:
                editor.wait_for(timeout=5_000)
                if editor.input_value() == holding:
                    return
            except NotYet:  # not open yet
                pass
            page.keyboard.press("Escape")  # leave whatever opened or was selected, and try again
        page.wait_for_timeout(1_000)
    raise AssertionError(f"the editor of column {column} holding {holding!r} did not open")


def test_correct_a_count_see_the_residents_change_and_undo(editors_dashboard, page):
    server = editors_dashboard
    before = summary(server.db_path)
    assert before["residents"] == 0  # the sample's camp is empty on its last count (2016-09-09)

    open_page(page, f"{server.url}/import", "Import a file")
    sign_in(page)
    go_to(page, "Data", "Data")
    page.get_by_label("Source contains").fill("usccar")  # the last count of Camp Liberty, one row
    page.get_by_label("Source contains").press("Enter")
    page.get_by_text(re.compile(r"^1 of 1 rows matching")).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Correct these rows").click()
    settled(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=TIMEOUT_MS)
    open_cell_editor(page, grid, column=3, holding="0")  # id, site, date, residents
    editor = page.locator("#portal input, #portal textarea").first
    editor.fill("12")
    editor.press("Enter")
    page.get_by_text("1 rows changed, 0 added, 0 deleted, not saved yet.").wait_for(timeout=TIMEOUT_MS)
    assert summary(server.db_path) == before  # nothing is written before saving

    page.get_by_label("Reason for these changes (required)").fill("e2e: a count corrected")
    settled(page)
    page.get_by_role("button", name="Save as one change set").click()
    page.get_by_text(re.compile(r"Saved: change set \d+ \(population\): 0 added, 1 edited")).wait_for(
        timeout=TIMEOUT_MS)
    after = summary(server.db_path)
    assert after["residents"] == 12 and after["relocated_total"] == before["relocated_total"]

    go_to(page, "Overview", "Relocation overview")
    wait_for_metric(page, "Residents (estimate)", "12")

    go_to(page, "Import", "Import a file")
    chosen = page.get_by_role("combobox", name="Undo a batch")
    assert "e2e: a count corrected" in chosen.input_value()  # the change set is the newest batch
    page.get_by_role("button", name="Undo…").click()
    confirm = page.get_by_role("button", name=re.compile(r"^Yes, undo batch \d+$"))
    confirm.wait_for(timeout=TIMEOUT_MS)
    confirm.click()
    page.get_by_text(re.compile(r"Batch \d+ undone: put back 1 row of population counts as they were")).wait_for(
        timeout=TIMEOUT_MS)
    settled(page)
    assert summary(server.db_path) == before
    go_to(page, "Overview", "Relocation overview")
    wait_for_metric(page, "Residents (estimate)", "0")


def test_the_form_at_phone_width(editors_dashboard, browser):
    server = editors_dashboard
    before = summary(server.db_path, "--site", "Camp Liberty", "--as-of", "2016-09-20")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        open_page(page, f"{server.url}/add", "Add a record")
        sign_in(page)
        page.get_by_role("combobox", name="What to record").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("combobox", name="site *").click()
        page.get_by_role("option", name="Camp Liberty", exact=True).click()
        settled(page)
        date = page.locator('[data-testid="stDateInput"]', has_text="date *").locator("input")
        date.fill("2016-09-20")
        date.press("Enter")
        page.get_by_label("residents *").fill("3")
        page.get_by_label("residents *").press("Enter")
        page.get_by_label("source *").fill("e2e phone entry")
        page.get_by_label("source *").press("Enter")
        settled(page)
        # Nothing sticks out sideways: the form fits the phone's width.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        full_screenshot(page, "add_record_phone")  # for a person to look at (test-artifacts/screenshots/)
        save = page.get_by_role("button", name="Save the population count")
        assert save.bounding_box()["width"] <= PHONE["width"]
        save.click()
        page.get_by_text(re.compile(r"Saved as population record \d+")).wait_for(timeout=TIMEOUT_MS)
        after = summary(server.db_path, "--site", "Camp Liberty", "--as-of", "2016-09-20")
        assert (before["residents"], after["residents"]) == (0, 3)
    finally:
        context.close()
