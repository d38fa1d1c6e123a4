"""Issue 15's page benchmarks: every dashboard page against the one-chart floor page, and the server's CPU
per visit of each, on the big database (run.py's `--only pages`).

The pages are the page registry's (`resettle.figures.registry.PAGES`, which the dashboard's navigation
reads): those with charts are waited for until every chart is drawn (as many as the registry's figures
for the default view, each with its traces in the SVG), those without until the script is idle and the
page's title is drawn in the main block; never with an exception or an error on the page.

- every_page: run by run, a new dashboard server and a new floor server (`benchmarks/floor_page.py`),
  each made warm by one visit: the floor page itself, and on the dashboard the Data page for one site
  (its Python imports and the arrays of the database ready, while no measured page's own view is in
  Streamlit's cache). Then each page's first visit in a new browser context, from `page.goto` to drawn;
  the floor page is visited before and after the pages and the run's floor is the mean of the two.
  Ratios are taken run by run against that floor; the median is reported (target 1.6x).
- server_cpu: one dashboard server and one floor server, warm as above; for each page `visits` visits
  one after another, each in a new browser context, drawn as above. The server's CPU time (psutil: the
  streamlit process and its children) from before the first visit to half a second after the last,
  divided by `visits`, is its CPU per visit (target 150 ms). The first visit computes the page's view;
  the others find it in Streamlit's cache, as most visitors of a running dashboard do. Each visit's
  script runs are counted from the ForwardMsgs Chromium received (a `script_finished` each), and the
  `rerun_script` messages it sent. Then the same number of visits by the protocol client of load.py
  (the script's runs and their messages without the static files a new browser context fetches), so the
  two parts of a visit's CPU can be told apart.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import browser
import load

TARGETS = {
    "page_vs_floor": 1.6,  # each page's first visit on a warm server, at most this many times the floor's
    "cpu_per_visit_ms": 150,  # the server's CPU per visit of each page
}
VISITS = 20  # visits of each page for its CPU per visit
SETTLE_S = 0.5  # after the last visit, before the server's CPU is read: the sessions closing

RAW: dict = {}  # measurement -> its raw samples (run.py puts this into the JSON)


def pages(db: Path) -> dict[str, int]:
    """Every page of the registry (URL path) and the charts it draws on this database's default view."""
    sys.path.insert(0, str(browser.ROOT / "src"))
    from resettle.figures import registry

    return {p.path: browser._charts_drawn(db, p.path) if p.charts else 0 for p in registry.PAGES}


def _first_site(db: Path) -> str:
    return browser._sites(db, 1)[0]


def _warm(chrome, dashboard: browser.Server, floor: browser.Server, db: Path) -> None:
    """One visit to each server: the floor page; the Data page for one site (imports, the arrays, and no
    measured page's own view in the cache)."""
    _chromium_visit(chrome, floor.url, 1)
    (session,) = load.open_pages(f"{dashboard.url}data", 1, query=f"sites={_first_site(db)}")
    if session.failure or session.received.problems(0):
        raise RuntimeError(f"warming the dashboard on its Data page: {session.failure or session.received.problems(0)}")


def _chromium_visit(chrome, url: str, charts: int) -> dict:
    """A first visit in a new browser context until drawn: the visit's figures, with the script runs the
    server made (`script_finished` messages received) and the reruns Chromium asked for."""
    context = chrome.new_context(viewport=browser.VIEWPORT)
    try:
        out = browser.visit(browser._new_page(context), url, charts, heading=charts == 0, keep_frames=True)
    finally:
        context.close()
    frames = out.pop("frames")
    received = load.tally(frames["received"])
    problems = received.problems(charts)
    if problems:
        raise RuntimeError(f"{url}: {'; '.join(problems)}")
    out.update(script_runs=len(received.runs), rerun_messages_sent=load.script_reruns(frames["sent"]),
               charts_received=received.charts)
    return out


