"""The dashboard as a person gets it: `streamlit run dashboard.py` on a loopback port, in its own process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds; a first start takes about 3 s here, more on a loaded CI machine
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Dashboard:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    db_path: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve(db_path: Path, log_path: Path) -> Iterator[Dashboard]:
    """Start the dashboard on `db_path`, wait until it answers, and stop it (and only it) afterwards."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py",
           "--server.address", HOST, "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false",
           # Colleagues edit the pages while the suite runs: a watched file changing would rerun a page mid-test.
           "--server.fileWatcherType", "none"]
    env = {**os.environ, "RESETTLE_DB": str(db_path)}
    env.pop("RESETTLE_READ_ONLY", None)
    with open(log_path, "wb") as log:
        # Its own session (process group), so stopping it reaches anything it started and nothing else.
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited with status {proc.returncode}:\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not answer at {url} within {START_TIMEOUT:.0f} s:\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield Dashboard(url, db_path, log_path)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it lingers; always reaped."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # a straggler of the group, should the server have left one
    proc.wait()


def summary(db_path: Path, *args: str) -> dict:
    """`resettle summary --json` for the database, run as a person would run it."""
    import json

    script = Path(sys.executable).with_name("resettle")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from resettle.cli import main; main()"]
    done = subprocess.run([*cmd, "summary", "--json", "--db", str(db_path), *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
