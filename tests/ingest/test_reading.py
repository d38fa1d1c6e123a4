"""Reading files into rows: encodings, delimiters, header detection, HXL rows, table end, xlsx."""

from __future__ import annotations

import codecs
import csv
import io
import re
import types
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from resettle.domain.errors import FileProblem
from resettle.ingest.reading import _CHUNK, MAX_FILE_BYTES, normalise_header, open_table

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"


def write(tmp_path: Path, data: str | bytes, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def read(path: Path, **options) -> tuple:
    table = open_table(path, **options)
    return table, list(table.rows)


def problem(path: Path, **options) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        table = open_table(path, **options)
        list(table.rows)
    return caught.value


def real_file(name: str) -> Path:
    path = REALDATA / name
    if not path.exists():
        pytest.skip(f"real data file {path} is not present beside the checkout")
    return path


# --- encodings ------------------------------------------------------------------------------


def test_utf8_without_bom(tmp_path):
    table, rows = read(write(tmp_path, "site,origin\nKakuma,Côte d'Ivoire\n"))
    assert table.encoding == "utf-8"
    assert rows == [(2, ["Kakuma", "Côte d'Ivoire"])]


def test_utf8_bom_is_stripped_from_the_first_column(tmp_path):
    table, rows = read(write(tmp_path, b"\xef\xbb\xbfsite,people\nKakuma,12\n"))
    assert table.encoding == "utf-8-sig"
    assert table.columns == ["site", "people"]
    assert rows == [(2, ["Kakuma", "12"])]


def test_utf16_little_endian_with_bom(tmp_path):
    table, rows = read(write(tmp_path, codecs.BOM_UTF16_LE + "site,origin\nZaatari,Syrie\n".encode("utf-16-le")))
    assert table.encoding == "utf-16"
    assert table.columns == ["site", "origin"]
    assert rows == [(2, ["Zaatari", "Syrie"])]


def test_utf16_big_endian_with_bom(tmp_path):
    table, rows = read(write(tmp_path, codecs.BOM_UTF16_BE + "site;origin\r\nZaatari;Côte d'Ivoire\r\n".encode("utf-16-be")))
    assert (table.encoding, table.delimiter) == ("utf-16", ";")
    assert rows == [(2, ["Zaatari", "Côte d'Ivoire"])]


def test_windows_1252_is_the_fallback(tmp_path):
    table, rows = read(write(tmp_path, b"site,origin\nKakuma,C\xf4te d'Ivoire\n"))
    assert table.encoding == "cp1252"
    assert rows == [(2, ["Kakuma", "Côte d'Ivoire"])]
    assert "the file is not valid UTF-8: read it as Windows-1252 (cp1252)" in table.notes


def test_a_utf8_sequence_cut_by_a_read_boundary_and_ascii_is_not_utf8(tmp_path):
    # \xc3 ends the first read, a read of ASCII follows, and the third read starts with a
    # continuation byte: fed to a UTF-8 decoder without the ASCII between them, they pass as "é".
    first = b"site,people\n" + b"Kakuma,12\n" * ((_CHUNK - 20) // 10)
    first += b"A" * (_CHUNK - len(first) - 4) + b",1\n\xc3"
    second = b"\n" + b"Dadaab,7\n" * ((_CHUNK - 20) // 9)
    second += b"B" * (_CHUNK - len(second) - 3) + b",1\n"
    assert (len(first), len(second)) == (_CHUNK, _CHUNK)
    table, rows = read(write(tmp_path, first + second + b"\xa9,5\n"))
    assert table.encoding == "cp1252"
    assert rows[-1][1] == ["©", "5"]


def test_a_latin1_byte_deep_in_an_ascii_file_decides_the_whole_file(tmp_path):
    lines = ["site,people"] + [f"Kakuma,{n}" for n in range(30_000)] + ["Bossangoa,7", "Bangui,12"]
    data = "\n".join(lines).encode("ascii").replace(b"Bossangoa", b"Bossang\xf3a") + b"\n"
    table, rows = read(write(tmp_path, data))
    assert table.encoding == "cp1252"
    assert len(rows) == 30_002
    assert rows[-2] == (30_002, ["Bossangóa", "7"])


def test_a_utf8_bom_before_windows_1252_text_is_not_part_of_the_first_column(tmp_path):
    table, rows = read(write(tmp_path, b"\xef\xbb\xbfsite,origin\nKakuma,C\xf4te d'Ivoire\n"))
    assert table.encoding == "cp1252"
    assert table.columns == ["site", "origin"]


# --- delimiters and line endings ------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path, delimiter):
    text = delimiter.join(["site", "date", "people"]) + "\n" + delimiter.join(["Kakuma", "2024-01-31", "1,009"]) + "\n"
    if delimiter == ",":
        text = text.replace("1,009", '"1,009"')
    table, rows = read(write(tmp_path, text))
    assert table.delimiter == delimiter
    assert rows == [(2, ["Kakuma", "2024-01-31", "1,009"])]


def test_commas_inside_semicolon_cells_do_not_fool_the_detection(tmp_path):
    text = "Years;Country;Origin;Total\n2015;Indonesia;Korea, Rep.;3\n2015;Indonesia;Syrian Arab Rep.;93\n2015;Indonesia;Iran, Islamic Rep.;5\n"
    table, rows = read(write(tmp_path, text))
    assert table.delimiter == ";"
    assert rows[0] == (2, ["2015", "Indonesia", "Korea, Rep.", "3"])


def test_a_single_column_file_reads_with_a_comma(tmp_path):
    table, rows = read(write(tmp_path, "site\nKakuma\nDadaab\n"))
    assert (table.delimiter, table.columns) == (",", ["site"])
    assert rows == [(2, ["Kakuma"]), (3, ["Dadaab"])]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path, ending):
    text = ending.join(["site,people", "Kakuma,12", "Dadaab,7"]) + ending
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "12"]), (3, ["Dadaab", "7"])]


