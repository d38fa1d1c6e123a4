"""Raw values into stored values, one distinct value at a time, for both engines; and what an engine
gives the importer.

Each field's parser (`_parser`) turns a value as written ("1,009", "Iran (Islamic Rep. of)", "Sep-14")
into the value stored (1009, "IRN", "2014-09-01") or raises ValueProblem. An engine calls
`parse_distinct` once per column on its distinct values, never once per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from resettle.domain import countries
from resettle.domain.errors import RowError, UsageError
from resettle.domain.records import Field, Kind
from resettle.domain.values import (
    ValueProblem,
    clean_text,
    has_ambiguous_slash_dates,
    is_missing,
    parse_count,
    parse_date,
    parse_enum,
    parse_real,
    slash_order,
)
from resettle.store.columns import Columns

MAX_COUNT = 1_000_000_000  # more people than any record holds; sums of such counts stay far inside 64 bits
# Free text: too many distinct values to be worth parsing one by one (a case id per row), and nothing to
# parse; only trimmed, and missing-value markers read as missing (free_text).
FREE_TEXT = frozenset({"case_id", "description", "destination", "source"})


@dataclass
class Parsed:
    """What an engine hands the importer: the valid rows as typed columns, how many rows the table had, and
    every problem of the rows left out, in line order (a row may have several)."""

    columns: Columns
    rows_read: int
    rejected: list[RowError] = field(default_factory=list)


def _parser(f: Field, kind: Kind, order: str | None, today: dt.date) -> Callable[[str], object]:
    """The function that turns one raw value of field `f` into its stored value (or raises)."""
    if f.type == "count":
        def count(raw: str) -> int | None:
            value = parse_count(raw)
            if value is not None and value > MAX_COUNT:  # 1e30 would not even fit SQLite's 64-bit integers
                raise ValueProblem(f"{raw.strip()} is more than {MAX_COUNT:,}: too many for a count of people")
            return value
        return count
    if f.type == "real":
        bound = 90 if f.name == "lat" else 180
        return lambda raw: parse_real(raw, -bound, bound)
    if f.type == "enum":
        return lambda raw: parse_enum(raw, f.choices)
    if f.type == "country":
        def country(raw: str) -> str | None:
            try:
                return countries.to_iso3(raw)
            except countries.UnknownCountry as exc:
                raise ValueProblem(str(exc)) from None
        return country
    if f.type == "date":
        period_end = kind.name == "population" or f.name == "closed"

        def date(raw: str) -> str | None:
            value = parse_date(raw, order=order, period_end=period_end)
            if value is None:
                return None
            if value > today and not f.future_ok:
                raise ValueProblem(f"{value.isoformat()} is in the future")
            return value.isoformat()
        return date
    return clean_text


def free_text(raw: str) -> str | None:
    """A free-text value as stored: trimmed; None when it is a missing-value marker."""
    text = raw.strip()
    return None if is_missing(text) else text


def free_texts(distinct: list[str]) -> tuple[list[str | None], bool]:
    """The stored values of a column's distinct raw free-text values, and whether they are still distinct:
    true when no value changed (str.strip returns a clean value itself), which spares a million case ids
    a dict to merge them."""
    values = [free_text(raw) for raw in distinct]
    return values, all(v is r for v, r in zip(values, distinct, strict=True))


def parse_distinct(f: Field, kind: Kind, distinct: list[str], date_order: str | None,
                   today: dt.date) -> list[tuple[str, object, str | None]]:
    """(raw, stored value, problem or None) for each distinct raw value of one column.

    A date column decides day-first or month-first from all its values together."""
    order = date_order
    column_problem = None
    if f.type == "date" and order is None:
        try:
            order = slash_order(distinct)
        except ValueProblem as exc:
            column_problem = f"{exc}; say which with --dayfirst or --monthfirst"
    parse = _parser(f, kind, order, today)
    mapped = []
    for raw in distinct:
        try:
            if column_problem and has_ambiguous_slash_dates([raw]):
                raise ValueProblem(column_problem)
            value = parse(raw)
            problem = None
            if value is None and f.required and f.default is None:
                problem = "missing value (required)"
            elif value is None and f.default is not None:
                value = f.default
        except ValueProblem as exc:
            value, problem = None, str(exc)
        mapped.append((raw, value, problem))
    return mapped


def set_constants(kind: Kind, set_values: dict[str, str], date_order: str | None,
                  today: dt.date) -> dict[str, object]:
    """The parsed values of --set FIELD=VALUE; a bad one is a usage error."""
    constants: dict[str, object] = {}
    for f, raw in set_values.items():
        try:
            constants[f] = _parser(kind.field(f), kind, date_order, today)(raw)
        except ValueProblem as exc:
            raise UsageError(f"--set {f}={raw}: {exc}") from None
        if constants[f] is None and kind.field(f).required:
            raise UsageError(f"--set {f}: a required field needs a value")
    return constants
