"""Static rendering: charts as PNG, SVG and PDF through kaleido 1.x, which drives an installed Chrome or
Chromium; and as self-contained interactive HTML, which needs no browser.

One browser serves every image of the process (`renderer()`): started once, it renders a chart in about
a tenth of a second. Nothing phones home: kaleido's page loads plotly.js from the plotly package on disk,
MathJax is off (kaleido's default fetches it from a CDN), a map's outlines come from the package's folder
(figures/geo.py), and the browser is given a proxy that leads nowhere, so a request to the network fails
rather than leaves. HTML inlines plotly.js and, for a map, the outlines.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import html
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from resettle.domain.errors import UsageError
from resettle.figures import geo

STATIC_FORMATS = ("png", "svg", "pdf")
CHART_FORMATS = (*STATIC_FORMATS, "html")
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf", "html": "text/html",
        "csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip": "application/zip"}

# A 16:9 slide at 1280x720 CSS pixels; PNG at twice that for a sharp projector or print.
WIDTH, HEIGHT, SCALE = 1280, 720, 2
BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                      "/usr/bin/google-chrome-stable")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
NO_BROWSER = ("PNG, SVG and PDF need Chrome or Chromium: apt-get install chromium "
              "(or set RESETTLE_CHROMIUM to its path)")
# Where the browser sends any request for the network: a closed port on this machine.
NOWHERE = "http://127.0.0.1:9"
START_SECONDS = 60
TABS = 2  # figures rendered side by side: a quarter faster for a batch, on two cores
RENDER_SECONDS = 60
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


class BrowserMissing(UsageError):
    """No Chrome or Chromium to render PNG, SVG or PDF. Exit status 2; the message is one line."""


# ---------------------------------------------------------------- the browser


def find_browser() -> str | None:
    """The Chrome or Chromium to drive: $RESETTLE_CHROMIUM, else $BROWSER_PATH, else the usual places."""
    for variable in ("RESETTLE_CHROMIUM", "BROWSER_PATH"):
        chosen = os.environ.get(variable)
        if chosen:  # the user's choice: used as given, or none at all
            return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    for candidate in BROWSER_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return found
    return None


def require_browser() -> str:
    """The browser's path, or BrowserMissing with the one line that says how to get one."""
    path = find_browser()
    if path is None:
        chosen = next(((v, os.environ[v]) for v in ("RESETTLE_CHROMIUM", "BROWSER_PATH") if os.environ.get(v)), None)
        if chosen:
            raise BrowserMissing(f"PNG, SVG and PDF need Chrome or Chromium: {chosen[0]}={chosen[1]} is not one "
                                 "(point it at the browser, or apt-get install chromium and unset it)")
        raise BrowserMissing(NO_BROWSER)
    return path


def static_available() -> bool:
    """True where PNG, SVG and PDF can be made (a browser is installed)."""
    return find_browser() is not None


def kaleido_page():
    """kaleido's page without MathJax (its default fetches MathJax from a CDN); plotly.js then comes from
    the plotly package on disk and kaleido's own script from kaleido's: every script a file:// URL."""
    import kaleido

    return kaleido.PageGenerator(mathjax=False)


