"""Turn a file a user has (CSV in any common encoding and delimiter, or an .xlsx workbook) into a
stream of rows with their physical line numbers.

Real exports are messy: metadata lines above the header, an HXL hashtag row under it, a second
section ("Summary by country") after the data, repeated headers from concatenated files. This module
finds the table in all that; which column holds which field is mapping's business, and turning values
into stored values parsing's.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from pathlib import Path
from stat import S_ISREG

from resettle.domain import values
from resettle.domain.errors import FileProblem
from resettle.domain.records import KINDS

MAX_FILE_BYTES = 200 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_LINES = 50  # header, delimiter and column kinds are decided from this many non-blank lines
_CHUNK = 1 << 20

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003, or an encrypted .xlsx
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_BINARY_MAGIC = (
    b"%PDF", b"\x89PNG", b"\x1f\x8b", b"\x7fELF", b"\xff\xd8\xff", b"GIF8", b"SQLite format 3\x00",
    b"7z\xbc\xaf\x27\x1c", b"Rar!", b"PAR1", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ\x00", b"OggS",
)
_XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
_BINARY = "this is not a text CSV file (it looks binary)"
_XLS = "Excel 97-2003 .xls is not supported: save it as .xlsx or CSV"

# Words that mean "no figure here" (values.MISSING and STAND_INS): a numeric column holding one of them is not
# a second header. Only the words: a mark such as "-" or ".." is counted as text where _column_kinds weighs
# numbers against text, so that a column of dashes and a few numbers is not taken for a column of numbers.
_NO_FIGURE = frozenset(m for m in values.MISSING | values.STAND_INS if m[:1].isalpha())
_NUMBER = re.compile(r"[-+(]?\s*[$€£]?\s*(?:\d[\d,.\s']*|[.,]\d+)(?:[eE][-+]?\d+)?\s*%?\)?")
_PUNCTUATION = re.compile(r"[^\w\s#+]|_")
# UTF-8 forms of the non-ASCII characters str.strip removes: U+0085, U+00A0, U+1680, U+2000-200A,
# U+2028, U+2029, U+202F, U+205F, U+3000.
_UNICODE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")


@dataclass
class Table:
    """A table found in a file. `rows` is lazy: notes and `end_line` are complete only once it is consumed."""

    path: str
    name: str
    columns: list[str]
    hxl: list[str] | None
    rows: Iterator[tuple[int, list[str]]]
    header_line: int
    encoding: str
    delimiter: str
    notes: list[str] = field(default_factory=list)
    end_line: int | None = None
    not_read: int = 0  # non-blank lines after an early end of the table
    numeric: list[int] = field(default_factory=list)  # columns holding numbers in the first lines
    dated: list[int] = field(default_factory=list)  # columns holding dates in the first lines
    worded: list[int] = field(default_factory=list)  # columns holding more words than numbers in the first lines


def normalise_header(name: str) -> str:
    """A column name reduced for matching, ignoring case, surrounding spaces and punctuation: `Total ` =
    `total`, "Country of asylum (ISO)" = "country of asylum iso". The one form in which headers, field names
    and synonyms are compared (here and in mapping).

    Punctuation other than the HXL '#' and '+' becomes a space, so "reporting_date" and "reporting-date" both
    match "reporting date"; a byte-order mark is dropped."""
    return " ".join(_PUNCTUATION.sub(" ", name.replace("\ufeff", "").casefold()).split())


# Every name a column of any record kind goes by (field names and synonyms): a row mostly of these,
# where a table has figures, is a new header.
_COLUMN_NAMES = frozenset(normalise_header(name) for kind in KINDS.values() for f in kind.fields
                          for name in (f.name, *f.synonyms))


def open_table(
    path,
    *,
    sheet: str | None = None,
    header_hint: Callable[[list[str]], int] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Table:
    """Open a CSV or .xlsx file as a Table: header found, HXL row set aside, rows streamed lazily.

    Raises FileProblem for a file that cannot be read as a table. A malformed quote beyond the first
    lines is found only when `rows` reaches it, so iterating `rows` can raise FileProblem too.
    """
    path_text = str(path)
    file = Path(path)
    _check_file(file, path_text, max_bytes)
    with open(file, "rb") as handle:
        head = handle.read(8192)
    notes: list[str] = []
    if _is_workbook(file, path_text, head):
        source: _Source = _SheetSource(file, path_text, sheet, notes)
        encoding, delimiter = "xlsx", ""
    else:
        delimiter = _detect_delimiter(file, "utf-16" if head.startswith(_UTF16_BOMS) else "utf-8-sig")
        scan = _scan_text(file, path_text, head)
        encoding = scan.encoding
        if encoding == "cp1252":
            notes.append("the file is not valid UTF-8: read it as Windows-1252 (cp1252)")
        if file.suffix.lower() in (".xls", *_XLSX_SUFFIXES):
            notes.append(f"the file is named {file.suffix} but holds delimited text: read it as CSV")
        source = _CsvSource(file, path_text, encoding, delimiter, scan.mangled_bom, scan.needs_strip)

    sample = source.sample()
    if not sample:
        raise FileProblem(path_text, source.empty_message)
    shape = _find_shape(path_text, sample, header_hint)
    header_line = shape.header_line
    if header_line > 1:
        skipped = header_line - 1
        where = "line 1" if skipped == 1 else f"lines 1-{skipped}"
        notes.append(f"skipped {skipped} line{'s' if skipped > 1 else ''} above the header ({where})")
    if shape.header_last > header_line:
        notes.append(f"header over lines {header_line}-{shape.header_last}: column names joined top to bottom "
                     f"({_quoted(next((c for c in shape.columns if MULTI_ROW_JOIN in c), ''))})")
    if shape.hxl is not None:
        notes.append(f"HXL hashtag row on line {shape.hxl_line}")
    table = Table(
        path=path_text,
        name=file.name,
        columns=shape.columns,
        hxl=shape.hxl,
        rows=iter(()),
        header_line=header_line,
        encoding=encoding,
        delimiter=delimiter,
        notes=notes,
        numeric=shape.numeric,
        dated=shape.dated,
        worded=shape.worded,
    )
    table.rows = _data_rows(table, shape, source)
    return table


# ---------------------------------------------------------------------------------------------
# File checks and encoding


def _check_file(file: Path, path_text: str, max_bytes: int) -> None:
    try:
        stat = file.stat()
    except FileNotFoundError:
        raise FileProblem(path_text, "no such file") from None
    except OSError as exc:
        raise FileProblem(path_text, f"cannot read the file: {exc.strerror or exc}") from None
    if file.is_dir():
        raise FileProblem(path_text, "this is a directory, not a file")
    if not S_ISREG(stat.st_mode):  # a named pipe would block the import forever; a device never ends
        raise FileProblem(path_text, "this is not a regular file (a pipe or a device): save the data to a file first")
    if stat.st_size > max_bytes:
        raise FileProblem(path_text, f"file is too big: {_size(stat.st_size)}; the limit is {_size(max_bytes)}")
    try:
        with open(file, "rb"):
            pass
    except OSError as exc:
        raise FileProblem(path_text, f"cannot read the file: {exc.strerror or exc}") from None


def _size(n: int) -> str:
    megabytes = n / (1024 * 1024)
    if megabytes >= 0.1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{n:,} bytes"  # only seen with a small max_bytes (tests)


def _is_workbook(file: Path, path_text: str, head: bytes) -> bool:
    """True for an .xlsx workbook; raises FileProblem for binary files and other spreadsheet formats."""
    suffix = file.suffix.lower()
    if head.startswith(_ZIP):
        try:
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
                mimetype = archive.read("mimetype")[:60] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError):
            if suffix in _XLSX_SUFFIXES:
                raise FileProblem(path_text, "this workbook is damaged or incomplete (cut short in a download or "
                                  "a copy?): open it in a spreadsheet and save it again") from None
            raise FileProblem(path_text, _BINARY) from None
        if any(name.startswith("xl/") for name in names):
            return True
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            raise FileProblem(path_text, "OpenDocument .ods is not supported: save it as .xlsx or CSV")
        raise FileProblem(path_text, _BINARY)
    if head.startswith(_OLE2):
        if suffix in _XLSX_SUFFIXES:
            raise FileProblem(path_text, "this workbook is encrypted or password-protected: save it without a password")
        raise FileProblem(path_text, _XLS)
    start = head.lstrip(_UTF8_BOM).lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise FileProblem(path_text, "this is an HTML page, not a CSV file: open it in a spreadsheet and save it as .xlsx or CSV")
    if start.startswith(b"<?xml"):
        raise FileProblem(path_text, "this is an XML file, not a CSV file: open it in a spreadsheet and save it as .xlsx or CSV")
    if head.startswith(_BINARY_MAGIC) or _mostly_control(head):
        raise FileProblem(path_text, _XLS if suffix == ".xls" else _BINARY)
    return False


def _mostly_control(head: bytes) -> bool:
    """Control characters text never holds, in more than 5% of the first bytes. ESC and the DOS
    end-of-file mark (Ctrl-Z) are left out: old exports have them."""
    if head.startswith(_UTF16_BOMS):
        return False
    start = head[:4096]
    control = sum(1 for byte in start if byte < 9 or 13 < byte < 32 and byte not in (26, 27))
    return control >= 4 and control * 20 > len(start)


@dataclass
class _TextScan:
    encoding: str
    mangled_bom: bool  # a UTF-8 BOM before text that is not UTF-8 (cp1252 reads it as "ï»¿")
    # True when some cell may begin or end with a space only Unicode knows (or the file is UTF-16);
    # otherwise whether cells need stripping is decided the first time rows are read (_CsvSource).
    needs_strip: bool


def _scan_text(file: Path, path_text: str, head: bytes) -> _TextScan:
    """One pass over the whole file: refuse NUL bytes and decide the encoding (so that a stray Latin-1
    byte on line 900,000 cannot break the stream halfway). Plain ASCII is checked in bulk: a hundredth
    of a second for 100 MB.

    Whether any cell has whitespace around it (_file_has_edges, ten times slower) is left to the rows'
    first read: the columnar engine (columnar.py), which takes most big files, strips the distinct values
    it parses and never needs to know."""
    if head.startswith(_UTF16_BOMS):
        _check_utf16(file, path_text)
        return _TextScan("utf-16", False, True)
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid = True
    unicode_space = nbsp = False
    with open(file, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                raise FileProblem(path_text, _BINARY)
            if not chunk.isascii():
                if valid:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        valid = False
                unicode_space = unicode_space or _UNICODE_SPACE.search(chunk) is not None
                nbsp = nbsp or b"\xa0" in chunk
            elif valid and decoder.getstate()[0]:
                valid = False  # a multi-byte sequence cut short by ASCII
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    bom = head.startswith(_UTF8_BOM)
    if valid:
        return _TextScan("utf-8-sig" if bom else "utf-8", False, unicode_space)
    return _TextScan("cp1252", bom, nbsp)


def _file_has_edges(file: Path, delimiter: str) -> bool:
    """Could any cell of the file begin or end with whitespace? Most files have none; then rows need not
    be stripped, which is a third of the time it takes to read them."""
    spaces, quotes = _edge_tables(delimiter)
    carry = b""  # the start of the file needs no care: line 1 is the header or above it
    with open(file, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            text = carry + chunk
            if _has_edges(text, spaces, quotes):
                return True
            carry = text[-2:]
    return _has_edges(carry + b"\n", spaces, quotes)  # so is its end


def _edge_tables(delimiter: str) -> tuple[bytes, bytes]:
    """Byte maps for _has_edges: spaces to W and field boundaries to B; delimiters and line breaks
    to N and quotes to Q."""
    spaces = bytearray(b"x" * 256)
    for byte in b"\t\x0b\x0c\x1c\x1d\x1e\x1f ":
        spaces[byte] = ord("W")
    for byte in delimiter.encode() + b'"\r\n':
        spaces[byte] = ord("B")  # after the spaces: a TAB delimiter is a boundary
    quotes = bytearray(b"x" * 256)
    for byte in delimiter.encode() + b"\r\n":
        quotes[byte] = ord("N")
    quotes[ord('"')] = ord("Q")
    return bytes(spaces), bytes(quotes)


def _has_edges(text: bytes, spaces: bytes, quotes: bytes) -> bool:
    """Could a cell in `text` begin or end with whitespace? A space or tab next to a delimiter, a
    quote or a line break; or a quoted cell beginning or ending with a line break."""
    classes = text.translate(spaces)
    if b"WB" in classes or b"BW" in classes:
        return True
    return b'"' in text and b"NQN" in text.translate(quotes)


def _check_utf16(file: Path, path_text: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-16")()
    content = False
    try:
        with open(file, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text:
                    raise FileProblem(path_text, _BINARY)
                content = content or bool(text.strip())
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileProblem(path_text, _BINARY) from None
    if not content:
        raise FileProblem(path_text, "the file is empty")


def _detect_delimiter(file: Path, encoding: str) -> str:
    """The delimiter that splits the most sample lines into the same number (>1) of fields."""
    lines: list[str] = []
    filled = 0
    size = 0
    with open(file, encoding=encoding, errors="replace", newline="") as handle:
        for line in handle:
            lines.append(line)
            size += len(line)
            filled += bool(line.strip())
            if filled >= SAMPLE_LINES or size > _CHUNK:
                break
        complete = not handle.readline()
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
        except csv.Error:  # a field over csv's size limit: reading the rows reports it, with its line
            continue
        if not complete and len(records) > 1:
            records.pop()  # may be cut in the middle of a quoted field
        counts = Counter(len(r) for r in records if len(r) > 1)
        if counts:
            fields, lines_with = max(counts.items(), key=lambda item: (item[1], item[0]))
            if (lines_with, fields) > best_score:
                best, best_score = delimiter, (lines_with, fields)
    return best


# ---------------------------------------------------------------------------------------------
# Sources: a CSV file or a worksheet, read as records of raw cells with line numbers


@dataclass
class _Record:
    line: int  # first physical line
    last: int  # last physical line (later than `line` when a quoted field holds line breaks)
    cells: list[str]  # stripped
    width: int  # number of fields as read, before dropping trailing empty cells


class _Source:
    empty_message = "the file is empty"
    needs_strip = True

    def records(self, skip: int, width: int = 0):  # context manager: (reader, offset, rest)
        raise NotImplementedError

    def sample(self) -> list[_Record]:
        """The first SAMPLE_LINES non-blank records."""
        found: list[_Record] = []
        strip = str.strip
        with self.records(0) as (reader, offset, _):
            start = offset + 1
            try:
                for raw in reader:
                    cells = list(map(strip, raw))
                    last = reader.line_num + offset
                    if any(cells):
                        found.append(_Record(start, last, cells, len(raw)))
                        if len(found) >= SAMPLE_LINES:
                            break
                    start = last + 1
            except csv.Error as exc:
                raise self.problem(exc, start) from None
        return found

    def problem(self, exc: csv.Error, line: int) -> FileProblem:
        raise NotImplementedError


class _CsvSource(_Source):
    def __init__(self, file: Path, path_text: str, encoding: str, delimiter: str, mangled_bom: bool, needs_strip: bool):
        self.file, self.path, self.encoding, self.delimiter = file, path_text, encoding, delimiter
        self.mangled_bom = mangled_bom
        self._needs_strip: bool | None = True if needs_strip else None  # None: not known yet

    @property
    def needs_strip(self) -> bool:
        """Whether cells must be stripped: looked up once, when the rows are first read."""
        if self._needs_strip is None:
            self._needs_strip = _file_has_edges(self.file, self.delimiter)
        return self._needs_strip

    @contextmanager
    def records(self, skip: int, width: int = 0):
        # cp1252 leaves five bytes undefined; they become U+FFFD rather than stopping the import.
        errors = "replace" if self.encoding == "cp1252" else "strict"
        with open(self.file, encoding=self.encoding, errors=errors, newline="") as handle:
            if skip:
                for _ in islice(handle, skip):
                    pass
            reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
            blank = " \t\r\n\"" + self.delimiter
            yield reader, skip, lambda first: _rest_lines(((n, line.strip(blank)) for n, line in
                                                           enumerate(handle, first)))

    def sample(self) -> list[_Record]:
        found = super().sample()
        if self.mangled_bom and found and found[0].line == 1:
            found[0].cells[0] = found[0].cells[0].removeprefix("ï»¿").strip()  # UTF-8 BOM read as cp1252
        return found

    def problem(self, exc: csv.Error, line: int) -> FileProblem:
        text = str(exc)
        if "field larger than field limit" in text:
            limit = f"{csv.field_size_limit():,}"
            return FileProblem(self.path, f"line {line}: a cell is longer than {limit} characters "
                               "(a quote never closed, or not a table)", line=line)
        if "expected after" in text:
            quote = "a closing quote is followed by other text (write \"\" for a quote inside a quoted field)"
            return FileProblem(self.path, f"line {line}: {quote}", line=line)
        return FileProblem(self.path, f"line {line}: a quoted field is never closed", line=line)


class _SheetRows:
    """Worksheet rows as text cells, with `line_num` like csv.reader (the sheet row number).

    A stored row ends at its last stored cell; rows are padded to `width` with "", since a sheet
    row, unlike a CSV line, always has every column."""

    def __init__(self, rows: Iterator[tuple], line_num: int, width: int):
        self._rows = rows
        self.line_num = line_num
        self._padding = [""] * width

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        values = next(self._rows)
        self.line_num += 1
        cells = [_cell_text(value) for value in values]
        if len(cells) < len(self._padding):
            cells += self._padding[len(cells) :]
        return cells


class _SheetSource(_Source):
    def __init__(self, file: Path, path_text: str, sheet: str | None, notes: list[str]):
        self.file, self.path = file, path_text
        # Kept open for the sample only; the rows open the workbook again, so that a Table whose
        # rows are never read holds no open file.
        self._book = self._load()
        names = self._book.sheetnames
        if sheet is None:
            self.sheet = names[0]
        else:
            matches = [n for n in names if n == sheet] or [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
            if not matches:
                self._book.close()
                listed = ", ".join(f"'{n}'" for n in names)
                raise FileProblem(path_text, f"no sheet named '{sheet}': the sheets are {listed}")
            self.sheet = matches[0]
        if len(names) > 1:
            listed = ", ".join(f"'{n}'" for n in names)
            notes.append(f"read sheet '{self.sheet}' (the workbook has {len(names)} sheets: {listed})")
        self.empty_message = f"the sheet '{self.sheet}' is empty"

    def _load(self):
        import openpyxl  # imported here: CSV-only use should not pay for it

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops
            try:
                return openpyxl.load_workbook(self.file, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises many kinds for a damaged file
                raise FileProblem(self.path, f"this Excel workbook cannot be read ({exc})") from None

    @contextmanager
    def records(self, skip: int, width: int = 0):
        workbook, self._book = self._book or self._load(), None
        try:
            worksheet = workbook[self.sheet]
            if not hasattr(worksheet, "iter_rows"):
                raise FileProblem(self.path, f"the sheet '{self.sheet}' is a chart, not a table")
            # The stored dimensions can be wrong (files from other tools); read every row there is.
            worksheet.reset_dimensions()
            rows = worksheet.iter_rows(min_row=skip + 1, values_only=True)
            yield _SheetRows(rows, skip, width), 0, lambda first: _rest_lines(
                (n, " ".join(t for v in values if (t := _cell_text(v).strip()))) for n, values in enumerate(rows, first))
        finally:
            workbook.close()

    def sample(self) -> list[_Record]:
        found = super().sample()
        # Rows of a sheet end at their last stored cell; treat them all as the widest one, as a CSV
        # export from Excel would.
        widest = max((r.width for r in found), default=0)
        for record in found:
            record.width = widest
        return found

    def problem(self, exc: csv.Error, line: int) -> FileProblem:
        return FileProblem(self.path, f"line {line}: {exc}", line=line)


def _cell_text(value) -> str:
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# ---------------------------------------------------------------------------------------------
# The shape of the table: header, HXL row, column kinds


@dataclass
class _Shape:
    header_line: int
    header_last: int  # the header's last line: later than header_line for a header over two lines
    header_cells: list[str]  # stripped, padded to width
    columns: list[str]
    names: list[str]  # normalised
    header_names: list[str]  # normalised header cells, "" where the header cell is empty
    first_named: int
    width: int
    hxl: list[str] | None
    hxl_line: int | None
    skip: int  # physical lines before the first data line (header and HXL row included)
    numeric: list[int]  # columns holding numbers in the sample
    worded: list[int]  # columns holding more words than numbers in the sample
    dated: list[int]  # columns holding dates in the sample
    filled: int  # non-empty header cells
    probe: int  # column looked at for every row (see _data_rows)
    low: str
    high: str
    probe_name: str


def _find_shape(path_text: str, sample: list[_Record], header_hint) -> _Shape:
    at = _find_header(sample, header_hint)
    top, at, cells = _header_rows(sample, at)
    header = sample[at]
    following = sample[at + 1 :]
    hxl_record = None
    if following and following[0].line == header.last + 1 and _is_hxl(following[0].cells):
        hxl_record = following.pop(0)

    named = _trimmed_len(cells)
    used = max((_trimmed_len(r.cells) for r in following), default=0)
    width = max(named, min(used, header.width))
    cells = (cells + [""] * width)[:width]
    columns = [cell or f"column_{i + 1}" for i, cell in enumerate(cells)]
    names = [normalise_header(c) for c in columns]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name and name in seen:
            first = seen[name]
            message = f"column '{columns[first]}' appears twice (columns {first + 1} and {i + 1})"
            raise FileProblem(path_text, message, line=header.line)
        seen.setdefault(name, i)

    hxl = None
    if hxl_record is not None:
        hxl = (hxl_record.cells + [""] * width)[:width]
    numeric, fill, worded = _column_kinds(following, width)
    # Rows go through a fast path when one cell ("the probe", in a named column) shows they are
    # ordinary data. Empty, it proves nothing (a footnote fills one cell); in a column of numbers
    # whose name is a word, a cell starting with a digit rules out a header. Without such a column,
    # a cell that differs from the header's is enough, since a second header is then recognised only
    # after a blank line.
    labelled = [i for i in numeric if cells[i][:1].isalpha()]
    if labelled:
        probe = max(labelled, key=lambda i: (fill[i], -i))
        low, high = "0", ":"
    else:
        probe = max((i for i in range(width) if cells[i]), key=lambda i: (fill[i], -i))
        low, high = "", chr(0x10FFFF) * 8
    probe_name = cells[probe]
    return _Shape(
        header_line=sample[top].line,
        header_last=header.line,
        header_cells=cells,
        columns=columns,
        names=names,
        header_names=[normalise_header(c) for c in cells],
        first_named=next(i for i, c in enumerate(cells) if c),
        width=width,
        hxl=hxl,
        hxl_line=hxl_record.line if hxl_record else None,
        skip=(hxl_record or header).last,
        numeric=numeric,
        worded=worded,
        dated=_dated_columns(following, width),
        filled=sum(1 for c in cells if c),
        probe=probe,
        low=low,
        high=high,
        probe_name=probe_name,
    )


def _header_rows(sample: list[_Record], at: int) -> tuple[int, int, list[str]]:
    """The header's first and last record and its names. A header over two lines (a merged cell such
    as "FY Total" above its sub-columns "to the U.S.", "to Canada") gives names joined top to bottom,
    "FY Total / to the U.S."; `at` may be either line of it."""
    cells = [c.strip("\ufeff").strip() for c in sample[at].cells]
    below = sample[at + 1] if at + 1 < len(sample) else None
    if below is not None and below.line == sample[at].last + 1 and _is_lower_header(cells, below.cells):
        return at, at + 1, _joined(cells, below.cells)
    above = sample[at - 1] if at else None
    if above is not None and above.last + 1 == sample[at].line:
        upper = [c.strip("\ufeff").strip() for c in above.cells]
        if _is_upper_header(upper, cells):
            return at - 1, at, _joined(upper, cells)
    return at, at, cells


def _words_only(cells: list[str], *, years: bool = False) -> bool:
    """Names only (a year too, with `years`: "2024" over its months): no figure, no hashtag row."""
    filled = [c for c in cells if c]
    return bool(filled) and not _is_hxl(cells) and all(
        _is_label(c) or (years and len(c) == 4 and c.isdigit() and 1900 < int(c) < 2100) for c in filled)


def _is_lower_header(upper: list[str], lower: list[str]) -> bool:
    """Is `lower` the second line of a header that begins with `upper`? Words only, with names under a
    blank of the upper line (the sub-columns of a merged cell), and the upper line spans them."""
    if not _words_only(upper, years=True) or not _words_only(lower):
        return False
    under_blank = [i for i, c in enumerate(lower) if c and not (i < len(upper) and upper[i])]
    return bool(under_blank) and _is_upper_header(upper, lower)


def _is_upper_header(upper: list[str], lower: list[str]) -> bool:
    """Is `upper` a line of merged cells above the header `lower`? Words only; each over a name of `lower`
    spans to the right (a blank beside it, with a name under that), and one such span lies past the first
    column. Others stand over a blank (a name merged down)."""
    if not _words_only(upper, years=True) or not _words_only(lower):
        return False
    spans = False
    for i in (i for i, c in enumerate(upper) if c):
        if i < len(lower) and lower[i]:
            span = i + 1 < len(lower) and lower[i + 1] and not (i + 1 < len(upper) and upper[i + 1])
            if not span:
                return False  # a name over a name that is not a group: a line of metadata ("Country:,Kenya")
            spans = spans or i > 0
    return spans


MULTI_ROW_JOIN = " / "


def _joined(upper: list[str], lower: list[str]) -> list[str]:
    """Names of a header over two lines: an upper cell spans to the right over blanks (a merged cell)
    while there are names under it, unless the name under it is blank (then it spans down, alone)."""
    width = max(len(upper), len(lower))
    upper = [c.strip("\ufeff").strip() for c in upper] + [""] * (width - len(upper))
    lower = [c.strip() for c in lower] + [""] * (width - len(lower))
    out: list[str] = []
    spanning = ""
    for top, bottom in zip(upper, lower, strict=True):
        if top:
            spanning = top if bottom else ""
        elif not bottom:
            spanning = ""
        group = top or spanning
        out.append(MULTI_ROW_JOIN.join(p for p in (group, bottom) if p))
    return out


def _find_header(sample: list[_Record], header_hint) -> int:
    at = _header_index(sample, header_hint)
    # An HXL hashtag row sits right under the header: if a hint scored the hashtags best, the
    # header is the line above.
    if at and _is_hxl(sample[at].cells) and sample[at - 1].last + 1 == sample[at].line:
        return at - 1
    return at


def _header_index(sample: list[_Record], header_hint) -> int:
    widths = Counter(r.width for r in sample if r.width > 1) or Counter(r.width for r in sample)
    dominant = max(widths.items(), key=lambda item: item[1])[0]  # on a tie, the one seen first
    if header_hint is not None:
        scores = [header_hint(r.cells) for r in sample]
        best = max(scores)
        if best > 0:
            # On a tie, a line as wide as the table beats a metadata line above it ("Data Source", a name).
            tied = [i for i, score in enumerate(scores) if score == best]
            return next((i for i in tied if sample[i].width == dominant), tied[0])
    for i, record in enumerate(sample):
        if record.width == dominant and _looks_like_header(record.cells, dominant):
            return i
    for i, record in enumerate(sample):
        if record.width == dominant and 2 * sum(1 for c in record.cells if c) >= dominant:
            return i
    return 0


def _looks_like_header(cells: list[str], dominant: int) -> bool:
    """Mostly non-empty, and mostly text that is not a number."""
    filled = [c for c in cells if c]
    text = [c for c in filled if not _is_number(c)]
    return 2 * len(filled) >= dominant and 2 * len(text) > len(filled) and (len(filled) >= 2 or dominant == 1)


def _is_hxl(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _column_kinds(records: list[_Record], width: int) -> tuple[list[int], list[int], list[int]]:
    """Columns whose sample values are (nearly) all numbers, how often each column is filled, and the
    columns of more words than numbers.

    Lines of nothing but words are left out: they may be another header, which must not make a
    column of numbers look like text."""
    numbers = [0] * width
    others = [0] * width
    fill = [0] * width
    for record in records:
        if all(_is_label(c) for c in record.cells if c):
            continue
        for i, cell in enumerate(record.cells[:width]):
            if not cell:
                continue
            fill[i] += 1
            if _is_number(cell):
                numbers[i] += 1
            elif cell.casefold() not in _NO_FIGURE:
                others[i] += 1
    numeric = [i for i in range(width) if numbers[i] and numbers[i] >= 4 * others[i]]
    return numeric, fill, [i for i in range(width) if others[i] > numbers[i]]


def _dated_columns(records: list[_Record], width: int) -> list[int]:
    """Columns whose filled sample values are (nearly) all dates (a year alone counts)."""
    dates = [0] * width
    others = [0] * width
    for record in records:
        for i, cell in enumerate(record.cells[:width]):
            if cell and cell.casefold() not in _NO_FIGURE and cell not in values.MISSING:
                if _is_date(cell):
                    dates[i] += 1
                else:
                    others[i] += 1
    return [i for i in range(width) if dates[i] and dates[i] >= 4 * others[i]]


@lru_cache(maxsize=4096)  # asked of the same few cells again and again (a date column's values)
def _is_date(cell: str) -> bool:
    """A date, in either order of day and month, or a year or month alone."""
    if not cell[:1].isalnum():
        return False
    for order in ("dayfirst", "monthfirst"):
        try:
            return values.parse_date(cell, order=order) is not None
        except values.ValueProblem:
            continue
    return False


def _trimmed_len(cells: list[str]) -> int:
    n = len(cells)
    while n and not cells[n - 1]:
        n -= 1
    return n


def _is_number(cell: str) -> bool:
    return _NUMBER.fullmatch(cell) is not None


def _is_label(cell: str) -> bool:
    """A word such as a column name: starts with a letter and is not a missing-value marker."""
    return cell[:1].isalpha() and cell.casefold() not in _NO_FIGURE


# ---------------------------------------------------------------------------------------------
# The rows


def _data_rows(table: Table, shape: _Shape, source: _Source) -> Iterator[tuple[int, list[str]]]:
    """Yield (line, cells) for each data row; stop where a second section begins; skip footnotes.

    This loop runs a million times for a big file: it strips the cells if need be, looks at one
    cell and yields. Everything else (blank lines, repeated headers, a second section, footnotes) is
    _Rest's business.
    """
    strip = str.strip
    needs_strip = source.needs_strip
    width, probe, low, high, probe_name = shape.width, shape.probe, shape.low, shape.high, shape.probe_name
    rest = _Rest(table, shape, source)
    try:
        with source.records(shape.skip, shape.width) as (reader, offset, rest_lines):
            rest.reader, rest.offset, rest.rest_lines = reader, offset, rest_lines
            step = offset + 1
            start = reader.line_num + step
            try:
                for raw in reader:
                    line = start
                    start = reader.line_num + step
                    row = list(map(strip, raw)) if needs_strip else raw
                    try:
                        probe_cell = row[probe]
                    except IndexError:
                        probe_cell = ""
                    if probe_cell and low <= probe_cell < high and probe_cell != probe_name:
                        if len(row) > width and not row[-1]:
                            del row[_trimmed_len(row[width:]) + width :]
                        yield line, row
                        continue
                    if (yield from rest.unusual(line, row)):
                        return
                    start = reader.line_num + step
            except csv.Error as exc:
                raise source.problem(exc, start) from None
    finally:
        rest.add_notes()


@dataclass
class _RestLines:
    """The lines after the point where a table ends: the last line number, how many are not blank, the
    first of those (line, text)."""

    last: int
    filled: int
    first: list[tuple[int, str]]


_SHOWN_LINES = 10


def _rest_lines(lines: Iterator[tuple[int, str]]) -> _RestLines:
    last, filled, first = 0, 0, []
    for last, text in lines:
        if text:
            filled += 1
            if len(first) < _SHOWN_LINES:
                first.append((last, text))
    return _RestLines(last, filled, first)


class _Rest:
    """The rows the fast path does not vouch for: blank lines, repeated headers, a second section, footnotes."""

    def __init__(self, table: Table, shape: _Shape, source: _Source):
        self.table, self.shape, self.source = table, shape, source
        self.repeats: list[int] = []
        self.footnotes: list[tuple[int, str]] = []  # footnotes under the table (line, text)
        self.after_notes: int | None = None  # the first row of data after them
        self.reader = None
        self.offset = 0
        self.rest_lines: Callable[[int], _RestLines] = lambda first: _RestLines(0, 0, [])

    def pull(self) -> tuple[int, list[str]] | None:
        line = self.reader.line_num + self.offset + 1
        try:
            raw = next(self.reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise self.source.problem(exc, line) from None
        return line, [c.strip() for c in raw]

    def unusual(self, line: int, row: list[str]):
        """Yield the row if it is data, skip it if not; return True where the table ends."""
        shape, width = self.shape, self.shape.width
        after_blank = False
        while True:
            if not any(row):
                while True:
                    got = self.pull()
                    if got is None:
                        return False
                    line, row = got
                    if any(row):
                        break
                after_blank = True
            if len(row) > width and not row[-1]:
                del row[_trimmed_len(row[width:]) + width :]
            if self.footnotes and len(row) - row.count("") >= 2 and _starts_section(row, shape, after_blank=True):
                self.end_at(line, row, "a second section begins")  # a title that read as a note, then a header
                return True
            if _is_footnote(row, shape) or (self.footnotes and not _is_data(row, shape)):
                # A footnote, or a line of them (a note's second line): skipped and listed. A row with this
                # table's figures further down is still data: nothing is dropped on a guess.
                self.footnotes.append((line, " ".join(c for c in row if c)))
                got = self.pull()
                if got is None:
                    return False
                line, row = got
                continue
            if self.footnotes and self.after_notes is None:
                self.after_notes = line
            if after_blank and _starts_section(row, shape, after_blank=True):
                self.end_at(line, row, "a second section begins")
                return True
            after_blank = False
            if _is_repeated_header(row, shape):
                self.repeats.append(line)
                got = self.pull()
                if got is not None and shape.hxl is not None and got[1][:width] == shape.hxl and not any(got[1][width:]):
                    got = self.pull()  # the HXL row of the repeated header
                if got is None:
                    return False
                line, row = got
                continue
            if _starts_section(row, shape, after_blank=False):
                self.end_at(line, row, "a second section begins")
                return True
            yield line, row
            return False

    def end_at(self, line: int, row: list[str], why: str) -> None:
        """The table ends at `line` (`row`): say where, why, and how many non-blank lines are not read."""
        after = self.rest_lines(self.reader.line_num + self.offset + 1)
        last = max(after.last, line)
        filled = after.filled + 1
        shown = [(line, " ".join(c for c in row if c)), *after.first][:_SHOWN_LINES]
        self.table.end_line = line
        self.table.not_read = filled
        notes = self.table.notes
        notes.append(f"table ends at line {line}: {why} (lines {line}-{last} not read)")
        notes.append(f"{filled} non-blank line{'s' if filled > 1 else ''} after the table not read, "
                     f"the first (line {line}): {_quoted(shown[0][1])}")

    def add_notes(self) -> None:
        if self.footnotes:
            n, first = len(self.footnotes), self.footnotes[0]
            numbers = ", ".join(str(line) for line, _ in self.footnotes[:_SHOWN_LINES]) + (
                f" and {n - _SHOWN_LINES} more" if n > _SHOWN_LINES else "")
            self.table.notes.append(f"skipped {n} footnote line{'s' if n > 1 else ''} (line{'s' if n > 1 else ''} "
                                    f"{numbers}), the first: {_quoted(first[1])}")
            if self.table.end_line is None and self.after_notes is None:
                self.table.end_line = first[0]  # the table's last row is above its footnotes
            if self.after_notes is not None:
                self.table.notes.append(f"rows with figures after the footnotes were read as data, the first on "
                                        f"line {self.after_notes}")
        repeats = self.repeats
        if not repeats:
            return
        shown = ", ".join(str(n) for n in repeats[:10]) + (f" and {len(repeats) - 10} more" if len(repeats) > 10 else "")
        if len(repeats) == 1:
            self.table.notes.append(f"skipped a repeated header line (line {shown})")
        else:
            self.table.notes.append(f"skipped {len(repeats)} repeated header lines (lines {shown})")


def _quoted(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _is_repeated_header(row: list[str], shape: _Shape) -> bool:
    if len(row) > shape.width or len(row) - row.count("") != shape.filled:
        return False
    cells = row + [""] * (shape.width - len(row))
    if cells == shape.header_cells:
        return True
    first = shape.first_named  # one cell first: most rows differ there
    if normalise_header(cells[first]) != shape.header_names[first]:
        return False
    return [normalise_header(c) for c in cells] == shape.header_names


def _is_data(row: list[str], shape: _Shape) -> bool:
    """A row that shows it belongs to this table, even with a wrong cell: a date in a column of dates, or
    numbers in most of the columns of numbers."""
    n = len(row)
    return any(i < n and _is_date(row[i]) for i in shape.dated) or _has_figures(row, shape)


def _has_figures(row: list[str], shape: _Shape) -> bool:
    """Numbers in most of the table's columns of numbers."""
    n, numeric = len(row), shape.numeric
    return bool(numeric) and 2 * sum(1 for i in numeric if i < n and _is_number(row[i])) > len(numeric)


