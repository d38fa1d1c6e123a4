"""Issue 6's Chromium page-load, filter-change and export benchmarks (run.py's BROWSER_TIMINGS).

Each public function takes the big database (1,000,000 transfers) and the number of runs and returns
rows for run.py's table; the raw samples of every run go into RAW (run.py writes them to the JSON).

- page_loads: the overview of `dashboard.py` on the sample data and on the big database, against a
  trivial one-chart Streamlit + plotly page (floor_page.py), measured in the same run. Each run starts a
  new server per page (so Streamlit's caches and the server's imports are cold, as after a start or an
  import) and a new browser context per page (an empty browser cache): the first visit is the time from
  `page.goto` to every chart drawn (each `.js-plotly-plot` with its traces in the SVG, the script idle,
  no stale element, no exception). The return visit navigates again in the same context (the browser's
  cache warm, a new Streamlit session). A first visit with the server warm (a second new context) is
  recorded too. Ratios are taken run by run against the floor of the same run; the median is reported.
- filter_change: on the big overview, one site picked in the sidebar's Sites multiselect (typed and
  Enter, as a user does); from the key press to the headline figures and both charts changed and drawn,
  the script idle. A different site each run, so Streamlit's cache never has the view already.
- exports: PNG and SVG of every overview chart (the page registry's overview charts): the CLI as a user runs it
  (`resettle export charts --page overview --format png --format svg`, one process); the same work in a
  new process timed part by part; in process, the figures built, only kaleido's rendering (the
  browser's start apart); and, for scale, every dashboard chart, one CLI run per format.

Nothing is downloaded: the browser is Debian's Chromium, plotly.js comes with Streamlit and plotly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
FLOOR_PAGE = ROOT / "benchmarks" / "floor_page.py"
DASHBOARD = ROOT / "dashboard.py"
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 180_000

TARGETS = {
    "sample_vs_floor": 1.3,  # the overview on the sample data, at most this many times the floor page
    "big_vs_floor": 1.6,  # ... on 1,000,000 transfers
    "filter_change_s": 1.5,
    "export_s": 5.0,  # PNG and SVG of every overview chart, in total
}

RAW: dict = {}  # measurement -> its raw samples (run.py puts this into the JSON)

QUIET_WAIT = 120.0  # as run.py: seconds at most to wait for a quiet machine before a timed run


def wait_quiet(busy_percent: float = 25.0) -> float:
    """As run.py's: wait until the machine's CPU use over a second is under `busy_percent`."""
    start = time.perf_counter()
    while time.perf_counter() - start < QUIET_WAIT:
        if psutil.cpu_percent(interval=1.0) < busy_percent:
            break
    return round(time.perf_counter() - start, 1)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _row(what: str, value, unit: str, target: str = "", ok: bool | None = None, note: str = "") -> dict:
    return {"what": what, "value": value, "unit": unit, "target": target,
            "status": "n/a" if ok is None else ("met" if ok else "MISSED"), "note": note}


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running `streamlit run`: its URL and its process (the streamlit command; what it starts are its
    children)."""

    url: str
    process: psutil.Process

    def cpu_s(self) -> float:
        """CPU seconds the server and its children have used so far."""
        return tree_cpu(self.process)

    def rss(self) -> int:
        """The resident memory of the server and its children now, in bytes."""
        return tree_rss(self.process)


