"""The SQLite database: schema (generated from the record definitions), migrations, connections.

Tables are created through sqlite-utils from DDL that this module writes out of `records.KINDS`, so the
declared types, NOT NULL and CHECK constraints follow the same definitions the importer validates with.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .records import KINDS, Field, Kind

if TYPE_CHECKING:  # imported when a migration runs: sqlite_utils loads pandas, 0.2 s a command
    import sqlite_utils

SCHEMA_VERSION = 5
DEFAULT_DB = Path("data") / "resettle.db"
BUSY_TIMEOUT_MS = 30_000
# Times BEGIN IMMEDIATE is tried. SQLite can answer SQLITE_BUSY despite the busy timeout (a writer holding
# the lock longer than it, WAL recovery after a crash); then wait a little and try again, a bounded number
# of times, and end with a message rather than "database is locked".
WRITE_ATTEMPTS = 4

_SQL_TYPE = {"text": "TEXT", "date": "TEXT", "count": "INTEGER", "country": "TEXT", "enum": "TEXT", "real": "REAL"}
_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]"


def default_path() -> Path:
    """`$RESETTLE_DB`, else `data/resettle.db`."""
    return Path(os.environ.get("RESETTLE_DB") or DEFAULT_DB)


def _column_ddl(f: Field, kind: Kind) -> str:
    name = "site_id" if f.name == "site" else f.name
    if f.name == "site":
        return "site_id INTEGER NOT NULL REFERENCES sites(id)"
    parts = [name, _SQL_TYPE[f.type]]
    if f.name == "name" and kind.name == "sites":
        parts.append("NOT NULL UNIQUE COLLATE NOCASE")
    elif f.required or f.default is not None:
        parts.append("NOT NULL")
    if f.default is not None:
        parts.append(f"DEFAULT '{f.default}'")
    if f.type == "count":
        parts.append(f"CHECK ({name} >= 0)")
    elif f.type == "enum":
        # An OR chain, not IN (...): SQLite builds IN's list anew for every row checked, 5x slower.
        choices = " OR ".join(f"{name} = '{c}'" for c in f.choices)
        parts.append(f"CHECK ({name} IS NULL OR {choices})")
    elif f.type == "date":
        parts.append(f"CHECK ({name} GLOB '{_DATE_GLOB}')")
    elif f.type == "country":
        parts.append(f"CHECK (length({name}) = 3 AND {name} = upper({name}))")
    elif f.name == "lat":
        parts.append("CHECK (lat BETWEEN -90 AND 90)")
    elif f.name == "lon":
        parts.append("CHECK (lon BETWEEN -180 AND 180)")
    return " ".join(parts)


# Fields added to a record kind after schema version 1: (kind, field) -> the version that added them.
# The version 1 tables are created without them, and their migration adds them.
ADDED_IN: dict[tuple[str, str], int] = {("incidents", "events"): 3}


def table_ddl(kind: Kind, version: int = SCHEMA_VERSION) -> str:
    """CREATE TABLE for one record kind, as schema `version` has it."""
    columns = ["id INTEGER PRIMARY KEY"]
    for f in kind.fields:
        if ADDED_IN.get((kind.name, f.name), 1) > version:
            continue
        if f.name == "source":
            # A row imported without a source takes the file's name (DOMAIN.md), so it is never empty.
            columns.append("source TEXT NOT NULL")
        else:
            columns.append(_column_ddl(f, kind))
    if kind.name == "sites":
        columns.append("batch_id INTEGER REFERENCES import_batches(id)")
    else:
        columns.append("batch_id INTEGER NOT NULL REFERENCES import_batches(id)")
    checks = []
    if kind.name == "medevacs":
        checks.append("CHECK (date IS NOT NULL OR request_date IS NOT NULL)")
    body = ",\n  ".join(columns + checks)
    return f"CREATE TABLE IF NOT EXISTS {kind.table} (\n  {body}\n)"


BATCHES_DDL = """
CREATE TABLE IF NOT EXISTS import_batches (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('sites','population','transfers','medevacs','incidents','pledges')),
  file_name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  source TEXT,
  rows_read INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
  rows_added INTEGER NOT NULL DEFAULT 0 CHECK (rows_added >= 0),
  rows_updated INTEGER NOT NULL DEFAULT 0 CHECK (rows_updated >= 0),
  rows_present INTEGER NOT NULL DEFAULT 0 CHECK (rows_present >= 0),
  rows_rejected INTEGER NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
  imported_at TEXT NOT NULL
)"""

# What a batch changed in rows it did not add (a case_id row updating an existing case): the old
# values, so that `undo` can put them back.
CHANGES_DDL = """
CREATE TABLE IF NOT EXISTS batch_changes (
  batch_id INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
  table_name TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  old_values TEXT NOT NULL
)"""

# Added in schema version 2.
V2_DDL = [
    "ALTER TABLE import_batches ADD COLUMN editor TEXT",
    "ALTER TABLE import_batches ADD COLUMN mapping TEXT",
    "ALTER TABLE import_batches ADD COLUMN notes TEXT",
    """CREATE TABLE IF NOT EXISTS mappings (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  spec TEXT NOT NULL,
  created_at TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  editor TEXT,
  action TEXT NOT NULL,
  batch_id INTEGER,
  detail TEXT
)""",
]


def _indexes(db: sqlite_utils.Database) -> None:
    # The tables are read by site and date (version 5 drops transfers' index: see _migrate_4_to_5). No
    # index on batch_id: undo scans (a fraction of a second on a million rows) rather than every import
    # paying to keep one up to date.
    for kind in KINDS.values():
        if kind.has_site:
            db[kind.table].create_index(["site_id", "date"], if_not_exists=True)
    db["pledges"].create_index(["host_country", "date"], if_not_exists=True)
    db["import_batches"].create_index(["sha256"], if_not_exists=True)
    db["batch_changes"].create_index(["batch_id"], if_not_exists=True)
    # Only rows with a case id are ever looked up by it.
    db.execute("CREATE INDEX IF NOT EXISTS idx_transfers_case_id ON transfers (case_id) WHERE case_id IS NOT NULL")


def _create_v1(db: sqlite_utils.Database) -> None:
    db.execute(BATCHES_DDL)
    db.execute(CHANGES_DDL)
    for kind in (KINDS["sites"], *[k for k in KINDS.values() if k.name != "sites"]):
        db.execute(table_ddl(kind, version=1))
    _indexes(db)


def _migrate_1_to_2(db: sqlite_utils.Database) -> None:
    for statement in V2_DDL:
        db.execute(statement)


def _migrate_2_to_3(db: sqlite_utils.Database) -> None:
    """Incidents get `events`: how many events a row stands for (ACLED's monthly counts)."""
    for (kind_name, name), version in ADDED_IN.items():
        if version == 3:
            kind = KINDS[kind_name]
            db.execute(f"ALTER TABLE {kind.table} ADD COLUMN {_column_ddl(kind.field(name), kind)}")


def _migrate_3_to_4(db: sqlite_utils.Database) -> None:
    """Transfers' index by site and date carries stage and people too: the departures per site and date
    behind every headline figure are read from the index alone (a third of the time on 1M transfers;
    a big import builds the wider index in about a tenth of a second more)."""
    db.execute("DROP INDEX IF EXISTS idx_transfers_site_id_date")
    db.execute("CREATE INDEX IF NOT EXISTS idx_transfers_site_date_stage_people "
               "ON transfers (site_id, date, stage, people)")


def _migrate_4_to_5(db: sqlite_utils.Database) -> None:
    """Transfers lose their index by site and date: the figures and charts read every transfer at once
    into arrays (metrics.Aggregates) and never look rows up by site and date, while every import paid
    to build the index (0.45 s of the 1.6 s of a million-row import). What remains of its use, the Data
    page's rows of one site, takes 0.06 s on a million transfers without it."""
    db.execute("DROP INDEX IF EXISTS idx_transfers_site_date_stage_people")
    db.execute("DROP INDEX IF EXISTS idx_transfers_site_id_date")


# version reached -> step from the version before it
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _create_v1, 2: _migrate_1_to_2, 3: _migrate_2_to_3, 4: _migrate_3_to_4, 5: _migrate_4_to_5,
}


