"""Import a file of records: validate every row, then write all of it or nothing, with its batch.

How it stays fast on a million rows: rows stream into a TEMP staging table (raw text, one executemany),
each column's DISTINCT values are parsed once in Python into a small map table, and validation, dedup
and the final insert are SQL joins over those maps. The main database is locked only for the last
step, one BEGIN IMMEDIATE transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from resettle.domain import countries
from resettle.domain.errors import FileProblem, ResettleError, RowError, UsageError, ValidationFailed
from resettle.domain.records import KINDS, Field, Kind
from resettle.domain.values import (
    MISSING,
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
from resettle.ingest import columnar, reading
from resettle.ingest.mapping import JOIN, describe, header_score, resolve_columns
from resettle.store import db, transaction

CHUNK_ROWS = 50_000
MAX_COUNT = 1_000_000_000  # more people than any record holds; sums of such counts stay far inside 64 bits
# Free text: too many distinct values to parse one by one, and nothing to parse; cleaned in SQL.
_FREE_TEXT = {"case_id", "description", "destination", "source"}
_MISSING_SQL = ", ".join(f"'{m}'" for m in sorted(MISSING) if "'" not in m)

Progress = Callable[[int, int | None], None]  # rows read so far, rows in all (None while unknown)


@dataclass
class ImportOptions:
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


@dataclass
class ImportReport:
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
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0
    fast_path: bool = False  # read column-wise (see columnar.py); the rows stored are the same

    def lines(self) -> list[str]:
        """The closing report, one line per fact."""
        if self.identical_to is not None:
            return [f"{self.file}: identical to batch {self.identical_to}, already imported; nothing added."]
        verb = "would add" if self.dry_run else "added"
        out = [
            f"{self.file}: {self.rows_read} rows read; {verb} {self.added}, updated {self.updated}, "
            f"already present {self.present}, rejected {self.rejected} ({self.seconds:.1f} s)"
            + ("" if self.dry_run or self.batch_id is None else f"; batch {self.batch_id}")
        ]
        for reason, n in self.rejected_by_reason.most_common():
            out.append(f"  rejected {n}: {reason}")
        if self.sites_created:
            out.append(f"  new sites: {self.sites_created}")
        if self.mapping:
            out.append("  columns: " + ", ".join(f if c == f else f"{f} <- {c}" for f, c in self.mapping.items()))
        out.extend(f"  {n}" for n in self.notes)
        if self.dry_run:
            out.append("  dry run: nothing was written.")
        return out


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _combined(f: Field, indexes: tuple[int, ...]) -> Callable[[list[str]], str]:
    """The raw value of a field read from several columns (`--map residents=Refugees+AsylumSeekers`):
    counts add up (empty parts count for nothing; all empty is missing), other values are joined with " / "."""
    if f.type != "count":
        return lambda cells: JOIN.join(c for k in indexes if (c := cells[k].strip()) and not is_missing(c))

    def add(cells: list[str]) -> str:
        parts = [cells[k] for k in indexes]
        try:
            numbers = [n for p in parts if (n := parse_count(p)) is not None]
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
    else:
        pick = operator.itemgetter(*indexes) if len(indexes) > 1 else None
    single = indexes[0] if pick is None else None
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
        else:
            yield (line, cells[single])
    if progress is not None:
        progress(n, n)


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
    if kind_name not in KINDS:
        raise UsageError(f"unknown record kind {kind_name!r}; one of {', '.join(KINDS)}")
    kind = KINDS[kind_name]
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
        options = apply_mapping(load_mapping(conn, options.mapping), kind.name, options)
        report.notes.append(f"used the saved mapping {options.mapping!r}")
    # The hash (is this file imported already?) is taken on the other core while the file is opened and,
    # for the fast path, read: hashlib lets go of the GIL. (Not for a pipe: it is read once.)
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_sha256, path) if path.is_file() else None
        table = reading.open_table(path, sheet=options.sheet, header_hint=header_score(kind))
        today = dt.date.today()
        try:
            prepared = _prepare(kind, path, table, options, today)
        except ResettleError:
            prepared = None  # if an identical file was imported before, that is the answer, not this error
        sha = hashing.result() if hashing is not None else file_sha256(path)
    if options.sheet and table.encoding == "xlsx":
        # Another sheet of the same workbook is another import: the identity covers the sheet read.
        sha = hashlib.sha256(f"{sha}\0sheet:{options.sheet}".encode()).hexdigest()
    earlier = conn.execute(
        "SELECT id FROM import_batches WHERE sha256 = ? AND kind = ? ORDER BY id LIMIT 1", (sha, kind.name)
    ).fetchone()
    if earlier:
        report.identical_to = earlier[0]
        return report
    columns, fast = prepared or _prepare(kind, path, table, options, today)  # (raising its error again)

    report.mapping = {f: describe(table.columns, columns[f]) for f in kind.names if f in columns}
    report.mapping.update({f: f"= {v!r}" for f, v in options.set_values.items()})
    report.mapping = {f: report.mapping[f] for f in kind.names if f in report.mapping}
    used = {k for i in columns.values() for k in (i if isinstance(i, tuple) else (i,))}
    unused = [c for i, c in enumerate(table.columns) if i not in used and c and not c.startswith("column_")]
    if unused and len(unused) <= 12:
        report.notes.append("columns not used: " + ", ".join(unused))
    elif unused:
        report.notes.append(f"{len(unused)} columns not used")

    staged = [f for f in kind.fields if f.name in columns]
    if fast is not None:
        report.fast_path = True
        report.notes.extend(table.notes)
        with columnar.foreign_keys_by_construction(conn):
            _write(conn, kind, path, sha, options, report, fast=fast)
        _save_after(conn, kind, options, report)
        return report
    try:
        _stage(conn, table, columns, staged, options, report)
        if staged and not report._shape_errors and not conn.execute("SELECT 1 FROM temp.stage_raw LIMIT 1").fetchone():
            raise FileProblem(table.name, "no data rows under the header (an export that went wrong?)",
                              line=table.header_line)
        errors = _validate(conn, kind, table, staged, options, today, report)
        if errors:
            if not options.skip_invalid:
                raise ValidationFailed(errors)
            report.errors = errors
            first: dict[int, RowError] = {}
            for e in errors:  # a row counts once, under its first problem
                first.setdefault(e.line, e)
            report.rejected = len(first)
            for e in first.values():
                report.rejected_by_reason[f"{e.column}: {_reason(e.message)}"] += 1
            conn.executemany("DELETE FROM temp.stage_norm WHERE line = ?", ((n,) for n in sorted(first)))
        # The table's notes (a second section, repeated headers) are complete now that its rows are read.
        report.notes.extend(table.notes)
        _write(conn, kind, path, sha, options, report)
        _save_after(conn, kind, options, report)
    finally:
        for name in ("stage_raw", "stage_norm"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        for f in kind.fields:
            conn.execute(f"DROP TABLE IF EXISTS temp.map_{f.name}")
    return report


def _prepare(kind: Kind, path: Path, table: reading.Table, options: ImportOptions,
             today: dt.date) -> tuple[dict[str, int | tuple[int, ...]], columnar.Columns | None]:
    """The file's columns for each field, and the file read column-wise when the fast path takes it."""
    columns = resolve_columns(kind, table.columns, table.hxl, options.column_map, options.set_values,
                              path=table.name, header_line=table.header_line)
    composed = any(isinstance(i, tuple) for i in columns.values())  # the fast path reads single columns
    if composed or not columnar.eligible(kind, path, table, options):
        return columns, None
    return columns, columnar.read_columns(kind, path, table, columns, options, today)