def _starts_section(row: list[str], shape: _Shape, *, after_blank: bool) -> bool:
    """Does this row begin another table rather than continue this one?

    Only on evidence. After a blank line: a title line ("Summary by country") or a line of words where
    this table has dates and numbers (a new header). Without a blank line, only a header with other names:
    words in every column of dates and numbers, no number anywhere, and mostly the names of columns. A
    row with a date in a column of dates, or numbers in most columns of numbers, is data even when a
    cell is wrong (a typo in a count is an error on its line, not the end of the table).
    """
    if _is_data(row, shape):
        return False
    filled = [c for c in row if c]
    if after_blank:
        if len(filled) == 1 and shape.width >= 2:
            return _is_label(filled[0])
        labels = sum(1 for c in filled if _is_label(c))
        words_where_figures = [i for i in (*shape.numeric, *shape.dated) if i < len(row) and _is_label(row[i])]
        return len(filled) >= 2 and 2 * labels > len(filled) and bool(words_where_figures)
    if len(filled) < 2 or not shape.numeric or any(_is_number(c) for c in filled):
        return False
    if not all(i < len(row) and _is_label(row[i]) for i in (*shape.numeric, *shape.dated)):
        return False
    names = sum(1 for c in filled if normalise_header(c) in _COLUMN_NAMES)
    return 2 * names > len(filled)