def test_a_multi_line_quoted_field_is_reported_at_its_first_line(tmp_path):
    text = 'site,note,people\nKakuma,"arrived\nby bus\nat night",12\nDadaab,ok,7\n'
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "arrived\nby bus\nat night", "12"]), (5, ["Dadaab", "ok", "7"])]


# --- cells and columns ----------------------------------------------------------------------


def test_cells_and_header_names_are_stripped(tmp_path):
    table, rows = read(write(tmp_path, "Years;Country;Total \r\n 2011 ;\u00a0Indonesia;\t2125\r\n"))
    assert table.columns == ["Years", "Country", "Total"]
    assert rows == [(2, ["2011", "Indonesia", "2125"])]


@pytest.mark.parametrize(
    "text",
    [
        "site,people\nKakuma, 12\n",  # only before a cell
        "site,people\nKakuma,12\t",  # only at the very end of the file
        'site,people\r\nKakuma,"\r\n12"\r\n',  # a quoted cell starting with a line break
        "site\tpeople\nKakuma\t\u3000 12\n",
        "site|people\nKakuma|12\u00a0\n",
    ],
)
def test_whitespace_at_one_edge_of_one_cell_is_stripped(tmp_path, text):
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "12"])]


def test_a_quoted_cell_ending_in_a_line_break_is_stripped(tmp_path):
    table, rows = read(write(tmp_path, 'site,note\r\nKakuma,"late\r\n"\r\n'))
    assert rows == [(2, ["Kakuma", "late"])]


def test_trailing_empty_cells_beyond_the_header_are_dropped(tmp_path):
    table, rows = read(write(tmp_path, "site,people\nKakuma,12,,,\nDadaab,7\n\nNakivale,n/a,,\n"))
    assert rows == [(2, ["Kakuma", "12"]), (3, ["Dadaab", "7"]), (5, ["Nakivale", "n/a"])]


def test_a_word_in_a_column_of_numbers_is_data(tmp_path):
    text = "site,date,people\nKakuma,2024-01-31,12\nDadaab,2024-01-31,7\nNakivale,2024-01-31,3\nBidi Bidi,2024-01-31,5\nKyangwali,,several\n"
    table, rows = read(write(tmp_path, text))
    assert rows[-1] == (6, ["Kyangwali", "", "several"])
    assert table.end_line is None


