"""Headers over two lines (issue 12): a merged cell above its sub-columns, in CSV and XLSX; names joined
top to bottom, and the lower part alone names a column in --map where no other column has it."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import write

from resettle.domain.errors import FileProblem
from resettle.ingest import importer
from resettle.ingest.importer import ImportOptions
from resettle.ingest.reading import open_table
from resettle.store import db

ARRIVALS = ("Arrivals by nationality\n"
            "Nationality,Date,FY Total,,FY 2024,\n"
            ",,to the U.S.,to Canada,to the U.S.,to Canada\n"
            "Eritrea,2024-09-30,10,2,5,1\n"
            "Sudan,2024-09-30,7,1,3,0\n")
JOINED = ["Nationality", "Date", "FY Total / to the U.S.", "FY Total / to Canada", "FY 2024 / to the U.S.",
          "FY 2024 / to Canada"]


def stored(db_path, sql):
    c = db.connect(db_path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def test_a_csv_header_over_two_lines(tmp_path):
    table = open_table(write(tmp_path, "a.csv", ARRIVALS))
    assert table.columns == JOINED and table.header_line == 2
    assert list(table.rows) == [(4, ["Eritrea", "2024-09-30", "10", "2", "5", "1"]),
                                (5, ["Sudan", "2024-09-30", "7", "1", "3", "0"])]
    assert "header over lines 2-3: column names joined top to bottom ('FY Total / to the U.S.')" in table.notes


def test_an_xlsx_header_with_merged_cells(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Camp", "2023", None, "2024", None], [None, "Jan", "Feb", "Jan", "Feb"],
                ["Kakuma", 10, 11, 12, 13]):
        sheet.append(row)
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("D1:E1")
    sheet.merge_cells("A1:A2")
    path = tmp_path / "m.xlsx"
    book.save(path)
    table = open_table(path)
    assert table.columns == ["Camp", "2023 / Jan", "2023 / Feb", "2024 / Jan", "2024 / Feb"]
    assert list(table.rows) == [(3, ["Kakuma", "10", "11", "12", "13"])]


def test_a_one_line_header_over_rows_of_words_is_not_joined(tmp_path):
    table = open_table(write(tmp_path, "s.csv", "name,country,type\nKakuma,Kenya,camp\nDadaab,Kenya,camp\n"))
    assert table.columns == ["name", "country", "type"]
    assert [line for line, _ in table.rows] == [2, 3]


def test_the_lower_part_alone_maps_where_it_is_unambiguous(db_path, tmp_path):
    text = "Nationality,Date,Departures,\n,,Individuals,Cases\nEritrea,2024-09-30,10,2\nSudan,2024-09-30,7,1\n"
    report = importer.import_file(db_path, "transfers", write(tmp_path, "d.csv", text), ImportOptions(
        column_map={"people": "individuals", "origin_country": "Nationality"},
        set_values={"site": "Camp Liberty", "host_country": "CAN"}))
    assert report.mapping["people"] == "Departures / Individuals"
    assert stored(db_path, "SELECT origin_country, people FROM transfers ORDER BY id") == [("ERI", 10), ("SDN", 7)]


def test_an_ambiguous_lower_part_names_the_columns_it_could_be(db_path, tmp_path):
    with pytest.raises(FileProblem) as info:
        importer.import_file(db_path, "transfers", write(tmp_path, "a.csv", ARRIVALS), ImportOptions(
            column_map={"people": "to Canada"}, set_values={"site": "Camp Liberty", "host_country": "CAN"}))
    assert str(info.value) == ("a.csv:2: --map: 'to Canada' is the lower part of 2 columns ('FY Total / to Canada', "
                               "'FY 2024 / to Canada'); name one in full")
    importer.import_file(db_path, "transfers", write(tmp_path, "a.csv", ARRIVALS), ImportOptions(
        column_map={"people": "FY 2024 / to Canada", "origin_country": "Nationality"},
        set_values={"site": "Camp Liberty", "host_country": "CAN"}))
    assert stored(db_path, "SELECT origin_country, people FROM transfers ORDER BY id") == [("ERI", 1), ("SDN", 0)]


def test_a_line_of_metadata_right_above_the_header_is_not_part_of_it(tmp_path):
    table = open_table(write(tmp_path, "m.csv", "Country:,Kenya\nsite,date,people\nKakuma,2024-01-31,12\n"))
    assert table.columns == ["site", "date", "people"] and table.header_line == 2
    assert table.notes == ["skipped 1 line above the header (line 1)"]
