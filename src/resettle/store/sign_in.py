"""Failed sign-ins, slowed: after MAX_FAILURES failures for one editor name, or from one client, within
WINDOW, further tries are refused until the oldest of those failures is WINDOW old.

Failures are kept in the database (sign_in_failures), so every server process and every restart sees
them; each failure and each refusal is written to the audit log. The password is checked only when the
try is allowed (`allowed` first), so a refused try costs an attacker a try without telling them anything.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from dataclasses import dataclass

from resettle.domain.clock import STAMP_FORMAT, utc_now, utc_timestamp
from resettle.store import audit, transaction

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is refused for now, and for how long (whole minutes, at least 1)."""

    by: str  # "name" or "client"
    minutes: int

    def message(self) -> str:
        who = "this editor name" if self.by == "name" else "this computer"
        return (f"Too many failed sign-ins for {who} ({MAX_FAILURES} within {WINDOW.seconds // 60} minutes): "
                f"sign-in is refused for now. Try again in {self.minutes} minute{'s' if self.minutes != 1 else ''}.")


def _key(name: str) -> str:
    return name.strip().casefold()


def allowed(conn: sqlite3.Connection, name: str, client: str | None, *, now: dt.datetime | None = None) -> Refusal | None:
    """None when a try for `name` from `client` may go ahead; else the Refusal (the audit log records it)."""
    now = now or utc_now()
    since = utc_timestamp(now - WINDOW)
    checks = [("name", "name = ?", _key(name))] + ([("client", "client = ?", client)] if client else [])
    for by, where, value in checks:
        stamps = [r[0] for r in conn.execute(
            f"SELECT at FROM sign_in_failures WHERE {where} AND at > ? ORDER BY at DESC LIMIT ?",
            (value, since, MAX_FAILURES))]
        if len(stamps) >= MAX_FAILURES:
            oldest = dt.datetime.strptime(stamps[-1], STAMP_FORMAT).replace(tzinfo=dt.UTC)
            minutes = max(1, math.ceil((oldest + WINDOW - now).total_seconds() / 60))
            refusal = Refusal(by, minutes)
            _audit(conn, "sign-in refused", f"{name.strip()!r} from {client or 'an unknown client'}: "
                   f"{MAX_FAILURES} failures by {by} within {WINDOW.seconds // 60} minutes")
            return refusal
    return None


def failed(conn: sqlite3.Connection, name: str, client: str | None, *, now: dt.datetime | None = None) -> None:
    """Record a failed sign-in (and write it to the audit log)."""
    now = now or utc_now()
    transaction.begin_immediate(conn)
    try:
        conn.execute("INSERT INTO sign_in_failures (at, name, client) VALUES (?, ?, ?)",
                     (utc_timestamp(now), _key(name), client))
        # Old failures count for nothing any more: kept a day, for whoever reads the table.
        conn.execute("DELETE FROM sign_in_failures WHERE at < ?", (utc_timestamp(now - dt.timedelta(days=1)),))
        audit.record(conn, "sign-in failed", None, f"{name.strip()!r} from {client or 'an unknown client'}",
                     editor=None)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _audit(conn: sqlite3.Connection, action: str, detail: str) -> None:
    transaction.begin_immediate(conn)
    try:
        audit.record(conn, action, None, detail, editor=None)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
