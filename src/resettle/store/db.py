"""Connections and modes: where the database is, opening it (created and migrated when missing), and
read-only mode."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from resettle.domain.errors import UsageError
from resettle.store.schema import SCHEMA_VERSION, migrate, schema_version

DEFAULT_DB = Path("data") / "resettle.db"
BUSY_TIMEOUT_MS = 30_000


def default_path() -> Path:
    """`$RESETTLE_DB`, else `data/resettle.db`."""
    return Path(os.environ.get("RESETTLE_DB") or DEFAULT_DB)


def connect(path: str | os.PathLike | None = None, *, create: bool = True, read_only: bool = False) -> sqlite3.Connection:
    """Open the database (creating and migrating it when `create`), WAL mode, busy timeout, foreign keys.

    Each caller opens its own connection: a sqlite3 connection belongs to the thread that made it.
    """
    path = Path(path) if path is not None else default_path()
    # In read-only mode (RESETTLE_READ_ONLY) every connection is read-only: SQLite itself refuses writes.
    read_only = read_only or read_only_mode()
    if not create or read_only:
        require_database(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a database file")
    if read_only:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    # Autocommit: every write in this package opens its own BEGIN IMMEDIATE ... COMMIT.
    conn.isolation_level = None
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        elif (version := schema_version(conn)) < SCHEMA_VERSION:  # read-only: it cannot be upgraded here
            conn.close()
            raise UsageError(f"{path} has schema version {version}, older than this resettle's ({SCHEMA_VERSION}); "
                             "run `resettle init` once without RESETTLE_READ_ONLY to upgrade it")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise UsageError(f"{path} is not a resettle database ({exc})") from None
    return conn


def require_database(path: str | os.PathLike) -> None:
    """Refuse a missing database file, naming it and the commands that create one (a reader must not
    create an empty database where a path has a typo)."""
    if not Path(path).exists():
        raise UsageError(f"{path}: no database here; run `resettle init` or `resettle demo` first")


def read_only_mode() -> bool:
    """True when RESETTLE_READ_ONLY is 1, true, yes or on: a public dashboard nobody may change."""
    return os.environ.get("RESETTLE_READ_ONLY", "").strip().casefold() in ("1", "true", "yes", "on")


def require_writable(action: str) -> None:
    """Refuse `action` in read-only mode: on the server side, whatever a page shows or hides."""
    if read_only_mode():
        raise UsageError(f"this dashboard is read-only: {action} is switched off (RESETTLE_READ_ONLY is set)")


def init(path: str | os.PathLike | None = None) -> Path:
    """Create (or upgrade) the database file and return its path."""
    require_writable("creating or upgrading the database")
    path = Path(path) if path is not None else default_path()
    connect(path).close()
    return path


def data_version(conn: sqlite3.Connection) -> tuple[int, int]:
    """A key that changes whenever an import or an undo changes the data (for caches): every import and
    every undo writes one audit_log row, so its last id and the number of batches say it."""
    row = conn.execute("SELECT (SELECT coalesce(max(id), 0) FROM audit_log), (SELECT count(*) FROM import_batches)")
    return tuple(row.fetchone())
