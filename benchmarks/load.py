"""Issue 15's load benchmark: many sessions opening the Overview at once, through Streamlit's own protocol.

A browser spends far more CPU drawing a page than the server spends running it, so twenty Chromium pages
on this 2-core machine would measure the browsers. Instead each session here is a client that speaks
Streamlit's websocket protocol as the browser does: it connects to `ws://host:port/_stcore/stream`
(subprotocol "streamlit", the page's origin), sends the one `BackMsg` a browser sends on opening a page
(`rerun_script`: a `ClientState` with the page's name, the query string, no widget state and the
browser's context), and reads `ForwardMsg`s until the script has finished. What it received is counted
(elements by kind, plotly charts, exceptions and error alerts) and checked against what Chromium receives
for the same page over its own websocket (`same_as_browser`).

- overview_load: one dashboard server on a copy of the big database, made warm by one visit (imports,
  the arrays of the database); then, run by run, `sessions` clients open the Overview at the same moment.
  Each session's wait is from its connection to its script finished; it is served if the script
  finished with every Overview chart received and no exception or error. The server's CPU time
  (psutil: the streamlit process and its children) over the run, divided by the sessions, is the CPU per
  visit; its resident memory (the same tree) is sampled every 100 ms for the peak. Beside it, one
  session at a time: the protocol client's CPU per visit against a Chromium visit's (a new browser
  context each), so the two can be compared.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import browser

TARGETS = {
    "served": 1.0,  # the share of sessions served: every one
    "cpu_per_visit_ms": 150,  # the server's CPU per visit
    "server_peak_mb": 600,  # the server's resident memory at its peak, during the load
}
SESSIONS = 20
TIMEOUT_S = 300.0  # a session that has not finished by then has failed
SAMPLE_EVERY_S = 0.1  # the server's memory is sampled this often

RAW: dict = {}  # measurement -> its raw samples (run.py puts this into the JSON)


# ---------------------------------------------------------------- the protocol


def rerun_message(url: str, query: str = ""):
    """The BackMsg a browser sends when it opens `url` (`http://host:port/<page>`): `rerun_script` with the
    page's name as the URL has it (no page script hash: the server finds the page by name), the query
    string, no widget state, and the browser's context (time zone, locale, the URL, light theme), as
    Chromium sends it here."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ClientState_pb2 import ContextInfo

    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_name = urlsplit(url).path.strip("/")
    state.widget_states.SetInParent()
    state.context_info.CopyFrom(ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US",
                                            url=url + (f"?{query}" if query else ""), is_embedded=False,
                                            color_scheme="light"))
    return msg


@dataclass
class Received:
    """What a session received from the server: elements by kind (the last run's), plotly charts, the
    exceptions and error alerts' texts, and how the script runs ended."""

    elements: Counter = field(default_factory=Counter)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # each script_finished's status, in order
    messages: int = 0
    bytes: int = 0
    references: int = 0  # messages sent as a reference to one the client has cached (none expected)
    page_not_found: bool = False

    @property
    def charts(self) -> int:
        return self.elements["plotly_chart"]

    @property
    def finished(self) -> bool:
        """The script's run is over (a run that ended early for a rerun is followed by another)."""
        return bool(self.runs) and self.runs[-1] in ("FINISHED_SUCCESSFULLY", "FINISHED_WITH_COMPILE_ERROR")

    def add(self, payload: bytes) -> None:
        """Read one ForwardMsg (a websocket frame's bytes)."""
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg.FromString(payload)
        self.messages += 1
        self.bytes += len(payload)
        if msg.ref_hash:
            self.references += 1
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.elements.clear()  # a new run draws the page again: count the last run's elements
            self.exceptions.clear()
            self.errors.clear()
        elif kind == "script_finished":
            self.runs.append(ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished))
        elif kind == "page_not_found":
            self.page_not_found = True
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.exceptions.append(msg.session_event.script_compilation_exception.message)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            self.elements[what] += 1
            if what == "exception":
                self.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
            elif what == "alert" and element.alert.format == Alert.ERROR:
                self.errors.append(element.alert.body[:300])

    def problems(self, charts: int) -> list[str]:
        """Why this is not the page served whole with `charts` charts (nothing: it is)."""
        out = [f"exception: {e}" for e in self.exceptions] + [f"error: {e}" for e in self.errors]
        if self.page_not_found:
            out.append("page not found")
        if not self.finished:
            out.append(f"script not finished (runs: {self.runs})")
        if self.charts != charts:
            out.append(f"{self.charts} charts received, {charts} expected")
        if self.references:
            out.append(f"{self.references} messages sent as references to a cache the client does not have")
        return out

    def summary(self) -> dict:
        return {"elements": dict(sorted(self.elements.items())), **{k: v for k, v in asdict(self).items()
                                                                    if k != "elements"}}


def tally(payloads: Iterable[bytes]) -> Received:
    """What a stream of ForwardMsg frames (a session's, in order) brought."""
    received = Received()
    for payload in payloads:
        received.add(payload)
    return received


