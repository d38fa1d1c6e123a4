"""Writing transactions: the write lock taken with bounded retries, so no caller ever sees
"database is locked"."""

from __future__ import annotations

import random
import sqlite3
import time

from resettle.domain.errors import UsageError

# Times BEGIN IMMEDIATE is tried. SQLite can answer SQLITE_BUSY despite the busy timeout (a writer holding
# the lock longer than it, WAL recovery after a crash); then wait a little and try again, a bounded number
# of times, and end with a message rather than "database is locked".
WRITE_ATTEMPTS = 4


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def begin_immediate(conn: sqlite3.Connection, attempts: int = WRITE_ATTEMPTS) -> None:
    """BEGIN IMMEDIATE: take the write lock (waiting up to the busy timeout), trying again a bounded number
    of times when SQLite still answers SQLITE_BUSY; then a UsageError, never "database is locked"."""
    for attempt in range(attempts):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        if attempt < attempts - 1:
            time.sleep(random.uniform(0.05, 0.2) * 2**attempt)  # jitter: two waiting writers do not collide again
    raise UsageError("the database is busy: another import or undo has been writing to it for a long time; "
                     "try again when it has finished")