def test_short_and_long_rows_are_yielded_as_they_are(tmp_path):
    table, rows = read(write(tmp_path, "site,date,people\nKakuma,2024-01-31\nDadaab,2024-01-31,7,oops\n"))
    assert rows == [(2, ["Kakuma", "2024-01-31"]), (3, ["Dadaab", "2024-01-31", "7", "oops"])]


def test_an_empty_header_cell_gets_a_column_name(tmp_path):
    table, rows = read(write(tmp_path, "site,,people\nKakuma,x,12\n"))
    assert table.columns == ["site", "column_2", "people"]


def test_duplicate_column_names_are_refused(tmp_path):
    path = write(tmp_path, "site,date,People,origin,host,total,people \nKakuma,2024-01-31,1,SSD,CAN,1,1\n")
    error = problem(path)
    assert error.message == "column 'People' appears twice (columns 3 and 7)"
    assert error.line == 1


def test_rows_is_a_lazy_generator(tmp_path):
    table = open_table(write(tmp_path, "site,people\nKakuma,12\n"))
    assert isinstance(table.rows, types.GeneratorType)


def test_a_header_only_file_has_no_rows(tmp_path):
    table, rows = read(write(tmp_path, "site,date,people\n"))
    assert table.columns == ["site", "date", "people"]
    assert rows == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Total ", "total"),
        ("Country of asylum (ISO)", "country of asylum iso"),
        ("  Reporting_Date ", "reporting date"),
        ("#affected+idps", "#affected+idps"),
        ("Refugees under UNHCR's mandate", "refugees under unhcr s mandate"),
        ("Age 60+", "age 60+"),
        ("\ufeffCÔTE\u00a0D’IVOIRE", "côte d ivoire"),
    ],
)
def test_normalise_header(name, expected):
    assert normalise_header(name) == expected


# --- header detection -----------------------------------------------------------------------

REPORT = (
    "Refugee population statistics\n"
    "Extracted on 2024-05-01 from the Refugee Data Finder\n"
    "\n"
    "Year,Country of origin,Country of asylum,Refugees\n"
    "2023,Sudan,Chad,\"1,009\"\n"
    "2023,Sudan,Egypt,476\n"
)


def test_metadata_lines_above_the_header_are_skipped(tmp_path):
    table, rows = read(write(tmp_path, REPORT))
    assert table.header_line == 4
    assert table.columns == ["Year", "Country of origin", "Country of asylum", "Refugees"]
    assert rows == [(5, ["2023", "Sudan", "Chad", "1,009"]), (6, ["2023", "Sudan", "Egypt", "476"])]
    assert "skipped 3 lines above the header (lines 1-3)" in table.notes


def test_title_lines_padded_with_delimiters_are_not_the_header(tmp_path):
    text = "Arrivals by camp,,\nFilter: year = 2024,,\n,,\nsite,date,people\nKakuma,2024-01-31,12\n"
    table, rows = read(write(tmp_path, text))
    assert (table.header_line, table.columns) == (4, ["site", "date", "people"])
    assert rows == [(5, ["Kakuma", "2024-01-31", "12"])]


def known_names(cells: list[str]) -> int:
    return sum(normalise_header(c) in {"site", "date", "people"} for c in cells)


def test_header_hint_finds_the_header_the_default_rule_misses(tmp_path):
    # The first line looks like a header to the default rule: as wide as the table, all words.
    text = "Prepared by,Camp management,Kakuma\nsite,date,people\nKakuma,2024-01-31,12\n"
    assert open_table(write(tmp_path, text)).header_line == 1
    table, rows = read(write(tmp_path, text), header_hint=known_names)
    assert (table.header_line, table.columns) == (2, ["site", "date", "people"])
    assert rows == [(3, ["Kakuma", "2024-01-31", "12"])]
    assert "skipped 1 line above the header (line 1)" in table.notes


def test_a_header_hint_that_prefers_the_hashtags_still_gives_the_header_above_them(tmp_path):
    text = "Camp,Population\n#loc+camp+name,#population\nKakuma,12\n"
    table, rows = read(write(tmp_path, text), header_hint=lambda cells: sum(c.startswith("#") for c in cells))
    assert (table.header_line, table.hxl) == (1, ["#loc+camp+name", "#population"])
    assert rows == [(3, ["Kakuma", "12"])]


