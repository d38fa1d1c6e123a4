"""Concurrency: importers and dashboard readers at once, in separate processes. Every row lands exactly
once, no reader ever sees half a batch, and nobody sees "database is locked" (WAL, a busy timeout,
BEGIN IMMEDIATE for writes with bounded retries, readers that never block writers).

The run lasts RESETTLE_CONCURRENCY_SECONDS (30 s by default; the issue asks for 30).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from resettle.compute import aggregates, headline, reconciliation
from resettle.compute.scope import resolve_sites, view_scope
from resettle.domain.errors import UsageError
from resettle.ingest import importer
from resettle.store import db, transaction

HERE = Path(__file__).resolve().parent  # the child processes import this module from its folder
SECONDS = float(os.environ.get("RESETTLE_CONCURRENCY_SECONDS", 30))
WRITERS = 4
READERS = 8
T_HEAD = "site,date,host_country,people,transfer_type,stage,case_id,origin_country,source\n"
HOSTS = ("ALB", "DEU", "FIN", "ITA", "NLD")


def writer_file(folder: Path, writer: int, number: int) -> tuple[Path, int, int]:
    """File `number` of writer `writer`: rows no other file has (its own site, its own date). Returns
    (path, rows, people)."""
    rows = 300 + (number * 1237 + writer * 311) % 6000
    day = (dt.date(2000, 1, 1) + dt.timedelta(days=number)).isoformat()
    path = folder / f"w{writer}-{number}.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(T_HEAD)
        fh.writelines(f"Writer {writer},{day},{HOSTS[i % 5]},{i},relocation,departed,,IRN,writer {writer}\n"
                      for i in range(1, rows + 1))
    return path, rows, rows * (rows + 1) // 2


def _run(role: str, dbp: str, index: int, until: float, folder: str) -> dict:
    """One worker process: import files, or read the dashboard's figures, until `until` (time.time())."""
    errors: list[str] = []
    done = 0
    out: dict = {"role": role, "index": index}
    if role == "writer":
        landed_rows = landed_people = 0
        while time.time() < until:
            path, rows, people = writer_file(Path(folder), index, done)
            try:
                report = importer.import_file(dbp, "transfers", path,
                                               importer.ImportOptions(editor=f"writer {index}"))
                assert report.added == rows, (report.added, rows)
                landed_rows += rows
                landed_people += people
            except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
                errors.append(f"{type(exc).__name__}: {exc}")
            done += 1
            path.unlink()
        out.update(rows=landed_rows, people=landed_people)
    else:
        half_batches = 0
        while time.time() < until:
            try:
                conn = db.connect(dbp)
                try:
                    headline.summary(conn)
                    reconciliation.intervals(conn, view_scope(conn))
                    aggregates.load_sites(conn, resolve_sites(conn, None))
                    # One statement reads one snapshot: the rows of the transfers batches, all or none.
                    rows, promised = conn.execute(
                        "SELECT (SELECT count(*) FROM transfers), "
                        "(SELECT coalesce(sum(rows_added), 0) FROM import_batches WHERE kind = 'transfers')"
                    ).fetchone()
                    half_batches += rows != promised
                finally:
                    conn.close()
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}")
            done += 1
        out["half_batches"] = half_batches
    out.update(done=done, errors=errors)
    return out


def spawn(role: str, dbp: Path, index: int, until: float, folder: Path) -> subprocess.Popen:
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import test_concurrency as t; "
            f"print(json.dumps(t._run({role!r}, {str(dbp)!r}, {index}, {until!r}, {str(folder)!r})))")
    env = {k: v for k, v in os.environ.items() if k != "RESETTLE_READ_ONLY"}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


