"""Table exports: the filtered tables as CSV, XLSX and HXL files, the reconciliation and the sources beside
them, and the CSV download of the Data page.

Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
get a leading single quote (`neutralise`), in every file and download; numbers stay numbers.
"""

from __future__ import annotations

import csv
import itertools
import operator
import queue
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


READ_AHEAD = 4  # batches a reading thread may be ahead of the writing
_END = object()  # a table's last batch was read


def each_table(conn: sqlite3.Connection, scope: Scope) -> Iterator[tuple[str, list[str], Iterator[tuple]]]:
    """Each table's kind, columns and rows in the scope (`rows_in_scope`), in the order of TABLES; each
    table's rows must be read to the end before the next table is asked for. Where the database is a file
    and the connection holds no transaction of its own, a thread reads the rows through a read-only
    connection of its own, a few batches ahead: SQLite steps through them there (without the
    interpreter's lock) while this thread writes the previous batch."""
    other = _second_connection(conn)
    if other is None:
        for kind in TABLES:
            yield kind, *rows_in_scope(conn, kind, scope)
        return
    names = {kind: table_query(kind, scope).names for kind in TABLES}
    batches: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for kind in TABLES:
                _, cursor = rows_in_scope(other, kind, scope)
                while batch := cursor.fetchmany(BATCH_ROWS):
                    if not put(batch):
                        return
                if not put(_END):
                    return
        except BaseException as error:  # raised in the writing thread, where the rows are taken
            put(error)
        finally:
            other.close()

    def rows() -> Iterator[tuple]:
        while (item := batches.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield from item

    thread = threading.Thread(target=read, name="resettle-table-reader", daemon=True)
    thread.start()
    try:
        for kind in TABLES:
            yield kind, names[kind], rows()
    finally:
        stop.set()
        thread.join()


def _second_connection(conn: sqlite3.Connection) -> sqlite3.Connection | None:
    """A read-only connection to the database file of `conn`, usable from another thread; None when there
    is no file (in memory), when `conn` is inside a transaction (another connection would not see its
    writes), or when the file cannot be opened a second time."""
    if conn.in_transaction:
        return None
    path = next((f for _, name, f in conn.execute("PRAGMA database_list") if name == "main"), "")
    if not path:
        return None
    try:
        other = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        other.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        return None
    return other


RECONCILIATION = "reconciliation"


def reconciliation_rows(conn: sqlite3.Connection, scope: Scope) -> tuple[list[str], list[tuple]]:
    """reconciliation.intervals as a table's columns and rows: the intervals between consecutive counts up
    to D that end on or after the start date, with their flows and unexplained change (negative too)."""
    frame, _ = reconciliation.intervals(conn, scope)
    return reconciliation.COLUMNS, list(zip(*(frame[c].tolist() for c in reconciliation.COLUMNS), strict=True))


def hxl_tags(kind: str) -> list[str]:
    """The HXL hashtag row of a table: each field's first (usual) tag."""
    return [f.hxl[0] if f.hxl else "" for f in KINDS[kind].fields]


_NEEDS_QUOTES = (",", '"', "\r", "\n", "\x00")  # what csv's QUOTE_MINIMAL quotes (and NUL, left to csv)


def csv_lines(batch: list[tuple]) -> str | None:
    """The rows as `csv.writer` (commas, QUOTE_MINIMAL, CRLF) writes them, made by one `%` over a row
    template, when every column is whole numbers or text no field of which needs quotes (empty cells
    among them as empty fields); None for any other batch, which `csv.writer` then writes itself."""
    columns = list(zip(*batch, strict=True))
    if len(columns) < 2:  # csv quotes a row's lone empty field
        return None
    formats, values = [], []
    for column in columns:
        kinds = set(map(type, column))
        if kinds == {int}:
            formats.append("%d")
            values.append(column)
        elif kinds == {type(None)}:
            formats.append("")
        elif kinds <= {str, type(None)}:
            texts = column if kinds == {str} else [v for v in column if v is not None]
            joined = "\t".join(texts)
            if any(c in joined for c in _NEEDS_QUOTES):
                return None
            formats.append("%s")
            values.append(column if kinds == {str} else ["" if v is None else v for v in column])
        elif kinds == {int, type(None)}:
            formats.append("%s")
            values.append(["" if v is None else str(v) for v in column])
        else:  # floats and anything else: as csv writes them
            return None
    template = ",".join(formats) + "\r\n"
    return (template * len(batch)) % tuple(itertools.chain.from_iterable(zip(*values, strict=True)))


class _CsvTable:
    """One table's CSV file being written: its header at once (with `hxl`, only the record's fields, under
    a hashtag row), then its rows a batch at a time."""

    def __init__(self, out, kind: str, names: list[str], *, hxl: bool = False) -> None:
        self._out = out
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._pick = None
        if hxl:
            fields = [f for f in KINDS[kind].names if f in names]  # a public table leaves some out (disclosure)
            keep = [names.index(f) for f in fields]
            self._writer.writerow(fields)
            self._writer.writerow([t for f, t in zip(KINDS[kind].names, hxl_tags(kind), strict=True) if f in names])
            pick = operator.itemgetter(*keep)
            self._pick = pick if len(keep) > 1 else (lambda row: (pick(row),))
        else:
            self._writer.writerow(names)

    def write(self, batch: list[tuple]) -> None:
        """Rows already neutralised (`neutralised_batches`)."""
        if self._pick is not None:
            batch = list(map(self._pick, batch))
        lines = csv_lines(batch)
        if lines is None:
            self._writer.writerows(batch)
        else:
            self._out.write(lines)


def write_csv(conn: sqlite3.Connection, kind: str, scope: Scope, out, *, hxl: bool = False) -> int:
    """One table as CSV to a text stream; with `hxl`, only the record's fields, under a hashtag row.
    Returns the rows written."""
    return _write_table(out, kind, *rows_in_scope(conn, kind, scope), hxl=hxl)


def _write_table(out, kind: str, names: list[str], rows: Iterable[tuple], *, hxl: bool) -> int:
    table = _CsvTable(out, kind, names, hxl=hxl)
    count = 0
    for batch in neutralised_batches(rows):
        table.write(batch)
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
        with _reconciliation_beside(conn, scope) as intervals:
            for kind, names, rows in each_table(conn, scope):
                _sheet(book, kind, names, rows)
            _sheet(book, RECONCILIATION, *intervals())
        _end_workbook(book, conn, scope)
    finally:
        book.close()
    return book.notes


@contextmanager
def _reconciliation_beside(conn: sqlite3.Connection, scope: Scope) -> Iterator[Callable[[], tuple]]:
    """`reconciliation_rows(conn, scope)` made on a thread of its own, on a second read-only connection,
    while the caller writes the tables (its arrays take every table's figures: about 2 to 4 s of an XLSX
    export at 1,000,000 transfers, much of it in SQLite and numpy, outside the interpreter's lock). Yields
    a function that returns the columns and rows (raising what making them raised); where there is no
    second connection (`_second_connection`), that function makes them on `conn` when called."""
    other = _second_connection(conn)
    if other is None:
        yield lambda: reconciliation_rows(conn, scope)
        return

    def made() -> tuple:
        try:
            return reconciliation_rows(other, scope)
        finally:
            other.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="resettle-reconciliation") as pool:
        yield pool.submit(made).result