class Renderer:
    """One headless browser, driven by kaleido from an event loop on its own thread; any thread may call
    it. kaleido.start_sync_server would do the same, but it waits forever when the browser fails to
    start and hands results to whichever caller asks next, so the dashboard's sessions use this."""

    def __init__(self, browser: str) -> None:
        import kaleido

        self.browser = browser
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="resettle-renderer", daemon=True)
        self._thread.start()
        self._kaleido: kaleido.Kaleido | None = None
        try:
            self._run(self._open(), START_SECONDS)
        except BaseException:
            self.close()
            raise

    async def _open(self) -> None:
        import kaleido

        k = kaleido.Kaleido(n=TABS, page_generator=kaleido_page(), path=self.browser, timeout=RENDER_SECONDS,
                            proxy_server=NOWHERE)
        await k.open()
        self._kaleido = k

    def _run(self, coroutine, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    @property
    def alive(self) -> bool:
        return self._kaleido is not None and self._thread.is_alive()

    def images(self, figs: list, fmt: str, width: int, height: int, scale: float) -> list[bytes]:
        """The figures as PNG, SVG or PDF bytes, rendered side by side in the browser's tabs."""
        opts = {"format": fmt, "width": width, "height": height, "scale": scale}
        # A map's outlines from the package's folder on disk, never from plotly's CDN (the browser may read
        # files next to its page: choreographer starts it with --allow-file-access-from-files).
        outlines = geo.outlines_path().parent.as_uri() + "/"

        async def render() -> list[bytes]:
            return list(await asyncio.gather(*(self._kaleido.calc_fig(fig, opts=opts, topojson=outlines)
                                               for fig in figs)))

        return self._run(render(), RENDER_SECONDS * max(1, len(figs)) + 5)

    def print_pdf(self, page: Path, options: dict) -> bytes:
        """A local HTML file printed to PDF by the same browser (Page.printToPDF `options`)."""
        return self._run(self._print(page, options), RENDER_SECONDS + 5)

    async def _print(self, page: Path, options: dict) -> bytes:
        k = self._kaleido
        tab = await k.create_tab("", window=True)
        try:
            await tab.send_command("Page.enable")
            loaded = tab.subscribe_once("Page.loadEventFired")
            answer = await tab.send_command("Page.navigate", params={"url": page.resolve().as_uri()})
            if "error" in answer or answer.get("result", {}).get("errorText"):
                raise RuntimeError(f"the browser could not open {page.name}: {answer}")
            await asyncio.wait_for(loaded, RENDER_SECONDS)
            answer = await tab.send_command("Page.printToPDF", params=options)
            if "error" in answer:
                raise RuntimeError(f"the browser could not print {page.name}: {answer['error']}")
            return base64.b64decode(answer["result"]["data"])
        finally:
            await k.close_tab(tab.target_id)

    def close(self) -> None:
        if self._kaleido is not None:
            try:
                self._run(self._kaleido.close(), 15)
            except Exception:  # closing a browser that already died: nothing left to do
                pass
            self._kaleido = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> Renderer:
    """The process's browser, started on first use (and again if it died); BrowserMissing without one."""
    global _renderer
    with _renderer_lock:
        if _renderer is not None and _renderer.alive:
            return _renderer
        if _renderer is not None:
            _renderer.close()
            _renderer = None
        _renderer = Renderer(require_browser())
        return _renderer


def shutdown() -> None:
    """Close the shared browser (it starts again on the next static export)."""
    global _renderer
    with _renderer_lock:
        if _renderer is not None:
            _renderer.close()
            _renderer = None


atexit.register(shutdown)


def with_renderer(call):
    """Run call(renderer); once more on a fresh browser if the first one died under it."""
    from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

    try:
        return call(renderer())
    except (BrowserClosedError, BrowserFailedError, ChannelClosedError):
        shutdown()
        return call(renderer())


# ---------------------------------------------------------------- charts


@dataclass(frozen=True)
class Size:
    """An exported chart's size: CSS pixels, and the PNG's pixel multiplier."""

    width: int = WIDTH
    height: int = HEIGHT
    scale: float = SCALE

    def __post_init__(self) -> None:
        if not (100 <= self.width <= 10_000 and 100 <= self.height <= 10_000):
            raise UsageError(f"a chart of {self.width}x{self.height} px: width and height go from 100 to 10000")
        if not 0.1 <= self.scale <= 10:
            raise UsageError(f"scale {self.scale}: it goes from 0.1 to 10")


SLIDE = Size()  # the default: a 16:9 slide


def chart_bytes(fig: go.Figure, fmt: str, size: Size = SLIDE) -> bytes:
    """One chart as PNG, SVG, PDF (through the shared browser) or a self-contained interactive HTML page.
    PNG is width*scale x height*scale pixels; SVG is width x height; a PDF page is the same size in points
    (width*0.75 x height*0.75: 96 CSS pixels to the inch)."""
    return charts_bytes({"chart": fig}, fmt, size)["chart"]


def charts_bytes(figures: dict[str, go.Figure], fmt: str, size: Size = SLIDE) -> dict[str, bytes]:
    """Several charts in one format, by name; images rendered side by side by the shared browser."""
    if fmt not in CHART_FORMATS:
        raise UsageError(f"{fmt!r} is not a chart format: use one of {', '.join(CHART_FORMATS)}")
    ready = {name: for_export(fig) for name, fig in figures.items()}
    if fmt == "html":
        return {name: chart_html(fig).encode("utf-8") for name, fig in ready.items()}
    if not ready:
        return {}
    # Vectors have no pixels to multiply: kaleido would blow a PDF page up by the scale.
    scale = size.scale if fmt == "png" else 1
    images = with_renderer(lambda r: r.images(list(ready.values()), fmt, size.width, size.height, scale))
    return dict(zip(ready, images, strict=True))


PAGE_REFERENCE = "(see the Data page)"


def for_export(fig: go.Figure) -> go.Figure:
    """The page's figure as a file carries it: the caption's pointer to the Data page (which a file has
    not) points to the export's list of sources instead."""
    texts = [a.text or "" for a in fig.layout.annotations]
    if not any(PAGE_REFERENCE in t for t in texts):
        return fig
    fig = go.Figure(fig)
    fig.update_annotations(selector=lambda a: PAGE_REFERENCE in (a.text or ""),
                           text=next(t for t in texts if PAGE_REFERENCE in t).replace(
                               PAGE_REFERENCE, "(all listed with the exported data and in the briefing)"))
    return fig


def chart_title(fig: go.Figure) -> str:
    """The chart's title ("chart" when it has none), for a file's title or an image's alt text."""
    return (fig.layout.title.text or "chart") if fig.layout.title else "chart"


def outlines_script(figures) -> str:
    """For an HTML page of these figures: a <script> handing plotly.js the map outlines, inlined (empty when
    no figure is a map), so that no map fetches them. It must come before plotly.js draws."""
    if not any(geo.has_map(fig) for fig in figures):
        return ""
    return f"<script>{geo.register_script()}</script>\n"


def chart_html(fig: go.Figure) -> str:
    """The chart as one HTML page that works offline: plotly.js inline, the map outlines inline for a map,
    nothing fetched."""
    div = pio.to_html(fig, full_html=False, include_plotlyjs=True, config=PLOTLY_CONFIG,
                      default_width="100%", default_height=f"{int(fig.layout.height or HEIGHT)}px")
    div = outlines_script([fig]) + div
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(chart_title(fig))}</title>"
            f'<style>body{{margin:0;padding:8px;font-family:sans-serif}}</style></head>'
            f"<body>{div}</body></html>\n")


def write_charts(figures: dict[str, go.Figure], fmt: str, out_dir: Path, size: Size = SLIDE) -> list[Path]:
    """Every chart into `out_dir` as <chart name>.<fmt> (names are ours, never the user's text)."""
    if fmt not in CHART_FORMATS:
        raise UsageError(f"{fmt!r} is not a chart format: use one of {', '.join(CHART_FORMATS)}")
    if fmt in STATIC_FORMATS:
        require_browser()  # before any file is written
    out_dir = output_folder(out_dir)
    written = []
    for name, content in charts_bytes(figures, fmt, size).items():
        path = out_dir / f"{name}.{fmt}"
        path.write_bytes(content)
        written.append(path)
    return written


def output_folder(path: Path) -> Path:
    """The folder an export writes into, made if missing; a UsageError when a file has its name."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file: --out takes a folder for these files")
    path.mkdir(parents=True, exist_ok=True)
    return path
