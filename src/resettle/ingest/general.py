"""The general import engine: any table reading.py can open (every encoding, workbooks, odd rows, joined
columns), every problem reported with its line and column.

Rows stream from the table a chunk at a time; each field's raw values are numbered as they come
(factorised), so that a million rows keep one small array of codes per field and each distinct value once.
The distinct values are parsed once each (parsing.py), then the rules across fields (rules.py) look at
every row. What is left is the same typed columns the columnar engine gives.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from itertools import islice

import numpy as np

from resettle.domain.errors import FileProblem, RowError, ValidationFailed
from resettle.domain.records import Field, Kind
from resettle.domain.values import PARTS_SEPARATOR, Suppressed, ValueProblem, is_missing, parse_count
from resettle.ingest import reading
from resettle.ingest import rules as rules_across
from resettle.ingest.mapping import JOIN, FieldColumns
from resettle.ingest.parsing import FREE_TEXT, Parsed, StoredEmpty, ValueRules, free_texts, parse_distinct
from resettle.store.columns import Columns, Progress

CHUNK_ROWS = 50_000  # rows factorised at a time; the progress callback hears after each chunk


def read(kind: Kind, table: reading.Table, columns: FieldColumns, constants: dict[str, object],
         labels: dict[str, str], *, rules: ValueRules, skip_invalid: bool,
         progress: Progress | None = None) -> Parsed:
    """Every row of `table` as typed columns. `columns`: field -> column index (a tuple for joined columns);
    `constants`: the parsed --set values; `labels`: how errors name each field's column; `rules`: how values
    are read (date order, fiscal years, strictness).

    Raises FileProblem when the table has no data rows, and ValidationFailed with every problem unless
    `skip_invalid`, which leaves the invalid rows out and returns their problems. A row whose required
    count the source suppressed (`*`, `<5`) is left out either way and returned apart."""
    staged = [f for f in kind.fields if f.name in columns and f.name not in constants]  # --set wins over --map
    shape_errors: list[RowError] = []
    getters = [_combined(f, columns[f.name]) if isinstance(columns[f.name], tuple) else columns[f.name]
               for f in staged]
    total = _estimate_rows(table) if progress is not None else None
    stream = _row_stream(table, getters, len(table.columns), shape_errors, progress, total)
    lines, raw, codes = _factorised(stream, len(staged))
    if staged and not shape_errors and not len(lines):
        raise FileProblem(table.name, "no data rows under the header (an export that went wrong?)",
                          line=table.header_line)

    cols = Columns(rows=len(lines), first_line=table.header_line + 1, lines=lines)
    errors = list(shape_errors)
    suppressed: list[RowError] = []
    emptied: list[tuple[str, list, np.ndarray]] = []  # field, its distinct values, each row's code
    for f in kind.fields:
        if f.name in constants:
            cols.constants[f.name] = constants[f.name]
        elif f.name not in columns:
            cols.constants[f.name] = f.default
    for j, f in enumerate(staged):
        if f.name in FREE_TEXT:
            values, distinct = free_texts(raw[j])
            cols.set_field(f.name, values, codes[j], distinct=distinct)
            continue
        mapped = parse_distinct(f, kind, raw[j], rules)
        if any(d.problem for d in mapped):
            bad = np.array([d.problem is not None for d in mapped], dtype=bool)
            for i in np.flatnonzero(bad[codes[j]]):
                d = mapped[codes[j][i]]
                (suppressed if d.suppressed else errors).append(
                    RowError(table.name, int(lines[i]), labels[f.name], d.problem))
        if any(d.empty_because for d in mapped):
            emptied.append((f.name, mapped, codes[j]))
        cols.set_field(f.name, [d.value for d in mapped], codes[j])
    for i, name, message in rules_across.check(kind, cols, rules.today):
        errors.append(RowError(table.name, cols.line(i), labels.get(name, name), message))

    order = list(labels.values())
    errors.sort(key=lambda e: (e.line, order.index(e.column) if e.column in order else -1))
    if errors and not skip_invalid:
        raise ValidationFailed(errors)
    rows_read = cols.rows + len(shape_errors)
    left_out = {e.line for e in errors} | {e.line for e in suppressed}
    kept = ~np.isin(cols.lines, np.fromiter(left_out, dtype=np.int64, count=len(left_out)))
    stored_empty = _stored_empty(kind, cols, emptied, kept)
    if left_out:
        cols = _without_lines(cols, left_out)
    return Parsed(cols, rows_read, errors, suppressed, stored_empty)


def _stored_empty(kind: Kind, cols: Columns, emptied, kept: np.ndarray) -> list[StoredEmpty]:
    """Each value stored empty, with the rows kept that had it and the people they count."""
    people = None
    if kind.headcount is not None:
        name = kind.headcount
        if name in cols.codes:
            values = np.array([v or 0 for v in cols.uniques[name]], dtype=np.int64)
            people = values[cols.codes[name]][kept]
        else:
            people = np.full(int(kept.sum()), cols.constants.get(name) or 0, dtype=np.int64)
    out = []
    for name, mapped, codes in emptied:
        codes = codes[kept]
        rows = np.bincount(codes, minlength=len(mapped))
        counted = None if people is None else np.bincount(codes, weights=people, minlength=len(mapped))
        for k, d in enumerate(mapped):
            if d.empty_because and rows[k]:
                out.append(StoredEmpty(name, d.raw.strip(), d.empty_because, int(rows[k]),
                                       None if counted is None else int(round(counted[k]))))
    return sorted(out, key=lambda e: (kind.names.index(e.field), -e.rows, e.raw))


def _factorised(stream: Iterator[tuple], width: int) -> tuple[np.ndarray, list[list[str]], list[np.ndarray]]:
    """The lines of the rows, and for each of `width` fields its distinct raw values (in the order they
    first appear) and each row's code into them."""
    index: list[dict[str, int]] = [{} for _ in range(width)]
    line_parts: list[np.ndarray] = []
    code_parts: list[list[np.ndarray]] = [[] for _ in range(width)]
    while chunk := list(islice(stream, CHUNK_ROWS)):
        by_column = list(zip(*chunk, strict=True))
        line_parts.append(np.array(by_column[0], dtype=np.int64))
        for j in range(width):
            seen = index[j]
            number = seen.setdefault
            # len(seen) is taken before the value is added: a new value gets the next code.
            code_parts[j].append(np.array([number(v, len(seen)) for v in by_column[j + 1]], dtype=np.int32))
        del chunk, by_column
    lines = np.concatenate(line_parts) if line_parts else np.zeros(0, dtype=np.int64)
    codes = [np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32) for parts in code_parts]
    return lines, [list(seen) for seen in index], codes


