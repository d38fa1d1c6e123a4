"""The import page in Chromium, on a server of its own (a copy of the sample data): upload a CSV, map the
column the proposal missed, confirm, and the relocated total rises; undo the batch and it is back."""

from __future__ import annotations

import re

import pytest

from .pages import TIMEOUT_MS, open_page, settled, wait_for_metric
from .server import summary

pytestmark = pytest.mark.browser

# Two departures to Canada, a country the sample data has none for; "Went to" is no name the mapper knows,
# so the host country is mapped by hand.
FLIGHTS = ("Camp,Departure date,Went to,Individuals,Note\n"
           "Camp Liberty,2016-09-01,Canada,7,e2e test flight\n"
           "Camp Liberty,2016-09-02,Canada,5,e2e test flight\n")
ADDED = 12


def pick(page, label, option: str) -> None:
    """Choose `option` in the select box labelled `label` (a string or a pattern)."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    settled(page)


def alerts(page) -> str:
    return "\n".join(page.locator('[data-testid="stAlertContainer"]').all_inner_texts())


def go_to(page, name: str, title: str) -> None:
    """Follow the sidebar's link to another page (same session)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=TIMEOUT_MS)
    settled(page)


def test_upload_map_confirm_raises_the_relocated_total_and_undo_restores_it(writable_dashboard, page, tmp_path):
    server = writable_dashboard
    before = summary(server.db_path)
    flights = tmp_path / "flights.csv"
    flights.write_text(FLIGHTS, encoding="utf-8")

    open_page(page, f"{server.url}/import", "Import a file")
    pick(page, "Record kind", "Transfers")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(flights)
    page.get_by_role("heading", name="Columns").wait_for(timeout=TIMEOUT_MS)
    settled(page)
    host = page.get_by_role("combobox", name=re.compile(r"^host_country"))
    assert host.input_value() == "(not in the file)"
    assert "No column for host_country" in alerts(page)
    pick(page, re.compile(r"^host_country"), "Went to")
    page.get_by_text("would add 2").wait_for(timeout=TIMEOUT_MS)  # the dry run, before anything is written
    assert summary(server.db_path) == before

    page.get_by_role("button", name="Import flights.csv").click()
    page.get_by_text("Imported.").wait_for(timeout=TIMEOUT_MS)
    settled(page)
    assert "added 2" in alerts(page)
    after = summary(server.db_path)
    assert after["relocated_total"] == before["relocated_total"] + ADDED
    assert after["relocated_by_country"]["CAN"] == ADDED
    go_to(page, "Overview", "Relocation overview")
    wait_for_metric(page, "Relocated (departed)", f"{after['relocated_total']:,}")

    go_to(page, "Import", "Import a file")
    batch = page.get_by_role("combobox", name="Undo a batch")
    assert "transfers from flights.csv" in batch.input_value()  # the newest batch comes first
    page.get_by_role("button", name="Undo…").click()
    confirm = page.get_by_role("button", name=re.compile(r"^Yes, undo batch \d+$"))
    confirm.wait_for(timeout=TIMEOUT_MS)
    assert summary(server.db_path) == after, "the undo ran before it was confirmed"
    confirm.click()
    page.get_by_text(re.compile(r"Batch \d+ undone: removed 2 rows from transfers")).wait_for(timeout=TIMEOUT_MS)
    settled(page)
    assert summary(server.db_path) == before
    go_to(page, "Overview", "Relocation overview")
    wait_for_metric(page, "Relocated (departed)", f"{before['relocated_total']:,}")