def _sheet(book, title: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """One table on as many sheets as Excel's row limit needs ("transfers", "transfers (2)", ...), text
    cells neutralised."""
    rows, part = iter(rows), 1
    while True:
        rows = book.add_sheet(title if part == 1 else f"{title} ({part})", columns, rows, SHEET_ROWS,
                              text=neutralise, text_starts=FORMULA_START)
        following = next(rows, None)
        if following is None:
            return
        rows = itertools.chain([following], rows)
        part += 1


def _end_workbook(book, conn: sqlite3.Connection, scope: Scope) -> None:
    """The workbook's last sheets: the sources and import batches, then the notes when there are any."""
    _sheet(book, "sources", *sources_table(conn, scope))
    if book.notes:  # said in the file itself, on a last sheet, and to the caller
        _sheet(book, "notes", ["what was changed to fit the file"], [(n,) for n in book.notes])


DATA_FILES = {"csv": "{kind}.csv", "hxl": "{kind}.hxl.csv"}
# A byte-order mark, so that Excel reads the plain CSV as UTF-8 (Côte d'Ivoire intact); none in the HXL
# file, which goes to HDX and other tools, not to a spreadsheet first.
ENCODINGS = {"csv": "utf-8-sig", "hxl": "utf-8"}
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
    if fmt != "csv":  # HXL has no reconciliation file
        return _write_tables(conn, scope, fmt, out_dir, written)
    with _reconciliation_beside(conn, scope) as intervals:
        _write_tables(conn, scope, fmt, out_dir, written)
        written.append(_reconciliation_csv(out_dir, *intervals()))
    return written


def _write_tables(conn: sqlite3.Connection, scope: Scope, fmt: str, out_dir: Path, written: list[Path]) -> list[Path]:
    for kind, names, rows in each_table(conn, scope):
        path = out_dir / DATA_FILES[fmt].format(kind=kind)
        with open(path, "w", newline="", encoding=ENCODINGS[fmt]) as fh:
            _write_table(fh, kind, names, rows, hxl=fmt == "hxl")
        written.append(path)
    return written


def _reconciliation_csv(out_dir: Path, columns: list[str], rows: list[tuple]) -> Path:
    path = out_dir / f"{RECONCILIATION}.csv"
    with open(path, "w", newline="", encoding=ENCODINGS["csv"]) as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([neutralise(v) for v in row] for row in rows)
    return path


def write_every_format(conn: sqlite3.Connection, scope: Scope, out_dir: Path) -> list[Path]:
    """What `write_data` writes for each of csv, hxl and xlsx, byte for byte, with each table read from
    the database once: every batch of its rows goes to its CSV file, its HXL file and its sheet in turn
    (the bundle's data). Returns the files written."""
    from resettle.publish import xlsx

    out_dir = output_folder(out_dir)
    written = {fmt: [] for fmt in DATA_FORMATS}
    book = xlsx.Workbook(out_dir / XLSX_NAME)
    try:
        with _reconciliation_beside(conn, scope) as intervals:
            _every_format_tables(conn, scope, out_dir, book, written)
            columns, rows = intervals()
        written["csv"].append(_reconciliation_csv(out_dir, columns, rows))
        _sheet(book, RECONCILIATION, columns, rows)
        _end_workbook(book, conn, scope)
    finally:
        book.close()
    written["xlsx"].append(out_dir / XLSX_NAME)
    return [path for fmt in DATA_FORMATS for path in written[fmt]]


def _every_format_tables(conn: sqlite3.Connection, scope: Scope, out_dir: Path, book, written: dict) -> None:
    """write_every_format's tables: each read once, every batch to its CSV, its HXL file and its sheet."""
    for kind, names, rows in each_table(conn, scope):
        paths = {fmt: out_dir / DATA_FILES[fmt].format(kind=kind) for fmt in DATA_FILES}
        with (open(paths["csv"], "w", newline="", encoding=ENCODINGS["csv"]) as csv_file,
              open(paths["hxl"], "w", newline="", encoding=ENCODINGS["hxl"]) as hxl_file):
            files = (_CsvTable(csv_file, kind, names), _CsvTable(hxl_file, kind, names, hxl=True))

            def fed(rows=rows, files=files) -> Iterator[tuple]:
                for batch in neutralised_batches(rows):  # neutralised once: the sheet's neutralise
                    for table in files:                  # leaves a neutralised text as it is
                        table.write(batch)
                    yield from batch

            _sheet(book, kind, names, fed())
        for fmt, path in paths.items():
            written[fmt].append(path)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (the Data page's download); text cells neutralised, numbers as they are."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe.to_csv(index=False).encode("utf-8")
