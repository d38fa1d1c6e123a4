"""Change sets: records added, corrected or deleted by hand, stored as a batch with a reason.

A change set is a row of import_batches with a `reason` (an import has none). Each record it touches
gets a row in record_changes with the whole stored row before and after, so that undo (writer.undo)
puts back exactly what was there and `history` can show every version of a record; the audit log gets
one entry per record with each changed field's value before and after.

Every change is checked under the write lock: a row edited or deleted must still hold the values the
editor loaded (else the whole change set is refused: someone changed it meanwhile), and a row added or
edited must not silently become the twin of another (an import would count one of the two as "already
present").
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field

from resettle.domain.clock import utc_timestamp
from resettle.domain.errors import UsageError
from resettle.domain.records import KINDS, Kind
from resettle.store import audit, transaction

ACTIONS = ("add", "edit", "delete")
CHANGE_SET_FILE = "change set"  # what import_batches.file_name says of a change set


class ChangedSinceLoaded(UsageError):
    """A row the change set edits or deletes is no longer as the editor loaded it; nothing was written."""


class UnknownRecord(UsageError):
    """No record of that kind has that id."""


@dataclass
class RowChange:
    """One record's change. `values`: the whole record after it (field -> stored value, the site by
    name), for add and edit. `loaded`: the record as the editor saw it (same form), compared with the
    database under the write lock; None to take the record as it is now (the command line). `label`
    names the row in messages ("row 3")."""

    action: str
    row_id: int | None = None
    values: dict[str, object] = field(default_factory=dict)
    loaded: dict[str, object] | None = None
    label: str = ""


@dataclass
class ChangeSet:
    """What a change set did: its batch id and the records it added, edited and deleted."""

    batch_id: int
    kind: str
    reason: str
    added: list[int] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    unchanged: int = 0
    sites_created: int = 0

    def line(self) -> str:
        """One line for the page and the command line."""
        return (f"change set {self.batch_id} ({self.kind}): {len(self.added)} added, {len(self.edited)} edited, "
                f"{len(self.deleted)} deleted" + (f", {self.unchanged} unchanged" if self.unchanged else "")
                + f"; reason: {self.reason}")


def is_change_set(conn: sqlite3.Connection, batch_id: int) -> bool:
    row = conn.execute("SELECT reason FROM import_batches WHERE id = ?", (batch_id,)).fetchone()
    return row is not None and row[0] is not None


def describe_batch(conn: sqlite3.Connection, batch_id: int) -> str:
    """How messages name a batch: "batch 4 (population from counts.csv)" or "change set 7 (reason: typo)"."""
    row = conn.execute("SELECT kind, file_name, reason FROM import_batches WHERE id = ?", (batch_id,)).fetchone()
    if row is None:
        return f"batch {batch_id}"
    if row[2] is not None:
        return f"change set {batch_id} ({row[0]}, reason: {row[2]})"
    return f"batch {batch_id} ({row[0]} from {row[1]})"


# ---------------------------------------------------------------- reading records


def _select(kind: Kind) -> str:
    """The record's fields by name (the site by its name), then id and batch_id."""
    cols = ", ".join("s.name" if f == "site" else f"t.{f}" for f in kind.names)
    join = " JOIN sites s ON s.id = t.site_id" if kind.has_site else ""
    return f"SELECT {cols}, t.id, t.batch_id FROM {kind.table} t{join}"


def records(conn: sqlite3.Connection, kind: Kind, ids: list[int]) -> dict[int, dict[str, object]]:
    """The records of `kind` with these ids, as field -> stored value (the site by name; `id` and
    `batch_id` too). Ids that do not exist are left out."""
    out: dict[int, dict[str, object]] = {}
    names = [*kind.names, "id", "batch_id"]
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start:start + 500]]
        for row in conn.execute(f"{_select(kind)} WHERE t.id IN ({', '.join('?' * len(chunk))})", chunk):
            values = dict(zip(names, row, strict=True))
            out[int(values["id"])] = values
    return out


def record(conn: sqlite3.Connection, kind: Kind, row_id: int) -> dict[str, object]:
    """One record (as `records` gives it), or UnknownRecord naming the id."""
    found = records(conn, kind, [row_id]).get(int(row_id))
    if found is None:
        raise UnknownRecord(f"there is no {kind.name} record {row_id}; the Data page and `resettle history` show ids")
    return found


