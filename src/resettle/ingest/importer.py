"""Import a file of records: the one entry. Validate every row, then write all of it or nothing, with its batch.

`import_file` opens the file's table (reading.py; a wide one is read as a long one, wide.py), finds the
column of each field once (mapping.py), leaves the rows that sum others out before any value is parsed
(totals.py), and picks an engine: the columnar one (columnar.py, pyarrow) for a big plain file it can
account for line by line, else the general one (general.py), which takes any table and reports every
problem with its line.
Both parse each column's distinct values once (parsing.py) and give the same typed columns; the store's
writer (store/writer.py) stores them in one BEGIN IMMEDIATE transaction, the only time the database is
locked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from pathlib import Path

from resettle.domain.errors import FileProblem, ResettleError, RowError, UsageError
from resettle.domain.records import KINDS, Kind
from resettle.ingest import columnar, general, parsing, reading, totals, wide
from resettle.ingest.mapping import column_samples, header_score, labels, resolve_columns, shown_samples
from resettle.store import db, mappings, writer
from resettle.store.columns import Progress
from resettle.store.mappings import SavedMapping


@dataclass
class ImportOptions:
    """How to read a file and what to record with it (the CLI's options, the Import page's choices)."""

    source: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)  # field -> column, or columns "a+b" (--map)
    set_values: dict[str, str] = field(default_factory=dict)  # field -> value for every row (--set)
    date_order: str | None = None  # 'dayfirst' | 'monthfirst' | None (decide per column)
    sheet: str | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    editor: str | None = None
    progress: Progress | None = None
    mapping: str | None = None  # a saved mapping to start from (--mapping NAME); --map/--set/order win
    save_mapping: str | None = None  # save this import's --map/--set/order under this name (--save-mapping)
    keep_totals: bool = False  # keep rows that sum others (totals, subtotals, aggregates) as data (--keep-totals)
    columns_are: str | None = None  # a wide table: its columns are sites, dates or countries (--columns-are)
    fiscal_year_start: int | None = None  # the month (1-12) fiscal years start in (--fiscal-year-start)
    strict: bool = False  # an unrecognised country in an optional field is an error (--strict), not stored empty


@dataclass
class ImportReport:
    """What an import did (or a dry run would do), for the closing report and the Import page."""

    kind: str
    file: str
    batch_id: int | None = None
    identical_to: int | None = None
    dry_run: bool = False
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    present: int = 0
    rejected: int = 0
    rejected_by_reason: Counter = field(default_factory=Counter)
    sites_created: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)  # field -> its first values, as written
    checks: list[str] = field(default_factory=list)  # columns to check: a weak fit, a column passed over
    suppressed: list[RowError] = field(default_factory=list)  # rows left out: a required count withheld
    stored_empty: list[parsing.StoredEmpty] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0
    fast_path: bool = False  # read by the columnar engine (columnar.py); the rows stored are the same

    def lines(self) -> list[str]:
        """The closing report, one line per fact."""
        if self.identical_to is not None:
            return [f"{self.file}: identical to batch {self.identical_to}, already imported; nothing added."]
        verb = "would add" if self.dry_run else "added"
        out = [
            f"{self.file}: {self.rows_read} rows read; {verb} {self.added}, updated {self.updated}, "
            f"already present {self.present}, rejected {self.rejected}"
            + (f", suppressed {self.suppressed_rows}" if self.suppressed else "") + f" ({self.seconds:.1f} s)"
            + ("" if self.dry_run or self.batch_id is None else f"; batch {self.batch_id}")
        ]
        for reason, n in self.rejected_by_reason.most_common():
            out.append(f"  rejected {n}: {reason}")
        out.extend(self.suppressed_lines())
        out.extend(f"  {e.line()}" for e in self.stored_empty)
        if self.sites_created:
            out.append(f"  new sites: {self.sites_created}")
        out.extend(self.mapping_lines())
        out.extend(f"  {n}" for n in self.notes)
        if self.dry_run:
            out.append("  dry run: nothing was written.")
        return out

    @property
    def suppressed_rows(self) -> int:
        """Rows left out because the source suppressed a required count (each row once)."""
        return len({e.line for e in self.suppressed})

    def suppressed_lines(self) -> list[str]:
        """The rows left out as suppressed, by column and mark: how many, what the mark means, which lines."""
        by_mark: dict[tuple[str, str], list[int]] = {}
        for e in self.suppressed:
            by_mark.setdefault((e.column, e.message), []).append(e.line)
        out = []
        for (column, message), lines in by_mark.items():
            shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
            out.append(f"  left out {len(lines):,} row{'' if len(lines) == 1 else 's'}: {column} {message} "
                       f"(line{'' if len(lines) == 1 else 's'} {shown})")
        return out

    def mapping_lines(self) -> list[str]:
        """Which column became which field, with its first values: "site <- Camp (Liberty, Ashraf, Liberty)";
        then the columns to check."""
        if not self.mapping:
            return []
        parts = []
        for f, c in self.mapping.items():
            named = f"{f} {c}" if c.startswith("= ") else (f if c == f else f"{f} <- {c}")
            values = [v if len(v) <= 40 else v[:39] + "…" for v in self.samples.get(f, [])]
            parts.append(f"{named} ({', '.join(values)})" if values else named)
        return ["  columns: " + ", ".join(parts), *(f"  {c}" for c in self.checks)]


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_kind(kind_name: str) -> Kind:
    """The record kind named `kind_name`; a UsageError listing the kinds for any other name."""
    if kind_name not in KINDS:
        raise UsageError(f"unknown record kind {kind_name!r}; one of {', '.join(KINDS)}")
    return KINDS[kind_name]


def import_file(
    db_path: str | os.PathLike | None,
    kind_name: str,
    path: str | os.PathLike,
    options: ImportOptions | None = None,
    *,
    conn: sqlite3.Connection | None = None,
) -> ImportReport:
    """Validate `path` as records of `kind_name` and import it in one transaction.

    Raises FileProblem (the file cannot be read as a table), ValidationFailed (invalid rows; nothing
    written) or UsageError. Returns the report; with dry_run nothing is written.
    """
    db.require_writable("importing")
    options = options or ImportOptions()
    started = time.perf_counter()
    kind = check_kind(kind_name)
    path = Path(path)
    own = conn is None
    conn = conn or db.connect(db_path)
    try:
        report = _import(conn, kind, path, options)
    finally:
        if own:
            conn.close()
    report.seconds = time.perf_counter() - started
    return report


def _import(conn: sqlite3.Connection, kind: Kind, path: Path, options: ImportOptions) -> ImportReport:
    report = ImportReport(kind=kind.name, file=path.name, dry_run=options.dry_run)
    if options.mapping:
        options = apply_mapping(mappings.load_mapping(conn, options.mapping), kind.name, options)
        report.notes.append(f"used the saved mapping {options.mapping!r}")
    today = dt.date.today()
    if options.fiscal_year_start is not None and not 1 <= options.fiscal_year_start <= 12:
        raise UsageError(f"--fiscal-year-start {options.fiscal_year_start}: give the month as 1 to 12 (US: 10)")
    problem: ResettleError | None = None
    widened: wide.Wide | None = None
    # The hash (is this file imported already?) is taken on the other core while the file is opened and,
    # by the columnar engine, read: hashlib lets go of the GIL. (Not for a pipe: it is read once.)
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_sha256, path) if path.is_file() else None
        table = reading.open_table(path, sheet=options.sheet, header_hint=header_score(kind))
        known_sites = frozenset(name for (name,) in conn.execute("SELECT name FROM sites"))
        try:
            # The first rows, looked at before the mapping (do the values fit the field?) and shown with it,
            # then read again with the rest.
            if options.columns_are:
                # A wide table's first lines are read as long rows apart, for the samples: the long table's
                # own reading must start at the first line, after totals.leave_out stands in for its rows.
                first = list(islice(table.rows, SAMPLE_ROWS))
                table.rows = chain(first, table.rows)
                preview = wide.long_table(kind, replace(table, rows=iter(first), notes=[]), options.columns_are,
                                          options.column_map, options.set_values, options.skip_invalid).long
                head = list(islice(preview.rows, SAMPLE_ROWS))
                widened = wide.long_table(kind, table, options.columns_are, options.column_map,
                                          options.set_values, options.skip_invalid)
                table = widened.long
            else:
                head = list(islice(table.rows, SAMPLE_ROWS))
                table.rows = chain(head, table.rows)
            samples = column_samples(head, len(table.columns))
            columns = _resolve(kind, table, options, known_sites, samples, report.checks)
            report.mapping = labels(kind, table.columns, columns, options.set_values)
            report.samples = {f: shown_samples(samples, where, head) for f, where in columns.items()
                              if f not in options.set_values}
            rules = value_rules(kind, table.columns, columns, options, today)
            constants = parsing.set_constants(kind, options.set_values, rules)
            fast = (columnar.read(kind, path, table, columns, constants, rules,
                                  keep_totals=options.keep_totals, known_sites=known_sites)
                    if not options.columns_are and columnar.eligible(kind, path, table, columns, options.skip_invalid)
                    else None)
        except ResettleError as exc:
            problem = exc  # if an identical file was imported before, that is the answer, not this error
            partial = getattr(exc, "found", None)  # the fields a mapping error had found: shown with it
            if partial and not report.mapping:
                report.mapping = labels(kind, table.columns, partial, options.set_values)
                report.samples = {f: shown_samples(samples, where, head) for f, where in partial.items()}
        sha = hashing.result() if hashing is not None else file_sha256(path)
    if options.sheet and table.encoding == "xlsx":
        # Another sheet of the same workbook is another import: the identity covers the sheet read.
        sha = hashlib.sha256(f"{sha}\0sheet:{options.sheet}".encode()).hexdigest()
    report.identical_to = writer.identical_batch(conn, sha, kind.name)
    if report.identical_to is not None:
        return report
    if problem is not None:
        raise _with_mapping(problem, report)

    used = {k for i in columns.values() for k in (i if isinstance(i, tuple) else (i,))}
    unused = [c for i, c in enumerate(table.columns) if i not in used and c and not c.startswith("column_")]
    if unused and len(unused) <= 12:
        report.notes.append("columns not used: " + ", ".join(unused))
    elif unused:
        report.notes.append(f"{len(unused)} columns not used")

    report.fast_path = fast is not None
    left_out = totals.Totals()
    if fast is None and not options.keep_totals:
        # Before any value is parsed: an aggregate ("World") must not become a row with an empty country.
        if widened is None:
            table.rows = totals.leave_out(kind, table, columns, left_out, known_sites=known_sites)
        else:  # a total row of a wide table is one line, whatever its cells: taken out before it is widened
            widened.wide.rows = totals.leave_out(kind, widened.wide, widened.wide_columns(columns), left_out,
                                                 known_sites=known_sites, by_sum=False)
    try:
        parsed = fast or general.read(kind, table, columns, constants, report.mapping, rules=rules,
                                      skip_invalid=options.skip_invalid, progress=options.progress)
    except ResettleError as exc:
        raise _with_mapping(exc, report) from None
    # Rows read, then left out as totals; in a wide table rows are cells, and its totals lines.
    report.rows_read = parsed.rows_read + (len(left_out.rows) if widened is None else 0)
    if parsed.rejected:
        _count_rejected(report, parsed.rejected)
    report.suppressed = parsed.suppressed
    report.stored_empty = parsed.stored_empty
    # The table's notes (a second section, repeated headers) are complete now that its rows are read.
    report.notes.extend(table.notes)
    if note := left_out.note():
        report.notes.append(note)
    stored_notes = [*(line.strip() for line in report.suppressed_lines()),
                    *(e.line() for e in report.stored_empty), *report.checks, *report.notes]
    batch = writer.Batch(kind, path.name, sha, options.source, options.editor, report.mapping, stored_notes,
                         rows_read=report.rows_read, rows_rejected=report.rejected + report.suppressed_rows)
    # The general engine told the progress while reading, its slow part; the columnar engine's is the insert.
    written = writer.write_batch(conn, batch, parsed.columns, dry_run=options.dry_run,
                                 progress=options.progress if report.fast_path else None)
    report.identical_to, report.batch_id = written.identical_to, written.batch_id
    report.added, report.updated, report.present = written.added, written.updated, written.present
    report.sites_created = written.sites_created
    report.notes.extend(written.notes)
    _save_after(conn, kind, options, report)
    return report


def _resolve(kind: Kind, table: reading.Table, options: ImportOptions, known_sites: frozenset[str],
             samples, checks: list[str]):
    """The column of each field; when a required one has none and the headers look like the values of a
    field (years, countries, sites), the error says to read the table as a wide one."""
    try:
        return resolve_columns(kind, table.columns, table.hxl, options.column_map, options.set_values,
                               path=table.name, header_line=table.header_line, samples=samples, checks=checks)
    except FileProblem as exc:
        found = getattr(exc, "found", None) or {}
        lacking = [f.name for f in kind.fields if f.required and f.name not in found and f.name not in options.set_values]
        hint = None if options.columns_are else wide.suggestion(kind, table.columns, known_sites, table.numeric,
                                                                 lacking[0] if len(lacking) == 1 else None)
        if hint is None:
            raise
        wider = FileProblem(exc.path, f"{exc.message} {hint[0].upper()}{hint[1:]}.", line=exc.line,
                            column=exc.column)
        if hasattr(exc, "found"):
            wider.found = exc.found
        raise wider from None


SAMPLE_ROWS = 200  # rows looked at to check that a column's values fit its field, and to show its first values


def value_rules(kind: Kind, names: list[str], columns: dict, options: ImportOptions, today: dt.date) -> parsing.ValueRules:
    """How this import reads values: its options, and which date fields come from a fiscal-year column or
    from several columns (year, month, day)."""
    dates = [f.name for f in kind.fields if f.type == "date" and f.name in columns]
    parts = frozenset(f for f in dates if isinstance(columns[f], tuple))
    # A split date's year is its first column.
    first = {f: columns[f][0] if isinstance(columns[f], tuple) else columns[f] for f in dates}
    fiscal = frozenset(f for f in dates if parsing.is_fiscal_column(names[first[f]]))
    return parsing.ValueRules(today=today, date_order=options.date_order, fiscal_start=options.fiscal_year_start,
                              strict=options.strict, fiscal_fields=fiscal, date_parts=parts)


def _with_mapping(exc: ResettleError, report: ImportReport) -> ResettleError:
    """`exc` carrying the mapping found so far, which the command line prints before the errors."""
    exc.mapping_lines = [line.strip() for line in report.mapping_lines()] or list(report.checks)
    return exc


def _count_rejected(report: ImportReport, errors: list[RowError]) -> None:
    """The rows left out (--skip-invalid), each counted once, under its first problem."""
    report.errors = errors
    first: dict[int, RowError] = {}
    for e in errors:
        first.setdefault(e.line, e)
    report.rejected = len(first)
    for e in first.values():
        report.rejected_by_reason[f"{e.column}: {_reason(e.message)}"] += 1


def _reason(message: str) -> str:
    """A message without its value, to count rejections by kind of problem."""
    if " is not one of " in message:
        return "not an allowed value"
    for marker in ("is negative", "is not a whole number", "is not a number", "is in the future",
                   "is not a date", "is not a country", "missing", "fields but the header"):
        if marker in message:
            return marker.replace("is ", "")
    return message


# ---------------------------------------------------------------- saved mappings


def apply_mapping(saved: SavedMapping, kind_name: str, options: ImportOptions) -> ImportOptions:
    """`options` with the saved mapping underneath: a field the user maps or sets now keeps the user's word."""
    if saved.kind != kind_name:
        raise UsageError(f"the saved mapping {saved.name!r} is for {saved.kind}, not {kind_name}")
    mine = set(options.column_map) | set(options.set_values)
    column_map = {f: c for f, c in saved.column_map.items() if f not in mine} | options.column_map
    set_values = {f: v for f, v in saved.set_values.items() if f not in mine} | options.set_values
    return replace(options, column_map=column_map, set_values=set_values,
                   date_order=options.date_order or saved.date_order,
                   fiscal_year_start=options.fiscal_year_start or saved.fiscal_year_start)


def _save_after(conn, kind: Kind, options: ImportOptions, report: ImportReport) -> None:
    if options.save_mapping and options.dry_run:
        report.notes.append(f"the mapping was not saved as {options.save_mapping!r}: a dry run writes nothing")
    elif options.save_mapping:
        saved = mappings.save_mapping(conn, options.save_mapping, kind.name, options)
        report.notes.append(f"saved this mapping as {saved.name!r} (reuse it with --mapping {saved.name})")
