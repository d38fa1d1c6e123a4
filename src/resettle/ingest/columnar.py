"""The fast path of an import, for big plain files: read column-wise with pyarrow, parse each column's
distinct values once, insert with multi-row statements.

It only ever accepts a file it can account for line by line (UTF-8, one record per line, no blank lines,
every value valid, no case listed twice, no future dates). Anything else returns None and the importer takes its
general path, which reports every problem with its line and column. The two paths store the same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from resettle.domain.records import Kind
from resettle.ingest import reading

# Files smaller than this take the general path (it is fast enough there, and reports the same).
FAST_MIN_BYTES = int(os.environ.get("RESETTLE_FAST_MIN_BYTES", 4_000_000))
ROWS_PER_STATEMENT = 200
# Below this many rows, index upkeep during the insert is cheaper than a rebuild.
REBUILD_INDEXES_FROM = 50_000
INDEX_THREADS = 2  # SQLite's sorter may use helper threads to build an index
# The record tables whose CHECK constraints each look at one column (see schema.table_ddl): for them, checking
# every distinct value is checking every row (see _check_distinct_values).
SINGLE_COLUMN_CHECKS = {"population", "transfers", "incidents", "pledges"}
_FREE_TEXT = {"case_id", "description", "destination", "source"}
_READ_BLOCK = 1 << 22


@dataclass
class Columns:
    """Typed columns of a file: each field is a constant or codes into its parsed distinct values."""

    rows: int
    first_line: int
    constants: dict[str, object] = field(default_factory=dict)
    uniques: dict[str, list] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    site_ids: list[int] | None = None  # id per unique site name, once the sites exist


def eligible(kind: Kind, path: Path, table: reading.Table, options) -> bool:
    return (
        kind.name in ("population", "transfers", "incidents", "pledges")
        and table.encoding in ("utf-8", "utf-8-sig")
        and table.delimiter in reading.DELIMITERS
        and not options.skip_invalid
        and path.stat().st_size >= FAST_MIN_BYTES
    )


def _count_lines(path: Path) -> int | None:
    """Physical lines of the file, or None when it has CR-only line ends (one record per line is not certain)
    or a line longer than csv's field limit (pyarrow would take a 10 MB cell; the general path refuses it)."""
    limit = csv.field_size_limit()
    newlines = carriage = 0
    last = b""
    open_line = 0  # bytes since the last line break
    # One buffer read into again and again, and numpy to count: a tenth of the time of bytes.count.
    block = bytearray(_READ_BLOCK)
    equal = np.empty(len(block), dtype=bool)
    with open(path, "rb") as fh:
        while size := fh.readinto(block):
            data = np.frombuffer(block, np.uint8, count=size)
            newlines += int(np.count_nonzero(np.equal(data, ord("\n"), out=equal[:size])))
            if block.find(b"\r", 0, size) >= 0:
                carriage += int(np.count_nonzero(np.equal(data, ord("\r"), out=equal[:size])))
            last = block[size - 1:size]
            first = block.find(b"\n", 0, size)
            if first < 0:
                open_line += size
            elif open_line + first > limit or _long_line(block, first, limit, size):
                return None
            else:
                open_line = size - 1 - block.rfind(b"\n", 0, size)
            if open_line > limit:
                return None
    if carriage and carriage != newlines:
        return None
    return newlines + (0 if last in (b"\n", b"") else 1)


