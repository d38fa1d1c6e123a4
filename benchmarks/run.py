"""The benchmarks of issue 6 at operational scale (benchmarks/generate.py's data): `make bench`.

    .venv/bin/python benchmarks/run.py [--runs 3] [--sqlite-utils-runs 3]
                                       [--only import,figures,server,browser,pages,load,exports]
                                       [--visits 20] [--sessions 20] [--work-dir DIR] [--readme] [--profile]

Prints a table and writes benchmarks/results/latest.json (and a dated copy, not committed). Every figure
is the median of several runs; ratios are taken run by run, each against the other tool's run right
beside it, and the median of those is reported. Before each timed run the script waits (up to a
minute) for the machine to be quiet, and it records how much CPU other processes used during each run:
on a shared 2-core machine that is the first thing to look at when a figure jumps.

What is measured, and how:
- import: `resettle import transfers FILE --db DB` (the CLI, a subprocess: start-up, validation, one
  transaction) into an empty database made with `resettle init` beforehand (not timed); against the
  sqlite3 shell's `.import --csv FILE t` and `sqlite-utils insert DB t FILE --csv` (.venv/bin), each
  into a new file. Wall time; peak memory is the subprocess's maximum resident set (wait4's ru_maxrss).
- figures: `headline.summary` for all sites, and the overview page's data as the page computes it
  (resettle.ui.data, its st.cache_data functions called unwrapped: filters' sites, host countries and
  date bounds, then the overview). Cold is the first call in a new process (so a new connection and an
  empty SQLite page cache; the OS file cache is warm, and the imports are timed apart); warm is the
  median of the calls after it in that process.
- server: the dashboard (`streamlit run dashboard.py`, RESETTLE_DB at the big database) loads the
  overview once in Chromium (Playwright, /usr/bin/chromium); then the server's resident memory.
- browser: page loads in Chromium (the overview on the sample data and on the big database against a
  trivial one-chart Streamlit + plotly page, first and return visits), a filter change at that size, and
  PNG + SVG exports of the overview charts; benchmarks/browser.py says how (BROWSER_TIMINGS below).
- pages: every page of the dashboard on the big database against the one-chart floor page, first visits
  on a warm server, and the server's CPU per visit of each page (benchmarks/page_visits.py says how).
- load: 20 sessions opening the Overview at once through a client of Streamlit's websocket protocol: who
  was served, the waits, the server's CPU per visit and memory peak (benchmarks/load.py says how).
- exports: `resettle export data --format xlsx` and `resettle export bundle` (the CLI, a subprocess) on a
  copy of the big database, each into a new folder; wall time and peak memory (GNU time's %M).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

import browser  # noqa: E402
import generate  # noqa: E402
import load  # noqa: E402
import page_visits  # noqa: E402

BIN = Path(sys.executable).parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results"
SQLITE3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
CHROMIUM = "/usr/bin/chromium"
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
KIND_ORDER = ("sites", "population", "transfers", "medevacs", "incidents", "pledges")
README_START = "<!-- benchmark table: start (benchmarks/run.py --readme writes between these lines) -->"
README_END = "<!-- benchmark table: end -->"

TARGETS = {
    "import_vs_sqlite3": 1.1,  # at most this many times the sqlite3 shell's wall time (the plain file)
    "import_cases_vs_sqlite3": 1.5,  # the file with a case id per row, against the shell on the same file
    "sqlite_utils_vs_import": 20.0,  # sqlite-utils takes at least this many times ours
    "import_peak_mb": 500,
    "figures_warm_ms": 150,
    "figures_cold_ms": 1000,
    "server_rss_mb": 600,
    "export_xlsx_s": 20,  # the data as XLSX at the big database
    "export_bundle_s": 60,  # the bundle (report, charts, CSV, XLSX, HXL, the database's copy)
    "export_peak_mb": 1024,
}

# Chromium page-load timings (overview vs a trivial one-chart Streamlit + plotly floor page, first and
# return visits, on the sample data and at this size; a filter change) and chart exports (PNG and SVG of
# every overview chart), run with --only browser. Each takes the big database and the number of runs and
# returns a list of rows like the others (see `table`); their raw samples go to results["browser_samples"].
BROWSER_TIMINGS: list = [browser.page_loads, browser.filter_change, browser.exports]


# ---------------------------------------------------------------- the machine and its noise


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    shell = subprocess.run([SQLITE3, "--version"], capture_output=True, text=True).stdout.split()
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "sqlite_python": sqlite3.sqlite_version,
        "sqlite_shell": shell[0] if shell else None,
        "os": platform.platform(),
    }


def git_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty_files": len(git("status", "--porcelain").splitlines())}


QUIET_WAIT = 120.0  # seconds at most to wait for a quiet machine before a timed run (--quiet-wait)
CONTENDED = 0.5  # a run during which other processes kept more than half a core busy is done again
RETRIES = 2  # ... at most this many times (--retries); the JSON keeps every attempt's numbers


def wait_quiet(busy_percent: float = 25.0) -> float:
    """Wait until the machine's CPU use over a second is under `busy_percent` (other developers' test
    runs share it), at most QUIET_WAIT seconds; returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < QUIET_WAIT:
        if psutil.cpu_percent(interval=1.0) < busy_percent:
            break
    return round(time.perf_counter() - start, 1)


