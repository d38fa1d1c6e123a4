"""Records entered or corrected by hand (the dashboard's form and Data page, `resettle add` and `edit`),
validated exactly as an import row is.

The rows become a small table, one row per record, that goes through the general import engine
(general.py): the same parsers (parsing.py), the same rules across fields (rules.py), the same messages.
What comes back is each row's stored values, ready for the store's change sets (store/changes.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from resettle.domain.errors import RowError, UsageError, ValidationFailed
from resettle.domain.records import Kind
from resettle.domain.values import is_missing
from resettle.ingest import general, reading
from resettle.ingest.parsing import ValueRules

# A record entered by hand says who reported it: an import's rows may take the file's name instead.
SOURCE_MISSING = "missing value (required: who reported this figure)"


def as_written(value: object) -> str:
    """A value from a form, a table cell or the command line as an import would read it in a file:
    empty for None and NaN, 2400 for 2400.0, ISO for a date."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def check_fields(kind: Kind, names: Sequence[str]) -> None:
    """Refuse a field that `kind` does not have, listing those it has (a usage error)."""
    for name in names:
        if name not in kind.names:
            raise UsageError(f"{kind.name} have no field {name!r}; the fields are {', '.join(kind.names)}")


def validate(kind: Kind, rows: Sequence[Mapping[str, object]], *, lines: Sequence[int] | None = None,
             name: str = "entry", today: dt.date | None = None) -> list[dict[str, object]]:
    """The stored values of each row (field -> value; the site by name), validated as an import row.

    A field a row leaves out is empty. `lines` numbers the rows in messages (default 1, 2, ...). Raises
    ValidationFailed with every problem, each naming its row (RowError.line) and field (RowError.column),
    with the import's own messages; a row without a source is refused as well."""
    check_fields(kind, [f for row in rows for f in row])
    if not rows:
        return []
    lines = list(lines) if lines is not None else list(range(1, len(rows) + 1))
    if len(set(lines)) != len(lines):  # each message must name one row
        raise UsageError(f"the rows' numbers repeat ({lines}): number each row once")
    table = reading.Table(path=name, name=name, columns=list(kind.names), hxl=None,
                          rows=iter([(line, [as_written(row.get(f)) for f in kind.names])
                                     for line, row in zip(lines, rows, strict=True)]),
                          header_line=0, encoding="utf-8", delimiter=",")
    columns = {f: i for i, f in enumerate(kind.names)}
    # skip_invalid: the engine returns every problem rather than stopping, and the rows that pass.
    # Strict: a country no one knows is an error here, not stored empty as an import would; the person
    # entering it can correct it.
    rules = ValueRules(today=today or dt.date.today(), strict=True)
    parsed = general.read(kind, table, columns, {}, {f: f for f in kind.names}, rules=rules, skip_invalid=True)
    # A count the source suppressed ("*", "<5") leaves its row out of an import; entered by hand it is an error
    # on its row, as is a value an import would store empty.
    errors: list[RowError] = [*parsed.rejected, *parsed.suppressed]
    for empty in parsed.stored_empty:
        errors += [RowError(name, line, empty.field, f"{empty.raw!r}: {empty.reason}; give the value or leave it empty")
                   for line, row in zip(lines, rows, strict=True) if as_written(row.get(empty.field)).strip() == empty.raw]
    errors += [RowError(name, line, "source", SOURCE_MISSING) for line, row in zip(lines, rows, strict=True)
               if is_missing(as_written(row.get("source")))]
    cols = parsed.columns
    kept = {cols.line(i): i for i in range(cols.rows)}
    out: list[dict[str, object]] = []
    for line in lines:
        if line not in kept:
            out.append({})
            continue
        out.append({f: cols.value(f, kept[line]) for f in kind.names})
    if errors:
        order = list(kind.names)
        errors.sort(key=lambda e: (lines.index(e.line) if e.line in lines else -1,
                                   order.index(e.column) if e.column in order else -1))
        raise ValidationFailed(errors)
    return out


def describe(error: RowError, *, row_word: str | None = "row") -> str:
    """One problem as a person reads it: `row 3, residents: -3 is negative` (or without the row)."""
    where = f"{row_word} {error.line}, " if row_word else ""
    return f"{where}{error.column}: {error.message}"
