"""The fast path of an import, for big plain files: read column-wise with pyarrow, parse each column's
distinct values once, insert with multi-row statements.

It only ever accepts a file it can account for line by line (UTF-8, one record per line, no blank lines,
every value valid, no case ids, no future dates). Anything else returns None and the importer takes its
general path, which reports every problem with its line and column. The two paths store the same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import reading
from .records import Kind

# Files smaller than this take the general path (it is fast enough there, and reports the same).
FAST_MIN_BYTES = int(os.environ.get("RESETTLE_FAST_MIN_BYTES", 4_000_000))
ROWS_PER_STATEMENT = 200
# Below this many rows, index upkeep during the insert is cheaper than a rebuild.
REBUILD_INDEXES_FROM = 50_000
_FREE_TEXT = {"case_id", "description", "destination", "source"}


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
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            count = block.count(b"\n")
            newlines += count
            carriage += block.count(b"\r")
            last = block[-1:]
            if count:
                ends = np.flatnonzero(np.frombuffer(block, np.uint8) == ord("\n"))
                longest = max(open_line + int(ends[0]), int(np.diff(ends).max()) if count > 1 else 0)
                open_line = len(block) - 1 - int(ends[-1])
            else:
                longest = open_line = open_line + len(block)
            if max(longest, open_line) > limit:
                return None
    if carriage and carriage != newlines:
        return None
    return newlines + (0 if last in (b"\n", b"") else 1)


def read_columns(kind: Kind, path: Path, table: reading.Table, columns: dict[str, int], options,
                 today: dt.date) -> Columns | None:
    """The file as typed columns, or None when it needs the general path."""
    from .importing import parse_distinct, set_constants

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
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
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
        encoded = data.column(wanted[f.name]).combine_chunks().dictionary_encode()
        distinct = encoded.dictionary.to_pylist()
        if f.name in _FREE_TEXT:
            if f.name == "case_id" and any(v.strip() for v in distinct):
                return None  # cases update one another: the general path handles them
            mapped = [(raw, _free_text(raw), None) for raw in distinct]
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
            out.codes[f.name] = encoded.indices.to_numpy(zero_copy_only=False)
    return out


def _free_text(raw: str) -> str | None:
    from .values import is_missing

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


def _stored(kind: Kind) -> list[tuple[str, str]]:
    """(field, stored column) pairs in table order, source last."""
    pairs = [(f.name, "site_id" if f.name == "site" else f.name) for f in kind.fields if f.name != "source"]
    return [*pairs, ("source", "source")]


BLOCK_ROWS = 50_000  # rows between two calls of the progress callback


def _insert(conn, table: str, cols: Columns, pairs: list[tuple[str, str]], extra: dict[str, object],
            default_source: str, with_line: bool, progress=None) -> None:
    """Multi-row INSERT ... SELECT FROM (VALUES ...): constants are bound once per statement."""
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
    lists = [np.asarray(cols.uniques[name], dtype=object)[cols.codes[name]].tolist() for name, _ in varying]
    if with_line:
        lists.insert(0, list(range(cols.first_line, cols.first_line + cols.rows)))
        varying.insert(0, ("line", "line"))
    const_names = list(constants)
    k, width = len(const_names), len(varying)
    target = ", ".join([c for _, c in varying] + const_names)

    def statement(n: int) -> str:
        rows = ",".join(
            "(" + ",".join(f"?{k + 1 + r * width + j}" for j in range(width)) + ")" for r in range(n)
        )
        select = ", ".join([f"column{j + 1}" for j in range(width)] + [f"?{i + 1}" for i in range(k)])
        return f"INSERT INTO {table} ({target}) SELECT {select} FROM (VALUES {rows})"

    head = [constants[c] for c in const_names]
    flat = [v for row in zip(*lists, strict=True) for v in row] if width else []
    step = ROWS_PER_STATEMENT * width
    full = (cols.rows // ROWS_PER_STATEMENT) * ROWS_PER_STATEMENT
    if width == 0:  # every column constant: one statement per row is still few
        conn.executemany(f"INSERT INTO {table} ({target}) VALUES ({', '.join('?' * k)})", [head] * cols.rows)
        return

    def chunks():
        every = max(BLOCK_ROWS // ROWS_PER_STATEMENT, 1)
        for n, i in enumerate(range(0, full * width, step), 1):
            if progress is not None and n % every == 0:
                progress(n * ROWS_PER_STATEMENT, cols.rows)
            yield head + flat[i:i + step]

    if full:
        conn.executemany(statement(ROWS_PER_STATEMENT), chunks())
    rest = cols.rows - full
    if rest:
        conn.execute(statement(rest), head + flat[full * width:])
    if progress is not None:
        progress(cols.rows, cols.rows)


def insert_into_empty(conn, kind: Kind, cols: Columns, batch_id: int, default_source: str, progress=None) -> bool:
    """Insert every row straight into the table when it holds no rows yet (nothing can be present
    already); False when it has rows. Big inserts drop the table's indexes and build them afterwards."""
    if conn.execute(f"SELECT 1 FROM {kind.table} LIMIT 1").fetchone():
        return False
    indexes = []
    if cols.rows >= REBUILD_INDEXES_FROM:
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (kind.table,),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    _insert(conn, kind.table, cols, _stored(kind), {"batch_id": batch_id}, default_source, with_line=False,
            progress=progress)
    for _, sql in indexes:
        conn.execute(sql)
    return True


def stage_rows(conn, kind: Kind, cols: Columns, default_source: str, fields: list[str], progress=None) -> None:
    """temp.stage_rows (line, stored fields..., source) for the importer's dedup insert."""
    conn.execute("DROP TABLE IF EXISTS temp.stage_rows")
    conn.execute(f"CREATE TEMP TABLE stage_rows (line INTEGER, {', '.join(fields)}, source)")
    _insert(conn, "temp.stage_rows", cols, _stored(kind), {}, default_source, with_line=True, progress=progress)
