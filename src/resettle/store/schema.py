"""The schema: tables generated from the record definitions, and the migrations from each older version.

Tables are created through sqlite-utils from DDL that this module writes out of `records.KINDS`, so the
declared types, NOT NULL and CHECK constraints follow the same definitions the importer validates with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from resettle.domain.errors import UsageError
from resettle.domain.records import KINDS, Field, Kind
from resettle.store.transaction import begin_immediate

if TYPE_CHECKING:  # imported when a migration runs: sqlite_utils loads pandas, 0.2 s a command
    import sqlite_utils

SCHEMA_VERSION = 6

_SQL_TYPE = {"text": "TEXT", "date": "TEXT", "count": "INTEGER", "country": "TEXT", "enum": "TEXT", "real": "REAL"}
_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]"


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


# Added in schema version 6: change sets (records entered or corrected by hand, store/changes.py) and
# failed sign-ins (store/sign_in.py).
V6_DDL = [
    # A change set is a batch whose reason says why; an import's reason is empty.
    "ALTER TABLE import_batches ADD COLUMN reason TEXT",
    # Each record a change set added, edited or deleted: the whole row before and after (JSON, stored
    # columns, id and batch_id included), so that undo restores it exactly and history can show it.
    # row_batch_id is the batch that added the row: undoing that batch must see the change even once the
    # row is deleted.
    """CREATE TABLE IF NOT EXISTS record_changes (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
  table_name TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('add', 'edit', 'delete')),
  row_batch_id INTEGER,
  before TEXT,
  after TEXT
)""",
    "CREATE INDEX IF NOT EXISTS idx_record_changes_row ON record_changes (table_name, row_id)",
    "CREATE INDEX IF NOT EXISTS idx_record_changes_batch ON record_changes (batch_id)",
    """CREATE TABLE IF NOT EXISTS sign_in_failures (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  name TEXT NOT NULL,
  client TEXT
)""",
]


def _migrate_5_to_6(db: sqlite_utils.Database) -> None:
    """Change sets and their per-record before and after; failed sign-ins, for throttling. Each step is
    taken only where it is missing, so a file whose version number was set back runs it again unharmed."""
    has_reason = "reason" in {c.name for c in db["import_batches"].columns}
    for statement in V6_DDL:
        if statement.startswith("ALTER TABLE import_batches ADD COLUMN reason") and has_reason:
            continue
        db.execute(statement)


# version reached -> step from the version before it
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _create_v1, 2: _migrate_1_to_2, 3: _migrate_2_to_3, 4: _migrate_3_to_4, 5: _migrate_4_to_5,
    6: _migrate_5_to_6,
}


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