def _stored_row(conn: sqlite3.Connection, kind: Kind, row_id: int) -> dict[str, object] | None:
    """The row as stored (every column, site_id rather than the site's name), for undo to restore."""
    cur = conn.execute(f"SELECT * FROM {kind.table} WHERE id = ?", (row_id,))
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))


def _fields(values: dict[str, object], kind: Kind) -> dict[str, object]:
    return {f: values.get(f) for f in kind.names}


# ---------------------------------------------------------------- writing a change set


def write_change_set(conn: sqlite3.Connection, kind_name: str, changes: list[RowChange], *, reason: str,
                     editor: str | None, allow_twins: bool = False) -> ChangeSet:
    """Store `changes` as one change set (a batch with `reason`), all or nothing, in one transaction.

    Raises ChangedSinceLoaded when a row is not as loaded any more, UnknownRecord for an id that does
    not exist, and UsageError for a change that would make a row the twin of another (unless
    `allow_twins`), a case id already taken, a site still in use, or nothing to change."""
    kind = KINDS[kind_name]
    reason = " ".join((reason or "").split())
    if not reason:
        raise UsageError("a change set needs a reason: say why these records change")
    for change in changes:
        if change.action not in ACTIONS:
            raise UsageError(f"unknown change {change.action!r}; one of {', '.join(ACTIONS)}")
    transaction.begin_immediate(conn)
    try:
        batch_id = conn.execute(
            "INSERT INTO import_batches (kind, file_name, sha256, source, imported_at, editor, reason, rows_read) "
            "VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
            # A change set has no file: a random identity that no import's SHA-256 can equal.
            (kind.name, CHANGE_SET_FILE, f"change-set-{uuid.uuid4().hex}", utc_timestamp(), editor, reason,
             len(changes)),
        ).lastrowid
        done = ChangeSet(batch_id, kind.name, reason)
        for change in changes:
            _apply(conn, kind, batch_id, change, done, editor, allow_twins)
        if not (done.added or done.edited or done.deleted):
            raise UsageError("nothing to save: every row is as it is stored")
        conn.execute("UPDATE import_batches SET rows_added = ?, rows_updated = ?, rows_present = ? WHERE id = ?",
                     (len(done.added), len(done.edited), done.unchanged, batch_id))
        audit.record(conn, "change", batch_id, f"{done.line()}"
                     + (f"; {done.sites_created} new sites" if done.sites_created else ""), editor=editor)
        conn.execute("COMMIT")
        return done
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _apply(conn, kind: Kind, batch_id: int, change: RowChange, done: ChangeSet, editor: str | None,
           allow_twins: bool) -> None:
    label = change.label or (f"record {change.row_id}" if change.row_id is not None else "the new record")
    current = None
    if change.action != "add":
        if change.row_id is None:
            raise UsageError(f"{label}: which record? (an id is needed to {change.action} one)")
        found = records(conn, kind, [change.row_id]).get(int(change.row_id))
        if found is None:
            if change.loaded is not None:
                raise ChangedSinceLoaded(f"{label}: {kind.name} record {change.row_id} was deleted since it was "
                                         f"loaded{_by_whom(conn, kind, change.row_id)}; nothing was saved. "
                                         "Reload the table and make the change again.")
            raise UnknownRecord(f"there is no {kind.name} record {change.row_id}")
        current = _fields(found, kind)
        if change.loaded is not None and _fields(change.loaded, kind) != current:
            fields = [f for f in kind.names if change.loaded.get(f) != current[f]]
            raise ChangedSinceLoaded(
                f"{label}: {kind.name} record {change.row_id} changed since it was loaded "
                f"({', '.join(fields)}){_by_whom(conn, kind, change.row_id)}; nothing was saved. Reload the table "
                "and make the change again.")
    if change.action == "delete":
        _delete(conn, kind, batch_id, int(change.row_id), label, current, editor)
        done.deleted.append(int(change.row_id))
        return
    values = _fields(change.values, kind)
    if current is not None and values == current:
        done.unchanged += 1
        return
    stored = dict(values)
    if kind.has_site:
        stored["site_id"], created = _site_id(conn, str(values["site"]), batch_id)
        done.sites_created += created
        del stored["site"]
    if not allow_twins:
        _refuse_twin(conn, kind, stored, change.row_id, label)
    _refuse_taken_case(conn, kind, stored, change.row_id, label)
    try:
        if change.action == "add":
            cols = [*stored, "batch_id"]
            row_id = conn.execute(f"INSERT INTO {kind.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                  (*stored.values(), batch_id)).lastrowid
            _log(conn, batch_id, kind, row_id, "add", batch_id, None, _stored_row(conn, kind, row_id))
            audit.record(conn, "add", batch_id, f"{kind.name} {row_id} added: " + _show(values), editor=editor)
            done.added.append(row_id)
            return
        row_id = int(change.row_id)
        before = _stored_row(conn, kind, row_id)
        conn.execute(f"UPDATE {kind.table} SET {', '.join(f'{c} = ?' for c in stored)} WHERE id = ?",
                     (*stored.values(), row_id))
    except sqlite3.IntegrityError as exc:  # a site's name taken (sites are unique by name, any case)
        raise UsageError(f"{label}: {_integrity(exc)}") from None
    _log(conn, batch_id, kind, row_id, "edit", before.get("batch_id"), before, _stored_row(conn, kind, row_id))
    diff = [f"{f} {_value(current[f])} -> {_value(values[f])}" for f in kind.names if current[f] != values[f]]
    audit.record(conn, "edit", batch_id, f"{kind.name} {row_id}: " + "; ".join(diff), editor=editor)
    done.edited.append(row_id)


def _delete(conn, kind: Kind, batch_id: int, row_id: int, label: str, current: dict, editor: str | None) -> None:
    if kind.name == "sites":
        users = [k.label.lower() for k in KINDS.values()
                 if k.has_site and conn.execute(f"SELECT 1 FROM {k.table} WHERE site_id = ? LIMIT 1", (row_id,)).fetchone()]
        if users:
            raise UsageError(f"{label}: the site {current['name']!r} still has {', '.join(users)}; delete or move "
                             "those first")
    before = _stored_row(conn, kind, row_id)
    conn.execute(f"DELETE FROM {kind.table} WHERE id = ?", (row_id,))
    _log(conn, batch_id, kind, row_id, "delete", before.get("batch_id"), before, None)
    audit.record(conn, "delete", batch_id, f"{kind.name} {row_id} deleted: " + _show(current), editor=editor)


def _site_id(conn, name: str, batch_id: int) -> tuple[int, int]:
    """The id of the site named `name` (any case), created with this change set when unknown; and 1 if created."""
    row = conn.execute("SELECT id FROM sites WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return row[0], 0
    site = conn.execute("INSERT INTO sites (name, source, batch_id) VALUES (?, ?, ?)",
                        (name, f"created by change set {batch_id}", batch_id)).lastrowid
    return site, 1


def _identity(kind: Kind) -> list[str]:
    """The stored columns an import compares to call a row already present (writer._insert_rows): every
    data field, and a population count's source too (two sources' counts of one date are both kept)."""
    cols = ["site_id" if f == "site" else f for f in kind.names if f != "source"]
    return cols + (["source"] if kind.name == "population" else [])


def _refuse_twin(conn, kind: Kind, stored: dict, row_id: int | None, label: str) -> None:
    if kind.name == "sites" or stored.get("case_id") is not None:
        return  # sites are one per name and cases one per case id: no twins to confuse
    cols = _identity(kind)
    twin = conn.execute(f"SELECT id, batch_id FROM {kind.table} WHERE {' AND '.join(f'{c} IS ?' for c in cols)} "
                        "AND id IS NOT ? LIMIT 1", (*[stored[c] for c in cols], row_id)).fetchone()
    if twin is not None:
        raise UsageError(
            f"{label}: every field equals {kind.name} record {twin[0]} ({describe_batch(conn, twin[1])}): an import "
            "would count one of them as already present. Change a field, or say that these are separate "
            "records (the page's checkbox, or --separate on the command line).")


def _refuse_taken_case(conn, kind: Kind, stored: dict, row_id: int | None, label: str) -> None:
    case = stored.get("case_id")
    if case is None:
        return
    other = conn.execute(f"SELECT id FROM {kind.table} WHERE case_id = ? AND id IS NOT ? LIMIT 1",
                         (case, row_id)).fetchone()
    if other is not None:
        raise UsageError(f"{label}: case {case!r} is already {kind.name} record {other[0]}; correct that record "
                         "instead (a case is one record)")


def _integrity(exc: sqlite3.IntegrityError) -> str:
    text = str(exc)
    if "UNIQUE" in text and "sites.name" in text:
        return "another site has this name already"
    return f"the database refused it ({text})"


def _log(conn, batch_id: int, kind: Kind, row_id: int, action: str, row_batch_id, before, after) -> None:
    conn.execute("INSERT INTO record_changes (batch_id, table_name, row_id, action, row_batch_id, before, after) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (batch_id, kind.table, row_id, action, row_batch_id,
                  None if before is None else json.dumps(before), None if after is None else json.dumps(after)))


def _by_whom(conn, kind: Kind, row_id: int) -> str:
    """", by change set 9 (alice, 2026-12-06T10:00:00Z)" for the last change set that touched the row."""
    row = conn.execute("SELECT b.id, b.editor, b.imported_at FROM record_changes c JOIN import_batches b "
                       "ON b.id = c.batch_id WHERE c.table_name = ? AND c.row_id = ? ORDER BY c.id DESC LIMIT 1",
                       (kind.table, row_id)).fetchone()
    if row is None:
        return ""
    return f", by change set {row[0]} ({row[1] or 'no editor named'}, {row[2]})"


def _value(v: object) -> str:
    return "(empty)" if v is None else repr(v) if isinstance(v, str) else str(v)


def _show(values: dict) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in values.items() if v is not None)