def contended(result: dict) -> bool:
    return result["others_cpu_s"] > CONTENDED * result["wall_s"]


def attempts(measure) -> tuple[dict, int]:
    """`measure()` (a dict of run_command results, or one) again while another process crowded it out."""
    for attempt in range(RETRIES + 1):
        result = measure()
        parts = result.values() if all(isinstance(v, dict) for v in result.values()) else [result]
        if not any(contended(r) for r in parts) or attempt == RETRIES:
            return result, attempt
    raise AssertionError("unreachable")


def _busy_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)


def run_command(cmd: list[str], *, env: dict | None = None, quiet: bool = True) -> dict:
    """Run `cmd` to its end: wall seconds, its CPU seconds, its peak memory, others' CPU meanwhile.

    The peak is GNU time's %M where /usr/bin/time exists: wait4's ru_maxrss of our own child would count
    the memory of this Python process, which the child shares between fork and exec."""
    waited = wait_quiet() if quiet else 0.0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".maxrss") as maxrss:
        measured = [GNU_TIME, "-f", "%M", "-o", maxrss.name, *cmd] if GNU_TIME else cmd
        busy0 = _busy_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(measured, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        busy = _busy_seconds() - busy0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        peak_kb = int(maxrss.read().split()[-1]) if GNU_TIME else usage.ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stdout}\n{stderr}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_mb": round(peak_kb / 1024, 1),
            "others_cpu_s": round(max(busy - cpu, 0.0), 2), "waited_s": waited, "stdout": stdout}


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- data


def ensure_data() -> dict:
    manifest = generate.current(DATA)
    if manifest is None:
        print(f"generating the data under {DATA} (seed {generate.SEED}) ...", flush=True)
        manifest = generate.generate(DATA)
    return manifest


def _fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


# ---------------------------------------------------------------- import


