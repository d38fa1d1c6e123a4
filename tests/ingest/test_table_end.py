"""Where a table ends (issue 12): a wrong cell is an error on its line, never the end of the table; the
table ends early only on evidence (a blank line and a title or a new header, a header with other names,
footnotes), and the report then says how many lines were not read."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import table_digest, write

from resettle.domain.errors import ValidationFailed
from resettle.ingest import importer
from resettle.ingest.importer import ImportOptions
from resettle.ingest.reading import open_table
from resettle.store import db


def read(path, **options):
    table = open_table(path, **options)
    return table, list(table.rows)


def transfers_text(n: int, typo_line: int | None = None, typo: str = "ten") -> str:
    lines = ["site,date,host_country,people"]
    for line in range(2, n + 2):
        people = typo if line == typo_line else str(line % 50 + 1)
        lines.append(f"Camp Liberty,2015-{line % 12 + 1:02d}-{line % 28 + 1:02d},ALB,{people}")
    return "\n".join(lines) + "\n"


def stored(db_path, sql):
    c = db.connect(db_path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


# --- shapes that must NOT end the table --------------------------------------------------------


def test_a_typo_in_the_only_count_column_is_a_row_not_a_header(tmp_path):
    table, rows = read(write(tmp_path, "t.csv", transfers_text(10, typo_line=7)))
    assert len(rows) == 10 and rows[5] == (7, ["Camp Liberty", "2015-08-08", "ALB", "ten"])
    assert table.end_line is None and table.notes == []


def test_a_word_in_a_date_cell_is_a_row_when_the_counts_are_numbers(tmp_path):
    text = "site,date,residents,female\nKakuma,2024-01-31,12,6\nKakuma,January,14,7\nKakuma,2024-03-31,15,7\n"
    table, rows = read(write(tmp_path, "p.csv", text))
    assert [line for line, _ in rows] == [2, 3, 4]
    assert table.end_line is None


def test_one_count_column_without_dates_keeps_a_row_of_words(tmp_path):
    text = "site,people\nKakuma,12\nDadaab,ten\nNakivale,3\n"
    table, rows = read(write(tmp_path, "s.csv", text))
    assert rows == [(2, ["Kakuma", "12"]), (3, ["Dadaab", "ten"]), (4, ["Nakivale", "3"])]
    assert table.end_line is None


def test_rows_of_words_mid_file_without_a_blank_line_are_rows(tmp_path):
    text = ("site,date,people\nKakuma,2024-01-31,12\nKakuma,January,twelve\nDadaab,unknown date,seven\n"
            "Dadaab,2024-02-29,7\n")
    table, rows = read(write(tmp_path, "w.csv", text))
    assert [line for line, _ in rows] == [2, 3, 4, 5]
    assert table.end_line is None


def test_a_typo_with_a_date_after_a_blank_line_is_still_a_row(tmp_path):
    text = "site,date,people\nKakuma,2024-01-31,12\n\nDadaab,2024-01-31,seven\nDadaab,2024-02-29,7\n"
    table, rows = read(write(tmp_path, "b.csv", text))
    assert [line for line, _ in rows] == [2, 4, 5]
    assert table.end_line is None


# --- shapes that end it -------------------------------------------------------------------------


def test_a_header_with_other_names_ends_a_table_without_dates(tmp_path):
    text = "site,people\nKakuma,12\nCountry,Total\nKenya,12\n"
    table, rows = read(write(tmp_path, "h.csv", text))
    assert rows == [(2, ["Kakuma", "12"])]
    assert table.end_line == 3 and table.not_read == 2
    assert "2 non-blank lines after the table not read, the first (line 3): 'Country Total'" in table.notes


def test_a_title_after_a_blank_line_ends_the_table_and_says_how_many_lines_are_left(tmp_path):
    text = ("site,date,people\nKakuma,2024-01-31,12\nKakuma,2024-02-29,13\nKakuma,2024-03-31,14\n\n\n"
            "By country\n\ncountry,people\nKenya,12\nUganda,3\n")
    table, rows = read(write(tmp_path, "t.csv", text))
    assert [line for line, _ in rows] == [2, 3, 4]
    assert table.end_line == 7 and table.not_read == 4
    assert "table ends at line 7: a second section begins (lines 7-11 not read)" in table.notes
    assert "4 non-blank lines after the table not read, the first (line 7): 'By country'" in table.notes


@pytest.mark.parametrize("note", ["* 1 to 4 people", "1/ Includes family reunification.", "Note: provisional",
                                  "Source: UNHCR (2024)", "Figures for 2024 are provisional and may change.",
                                  "(1) Excluding Camp Ashraf"])
def test_footnotes_under_the_table_are_skipped_lines(tmp_path, note):
    text = f"site,date,people\nKakuma,2024-01-31,12\nDadaab,2024-01-31,7\n{note}\nGeneva office\n"
    table, rows = read(write(tmp_path, "f.csv", text))
    assert [line for line, _ in rows] == [2, 3]
    assert table.end_line == 4
    assert table.notes == [f"skipped 2 footnote lines (lines 4, 5), the first: {note!r}"]


def test_footnotes_after_a_blank_line_in_a_workbook(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["camp", "date", "residents"], ["Kakuma", "2024-01-31", 190000], ["Dadaab", "2024-01-31", 7000],
                [None, None, None], ["* Figures rounded"], ["Source: UNHCR"]):
        sheet.append(row)
    path = tmp_path / "f.xlsx"
    book.save(path)
    table, rows = read(path)
    assert [line for line, _ in rows] == [2, 3]
    assert table.end_line == 5
    assert table.notes == ["skipped 2 footnote lines (lines 5, 6), the first: '* Figures rounded'"]


def test_rows_with_figures_after_a_footnote_are_still_read(tmp_path):
    text = "site,date,people\nKakuma,2024-01-31,12\n* Kakuma: estimate\nDadaab,2024-01-31,7\n"
    table, rows = read(write(tmp_path, "m.csv", text))
    assert [line for line, _ in rows] == [2, 4]
    assert table.end_line is None
    assert table.notes == ["skipped 1 footnote line (line 3), the first: '* Kakuma: estimate'",
                           "rows with figures after the footnotes were read as data, the first on line 4"]


def test_footnotes_are_not_rejected_rows_in_an_import(db_path, tmp_path):
    text = ("site,date,people,host_country\nKakuma,2024-01-31,12,ALB\nDadaab,2024-01-31,7,ALB\n\n"
            "* Departures by air only\nNote: figures are provisional\n")
    report = importer.import_file(db_path, "transfers", write(tmp_path, "f.csv", text),
                                  ImportOptions(skip_invalid=True))
    assert (report.rows_read, report.added, report.rejected) == (2, 2, 0)
    assert "  skipped 2 footnote lines (lines 5, 6), the first: '* Departures by air only'" in report.lines()
    assert stored(db_path, "SELECT sum(people) FROM transfers") == [(19,)]


# --- the 10,000-row file with one typo ------------------------------------------------------------


def test_a_typo_on_line_7777_is_an_error_there_and_nothing_is_written(db_path, tmp_path):
    path = write(tmp_path, "transfers.csv", transfers_text(10_000, typo_line=7_777))
    before = table_digest(db_path)
    with pytest.raises(ValidationFailed) as info:
        importer.import_file(db_path, "transfers", path)
    assert [(e.line, e.column) for e in info.value.errors] == [(7_777, "people")]
    assert "'ten' is not a number" in str(info.value.errors[0])
    assert table_digest(db_path) == before


def test_a_typo_on_line_7777_with_skip_invalid_keeps_the_other_9999_rows(db_path, tmp_path):
    path = write(tmp_path, "transfers.csv", transfers_text(10_000, typo_line=7_777))
    report = importer.import_file(db_path, "transfers", path, ImportOptions(skip_invalid=True))
    assert (report.rows_read, report.added, report.rejected) == (10_000, 9_999, 1)
    assert stored(db_path, "SELECT count(*) FROM transfers") == [(9_999,)]
    expected = sum(line % 50 + 1 for line in range(2, 10_002) if line != 7_777)
    assert stored(db_path, "SELECT sum(people) FROM transfers") == [(expected,)]


def test_a_footnote_split_by_a_comma_is_still_a_footnote(tmp_path):
    text = "site,date,people\nKakuma,2024-01-31,12\nDadaab,2024-01-31,7\nSource: UNHCR, 2024\n"
    table, rows = read(write(tmp_path, "f.csv", text))
    assert [line for line, _ in rows] == [2, 3]
    assert table.notes == ["skipped 1 footnote line (line 4), the first: 'Source: UNHCR 2024'"]


def test_a_title_that_reads_like_a_note_then_a_second_header_ends_the_table(tmp_path):
    text = ("site,date,people\nKakuma,2024-01-31,12\nDadaab,2024-01-31,7\n\nTable 2. Departures by country.\n"
            "country,date,people\nKenya,2024-01-31,19\n")
    table, rows = read(write(tmp_path, "t.csv", text))
    assert [line for line, _ in rows] == [2, 3]
    assert table.end_line == 6
    assert "skipped 1 footnote line (line 5), the first: 'Table 2. Departures by country.'" in table.notes
    assert "table ends at line 6: a second section begins (lines 6-7 not read)" in table.notes


def test_us_dates_are_dates_for_the_rule(tmp_path):
    text = "site,date,people\nKakuma,12/31/2024,12\nKakuma,11/30/2024,ten\nKakuma,10/31/2024,7\n"
    table, rows = read(write(tmp_path, "us.csv", text))
    assert [line for line, _ in rows] == [2, 3, 4] and table.end_line is None