def connect(path: str | os.PathLike | None = None, *, create: bool = True, read_only: bool = False) -> sqlite3.Connection:
    """Open the database (creating and migrating it when `create`), WAL mode, busy timeout, foreign keys.

    Each caller opens its own connection: a sqlite3 connection belongs to the thread that made it.
    """
    path = Path(path) if path is not None else default_path()
    # In read-only mode (RESETTLE_READ_ONLY) every connection is read-only: SQLite itself refuses writes.
    read_only = read_only or read_only_mode()
    if not path.exists() and (not create or read_only):
        raise UsageError(f"{path}: no database here; run `resettle init` or `resettle demo` first")
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


def read_only_mode() -> bool:
    """True when RESETTLE_READ_ONLY is 1, true, yes or on: a public dashboard nobody may change."""
    return os.environ.get("RESETTLE_READ_ONLY", "").strip().casefold() in ("1", "true", "yes", "on")


def require_writable(action: str) -> None:
    """Refuse `action` in read-only mode: on the server side, whatever a page shows or hides."""
    if read_only_mode():
        raise UsageError(f"this dashboard is read-only: {action} is switched off (RESETTLE_READ_ONLY is set)")


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


def backup(src: str | os.PathLike, dest: str | os.PathLike, *, force: bool = False) -> Path:
    """Copy the database `src` to `dest` consistently, even while others read and import (SQLite's backup
    API copies one snapshot: every committed batch, nothing of one in progress). Refuses an existing
    `dest` unless `force`; an existing database is then overwritten through SQLite, safe while it is
    open elsewhere, which is how a backup is restored."""
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise UsageError(f"{src}: no database here" if not src.exists() else f"{src} is not a database file")
    if dest.is_dir():
        raise UsageError(f"{dest} is a folder: give the name of the backup file")
    if dest.exists() and src.resolve() == dest.resolve():
        raise UsageError(f"{dest} is the database itself: give another name for the backup")
    if dest.exists() and not force:
        raise UsageError(f"{dest} exists already: give a new name, or --force to overwrite it")
    source = sqlite3.connect(src.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        try:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{src} is not a database ({exc})") from None
        if dest.exists() and _is_database(dest):
            require_writable("overwriting a database")
            target = sqlite3.connect(dest, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                source.backup(target)
            except sqlite3.DatabaseError as exc:
                raise UsageError(f"cannot overwrite {dest}: {exc}") from None
            finally:
                target.close()
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")  # renamed once complete: never half a copy
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        except BaseException:
            target.close()
            partial.unlink(missing_ok=True)
            raise
        target.close()
        os.replace(partial, dest)
        return dest
    finally:
        source.close()


def _is_database(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return head in (b"", b"SQLite format 3\x00")


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file up to SCHEMA_VERSION in place, one step per version, each in its own transaction."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise UsageError(
            f"this database has schema version {version}, newer than this resettle ({SCHEMA_VERSION}); upgrade resettle"
        )
    if version == SCHEMA_VERSION:
        return version
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    while version < SCHEMA_VERSION:
        step = MIGRATIONS[version + 1]
        begin_immediate(conn)
        try:
            if schema_version(conn) == version:  # another process may have migrated meanwhile
                step(db)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = schema_version(conn)
    return version


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
