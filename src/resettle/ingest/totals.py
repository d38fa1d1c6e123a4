"""Totals and subtotals are not data: find the rows of a table that sum other rows, before any value is
parsed, and leave them out (unless the user keeps them, --keep-totals).

A row is a total when
- a label cell reads total, subtotal, grand total, all, "Total Africa", "Sous-total" (domain/total_rows.py);
  label cells are the place columns (site, countries), the table's first column of words and the dates;
- its place or country is an aggregate of countries: World, a region, an income group, by name or code;
- it has no such label, but its count equals the sum of the rows of its block above it (since the table's
  start, a blank line or the last total; or of every row above it, a grand total), and its label is no
  country, no site of the database and no value of another row of the file.
Cells are compared whole: "All Saints" is a camp, "South Africa" a country.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from resettle.domain import countries, total_rows
from resettle.domain.errors import FileProblem
from resettle.domain.records import Kind
from resettle.domain.values import ValueProblem, parse_count
from resettle.ingest import reading
from resettle.ingest.mapping import FieldColumns

# The field that holds each kind's people (or places): what a total row sums.
COUNT_FIELD = {"population": "residents", "transfers": "people", "medevacs": "patients", "incidents": "killed",
               "pledges": "places", "sites": "capacity"}
PLACE_FIELDS = ("site", "name", "country", "origin_country", "host_country")
_SHOWN = 50  # line numbers listed in the report

LABELLED, AGGREGATE, SUM = "labelled as totals", "aggregates of countries", "sums of the rows above"


@dataclass
class TotalRow:
    line: int
    reason: str
    label: str  # the cell that made it a total, or its count for a sum


@dataclass
class Totals:
    """The rows left out as totals, in line order once the rows are read."""

    rows: list[TotalRow] = field(default_factory=list)
    read: int = 0  # rows looked at, totals included

    @property
    def lines(self) -> int:
        """How many lines were left out (a line of a wide table holds several records)."""
        return len({r.line for r in self.rows})

    def note(self) -> str | None:
        """The report's line: how many, why, on which lines."""
        if not self.rows:
            return None
        rows = sorted(self.rows, key=lambda r: r.line)
        lines = sorted({r.line for r in rows})
        shown = ", ".join(str(n) for n in lines[:_SHOWN]) + (f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")
        reasons = []
        for reason in (LABELLED, AGGREGATE, SUM):
            these = [r for r in rows if r.reason == reason]
            if these:
                labels = list(dict.fromkeys(r.label for r in these))
                example = ", ".join(repr(x) for x in labels[:3]) + (", ..." if len(labels) > 3 else "")
                reasons.append(f"{len({r.line for r in these})} {reason} ({example})")
        word = "row" if len(lines) == 1 else "rows"
        return (f"left out {len(lines)} total {word}: line{'s' if len(lines) > 1 else ''} {shown}; "
                f"{'; '.join(reasons)} (--keep-totals keeps them)")


@dataclass
class _Columns:
    """Where a table's labels and count are."""

    places: list[int]  # columns of the place fields
    whole_places: list[int]  # those a place is read from whole (not one part of a joined place)
    countries: list[int]  # those holding countries (aggregate codes count there)
    labels: list[int]  # places and the first column of words: who a row is about
    words: list[int]  # where a total label is looked for: the labels and the dates ("Total" in a Month column)
    count: int | None
    dates: list[int] = field(default_factory=list)  # the date fields' columns


def _columns(kind: Kind, table: reading.Table, columns: FieldColumns) -> _Columns:
    def indexes(name: str) -> list[int]:
        where = columns.get(name)
        if where is None:
            return []
        return list(where) if isinstance(where, tuple) else [where]

    places = [i for f in PLACE_FIELDS if f in kind.names for i in indexes(f)]
    # Aggregates are looked for in a country column and in a place read from one column: the parts of a
    # joined place (--map site=location_code+admin1_name) are admin areas, which may share a region's name.
    whole = [i for f in PLACE_FIELDS if f in kind.names and isinstance(columns.get(f), int) for i in indexes(f)]
    country_cols = [i for f in PLACE_FIELDS if f in kind.names and kind.field(f).type == "country" for i in indexes(f)]
    other_fields = {i for f, w in columns.items() if f not in PLACE_FIELDS for i in (w if isinstance(w, tuple) else (w,))}
    first_words = next((i for i in range(len(table.columns)) if i not in table.numeric and i not in table.dated
                        and i not in other_fields), None)
    labels = list(dict.fromkeys([*places, *([first_words] if first_words is not None else [])]))
    dates = [i for f in kind.fields if f.type == "date" for i in indexes(f.name)]
    count = columns.get(COUNT_FIELD.get(kind.name, ""))
    return _Columns(places, whole, country_cols, labels, list(dict.fromkeys([*labels, *dates])),
                    count if isinstance(count, int) else None, dates)


def leave_out(kind: Kind, table: reading.Table, columns: FieldColumns, totals: Totals, *,
              known_sites: frozenset[str] = frozenset(), by_sum: bool = True) -> Iterator[tuple[int, list[str]]]:
    """The rows of `table` without its totals, which go to `totals`. `known_sites`: sites already in the
    database (a row naming one is no sum); `by_sum`: whether unlabelled rows are checked against the sum
    of the rows above (not in a wide table, whose cells come from different columns)."""
    return _leave_out(kind, table, table.rows, columns, totals, known_sites, by_sum)


def _judge(word: bool, place: bool, country: bool):
    """The verdict on one cell of a column: LABELLED, AGGREGATE or "" (none)."""
    def judge(cell: str) -> str:
        if word and total_rows.is_total_label(cell):
            return LABELLED
        if place and (total_rows.is_aggregate_name(cell) or (country and total_rows.is_aggregate_code(cell))):
            return AGGREGATE
        return ""
    return judge


def _leave_out(kind: Kind, table: reading.Table, rows: Iterator[tuple[int, list[str]]], columns: FieldColumns,
               totals: Totals, known_sites: frozenset[str], by_sum: bool) -> Iterator[tuple[int, list[str]]]:
    # This loop sees every row of the general engine: one dict look-up per label cell and one for the count,
    # each distinct cell judged once.
    where = _columns(kind, table, columns)
    labels = set(where.labels)
    checks = [(i, {}, i in labels, _judge(i in where.words, i in where.whole_places, i in where.countries))
              for i in sorted({*where.words, *where.whole_places})]
    count_column = where.count if by_sum else None
    counts: dict[str, int | None] = {}
    known: dict[str, bool] = {}
    held: list[tuple[int, list[str], list[str], int]] = []  # unlabelled sums, until the file says who they are
    watch: dict[str, bool] = {}  # the labels of held rows: named again on a later row?
    block_sum = block_rows = all_sum = all_rows = 0
    # The dates of the rows summed: a total row is dated as its block is (or not at all); a row of a date of
    # its own is the next step of a series (40, 60, then 100 in March), not their sum.
    block_dates: set[tuple[str, ...]] = set()
    all_dates: set[tuple[str, ...]] = set()
    date_columns = where.dates
    previous = -1

    def dated_as(day: tuple[str, ...], seen: set[tuple[str, ...]]) -> bool:
        return not any(day) or seen == {day}

    def is_known(text: str) -> bool:
        if text not in known:
            try:
                known[text] = text in known_sites or countries.to_iso3(text) is not None
            except countries.UnknownCountry:
                known[text] = False
        return known[text]

    for line, cells in rows:
        totals.read += 1
        if line > previous + 1:
            block_sum = block_rows = 0  # a blank line (or a skipped header) starts a block
            block_dates = set()
        previous = line
        n = len(cells)
        found = ""
        stale = False  # a label named on an earlier row: no sum
        for i, cache, is_label, judge in checks:
            if i >= n or not (cell := cells[i]):
                continue
            verdict = cache.get(cell)
            if verdict is None:
                verdict = cache[cell] = judge(cell)
            elif is_label:
                stale = True
                if watch and cell in watch:
                    watch[cell] = True
            if verdict:
                found = verdict
                break
        if found:
            totals.rows.append(TotalRow(line, found, cell))
            block_sum = block_rows = 0
            block_dates = set()
            continue
        count = 0
        if count_column is not None and count_column < n:
            raw = cells[count_column]
            count = counts.get(raw, -1)
            if count == -1:
                try:
                    count = counts[raw] = parse_count(raw) or 0
                except ValueProblem:
                    count = counts[raw] = 0
        day = tuple(cells[i].strip() if i < n else "" for i in date_columns)
        if (count and not stale
                and ((block_rows >= 2 and count == block_sum and dated_as(day, block_dates))
                     or (all_rows >= 2 and count == all_sum and dated_as(day, all_dates)))):
            named = [cells[i] for i in where.labels if i < n and cells[i]]
            if not any(is_known(label) for label in named):
                held.append((line, cells, named, count))
                watch.update((label, False) for label in named)
                block_sum = block_rows = 0
                block_dates = set()
                continue
        block_sum += count
        block_rows += 1
        all_sum += count
        all_rows += 1
        if date_columns:
            block_dates.add(day)
            all_dates.add(day)
        yield line, cells
    unsure: list[tuple[int, list[str], int]] = []
    for line, cells, named, count in held:
        if any(watch[label] for label in named):
            yield line, cells  # its label names a row further down: a site, not a total
        elif named:
            unsure.append((line, named, count))
        else:
            totals.rows.append(TotalRow(line, SUM, f"{count:,}"))
    if unsure:
        # A name no one knows whose count happens to be the sum above it ("Camp C", 10, under 5 and 5) may be a
        # new site as well as a total: a guess either way loses people or counts them twice. Stop and ask.
        line, named, count = unsure[0]
        more = f" ({len(unsure) - 1} more such rows)" if len(unsure) > 1 else ""
        raise FileProblem(table.name, f"{' / '.join(repr(n) for n in named)} counts {count:,}, the sum of the rows "
                          f"above it: a total, or a row of its own?{more} If it is data, import with --keep-totals "
                          "(which keeps every total row); if it is a total, label it Total or leave the line out",
                          line=line)
    if totals.rows and totals.read == len(totals.rows):
        first = min(totals.rows, key=lambda r: r.line)
        raise FileProblem(table.name, f"every row is a total (the first, line {first.line}: {first.label!r}): "
                          "nothing else to import. If they are data, import with --keep-totals", line=first.line)
    # One label on most rows ("Total" in a column of categories) is no report's totals: say so, not guess.
    label, n = Counter(r.label for r in totals.rows).most_common(1)[0] if totals.rows else ("", 0)
    if n > 2 and 2 * n > totals.read:
        first = min((r for r in totals.rows if r.label == label), key=lambda r: r.line)
        raise FileProblem(table.name, f"{n} of {totals.read} rows read as totals (the first, line {first.line}: "
                          f"{first.label!r}): too many for a table's totals. If they are data, import with "
                          "--keep-totals; if the file is a summary, take its detailed table instead", line=first.line)


def distinct_totals(kind: Kind, columns: FieldColumns, distinct: dict[str, list[str]]) -> bool:
    """Whether any distinct value of a place field is a total label or an aggregate: the columnar engine
    (columnar.py), which reads columns and not rows, leaves such a file to the general engine."""
    for name, values in distinct.items():
        is_country = kind.field(name).type == "country"
        for value in values:
            if value and (total_rows.is_total_label(value) or total_rows.is_aggregate_name(value)
                          or (is_country and total_rows.is_aggregate_code(value))):
                return True
    return False


def columnar_may_hold_totals(kind: Kind, table: reading.Table, columns: FieldColumns, raw: dict[str, list[str]],
                             codes: dict[str, np.ndarray], count: np.ndarray | None,
                             known_sites: frozenset[str] = frozenset()) -> bool:
    """Whether the columnar engine (columnar.py) must leave a file to the general engine, which finds its
    totals row by row: a total label or an aggregate among the distinct values of a place field, a first
    column of words it does not read, or a row that may be a sum of the rows above it (a count equal to
    that sum, at a site named on no other row). It may say yes where `leave_out` finds nothing, never no
    where `leave_out` finds something. `raw`, `codes`: each place field's distinct raw values and row codes;
    `count`: each row's count (0 where missing)."""
    where = _columns(kind, table, columns)
    if not set(where.labels) <= set(where.places):
        return True
    if distinct_totals(kind, columns, raw):
        return True
    if count is None or len(count) < 3:
        return count is not None
    above = np.concatenate(([0], np.cumsum(count)[:-1]))
    sums = (count > 0) & (count == above)
    sums[:2] = False  # a block of two rows at least
    if not sums.any():
        return False
    site = "name" if kind.name == "sites" else "site"
    if site not in codes:
        return True  # one site for every row (--set): nothing tells a sum row from a row
    occurrences = np.bincount(codes[site], minlength=len(raw[site]))
    unknown = np.array([occurrences[i] == 1 and v not in known_sites for i, v in enumerate(raw[site])], dtype=bool)
    return bool((sums & unknown[codes[site]]).any())