def _without_lines(cols: Columns, lines: set[int]) -> Columns:
    """`cols` without the rows on `lines`; distinct values no row keeps are dropped."""
    keep = ~np.isin(cols.lines, np.fromiter(lines, dtype=np.int64, count=len(lines)))
    out = Columns(rows=int(keep.sum()), first_line=cols.first_line, constants=dict(cols.constants),
                  lines=cols.lines[keep])
    for name, values in cols.uniques.items():
        codes = cols.codes[name][keep]
        used = np.zeros(len(values), dtype=bool)
        used[codes] = True
        renumber = np.cumsum(used, dtype=np.int64) - 1
        out.set_field(name, [v for v, u in zip(values, used, strict=True) if u], renumber[codes].astype(np.int32),
                      distinct=True)
    return out


def _combined(f: Field, indexes: tuple[int, ...]) -> Callable[[list[str]], str]:
    """The raw value of a field read from several columns (`--map residents=Refugees+AsylumSeekers`):
    counts add up (empty parts count for nothing; all empty is missing; a suppressed part makes the sum
    suppressed), a date's parts (year, month, day) are kept apart for parsing, other values are joined
    with " / "."""
    if f.type == "date":
        return lambda cells: PARTS_SEPARATOR.join(cells[k] for k in indexes)
    if f.type != "count":
        return lambda cells: JOIN.join(c for k in indexes if (c := cells[k].strip()) and not is_missing(c))

    def add(cells: list[str]) -> str:
        parts = [cells[k] for k in indexes]
        try:
            numbers = [n for p in parts if (n := parse_count(p)) is not None]
        except Suppressed as exc:
            return exc.mark  # a sum with a withheld part is withheld too
        except ValueProblem:
            return " + ".join(p.strip() for p in parts)  # parsed again later, to report the problem
        return str(sum(numbers)) if numbers else ""
    return add


def _row_stream(table: reading.Table, indexes: list[int | Callable[[list[str]], str]], width: int,
                shape_errors: list[RowError], progress: Progress | None, total_hint: int | None) -> Iterator[tuple]:
    """(line, cell, cell, ...) for the mapped columns; rows too wide become errors, short rows are padded.
    An index may be a function of the row's cells instead (a field read from several columns)."""
    if any(callable(i) for i in indexes):
        def pick(cells: list[str]) -> tuple:
            return tuple(i(cells) if callable(i) else cells[i] for i in indexes)
    elif len(indexes) > 1:
        pick = operator.itemgetter(*indexes)
    else:
        single = indexes[0] if indexes else None
        pick = None
    n = 0
    for line, cells in table.rows:
        n += 1
        if progress is not None and n % CHUNK_ROWS == 0:
            progress(n, total_hint)
        if len(cells) != width:
            if len(cells) > width:
                extra = [c for c in cells[width:] if c.strip()]
                if extra:
                    shape_errors.append(RowError(table.name, line, "(row)",
                        f"{len(cells)} fields but the header has {width} (an unquoted comma or delimiter?)"))
                    continue
                cells = cells[:width]
            else:
                cells = cells + [""] * (width - len(cells))
        if pick is not None:
            yield (line, *pick(cells))
        elif single is not None:
            yield (line, cells[single])
        else:
            yield (line,)
    if progress is not None:
        progress(n, n)


def _estimate_rows(table: reading.Table) -> int | None:
    """About how many data rows a text file holds (its line count), for a progress bar; None for a workbook."""
    if table.encoding == "xlsx":
        return None
    lines = 0
    last = b""
    with open(table.path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last not in (b"\n", b"")
    return max(lines - table.header_line - (1 if table.hxl else 0), 0)