def _long_line(block: bytearray, first: int, limit: int, size: int) -> bool:
    """Whether two line breaks in block[:size] after `first` lie more than `limit` bytes apart.

    Tiles of limit/2 bytes each hold a line break unless a line there is long: such a line covers a whole
    tile, so a few hundred `find`s per block rule out every long line, and only a tile without a break
    needs measuring."""
    half = max(limit // 2, 1)
    pos = first + 1
    while pos + half <= size:
        if block.find(b"\n", pos, pos + half) >= 0:
            pos += half
            continue
        start = block.rfind(b"\n", 0, pos)
        end = block.find(b"\n", pos + half, size)
        if end < 0:
            return False  # the line runs on into the next block: the caller carries its length
        if end - start > limit:
            return True
        pos = end + 1
    return False


def read_columns(kind: Kind, path: Path, table: reading.Table, columns: dict[str, int], options,
                 today: dt.date) -> Columns | None:
    """The file as typed columns, or None when it needs the general path."""
    from resettle.ingest.importer import parse_distinct, set_constants

    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        return None
    lines = _count_lines(path)
    if lines is None:
        return None
    skip = table.header_line + (1 if table.hxl else 0)
    names = [f"c{i}" for i in range(len(table.columns))]
    wanted = {f: names[i] for f, i in columns.items()}
    try:
        data = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, encoding="utf8",
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=table.delimiter, newlines_in_values=False,
                                             ignore_empty_lines=True),
            # Read as dictionaries: each column arrives as codes into its distinct values, which is all
            # the rest needs, without a million Python strings.
            convert_options=pacsv.ConvertOptions(column_types={n: pa.dictionary(pa.int32(), pa.string()) for n in names},
                                                  include_columns=list(wanted.values()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        return None
    if data.num_rows != lines - skip or data.num_rows == 0:
        return None  # blank lines, a second section or multi-line values: the general path counts lines

    out = Columns(rows=data.num_rows, first_line=skip + 1, constants=set_constants(kind, options, today))
    for f in kind.fields:
        if f.name in options.set_values:
            continue
        if f.name not in wanted:
            out.constants[f.name] = f.default
            continue
        column = data.column(wanted[f.name])
        encoded = column.unify_dictionaries().combine_chunks() if column.num_chunks > 1 else column.chunk(0)
        distinct = encoded.dictionary.to_pylist()
        if f.name in _FREE_TEXT:  # nothing to parse, nothing wrong: a million case ids take no tuples
            values = [_free_text(raw) for raw in distinct]
            if f.name == "case_id" and not _cases_stand_alone(distinct, values, encoded.indices):
                return None  # cases that update one another: the general path works them out
        else:
            mapped = parse_distinct(f, kind, distinct, options.date_order, today)
            if any(problem for _, _, problem in mapped):
                return None
            values = [value for _, value, _ in mapped]
        if f.type == "date" and kind.name == "transfers" and any(v and v > today.isoformat() for v in values):
            return None  # allowed only for transfers not yet departed: a rule across fields
        if len(values) == 1:
            out.constants[f.name] = values[0]
        else:
            out.uniques[f.name] = values
            out.codes[f.name] = _int_array(encoded.indices)
    del data, column, encoded
    pa.default_memory_pool().release_unused()  # what Arrow freed goes back to the system (1M transfers: 150 MB)
    return out


def _int_array(ints) -> np.ndarray:
    """A pyarrow integer array without nulls (a dictionary's codes) as numpy, without a copy. Not by
    Array.to_numpy: pyarrow imports pandas for it, a tenth of a second of every import."""
    assert ints.null_count == 0, "codes of a column read with strings_can_be_null=False"
    width = ints.type.bit_width // 8
    return np.frombuffer(ints.buffers()[1], dtype=f"i{width}", count=len(ints), offset=ints.offset * width)


def _cases_stand_alone(raw: list[str], case_ids: list[str | None], codes) -> bool:
    """No case id on two rows, and either every row a case or none: then each row simply adds itself (into
    an empty table; one with rows takes the importer's case-by-case update), in the file's order.
    `raw`: the distinct values as written; `case_ids`: the same cleaned (stripped, or None)."""
    known = np.array([c is not None for c in case_ids], dtype=bool)
    if not known.any():
        return True
    cleaned = any(c is not r for c, r in zip(case_ids, raw, strict=True))  # str.strip() keeps a clean one
    if cleaned and len({c for c in case_ids if c is not None}) < int(known.sum()):
        return False  # two spellings of one case (' C1' and 'C1')
    rows = np.bincount(_int_array(codes), minlength=len(case_ids))
    return bool(rows[known].max() <= 1 and not rows[~known].any())


def _free_text(raw: str) -> str | None:
    from resettle.domain.values import is_missing

    text = raw.strip()
    return None if is_missing(text) else text


def create_sites(conn, cols: Columns, batch_id: int, file_name: str) -> int:
    """Create the sites the file names and note their ids; returns how many were new."""
    if "site" in cols.constants:
        names = [cols.constants["site"]]
    elif "site" in cols.uniques:
        names = cols.uniques["site"]
    else:
        return 0
    before = conn.total_changes
    conn.executemany("INSERT OR IGNORE INTO sites (name, source, batch_id) VALUES (?, ?, ?)",
                     [(n, f"created by the import of {file_name}", batch_id) for n in names])
    created = conn.total_changes - before
    ids = [conn.execute("SELECT id FROM sites WHERE name = ?", (n,)).fetchone()[0] for n in names]
    if "site" in cols.constants:
        cols.constants["site"] = ids[0]
    else:
        cols.uniques["site"] = ids
    return created


@contextmanager
def foreign_keys_by_construction(conn) -> Iterator[None]:
    """Foreign keys off for the fast path's write (SQLite can switch them only outside a transaction).

    Every key that write stores exists by construction: site ids are looked up in `sites` (create_sites)
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


def _stored(kind: Kind) -> list[tuple[str, str]]:
    """(field, stored column) pairs in table order, source last."""
    pairs = [(f.name, "site_id" if f.name == "site" else f.name) for f in kind.fields if f.name != "source"]
    return [*pairs, ("source", "source")]


BLOCK_ROWS = 50_000  # rows laid out and inserted at a time; the progress callback hears after each block
# How columns travel into the statement (see _Column): binding a parameter costs more than SQLite's arithmetic
# on one, so columns with few values or a narrow range are digits of one packed integer per row.
PACK_LIMIT = 1 << 62  # a packed integer stays below this (SQLite's integers have 63 bits and a sign)
CASE_MAX = 32  # a column of at most this many distinct values is spelled out in a CASE
SLICE_MAX_BYTES = 1 << 20  # distinct texts of one width, laid end to end in a blob, up to this size


@dataclass
class _Column:
    """One varying column of an insert and how it travels.

    raw: bound as itself, one parameter per row. The others are a digit (0 <= digit < radix) of a packed
    integer the statement takes apart with / and %: "case", the index of a distinct value the statement
    spells out in a CASE (a few texts: a country, a stage, a source); "offset", an integer's distance from
    the smallest (site ids, counts, line numbers); "slice", the index of a text in a blob of texts all of
    one width (dates), cut out with substr. Each gives the value itself, typed as binding it would."""

    name: str
    column: str
    how: str
    values: np.ndarray | None = None  # raw: the distinct values, by code
    digits: np.ndarray | None = None  # the digit of each distinct value, by code
    radix: int = 0
    decode: tuple[str, str] = ("", "")  # SQL before and after the digit, giving the value
    blob: bytes | None = None  # slice: the texts end to end, bound once per statement


def _plan(name: str, column: str, values: list, blob_param: int, utf8: bool = True) -> _Column:
    n = len(values)
    if all(type(v) is int for v in values):
        low, high = min(values), max(values)
        if high - low < PACK_LIMIT:
            digits = np.array([v - low for v in values], dtype=np.int64)
            return _Column(name, column, "offset", digits=digits, radix=high - low + 1,
                           decode=("(", f" + {low})") if low else ("", ""))
    if n <= CASE_MAX and all(v is None or type(v) is str or type(v) is int for v in values):
        spelled = " ".join(f"WHEN {i} THEN {_literal(v)}" for i, v in enumerate(values))
        return _Column(name, column, "case", digits=np.arange(n, dtype=np.int64), radix=n,
                       decode=("CASE ", f" {spelled} END"))
    if utf8 and all(type(v) is str for v in values):  # CAST(blob AS TEXT) reads the database's encoding
        encoded = [v.encode() for v in values]
        width = len(encoded[0])
        if width and n * width <= SLICE_MAX_BYTES and all(len(e) == width for e in encoded):
            return _Column(name, column, "slice", digits=np.arange(n, dtype=np.int64), radix=n, blob=b"".join(encoded),
                           decode=(f"CAST(substr(?{blob_param}, ", f" * {width} + 1, {width}) AS TEXT)"))
    return _Column(name, column, "raw", values=np.asarray(values, dtype=object))


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _insert(conn, table: str, cols: Columns, pairs: list[tuple[str, str]], extra: dict[str, object],
            default_source: str, with_line: bool, progress=None) -> None:
    """Multi-row INSERT ... SELECT FROM (VALUES ...): constants are bound once per statement, and the
    varying columns travel as few parameters per row as they can (_Column): for 1M transfers, two
    (a date as text took one more; see the git log for the measurements)."""
    constants = dict(extra)
    varying = []
    for name, column in pairs:
        if name in cols.codes:
            varying.append((name, column))
        else:
            value = cols.constants.get(name)
            constants[column] = default_source if (name == "source" and value is None) else value
    if "source" in cols.uniques:
        cols.uniques["source"] = [default_source if v is None else v for v in cols.uniques["source"]]
    const_names = list(constants)
    head = [constants[c] for c in const_names]
    plans: list[_Column] = []
    if with_line:
        plans.append(_Column("line", "line", "offset", radix=cols.rows, decode=("(", f" + {cols.first_line})")))
    utf8 = conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
    for name, column in varying:
        plan = _plan(name, column, cols.uniques[name], len(head) + 1, utf8)
        if plan.blob is not None:
            head.append(plan.blob)
        plans.append(plan)
    # Digits packed into integers, in column order, each integer below PACK_LIMIT.
    raw = [p for p in plans if p.how == "raw"]
    groups: list[list[tuple[_Column, int]]] = []  # (column, multiplier)
    size = 1
    for plan in plans:
        if plan.how == "raw":
            continue
        if not groups or size * plan.radix > PACK_LIMIT:
            groups.append([])
            size = 1
        groups[-1].append((plan, size))
        size *= plan.radix
    k, width = len(head), len(raw) + len(groups)
    exprs: dict[str, str] = {}
    for j, plan in enumerate(raw):
        exprs[plan.column] = f"column{j + 1}"
    for g, group in enumerate(groups):
        packed = f"column{len(raw) + g + 1}"
        for i, (plan, multiplier) in enumerate(group):
            digit = packed if multiplier == 1 else f"{packed} / {multiplier}"
            if i < len(group) - 1:  # the last digit is all that is left
                digit = f"({digit} % {plan.radix})"
            exprs[plan.column] = plan.decode[0] + digit + plan.decode[1]
    targets = [p.column for p in plans]
    target = ", ".join(targets + const_names)

    def statement(n: int) -> str:
        rows = ",".join(
            "(" + ",".join(f"?{k + 1 + r * width + j}" for j in range(width)) + ")" for r in range(n)
        )
        select = ", ".join([exprs[c] for c in targets] + [f"?{i + 1}" for i in range(len(const_names))])
        return f"INSERT INTO {table} ({target}) SELECT {select} FROM (VALUES {rows})"

    if width == 0:  # every column constant: one statement per row is still few
        conn.executemany(f"INSERT INTO {table} ({target}) VALUES ({', '.join('?' * k)})", [head] * cols.rows)
        return
    full_statement = statement(ROWS_PER_STATEMENT)
    step = ROWS_PER_STATEMENT * width
    # A block of rows at a time, laid out row by row in a numpy object array: raw values are the parsed
    # distinct values themselves (no copies), and memory stays at one block, not the whole file.
    for start in range(0, cols.rows, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, cols.rows)
        block = np.empty((stop - start, width), dtype=object)
        for j, plan in enumerate(raw):
            block[:, j] = plan.values[cols.codes[plan.name][start:stop]]
        for g, group in enumerate(groups):
            packed = np.zeros(stop - start, dtype=np.int64)
            for plan, multiplier in group:
                digits = (np.arange(start, stop, dtype=np.int64) if plan.name == "line"
                          else plan.digits[cols.codes[plan.name][start:stop]])
                packed += digits * multiplier if multiplier > 1 else digits
            block[:, len(raw) + g] = packed
        flat = packed.tolist() if width == 1 and groups else block.ravel().tolist()
        del block
        full = ((stop - start) // ROWS_PER_STATEMENT) * ROWS_PER_STATEMENT
        if full:
            conn.executemany(full_statement, (head + flat[i:i + step] for i in range(0, full * width, step)))
        if stop - start > full:
            conn.execute(statement(stop - start - full), head + flat[full * width:])
        if progress is not None:
            progress(stop, cols.rows)


def insert_into_empty(conn, kind: Kind, cols: Columns, batch_id: int, default_source: str, progress=None) -> bool:
    """Insert every row straight into the table when it holds no rows yet (nothing can be present
    already); False when it has rows. Big inserts drop the table's indexes and build them afterwards."""
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
        _insert(conn, kind.table, cols, pairs, extra, default_source, with_line=False, progress=progress)
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

    The tables of the fast path have CHECKs on single columns only, and each row's value in a column is
    one of that column's distinct values: when every distinct value passes, every row does. Probe rows
    (row i takes the i-th distinct value of each column, or its last) are inserted and rolled back; a
    value that breaks a CHECK raises sqlite3.IntegrityError here, as it would in the insert itself.
    """
    if kind.name not in SINGLE_COLUMN_CHECKS:
        raise ValueError(f"{kind.table} may have CHECKs across columns; the fast path does not take it")
    # Free text has no CHECK (schema._column_ddl): one value of it will do, not a row per case id.
    checked = {name: values for name, values in cols.uniques.items() if name not in _FREE_TEXT}
    probe = Columns(rows=max((len(v) for v in checked.values()), default=1), first_line=cols.first_line,
                    constants=dict(cols.constants), uniques=dict(cols.uniques))
    probe.codes = {name: np.minimum(np.arange(probe.rows), len(values) - 1) if name in checked
                   else np.zeros(probe.rows, dtype=np.int64) for name, values in cols.uniques.items()}
    conn.execute("SAVEPOINT check_distinct_values")
    try:
        _insert(conn, kind.table, probe, pairs, extra, default_source, with_line=False)
    finally:
        conn.execute("ROLLBACK TO check_distinct_values")
        conn.execute("RELEASE check_distinct_values")


def stage_rows(conn, kind: Kind, cols: Columns, default_source: str, fields: list[str], progress=None) -> None:
    """temp.stage_rows (line, stored fields..., source) for the importer's dedup insert."""
    conn.execute("DROP TABLE IF EXISTS temp.stage_rows")
    conn.execute(f"CREATE TEMP TABLE stage_rows (line INTEGER, {', '.join(fields)}, source)")
    _insert(conn, "temp.stage_rows", cols, _stored(kind), {}, default_source, with_line=True, progress=progress)