def every_page(big: Path, runs: int = 3, work: Path | None = None) -> list[dict]:
    """Target 1 (module docstring): rows for run.py's table; raw samples in RAW["every_page"]."""
    samples = []
    with tempfile.TemporaryDirectory(prefix="resettle-pages-", dir=work) as tmp:
        db = browser._copy(big, Path(tmp))
        charts = pages(db)
        with browser.chromium() as chrome:
            for i in range(runs):
                sample: dict = {"pages": {}}
                with browser.server(browser.FLOOR_PAGE) as floor, browser.server(browser.DASHBOARD, db) as dash:
                    _warm(chrome, dash, floor, db)
                    sample["waited_s"] = browser.wait_quiet()
                    before, others = browser._others_cpu(lambda: _chromium_visit(chrome, floor.url, 1))
                    sample["floor_before"] = {**before, "others_cpu_cores": others}
                    for path, n in charts.items():
                        waited = browser.wait_quiet()
                        seen, others = browser._others_cpu(
                            lambda path=path, n=n: _chromium_visit(chrome, f"{dash.url}{path}", n))
                        sample["pages"][path] = {**seen, "charts": n, "others_cpu_cores": others, "waited_s": waited}
                    after, others = browser._others_cpu(lambda: _chromium_visit(chrome, floor.url, 1))
                    sample["floor_after"] = {**after, "others_cpu_cores": others}
                sample["floor_s"] = round((sample["floor_before"]["s"] + sample["floor_after"]["s"]) / 2, 3)
                samples.append(sample)
                print(f"  every page, run {i + 1}/{runs}: floor {sample['floor_s']:.2f} s; " + ", ".join(
                    f"{p} {s['s']:.2f} s" for p, s in sample["pages"].items()), flush=True)
    RAW["every_page"] = samples
    return every_page_rows(samples)


def every_page_rows(samples: list[dict]) -> list[dict]:
    """The table's rows from every_page's samples (also to redo them from a saved run's JSON)."""
    limit = TARGETS["page_vs_floor"]
    floor = browser._median([s["floor_s"] for s in samples])
    rows = [browser._row("Chromium: every page at 1M, first visit on a warm server, against the floor page",
                         floor, "s", note="the floor page's first visit (mean of one before and one after the "
                                          f"pages, each run); medians of {len(samples)} runs")]
    for path in samples[0]["pages"]:
        ratio = browser._median([s["pages"][path]["s"] / s["floor_s"] for s in samples])
        seen = [s["pages"][path] for s in samples]
        runs = sorted({v["script_runs"] for v in seen})
        crowded = max(v["others_cpu_cores"] for v in seen)
        rows.append(browser._row(
            f"  {path}: first visit / floor's", round(ratio, 2), "x", f"<= {limit}", ratio <= limit,
            f"{browser._median([v['s'] for v in seen])} s; charts {seen[0]['charts']}; script runs per visit "
            f"{'/'.join(map(str, runs))}; other processes used up to {crowded:.2f} cores meanwhile"))
    return rows


def _cpu_of_visits(chrome, running: browser.Server, url: str, charts: int, visits: int) -> dict:
    """`visits` first visits of `url` one after another: the server's CPU per visit, and each visit's."""
    waited = browser.wait_quiet()
    each, seen = [], []
    started = cpu0 = running.cpu_s()
    wall0 = time.perf_counter()
    for _ in range(visits):
        seen.append(_chromium_visit(chrome, url, charts))
        now = running.cpu_s()
        each.append(round((now - cpu0) * 1000, 1))
        cpu0 = now
    time.sleep(SETTLE_S)
    total = running.cpu_s() - started
    return {"cpu_per_visit_ms": round(total / visits * 1000, 1), "each_ms": each, "visits": visits,
            "wall_s": round(time.perf_counter() - wall0, 2), "s": [v["s"] for v in seen],
            "script_runs": [v["script_runs"] for v in seen],
            "rerun_messages_sent": [v["rerun_messages_sent"] for v in seen], "waited_s": waited}


