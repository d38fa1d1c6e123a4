"""The XLSX export written as XML: the same workbook openpyxl wrote before (every sheet, cell value and
type, the bold frozen header, the column widths), the split at Excel's row limit, and text no formula,
no markup and no control character gets through."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from resettle.compute import disclosure
from resettle.compute.scope import Scope, resolve_sites
from resettle.compute.table_rows import TABLES
from resettle.publish import tables, xlsx
from resettle.store import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _all(conn) -> Scope:
    return Scope(tuple(resolve_sites(conn, None)), None)


def _openpyxl_workbook(conn: sqlite3.Connection, scope: Scope, path: Path) -> None:
    """The reference: the workbook as the earlier writer made it, through openpyxl's write-only mode."""
    book = Workbook(write_only=True)

    def sheet(title, columns, rows):
        rows, part = iter(rows), 1
        while True:
            ws = book.create_sheet(title if part == 1 else f"{title} ({part})")
            ws.freeze_panes = "A2"
            for i, name in enumerate(columns):
                ws.column_dimensions[get_column_letter(i + 1)].width = max(10, min(40, len(name) + 4))
            header = []
            for name in columns:
                cell = WriteOnlyCell(ws, value=name)
                cell.font = Font(bold=True)
                header.append(cell)
            ws.append(header)
            for row in itertools.islice(rows, tables.SHEET_ROWS - 1):
                ws.append([tables.neutralise(v) for v in row])
            following = next(rows, None)
            if following is None:
                return
            rows, part = itertools.chain([following], rows), part + 1

    for kind in TABLES:
        sheet(kind, *tables.rows_in_scope(conn, kind, scope))
    sheet(tables.RECONCILIATION, *tables.reconciliation_rows(conn, scope))
    sheet("sources", *tables.sources_table(conn, scope))
    book.save(path)