# ---------------------------------------------------------------- undo and its checks


def later_batch(conn: sqlite3.Connection, batch_id: int) -> int | None:
    """The first batch after `batch_id` that changed a row `batch_id` wrote or changed (an import's case
    update, a change set's edit or delete), or None. Undoing `batch_id` first would lose that change."""
    later_changes = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM batch_changes WHERE batch_id > ?) OR EXISTS "
        "(SELECT 1 FROM record_changes WHERE batch_id > ?)", (batch_id, batch_id)).fetchone()[0]
    if not later_changes:
        return None  # the usual case: no scan of the tables
    found: list[int] = []
    for kind in KINDS.values():
        t = kind.table
        params = {"b": batch_id, "t": t}
        row = conn.execute(
            f"""SELECT min(c.batch_id) FROM (
                    SELECT batch_id, row_id FROM batch_changes WHERE table_name = :t AND batch_id > :b
                    UNION ALL SELECT batch_id, row_id FROM record_changes WHERE table_name = :t AND batch_id > :b
                ) c WHERE c.row_id IN (
                    SELECT id FROM {t} WHERE batch_id = :b
                    UNION SELECT row_id FROM batch_changes WHERE batch_id = :b AND table_name = :t
                    UNION SELECT row_id FROM record_changes WHERE batch_id = :b AND table_name = :t)""",
            params).fetchone()
        if row[0] is not None:
            found.append(row[0])
        # A row this batch added that a later change set deleted is no longer in the table.
        row = conn.execute("SELECT min(batch_id) FROM record_changes WHERE table_name = :t AND row_batch_id = :b "
                           "AND batch_id > :b", params).fetchone()
        if row[0] is not None:
            found.append(row[0])
    return min(found) if found else None


