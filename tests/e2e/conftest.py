"""Fixtures of the browser tests: a dashboard server on the sample data, one Chromium, a fresh context per test.

Everything here is package-scoped: the server and the browser stop when the last test of tests/e2e/ is done,
before the rest of the suite runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from resettle.store import db

from .pages import SCREENSHOTS
from .server import serve

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy through SQLite's backup API (the source may be open elsewhere)."""
    src, dst = db.connect(source), db.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@pytest.fixture(scope="package")
def dashboard(chromium, sample_db, tmp_path_factory):
    """The dashboard on the sample data, for the tests that only read. (Asks for `chromium` first, so
    without a browser nothing is started.)"""
    folder = tmp_path_factory.mktemp("dashboard")
    with serve(copy_database(sample_db, folder / "sample.db"), folder / "streamlit.log") as server:
        yield server


@pytest.fixture
def writable_dashboard(chromium, sample_db, tmp_path):
    """A dashboard of its own on a copy of the sample data, for a test that imports and undoes."""
    with serve(copy_database(sample_db, tmp_path / "sample.db"), tmp_path / "streamlit.log") as server:
        yield server


@pytest.fixture(scope="package")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Recorded:
    """Every URL the page asked for (requests and web sockets), in order."""

    def __init__(self) -> None:
        self.urls: list[str] = []


@pytest.fixture
def requests_made() -> Recorded:
    return Recorded()


@pytest.fixture
def page(browser, request, requests_made):
    """A page in a fresh context (empty cache, no cookies); its URLs recorded. A failed test leaves a
    screenshot of where it stood in test-artifacts/screenshots/."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.on("request", lambda r: requests_made.urls.append(r.url))
    page.on("websocket", lambda ws: requests_made.urls.append(ws.url))
    yield page
    try:
        if request.node.stash.get(_FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            page.screenshot(path=SCREENSHOTS / f"FAILED-{name}.png", full_page=True)
    finally:
        context.close()