@contextlib.contextmanager
def server(script: Path, db: Path | None = None) -> Iterator[Server]:
    """`streamlit run script` on a free port (RESETTLE_DB=db) until the block ends.
    The server gets its own process group, ended (with anything it started) when the block ends."""
    port = _free_port()
    env = {**os.environ}
    if db is not None:
        env["RESETTLE_DB"] = str(db)
    cmd = [str(BIN / "streamlit"), "run", str(script), "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_healthy(port, proc, f"streamlit run {script.name}")
        yield Server(f"http://127.0.0.1:{port}/", psutil.Process(proc.pid))
    finally:
        _end_group(proc)


@contextlib.contextmanager
def serve(script: Path, db: Path | None = None) -> Iterator[str]:
    """`streamlit run script` on a free port (RESETTLE_DB=db) until the block ends; yields its URL."""
    with server(script, db) as running:
        yield running.url


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_cpu(proc: psutil.Process) -> float:
    """User and system CPU seconds of `proc` and its children (those still running)."""
    total = 0.0
    for p in _tree(proc):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of `proc` and its children, in bytes."""
    total = 0
    for p in _tree(proc):
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def wait_healthy(port: int, server: subprocess.Popen, what: str, seconds: float = 60) -> None:
    """Wait until the Streamlit server on `port` answers its health check; RuntimeError if it exits or
    does not answer within `seconds`."""
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.2)


def _end_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ---------------------------------------------------------------- in the page

# Installed in every document before Streamlit's scripts: notes when the script state changes and when the
# metrics and the charts appear (performance.now(), milliseconds since the navigation began).
TIMELINE = """
(() => {
  const t = {states: [], reruns: 0};
  window.__bench = t;
  let last = null;
  const tick = () => {
    const now = Math.round(performance.now());
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state !== last) {
      t.states.push([state, now]);
      if (state === 'running') t.reruns += 1;
      last = state;
    }
    if (!t.metrics && document.querySelector('[data-testid="stMetricValue"]')) t.metrics = now;
    const plots = document.querySelectorAll('.js-plotly-plot');
    if (!t.first_plot && plots.length) t.first_plot = now;
    if (!t.first_trace && document.querySelector('.js-plotly-plot g.trace')) t.first_trace = now;
  };
  setInterval(tick, 10);
})();
"""

# Every chart drawn: `n` plotly charts, each with its SVG and at least one trace in it (a Sankey draws its
# own .sankey group instead), the script idle, nothing stale (an element Streamlit keeps from the previous
# run while a rerun is under way), no element still loading. `before` (optional): the headline figures'
# text and each chart's signature before a filter change; then every one of them must have changed.
# `heading` (for a page without charts): the page's title drawn in the main block too. Returns true, or a
# string naming what went wrong.
DRAWN = """
([n, before, heading]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (document.querySelector('[data-testid="stException"], [data-testid="stAlertContentError"]'))
    return 'error: ' + document.querySelector('[data-testid="stException"], [data-testid="stAlertContentError"]').innerText.slice(0, 300);
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]'))
    return false;
  if (heading && !document.querySelector('[data-testid="stMain"] h1')) return false;
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  if (plots.length < n) return false;
  if (!plots.every(p => p.querySelector('.main-svg') && p.querySelector('g.trace, .sankey'))) return false;
  if (before) {
    if (window.__benchMetrics() === before.metrics) return false;
    const sigs = window.__benchSignatures();
    if (sigs.length !== before.charts.length || sigs.some((s, i) => s === before.charts[i])) return false;
  }
  return true;
}
"""

# What a chart shows: the shapes of its traces (path data, point count), hashed.
SIGNATURES = """
() => {
  window.__benchMetrics = () => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .map(e => e.textContent).join('|');
  window.__benchSignatures = () => [...document.querySelectorAll('.js-plotly-plot')].map(p => {
    let h = 0, count = 0;
    for (const el of p.querySelectorAll('g.trace path, g.trace .point')) {
      const d = el.getAttribute('d') || '';
      count += 1;
      for (let i = 0; i < d.length; i += 7) h = (h * 31 + d.charCodeAt(i)) | 0;
    }
    return count + ':' + h;
  });
  return {metrics: window.__benchMetrics(), charts: window.__benchSignatures()};
}
"""


def _wait_drawn(page, charts: int, before: dict | None = None, heading: bool = False) -> None:
    result = page.wait_for_function(DRAWN, arg=[charts, before, heading], polling=20,
                                    timeout=TIMEOUT_MS).json_value()
    if result is not True:
        raise RuntimeError(f"{page.url}: {result}")


def _ws_counter(page, keep_frames: bool = False) -> dict:
    """Bytes and frames the page receives over Streamlit's websocket, and when the first and last came;
    with `keep_frames`, the frames themselves too (received and sent), to read the messages."""
    seen = {"bytes": 0, "frames": 0, "first": None, "last": None, "received": [], "sent": []}

    def on_socket(ws) -> None:
        def frame(payload) -> None:
            now = time.perf_counter()
            seen["bytes"] += len(payload)
            seen["frames"] += 1
            seen["first"] = seen["first"] or now
            seen["last"] = now
            if keep_frames:
                seen["received"].append(payload)

        ws.on("framereceived", frame)
        if keep_frames:
            ws.on("framesent", lambda payload: seen["sent"].append(payload))

    page.on("websocket", on_socket)
    seen["listener"] = on_socket
    return seen


def visit(page, url: str, charts: int, heading: bool = False, keep_frames: bool = False) -> dict:
    """page.goto(url), then wait until every chart is drawn (and, with `heading`, the page's title): seconds,
    and where they went. With `keep_frames`, "frames" holds the websocket's frames, received and sent (for
    the caller to read and drop: they are not for the JSON)."""
    seen = _ws_counter(page, keep_frames)
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    _wait_drawn(page, charts, heading=heading)
    seconds = time.perf_counter() - started
    timeline = page.evaluate("() => window.__bench")
    page.remove_listener("websocket", seen["listener"])
    resources = page.evaluate("""() => performance.getEntriesByType('resource').map(e => e.transferSize)
                                 .reduce((a, b) => a + b, 0)""")
    out = {"s": round(seconds, 3), "timeline_ms": timeline,
           "ws_kb": round(seen["bytes"] / 1024, 1), "ws_frames": seen["frames"],
           "ws_first_s": round(seen["first"] - started, 3) if seen["first"] else None,
           "ws_last_s": round(seen["last"] - started, 3) if seen["last"] else None,
           "http_transferred_kb": round(resources / 1024, 1)}
    if keep_frames:
        out["frames"] = {"received": seen["received"], "sent": seen["sent"]}
    return out


def _new_page(context):
    page = context.new_page()
    page.add_init_script(TIMELINE)
    return page


def _others_cpu(work) -> tuple[object, float]:
    t0 = psutil.cpu_times()
    mine0 = tree_cpu(psutil.Process())
    wall0 = time.perf_counter()
    result = work()
    wall = time.perf_counter() - wall0
    t1 = psutil.cpu_times()
    busy = sum(getattr(t1, f) - getattr(t0, f) for f in ("user", "nice", "system", "irq", "softirq", "steal")
               if hasattr(t1, f))
    return result, round(max(busy - (tree_cpu(psutil.Process()) - mine0), 0.0) / max(wall, 1e-9), 2)


# ---------------------------------------------------------------- page loads


def sample_db(folder: Path) -> Path:
    """The bundled sample data in a new database (`resettle demo`)."""
    path = folder / "sample.db"
    subprocess.run([str(BIN / "resettle"), "demo", "--db", str(path)], check=True, capture_output=True)
    return path


def _copy(db: Path, folder: Path) -> Path:
    """A copy of the database the dashboard may write to (it migrates and sets WAL on connecting)."""
    copy = folder / db.name
    shutil.copyfile(db, copy)
    return copy


PAGES = (("floor", 1), ("sample", 2), ("big", 2))  # page -> the charts it shows


def page_loads(big: Path, runs: int = 3) -> list[dict]:
    samples = []
    with tempfile.TemporaryDirectory(prefix="resettle-browser-", dir=big.parent) as tmp:
        folder = Path(tmp)
        scripts = {"floor": (FLOOR_PAGE, None), "sample": (DASHBOARD, sample_db(folder)),
                   "big": (DASHBOARD, _copy(big, folder))}
        with chromium() as browser:
            for i in range(runs):
                sample: dict = {}
                for name, charts in PAGES:
                    script, db = scripts[name]
                    with serve(script, db) as url:
                        waited = wait_quiet()
                        context = browser.new_context(viewport=VIEWPORT)
                        try:
                            page = _new_page(context)
                            first, others = _others_cpu(lambda page=page, url=url, charts=charts:
                                                        visit(page, url, charts))
                            again, others_again = _others_cpu(lambda page=page, url=url, charts=charts:
                                                              visit(page, url, charts))
                            page.close()
                        finally:
                            context.close()
                        context = browser.new_context(viewport=VIEWPORT)  # a new visitor, the server warm
                        try:
                            warm = visit(_new_page(context), url, charts)
                        finally:
                            context.close()
                    sample[name] = {"first": first, "return": again, "first_server_warm": warm,
                                    "others_cpu_cores": [others, others_again], "waited_s": waited}
                samples.append(sample)
                print(f"  page loads, run {i + 1}/{runs}: " + "; ".join(
                    f"{n} first {s['first']['s']:.2f} s, return {s['return']['s']:.2f} s "
                    f"(server warm {s['first_server_warm']['s']:.2f} s)" for n, s in sample.items()), flush=True)
    RAW["page_loads"] = samples
    return page_load_rows(samples)


def page_load_rows(samples: list[dict]) -> list[dict]:
    """The table's rows from page_loads' samples (also to redo the rows from a saved run's JSON)."""

    def med(page: str, visit_: str) -> float:
        return _median([s[page][visit_]["s"] for s in samples])

    def parts(page: str, visit_: str) -> str:
        """Where the time went (medians): the script's run as the page saw it, then the drawing after it."""
        script, after = [], []
        for s in samples:
            x = s[page][visit_]
            states = dict(x["timeline_ms"]["states"])
            if "running" in states and "notRunning" in states:
                script.append((states["notRunning"] - states["running"]) / 1000)
                after.append(x["s"] - states["notRunning"] / 1000)
        return (f"script {_median(script):.2f} s, then {_median(after):.2f} s to the charts drawn"
                if script else "")

    def ratio(page: str, visit_: str) -> float:
        return _median([s[page][visit_]["s"] / s["floor"][visit_]["s"] for s in samples])

    rows = [_row("Chromium: one-chart floor page (floor_page.py), first visit", med("floor", "first"), "s",
                 note=f"new server and browser context each run ({parts('floor', 'first')}); server warm: "
                      f"{med('floor', 'first_server_warm')} s"),  # the overview's rows: each visit against its floor
            _row("  floor page, return visit (browser cache warm)", med("floor", "return"), "s",
                 note=parts("floor", "return"))]
    visits = (("first", "first visit, new server"), ("first_server_warm", "first visit, server warm"),
              ("return", "return visit"))
    for page, label, key in (("sample", "sample data", "sample_vs_floor"), ("big", "1,000,000 transfers", "big_vs_floor")):
        limit = TARGETS[key]
        for visit_, what in visits:
            r = ratio(page, visit_)
            note = f"{med(page, visit_)} s against {med('floor', visit_)} s"
            if visit_ != "first_server_warm":
                note += f" ({parts(page, visit_)})"
            rows.append(_row(f"  overview, {label}, {what} / floor", round(r, 2), "x", f"<= {limit}", r <= limit, note))
    return rows


# ---------------------------------------------------------------- a filter change


def _sites(db: Path, count: int) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sites ORDER BY name LIMIT ?", (count,))]
    finally:
        conn.close()


def pick_site(page, site: str) -> None:
    """Open the sidebar's Sites multiselect and type the site's name (not yet chosen: Enter chooses)."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Sites")
    box.locator("input").click()
    page.keyboard.type(site)
    page.locator('[role="option"]').filter(has_text=site).first.wait_for(timeout=30_000)


def filter_change(big: Path, runs: int = 3) -> list[dict]:
    samples = []
    with tempfile.TemporaryDirectory(prefix="resettle-browser-", dir=big.parent) as tmp:
        db = _copy(big, Path(tmp))
        sites = _sites(db, runs + 1)[1:]  # a site per run, never the same view twice
        with chromium() as browser, serve(DASHBOARD, db) as url:
            context = browser.new_context(viewport=VIEWPORT)
            try:
                page = _new_page(context)
                visit(page, url, 2)  # the server's caches warm for the default view
                for i, site in enumerate(sites):
                    visit(page, url, 2)
                    before = page.evaluate(SIGNATURES)
                    pick_site(page, site)
                    wait_quiet()
                    page.evaluate("() => { window.__bench.states = []; window.__bench.reruns = 0; }")

                    def change(page=page, before=before) -> float:
                        started = time.perf_counter()
                        page.keyboard.press("Enter")
                        _wait_drawn(page, 2, before)
                        return time.perf_counter() - started

                    seconds, others = _others_cpu(change)
                    after = page.evaluate(SIGNATURES)
                    samples.append({"site": site, "s": round(seconds, 3), "others_cpu_cores": others,
                                    "url": page.url, "before": before, "after": after,
                                    "timeline_ms": page.evaluate("() => window.__bench")})
                    print(f"  filter change, run {i + 1}/{runs} (site {site}): {seconds:.2f} s", flush=True)
                    if os.environ.get("BENCH_SCREENSHOTS"):  # to look at what was measured
                        page.screenshot(path=str(Path(tempfile.gettempdir()) / f"resettle-filter{i}.png"))
            finally:
                context.close()
    RAW["filter_change"] = samples
    value = _median([s["s"] for s in samples])
    limit = TARGETS["filter_change_s"]
    return [_row("  filter change at 1M (one site picked) to charts redrawn", value, "s", f"<= {limit}",
                 value <= limit, "from the Enter key to the figures and both charts changed, the script idle")]


# ---------------------------------------------------------------- exports


def _check_files(files: dict[str, bytes]) -> None:
    for name, content in files.items():
        if name.endswith(".png"):
            assert content.startswith(b"\x89PNG\r\n\x1a\n"), f"{name} is not a PNG"
        else:
            assert b"<svg" in content[:4096], f"{name} is not an SVG"


def export_child(db: str, runs: int) -> None:
    """In a new process: the overview's charts as PNG and SVG, cold (imports to files, as the CLI would do it
    for the overview alone), then in process with the figures built: kaleido only. Prints JSON."""
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT / "src"))
    from resettle.compute.scope import view_scope
    from resettle.figures import pages, registry
    from resettle.publish import rendering
    from resettle.store import db as dbm

    overview = registry.page("overview")
    names = overview.charts
    imported = time.perf_counter()
    conn = dbm.connect(db, create=False)
    try:
        scope = view_scope(conn, None)  # as the CLI: every site, as of the latest data
        figs = overview.draw(overview.gather(conn, scope), pages.colours(conn))
        figs = {n: figs[n] for n in names}
        built = time.perf_counter()
        rendering.renderer()
        browser = time.perf_counter()

        def render() -> tuple[dict[str, bytes], dict[str, float]]:
            """PNG then SVG of every chart, checked: the files and each format's seconds."""
            files, seconds = {}, {}
            for fmt in ("png", "svg"):
                t = time.perf_counter()
                files.update({f"{n}.{fmt}": b for n, b in rendering.charts_bytes(figs, fmt).items()})
                seconds[f"{fmt}_s"] = time.perf_counter() - t
            _check_files(files)
            return files, seconds

        files, seconds = render()
        cold = {"imports_s": imported - started, "data_and_figures_s": built - imported,
                "browser_start_s": browser - built, **seconds, "total_s": time.perf_counter() - started,
                "kb": {k: round(len(v) / 1024, 1) for k, v in files.items()}}
        warm = []
        for _ in range(runs):
            _, seconds = render()
            warm.append({**seconds, "total_s": seconds["png_s"] + seconds["svg_s"]})
        figure_json_kb = {n: round(len(f.to_json()) / 1024, 1) for n, f in figs.items()}
    finally:
        conn.close()
        closing = time.perf_counter()
        rendering.shutdown()
    cold["browser_close_s"] = time.perf_counter() - closing
    print(json.dumps({"cold": cold, "warm": warm, "figure_json_kb": figure_json_kb}), flush=True)


