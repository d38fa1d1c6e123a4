"""Wide tables: one column per site, per date or year, or per country (`--columns-are FIELD`).

Each value cell of such a column is one record: the column's header gives FIELD ("Kakuma", "2018",
"Albania"), the cell the kind's count (population residents, transfers people, ...); the other columns
map as usual. The wide table becomes a long one here, before mapping, so that everything after (the
mapping, the totals, the parsers, the general engine) reads it as any other table. Total columns
("Total", "World") are left out, like total rows; an empty cell is no record, and the report says how
many there were.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from resettle.domain import countries, total_rows, values
from resettle.domain.errors import FileProblem, UsageError
from resettle.domain.records import Kind
from resettle.ingest import reading
from resettle.ingest.mapping import FieldColumns, forms, header_score
from resettle.ingest.reading import normalise_header
from resettle.ingest.totals import COUNT_FIELD

WIDE_FIELDS = ("site", "date", "host_country", "origin_country")
_WHAT = {"site": "known sites", "date": "dates", "host_country": "countries", "origin_country": "countries"}


def check(kind: Kind, columns_are: str, column_map: Mapping[str, str], set_values: Mapping[str, str],
          skip_invalid: bool) -> str:
    """The count field the cells of a `columns_are` table fill; a UsageError where the option cannot apply."""
    if columns_are not in WIDE_FIELDS:
        raise UsageError(f"--columns-are {columns_are}: one of {', '.join(WIDE_FIELDS)}")
    if columns_are not in kind.names or kind.name not in COUNT_FIELD or kind.name == "sites":
        raise UsageError(f"--columns-are {columns_are}: {kind.name} have no field {columns_are!r}")
    count = COUNT_FIELD[kind.name]
    for name in (columns_are, count):
        # A --map of the field to itself names the long table's own column (the Import page sends it).
        mapped_elsewhere = name in column_map and normalise_header(column_map[name]) != normalise_header(name)
        if mapped_elsewhere or name in set_values:
            how = "--map" if name in column_map else "--set"
            raise UsageError(f"--columns-are {columns_are}: {name} comes from the columns' headers and cells "
                             f"in a wide table; leave out {how} {name}")
    if skip_invalid:
        raise UsageError(f"--columns-are {columns_are} cannot be combined with --skip-invalid: a line of a wide "
                         "table holds several records, and one bad cell would reject them all")
    return count


def _is_date(text: str) -> bool:
    try:
        return values.parse_date(text, order="dayfirst") is not None
    except values.ValueProblem:
        return False


def _is_country(text: str) -> bool:
    try:
        return countries.to_iso3(text) is not None
    except countries.UnknownCountry:
        return False


def _fits(columns_are: str, header: str, known_sites: frozenset[str]) -> bool:
    if columns_are == "date":
        return _is_date(header)
    if columns_are == "site":
        return header in known_sites
    return _is_country(header)


@dataclass
class Wide:
    """A wide table read as a long one. `long` is what mapping and the engines read; `wide` the table as in
    the file, whose rows `long` reads lazily (so totals can be taken out of them first: a total row of a
    wide table is one line, whatever its cells); `keep[k]` the wide column of the long table's column k + 2."""

    long: reading.Table
    wide: reading.Table
    keep: list[int]

    def wide_columns(self, columns: FieldColumns) -> FieldColumns:
        """The columns of the mapped fields in the wide table, for those read from a column of its own."""
        out: FieldColumns = {}
        for name, where in columns.items():
            indexes = where if isinstance(where, tuple) else (where,)
            if all(i >= 2 for i in indexes):
                found = tuple(self.keep[i - 2] for i in indexes)
                out[name] = found if isinstance(where, tuple) else found[0]
        return out