def bench_import(work: Path, runs: int, su_runs: int) -> dict:
    """1,000,000 transfer rows: resettle vs the sqlite3 shell vs sqlite-utils, run by run."""
    csv_path = DATA / "transfers.csv"
    rows = sum(1 for _ in open(csv_path, "rb")) - 1  # also puts the file in the OS cache for everyone
    samples: list[dict] = []
    retried = 0

    def one_run(with_sqlite_utils: bool) -> dict:
        sample: dict = {}
        ours = _fresh(work / "resettle.db")
        subprocess.run([str(BIN / "resettle"), "init", "--db", str(ours)], check=True, capture_output=True)
        sample["resettle"] = run_command([str(BIN / "resettle"), "import", "transfers", str(csv_path), "--db", str(ours)])
        assert _count(ours, "transfers") == rows, "resettle did not store every row"
        shell = _fresh(work / "shell.db")
        sample["sqlite3"] = run_command([SQLITE3, str(shell), f".import --csv {csv_path} t"])
        assert _count(shell, "t") == rows
        if with_sqlite_utils:
            su = _fresh(work / "sqlite-utils.db")
            sample["sqlite_utils"] = run_command([str(BIN / "sqlite-utils"), "insert", str(su), "t", str(csv_path), "--csv"])
            assert _count(su, "t") == rows
            _fresh(su)
        _fresh(ours)
        _fresh(shell)
        return sample

    for i in range(runs):
        sample, again = attempts(lambda i=i: one_run(i < su_runs))
        retried += again
        samples.append(sample)
        print(f"  import run {i + 1}/{runs}: " + ", ".join(
            f"{k} {v['wall_s']:.2f} s (others' CPU {v['others_cpu_s']:.1f} s)" for k, v in sample.items()), flush=True)
    cases = []  # the same rows, each a case with its id (each adds itself: the fast path takes them)
    cases_shell = []  # the sqlite3 shell on the same file, run beside each
    cases_path = DATA / "transfers_cases.csv"
    for i in range(runs):
        def one_case_run() -> dict:
            ours = _fresh(work / "cases.db")
            subprocess.run([str(BIN / "resettle"), "init", "--db", str(ours)], check=True, capture_output=True)
            result = {"resettle": run_command([str(BIN / "resettle"), "import", "transfers", str(cases_path),
                                               "--db", str(ours)])}
            assert _count(ours, "transfers") == rows
            shell = _fresh(work / "cases-shell.db")
            result["sqlite3"] = run_command([SQLITE3, str(shell), f".import --csv {cases_path} t"])
            assert _count(shell, "t") == rows
            _fresh(ours)
            _fresh(shell)
            return result

        result, _ = attempts(one_case_run)
        cases.append(result["resettle"])
        cases_shell.append(result["sqlite3"])
        print(f"  import with case ids, run {i + 1}/{runs}: {result['resettle']['wall_s']:.2f} s, "
              f"sqlite3 {result['sqlite3']['wall_s']:.2f} s", flush=True)
    ours_wall = [s["resettle"]["wall_s"] for s in samples]
    return {
        "cases_s": median([c["wall_s"] for c in cases]),
        "cases_peak_mb": max(c["peak_mb"] for c in cases),
        "cases_samples": cases,
        "cases_sqlite3_s": median([c["wall_s"] for c in cases_shell]),
        "cases_vs_sqlite3": median([c["wall_s"] / sh["wall_s"] for c, sh in zip(cases, cases_shell, strict=True)]),
        "rows": rows,
        "file_mb": round(csv_path.stat().st_size / 1e6, 1),
        "samples": samples,
        "resettle_s": median(ours_wall),
        "resettle_cpu_s": median([s["resettle"]["cpu_s"] for s in samples]),
        "sqlite3_s": median([s["sqlite3"]["wall_s"] for s in samples]),
        "sqlite_utils_s": median([s["sqlite_utils"]["wall_s"] for s in samples if "sqlite_utils" in s]),
        "peak_mb": max(s["resettle"]["peak_mb"] for s in samples),
        "vs_sqlite3": median([s["resettle"]["wall_s"] / s["sqlite3"]["wall_s"] for s in samples]),
        "sqlite_utils_vs": median([s["sqlite_utils"]["wall_s"] / s["resettle"]["wall_s"]
                                   for s in samples if "sqlite_utils" in s]),
        "runs_done_again": retried,
        "contended_runs": sum(any(contended(r) for r in s.values()) for s in samples),
    }


def build_big_db(path: Path) -> dict:
    """Every generated file imported through the CLI into one database (the figures' and server's data)."""
    _fresh(path)
    subprocess.run([str(BIN / "resettle"), "init", "--db", str(path)], check=True, capture_output=True)
    timings = {}
    for kind in KIND_ORDER:
        result = run_command([str(BIN / "resettle"), "import", kind, str(DATA / f"{kind}.csv"), "--db", str(path)])
        timings[kind] = {k: result[k] for k in ("wall_s", "cpu_s", "peak_mb", "others_cpu_s")}
        print(f"  big database: {kind} imported in {result['wall_s']:.2f} s", flush=True)
    return timings


# ---------------------------------------------------------------- figures


def _overview_page_data(version: tuple, other: int = 0) -> dict:
    """The overview page's load, as resettle.ui computes it, without Streamlit's cache: the sidebar's
    default view (every site, the data's whole range), or (`other` > 0) another view a user might pick
    next: one site, a date range ending earlier, one host country, in turn."""
    from resettle.ui import cache as data
    from resettle.ui import filters

    data._is_empty.__wrapped__(version)
    names = data._site_names.__wrapped__(version)
    countries = data._host_countries.__wrapped__(version)
    sites = (names[other % len(names)],) if other % 3 == 1 and names else ()
    first, latest = data._date_bounds.__wrapped__(version, sites)
    if other % 3 == 2 and latest:
        latest = latest - dt.timedelta(days=30 * other)
    host = (countries[other % len(countries)],) if other % 3 == 0 and other and countries else ()
    view = filters.View(sites, first, latest, host)
    return data._page_data.__wrapped__(version, view, "overview")