def _timed(cmd: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, start_new_session=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout + proc.stderr


def exports(big: Path, runs: int = 3) -> list[dict]:
    from resettle.figures import registry

    cli, child = [], []
    with tempfile.TemporaryDirectory(prefix="resettle-export-", dir=big.parent) as tmp:
        folder = Path(tmp)
        db = _copy(big, folder)
        for i in range(runs):
            sample = {"waited_s": wait_quiet()}
            out = folder / f"cli-{i}-overview"
            seconds, said = _timed([str(BIN / "resettle"), "export", "charts", "--page", "overview", "--format", "png",
                                    "--format", "svg", "--out", str(out), "--db", str(db)])
            written = {p.name: p.read_bytes() for p in out.iterdir()}
            _check_files(written)
            assert len(written) == 2 * len(registry.page("overview").charts), sorted(written)
            sample["overview"] = {"s": round(seconds, 3), "files": len(written), "said": said.strip().splitlines()[-1]}
            wait_quiet()
            for fmt in ("png", "svg"):
                out = folder / f"cli-{i}-{fmt}"
                seconds, said = _timed([str(BIN / "resettle"), "export", "charts", "--format", fmt, "--out", str(out),
                                        "--db", str(db)])
                written = {p.name: p.read_bytes() for p in out.iterdir()}
                _check_files(written)
                sample[fmt] = {"s": round(seconds, 3), "charts": len(written), "said": said.strip().splitlines()[-1]}
            sample["total_s"] = round(sample["png"]["s"] + sample["svg"]["s"], 3)
            cli.append(sample)
            wait_quiet()
            seconds, said = _timed([sys.executable, __file__, "--child-export", str(db), "0"])  # as a user's run
            result = json.loads(said.strip().splitlines()[-1])
            result["process_s"] = round(seconds, 3)
            wait_quiet()
            _, said = _timed([sys.executable, __file__, "--child-export", str(db), str(runs)])  # then kaleido alone
            result["warm"] = json.loads(said.strip().splitlines()[-1])["warm"]
            child.append(result)
            print(f"  exports, run {i + 1}/{runs}: CLI png {sample['png']['s']:.2f} s + svg {sample['svg']['s']:.2f} s "
                  f"({sample['png']['charts']} charts each); overview alone in a new process {seconds:.2f} s "
                  f"(browser start {result['cold']['browser_start_s']:.2f} s), kaleido only "
                  f"{_median([w['total_s'] for w in result['warm']]):.2f} s", flush=True)
    RAW["exports"] = {"cli": cli, "overview_process": child}
    limit = TARGETS["export_s"]
    process = _median([c["process_s"] for c in child])
    cold = {k: _median([c["cold"][k] for c in child])
            for k in ("imports_s", "data_and_figures_s", "browser_start_s", "png_s", "svg_s", "browser_close_s")}
    warm = _median([w["total_s"] for c in child for w in c["warm"]])
    warm_png = _median([w["png_s"] for c in child for w in c["warm"]])
    warm_svg = _median([w["svg_s"] for c in child for w in c["warm"]])
    cli_total = _median([c["total_s"] for c in cli])
    cli_overview = _median([c["overview"]["s"] for c in cli])
    charts = cli[0]["png"]["charts"] if cli else 0
    return [
        _row("export PNG + SVG of the overview charts: `resettle export charts --page overview --format png "
             "--format svg`", cli_overview, "s", f"<= {limit}", cli_overview <= limit,
             "the CLI as a user runs it, a new process from start to files"),
        _row("  the same work in a new process, timed by part", process, "s", "", None,
             "; ".join(f"{k[:-2].replace('_', ' ')} {v} s" for k, v in cold.items())),
        _row("  the same, figures built and browser started: kaleido only", warm, "s", "", None,
             f"PNG {warm_png} s, SVG {warm_svg} s"),
        _row(f"  every dashboard chart ({charts}), PNG then SVG, one CLI run per format", cli_total, "s", "", None,
             f"png {_median([c['png']['s'] for c in cli])} s, svg {_median([c['svg']['s'] for c in cli])} s"),
    ]


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child-export":
    export_child(sys.argv[2], int(sys.argv[3]))


# ---------------------------------------------------------------- the pages at scale


def _charts_drawn(db: Path, path: str) -> int:
    """How many charts the page draws on this database (the page registry's figures for every site)."""
    sys.path.insert(0, str(ROOT / "src"))
    from resettle.compute.scope import view_scope
    from resettle.figures import registry
    from resettle.store import db as dbm

    conn = dbm.connect(db, create=False)
    try:
        return len(registry.build_all(conn, view_scope(conn, None), (path,)))
    finally:
        conn.close()