def long_table(kind: Kind, table: reading.Table, columns_are: str, column_map: Mapping[str, str],
               set_values: Mapping[str, str], skip_invalid: bool) -> Wide:
    """The wide `table` as a long one: columns `columns_are` and the count field first, then the columns
    that are not wide (a total column left out); a row per non-empty value cell, on its line in the file."""
    count = check(kind, columns_are, column_map, set_values, skip_invalid)
    mapped = {form for name in column_map.values() for part in (name, *name.split("+")) for form in forms(part)}
    known_name = header_score(kind)
    wide: list[int] = []
    total_columns: list[int] = []
    keep: list[int] = []
    for i, header in enumerate(table.columns):
        if header.startswith("column_") or forms(header)[0] in mapped:
            keep.append(i)
        elif total_rows.is_total_label(header) or (columns_are != "site" and columns_are != "date"
                                                   and total_rows.is_aggregate(header)):
            total_columns.append(i)
        elif columns_are == "date" and _is_date(header):
            wide.append(i)
        elif columns_are in ("host_country", "origin_country") and _is_country(header):
            wide.append(i)
        elif (columns_are == "site" and i not in table.worded and (i not in table.dated or i in table.numeric)
              and not known_name([header])):
            # a column of numbers, or empty in the first lines (a camp opened later), named as no field. Its
            # counts may look like years (a camp of 2,013 people): a column of whole numbers named as no field
            # is a site's, while a column named Year is the date's (known_name).
            wide.append(i)
        else:
            keep.append(i)
    if not wide:
        kinds = {"date": "a date or a year", "site": "a site (a column of numbers not named as a field)",
                 "host_country": "a country", "origin_country": "a country"}[columns_are]
        raise FileProblem(table.name, f"--columns-are {columns_are}: no column's header reads as {kinds}; "
                          f"the columns are {', '.join(repr(c) for c in table.columns)}", line=table.header_line)
    notes = table.notes
    headers = [table.columns[i] for i in wide]
    shown = ", ".join(headers) if len(headers) <= 6 else f"{headers[0]}, {headers[1]} ... {headers[-1]}"
    if total_columns:
        notes.append("left out total column" + ("s" if len(total_columns) > 1 else "") + ": "
                     + ", ".join(repr(table.columns[i]) for i in total_columns))
    long = reading.Table(
        path=table.path, name=table.name, columns=[columns_are, count, *(table.columns[i] for i in keep)],
        hxl=None if table.hxl is None else ["", "", *(table.hxl[i] for i in keep)],
        rows=iter(()), header_line=table.header_line, encoding=table.encoding, delimiter=table.delimiter,
        notes=notes,
        numeric=[1, *(k + 2 for k, i in enumerate(keep) if i in table.numeric)],
        dated=[*([0] if columns_are == "date" else []), *(k + 2 for k, i in enumerate(keep) if i in table.dated)],
        worded=[*([0] if columns_are != "date" else []), *(k + 2 for k, i in enumerate(keep) if i in table.worded)],
    )
    long.rows = _records(table, long, wide, keep, count, columns_are, shown)
    return Wide(long, table, keep)


def _records(table: reading.Table, long: reading.Table, wide: list[int], keep: list[int], count: str,
             columns_are: str, shown: str) -> Iterator[tuple[int, list[str]]]:
    headers = [table.columns[i] for i in wide]
    empty = cells_read = lines = 0
    for line, cells in table.rows:  # looked up at the first row: totals.leave_out may stand in by then
        lines += 1
        n = len(cells)
        rest = [cells[i] if i < n else "" for i in keep]
        for header, i in zip(headers, wide, strict=True):
            value = cells[i].strip() if i < n else ""
            if not value or values.is_missing(value):
                empty += 1
                continue
            cells_read += 1
            yield line, [header, value, *rest]
    long.end_line = table.end_line
    long.not_read = table.not_read
    long.notes.append(f"wide table: {len(wide)} columns ({shown}) read as {columns_are}, each cell a record's "
                      f"{count}: {cells_read:,} cells on {lines:,} lines; {empty:,} empty cells, no record")


def suggestion(kind: Kind, columns: list[str], known_sites: frozenset[str], numeric: Sequence[int] = (),
               missing: str | None = None) -> str | None:
    """When a table has no count column: "the columns 1990 ... 2018 look like dates: try --columns-are
    date", if most of its headers are dates, countries or known sites."""
    named = [c for c in columns if not c.startswith("column_")]
    if kind.name not in COUNT_FIELD or kind.name == "sites" or len(named) < 2:
        return None
    for field in ("date", "origin_country" if kind.name == "population" else "host_country", "site"):
        if field not in kind.names:
            continue
        fitting = [c for c in named if _fits(field, c, known_sites)]
        if len(fitting) >= 2 and 2 * len(fitting) > len(named):
            shown = " ... ".join([fitting[0], fitting[-1]]) if len(fitting) > 2 else " and ".join(fitting)
            what = _WHAT[field]
            return f"the columns {shown} look like {what}: try --columns-are {field}"
    if "site" in kind.names:
        # Sites no one knows yet: columns of numbers named as no field ("Camp Liberty", "Camp Ashraf"), when the
        # site is what the table lacks. Said as a question: a person knows what the columns are.
        known_name = header_score(kind)
        unnamed = [columns[i] for i in numeric if i < len(columns) and not known_name([columns[i]])
                   and not total_rows.is_total_label(columns[i]) and not _is_date(columns[i])]
        if len(unnamed) >= 2 and missing == "site":
            shown = " ... ".join([unnamed[0], unnamed[-1]]) if len(unnamed) > 2 else " and ".join(unnamed)
            return f"the columns {shown} hold numbers and are named as no field: if each is a site, try --columns-are site"
    return None