def figures_child(db_path: str, workload: str, warm_runs: int, profile: bool) -> None:
    """Run in a new process: imports, the first (cold) call, then `warm_runs` more; prints JSON."""
    import logging

    logging.disable(logging.WARNING)  # Streamlit's "no runtime" notices for st.cache_data outside an app
    os.environ["RESETTLE_DB"] = db_path
    started = time.perf_counter()
    from resettle.compute import headline
    from resettle.compute.scope import resolve_sites
    from resettle.store import db

    if workload == "summary":
        def call(other: int = 0) -> object:
            conn = db.connect(db_path)
            try:
                if not other:
                    return headline.summary(conn)
                sites = resolve_sites(conn, None)
                return headline.summary(conn, sites[other % len(sites)][1] if other % 2 else None,
                                       as_of=dt.date(2024, 12, 31) - dt.timedelta(days=45 * other))
            finally:
                conn.close()
    else:
        from resettle.ui import cache as data

        def call(other: int = 0) -> object:
            return _overview_page_data(data.version(), other)
    imported = time.perf_counter() - started
    times = []
    for _ in range(1 + warm_runs):
        t = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t)
    others = []  # other views of the same data: other sites, as-of dates, host countries (nothing is reused
    for other in range(1, warm_runs + 1):  # but the arrays metrics keeps per change counter)
        t = time.perf_counter()
        call(other)
        others.append(time.perf_counter() - t)
    out = {"import_s": imported, "cold_s": times[0], "warm_s": times[1:], "other_views_s": others}
    if workload == "summary":
        out["summary"] = result
    if profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.runcall(call)
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
        out["profile"] = text.getvalue()
    print(json.dumps(out))


def bench_figures(db_path: Path, runs: int, warm_runs: int, profile: bool) -> dict:
    results: dict = {}
    for workload in ("summary", "overview"):
        samples = []
        for i in range(runs):
            def child(i: int = i, workload: str = workload) -> dict:
                cmd = [sys.executable, __file__, "--child-figures", str(db_path), workload, str(warm_runs)]
                return run_command(cmd + (["--profile"] if profile and i == 0 else []))

            result, _ = attempts(child)
            sample = json.loads(result.pop("stdout").strip().splitlines()[-1])
            sample["process"] = result
            samples.append(sample)
            print(f"  {workload} run {i + 1}/{runs}: cold {sample['cold_s'] * 1000:.0f} ms, warm "
                  f"{median(sample['warm_s']) * 1000:.0f} ms, other views "
                  f"{median(sample['other_views_s']) * 1000:.0f} ms (imports {sample['import_s']:.2f} s)", flush=True)
        results[workload] = {
            "cold_ms": round(median([s["cold_s"] for s in samples]) * 1000, 1),
            "warm_ms": round(median([w for s in samples for w in s["warm_s"]]) * 1000, 1),
            "other_views_ms": round(median([w for s in samples for w in s["other_views_s"]]) * 1000, 1),
            "import_s": round(median([s["import_s"] for s in samples]), 3),
            "samples": [{k: v for k, v in s.items() if k != "profile"} for s in samples],
        }
        if profile and samples and "profile" in samples[0]:
            results[workload]["profile"] = samples[0]["profile"]
    return results


# ---------------------------------------------------------------- the dashboard server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def bench_server(db_path: Path) -> dict:
    """The dashboard on the big database: load the overview once in Chromium, then read the server's RSS."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "RESETTLE_DB": str(db_path)}
    cmd = [str(BIN / "streamlit"), "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    wait_quiet()
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = psutil.Process(server.pid)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        browser.wait_healthy(port, server, "the dashboard")
        idle = _tree_rss(proc)
        with sync_playwright() as pw:
            chrome = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chrome.new_page(viewport={"width": 1400, "height": 1000})
            started = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/", timeout=300_000)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=300_000)
            # Streamlit draws in passes: wait until it is idle and the charts stop changing.
            page.wait_for_function(
                """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=300_000)
            charts = page.locator(".js-plotly-plot").count()
            seconds = time.perf_counter() - started
            exceptions = page.locator('[data-testid="stException"]').count()
            chrome.close()
        time.sleep(1.0)  # let the server finish the session's work
        after = _tree_rss(proc)
    finally:
        stop.set()
        sampler.join()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"rss_idle_mb": round(idle / 2**20, 1), "rss_after_load_mb": round(after / 2**20, 1),
            "rss_peak_mb": round(peak[0] / 2**20, 1), "overview_loaded_s": round(seconds, 2),
            "charts": charts, "exceptions": exceptions}