def test_a_header_hint_that_knows_no_name_falls_back_to_the_default_rule(tmp_path):
    table, rows = read(write(tmp_path, REPORT), header_hint=lambda cells: 0)
    assert table.header_line == 4


# --- HXL ------------------------------------------------------------------------------------


def test_the_hxl_row_is_kept_apart(tmp_path):
    text = "camp,date,population,note\n#loc+camp+name,#date+reported,#population,\nKakuma,2024-01-31,12,\n"
    table, rows = read(write(tmp_path, text))
    assert table.hxl == ["#loc+camp+name", "#date+reported", "#population", ""]
    assert rows == [(3, ["Kakuma", "2024-01-31", "12", ""])]
    assert "HXL hashtag row on line 2" in table.notes


def test_a_row_with_some_hashtags_and_some_words_is_data(tmp_path):
    table, rows = read(write(tmp_path, "code,camp\n#12,Kakuma\n"))
    assert table.hxl is None
    assert rows == [(2, ["#12", "Kakuma"])]


# --- blank lines, repeated headers, a second section ----------------------------------------


def test_blank_lines_between_rows_are_skipped(tmp_path):
    table, rows = read(write(tmp_path, "site,people\nKakuma,12\n\n,\n  ,  \nDadaab,7\n"))
    assert rows == [(2, ["Kakuma", "12"]), (6, ["Dadaab", "7"])]
    assert table.notes == [] and table.end_line is None


def test_a_missing_value_after_a_blank_line_is_still_data(tmp_path):
    table, rows = read(write(tmp_path, "site,people\nKakuma,12\n\nDadaab,n/a\n"))
    assert rows == [(2, ["Kakuma", "12"]), (4, ["Dadaab", "n/a"])]


def test_a_second_section_after_a_blank_line_ends_the_table(tmp_path):
    text = (
        "site,date,people\nKakuma,2024-01-31,12\nDadaab,2024-01-31,7\n"
        "\nSummary by country\ncountry,people\nKenya,19\n"
    )
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "2024-01-31", "12"]), (3, ["Dadaab", "2024-01-31", "7"])]
    assert table.end_line == 5
    assert "table ends at line 5: a second section begins (lines 5-7 not read)" in table.notes


def test_a_second_header_after_a_blank_line_ends_the_table(tmp_path):
    text = "site,people\nKakuma,12\n\ncountry,total\nKenya,12\n"
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "12"])]
    assert table.end_line == 4


def test_a_header_with_other_names_ends_the_table_without_a_blank_line(tmp_path):
    text = "site,date,people\nKakuma,2024-01-31,12\nCountry,Month,Total\nKenya,January,12\nUganda,January,3\n"
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "2024-01-31", "12"])]
    assert table.end_line == 3
    assert "table ends at line 3: a second section begins (lines 3-5 not read)" in table.notes


def test_a_repeated_header_is_skipped(tmp_path):
    text = "site,people\nKakuma,12\nsite,people\nDadaab,7\nSITE,People\nNakivale,3\n"
    table, rows = read(write(tmp_path, text))
    assert rows == [(2, ["Kakuma", "12"]), (4, ["Dadaab", "7"]), (6, ["Nakivale", "3"])]
    assert "skipped 2 repeated header lines (lines 3, 5)" in table.notes


def test_a_repeated_header_with_its_hxl_row_is_skipped(tmp_path):
    text = "camp,population\n#loc+camp+name,#population\nKakuma,12\ncamp,population\n#loc+camp+name,#population\nDadaab,7\n"
    table, rows = read(write(tmp_path, text))
    assert rows == [(3, ["Kakuma", "12"]), (6, ["Dadaab", "7"])]
    assert "skipped a repeated header line (line 4)" in table.notes


def test_a_table_end_beyond_the_first_lines_is_found_while_reading(tmp_path):
    lines = ["site,people"] + [f"Kakuma,{n}" for n in range(200)] + ["", "Totals", "site,people", "Kakuma,19900"]
    table = open_table(write(tmp_path, "\n".join(lines) + "\n"))
    assert table.end_line is None
    rows = list(table.rows)
    assert len(rows) == 200 and rows[-1] == (201, ["Kakuma", "199"])
    assert table.end_line == 203
    assert "table ends at line 203: a second section begins (lines 203-205 not read)" in table.notes


