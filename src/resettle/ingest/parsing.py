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
    Suppressed,
    ValueProblem,
    clean_text,
    has_ambiguous_slash_dates,
    is_missing,
    parse_count,
    parse_date,
    parse_date_parts,
    parse_enum,
    parse_real,
    slash_order,
)
from resettle.ingest.reading import normalise_header
from resettle.store.columns import Columns

MAX_COUNT = 1_000_000_000  # more people than any record holds; sums of such counts stay far inside 64 bits
# Free text: too many distinct values to be worth parsing one by one (a case id per row), and nothing to
# parse; only trimmed, and missing-value markers read as missing (free_text).
FREE_TEXT = frozenset({"case_id", "description", "destination", "source"})


@dataclass(frozen=True)
class ValueRules:
    """How an import reads values, beyond each field's type: the options of `resettle import` that bear on
    values, and what the mapping says about the columns."""

    today: dt.date
    date_order: str | None = None  # 'dayfirst' | 'monthfirst' | None (decided per column)
    fiscal_start: int | None = None  # the month a fiscal year starts in (--fiscal-year-start)
    strict: bool = False  # an unrecognised country in an optional field is an error, not stored empty
    fiscal_fields: frozenset[str] = frozenset()  # date fields read from a column named fiscal year
    date_parts: frozenset[str] = frozenset()  # date fields read from several columns (year, month, day)


@dataclass(frozen=True)
class Distinct:
    """One distinct raw value of a column and what became of it: the stored value, or the problem that
    refuses its rows (`suppressed`: the source withheld it); `empty_because` says why a value that was
    there is stored empty (a suppressed optional count, an origin that is no country)."""

    raw: str
    value: object
    problem: str | None = None
    suppressed: bool = False
    empty_because: str | None = None


@dataclass(frozen=True)
class StoredEmpty:
    """A value of an optional field stored empty, with the rows it was on and the people they count."""

    field: str
    raw: str
    reason: str
    rows: int
    people: int | None  # None when the kind has no count of people (sites, incidents)

    def line(self) -> str:
        """As the closing report gives it: "origin_country 'Tibetan': 12 rows, 489 people, stored empty (...)"."""
        people = "" if self.people is None else f", {self.people:,} {'person' if self.people == 1 else 'people'}"
        rows = f"{self.rows:,} row{'' if self.rows == 1 else 's'}"
        return f"{self.field} {self.raw!r}: {rows}{people}, stored empty ({self.reason})"


@dataclass
class Parsed:
    """What an engine hands the importer: the valid rows as typed columns, how many rows the table had, and
    every problem of the rows left out, in line order (a row may have several); the rows left out because
    the source suppressed a required count, apart; the values stored empty."""

    columns: Columns
    rows_read: int
    rejected: list[RowError] = field(default_factory=list)
    suppressed: list[RowError] = field(default_factory=list)
    stored_empty: list[StoredEmpty] = field(default_factory=list)


def is_fiscal_column(name: str) -> bool:
    """A column named for a fiscal year ("Fiscal Year", "FY", "FY of arrival"): its years are fiscal years."""
    words = normalise_header(name).split()
    return "fiscal" in words or "fy" in words


def _parser(f: Field, kind: Kind, order: str | None, rules: ValueRules) -> Callable[[str], object]:
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
        fiscal = f.name in rules.fiscal_fields
        today = rules.today

        def date(raw: str) -> str | None:
            if f.name in rules.date_parts:
                value = parse_date_parts(raw, period_end=period_end, fiscal_start=rules.fiscal_start,
                                         fiscal_column=fiscal)
            else:
                value = parse_date(raw, order=order, period_end=period_end, fiscal_start=rules.fiscal_start,
                                   fiscal_column=fiscal)
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


def parse_distinct(f: Field, kind: Kind, distinct: list[str], rules: ValueRules) -> list[Distinct]:
    """What becomes of each distinct raw value of one column.

    A date column decides day-first or month-first from all its values together. A suppressed count
    (`*`, `<5`, ...) refuses its row when the field is required and is stored empty otherwise; so is a
    country no one knows in an optional field, unless `rules.strict`."""
    order = rules.date_order
    column_problem = None
    if f.type == "date" and order is None and f.name not in rules.date_parts:
        try:
            order = slash_order(distinct)
        except ValueProblem as exc:
            column_problem = f"{exc}; say which with --dayfirst or --monthfirst"
    parse = _parser(f, kind, order, rules)
    optional = not f.required and f.default is None
    mapped = []
    for raw in distinct:
        try:
            if column_problem and has_ambiguous_slash_dates([raw]):
                raise ValueProblem(column_problem)
            value = parse(raw)
        except Suppressed as exc:
            mapped.append(Distinct(raw, None, empty_because=str(exc)) if optional
                          else Distinct(raw, None, str(exc), suppressed=True))
            continue
        except ValueProblem as exc:
            if optional and f.type == "country" and not rules.strict:
                mapped.append(Distinct(raw, None, empty_because=_unknown_country(raw)))
            else:
                mapped.append(Distinct(raw, None, str(exc)))
            continue
        if value is None and f.type == "country" and countries.names_no_country(raw):
            if f.required:
                mapped.append(Distinct(raw, None, f"{raw.strip()!r} names no country (a required value)"))
            else:
                mapped.append(Distinct(raw, None, empty_because="names no country"))
            continue
        problem = None
        if value is None and f.required and f.default is None:
            problem = "missing value (required)"
        elif value is None and f.default is not None:
            value = f.default
        mapped.append(Distinct(raw, value, problem))
    return mapped


def _unknown_country(raw: str) -> str:
    """Why an optional country was stored empty: not a country we know, or one that no longer exists."""
    try:
        countries.to_iso3(raw)
    except countries.UnknownCountry as exc:
        if exc.candidates and exc.suggestion is None:
            return "a country that no longer exists: now " + " or ".join(exc.candidates)
    return "not a country I know"


def set_constants(kind: Kind, set_values: dict[str, str], rules: ValueRules) -> dict[str, object]:
    """The parsed values of --set FIELD=VALUE; a bad one is a usage error."""
    constants: dict[str, object] = {}
    for f, raw in set_values.items():
        try:
            constants[f] = _parser(kind.field(f), kind, rules.date_order, rules)(raw)
        except ValueProblem as exc:
            raise UsageError(f"--set {f}={raw}: {exc}") from None
        if constants[f] is None and kind.field(f).required:
            raise UsageError(f"--set {f}: a required field needs a value")
    return constants
