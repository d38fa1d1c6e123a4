"""An XLSX workbook written as its XML, streamed into the zip, one sheet after another: rows are taken in
batches, each batch one row template (a cell format per column: integers, text with nothing to escape,
empty, or cells made one by one) filled by a single `%`, and compressed on a thread of its own while the
next batch is formatted; so ten million cells cost seconds, not the minutes a cell object each costs.

What each sheet holds: a bold header row, frozen; column widths from the header; numbers as numbers;
text as inline strings, XML-escaped (a carriage return kept as `&#13;`). Characters XML cannot hold
(control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF) are removed, text
beyond Excel's 32,767 characters a cell is cut, and `Workbook.notes` says so: in which sheet and column,
and how many cells. What goes into a cell (the formula neutralising, the public-mode columns) is the
caller's business.
"""

from __future__ import annotations

import itertools
import math
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape

COMPRESSLEVEL = 1  # zlib's fastest: the sheets are repetitive XML, level 1 already shrinks them ~8 times
ROWS_PER_WRITE = 5000
CELL_CHARS = 32_767  # Excel's limit on a cell's text: a longer one makes Excel call the file damaged

_ILLEGAL_CHARS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + "\ufffe\uffff"
_ILLEGAL = re.compile(f"[{re.escape(_ILLEGAL_CHARS)}]")
_ESCAPES = {"\r": "&#13;"}  # XML reads a bare carriage return back as a line feed
_SPECIAL = re.compile(f"[&<>\r{re.escape(_ILLEGAL_CHARS)}]")  # text that cannot go in as it is
# The ASCII characters that can (`bytes.translate` deletes them: what is left over cannot).
_PLAIN_ASCII = bytes(c for c in range(128) if chr(c) not in "&<>\r" and chr(c) not in _ILLEGAL_CHARS)
_INTEGER = "<c><v>%d</v></c>"
_TEXT = '<c t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>'
_EMPTY = "<c/>"

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (_HEAD + f"<styleSheet {_NS}>"
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_BOLD = 1  # the cellXfs entry of the header cells
_FROZEN_HEADER = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                  'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                  'sqref="A2"/></sheetView></sheetViews>')


def _plain(text: str) -> bool:
    """Whether the text can go into the XML as it is (nothing to escape or remove)."""
    if text.isascii():  # most: one pass in C, several times faster than the regular expression
        return not text.encode("ascii").translate(None, _PLAIN_ASCII)
    return not _SPECIAL.search(text)


class BackgroundWriter:
    """Bytes handed to `write` by a thread of its own, a few chunks behind: zlib lets go of the
    interpreter while it compresses, so one batch is compressed while the next is formatted. Use it as a
    context manager: leaving it waits for the last chunk, and an error of the writing is raised here."""

    def __init__(self, write: Callable[[bytes], object], ahead: int = 4) -> None:
        self._write = write
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=ahead)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:  # after an error, only drained, so that the sender never blocks
                try:
                    self._write(chunk)
                except BaseException as error:  # raised in the sender's thread (`__call__`, `__exit__`)
                    self._error = error

    def __call__(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


def column_width(name: str) -> int:
    """A column's width from its header: the name and some room, between 10 and 40 characters."""
    return max(10, min(40, len(name) + 4))


class Workbook:
    """One .xlsx file being written: `add_sheet` for each sheet in order, then `close`.

    `notes` lists what was changed to fit the file (characters XML cannot hold, numbers Excel cannot)."""

    def __init__(self, out) -> None:
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL)
        self._titles: list[str] = []
        self._changed: dict[tuple[str, str, str], int] = {}
        self._sheet = ""
        self._columns: list[str] = []

    @property
    def notes(self) -> list[str]:
        """One line for each sheet, column and kind of change made to fit the file."""
        return [f"sheet {sheet!r}, column {column!r}: {what} in {n:,} cell{'s' * (n != 1)}"
                for (sheet, column, what), n in self._changed.items()]

    def _note(self, column: int, what: str) -> None:
        key = (self._sheet, self._columns[column] if column < len(self._columns) else str(column), what)
        self._changed[key] = self._changed.get(key, 0) + 1

    def cell(self, value, column: int) -> str:
        """One cell's XML for a Python value (None, int, float, str)."""
        if value is None:
            return _EMPTY
        if isinstance(value, bool):
            return f'<c t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int):
            return _INTEGER % value
        if isinstance(value, float):
            if math.isfinite(value):
                return f"<c><v>{value!r}</v></c>"
            self._note(column, f"{value} written as text (Excel has no such number)")
            return self._text(str(value), column)
        if isinstance(value, bytes):
            self._note(column, "binary data left out")
            return "<c/>"
        return self._text(str(value), column)

    def _text(self, text: str, column: int) -> str:
        if _ILLEGAL.search(text):
            text = _ILLEGAL.sub("", text)
            self._note(column, "characters XML cannot hold removed")
        if len(text) > CELL_CHARS:
            text = text[:CELL_CHARS]
            self._note(column, f"text cut to Excel's {CELL_CHARS:,} characters")
        return _TEXT % escape(text, _ESCAPES)

    def add_sheet(self, title: str, columns: list[str], rows: Iterable[tuple], limit: int,
                  text: Callable[[str], str] = str, text_starts: tuple[str, ...] = ()) -> Iterator[tuple]:
        """Write one sheet: the header, then at most `limit` - 1 rows of `rows` (tuples of None, int,
        float, str), each text value through `text` first; `text` changes only text starting with one
        of `text_starts` (so a batch of text with none of them is left as it is, fast). Returns the rows
        left over, not consumed."""
        starts = re.compile("\n(?:" + "|".join(map(re.escape, text_starts)) + ")") if text_starts else None
        self._sheet, self._columns = title, columns
        self._titles.append(title)
        rows = iter(rows)
        name = f"xl/worksheets/sheet{len(self._titles)}.xml"
        with self._zip.open(name, "w", force_zip64=True) as fh, BackgroundWriter(fh.write) as write:
            cols = "".join(f'<col min="{i}" max="{i}" width="{column_width(c)}" customWidth="1"/>'
                           for i, c in enumerate(columns, start=1))
            header = "".join(f'<c t="inlineStr" s="{_BOLD}"><is><t xml:space="preserve">{escape(c)}</t></is></c>'
                             for c in columns)
            write(f"{_HEAD}<worksheet {_NS} {_REL_NS}>{_FROZEN_HEADER}<cols>{cols}</cols>"
                  f"<sheetData><row>{header}</row>".encode())
            left = limit - 1
            while left > 0:
                batch = list(itertools.islice(rows, min(left, ROWS_PER_WRITE)))
                if not batch:
                    break
                left -= len(batch)
                write(self._rows(batch, text, starts).encode())
            write(b"</sheetData></worksheet>")
        return rows

    def _rows(self, batch: list[tuple], text: Callable[[str], str], starts: re.Pattern | None) -> str:
        """A batch of rows as XML: a row template with one cell format per column (`_column`), repeated
        once per row and filled from the batch's values in one `%` (so no Python code runs per cell)."""
        originals = list(zip(*batch, strict=True))
        columns = [self._column(values, i, text, starts) for i, values in enumerate(originals)]
        template = "<row>" + "".join(cell for cell, _ in columns) + "</row>"
        if all(values is original for (_, values), original in zip(columns, originals, strict=True)):
            values = batch  # every column as it came: the rows themselves fill the templates
        else:
            values = zip(*(values for _, values in columns if values is not None), strict=True)
        return (template * len(batch)) % tuple(itertools.chain.from_iterable(values))

    def _column(self, values: tuple, column: int, text: Callable[[str], str],
                starts: re.Pattern | None) -> tuple[str, Sequence | None]:
        """One column of a batch as its cells' format in the row template and the values that fill it
        (None: the format is the whole cell). A column of integers, or of clean text, is the values as
        they are; a column of nothing but empty cells is `<c/>` each; any other column is its cells'
        XML made cell by cell (`cell`)."""
        kinds = set(map(type, values))
        if kinds == {int}:
            return _INTEGER, values
        if kinds == {type(None)}:
            return _EMPTY, None
        if str not in kinds:
            return "%s", [self.cell(v, column) for v in values]
        # A line each: a match after a line feed is a value's start or, now and then, a line inside one,
        # which only sends the batch through `text` value by value.
        texts = values if kinds == {str} else [v for v in values if type(v) is str]
        joined = "\n" + "\n".join(texts)
        if starts is None or starts.search(joined):
            values = [text(v) if type(v) is str else v for v in values]
            texts = values if kinds == {str} else [v for v in values if type(v) is str]
            joined = "\n".join(texts)
        if (kinds <= {str, type(None)} and _plain(joined)
                and (len(joined) <= CELL_CHARS or max(map(len, texts)) <= CELL_CHARS)):
            if type(None) not in kinds:
                return _TEXT, values
            return "%s", [_EMPTY if v is None else _TEXT % v for v in values]
        return "%s", [self.cell(v, column) for v in values]

    def close(self) -> None:
        """Write the workbook's parts around the sheets and close the file."""
        sheets = "".join(f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, t in enumerate(self._titles, start=1))
        rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(self._titles) + 1))
        styles_id = len(self._titles) + 1
        rel_ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
        kinds = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for i in range(1, len(self._titles) + 1))
        parts = {
            "[Content_Types].xml": (
                f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{kinds}</Types>'),
            "_rels/.rels": (
                f'{_HEAD}<Relationships {rel_ns}><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": f"{_HEAD}<workbook {_NS} {_REL_NS}><sheets>{sheets}</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": (
                f'{_HEAD}<Relationships {rel_ns}>{rels}<Relationship Id="rId{styles_id}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
                'Target="styles.xml"/></Relationships>'),
            "xl/styles.xml": _STYLES,
        }
        try:
            for name, text in parts.items():
                self._zip.writestr(name, text)
        finally:
            self._zip.close()
