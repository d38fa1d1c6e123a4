"""The columnar import engine, for big plain files: read column-wise with pyarrow, each column's distinct
values parsed once.

It only ever accepts a file it can account for line by line (UTF-8, one record per line, no blank lines,
every value valid, no case listed twice, no future dates). Anything else returns None and the importer
takes the general engine (general.py), which reports every problem with its line and column. Both give
the same typed columns, and the writer stores the same rows from either.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from resettle.domain.records import Kind
from resettle.ingest import reading, totals
from resettle.ingest.mapping import FieldColumns
from resettle.ingest.parsing import FREE_TEXT, Parsed, ValueRules, free_texts, parse_distinct
from resettle.store.columns import Columns
from resettle.store.writer import SINGLE_COLUMN_CHECKS, rows_stand_alone

# Files smaller than this take the general engine (it is fast enough there, and reports the same).
FAST_MIN_BYTES = int(os.environ.get("RESETTLE_FAST_MIN_BYTES", 4_000_000))
_READ_BLOCK = 1 << 22


def eligible(kind: Kind, path: Path, table: reading.Table, columns: FieldColumns, skip_invalid: bool) -> bool:
    """Whether the file is one this engine may take: a big delimited UTF-8 file of a kind whose rows go
    straight in, each field read from one column, all rows or none."""
    return (
        kind.name in SINGLE_COLUMN_CHECKS  # the kinds the writer's straight insert takes
        and table.encoding in ("utf-8", "utf-8-sig")
        and table.delimiter in reading.DELIMITERS
        and not skip_invalid
        and not any(isinstance(i, tuple) for i in columns.values())  # joined columns: the general engine's
        and path.stat().st_size >= FAST_MIN_BYTES
    )


def _count_lines(path: Path) -> int | None:
    """Physical lines of the file, or None when it has CR-only line ends (one record per line is not certain)
    or a line longer than csv's field limit (pyarrow would take a 10 MB cell; the general engine refuses it)."""
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


def read(kind: Kind, path: Path, table: reading.Table, columns: dict[str, int], constants: dict[str, object],
         rules: ValueRules, *, keep_totals: bool = False, known_sites: frozenset[str] = frozenset()) -> Parsed | None:
    """The file as typed columns, or None when it needs the general engine. `columns`: field -> column
    index; `constants`: the parsed --set values. A value the general engine would report (a problem, a
    suppressed count, a value stored empty) sends the file there too: both engines store the same rows
    and say the same things. Unless `keep_totals`, so does a file that may hold total rows: the general
    engine takes them out row by row (totals.py)."""
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
        return None  # blank lines, a second section or multi-line values: the general engine counts lines

    out = Columns(rows=data.num_rows, first_line=skip + 1, constants=dict(constants))
    column = encoded = None
    place_raw: dict[str, list[str]] = {}
    place_codes: dict[str, np.ndarray] = {}
    count = None
    for f in kind.fields:
        if f.name in constants:
            continue
        if f.name not in wanted:
            out.constants[f.name] = f.default
            continue
        column = data.column(wanted[f.name])
        encoded = column.unify_dictionaries().combine_chunks() if column.num_chunks > 1 else column.chunk(0)
        distinct = encoded.dictionary.to_pylist()
        if f.name in FREE_TEXT:  # nothing to parse, nothing wrong: a million case ids take no tuples
            values, known_distinct = free_texts(distinct)
            out.set_field(f.name, values, _int_array(encoded.indices), distinct=known_distinct)
            if f.name == "case_id" and not rows_stand_alone(out):
                return None  # cases that update one another: the general engine's rows, case by case
            continue
        mapped = parse_distinct(f, kind, distinct, rules)
        if any(d.problem or d.empty_because for d in mapped):
            return None
        values = [d.value for d in mapped]
        today = rules.today
        if f.name in totals.PLACE_FIELDS:
            place_raw[f.name], place_codes[f.name] = distinct, _int_array(encoded.indices)
        elif f.name == totals.COUNT_FIELD.get(kind.name):
            count = np.array([v or 0 for v in values], dtype=np.int64)[_int_array(encoded.indices)]
        if f.type == "date" and kind.name == "transfers" and any(v and v > today.isoformat() for v in values):
            return None  # allowed only for transfers not yet departed: a rule across fields (rules.py)
        out.set_field(f.name, values, _int_array(encoded.indices))
    del data, column, encoded
    if not keep_totals and totals.columnar_may_hold_totals(kind, table, columns, place_raw, place_codes, count,
                                                           known_sites):
        return None
    pa.default_memory_pool().release_unused()  # what Arrow freed goes back to the system (1M transfers: 150 MB)
    return Parsed(out, out.rows)


def _int_array(ints) -> np.ndarray:
    """A pyarrow integer array without nulls (a dictionary's codes) as numpy, without a copy. Not by
    Array.to_numpy: pyarrow imports pandas for it, a tenth of a second of every import."""
    assert ints.null_count == 0, "codes of a column read with strings_can_be_null=False"
    width = ints.type.bit_width // 8
    return np.frombuffer(ints.buffers()[1], dtype=f"i{width}", count=len(ints), offset=ints.offset * width)
