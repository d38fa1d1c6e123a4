"""The audit log: every import and undo, when, by which editor, and what it did."""

from __future__ import annotations

import sqlite3

from resettle.domain.clock import utc_timestamp


def record(conn: sqlite3.Connection, action: str, batch_id: int | None, detail: str, *, editor: str | None) -> None:
    """Add an entry, inside the caller's transaction: it is written with the change it describes, or not at all."""
    conn.execute("INSERT INTO audit_log (at, editor, action, batch_id, detail) VALUES (?, ?, ?, ?, ?)",
                 (utc_timestamp(), editor, action, batch_id, detail))


def list_audit(conn: sqlite3.Connection) -> list[dict]:
    """The audit log, newest first: every import and undo, when, by which editor, what it did."""
    cur = conn.execute("SELECT id, at, editor, action, batch_id, detail FROM audit_log ORDER BY id DESC")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]