# ---------------------------------------------------------------- the table


def bench_exports(big: Path, work: Path, runs: int) -> dict:
    """The data as XLSX and the bundle, at the big database (a copy: an export opens it for writing)."""
    copy = work / "exports.db"
    shutil.copyfile(big, _fresh(copy))
    out: dict = {}
    for name, args in (("xlsx", ["data", "--format", "xlsx", "--out"]), ("bundle", ["bundle", "--out"])):
        samples = []
        for i in range(runs):
            target = work / f"export-{name}-{i}" / ("bundle.zip" if name == "bundle" else "")
            target.parent.mkdir(parents=True, exist_ok=True)
            result, _ = attempts(lambda args=args, target=target: run_command(
                [str(BIN / "resettle"), "export", *args, str(target), "--db", str(copy)]))
            shutil.rmtree(target.parent if name == "bundle" else target, ignore_errors=True)
            samples.append(result)
            print(f"  export {name} run {i + 1}/{runs}: {result['wall_s']:.2f} s, peak {result['peak_mb']} MB "
                  f"(others' CPU {result['others_cpu_s']:.1f} s)", flush=True)
        out[name] = {"wall_s": median([r["wall_s"] for r in samples]), "peak_mb": max(r["peak_mb"] for r in samples),
                     "cpu_s": median([r["cpu_s"] for r in samples]),
                     "contended_runs": sum(contended(r) for r in samples), "samples": samples}
    _fresh(copy)
    return out


def table(results: dict) -> list[dict]:
    rows: list[dict] = []

    def row(what: str, value, unit: str, target: str, ok: bool | None, note: str = "") -> None:
        rows.append({"what": what, "value": value, "unit": unit, "target": target,
                     "status": "n/a" if ok is None else ("met" if ok else "MISSED"), "note": note})

    imp = results.get("import")
    if imp:
        row(f"import {imp['rows']:,} transfers ({imp['file_mb']} MB CSV), resettle CLI", imp["resettle_s"], "s", "", None,
            f"CPU {imp['resettle_cpu_s']} s; runs crowded by other processes: {imp['contended_runs']}, "
            f"done again: {imp['runs_done_again']}")
        row("  sqlite3 shell .import --csv", imp["sqlite3_s"], "s", "", None)
        row("  sqlite-utils insert --csv", imp["sqlite_utils_s"], "s", "", None)
        row("  resettle / sqlite3 (median of per-run ratios)", round(imp["vs_sqlite3"], 2), "x",
            f"<= {TARGETS['import_vs_sqlite3']}", imp["vs_sqlite3"] <= TARGETS["import_vs_sqlite3"])
        if imp["sqlite_utils_vs"] is not None:
            row("  sqlite-utils / resettle (median of per-run ratios)", round(imp["sqlite_utils_vs"], 1), "x",
                f">= {TARGETS['sqlite_utils_vs_import']}", imp["sqlite_utils_vs"] >= TARGETS["sqlite_utils_vs_import"])
        row("  peak memory of the import", imp["peak_mb"], "MB", f"<= {TARGETS['import_peak_mb']}",
            imp["peak_mb"] <= TARGETS["import_peak_mb"])
        row("  the same rows with case ids (transfers_cases.csv), resettle CLI", imp["cases_s"], "s", "", None,
            f"sqlite3 shell on the same file {imp['cases_sqlite3_s']} s")
        row("  case ids: resettle / sqlite3 (median of per-run ratios)", round(imp["cases_vs_sqlite3"], 2), "x",
            f"<= {TARGETS['import_cases_vs_sqlite3']}", imp["cases_vs_sqlite3"] <= TARGETS["import_cases_vs_sqlite3"])
        row("  case ids: peak memory of the import", imp["cases_peak_mb"], "MB", f"<= {TARGETS['import_peak_mb']}",
            imp["cases_peak_mb"] <= TARGETS["import_peak_mb"])
    fig = results.get("figures")
    if fig:
        for workload, label in (("summary", "headline figures, all sites (headline.summary)"),
                                ("overview", "overview page data (figures + every chart's data)")):
            f = fig[workload]
            row(f"{label}, warm", f["warm_ms"], "ms", f"<= {TARGETS['figures_warm_ms']}",
                f["warm_ms"] <= TARGETS["figures_warm_ms"])
            if "other_views_ms" in f:
                row(f"{label}, warm, another view each time (sites, as-of date, host country)", f["other_views_ms"],
                    "ms", f"<= {TARGETS['figures_warm_ms']}", f["other_views_ms"] <= TARGETS["figures_warm_ms"])
            row(f"{label}, cold", f["cold_ms"], "ms", f"<= {TARGETS['figures_cold_ms']}",
                f["cold_ms"] <= TARGETS["figures_cold_ms"], f"+ {f['import_s']:.2f} s of imports in a new process")
    srv = results.get("server")
    if srv:
        row("dashboard server RSS after loading the overview", srv["rss_after_load_mb"], "MB",
            f"<= {TARGETS['server_rss_mb']}", srv["rss_after_load_mb"] <= TARGETS["server_rss_mb"],
            f"peak {srv['rss_peak_mb']} MB; idle {srv['rss_idle_mb']} MB; overview drawn in "
            f"{srv['overview_loaded_s']} s ({srv['charts']} charts, {srv['exceptions']} exceptions)")
    for extra in results.get("browser", []):
        rows.extend(extra)
    if not results.get("browser"):
        row("Chromium: overview vs one-chart floor page; filter change; PNG/SVG exports", "not run", "", "", None,
            "in this run: --only without browser")
    rows.extend(results.get("pages", []))
    rows.extend(results.get("load", []))
    exports = results.get("exports")
    if exports:
        for name, label, target in (("xlsx", "export the data as XLSX, resettle CLI", "export_xlsx_s"),
                                    ("bundle", "export the bundle, resettle CLI", "export_bundle_s")):
            e = exports[name]
            row(label, e["wall_s"], "s", f"<= {TARGETS[target]}", e["wall_s"] <= TARGETS[target],
                f"CPU {e['cpu_s']} s; runs crowded by other processes: {e['contended_runs']}")
            row(f"  peak memory of the {name} export", e["peak_mb"], "MB", f"<= {TARGETS['export_peak_mb']}",
                e["peak_mb"] <= TARGETS["export_peak_mb"])
    return rows