def revert(conn: sqlite3.Connection, batch_id: int) -> dict[str, int]:
    """Inside undo's transaction: put back every record change set `batch_id` edited or deleted, exactly
    as stored before (the rows it added go with the batch's other rows). Returns rows restored per table."""
    known = {k.table: k for k in KINDS.values()}
    restored: dict[str, int] = {}
    for table, row_id, action, before in conn.execute(
            "SELECT table_name, row_id, action, before FROM record_changes WHERE batch_id = ? ORDER BY id DESC",
            (batch_id,)).fetchall():
        if action == "add":
            continue
        kind = known.get(table)
        values = json.loads(before)
        columns = {c for (c,) in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))} if kind else set()
        if kind is None or not set(values) <= columns:  # names go into the SQL: only our own
            raise UsageError(f"change set {batch_id} holds a change to {table} that resettle did not write")
        if action == "edit":
            conn.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values if c != 'id')} WHERE id = ?",
                         (*[v for c, v in values.items() if c != "id"], row_id))
        else:
            if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone():
                taken = conn.execute(f"SELECT batch_id FROM {table} WHERE id = ?", (row_id,)).fetchone()[0]
                raise UsageError(f"{kind.name} record {row_id}, deleted by change set {batch_id}, cannot come back: "
                                 f"its id now belongs to a row of {describe_batch(conn, taken)}; undo that first")
            conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                         tuple(values.values()))
        restored[table] = restored.get(table, 0) + 1
    return restored


