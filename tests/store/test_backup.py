"""`resettle backup`: a consistent copy while the database is in use, never over an existing file unless
--force, and restoring through it."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import TINY, run_cli, table_digest, write
from test_crash import RESETTLE, write_transfers

from resettle.domain.errors import UsageError
from resettle.ingest import importer
from resettle.store import backup as backups
from resettle.store import db

run = run_cli


def pragma(path: Path, name: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_backup_copies_every_table_into_one_file(tiny_db, tmp_path):
    out = tmp_path / "copies" / "tiny-backup.db"
    result = run("backup", out, "--db", tiny_db)
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.output
    assert [p.name for p in out.parent.iterdir()] == ["tiny-backup.db"]  # no partial file, no -wal beside it
    assert out.read_bytes()[18:20] == b"\x01\x01"  # a rollback-journal file: self-contained
    assert pragma(out, "integrity_check") == "ok"
    assert table_digest(out) == table_digest(tiny_db)


def test_backup_refuses_to_overwrite_without_force(tiny_db, tmp_path):
    out = write(tmp_path, "notes.db", "my notes, not a database")
    result = run("backup", out, "--db", tiny_db)
    assert result.exit_code == 2 and "exists already" in result.output and "--force" in result.output
    assert out.read_text() == "my notes, not a database"
    result = run("backup", out, "--db", tiny_db, "--force")
    assert result.exit_code == 0, result.output
    assert table_digest(out) == table_digest(tiny_db)


@pytest.mark.parametrize("case", ["missing source", "source not a database", "out is a folder", "out is the source"])
def test_backup_usage_errors_exit_2(tiny_db, tmp_path, case):
    src, out = tiny_db, tmp_path / "out.db"
    if case == "missing source":
        src = tmp_path / "nowhere.db"
    elif case == "source not a database":
        src = write(tmp_path, "text.db", "site,date\n" * 100)
    elif case == "out is a folder":
        out = tmp_path / "folder"
        out.mkdir()
    else:
        out = tiny_db
    before = table_digest(tiny_db)
    result = run("backup", out, "--db", src, "--force")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and str(src if case.startswith(("missing", "source")) else out) in result.output
    assert not src.exists() if case == "missing source" else True
    assert table_digest(tiny_db) == before


def test_restore_over_a_database_in_use(tiny_db, tmp_path):
    """Backing up the other way round restores: open connections see the restored data next time."""
    saved = tmp_path / "saved.db"
    backups.backup(tiny_db, saved)
    importer.import_file(tiny_db, "transfers", write(tmp_path, "more.csv",
                          "site,date,host_country,people\nAlpha,2020-07-01,ITA,9\n"))
    reader = db.connect(tiny_db)
    try:
        assert reader.execute("SELECT count(*) FROM transfers").fetchone() == (7,)
        result = run("backup", tiny_db, "--db", saved, "--force")
        assert result.exit_code == 0, result.output
        assert reader.execute("SELECT count(*) FROM transfers").fetchone() == (6,)
    finally:
        reader.close()
    assert table_digest(tiny_db) == table_digest(saved)
    assert pragma(tiny_db, "journal_mode") == "wal" and pragma(tiny_db, "integrity_check") == "ok"


def test_backup_library_refuses_to_overwrite(tiny_db, tmp_path):
    out = tmp_path / "b.db"
    backups.backup(tiny_db, out)
    with pytest.raises(UsageError, match="exists already"):
        backups.backup(tiny_db, out)


def snapshot(path: Path) -> tuple[int, int, int]:
    """(transfers rows, transfers people, rows the batches say they added): consistent in any snapshot."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return conn.execute(
            "SELECT count(*), coalesce(sum(people), 0), "
            "(SELECT coalesce(sum(rows_added), 0) FROM import_batches WHERE kind = 'transfers') FROM transfers"
        ).fetchone()
    finally:
        conn.close()


@pytest.mark.slow
def test_backup_while_another_process_imports_holds_before_or_after(tmp_path):
    if not RESETTLE.exists():
        pytest.skip("the resettle console script is not installed beside this Python")
    rows = 400_000
    big = tmp_path / "big.csv"
    people = write_transfers(big, rows, seed=11)
    dbp = tmp_path / "live.db"
    importer.import_file(dbp, "population", TINY / "population.csv")
    before = snapshot(dbp)
    after = (before[0] + rows, before[1] + people, before[2] + rows)

    wal = Path(f"{dbp}-wal")
    proc = subprocess.Popen([str(RESETTLE), "import", "transfers", str(big), "--db", str(dbp)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    copies, commands = [], []
    while proc.poll() is None:
        out = tmp_path / f"copy-{len(copies)}.db"
        writing = wal.exists() and wal.stat().st_size > 1024 * 1024  # the import's transaction is filling the WAL
        if len(commands) < 2 and (not commands or writing):  # the real command line, once at the start and
            commands.append(subprocess.Popen(  # once while the import writes; they run alongside
                [str(RESETTLE), "backup", str(out), "--db", str(dbp)], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True))
        else:
            backups.backup(dbp, out)
        copies.append((out, writing))
        time.sleep(0.01)
    assert proc.wait() == 0, proc.stderr.read()
    for command in commands:
        assert command.wait(timeout=60) == 0, command.stderr.read()
    final = tmp_path / "final.db"
    backups.backup(dbp, final)
    copies.append((final, False))

    seen = {"before": 0, "after": 0, "before, taken while the import was writing": 0}
    for out, writing in copies:
        state = snapshot(out)
        assert state in (before, after), (out.name, state, before, after)
        seen["before" if state == before else "after"] += 1
        if writing and state == before:
            seen["before, taken while the import was writing"] += 1
    print("backups:", seen)
    assert snapshot(final) == after
    assert seen["before"] >= 1 and seen["after"] >= 1
    assert seen["before, taken while the import was writing"] >= 1, seen