# --- what is wrong with the file ------------------------------------------------------------


def test_a_missing_file(tmp_path):
    assert problem(tmp_path / "nowhere.csv").message == "no such file"


def test_a_directory(tmp_path):
    assert "directory" in problem(tmp_path).message


def test_a_file_over_the_limit_is_refused(tmp_path):
    path = write(tmp_path, "site,people\n" + "Kakuma,12\n" * 120_000)  # 1,200,012 bytes
    error = problem(path, max_bytes=1024 * 1024)
    assert error.message == "file is too big: 1.1 MB; the limit is 1 MB"


def test_the_default_limit_is_200_mb():
    assert MAX_FILE_BYTES == 200 * 1024 * 1024


def test_a_tiny_limit_is_given_in_bytes(tmp_path):
    path = write(tmp_path, "site,people\nKakuma,12\n")
    assert problem(path, max_bytes=10).message == "file is too big: 22 bytes; the limit is 10 bytes"


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t\n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_an_empty_file(tmp_path, data):
    assert problem(write(tmp_path, data)).message == "the file is empty"


def test_nul_bytes_mean_binary(tmp_path):
    path = write(tmp_path, b"site,people\nKakuma,1\x002\n")
    assert problem(path).message == "this is not a text CSV file (it looks binary)"


@pytest.mark.parametrize("magic", [b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\x1f\x8b\x08\x00", b"\x7fELF\x02\x01"])
def test_binary_magic_is_refused(tmp_path, magic):
    path = write(tmp_path, magic + b"site,people\nKakuma,12\n")
    assert problem(path).message == "this is not a text CSV file (it looks binary)"


def test_a_zip_that_is_not_a_workbook_is_binary(tmp_path):
    import zipfile

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "site,people\nKakuma,12\n")
    assert problem(path).message == "this is not a text CSV file (it looks binary)"


def test_a_legacy_xls_is_refused(tmp_path):
    path = write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), name="camps.xls")
    assert problem(path).message == "Excel 97-2003 .xls is not supported: save it as .xlsx or CSV"


def test_an_html_page_is_refused(tmp_path):
    path = write(tmp_path, "<!DOCTYPE html>\n<html><body><table><tr><td>site</td></tr></table></body></html>\n", name="export.xls")
    assert "HTML page" in problem(path).message


def test_an_unclosed_quote_names_the_line_where_the_field_began(tmp_path):
    path = write(tmp_path, 'site,note,people\nKakuma,ok,12\nDadaab,"never closed,7\nNakivale,ok,3\n')
    error = problem(path)
    assert (error.message, error.line) == ("line 3: a quoted field is never closed", 3)


def test_an_unclosed_quote_deep_in_the_file_is_raised_while_reading(tmp_path):
    lines = ["site,note,people"] + [f"Kakuma,ok,{n}" for n in range(100)] + ['Dadaab,"never closed,7', "Nakivale,ok,3"]
    table = open_table(write(tmp_path, "\n".join(lines) + "\n"))
    with pytest.raises(FileProblem) as caught:
        list(table.rows)
    assert (caught.value.message, caught.value.line) == ("line 102: a quoted field is never closed", 102)


def test_text_after_a_closing_quote_is_refused(tmp_path):
    error = problem(write(tmp_path, 'site,people\n"Kakuma" camp,12\n'))
    assert error.line == 2 and error.message.startswith("line 2: a closing quote is followed by other text")


# --- xlsx -----------------------------------------------------------------------------------