@pytest.mark.slow
def test_four_importers_and_eight_readers_lose_nothing(tmp_path):
    dbp = tmp_path / "t.db"
    db.init(dbp)
    folder = tmp_path / "files"
    folder.mkdir()
    until = time.time() + 3 + SECONDS  # the processes need a moment to start
    procs = [spawn("writer", dbp, i, until, folder) for i in range(WRITERS)]
    procs += [spawn("reader", dbp, i, until, folder) for i in range(READERS)]
    results = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=SECONDS + 300)
        assert p.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))

    errors = [e for r in results for e in r["errors"]]
    assert not errors, errors[:5]
    assert not any("locked" in e for e in errors)
    assert all(r["half_batches"] == 0 for r in results if r["role"] == "reader")
    conn = db.connect(dbp)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        written = 0
        for r in (r for r in results if r["role"] == "writer"):
            got = conn.execute("SELECT count(*), coalesce(sum(people), 0) FROM transfers s JOIN sites t "
                               "ON t.id = s.site_id WHERE t.name = ?", (f"Writer {r['index']}",)).fetchone()
            assert got == (r["rows"], r["people"]), (r["index"], got, r)
            assert r["done"] >= 2, r  # every writer got its turns
            written += r["rows"]
        assert conn.execute("SELECT count(*) FROM transfers").fetchone()[0] == written
        batches = conn.execute("SELECT count(*), sum(rows_added) FROM import_batches").fetchone()
        assert batches == (sum(r["done"] for r in results if r["role"] == "writer"), written)
        audit = conn.execute("SELECT editor, count(*) FROM audit_log WHERE action = 'import' GROUP BY 1").fetchall()
        assert dict(audit) == {f"writer {r['index']}": r["done"] for r in results if r["role"] == "writer"}
    finally:
        conn.close()
    reads = sum(r["done"] for r in results if r["role"] == "reader")
    assert all(r["done"] >= 2 for r in results if r["role"] == "reader")
    print(f"{SECONDS:.0f} s: {written} rows in {batches[0]} batches by {WRITERS} importers; "
          f"{reads} dashboard reads by {READERS} readers; 0 rows lost, 0 errors")


@pytest.mark.slow
def test_the_same_file_imported_by_three_processes_at_once_lands_once(tmp_path):
    dbp = tmp_path / "t.db"
    db.init(dbp)
    path = tmp_path / "same.csv"
    with open(path, "w", encoding="utf-8") as fh:  # big enough that all three read it before one commits
        fh.write(T_HEAD)
        fh.writelines(f"Camp Liberty,2015-{1 + i % 12:02d}-{1 + i % 28:02d},ALB,{i},,,,,\n" for i in range(60_000))
    resettle = [sys.executable, "-c", "from resettle.cli import main; main()"]
    procs = [subprocess.Popen([*resettle, "import", "transfers", str(path), "--db", str(dbp)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    said = [out for out, _ in outputs]
    assert sum("added 60000" in s for s in said) == 1, said
    assert sum("identical to batch" in s for s in said) == 2, said
    conn = db.connect(dbp)
    try:
        assert conn.execute("SELECT count(*), sum(people) FROM transfers").fetchone() == (60_000, sum(range(60_000)))
        assert conn.execute("SELECT count(*) FROM import_batches").fetchone() == (1,)
    finally:
        conn.close()


def test_a_writer_that_keeps_the_lock_gets_a_message_not_database_is_locked(tmp_path):
    dbp = tmp_path / "t.db"
    db.init(dbp)
    holder, waiter = db.connect(dbp), db.connect(dbp)
    try:
        waiter.execute("PRAGMA busy_timeout = 50")
        holder.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        with pytest.raises(UsageError, match="the database is busy") as info:
            transaction.begin_immediate(waiter, attempts=3)
        assert "locked" not in str(info.value)
        assert time.perf_counter() - started >= 0.15  # it did wait and try again
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()


def test_bounded_retries_get_the_lock_once_it_is_free(tmp_path):
    dbp = tmp_path / "t.db"
    db.init(dbp)
    holder = sqlite3.connect(dbp, isolation_level=None, check_same_thread=False)  # released by a timer thread
    waiter = db.connect(dbp)
    try:
        waiter.execute("PRAGMA busy_timeout = 50")  # shorter than the hold: only a retry can succeed
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.2, lambda: holder.execute("ROLLBACK"))
        release.start()
        transaction.begin_immediate(waiter)
        assert waiter.in_transaction
        waiter.execute("ROLLBACK")
        release.join()
    finally:
        holder.close()
        waiter.close()


def test_an_open_reader_does_not_hold_up_an_import(tiny_db):
    reader = db.connect(tiny_db)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM transfers").fetchone() == (6,)
        started = time.perf_counter()
        path = Path(tiny_db).with_name("more.csv")
        path.write_text(T_HEAD + "Alpha,2020-07-01,ITA,9,,,,,\n")
        assert importer.import_file(tiny_db, "transfers", path).added == 1
        assert time.perf_counter() - started < 5  # far below the 30 s busy timeout: it never waited
        assert reader.execute("SELECT count(*) FROM transfers").fetchone() == (6,)  # its snapshot holds
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM transfers").fetchone() == (7,)
    finally:
        reader.close()
