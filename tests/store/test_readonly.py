"""Read-only mode (RESETTLE_READ_ONLY): every writing function refuses on the server side, and every
connection is read-only, so SQLite itself refuses what might slip past; reading works as before."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from conftest import TINY, table_digest

from resettle.compute import headline
from resettle.domain.errors import UsageError
from resettle.ingest import importer, sample
from resettle.store import backup as backups
from resettle.store import db, writer

READ_ONLY = "this dashboard is read-only"


@pytest.fixture
def read_only(monkeypatch):
    monkeypatch.setenv("RESETTLE_READ_ONLY", "1")


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_the_setting_switches_it_on(monkeypatch, value):
    monkeypatch.setenv("RESETTLE_READ_ONLY", value)
    assert db.read_only_mode()


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_other_values_leave_it_off(monkeypatch, value):
    monkeypatch.setenv("RESETTLE_READ_ONLY", value)
    assert not db.read_only_mode()


def test_import_and_undo_refuse(tiny_db, read_only):
    before = table_digest(tiny_db)
    with pytest.raises(UsageError, match=f"{READ_ONLY}: importing is switched off"):
        importer.import_file(tiny_db, "transfers", TINY / "transfers.csv")
    with pytest.raises(UsageError, match=READ_ONLY):  # a dry run too: the import page is not there at all
        importer.import_file(tiny_db, "transfers", TINY / "transfers.csv", importer.ImportOptions(dry_run=True))
    conn = db.connect(tiny_db)
    try:
        with pytest.raises(UsageError, match=f"{READ_ONLY}: undoing an import is switched off"):
            writer.undo(conn, 1)
    finally:
        conn.close()
    assert table_digest(tiny_db) == before


def test_init_demo_and_overwriting_backup_refuse(tiny_db, tmp_path, read_only):
    with pytest.raises(UsageError, match=READ_ONLY):
        db.init(tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()
    with pytest.raises(UsageError, match=READ_ONLY):
        sample.load(tiny_db)
    other = tmp_path / "other.db"
    backups.backup(tiny_db, other)  # reading the database: allowed
    with pytest.raises(UsageError, match=READ_ONLY):
        backups.backup(other, tiny_db, force=True)


def test_reading_works_and_sqlite_refuses_any_write(tiny_db, read_only):
    conn = db.connect(tiny_db)
    try:
        assert headline.summary(conn, site="Alpha")["relocated_total"] == 270
        assert writer.list_batches(conn)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM transfers")
    finally:
        conn.close()


def test_a_missing_or_old_database_is_not_created_or_upgraded(tiny_db, tmp_path, read_only, monkeypatch):
    with pytest.raises(UsageError, match="no database here"):
        db.connect(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    monkeypatch.delenv("RESETTLE_READ_ONLY")
    conn = db.connect(tiny_db)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION - 1}")
    conn.close()
    monkeypatch.setenv("RESETTLE_READ_ONLY", "1")
    with pytest.raises(UsageError, match="run `resettle init` once without RESETTLE_READ_ONLY"):
        db.connect(tiny_db)


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["import", "transfers", str(TINY / "transfers.csv")], 2),
        (["undo", "1"], 2),
        (["init"], 2),
        (["demo"], 2),
        (["summary", "--json"], 0),
        (["batches"], 0),
        (["audit"], 0),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else str(v),
)
def test_command_line_in_read_only_mode(tiny_db, args, status):
    env = {**os.environ, "RESETTLE_READ_ONLY": "1"}
    env.pop("RESETTLE_DEBUG", None)
    before = table_digest(tiny_db)
    proc = subprocess.run([sys.executable, "-c", "from resettle.cli import main; main()", *args, "--db", str(tiny_db)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    if status:
        assert f"error: {READ_ONLY}:" in proc.stderr
    assert table_digest(tiny_db) == before