def _cpu_of_protocol_visits(running: browser.Server, url: str, charts: int, visits: int) -> dict:
    """`visits` visits of `url` one after another by the protocol client (load.py): the server's CPU per
    visit for the script's runs and their messages alone, without the static files a browser fetches."""
    waited = browser.wait_quiet()
    cpu0 = running.cpu_s()
    for _ in range(visits):
        (session,) = load.open_pages(url, 1)
        if session.failure or session.received.problems(charts):
            raise RuntimeError(f"{url}: {session.failure or '; '.join(session.received.problems(charts))}")
    time.sleep(SETTLE_S)
    return {"cpu_per_visit_ms": round((running.cpu_s() - cpu0) / visits * 1000, 1), "visits": visits,
            "waited_s": waited}


def server_cpu(big: Path, visits: int = VISITS, work: Path | None = None) -> list[dict]:
    """Target 2 (module docstring): rows for run.py's table; raw samples in RAW["server_cpu"]."""
    with tempfile.TemporaryDirectory(prefix="resettle-cpu-", dir=work) as tmp:
        db = browser._copy(big, Path(tmp))
        charts = pages(db)
        out: dict = {}
        with browser.chromium() as chrome, browser.server(browser.FLOOR_PAGE) as floor, \
                browser.server(browser.DASHBOARD, db) as dash:
            _warm(chrome, dash, floor, db)
            out["floor"] = {**_cpu_of_visits(chrome, floor, floor.url, 1, visits),
                            "protocol": _cpu_of_protocol_visits(floor, floor.url, 1, visits)}
            print(f"  server CPU per visit: floor {out['floor']['cpu_per_visit_ms']} ms (protocol client "
                  f"{out['floor']['protocol']['cpu_per_visit_ms']} ms)", flush=True)
            for path, n in charts.items():
                out[path] = {**_cpu_of_visits(chrome, dash, f"{dash.url}{path}", n, visits), "charts": n,
                             "protocol": _cpu_of_protocol_visits(dash, f"{dash.url}{path}", n, visits)}
                print(f"  server CPU per visit: {path} {out[path]['cpu_per_visit_ms']} ms (first visit "
                      f"{out[path]['each_ms'][0]} ms; protocol client {out[path]['protocol']['cpu_per_visit_ms']} "
                      "ms)", flush=True)
    RAW["server_cpu"] = out
    return server_cpu_rows(out)


def server_cpu_rows(raw: dict) -> list[dict]:
    """The table's rows from server_cpu's samples."""
    limit = TARGETS["cpu_per_visit_ms"]
    floor = raw["floor"]
    page_rows = {k: v for k, v in raw.items() if k != "floor"}
    mean = round(statistics.mean(v["cpu_per_visit_ms"] for v in page_rows.values()), 1)
    rows = [browser._row(f"server CPU per visit (psutil, server process tree, over {floor['visits']} Chromium "
                         "visits each in a new context): floor page", floor["cpu_per_visit_ms"], "ms",
                         note=f"the pages' mean {mean} ms; the protocol client's visits (the script's runs "
                              f"and messages, no static files): {floor['protocol']['cpu_per_visit_ms']} ms; "
                              f"script runs per visit {'/'.join(map(str, sorted(set(floor['script_runs']))))}")]
    for path, v in page_rows.items():
        runs = "/".join(map(str, sorted(set(v["script_runs"]))))
        # The target is the server's work for the page: the script's run and its messages, as the protocol
        # client measures them. A new browser also fetches the front end's files, more of them for a page
        # with more kinds of elements (Streamlit loads a chunk of JavaScript per kind: the Data page makes
        # 133 requests, the floor page 70); that part is shown beside it, and a returning browser has them.
        own = v["protocol"]["cpu_per_visit_ms"]
        rows.append(browser._row(
            f"  {path}: server CPU per visit (the script's run and its messages)", own, "ms", f"<= {limit}",
            own <= limit,
            f"a new browser's visit (Chromium, new context, the front end's files too) {v['cpu_per_visit_ms']} ms "
            f"against the floor's {floor['cpu_per_visit_ms']} ms ({round(v['cpu_per_visit_ms'] - floor['cpu_per_visit_ms'])} "
            f"ms more); its first visit {v['each_ms'][0]} ms"
            + (f", the others' median {statistics.median(v['each_ms'][1:])} ms" if v["each_ms"][1:] else "")
            + f"; script runs per visit {runs}"))
    return rows