def workbook(tmp_path: Path, sheets: dict[str, list[list]], name: str = "camps.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_xlsx_values_become_text(tmp_path):
    path = workbook(tmp_path, {"Data": [
        ["site", "date", "departed", "people", "share", "note"],
        ["Kakuma", date(2024, 1, 31), datetime(2024, 2, 1, 0, 0), 476.0, 0.25, None],
        ["Dadaab", datetime(2024, 2, 1, 14, 30, 5), datetime(2024, 2, 2), 12, 1.5, " late "],
    ]})
    table, rows = read(path)
    assert (table.encoding, table.delimiter, table.columns[0]) == ("xlsx", "", "site")
    assert rows == [
        (2, ["Kakuma", "2024-01-31", "2024-02-01", "476", "0.25", ""]),
        (3, ["Dadaab", "2024-02-01T14:30:05", "2024-02-02", "12", "1.5", "late"]),
    ]


def test_xlsx_second_sheet_by_name(tmp_path):
    path = workbook(tmp_path, {"Notes": [["Read me"]], "Arrivals": [["site", "people"], ["Kakuma", 12]]})
    table, rows = read(path, sheet="Arrivals")
    assert table.columns == ["site", "people"]
    assert rows == [(2, ["Kakuma", "12"])]
    assert "read sheet 'Arrivals' (the workbook has 2 sheets: 'Notes', 'Arrivals')" in table.notes


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path):
    path = workbook(tmp_path, {"Notes": [["Read me"]], "Arrivals": [["site", "people"]]})
    assert problem(path, sheet="Departures").message == "no sheet named 'Departures': the sheets are 'Notes', 'Arrivals'"


def test_xlsx_line_numbers_are_sheet_rows_with_a_title_above_the_header(tmp_path):
    path = workbook(tmp_path, {"Data": [
        ["Arrivals in January"], [], ["site", "people"], ["Kakuma", 12], [], ["Dadaab", 7],
    ]})
    table, rows = read(path)
    assert table.header_line == 3
    assert rows == [(4, ["Kakuma", "12"]), (6, ["Dadaab", "7"])]
    assert "skipped 2 lines above the header (lines 1-2)" in table.notes


def test_xlsx_hxl_row_and_second_section(tmp_path):
    path = workbook(tmp_path, {"Data": [
        ["camp", "population"], ["#loc+camp+name", "#population"], ["Kakuma", 12], [None, None],
        ["Summary"], ["country", "total"], ["Kenya", 12],
    ]})
    table, rows = read(path)
    assert table.hxl == ["#loc+camp+name", "#population"]
    assert rows == [(3, ["Kakuma", "12"])]
    assert table.end_line == 5


def test_xlsx_empty_sheet(tmp_path):
    path = workbook(tmp_path, {"Data": [["site", "people"]], "Empty": []})
    assert problem(path, sheet="Empty").message == "the sheet 'Empty' is empty"


def test_a_damaged_workbook_is_a_file_problem(tmp_path):
    import zipfile

    path = tmp_path / "camps.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    assert problem(path).message.startswith("this Excel workbook cannot be read")


def test_a_stray_control_character_is_not_binary(tmp_path):
    table, rows = read(write(tmp_path, b"site,note\nKakuma,a\x07b\n"))
    assert rows == [(2, ["Kakuma", "a\x07b"])]


# --- the real files -------------------------------------------------------------------------


def test_real_iom_dtm_file_with_hxl_row():
    table, rows = read(real_file("iom_dtm_idps_hxl.csv"))
    assert table.header_line == 1
    assert table.hxl[:2] == ["#id+code", "#operation+name"]
    assert "HXL hashtag row on line 2" in table.notes
    assert len(rows) == 267
    assert rows[0][0] == 3 and rows[0][1][0] == "1080"
    assert rows[-1][0] == 269


def test_real_acled_file_with_bom():
    table, rows = read(real_file("acled_hapi_conflict_events_2025.csv"))
    assert table.encoding == "utf-8-sig"
    assert table.columns[0] == "location_code"
    assert len(rows) == 4_999
    assert rows[0] == (2, ["ALB", "N", "N", "", "", "", "", "", "", "0", "civilian_targeting", "0", "0", "2025-01-01", "2025-01-31",
                           "921fe117-7158-437b-943d-94969d545362", "fb139931-641f-4428-be77-429972878e19", "", ""])