def _reason(message: str) -> str:
    """A message without its value, to count rejections by kind of problem."""
    if " is not one of " in message:
        return "not an allowed value"
    for marker in ("is negative", "is not a whole number", "is not a number", "is in the future",
                   "is not a date", "is not a country", "missing", "fields but the header"):
        if marker in message:
            return marker.replace("is ", "")
    return message


def _stage(conn, table: reading.Table, columns: dict[str, int | tuple[int, ...]], staged: list[Field],
           options: ImportOptions, report: ImportReport) -> None:
    """Stream the mapped columns of every row into temp.stage_raw."""
    names = [f.name for f in staged]
    conn.execute("DROP TABLE IF EXISTS temp.stage_raw")
    conn.execute(f"CREATE TEMP TABLE stage_raw (line INTEGER PRIMARY KEY, {', '.join(f'{n} TEXT' for n in names)})")
    shape_errors: list[RowError] = []
    report._shape_errors = shape_errors  # type: ignore[attr-defined]
    if not names:
        return
    placeholders = ", ".join("?" * (len(names) + 1))
    width = len(table.columns)
    total = estimate_rows(table) if options.progress is not None else None
    getters = [_combined(f, columns[f.name]) if isinstance(columns[f.name], tuple) else columns[f.name] for f in staged]
    rows = _row_stream(table, getters, width, shape_errors, options.progress, total)
    conn.execute("BEGIN")  # temp tables only: no lock on the main database
    try:
        conn.executemany(f"INSERT INTO temp.stage_raw VALUES ({placeholders})", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def set_constants(kind: Kind, options: ImportOptions, today: dt.date) -> dict[str, object]:
    """The parsed values of --set FIELD=VALUE; a bad one is a usage error."""
    constants: dict[str, object] = {}
    for f, raw in options.set_values.items():
        try:
            constants[f] = _parser(kind.field(f), kind, options.date_order, today)(raw)
        except ValueProblem as exc:
            raise UsageError(f"--set {f}={raw}: {exc}") from None
        if constants[f] is None and kind.field(f).required:
            raise UsageError(f"--set {f}: a required field needs a value")
    return constants


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


def _validate(conn, kind: Kind, table: reading.Table, staged: list[Field], options: ImportOptions,
              today: dt.date, report: ImportReport) -> list[RowError]:
    """Parse each column's distinct values, build temp.stage_norm, return every row error in line order."""
    errors: list[RowError] = list(getattr(report, "_shape_errors", []))
    report.rows_read = conn.execute("SELECT count(*) FROM temp.stage_raw").fetchone()[0] + len(errors)
    name = table.name
    select = ["s.line AS line"]
    joins = []

    constants = set_constants(kind, options, today)

    for f in staged:
        column = report.mapping[f.name]
        if f.name in _FREE_TEXT:
            select.append(
                f"CASE WHEN lower(trim(s.{f.name})) IN ({_MISSING_SQL}) THEN NULL ELSE trim(s.{f.name}) END AS {f.name}"
            )
            continue
        distinct = [r[0] for r in conn.execute(f"SELECT DISTINCT {f.name} FROM temp.stage_raw")]
        mapped = parse_distinct(f, kind, distinct, options.date_order, today)
        conn.execute(f"DROP TABLE IF EXISTS temp.map_{f.name}")
        conn.execute(f"CREATE TEMP TABLE map_{f.name} (raw TEXT PRIMARY KEY, val, err TEXT)")
        conn.executemany(f"INSERT INTO temp.map_{f.name} VALUES (?, ?, ?)", mapped)
        if any(p for _, _, p in mapped):
            for line, err in conn.execute(
                f"SELECT s.line, m.err FROM temp.stage_raw s JOIN temp.map_{f.name} m ON m.raw = s.{f.name} "
                "WHERE m.err IS NOT NULL"
            ):
                errors.append(RowError(name, line, column, err))
        joins.append(f"JOIN temp.map_{f.name} m_{f.name} ON m_{f.name}.raw = s.{f.name}")
        select.append(f"m_{f.name}.val AS {f.name}")

    for f in kind.fields:
        if f.name in options.set_values:
            select.append(f"? AS {f.name}")
        elif f.name not in report.mapping:
            default = f"'{f.default}'" if f.default is not None else "NULL"
            select.append(f"{default} AS {f.name}")
    params = [constants[f.name] for f in kind.fields if f.name in options.set_values]

    conn.execute("DROP TABLE IF EXISTS temp.stage_norm")
    conn.execute(
        f"CREATE TEMP TABLE stage_norm AS SELECT {', '.join(select)} FROM temp.stage_raw s {' '.join(joins)}",
        params,
    )
    errors.extend(_row_rules(conn, kind, name, report, today))
    errors.sort(key=lambda e: (e.line, _column_order(kind, report, e.column)))
    return errors


def _column_order(kind: Kind, report: ImportReport, column: str) -> int:
    columns = list(report.mapping.values())
    return columns.index(column) if column in columns else -1


def _row_rules(conn, kind: Kind, name: str, report: ImportReport, today: dt.date) -> list[RowError]:
    """Rules across fields of one row."""
    col = report.mapping.get
    out = []
    if kind.name == "transfers":
        for line, date in conn.execute(
            "SELECT line, date FROM temp.stage_norm WHERE date > ? AND stage = 'departed'", (today.isoformat(),)
        ):
            out.append(RowError(name, line, col("date", "date"),
                                f"{date} is in the future (only a transfer not yet departed may be)"))
    if kind.name == "medevacs":
        for (line,) in conn.execute("SELECT line FROM temp.stage_norm WHERE date IS NULL AND request_date IS NULL"):
            out.append(RowError(name, line, col("date", "date"), "needs an evacuation date or a request date"))
        for line, date, req in conn.execute(
            "SELECT line, date, request_date FROM temp.stage_norm WHERE date < request_date"
        ):
            out.append(RowError(name, line, col("date", "date"), f"evacuated {date}, before it was requested ({req})"))
    if kind.name == "sites":
        for line, opened, closed in conn.execute("SELECT line, opened, closed FROM temp.stage_norm WHERE closed < opened"):
            out.append(RowError(name, line, col("closed", "closed"), f"closed {closed}, before it opened ({opened})"))
    return out


# ---------------------------------------------------------------- writing


def _data_fields(kind: Kind) -> list[str]:
    """Stored columns other than id, source and batch (site as site_id)."""
    return ["site_id" if f.name == "site" else f.name for f in kind.fields if f.name != "source"]


def _write(conn, kind: Kind, path: Path, sha: str, options: ImportOptions, report: ImportReport,
           fast: columnar.Columns | None = None) -> None:
    default_source = options.source or path.name
    if fast is None:
        conn.execute("UPDATE temp.stage_norm SET source = ? WHERE source IS NULL", (default_source,))
    transaction.begin_immediate(conn)
    try:
        # Asked again under the write lock: two processes importing the same file at once add it once.
        earlier = conn.execute(
            "SELECT id FROM import_batches WHERE sha256 = ? AND kind = ? ORDER BY id LIMIT 1", (sha, kind.name)
        ).fetchone()
        if earlier:
            conn.execute("ROLLBACK")
            report.identical_to = earlier[0]
            return
        batch_id = conn.execute(
            "INSERT INTO import_batches (kind, file_name, sha256, source, imported_at, editor, mapping, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind.name, path.name, sha, options.source, dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             options.editor, json.dumps(report.mapping), "\n".join(report.notes) or None),
        ).lastrowid
        if fast is not None:
            report.rows_read = fast.rows
            report.sites_created = columnar.create_sites(conn, fast, batch_id, path.name)
            if columnar.insert_into_empty(conn, kind, fast, batch_id, default_source, options.progress):
                report.added = fast.rows
            else:  # rows exist already: stage the typed rows and let the dedup insert compare them
                columnar.stage_rows(conn, kind, fast, default_source, _data_fields(kind), options.progress)
                _insert_rows(conn, kind, batch_id, report)
        elif kind.name == "sites":
            _write_sites(conn, batch_id, report)
        else:
            if kind.has_site:
                report.sites_created = _create_sites(conn, batch_id, path.name)
            _write_records(conn, kind, batch_id, report)
        conn.execute(
            "UPDATE import_batches SET rows_read = ?, rows_added = ?, rows_updated = ?, rows_present = ?, "
            "rows_rejected = ? WHERE id = ?",
            (report.rows_read, report.added, report.updated, report.present, report.rejected, batch_id),
        )
        conn.execute(
            "INSERT INTO audit_log (at, editor, action, batch_id, detail) VALUES (?, ?, 'import', ?, ?)",
            (dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), options.editor, batch_id,
             f"{kind.name} from {path.name}: {report.added} added, {report.updated} updated"),
        )
        if options.dry_run:
            conn.execute("ROLLBACK")
        else:
            conn.execute("COMMIT")
            report.batch_id = batch_id
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _create_sites(conn, batch_id: int, file_name: str) -> int:
    """A record naming an unknown site creates that site."""
    before = conn.total_changes
    conn.execute(
        "INSERT OR IGNORE INTO sites (name, source, batch_id) "
        "SELECT DISTINCT site, ?, ? FROM temp.stage_norm WHERE site IS NOT NULL",
        (f"created by the import of {file_name}", batch_id),
    )
    return conn.total_changes - before