def script_reruns(sent: Iterable[bytes]) -> int:
    """How many `rerun_script` BackMsgs a client sent (a browser sends one on opening a page, and another
    whenever a widget's first value makes the page run again)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    return sum(BackMsg.FromString(p if isinstance(p, bytes) else p.encode()).WhichOneof("type") == "rerun_script"
               for p in sent)


@dataclass
class Session:
    """One protocol client's visit: seconds from connecting to its script finished, what it received."""

    url: str
    connect_s: float | None = None
    waited_s: float | None = None
    received: Received = field(default_factory=Received)
    failure: str | None = None  # the exception that ended it (a refused connection, a timeout)


async def open_page(url: str, query: str = "", timeout: float = TIMEOUT_S) -> Session:
    """Open the page at `url` (`http://host:port/<page>`) as a browser does, over Streamlit's websocket, and
    read until its script has finished. Never raises: a failure is recorded in the Session."""
    import websockets

    parts = urlsplit(url)
    session = Session(url)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with websockets.connect(f"ws://{parts.netloc}/_stcore/stream", subprotocols=["streamlit"],
                                          origin=f"http://{parts.netloc}", max_size=None, ping_interval=None,
                                          compression=None) as ws:
                session.connect_s = round(time.perf_counter() - started, 3)
                await ws.send(rerun_message(url, query).SerializeToString())
                while not session.received.finished:
                    session.received.add(await ws.recv())
                session.waited_s = round(time.perf_counter() - started, 3)
    except Exception as exc:  # a failed session is a result to report, not a crash of the benchmark
        session.failure = f"{type(exc).__name__}: {exc}".rstrip(": ")[:300]
    return session


async def _open_many(url: str, sessions: int, query: str) -> list[Session]:
    return list(await asyncio.gather(*(open_page(url, query) for _ in range(sessions))))


def open_pages(url: str, sessions: int = 1, query: str = "") -> list[Session]:
    """`sessions` clients opening `url` (with the query string `query`) at the same moment; each one's
    Session. (In a thread of its own: Playwright's sync API keeps an event loop running in this one.)"""
    out: list[Session] = []
    thread = threading.Thread(target=lambda: out.extend(asyncio.run(_open_many(url, sessions, query))))
    thread.start()
    thread.join()
    return out


# ---------------------------------------------------------------- measuring


class MemoryPeak:
    """The server's resident memory (its process tree), sampled every SAMPLE_EVERY_S while the block runs."""

    def __init__(self, running: browser.Server) -> None:
        self.running = running
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.running.rss())
            self.samples += 1
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.running.rss())


def _settle(seconds: float = 0.5) -> None:
    """Let the server finish what a visit left behind (sessions closing) before its CPU is read."""
    time.sleep(seconds)


def one_load(running: browser.Server, url: str, sessions: int, charts: int) -> dict:
    """`sessions` protocol clients at once: who was served, each one's wait, the server's CPU and memory."""
    waited = browser.wait_quiet()
    cpu0 = running.cpu_s()
    started = time.perf_counter()
    with MemoryPeak(running) as memory:
        results = open_pages(url, sessions)
        wall = time.perf_counter() - started
        _settle()
    cpu = running.cpu_s() - cpu0
    failed = [{"session": i, "why": r.failure or "; ".join(r.received.problems(charts))}
              for i, r in enumerate(results) if r.failure or r.received.problems(charts)]
    waits = [r.waited_s for r in results if r.waited_s is not None]
    return {"sessions": sessions, "served": sessions - len(failed), "failed": failed,
            "waits_s": waits, "wait_median_s": round(statistics.median(waits), 3) if waits else None,
            "wait_max_s": max(waits) if waits else None, "wall_s": round(wall, 3),
            "server_cpu_s": round(cpu, 3), "cpu_per_visit_ms": round(cpu / sessions * 1000, 1),
            "server_peak_mb": round(memory.peak / 2**20, 1), "memory_samples": memory.samples,
            "script_runs": sorted(Counter(len(r.received.runs) for r in results).items()),
            "ws_kb_per_session": round(statistics.median(r.received.bytes for r in results) / 1024, 1),
            "waited_quiet_s": waited}


def single_visits(running: browser.Server, chrome, url: str, charts: int, visits: int) -> dict:
    """One visit at a time, each measured alone: the server's CPU for a protocol client's visit, and for a
    Chromium visit (a new browser context each), `visits` of each, alternating."""
    protocol, chromium = [], []
    browser.wait_quiet()
    for _ in range(visits):
        cpu0 = running.cpu_s()
        (session,) = open_pages(url, 1)
        _settle()
        protocol.append(round((running.cpu_s() - cpu0) * 1000, 1))
        if session.failure or session.received.problems(charts):
            raise RuntimeError(f"{url}: {session.failure or session.received.problems(charts)}")
        context = chrome.new_context(viewport=browser.VIEWPORT)
        try:
            cpu0 = running.cpu_s()
            browser.visit(browser._new_page(context), url, charts)
        finally:
            context.close()
        _settle()
        chromium.append(round((running.cpu_s() - cpu0) * 1000, 1))
    return {"protocol_ms": protocol, "chromium_ms": chromium,
            "protocol_median_ms": statistics.median(protocol), "chromium_median_ms": statistics.median(chromium)}


