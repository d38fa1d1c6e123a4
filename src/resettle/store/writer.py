"""The one writer of imported records: a batch stored whole or not at all, and undone exactly.

An import's validated rows arrive as typed columns (columns.Columns). One BEGIN IMMEDIATE transaction
adds the batch row, creates the sites the rows name, stores the rows (straight into an empty table, else
compared with what is there: rows already present are counted, cases update in place, sites update
their details) and writes the audit entry. `undo` takes a batch out again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np

from resettle.domain.clock import utc_timestamp
from resettle.domain.errors import UsageError
from resettle.domain.records import KINDS, Kind
from resettle.store import audit, changes, db, transaction
from resettle.store.columns import Columns, Progress, insert

# Below this many rows, index upkeep during the insert is cheaper than a rebuild.
REBUILD_INDEXES_FROM = 50_000
INDEX_THREADS = 2  # SQLite's sorter may use helper threads to build an index
# The record tables whose CHECK constraints each look at one column (see schema.table_ddl): for them, checking
# every distinct value is checking every row (see _check_distinct_values).
SINGLE_COLUMN_CHECKS = {"population", "transfers", "incidents", "pledges"}


@dataclass
class Batch:
    """What the batch row says of an import: the file, its identity, who and how."""

    kind: Kind
    file_name: str
    sha256: str  # the file's identity: an identical file is not imported twice
    source: str | None  # the source given for the rows without one (--source); else they take the file's name
    editor: str | None
    mapping: dict[str, str]  # field -> column(s), as the report shows it
    notes: list[str]
    rows_read: int
    rows_rejected: int

    @property
    def default_source(self) -> str:
        """The source of a row without one (DOMAIN.md: a row imported without a source takes the file's name)."""
        return self.source or self.file_name


@dataclass
class Written:
    """What a write did: the batch (None after a dry run, or when an identical file came first) and its rows."""

    batch_id: int | None = None
    identical_to: int | None = None
    added: int = 0
    updated: int = 0
    present: int = 0
    sites_created: int = 0
    notes: list[str] = field(default_factory=list)


def identical_batch(conn: sqlite3.Connection, sha256: str, kind_name: str) -> int | None:
    """The first batch that imported the same file as the same kind, or None."""
    row = conn.execute("SELECT id FROM import_batches WHERE sha256 = ? AND kind = ? ORDER BY id LIMIT 1",
                       (sha256, kind_name)).fetchone()
    return row[0] if row else None


def write_batch(conn: sqlite3.Connection, batch: Batch, cols: Columns, *, dry_run: bool = False,
                progress: Progress | None = None) -> Written:
    """Store the rows of `cols` as one batch, in one transaction (rolled back after a dry run)."""
    kind = batch.kind
    with _foreign_keys_by_construction(conn):
        transaction.begin_immediate(conn)
        try:
            # Asked again under the write lock: two processes importing the same file at once add it once.
            earlier = identical_batch(conn, batch.sha256, kind.name)
            if earlier is not None:
                conn.execute("ROLLBACK")
                return Written(identical_to=earlier)
            batch_id = conn.execute(
                "INSERT INTO import_batches (kind, file_name, sha256, source, imported_at, editor, mapping, notes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kind.name, batch.file_name, batch.sha256, batch.source, utc_timestamp(), batch.editor,
                 json.dumps(batch.mapping), "\n".join(batch.notes) or None),
            ).lastrowid
            written = Written()
            if kind.name == "sites":
                _write_sites(conn, cols, batch_id, batch.default_source, written)
            elif cols.rows:
                cols, written.sites_created = _with_site_ids(conn, cols, batch_id, batch.file_name)
                if _insert_into_empty(conn, kind, cols, batch_id, batch.default_source, progress):
                    written.added = cols.rows
                else:  # rows exist already: stage the typed rows and let the dedup insert compare them
                    _stage_rows(conn, kind, cols, batch.default_source, progress)
                    _insert_rows(conn, kind, batch_id, written)
            conn.execute(
                "UPDATE import_batches SET rows_read = ?, rows_added = ?, rows_updated = ?, rows_present = ?, "
                "rows_rejected = ? WHERE id = ?",
                (batch.rows_read, written.added, written.updated, written.present, batch.rows_rejected, batch_id),
            )
            audit.record(conn, "import", batch_id, f"{kind.name} from {batch.file_name}: {written.added} added, "
                         f"{written.updated} updated", editor=batch.editor)
            if dry_run:
                conn.execute("ROLLBACK")
            else:
                conn.execute("COMMIT")
                written.batch_id = batch_id
            return written
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


