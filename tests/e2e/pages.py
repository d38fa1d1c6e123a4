"""Reading a Streamlit page in the browser: when it has finished, its charts, its metrics, its requests."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .server import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

TIMEOUT_MS = 60_000  # a first load takes 4-5 s here; a loaded CI machine gets room, never forever
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
# Placeholders an element shows while its code is still loading.
SKELETONS = '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]'

# How many plotly charts are drawn (a figure with traces, and their SVG groups), and whether all of them are.
CHARTS = """() => {
    const boxes = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const drawn = boxes.filter(box => {
        const plot = box.querySelector('.js-plotly-plot');
        // (A Sankey draws no .trace group: its own .sankey one.)
        return plot && plot.data && plot.data.length > 0 && plot.querySelector('.trace, .sankey') !== null;
    }).length;
    return {boxes: boxes.length, drawn: drawn};
}"""


def settled(page: Page, charts: int = 0) -> None:
    """Wait until the script run is over and every chart on the page is drawn, `charts` of them at least.
    (The run ends before the browser has drawn what it sent: a fresh page loads each kind of element's
    code only when it first needs it, so what is expected is waited for by count.)"""
    page.wait_for_selector(SCRIPT_DONE, state="attached", timeout=TIMEOUT_MS)
    page.wait_for_function(f"""() => {{
        if (document.querySelector('{SKELETONS}')) return false;
        const c = ({CHARTS})();
        return c.drawn === c.boxes && c.drawn >= {charts};
    }}""", timeout=TIMEOUT_MS)


def open_page(page: Page, url: str, title: str, charts: int = 0) -> None:
    page.goto(url, timeout=TIMEOUT_MS)
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=TIMEOUT_MS)
    settled(page, charts)


def charts(page: Page) -> dict[str, int]:
    """How many chart boxes the page has and how many of them are drawn."""
    return page.evaluate(CHARTS)


def metrics(page: Page, at_least: int = 1) -> dict[str, str]:
    """Every st.metric on the page (waiting for `at_least` of them): its label and the value as shown."""
    page.locator('[data-testid="stMetric"]').nth(at_least - 1).wait_for(timeout=TIMEOUT_MS)
    shown = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = box.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


def wait_for_metric(page: Page, label: str, value: str) -> None:
    """Wait until the metric `label` shows `value` (a rerun after a click takes a moment)."""
    page.locator('[data-testid="stMetric"]', has=page.locator('[data-testid="stMetricLabel"]', has_text=label)) \
        .locator('[data-testid="stMetricValue"]').filter(has_text=re.compile(f"^{re.escape(value)}$")) \
        .wait_for(timeout=TIMEOUT_MS)


def full_screenshot(page: Page, name: str) -> Path:
    """The whole page, not only the window: Streamlit scrolls inside its main section, so the window is
    made as tall as that section's content for the shot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll('[data-testid="stMain"], section')]
        .map(e => e.scrollHeight), document.documentElement.scrollHeight)""")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8000)})
    try:
        settled(page)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path
    finally:
        page.set_viewport_size(size)


def off_site(urls: list[str]) -> list[str]:
    """The URLs that leave this machine: anything but loopback http(s)/ws(s), data: and blob:."""
    away = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            continue
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOOPBACK:
            continue
        away.append(url)
    return away


def png_size(data: bytes) -> tuple[int, int]:
    """Check that `data` is a whole, valid PNG (signature, IHDR first, every chunk's CRC, IEND last);
    return its width and height."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: starts {data[:8]!r}"
    offset, chunks = 8, []
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert len(body) == length and zlib.crc32(kind + body) == crc, f"damaged {kind!r} chunk at byte {offset}"
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", [k for k, _ in chunks]
    assert any(k == b"IDAT" for k, _ in chunks), "no image data"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    return width, height