def markdown(rows: list[dict], info: dict) -> str:
    m = info["machine"]
    lines = [
        f"Measured {info['finished'][:16].replace('T', ' ')} UTC on {m['nproc']} cores ({m['cpu']}), "
        f"{m['ram_gib']} GiB RAM, Python {m['python']}, SQLite {m['sqlite_python']} (shell {m['sqlite_shell']}); "
        f"medians of {info['params']['runs']} runs (sqlite-utils: {info['params']['sqlite_utils_runs']}).",
        "",
        "| measurement | value | target | |",
        "|---|---:|---|---|",
    ]
    for r in rows:
        value = f"{r['value']} {r['unit']}".strip() if not isinstance(r["value"], str) else r["value"]
        what = r["what"].replace("  ", "&nbsp;&nbsp;", 1) if r["what"].startswith("  ") else r["what"]
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {what}{note} | {value} | {r['target']} | {r['status'] if r['status'] != 'n/a' else ''} |")
    return "\n".join(lines)


def print_table(rows: list[dict]) -> None:
    width = max(len(r["what"]) for r in rows)
    for r in rows:
        value = f"{r['value']} {r['unit']}".strip()
        status = "" if r["status"] == "n/a" else r["status"]
        print(f"{r['what']:<{width}}  {value:>18}  {r['target']:<10} {status:<6} {r['note']}")


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text()
    if README_START not in content or README_END not in content:
        print("README.md has no benchmark markers: not updated")
        return
    head, rest = content.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{text}\n{README_END}{tail}")
    print("README.md: Performance table updated")