def _write_sites(conn, batch_id: int, report: ImportReport) -> None:
    kind = KINDS["sites"]
    cols = [f.name for f in kind.fields]
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM temp.stage_norm ORDER BY line").fetchall()
    for row in rows:
        values = dict(zip(cols, row, strict=True))
        old = conn.execute(f"SELECT id, {', '.join(cols)} FROM sites WHERE name = ?", (values["name"],)).fetchone()
        if old is None:
            conn.execute(
                f"INSERT INTO sites ({', '.join(cols)}, batch_id) VALUES ({', '.join('?' * len(cols))}, ?)",
                (*row, batch_id),
            )
            report.added += 1
            continue
        current = dict(zip(cols, old[1:], strict=True))
        changes = {k: v for k, v in values.items() if v is not None and k != "name" and current[k] != v}
        if not changes:
            report.present += 1
            continue
        conn.execute(
            "INSERT INTO batch_changes (batch_id, table_name, row_id, old_values) VALUES (?, 'sites', ?, ?)",
            (batch_id, old[0], json.dumps({k: current[k] for k in changes})),
        )
        conn.execute(f"UPDATE sites SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?", (*changes.values(), old[0]))
        report.updated += 1


def _write_records(conn, kind: Kind, batch_id: int, report: ImportReport) -> None:
    fields = _data_fields(kind)
    select_cols = ", ".join(("st.id AS site_id" if f == "site_id" else f"n.{f}") for f in fields)
    site_join = "JOIN sites st ON st.name = n.site" if kind.has_site else ""
    conn.execute("DROP TABLE IF EXISTS temp.stage_rows")
    conn.execute(f"CREATE TEMP TABLE stage_rows AS SELECT n.line AS line, {select_cols}, n.source AS source "
                 f"FROM temp.stage_norm n {site_join}")
    _insert_rows(conn, kind, batch_id, report)