@contextmanager
def _foreign_keys_by_construction(conn: sqlite3.Connection) -> Iterator[None]:
    """Foreign keys off for the write (SQLite can switch them only outside a transaction).

    Every key the write stores exists by construction: site ids are looked up in `sites` (_with_site_ids)
    and the batch id is the batch row just inserted, in the same transaction. Checking them again for
    each of a million rows costs a tenth of the import."""
    was_on = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    if was_on:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if was_on:
            conn.execute("PRAGMA foreign_keys = ON")


def _data_fields(kind: Kind) -> list[str]:
    """Stored columns other than id, source and batch (site as site_id)."""
    return ["site_id" if f.name == "site" else f.name for f in kind.fields if f.name != "source"]


def _stored(kind: Kind) -> list[tuple[str, str]]:
    """(field, stored column) pairs in table order, source last."""
    return [(f.name, "site_id" if f.name == "site" else f.name) for f in kind.fields if f.name != "source"] + [
        ("source", "source")]


def _with_site_ids(conn, cols: Columns, batch_id: int, file_name: str) -> tuple[Columns, int]:
    """The rows with site ids in place of site names, creating the sites not known yet (a record naming an
    unknown site creates that site); and how many were created."""
    if "site" in cols.constants:
        names = [cols.constants["site"]]
    elif "site" in cols.uniques:
        names = cols.uniques["site"]
    else:
        return cols, 0
    before = conn.total_changes
    conn.executemany("INSERT OR IGNORE INTO sites (name, source, batch_id) VALUES (?, ?, ?)",
                     [(n, f"created by the import of {file_name}", batch_id) for n in names])
    created = conn.total_changes - before
    ids = [conn.execute("SELECT id FROM sites WHERE name = ?", (n,)).fetchone()[0] for n in names]
    out = replace(cols, constants=dict(cols.constants), uniques=dict(cols.uniques))
    if "site" in cols.constants:
        out.constants["site"] = ids[0]
    else:
        out.uniques["site"] = ids
    return out, created


def rows_stand_alone(cols: Columns) -> bool:
    """Each row simply adds itself: no case id on two rows, and either every row a case or none (into an
    empty table, such rows go in as they are, in the file's order; others take the case-by-case update)."""
    if "case_id" not in cols.codes:
        return cols.constants.get("case_id") is None or cols.rows <= 1
    values = cols.uniques["case_id"]
    known = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    rows = np.bincount(cols.codes["case_id"], minlength=len(values))
    return bool(not rows[~known].any() and rows[known].max(initial=0) <= 1)