# Marks that open a footnote: "*", "†", "1/", "(1)", "a/", "Note:", "Source:", and their French forms.
_FOOTNOTE = re.compile(
    r"^(?:[*†‡§¹²³]|\(?\d{1,2}\)|\d{1,2}/\s|[a-z]/\s|\[\d{1,2}\]|"
    r"(?:notes?|sources?|nb|n\.b\.|remarques?|nota|footnotes?|data source|disclaimer)\s*[:.-])",
    re.IGNORECASE,
)


def _is_footnote(row: list[str], shape: _Shape) -> bool:
    """A footnote under a table: its first filled cell opens with a note mark ("*", "1/", "Note:") or is
    a sentence, at most one more cell is filled, and the row holds none of this table's figures."""
    filled = [c for c in row if c]
    if not filled or len(filled) > 2 or not any(ch.isalpha() for ch in filled[0]):
        return False
    text = filled[0]
    if _FOOTNOTE.match(text):  # a mark is evidence enough, even if a comma put a year in a date column
        return not _has_figures(row, shape)
    # A sentence: several words and a full stop, or a long line of words.
    words = text.split()
    return (len(filled) == 1 and shape.width >= 2 and len(words) >= 4 and (text.endswith((".", ":")) or len(text) > 60)
            and not _is_data(row, shape))
