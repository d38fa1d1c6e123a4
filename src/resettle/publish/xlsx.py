"""An XLSX workbook written as its XML, streamed into the zip: one sheet after another, each row built once
as text (by SQLite for the tables read from the database, so ten million cells cost seconds, not minutes).

What each sheet holds: a bold header row, frozen; column widths from the header; numbers as numbers;
text as inline strings, XML-escaped (a carriage return kept as `&#13;`). Characters XML cannot hold
(control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF) are removed, text
beyond Excel's 32,767 characters a cell is cut, and `Workbook.notes` says so: in which sheet and column,
and how many cells. What goes into a cell (the
formula neutralising, the public-mode columns) is the caller's business: this module writes text.
"""

from __future__ import annotations

import math
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

COMPRESSLEVEL = 1  # zlib's fastest: the sheets are repetitive XML, level 1 already shrinks them ~8 times
ROWS_PER_WRITE = 5000
CELL_CHARS = 32_767  # Excel's limit on a cell's text: a longer one makes Excel call the file damaged

_ILLEGAL_CHARS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + "\ufffe\uffff"
_ILLEGAL = re.compile(f"[{re.escape(_ILLEGAL_CHARS)}]")
_ESCAPES = {"\r": "&#13;"}  # XML reads a bare carriage return back as a line feed
_SQL_FUNCTION = "resettle_xlsx_cell"

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
            return "<c/>"
        if isinstance(value, bool):
            return f'<c t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int):
            return f"<c><v>{value}</v></c>"
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
        return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(text, _ESCAPES)}</t></is></c>'

    def add_sheet(self, title: str, columns: list[str], rows: Iterable[str], limit: int) -> Iterator[str]:
        """Write one sheet: the header, then at most `limit` - 1 rows of `rows` (each a row's cells as XML,
        from `row_xml` or `sql_row`). Returns the rows left over, not consumed."""
        self._sheet, self._columns = title, columns
        self._titles.append(title)
        rows = iter(rows)
        name = f"xl/worksheets/sheet{len(self._titles)}.xml"
        with self._zip.open(name, "w", force_zip64=True) as fh:
            cols = "".join(f'<col min="{i}" max="{i}" width="{column_width(c)}" customWidth="1"/>'
                           for i, c in enumerate(columns, start=1))
            header = "".join(f'<c t="inlineStr" s="{_BOLD}"><is><t xml:space="preserve">{escape(c)}</t></is></c>'
                             for c in columns)
            fh.write(f"{_HEAD}<worksheet {_NS} {_REL_NS}>{_FROZEN_HEADER}<cols>{cols}</cols>"
                     f"<sheetData><row>{header}</row>".encode())
            left = limit - 1
            while left > 0:
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= min(left, ROWS_PER_WRITE):
                        break
                if not batch:
                    break
                left -= len(batch)
                fh.write("".join(f"<row>{r}</row>" for r in batch).encode())
            fh.write(b"</sheetData></worksheet>")
        return rows

    def row_xml(self, row: tuple) -> str:
        """A row of Python values as its cells' XML."""
        return "".join(self.cell(v, i) for i, v in enumerate(row))

    def sql_row(self, conn: sqlite3.Connection, width: int, formula_start: tuple[str, ...]) -> tuple[str, str]:
        """An SQL expression that builds the cells' XML of one row of a query of `width` columns, and the
        names it gives them (for `WITH r(names) AS (query) SELECT expression FROM r`): integers and clean
        text in SQLite itself; anything else (a real, text with characters XML cannot hold, a blob)
        through `cell`, registered on `conn` for this workbook. Text starting with one of `formula_start`
        gets a leading quote."""
        conn.create_function(_SQL_FUNCTION, 2, lambda value, column: self.cell(value, column))
        starts = ", ".join(_sql_text(s) for s in formula_start)
        illegal = _sql_text(f"*[{_ILLEGAL_CHARS[1:]}]*")  # GLOB's class; SQLite's text stops at a NUL anyway
        cells = []
        names = [f"c{i}" for i in range(width)]
        for i, col in enumerate(names):
            quoted = f"CASE WHEN substr({col}, 1, 1) IN ({starts}) THEN '''' || {col} ELSE {col} END"
            escaped = f"replace(replace(replace(replace({quoted}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), " \
                      f"char(13), '&#13;')"
            cells.append(
                f"CASE typeof({col}) WHEN 'null' THEN '<c/>' WHEN 'integer' THEN '<c><v>' || {col} || '</v></c>' "
                f"WHEN 'text' THEN CASE WHEN {col} GLOB {illegal} OR length({col}) >= {CELL_CHARS} "
                f"THEN {_SQL_FUNCTION}({quoted}, {i}) "
                f"ELSE '<c t=\"inlineStr\"><is><t xml:space=\"preserve\">' || {escaped} || '</t></is></c>' END "
                f"ELSE {_SQL_FUNCTION}({col}, {i}) END")
        return (" || ".join(cells) if cells else "''"), ", ".join(names)

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


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