# ---------------------------------------------------------------- history


@dataclass
class Version:
    """One version of a record: when, who, why, and each field's value before and after (the site by name)."""

    batch_id: int
    action: str  # import (the record came with it), update (an import updated its case), add, edit, delete
    at: str
    editor: str | None
    reason: str | None  # a change set's reason; an import's file name is in `source_file`
    source_file: str | None
    changes: dict[str, tuple[object, object]]


def history(conn: sqlite3.Connection, kind_name: str, row_id: int) -> list[Version]:
    """Every version of a record, oldest first: the import or change set that added it, then each change
    set (or later import updating its case) that changed or deleted it, with each field's value before
    and after. UnknownRecord when nothing is known of it."""
    kind = KINDS[kind_name]
    site_names = dict(conn.execute("SELECT id, name FROM sites")) if kind.has_site else {}
    # (batch, action, before, after): whole stored rows where a change set logged them; an import's case
    # update logged only the values it overwrote (after: None until worked out below).
    events: list[tuple[int, str, dict | None, dict | None]] = [
        (b, action, json.loads(before) if before else None, json.loads(after) if after else None)
        for b, action, before, after in conn.execute(
            "SELECT batch_id, action, before, after FROM record_changes WHERE table_name = ? AND row_id = ? "
            "ORDER BY id", (kind.table, row_id))]
    events += [(b, "import", json.loads(old), None) for b, old in conn.execute(
        "SELECT batch_id, old_values FROM batch_changes WHERE table_name = ? AND row_id = ? ORDER BY rowid",
        (kind.table, row_id))]
    events.sort(key=lambda e: e[0])  # batch ids grow with time
    now = _stored_row(conn, kind, row_id)
    if now is None and not events:
        raise UnknownRecord(f"nothing is known of {kind.name} record {row_id}")
    # Walk back from the record as it is now: each event's "after" is the next one's "before".
    states: list[tuple[dict | None, dict | None]] = []
    after = now
    for _batch, action, before, logged_after in reversed(events):
        if action == "import":
            before = {**(after or {}), **before}
        states.append((before, logged_after if action != "import" else after))
        after = before
    states.reverse()
    versions: list[Version] = []
    if not events or events[0][1] != "add":  # the record came with an import
        origin = after or now
        first_batch = origin.get("batch_id") if origin else None
        versions.append(_version(conn, first_batch, "import", None, origin, kind, site_names))
    for (batch, action, _, _), (before, after) in zip(events, states, strict=True):
        versions.append(_version(conn, batch, "update" if action == "import" else action, before, after, kind,
                                 site_names))
    return versions


def _version(conn, batch_id: int | None, action: str, before: dict | None, after: dict | None, kind: Kind,
             site_names: dict) -> Version:
    def named(stored: dict | None) -> dict[str, object]:
        out = dict(stored or {})
        if "site_id" in out:
            out["site"] = site_names.get(out["site_id"], f"site {out['site_id']}")
        return {f: out.get(f) for f in kind.names}

    b, a = named(before), named(after)
    row = conn.execute("SELECT imported_at, editor, reason, file_name FROM import_batches WHERE id = ?",
                       (batch_id,)).fetchone() if batch_id is not None else None
    at, editor, reason, file_name = row if row else ("", None, None, None)
    return Version(batch_id or 0, action, at, editor, reason, None if reason else file_name,
                   {f: (b[f], a[f]) for f in kind.names if b[f] != a[f]})