def _cells(path: Path) -> dict[str, list[list[tuple]]]:
    """Every sheet's cells as (value, type), row by row."""
    book = load_workbook(path)
    return {ws.title: [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def _same_workbook(conn, scope, tmp_path) -> tuple[Path, Path]:
    _openpyxl_workbook(conn, scope, tmp_path / "reference.xlsx")
    (path,) = tables.write_data(conn, scope, "xlsx", tmp_path / "new")
    return tmp_path / "reference.xlsx", path


def test_the_workbook_is_the_one_openpyxl_wrote(sample_db, tmp_path):
    conn = db.connect(sample_db)
    try:
        reference, path = _same_workbook(conn, _all(conn), tmp_path)
    finally:
        conn.close()
    expected, written = _cells(reference), _cells(path)
    assert list(written) == [*TABLES, "reconciliation", "sources"] == list(expected)
    for title in expected:
        assert written[title] == expected[title], title
        assert len(written[title]) > 1, title  # every sheet of the sample has rows
    transfers = written["transfers"]
    assert {t for row in transfers[1:] for _, t in row} >= {"n", "s"}  # numbers stay numbers
    book, old = load_workbook(path), load_workbook(reference)
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" == old[ws.title].freeze_panes
        assert all(c.font.b for c in ws[1]) and not any(c.font.b for c in ws[2]), ws.title
        widths = {k: d.width for k, d in ws.column_dimensions.items()}
        assert widths == {k: d.width for k, d in old[ws.title].column_dimensions.items()}, ws.title
        assert len(widths) == ws.max_column


def test_the_public_workbook_is_the_one_openpyxl_wrote(sample_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("RESETTLE_PUBLIC", "1")
    monkeypatch.delenv("RESETTLE_DISCLOSURE_MIN", raising=False)
    assert disclosure.public_mode()
    conn = db.connect(sample_copy)
    try:
        reference, path = _same_workbook(conn, _all(conn), tmp_path)
    finally:
        conn.close()
    written = _cells(path)
    assert written == _cells(reference)
    assert ("destination", "s") not in written["medevacs"][0]
    assert ("<5", "s") in {c for row in written["medevacs"][1:] for c in row}


def test_a_table_longer_than_a_sheet_is_split_as_before(sample_db, tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "SHEET_ROWS", 11)  # Excel's 1,048,576 made small: a header and 10 rows
    conn = db.connect(sample_db)
    try:
        reference, path = _same_workbook(conn, _all(conn), tmp_path)
        population = conn.execute("SELECT count(*) FROM transfers").fetchone()[0]
    finally:
        conn.close()
    written = _cells(path)
    assert written == _cells(reference)
    parts = [t for t in written if t == "transfers" or t.startswith("transfers (")]
    assert len(parts) == -(-population // 10) > 2 and parts[1:3] == ["transfers (2)", "transfers (3)"]
    assert sum(len(written[t]) - 1 for t in parts) == population
    assert all(len(rows) <= 11 for rows in written.values())
    assert all(rows[0] == written["transfers"][0] for t, rows in written.items() if t in parts)


NASTY = {
    "formula": "=cmd|' /C calc'!A0",
    "markup": "<b>&amp;</b> \"quoted\" 'single' <![CDATA[x]]>",
    "controls": "a\x01b\x0bc\x1fd\ufffee",
    "carriage": "line one\r\nline two\rthree",
    "emoji": "🏕️ Camp Liberty — Ñandú 日本",
    "padded": "  spaces kept  ",
    "long": "x" * 40_000,
    "minus": "-5",
}


def test_nasty_text_is_written_safely_and_said(sample_copy, tmp_path):
    import pandas as pd

    conn = db.connect(sample_copy)
    ids = [r[0] for r in conn.execute("SELECT id FROM incidents ORDER BY date, id")]
    assert len(ids) >= len(NASTY)
    for text, row_id in zip(NASTY.values(), ids, strict=False):
        conn.execute("UPDATE incidents SET description = ? WHERE id = ?", (text, row_id))
    try:
        (path,) = tables.write_data(conn, _all(conn), "xlsx", tmp_path)
        notes = tables.write_xlsx(conn, _all(conn), tmp_path / "again.xlsx")
    finally:
        conn.close()
    book = load_workbook(path)
    header = [c.value for c in book["incidents"][1]]
    column = header.index("description")
    cells = {r[0].value: r[column] for r in book["incidents"].iter_rows(min_row=2)}
    got = {name: cells[row_id] for name, row_id in zip(NASTY, ids, strict=False)}
    assert {n: c.data_type for n, c in got.items()} == dict.fromkeys(NASTY, "s")
    assert got["formula"].value == "'" + NASTY["formula"]
    assert got["minus"].value == "'-5"
    assert got["markup"].value == NASTY["markup"]
    assert got["controls"].value == "abcde"
    assert got["carriage"].value == NASTY["carriage"]
    assert got["emoji"].value == NASTY["emoji"]
    assert got["padded"].value == NASTY["padded"]
    assert got["long"].value == "x" * xlsx.CELL_CHARS
    assert notes == ["sheet 'incidents', column 'description': characters XML cannot hold removed in 1 cell",
                     "sheet 'incidents', column 'description': text cut to Excel's 32,767 characters in 1 cell"]
    assert [r[0].value for r in book["notes"].iter_rows(min_row=2)] == notes
    assert book.sheetnames[-1] == "notes"
    frame = pd.read_excel(path, sheet_name="incidents")
    assert frame["description"].tolist().count(NASTY["emoji"]) == 1
    assert len(frame) == len(cells)


def test_a_clean_workbook_has_no_notes_sheet(tiny_db, tmp_path):
    conn = db.connect(tiny_db)
    try:
        assert tables.write_xlsx(conn, _all(conn), tmp_path / "t.xlsx") == []
    finally:
        conn.close()
    assert "notes" not in load_workbook(tmp_path / "t.xlsx").sheetnames


def test_python_values_become_cells(tmp_path):
    book = xlsx.Workbook(tmp_path / "v.xlsx")
    rows = [(1, -2.5, None, "a<b", 10**15, 0.1 + 0.2, float("inf"), b"\x00")]
    book.add_sheet("values", ["i", "f", "n", "t", "big", "sum", "inf", "blob"], rows, 10)
    book.close()
    ws = load_workbook(tmp_path / "v.xlsx")["values"]
    assert [c.value for c in ws[2]] == [1, -2.5, None, "a<b", 10**15, 0.1 + 0.2, "inf", None]
    assert [c.data_type for c in ws[2]][:2] == ["n", "n"]
    assert book.notes == ["sheet 'values', column 'inf': inf written as text (Excel has no such number) in 1 cell",
                          "sheet 'values', column 'blob': binary data left out in 1 cell"]


def test_a_batch_written_whole_is_the_cells_written_one_by_one(tmp_path):
    """The row template (one `%` per batch) gives the very XML that `Workbook.cell` gives cell by cell,
    whatever mix a column holds: integers, empty cells, clean text, text to escape or neutralise, a
    per cent sign, text beyond ASCII, floats."""
    import zipfile

    rows = [(i, None, f"site {i % 7}", "2015-01-01", i % 3 or None, "50% done" if i % 2 else "Côte d'Ivoire",
             "a<b & c" if i == 3 else "plain", "=1+1" if i == 5 else "text", 0.5 * i, None if i % 4 else "x")
            for i in range(1, 12)]
    columns = [f"c{i}" for i in range(len(rows[0]))]
    book = xlsx.Workbook(tmp_path / "w.xlsx")
    book.add_sheet("rows", columns, rows, 100, text=tables.neutralise, text_starts=tables.FORMULA_START)
    book.close()
    with zipfile.ZipFile(tmp_path / "w.xlsx") as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    reference = xlsx.Workbook(tmp_path / "ref.xlsx")
    reference._sheet, reference._columns = "rows", columns
    expected = "".join("<row>" + "".join(reference.cell(tables.neutralise(v), i) for i, v in enumerate(row)) + "</row>"
                       for row in rows)
    reference.close()
    body = sheet[sheet.index("</row>") + len("</row>"):sheet.index("</sheetData>")]  # after the header row
    assert body == expected
    assert "<c><v>11</v></c><c/>" in body and "a&lt;b &amp; c" in body and "'=1+1" in body
    assert load_workbook(tmp_path / "w.xlsx")["rows"]["F2"].value == "50% done"


def test_an_error_of_the_background_writer_reaches_the_sender():
    written = []

    def write(chunk: bytes) -> None:
        if chunk == b"full":
            raise OSError("No space left on device")
        written.append(chunk)

    with pytest.raises(OSError, match="No space left"):
        with xlsx.BackgroundWriter(write) as send:
            for chunk in (b"a", b"b", b"full", b"c", b"d", b"e", b"f", b"g"):
                send(chunk)
    assert written == [b"a", b"b"]  # nothing after the failure
    with xlsx.BackgroundWriter(written.append) as send:
        send(b"h")
    assert written == [b"a", b"b", b"h"]  # leaving the block waits for the last chunk