def test_real_unhcr_file_with_semicolons_and_crlf():
    path = real_file("unhcr_indonesia_refugees_semicolon.csv")
    assert b"\r\n" in path.read_bytes()
    table, rows = read(path)
    assert table.delimiter == ";"
    assert table.columns == ["Years", "Country", "Origin", "Refugees", "AsylumSeekers", "Total"]
    # SOURCES.md says nothing of the count; the file holds 175 data lines (40+39+43+27+26 by year).
    assert len(rows) == 175
    assert rows[0] == (2, ["2011", "Indonesia", "Afghanistan", "476.0", "1649.0", "2125"])
    assert rows[-1] == (176, ["2015", "Indonesia", "Yemen", "6.0", "153.0", "159"])


# --- round trips ----------------------------------------------------------------------------

# Non-ASCII letters whose cp1252 bytes (all >= 0xC0) can never form valid UTF-8 by accident.
CP1252_LETTERS = "éèôçñüöäàâÉÖÜ"
UTF8_LETTERS = "éüÔñ漢字Ωж🙂"
ENCODINGS = {
    "utf-8": (lambda text: text.encode("utf-8"), UTF8_LETTERS, " \u00a0\u3000"),
    "utf-8-sig": (lambda text: text.encode("utf-8-sig"), UTF8_LETTERS, " \u00a0\u2009"),
    "utf-16": (lambda text: text.encode("utf-16"), UTF8_LETTERS, " \u00a0\u3000"),
    "cp1252": (lambda text: text.encode("cp1252"), CP1252_LETTERS, " \u00a0"),
}
NUMBER_LIKE = re.compile(r"[-+(]?\s*[$€£]?\s*(?:\d[\d,.\s']*|[.,]\d+)(?:[eE][-+]?\d+)?\s*%?\)?")


@st.composite
def csv_files(draw, padded: bool):
    """A table of text and number columns written by csv.writer, and what reading should give."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(sorted(ENCODINGS)))
    encode, letters, spaces = ENCODINGS[encoding]
    ending = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    breaks = "\n" if ending == "\r\n" else ""  # Python 3.11's writer quotes only the ending's characters
    if delimiter == "\t":
        spaces += "\t"
    width = draw(st.integers(2, 6))
    word = st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,8}", fullmatch=True).map(str.strip)
    header = draw(st.lists(word, min_size=width, max_size=width, unique_by=normalise_header))
    text = st.text(alphabet="abcXYZ019 " + letters + delimiter + '"' + breaks, max_size=10).map(str.strip)
    text = text.filter(lambda cell: not NUMBER_LIKE.fullmatch(cell))
    number = st.one_of(st.integers(0, 10**7).map(str), st.just(""))
    kinds = draw(st.lists(st.sampled_from([text, number]), min_size=width, max_size=width))
    rows = draw(st.lists(st.tuples(*kinds).map(list).filter(any), max_size=25))
    names = [normalise_header(name) for name in header]
    assume(all([normalise_header(cell) for cell in row] != names for row in rows))

    written = [header, *rows]
    if padded:
        pad = st.text(alphabet=spaces + breaks, max_size=2)
        written = [[draw(pad) + cell + draw(pad) for cell in row] for row in written]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(written)
    expected, line = [], 1 + 1 + sum(cell.count("\n") for cell in written[0])
    for row, raw in zip(rows, written[1:], strict=True):
        expected.append((line, row))
        line += 1 + sum(cell.count("\n") for cell in raw)
    return encode(out.getvalue()), encoding, delimiter, header, expected


def expected_encoding(data: bytes, encoding: str) -> str:
    if encoding == "cp1252" and data.isascii():
        return "utf-8"
    return encoding


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(csv_files(padded=False))
def test_written_tables_read_back_exactly(tmp_path_factory, case):
    data, encoding, delimiter, header, expected = case
    path = write(tmp_path_factory.mktemp("round"), data)
    table, rows = read(path)
    assert (table.delimiter, table.encoding) == (delimiter, expected_encoding(data, encoding))
    assert table.columns == header
    assert rows == expected
    assert table.notes in ([], ["the file is not valid UTF-8: read it as Windows-1252 (cp1252)"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(csv_files(padded=True))
def test_whitespace_around_cells_is_always_stripped(tmp_path_factory, case):
    data, encoding, delimiter, header, expected = case
    table, rows = read(write(tmp_path_factory.mktemp("padded"), data))
    assert table.columns == header
    assert rows == expected