def _insert_rows(conn, kind: Kind, batch_id: int, report: ImportReport) -> None:
    """Insert temp.stage_rows (typed, with site_id): cases add or update, other rows count as already
    present occurrence by occurrence."""
    fields = _data_fields(kind)
    target = kind.table
    cols = ", ".join(fields)
    try:
        if "case_id" in fields:
            _write_cases(conn, kind, batch_id, report, fields)
            where = "WHERE case_id IS NULL"
        else:
            where = ""
        # Identity of a row for "already present": every data field; for a population count also its
        # source, because two sources' counts of one date are both kept (DOMAIN.md: figures are contested).
        key = fields + (["source"] if kind.name == "population" else [])
        existing = conn.execute(f"SELECT 1 FROM {target} LIMIT 1").fetchone()
        before = conn.total_changes
        if existing is None:
            conn.execute(
                f"INSERT INTO {target} ({cols}, source, batch_id) SELECT {cols}, source, ? FROM temp.stage_rows {where} "
                "ORDER BY line",
                (batch_id,),
            )
        else:
            # quote() keeps NULL apart from the text 'NULL' and 1 apart from '1': one text key per identity,
            # so the join is an equality SQLite can index.
            ident = " || ',' || ".join(f"quote({k})" for k in key)
            conn.execute(
                f"""INSERT INTO {target} ({cols}, source, batch_id)
                SELECT {', '.join('n.' + c for c in fields)}, n.source, ? FROM (
                    SELECT *, {ident} AS ident, row_number() OVER (PARTITION BY {ident} ORDER BY line) AS occ
                    FROM temp.stage_rows {where}
                ) n
                LEFT JOIN (SELECT {ident} AS ident, count(*) AS have FROM {target} GROUP BY 1) o ON o.ident = n.ident
                WHERE n.occ > coalesce(o.have, 0)
                ORDER BY n.line""",
                (batch_id,),
            )
        added = conn.total_changes - before
        considered = conn.execute(f"SELECT count(*) FROM temp.stage_rows {where}").fetchone()[0]
        report.added += added
        report.present += considered - added
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.stage_rows")


