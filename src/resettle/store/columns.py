"""Typed columns, the form in which an import's validated rows reach the writer, and the multi-row INSERT
that stores them fast.

Column-wise, each field is either one value for every row or codes into its distinct values: a million
rows of a dozen sites, three countries and a few hundred dates are a few numpy arrays and short lists,
never a million Python tuples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

ROWS_PER_STATEMENT = 200
BLOCK_ROWS = 50_000  # rows laid out and inserted at a time; the progress callback hears after each block
# How columns travel into the statement (see _Column): binding a parameter costs more than SQLite's arithmetic
# on one, so columns with few values or a narrow range are digits of one packed integer per row.
PACK_LIMIT = 1 << 62  # a packed integer stays below this (SQLite's integers have 63 bits and a sign)
CASE_MAX = 32  # a column of at most this many distinct values is spelled out in a CASE
SLICE_MAX_BYTES = 1 << 20  # distinct texts of one width, laid end to end in a blob, up to this size

# An import's progress callback: rows read or written so far, rows in all (None while unknown).
Progress = Callable[[int, int | None], None]


@dataclass
class Columns:
    """The rows of one import, validated and typed, column by column, in the file's order.

    Each field is in `constants` (one value for every row) or in `uniques` and `codes` (its distinct stored
    values, each once, and for each row the index of its value). A row's line in the file is
    `first_line + i`, or `lines[i]` when rows were skipped."""

    rows: int
    first_line: int
    constants: dict[str, object] = field(default_factory=dict)
    uniques: dict[str, list] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    lines: np.ndarray | None = None

    def set_field(self, name: str, values: list, codes: np.ndarray, *, distinct: bool = False) -> None:
        """Give field `name` its parsed distinct values and each row's code into them. Two raw values that
        parse alike ("ALB" and "Albania") become one value, unless the caller knows them `distinct`; a field
        with one value for every row becomes a constant."""
        if not distinct:
            values, codes = _merged(values, codes)
        if len(values) == 1:
            self.constants[name] = values[0]
            self.uniques.pop(name, None)
            self.codes.pop(name, None)
        else:
            self.constants.pop(name, None)
            self.uniques[name] = values
            self.codes[name] = codes

    def value(self, name: str, row: int) -> object:
        """The stored value of field `name` in row `row` (counted from 0)."""
        if name in self.constants:
            return self.constants[name]
        return self.uniques[name][self.codes[name][row]]

    def line(self, row: int) -> int:
        """The line in the file of row `row` (counted from 0)."""
        return int(self.lines[row]) if self.lines is not None else self.first_line + row


def _merged(values: list, codes: np.ndarray) -> tuple[list, np.ndarray]:
    """`values` with each value once, and `codes` pointing into that."""
    first: dict = {}
    remap = [first.setdefault(v, len(first)) for v in values]
    if len(first) == len(values):
        return values, codes
    return list(first), np.asarray(remap, dtype=codes.dtype)[codes]


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
    low: int = 0  # "line" read from Columns.lines: the digit is the line minus this


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


def _line_plan(cols: Columns) -> _Column:
    if cols.lines is None or not len(cols.lines):
        return _Column("line", "line", "offset", radix=max(cols.rows, 1), decode=("(", f" + {cols.first_line})"))
    low, high = int(cols.lines.min()), int(cols.lines.max())
    return _Column("line", "line", "offset", radix=high - low + 1, decode=("(", f" + {low})"), low=low)


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def insert(conn, table: str, cols: Columns, pairs: list[tuple[str, str]], extra: dict[str, object],
           default_source: str, with_line: bool, progress: Progress | None = None) -> None:
    """Insert every row of `cols` into `table`: `pairs` are (field, stored column), `extra` columns with one
    value for all rows, a missing source is `default_source`, and `with_line` adds each row's line.

    Multi-row INSERT ... SELECT FROM (VALUES ...): constants are bound once per statement, and the varying
    columns travel as few parameters per row as they can (_Column): for 1M transfers, two (a date as text
    took one more; see the git log for the measurements)."""
    constants = dict(extra)
    varying = []
    for name, column in pairs:
        if name in cols.codes:
            varying.append((name, column))
        else:
            value = cols.constants.get(name)
            constants[column] = default_source if (name == "source" and value is None) else value
    uniques = dict(cols.uniques)
    if "source" in uniques:
        uniques["source"] = [default_source if v is None else v for v in uniques["source"]]
    const_names = list(constants)
    head = [constants[c] for c in const_names]
    plans: list[_Column] = []
    if with_line:
        plans.append(_line_plan(cols))
    utf8 = conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
    for name, column in varying:
        plan = _plan(name, column, uniques[name], len(head) + 1, utf8)
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
                if plan.name != "line":
                    digits = plan.digits[cols.codes[plan.name][start:stop]]
                elif cols.lines is None:
                    digits = np.arange(start, stop, dtype=np.int64)
                else:
                    digits = cols.lines[start:stop].astype(np.int64) - plan.low
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