def same_as_browser(running: browser.Server, chrome, url: str, charts: int) -> dict:
    """What Chromium receives for the page over its websocket against what the protocol client receives:
    the elements by kind must be the same, with every chart and no exception."""
    context = chrome.new_context(viewport=browser.VIEWPORT)
    try:
        seen = browser.visit(browser._new_page(context), url, charts, keep_frames=True)
    finally:
        context.close()
    frames = seen.pop("frames")
    in_browser = tally(frames["received"])
    (session,) = open_pages(url, 1)
    if session.failure:
        raise RuntimeError(f"the protocol client failed on {url}: {session.failure}")
    ours = session.received
    return {"same": in_browser.elements == ours.elements and not in_browser.problems(charts)
            and not ours.problems(charts),
            "browser": {**in_browser.summary(), "rerun_messages_sent": script_reruns(frames["sent"])},
            "protocol": ours.summary()}


def overview_load(big: Path, runs: int = 3, sessions: int = SESSIONS, work: Path | None = None,
                  single: int = 5) -> list[dict]:
    """The load benchmark (module docstring): rows for run.py's table; raw samples in RAW["load"]."""
    with tempfile.TemporaryDirectory(prefix="resettle-load-", dir=work) as tmp:
        db = browser._copy(big, Path(tmp))
        charts = browser._charts_drawn(db, "overview")
        with browser.chromium() as chrome, browser.server(browser.DASHBOARD, db) as running:
            url = f"{running.url}overview"
            (warm,) = open_pages(url, 1)  # imports and the database's arrays made ready: the server is warm
            if warm.failure or warm.received.problems(charts):
                raise RuntimeError(f"{url}: {warm.failure or warm.received.problems(charts)}")
            parity = same_as_browser(running, chrome, url, charts)
            print(f"  load: the protocol client receives what Chromium does: {parity['same']} "
                  f"({sum(parity['protocol']['elements'].values())} elements, {charts} charts)", flush=True)
            alone = single_visits(running, chrome, url, charts, single)
            print(f"  load: one visit at a time, server CPU: protocol client {alone['protocol_median_ms']} ms, "
                  f"Chromium {alone['chromium_median_ms']} ms", flush=True)
            samples = []
            for i in range(runs):
                sample = one_load(running, url, sessions, charts)
                samples.append(sample)
                print(f"  load, run {i + 1}/{runs}: {sample['served']}/{sessions} served, wait median "
                      f"{sample['wait_median_s']} s, max {sample['wait_max_s']} s, CPU per visit "
                      f"{sample['cpu_per_visit_ms']} ms, memory peak {sample['server_peak_mb']} MB", flush=True)
    RAW["load"] = {"charts": charts, "same_as_browser": parity, "single_visits": alone, "runs": samples}
    return load_rows(RAW["load"])


def load_rows(raw: dict) -> list[dict]:
    """The table's rows from overview_load's raw samples (also to redo them from a saved run's JSON)."""
    runs = raw["runs"]
    sessions = runs[0]["sessions"]
    served = min(r["served"] for r in runs)
    failed = sum(len(r["failed"]) for r in runs)
    why = [f["why"] for r in runs for f in r["failed"]]
    cpu = statistics.median(r["cpu_per_visit_ms"] for r in runs)
    peak = max(r["server_peak_mb"] for r in runs)
    wait = statistics.median(r["wait_median_s"] for r in runs if r["wait_median_s"] is not None)
    wait_max = max(r["wait_max_s"] for r in runs if r["wait_max_s"] is not None)
    alone, parity = raw["single_visits"], raw["same_as_browser"]
    elements = sum(parity["protocol"]["elements"].values())
    row = browser._row
    return [
        row(f"load: {sessions} sessions open the Overview at once (Streamlit's websocket protocol), served",
            f"{served}/{sessions}", "", "all", served == sessions,
            f"fewest served in a run of {len(runs)}; failed in all runs: {failed}"
            + (f" (the first: {why[0]})" if why else "")),
        row("  time each session waited, connection to script finished: median", round(wait, 3), "s",
            note=f"longest {wait_max} s; a run's {sessions} sessions in {statistics.median(r['wall_s'] for r in runs)} s"),
        row("  server CPU per visit under load", round(cpu, 1), "ms", f"<= {TARGETS['cpu_per_visit_ms']}",
            cpu <= TARGETS["cpu_per_visit_ms"], "the server's process tree CPU over the run / sessions"),
        row("  server memory peak under load (tree RSS every 100 ms)", peak, "MB", f"<= {TARGETS['server_peak_mb']}",
            peak <= TARGETS["server_peak_mb"], "the highest of the runs"),
        row("  one visit at a time, server CPU: protocol client", alone["protocol_median_ms"], "ms",
            note=f"a Chromium visit (new context): {alone['chromium_median_ms']} ms; the client receives what "
                 f"Chromium does: {'yes' if parity['same'] else 'NO'} ({elements} elements, {raw['charts']} charts, "
                 f"Chromium sent {parity['browser']['rerun_messages_sent']} rerun message(s))"),
    ]