def _insert_into_empty(conn, kind: Kind, cols: Columns, batch_id: int, default_source: str,
                       progress: Progress | None) -> bool:
    """Insert every row straight into the table when it holds no rows yet (nothing can be present
    already) and no row updates another; False otherwise. Big inserts drop the table's indexes and build
    them afterwards."""
    if kind.name not in SINGLE_COLUMN_CHECKS or not rows_stand_alone(cols):
        return False
    if conn.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone():
        return False
    indexes = []
    if cols.rows >= REBUILD_INDEXES_FROM:
        # Partial indexes (case ids) stay: a row outside their WHERE costs next to nothing, and rebuilding
        # one reads the whole table.
        indexes = conn.execute(
            "SELECT m.name, m.sql FROM sqlite_master m JOIN pragma_index_list(?) l ON l.name = m.name "
            "WHERE m.type = 'index' AND m.sql IS NOT NULL AND l.partial = 0",
            (kind.table,),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    pairs, extra = _stored(kind), {"batch_id": batch_id}
    _check_distinct_values(conn, kind, cols, pairs, extra, default_source)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        insert(conn, kind.table, cols, pairs, extra, default_source, with_line=False, progress=progress)
    finally:
        conn.execute("PRAGMA ignore_check_constraints = OFF")
    threads = conn.execute("PRAGMA threads").fetchone()[0]
    conn.execute(f"PRAGMA threads = {max(threads, INDEX_THREADS)}")  # the index sort, on both cores
    try:
        for _, sql in indexes:
            conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA threads = {threads}")
    return True


def _check_distinct_values(conn, kind: Kind, cols: Columns, pairs: list[tuple[str, str]],
                           extra: dict[str, object], default_source: str) -> None:
    """Hold every distinct value of every column to the table's own CHECK constraints, so that the bulk
    insert need not check each of a million rows again.

    The tables taken here have CHECKs on single columns only, and each row's value in a column is one of
    that column's distinct values: when every distinct value passes, every row does. Probe rows (row i
    takes the i-th distinct value of each column, or its last) are inserted and rolled back; a value that
    breaks a CHECK raises sqlite3.IntegrityError here, as it would in the insert itself.
    """
    if kind.name not in SINGLE_COLUMN_CHECKS:
        raise ValueError(f"{kind.table} may have CHECKs across columns; the straight insert does not take it")
    # Text has no CHECK (schema._column_ddl), and site ids are looked up: one value of each will do, not a
    # row per case id.
    checked = {name: values for name, values in cols.uniques.items() if kind.field(name).type != "text"}
    probe = Columns(rows=max((len(v) for v in checked.values()), default=1), first_line=cols.first_line,
                    constants=dict(cols.constants), uniques=dict(cols.uniques))
    probe.codes = {name: np.minimum(np.arange(probe.rows), len(values) - 1) if name in checked
                   else np.zeros(probe.rows, dtype=np.int64) for name, values in cols.uniques.items()}
    conn.execute("SAVEPOINT check_distinct_values")
    try:
        insert(conn, kind.table, probe, pairs, extra, default_source, with_line=False)
    finally:
        conn.execute("ROLLBACK TO check_distinct_values")
        conn.execute("RELEASE check_distinct_values")


def _stage_rows(conn, kind: Kind, cols: Columns, default_source: str, progress: Progress | None) -> None:
    """temp.stage_rows (line, stored fields..., source): the rows to compare with the table's."""
    conn.execute("DROP TABLE IF EXISTS temp.stage_rows")
    conn.execute(f"CREATE TEMP TABLE stage_rows (line INTEGER, {', '.join(_data_fields(kind))}, source)")
    insert(conn, "temp.stage_rows", cols, _stored(kind), {}, default_source, with_line=True, progress=progress)


def _insert_rows(conn, kind: Kind, batch_id: int, written: Written) -> None:
    """Insert temp.stage_rows: cases add or update, other rows count as already present occurrence by
    occurrence."""
    fields = _data_fields(kind)
    target = kind.table
    cols = ", ".join(fields)
    try:
        if "case_id" in fields:
            _write_cases(conn, kind, batch_id, written, fields)
            where = "WHERE case_id IS NULL"
        else:
            where = ""
        # Identity of a row for "already present": every data field; for a population count also its
        # source, because two sources' counts of one date are both kept (DOMAIN.md: figures are contested).
        key = fields + (["source"] if kind.name == "population" else [])
        _superseded(conn, kind, key, where, written)
        existing = conn.execute(f"SELECT 1 FROM {target} LIMIT 1").fetchone()
        before = conn.total_changes
        if existing is None:
            conn.execute(
                f"INSERT INTO {target} ({cols}, source, batch_id) SELECT {cols}, source, ? FROM temp.stage_rows {where} "
                "ORDER BY line",
                (batch_id,),
            )
        else:
            # quote() keeps NULL apart from the text 'NULL' and 1 apart from '1': one text key per identity,
            # so the join is an equality SQLite can index.
            ident = " || ',' || ".join(f"quote({k})" for k in key)
            conn.execute(
                f"""INSERT INTO {target} ({cols}, source, batch_id)
                SELECT {', '.join('n.' + c for c in fields)}, n.source, ? FROM (
                    SELECT *, {ident} AS ident, row_number() OVER (PARTITION BY {ident} ORDER BY line) AS occ
                    FROM temp.stage_rows {where}
                ) n
                LEFT JOIN (SELECT {ident} AS ident, count(*) AS have FROM {target} GROUP BY 1) o ON o.ident = n.ident
                WHERE n.occ > coalesce(o.have, 0)
                ORDER BY n.line""",
                (batch_id,),
            )
        added = conn.total_changes - before
        considered = conn.execute(f"SELECT count(*) FROM temp.stage_rows {where}").fetchone()[0]
        written.added += added
        written.present += considered - added
        if considered - added:
            _present_by_hand(conn, kind, key, where, written)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.stage_rows")


def _ident(key: list[str], alias: str = "") -> str:
    """A row's identity as one text (quote() keeps NULL apart from 'NULL' and 1 apart from '1')."""
    return " || ',' || ".join(f"quote({alias}{k})" for k in key)


def _staged_matching(conn, key: list[str], where: str, idents: dict[str, int]) -> dict[int, int]:
    """How many staged rows have each of `idents` (identity -> batch), counted per batch."""
    if not idents:
        return {}
    cond = "AND case_id IS NULL" if where else ""
    found: dict[int, int] = {}
    for ident, n in conn.execute(
            f"SELECT {_ident(key)} AS ident, count(*) FROM temp.stage_rows WHERE ident IN "
            f"(SELECT value FROM json_each(?)) {cond} GROUP BY 1", (json.dumps(list(idents)),)):
        found[idents[ident]] = found.get(idents[ident], 0) + n
    return dict(sorted(found.items()))


def _superseded(conn, kind: Kind, key: list[str], where: str, written: Written) -> None:
    """Rows of the file equal to a record a change set corrected or deleted are not added again: the
    correction stands (a weekly file that still has the typo must not bring it back beside the corrected
    count). They count as already present, and a note says so, naming the change sets."""
    logged = " || ',' || ".join(f"quote(json_extract(before, '$.{k}'))" for k in key)
    idents = dict(conn.execute(f"SELECT {logged}, min(batch_id) FROM record_changes WHERE table_name = ? "
                               "AND action != 'add' GROUP BY 1", (kind.table,)).fetchall())
    hits = _staged_matching(conn, key, where, idents)
    if not hits:
        return
    cond = "AND case_id IS NULL" if where else ""
    conn.execute(f"DELETE FROM temp.stage_rows WHERE {_ident(key)} IN (SELECT value FROM json_each(?)) {cond}",
                 (json.dumps(list(idents)),))
    n = sum(hits.values())
    written.present += n
    written.notes.append(f"{n} rows equal records that change set{'s' if len(hits) > 1 else ''} "
                         f"{', '.join(map(str, hits))} corrected or deleted: not added again (the correction "
                         "stands; undo the change set to have them back)")


def _present_by_hand(conn, kind: Kind, key: list[str], where: str, written: Written) -> None:
    """Say so when rows counted as already present equal records entered by hand (by a change set):
    undoing that change set would take them out, though this file has them too."""
    idents = dict(conn.execute(
        f"SELECT {_ident(key)}, min(batch_id) FROM {kind.table} WHERE batch_id IN "
        "(SELECT id FROM import_batches WHERE reason IS NOT NULL) GROUP BY 1").fetchall())
    found = _staged_matching(conn, key, where, idents)
    if found:
        written.notes.append(
            f"{sum(found.values())} rows already present are records entered by hand (change set "
            f"{', '.join(map(str, found))}): undoing that change set would remove them, though this file has "
            "them too")


def _write_cases(conn, kind: Kind, batch_id: int, written: Written, fields: list[str]) -> None:
    """Rows with a case_id: the last row of each case in the file adds the case or updates it."""
    target = kind.table
    dupes = conn.execute(
        "SELECT count(*) - count(DISTINCT case_id) FROM temp.stage_rows WHERE case_id IS NOT NULL").fetchone()[0]
    # The last row of each case by a window, not a subquery per row: that was quadratic (50,000 cases
    # took 100 s). Read as the loop goes: a million cases need not sit in memory at once.
    rows = conn.execute(
        f"SELECT {', '.join(fields)}, source FROM (SELECT *, row_number() OVER (PARTITION BY case_id "
        "ORDER BY line DESC) AS nth FROM temp.stage_rows WHERE case_id IS NOT NULL) WHERE nth = 1 ORDER BY line"
    )
    if dupes:
        written.notes.append(f"{dupes} earlier rows of cases listed again in the file: the last row of each case counts")
        written.present += dupes
    cols = [*fields, "source"]
    for row in rows:
        values = dict(zip(cols, row, strict=True))
        old = conn.execute(f"SELECT id, {', '.join(cols)} FROM {target} WHERE case_id = ?", (values["case_id"],)).fetchone()
        if old is None:
            conn.execute(f"INSERT INTO {target} ({', '.join(cols)}, batch_id) VALUES ({', '.join('?' * len(cols))}, ?)",
                         (*row, batch_id))
            written.added += 1
            continue
        current = dict(zip(cols, old[1:], strict=True))
        changes = {k: v for k, v in values.items() if k != "source" and current[k] != v}
        if not changes:
            written.present += 1
            continue
        changes["source"] = values["source"]
        _record_change(conn, batch_id, target, old[0], {k: current[k] for k in changes})
        conn.execute(f"UPDATE {target} SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                     (*changes.values(), old[0]))
        written.updated += 1


def _write_sites(conn, cols: Columns, batch_id: int, default_source: str, written: Written) -> None:
    """Sites add themselves by name, or update the details a file gives for a site already known."""
    names = KINDS["sites"].names
    for i in range(cols.rows):
        values = {name: cols.value(name, i) for name in names}
        if values["source"] is None:
            values["source"] = default_source
        row = tuple(values.values())
        old = conn.execute(f"SELECT id, {', '.join(names)} FROM sites WHERE name = ?", (values["name"],)).fetchone()
        if old is None:
            conn.execute(
                f"INSERT INTO sites ({', '.join(names)}, batch_id) VALUES ({', '.join('?' * len(names))}, ?)",
                (*row, batch_id),
            )
            written.added += 1
            continue
        current = dict(zip(names, old[1:], strict=True))
        changes = {k: v for k, v in values.items() if v is not None and k != "name" and current[k] != v}
        if not changes:
            written.present += 1
            continue
        _record_change(conn, batch_id, "sites", old[0], {k: current[k] for k in changes})
        conn.execute(f"UPDATE sites SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?", (*changes.values(), old[0]))
        written.updated += 1


def _record_change(conn, batch_id: int, table: str, row_id: int, old_values: dict) -> None:
    """The values a batch is about to overwrite, so that undo can put them back."""
    conn.execute("INSERT INTO batch_changes (batch_id, table_name, row_id, old_values) VALUES (?, ?, ?, ?)",
                 (batch_id, table, row_id, json.dumps(old_values)))


# ---------------------------------------------------------------- batches and undo


def list_batches(conn: sqlite3.Connection) -> list[dict]:
    """Every import batch and change set, newest first (a change set has a reason and deleted rows)."""
    cur = conn.execute(
        "SELECT id, kind, file_name, source, rows_read, rows_added, rows_updated, rows_present, rows_rejected, "
        "imported_at, editor, sha256, reason, (SELECT count(*) FROM record_changes c WHERE c.batch_id = b.id "
        "AND c.action = 'delete') AS rows_deleted FROM import_batches b ORDER BY id DESC"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


RESTORED = " restored"  # undo's count of a table's rows a change set had changed or deleted, put back


def undo(conn: sqlite3.Connection, batch_id: int, *, editor: str | None = None) -> dict[str, int]:
    """Remove exactly what batch `batch_id` added and put back what it updated (a change set: what it edited
    or deleted). Returns rows removed per table, and rows put back under "<table> restored" (RESTORED).
    Refuses while a later batch or change set changed rows this batch wrote (undo that one first)."""
    db.require_writable("undoing an import")
    transaction.begin_immediate(conn)
    try:
        batch = conn.execute("SELECT id, kind, file_name, reason FROM import_batches WHERE id = ?",
                             (batch_id,)).fetchone()
        if batch is None:
            raise UsageError(f"there is no import batch {batch_id}; `resettle batches` lists them")
        later = changes.later_batch(conn, batch_id)
        if later is not None:
            raise UsageError(f"{changes.describe_batch(conn, later)} changed rows that "
                             f"{changes.describe_batch(conn, batch_id)} wrote; undo "
                             f"{'change set' if changes.is_change_set(conn, later) else 'batch'} {later} first")
        tables = [k.table for k in KINDS.values()]
        removed: dict[str, int] = {}
        for t in tables:
            if t == "sites":
                continue
            before = conn.total_changes
            conn.execute(f"DELETE FROM {t} WHERE batch_id = ?", (batch_id,))
            removed[t] = conn.total_changes - before
        # Names go into the SQL: only those of our own tables and columns (the values are parameters).
        known = {k.table: {"source", *_data_fields(k)} for k in KINDS.values()}
        for table_name, row_id, old in conn.execute(
            "SELECT table_name, row_id, old_values FROM batch_changes WHERE batch_id = ? ORDER BY rowid DESC", (batch_id,)
        ).fetchall():
            values = json.loads(old)
            if table_name not in known or not set(values) <= known[table_name]:
                raise UsageError(f"batch {batch_id} holds a change to {table_name} that resettle did not write")
            conn.execute(f"UPDATE {table_name} SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                         (*values.values(), row_id))
        restored = changes.revert(conn, batch_id)  # a change set's edits and deletions, put back
        in_use = " AND ".join(
            f"id NOT IN (SELECT site_id FROM {k.table})" for k in KINDS.values() if k.has_site
        )
        before = conn.total_changes
        conn.execute(f"DELETE FROM sites WHERE batch_id = ? AND {in_use}", (batch_id,))
        removed["sites"] = conn.total_changes - before
        conn.execute("UPDATE sites SET batch_id = NULL WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM batch_changes WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM record_changes WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM import_batches WHERE id = ?", (batch_id,))
        what = (f"change set ({batch[1]}, reason: {batch[3]})" if batch[3] is not None
                else f"{batch[1]} from {batch[2]}")
        removed.update({f"{t}{RESTORED}": n for t, n in restored.items()})
        audit.record(conn, "undo", batch_id, f"undid {what}: "
                     + ", ".join(f"{t} {n}" for t, n in removed.items() if n), editor=editor)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return removed