def _write_cases(conn, kind: Kind, batch_id: int, report: ImportReport, fields: list[str]) -> None:
    """Rows with a case_id: the last row of each case in the file adds the case or updates it."""
    target = kind.table
    dupes = conn.execute(
        "SELECT count(*) - count(DISTINCT case_id) FROM temp.stage_rows WHERE case_id IS NOT NULL").fetchone()[0]
    # The last row of each case by a window, not a subquery per row: that was quadratic (50,000 cases
    # took 100 s). Read as the loop goes: a million cases need not sit in memory at once.
    rows = conn.execute(
        f"SELECT {', '.join(fields)}, source FROM (SELECT *, row_number() OVER (PARTITION BY case_id "
        "ORDER BY line DESC) AS nth FROM temp.stage_rows WHERE case_id IS NOT NULL) WHERE nth = 1 ORDER BY line"
    )
    if dupes:
        report.notes.append(f"{dupes} earlier rows of cases listed again in the file: the last row of each case counts")
        report.present += dupes
    cols = [*fields, "source"]
    for row in rows:
        values = dict(zip(cols, row, strict=True))
        old = conn.execute(f"SELECT id, {', '.join(cols)} FROM {target} WHERE case_id = ?", (values["case_id"],)).fetchone()
        if old is None:
            conn.execute(f"INSERT INTO {target} ({', '.join(cols)}, batch_id) VALUES ({', '.join('?' * len(cols))}, ?)",
                         (*row, batch_id))
            report.added += 1
            continue
        current = dict(zip(cols, old[1:], strict=True))
        changes = {k: v for k, v in values.items() if k != "source" and current[k] != v}
        if not changes:
            report.present += 1
            continue
        changes["source"] = values["source"]
        conn.execute(
            "INSERT INTO batch_changes (batch_id, table_name, row_id, old_values) VALUES (?, ?, ?, ?)",
            (batch_id, target, old[0], json.dumps({k: current[k] for k in changes})),
        )
        conn.execute(f"UPDATE {target} SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                     (*changes.values(), old[0]))
        report.updated += 1


# ---------------------------------------------------------------- saved mappings


@dataclass(frozen=True)
class SavedMapping:
    """A column mapping stored in the database under a name, for files that come in the same layout."""

    name: str
    kind: str
    column_map: dict[str, str]
    set_values: dict[str, str]
    date_order: str | None
    created_at: str


def save_mapping(conn: sqlite3.Connection, name: str, kind_name: str, options: ImportOptions) -> SavedMapping:
    """Store the --map, --set and date order of `options` under `name` (replacing a mapping of that name)."""
    name = name.strip()
    if not name:
        raise UsageError("a saved mapping needs a name")
    check_kind(kind_name)
    spec = {"column_map": dict(options.column_map), "set_values": dict(options.set_values),
            "date_order": options.date_order}
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn.execute(
        "INSERT INTO mappings (name, kind, spec, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec, created_at = excluded.created_at",
        (name, kind_name, json.dumps(spec, ensure_ascii=False), created),
    )
    return SavedMapping(name, kind_name, spec["column_map"], spec["set_values"], spec["date_order"], created)


def load_mapping(conn: sqlite3.Connection, name: str) -> SavedMapping:
    """The mapping saved under `name`; a UsageError naming the saved ones when there is none."""
    row = conn.execute("SELECT name, kind, spec, created_at FROM mappings WHERE name = ?", (name.strip(),)).fetchone()
    if row is None:
        saved = [m.name for m in list_mappings(conn)]
        listed = f"; saved mappings: {', '.join(saved)}" if saved else "; none is saved yet (--save-mapping NAME saves one)"
        raise UsageError(f"there is no saved mapping {name!r}{listed}")
    spec = json.loads(row[2])
    return SavedMapping(row[0], row[1], dict(spec.get("column_map") or {}), dict(spec.get("set_values") or {}),
                        spec.get("date_order"), row[3])


def list_mappings(conn: sqlite3.Connection) -> list[SavedMapping]:
    """Every saved mapping, by name."""
    rows = conn.execute("SELECT name FROM mappings ORDER BY name").fetchall()
    return [load_mapping(conn, r[0]) for r in rows]


def apply_mapping(saved: SavedMapping, kind_name: str, options: ImportOptions) -> ImportOptions:
    """`options` with the saved mapping underneath: a field the user maps or sets now keeps the user's word."""
    if saved.kind != kind_name:
        raise UsageError(f"the saved mapping {saved.name!r} is for {saved.kind}, not {kind_name}")
    mine = set(options.column_map) | set(options.set_values)
    column_map = {f: c for f, c in saved.column_map.items() if f not in mine} | options.column_map
    set_values = {f: v for f, v in saved.set_values.items() if f not in mine} | options.set_values
    return replace(options, column_map=column_map, set_values=set_values,
                   date_order=options.date_order or saved.date_order)


def _save_after(conn, kind: Kind, options: ImportOptions, report: ImportReport) -> None:
    if options.save_mapping and options.dry_run:
        report.notes.append(f"the mapping was not saved as {options.save_mapping!r}: a dry run writes nothing")
    elif options.save_mapping:
        saved = save_mapping(conn, options.save_mapping, kind.name, options)
        report.notes.append(f"saved this mapping as {saved.name!r} (reuse it with --mapping {saved.name})")


def estimate_rows(table: reading.Table) -> int | None:
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


# ---------------------------------------------------------------- batches and undo


def list_batches(conn: sqlite3.Connection) -> list[dict]:
    """Every import batch, newest first."""
    cur = conn.execute(
        "SELECT id, kind, file_name, source, rows_read, rows_added, rows_updated, rows_present, rows_rejected, "
        "imported_at, editor, sha256 FROM import_batches ORDER BY id DESC"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def list_audit(conn: sqlite3.Connection) -> list[dict]:
    """The audit log, newest first: every import and undo, when, by which editor, what it did."""
    cur = conn.execute("SELECT id, at, editor, action, batch_id, detail FROM audit_log ORDER BY id DESC")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def undo(conn: sqlite3.Connection, batch_id: int, *, editor: str | None = None) -> dict[str, int]:
    """Remove exactly what batch `batch_id` added and put back what it updated. Returns rows removed per
    table. Refuses while a later batch changed rows this batch wrote (undo that one first)."""
    db.require_writable("undoing an import")
    transaction.begin_immediate(conn)
    try:
        batch = conn.execute("SELECT id, kind, file_name FROM import_batches WHERE id = ?", (batch_id,)).fetchone()
        if batch is None:
            raise UsageError(f"there is no import batch {batch_id}; `resettle batches` lists them")
        tables = [k.table for k in KINDS.values()]
        for t in tables:
            later = conn.execute(
                f"SELECT DISTINCT c.batch_id FROM batch_changes c JOIN {t} r ON r.id = c.row_id "
                "WHERE c.table_name = ? AND c.batch_id > ? AND (r.batch_id = ? OR c.row_id IN "
                "(SELECT row_id FROM batch_changes WHERE batch_id = ? AND table_name = ?))",
                (t, batch_id, batch_id, batch_id, t),
            ).fetchall()
            if later:
                raise UsageError(
                    f"batch {later[0][0]} changed rows that batch {batch_id} wrote; undo batch {later[0][0]} first"
                )
        removed: dict[str, int] = {}
        for t in tables:
            if t == "sites":
                continue
            before = conn.total_changes
            conn.execute(f"DELETE FROM {t} WHERE batch_id = ?", (batch_id,))
            removed[t] = conn.total_changes - before
        for table_name, row_id, old in conn.execute(
            "SELECT table_name, row_id, old_values FROM batch_changes WHERE batch_id = ? ORDER BY rowid DESC", (batch_id,)
        ).fetchall():
            values = json.loads(old)
            # Names go into the SQL: only those of our own tables and columns (the values are parameters).
            known = {k.table: {"source", *_data_fields(k)} for k in KINDS.values()}
            if table_name not in known or not set(values) <= known[table_name]:
                raise UsageError(f"batch {batch_id} holds a change to {table_name} that resettle did not write")
            conn.execute(f"UPDATE {table_name} SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                         (*values.values(), row_id))
        in_use = " AND ".join(
            f"id NOT IN (SELECT site_id FROM {k.table})" for k in KINDS.values() if k.has_site
        )
        before = conn.total_changes
        conn.execute(f"DELETE FROM sites WHERE batch_id = ? AND {in_use}", (batch_id,))
        removed["sites"] = conn.total_changes - before
        conn.execute("UPDATE sites SET batch_id = NULL WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM batch_changes WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM import_batches WHERE id = ?", (batch_id,))
        conn.execute(
            "INSERT INTO audit_log (at, editor, action, batch_id, detail) VALUES (?, ?, 'undo', ?, ?)",
            (dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), editor, batch_id,
             f"undid {batch[1]} from {batch[2]}: " + ", ".join(f"{t} {n}" for t, n in removed.items() if n)),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return removed


def check_kind(kind_name: str) -> Kind:
    if kind_name not in KINDS:
        raise UsageError(f"unknown record kind {kind_name!r}; one of {', '.join(KINDS)}")
    return KINDS[kind_name]


__all__ = ["ImportOptions", "ImportReport", "import_file", "list_batches", "undo", "file_sha256", "FileProblem",
           "Mapping", "SavedMapping", "save_mapping", "load_mapping", "list_mappings", "apply_mapping"]
