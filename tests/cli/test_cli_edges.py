"""The command line's edges: where the database is looked for, a reader refusing a missing one, output into
a pipe whose reader stops, and what `resettle serve` hands Streamlit."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from conftest import run_cli

from resettle import cli as cli_module
from resettle.cli import cli
from resettle.ingest import review

ROOT = Path(__file__).resolve().parents[2]
RESETTLE = [sys.executable, "-m", "resettle"]

# Every command that only reads, with the arguments it needs besides --db.
READERS = {
    "summary": ["summary"],
    "batches": ["batches"],
    "audit": ["audit"],
    "backup": ["backup", "copy.db"],
    "export charts": ["export", "charts", "--format", "svg", "--out", "charts"],
    "export data": ["export", "data", "--format", "csv", "--out", "data"],
    "export report": ["export", "report", "--out", "report.html"],
    "export bundle": ["export", "bundle", "--out", "bundle.zip"],
    "mappings list": ["mappings", "list"],
    "mappings show": ["mappings", "show", "tirana"],
    "history": ["history", "population", "1"],
}


def test_every_reading_command_is_listed():
    groups = {name: c for name, c in cli.commands.items() if hasattr(c, "commands")}
    commands = {name for name in cli.commands if name not in groups}
    commands |= {f"{g} {name}" for g, group in groups.items() for name in group.commands}
    writers = {"init", "demo", "import", "undo", "serve", "hash-password", "mappings delete", "add", "edit", "delete"}
    assert commands - writers == set(READERS)


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_reading_command_refuses_a_missing_database(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*READERS[name], "--db", "typo.db")
    assert result.exit_code == 2, result.output
    assert "typo.db" in result.output and "`resettle init`" in result.output and "`resettle demo`" in result.output
    assert not (tmp_path / "typo.db").exists()
    assert "Traceback" not in result.output


def test_the_default_database_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESETTLE_DB", raising=False)
    result = run_cli("summary")
    assert result.exit_code == 2 and "data/resettle.db: no database here" in result.output
    assert not (tmp_path / "data").exists()


def test_help_says_where_the_database_is_looked_for():
    usage = " ".join(run_cli("--help").output.split())
    assert "--db FILE, else at $RESETTLE_DB, else at data/resettle.db under the current folder" in usage
    assert "(summary, batches, audit, export, backup) refuse a missing one" in usage
    option = " ".join(run_cli("summary", "--help").output.split())
    assert "--db FILE Database file (default: $RESETTLE_DB, else data/resettle.db under the current folder)" in option


def test_python_m_resettle_is_the_command(tiny_db):
    done = subprocess.run([*RESETTLE, "summary", "--json", "--db", str(tiny_db)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"relocated_total": 290' in done.stdout


# ---------------------------------------------------------------- output into a pipe whose reader stops


@pytest.fixture
def long_audit(tiny_db: Path) -> Path:
    """The tiny database with an audit log of 20,000 entries: far more output than a pipe holds."""
    with sqlite3.connect(tiny_db) as conn:
        conn.executemany("INSERT INTO audit_log (at, editor, action, batch_id, detail) VALUES (?, ?, ?, ?, ?)",
                         [("2020-01-01T00:00:00Z", "editor", "import", 1, f"entry {i}") for i in range(20_000)])
    conn.close()
    return tiny_db


@pytest.mark.parametrize("args", [["batches"], ["summary"], ["summary", "--json"], ["audit"], ["--help"],
                                  ["export", "data", "--format", "csv", "--out", "{tmp}"]])
def test_a_reader_that_stops_at_once_ends_the_command_quietly(args, tiny_db, tmp_path):
    # The read end is closed before the command writes a byte: its first line meets a broken pipe.
    cmd = [*RESETTLE, *(a.format(tmp=tmp_path / "out") for a in args)]
    if args != ["--help"]:
        cmd += ["--db", str(tiny_db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, stderr
    assert stderr == b""


@pytest.mark.skipif(shutil.which("head") is None, reason="no head command")
def test_resettle_audit_into_head(long_audit):
    audit = subprocess.Popen([*RESETTLE, "audit", "--db", str(long_audit)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-3"], stdin=audit.stdout, stdout=subprocess.PIPE)
    audit.stdout.close()  # head holds the only read end: when it exits, the pipe is broken
    shown = head.communicate(timeout=60)[0].decode().splitlines()
    stderr = audit.stderr.read()
    assert audit.wait(timeout=60) == 0, stderr
    assert stderr == b""
    assert len(shown) == 3 and shown[1].split()[-1] == "19999"


def test_another_broken_pipe_is_still_an_error(tiny_db, monkeypatch):
    """A pipe to a helper process breaking (Chromium's, under an export) is a failure to report; only a
    reader of our own output going away ends quietly."""
    from resettle.store import backup

    def broken(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(backup, "backup", broken)
    result = run_cli("backup", str(tiny_db.with_name("copy.db")), "--db", str(tiny_db))
    assert result.exit_code == 2 and "error: [Errno 32] Broken pipe" in result.output


# ---------------------------------------------------------------- what `resettle serve` hands Streamlit


def _flat(table: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_serve_passes_every_setting_of_the_checkouts_config(monkeypatch, sample_copy, tmp_path):
    """Outside the checkout there is no .streamlit/config.toml: `resettle serve` passes what it sets."""
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, **kw: calls.append((cmd, kw)) or 0)
    monkeypatch.chdir(tmp_path)
    result = run_cli("serve", "--db", str(sample_copy), "--port", "8999")
    assert result.exit_code == 0, result.output
    cmd, kwargs = calls[0]
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    config = _flat(tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")))
    assert config["server.maxUploadSize"] == review.MAX_UPLOAD_MB
    for name, value in config.items():
        assert flags[f"--{name}"] == str(value).lower(), name
    assert flags["--browser.gatherUsageStats"] == "false"
    assert flags["--server.port"] == "8999" and flags["--server.address"] == "127.0.0.1"
    assert set(cli_module.STREAMLIT_OPTIONS) <= set(config)
    # The package's own entry script, run in the user's folder, on the database the user named.
    script = Path(cmd[4])
    assert cmd[1:4] == ["-m", "streamlit", "run"] and script == resources.files("resettle") / "dashboard.py"
    assert kwargs.get("cwd") is None and kwargs["env"]["RESETTLE_DB"] == str(sample_copy.resolve())


def test_the_entry_script_has_no_pages_folder_beside_it():
    """Streamlit takes a pages/ folder beside its entry script for pages of its own and would run every
    module there as one: the entry script stays out of ui/, whose pages/ are ours."""
    script = Path(str(resources.files("resettle") / "dashboard.py"))
    assert script.is_file() and not (script.parent / "pages").exists()
    assert script.read_text(encoding="utf-8").split('"""')[-1].strip() == (
        (ROOT / "dashboard.py").read_text(encoding="utf-8").split('"""')[-1].strip())