def main() -> None:
    global QUIET_WAIT, RETRIES
    if len(sys.argv) > 1 and sys.argv[1] == "--child-figures":
        figures_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), "--profile" in sys.argv)
        return
    parser = argparse.ArgumentParser(description="resettle's benchmarks at operational scale (issue 6)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median reported)")
    parser.add_argument("--sqlite-utils-runs", type=int, default=3, help="runs of sqlite-utils (about 30 s each)")
    parser.add_argument("--warm-runs", type=int, default=5, help="warm calls per figures process")
    parser.add_argument("--only", default="import,figures,server,browser,pages,load,exports",
                        help="comma-separated: import, figures, server, browser, pages (every page at 1M "
                             "against the floor page, and the server's CPU per visit), load (sessions opening "
                             "the Overview at once), exports (XLSX and the bundle at 1M)")
    parser.add_argument("--visits", type=int, default=page_visits.VISITS,
                        help="visits of each page for the server's CPU per visit (pages)")
    parser.add_argument("--sessions", type=int, default=load.SESSIONS,
                        help="sessions opening the Overview at once (load)")
    parser.add_argument("--work-dir", type=Path, default=DATA,
                        help="where the runs' temporary databases go (default: beside the data)")
    parser.add_argument("--profile", action="store_true", help="add cProfile output of the figures to the JSON")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md's Performance section")
    parser.add_argument("--quiet-wait", type=float, default=QUIET_WAIT,
                        help="seconds at most to wait for a quiet machine before each timed run")
    parser.add_argument("--retries", type=int, default=RETRIES,
                        help="times a run crowded out by other processes is done again")
    args = parser.parse_args()
    QUIET_WAIT, RETRIES = args.quiet_wait, args.retries
    browser.QUIET_WAIT = QUIET_WAIT
    only = set(args.only.split(","))

    info: dict = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
                  "git": git_state(), "load_average_start": os.getloadavg(),
                  "params": {"runs": args.runs, "sqlite_utils_runs": args.sqlite_utils_runs,
                             "warm_runs": args.warm_runs, "visits": args.visits, "sessions": args.sessions,
                             "only": sorted(only)}}
    manifest = ensure_data()
    info["data"] = {"version": manifest["version"], "seed": manifest["seed"],
                    "files": {k: {"rows": v["rows"], "mb": round(v["bytes"] / 1e6, 1)} for k, v in manifest["files"].items()}}
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="resettle-bench-", dir=args.work_dir) as tmp:
        work = Path(tmp)
        if "import" in only:
            print("import: 1,000,000 transfer rows", flush=True)
            results["import"] = bench_import(work, args.runs, min(args.sqlite_utils_runs, args.runs))
        big = DATA / "big.db"
        if only & {"figures", "server"} or (only & {"browser", "pages", "load", "exports"} and not big.exists()):
            print(f"building {big}", flush=True)
            results["big_db_imports"] = build_big_db(big)
        if "figures" in only:
            print("figures", flush=True)
            results["figures"] = bench_figures(big, args.runs, args.warm_runs, args.profile)
        if "server" in only:
            print("dashboard server", flush=True)
            results["server"] = bench_server(big)
        if "browser" in only:
            for measure in BROWSER_TIMINGS:
                print(f"browser: {measure.__name__}", flush=True)
                results.setdefault("browser", []).append(measure(big, args.runs))
        if "pages" in only:
            print("browser: every page at 1M against the floor page, first visits on a warm server", flush=True)
            results["pages"] = page_visits.every_page(big, args.runs, args.work_dir)
            print(f"browser: the server's CPU per visit of every page ({args.visits} visits each)", flush=True)
            results["pages"] += page_visits.server_cpu(big, args.visits, args.work_dir)
            results["pages_samples"] = page_visits.RAW
        if "load" in only:
            print(f"load: {args.sessions} sessions open the Overview at once", flush=True)
            results["load"] = load.overview_load(big, args.runs, args.sessions, args.work_dir)
            results["load_samples"] = load.RAW
        if "browser" in only:
            results["browser_samples"] = browser.RAW
        if "exports" in only:
            print("exports: the data as XLSX and the bundle at 1M", flush=True)
            results["exports"] = bench_exports(big, work, args.runs)
    info["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    info["load_average_end"] = os.getloadavg()
    rows = table(results)
    print()
    print_table(rows)
    out = {**info, "results": results, "table": rows, "markdown": markdown(rows, info)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = info["started"].replace(":", "").replace("-", "")[:15]
    for path in (RESULTS / "latest.json", RESULTS / f"run-{stamp}.json"):
        path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"\nwritten: {RESULTS / 'latest.json'}")
    if args.readme:
        update_readme(out["markdown"])


if __name__ == "__main__":
    main()
