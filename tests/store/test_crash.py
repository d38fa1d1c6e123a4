"""Crashes lose nothing: `resettle import` of 1,000,000 rows killed with SIGKILL at moments chosen by
watching the files (before it opens the database, while it reads, while its write transaction fills the
WAL, while the WAL is copied into the database), then the database checked and the import run again."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TINY

from resettle.ingest import importer
from resettle.store import db, writer

ROWS = 1_000_000
T_HEAD = "site,date,host_country,people,transfer_type,stage,case_id,origin_country,source\n"
HOSTS = ("ALB", "DEU", "FIN", "ITA", "NLD", "DNK", "NOR", "IRL", "GBR", "USA", "ROU")
RESETTLE = Path(sys.executable).with_name("resettle")


def write_transfers(path: Path, rows: int, seed: int = 7) -> int:
    """A plain transfers file of `rows` departures; returns the sum of people."""
    rng = random.Random(seed)
    total = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(T_HEAD)
        lines = []
        for i in range(rows):
            people = rng.randrange(0, 400)
            total += people
            lines.append(f"Camp {'ABCDEFGHIJ'[i % 10]},{2013 + i % 4}-{1 + i % 12:02d}-{1 + rng.randrange(28):02d},"
                         f"{HOSTS[i % 11]},{people},relocation,departed,,IRN,UNHCR\n")
            if len(lines) == 50_000:
                fh.writelines(lines)
                lines.clear()
        fh.writelines(lines)
    return total


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def state(dbp: Path) -> dict:
    """What a crash must not break: integrity, foreign keys, the schema, every batch with all its rows."""
    conn = sqlite3.connect(dbp)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
        batches = conn.execute("SELECT id, kind, rows_added FROM import_batches ORDER BY id").fetchall()
        tables = {"population": "population_counts", "transfers": "transfers"}
        held = {(b, k): conn.execute(f"SELECT count(*) FROM {tables[k]} WHERE batch_id = ?", (b,)).fetchone()[0]
                for b, k, _ in batches}
        orphans = conn.execute(
            "SELECT count(*) FROM transfers WHERE batch_id NOT IN (SELECT id FROM import_batches)").fetchone()[0]
        return {
            "integrity": integrity,
            "foreign_keys": foreign,
            "schema": conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall(),
            "batches": batches,
            "partial": [(b, k, added, held[(b, k)]) for b, k, added in batches if held[(b, k)] != added],
            "orphans": orphans,
            "transfers": conn.execute("SELECT count(*), coalesce(sum(people), 0) FROM transfers").fetchone(),
            "audit": conn.execute("SELECT count(*) FROM audit_log").fetchone()[0],
        }
    finally:
        conn.close()


def kill_when(dbp: Path, csv_path: Path, moment: str, rng: random.Random) -> str:
    """Start the import, SIGKILL it at `moment`; the phase it was in when killed ('finished' if it ended first)."""
    wal = Path(f"{dbp}-wal")
    db_size = size(dbp)
    proc = subprocess.Popen([str(RESETTLE), "import", "transfers", str(csv_path), "--db", str(dbp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    # "reading": soon after the database is opened; the file is read in about 0.25 s before the first
    # write (a million rows, the fast path), so the kill must come well inside that.
    delay = {"early": rng.uniform(0.02, 0.12), "reading": rng.uniform(0.0, 0.06), "anytime": rng.uniform(0.1, 1.5)}
    opened_at = None
    deadline = started + 60
    try:
        while proc.poll() is None and time.perf_counter() < deadline:
            now = time.perf_counter() - started
            wal_size, grown = size(wal), size(dbp) - db_size
            if opened_at is None and wal_size >= 0:
                opened_at = now
            if (
                (moment in ("early", "anytime") and now >= delay[moment])
                or (moment == "reading" and opened_at is not None and now >= opened_at + delay[moment])
                or (moment in ("reading", "anytime") and wal_size > 48 * 1024 * 1024)  # before it commits, on a
                # fast machine too (the WAL holds about 60 MB when this import commits)
                or (moment.startswith("wal>") and wal_size > int(moment[4:]) * 1024 * 1024)
                or (moment == "checkpoint" and grown > 8 * 1024 * 1024)
            ):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
        else:
            if proc.poll() is None:
                proc.kill()
                raise AssertionError(f"the import did not reach {moment} in 60 s")
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if code != -signal.SIGKILL:
        return "finished"
    wal_size, grown = size(wal), size(dbp) - db_size
    if grown > 0:
        return "checkpointing"
    if wal_size > 64 * 1024:
        return "writing"
    return "reading" if opened_at is not None else "starting"


MOMENTS = ["early", "reading", "anytime", "wal>1", "wal>20", "wal>40", "anytime", "checkpoint"]


@pytest.mark.slow
def test_sigkill_during_an_import_of_a_million_rows_loses_nothing(tmp_path):
    if not RESETTLE.exists():
        pytest.skip("the resettle console script is not installed beside this Python")
    csv_path = tmp_path / "million.csv"
    people = write_transfers(csv_path, ROWS)
    dbp = tmp_path / "t.db"
    importer.import_file(dbp, "population", TINY / "population.csv")  # sites and counts; no transfers yet
    before = state(dbp)
    assert before["integrity"] == [("ok",)] and before["transfers"] == (0, 0)

    rng = random.Random(int(os.environ.get("RESETTLE_CRASH_SEED", time.time_ns() % 10_000)))
    phases = []
    for moment in MOMENTS:
        phase = kill_when(dbp, csv_path, moment, rng)
        phases.append((moment, phase))
        now = state(dbp)
        assert now["integrity"] == [("ok",)], (moment, phase, now["integrity"])
        assert now["foreign_keys"] == [] and now["partial"] == [] and now["orphans"] == 0, (moment, phase, now)
        assert now["schema"] == before["schema"], (moment, phase, "indexes or tables lost")
        if now["transfers"] == (0, 0):  # nothing of the batch
            assert now["batches"] == before["batches"] and now["audit"] == before["audit"], (moment, phase)
        else:  # all of it: the kill came after COMMIT
            assert now["transfers"] == (ROWS, people), (moment, phase, now["transfers"])
            assert len(now["batches"]) == len(before["batches"]) + 1
            # Undo it, so that the next moment imports (and can be killed) again, not "identical to batch".
            conn = db.connect(dbp)
            try:
                writer.undo(conn, max(b for b, _, _ in now["batches"]))
            finally:
                conn.close()
            before = state(dbp)
            assert before["transfers"] == (0, 0)
    killed = [p for _, p in phases if p != "finished"]
    print("kills:", phases)
    assert len(killed) >= 5, phases
    assert {"reading", "writing"} <= set(killed), phases

    # Run again: every row exactly once, whatever the kills left.
    done = subprocess.run([str(RESETTLE), "import", "transfers", str(csv_path), "--db", str(dbp)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    after = state(dbp)
    assert after["integrity"] == [("ok",)] and after["partial"] == [] and after["orphans"] == 0
    assert after["transfers"] == (ROWS, people)
    assert len(after["batches"]) == len(before["batches"]) + 1
    again = subprocess.run([str(RESETTLE), "import", "transfers", str(csv_path), "--db", str(dbp)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "identical to batch" in again.stdout, again.stdout + again.stderr
    assert state(dbp)["transfers"] == (ROWS, people)
