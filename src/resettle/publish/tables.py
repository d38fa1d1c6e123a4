"""Table exports: the filtered tables as CSV, XLSX and HXL files, the reconciliation and the sources beside
them, and the CSV download of the Data page.

Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
get a leading single quote (`neutralise`), in every file and download; numbers stay numbers.
"""

from __future__ import annotations

import csv
import itertools
import operator
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from resettle.compute import disclosure, reconciliation
from resettle.compute.scope import Scope
from resettle.compute.table_rows import TABLES, table_query
from resettle.domain.errors import UsageError
from resettle.domain.records import KINDS
from resettle.publish.rendering import output_folder

DATA_FORMATS = ("csv", "xlsx", "hxl")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet would run as a formula, with a leading quote; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_FORMULA_AFTER_LINE = re.compile("\n[" + re.escape("".join(FORMULA_START)) + "]")
BATCH_ROWS = 5000


def neutralised_batches(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    """The rows in batches, each text cell through `neutralise`; a batch in which no text starts with a
    formula character is passed on as it is (most are: ten million cells need not each be looked at)."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, BATCH_ROWS)):
        # A line each: a match is a cell's start or, now and then, a line inside one (then the batch
        # only goes through neutralise cell by cell).
        texts = "\n" + "\n".join(v for row in batch for v in row if type(v) is str)
        if _FORMULA_AFTER_LINE.search(texts):
            batch = [tuple(neutralise(v) for v in row) for row in batch]
        yield batch


def rows_in_scope(conn: sqlite3.Connection, kind: str, scope: Scope) -> tuple[list[str], Iterator[tuple]]:
    """The columns and rows of one table in the scope (as the Data page filters it, without a limit),
    streamed from the database in date order."""
    q = table_query(kind, scope)
    cursor = conn.execute(f"SELECT {q.select} FROM {q.source} WHERE {q.where} ORDER BY {q.order}", q.params)
    return q.names, iter(cursor)


RECONCILIATION = "reconciliation"


def reconciliation_rows(conn: sqlite3.Connection, scope: Scope) -> tuple[list[str], list[tuple]]:
    """reconciliation.intervals as a table's columns and rows: the intervals between consecutive counts up
    to D that end on or after the start date, with their flows and unexplained change (negative too)."""
    frame, _ = reconciliation.intervals(conn, scope)
    return reconciliation.COLUMNS, list(zip(*(frame[c].tolist() for c in reconciliation.COLUMNS), strict=True))


def hxl_tags(kind: str) -> list[str]:
    """The HXL hashtag row of a table: each field's first (usual) tag."""
    return [f.hxl[0] if f.hxl else "" for f in KINDS[kind].fields]


def write_csv(conn: sqlite3.Connection, kind: str, scope: Scope, out, *, hxl: bool = False) -> int:
    """One table as CSV to a text stream; with `hxl`, only the record's fields, under a hashtag row.
    Returns the rows written."""
    names, rows = rows_in_scope(conn, kind, scope)
    writer = csv.writer(out, lineterminator="\r\n")
    if hxl:
        fields = [f for f in KINDS[kind].names if f in names]  # a public table leaves some out (disclosure)
        keep = [names.index(f) for f in fields]
        writer.writerow(fields)
        writer.writerow([t for f, t in zip(KINDS[kind].names, hxl_tags(kind), strict=True) if f in names])
        pick = operator.itemgetter(*keep)
        rows = (pick(row) if len(keep) > 1 else (pick(row),) for row in rows)
    else:
        writer.writerow(names)
    count = 0
    for batch in neutralised_batches(rows):
        writer.writerows(batch)
        count += len(batch)
    return count


def sources_table(conn: sqlite3.Connection, scope: Scope) -> tuple[list[str], list[tuple]]:
    """Each source of the exported rows, per table and import batch: how many rows, which dates, from
    which file, imported when and by whom."""
    columns = ["table", "source", "rows", "first_date", "last_date", "batch_id", "file_name", "imported_at",
               "editor", "sha256"]
    out = []
    for kind in TABLES:
        q = table_query(kind, scope)
        dates = f"min({q.date}), max({q.date})" if q.date else "NULL, NULL"
        out += [(kind, *row) for row in conn.execute(
            f"""SELECT t.source, count(*), {dates}, t.batch_id, b.file_name, b.imported_at, b.editor, b.sha256
                FROM {KINDS[kind].table} t LEFT JOIN import_batches b ON b.id = t.batch_id WHERE {q.where}
                GROUP BY t.source, t.batch_id ORDER BY t.source, t.batch_id""", q.params)]
    return disclosure.public_batch_columns(columns, out)  # public mode: no editors' names


SHEET_ROWS = 1_048_576  # Excel's limit on a sheet's rows, the header included


def write_xlsx(conn: sqlite3.Connection, scope: Scope, out) -> list[str]:
    """Every table in the scope, one sheet each (on as many sheets as Excel's row limit needs:
    "transfers", "transfers (2)", ...), the reconciliation and a sheet of the sources and import batches,
    to a path or a binary stream; rows stream through, text cells neutralised. What had to change to fit
    the file (characters XML cannot hold, text beyond a cell's limit) goes on a last sheet, "notes", and
    is returned, one line each; as a rule there is none."""
    from resettle.publish import xlsx

    book = xlsx.Workbook(out)
    try:
        def sheet(title: str, columns: list[str], rows: Iterable[tuple]) -> None:
            rows, part = iter(rows), 1
            while True:
                rows = book.add_sheet(title if part == 1 else f"{title} ({part})", columns, rows, SHEET_ROWS,
                                      text=neutralise, text_starts=FORMULA_START)
                following = next(rows, None)
                if following is None:
                    return
                rows = itertools.chain([following], rows)
                part += 1

        for kind in TABLES:
            sheet(kind, *rows_in_scope(conn, kind, scope))
        sheet(RECONCILIATION, *reconciliation_rows(conn, scope))
        sheet("sources", *sources_table(conn, scope))
        if book.notes:  # said in the file itself, on a last sheet, and to the caller
            sheet("notes", ["what was changed to fit the file"], [(n,) for n in book.notes])
    finally:
        book.close()
    return book.notes


DATA_FILES = {"csv": "{kind}.csv", "hxl": "{kind}.hxl.csv"}
XLSX_NAME = "resettle.xlsx"


def data_files(fmt: str) -> list[str]:
    """The names `write_data` gives its files (ours, never the user's text)."""
    if fmt == "xlsx":
        return [XLSX_NAME]
    names = [DATA_FILES[fmt].format(kind=k) for k in TABLES]
    return names + ([f"{RECONCILIATION}.csv"] if fmt == "csv" else [])


def write_data(conn: sqlite3.Connection, scope: Scope, fmt: str, out_dir: Path) -> list[Path]:
    """The tables in the scope into `out_dir`: <table>.csv (and reconciliation.csv), <table>.hxl.csv
    (the record tables: HXL has no tags for the derived intervals), or one resettle.xlsx."""
    if fmt not in DATA_FORMATS:
        raise UsageError(f"{fmt!r} is not a data format: use one of {', '.join(DATA_FORMATS)}")
    out_dir = output_folder(out_dir)
    if fmt == "xlsx":
        path = out_dir / XLSX_NAME
        write_xlsx(conn, scope, path)
        return [path]
    written = []
    for kind in TABLES:
        path = out_dir / DATA_FILES[fmt].format(kind=kind)
        # A byte-order mark, so that Excel reads the plain CSV as UTF-8 (Côte d'Ivoire intact); none
        # in the HXL file, which goes to HDX and other tools, not to a spreadsheet first.
        encoding = "utf-8" if fmt == "hxl" else "utf-8-sig"
        with open(path, "w", newline="", encoding=encoding) as fh:
            write_csv(conn, kind, scope, fh, hxl=fmt == "hxl")
        written.append(path)
    if fmt == "csv":
        path = out_dir / f"{RECONCILIATION}.csv"
        columns, rows = reconciliation_rows(conn, scope)
        with open(path, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows([neutralise(v) for v in row] for row in rows)
        written.append(path)
    return written


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (the Data page's download); text cells neutralised, numbers as they are."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe.to_csv(index=False).encode("utf-8")
