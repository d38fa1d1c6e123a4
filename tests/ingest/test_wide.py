"""Wide tables (issue 12): one column per site, date or country; each value cell one record."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import table_digest, write

from resettle.domain.errors import FileProblem, UsageError
from resettle.ingest import importer
from resettle.ingest.importer import ImportOptions
from resettle.store import db

WORLD_BANK = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "worldbank_refugees_by_origin_wide.csv"


def imp(db_path, kind, path, **options) -> importer.ImportReport:
    return importer.import_file(db_path, kind, path, ImportOptions(**options))


def stored(db_path, sql, params=()):
    c = db.connect(db_path)
    try:
        return c.execute(sql, params).fetchall()
    finally:
        c.close()


def test_the_world_bank_file_years_as_columns(db_path):
    report = imp(db_path, "population", WORLD_BANK, columns_are="date", column_map={"origin_country": "Country Code"},
                 set_values={"site": "Refugees worldwide"})
    assert report.added == 5_159
    assert stored(db_path, "SELECT count(*), count(DISTINCT origin_country) FROM population_counts") == [(5_159, 201)]
    by = dict(stored(db_path, "SELECT origin_country, residents FROM population_counts WHERE date = '2018-12-31'"))
    assert by["AFG"] == 2_681_269 and by["SYR"] == 6_654_386
    assert stored(db_path, "SELECT sum(residents) FROM population_counts WHERE date = '2018-12-31'") == [(19_957_905,)]
    assert stored(db_path, "SELECT min(date), max(date) FROM population_counts") == [("1990-12-31", "2018-12-31")]
    left_out = next(n for n in report.notes if n.startswith("left out"))
    assert left_out.startswith("left out 47 total rows: lines 11, 40, 53,")
    assert "'IDA total'" in left_out and "'ARB'" in left_out
    assert any("5,159 cells on 217 lines" in n for n in report.notes)


def test_without_the_option_the_error_suggests_it(db_path):
    with pytest.raises(FileProblem) as info:
        imp(db_path, "population", WORLD_BANK)
    assert "the columns 1960 ... 2019 look like dates: try --columns-are date" in str(info.value).lower()


def camps_workbook(tmp_path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Month", "Kakuma", "Dadaab", "Nakivale", "Total"],
                ["Jan 2024", 100, 50, None, 150],
                ["Feb 2024", 90, 45, 10, 145],
                ["Mar 2024", 80, "", 12, 92],
                ["Total", 270, 95, 22, 387]):
        sheet.append(row)
    path = tmp_path / "camps.xlsx"
    book.save(path)
    return path


def test_a_camp_per_column_monthly_table(db_path, tmp_path):
    report = imp(db_path, "transfers", camps_workbook(tmp_path), columns_are="site",
                 set_values={"host_country": "Albania"})
    assert stored(db_path, "SELECT s.name, t.date, t.people FROM transfers t JOIN sites s ON s.id = t.site_id "
                           "ORDER BY s.name, t.date") == [
        ("Dadaab", "2024-01-01", 50), ("Dadaab", "2024-02-01", 45),
        ("Kakuma", "2024-01-01", 100), ("Kakuma", "2024-02-01", 90), ("Kakuma", "2024-03-01", 80),
        ("Nakivale", "2024-02-01", 10), ("Nakivale", "2024-03-01", 12)]
    assert "left out total column: 'Total'" in report.notes
    assert any("2 empty cells, no record" in n for n in report.notes)
    assert any(n.startswith("left out 1 total row: line 5") for n in report.notes)


def test_a_country_matrix_of_departures(db_path, tmp_path):
    text = ("Camp,Date,Albania,Germany,Total\n"
            "Camp Liberty,2013-05-31,30,,30\n"
            "Camp Liberty,2013-06-30,12,3,15\n")
    report = imp(db_path, "transfers", write(tmp_path, "m.csv", text), columns_are="host_country")
    assert stored(db_path, "SELECT host_country, date, people FROM transfers ORDER BY id") == [
        ("ALB", "2013-05-31", 30), ("ALB", "2013-06-30", 12), ("DEU", "2013-06-30", 3)]
    assert report.added == 3


def test_wide_options_that_cannot_apply(db_path, tmp_path):
    path = write(tmp_path, "m.csv", "Camp,Date,Albania\nCamp Liberty,2013-05-31,30\n")
    before = table_digest(db_path)
    with pytest.raises(UsageError, match="no field 'host_country'"):
        imp(db_path, "population", path, columns_are="host_country")
    with pytest.raises(UsageError, match="--skip-invalid"):
        imp(db_path, "transfers", path, columns_are="host_country", skip_invalid=True)
    with pytest.raises(UsageError, match="leave out --map people"):
        imp(db_path, "transfers", path, columns_are="host_country", column_map={"people": "Albania"})
    with pytest.raises(FileProblem, match="no column's header reads as a date"):
        imp(db_path, "transfers", path, columns_are="date", set_values={"host_country": "ALB"})
    assert table_digest(db_path) == before


def test_a_bad_cell_names_its_line(db_path, tmp_path):
    text = "Camp,Date,Albania,Germany\nCamp Liberty,2013-05-31,30,2\nCamp Liberty,2013-06-30,twelve,3\n"
    before = table_digest(db_path)
    with pytest.raises(Exception) as info:
        imp(db_path, "transfers", write(tmp_path, "bad.csv", text), columns_are="host_country")
    assert "bad.csv:3: people" in str(info.value) and "'twelve' is not a number" in str(info.value)
    assert table_digest(db_path) == before


def test_a_country_matrix_without_the_option_suggests_it(db_path, tmp_path):
    path = write(tmp_path, "m.csv", "Camp,Date,Albania,Germany,Italy\nCamp Liberty,2013-05-31,30,2,1\n")
    with pytest.raises(FileProblem) as info:
        imp(db_path, "transfers", path)
    assert str(info.value).endswith("The columns Albania ... Italy look like countries: try --columns-are host_country.")


def test_a_camp_empty_in_the_first_lines_is_still_a_column_of_its_own(db_path, tmp_path):
    months = [f"{year}-{month:02d}" for year in range(2015, 2021) for month in range(1, 13)]  # 72 months
    lines = ["Month,Kakuma,Kalobeyei,Notes"]
    lines += [f"{m},{100 + i},{'' if i < 60 else i - 59},{'steady' if i < 60 else 'opened'}" for i, m in enumerate(months)]
    report = imp(db_path, "population", write(tmp_path, "camps.csv", "\n".join(lines) + "\n"), columns_are="site")
    assert stored(db_path, "SELECT s.name, count(*), sum(p.residents) FROM population_counts p "
                           "JOIN sites s ON s.id = p.site_id GROUP BY s.name ORDER BY s.name") == [
        ("Kakuma", 72, sum(range(100, 172))), ("Kalobeyei", 12, sum(range(1, 13)))]
    assert "columns not used: Notes" in report.notes
    assert any("60 empty cells, no record" in n for n in report.notes)


def test_camp_columns_whose_counts_look_like_years_are_sites(db_path, tmp_path):
    # Camp Liberty's 3,100 to 2,000 residents read like years in the first lines; a column named as no field
    # holding whole numbers is a site's all the same, and a column named Year stays the date.
    text = "Year,Camp Liberty,Camp Ashraf,Total\n2013,3100,100,3200\n2014,2050,,2050\n2015,2000,80,2080\n"
    report = imp(db_path, "population", write(tmp_path, "camps.csv", text), columns_are="site")
    assert report.added == 5
    assert stored(db_path, "SELECT s.name, p.date, p.residents FROM population_counts p JOIN sites s ON s.id = p.site_id "
                           "ORDER BY s.name, p.date") == [
        ("Camp Ashraf", "2013-12-31", 100), ("Camp Ashraf", "2015-12-31", 80),
        ("Camp Liberty", "2013-12-31", 3100), ("Camp Liberty", "2014-12-31", 2050), ("Camp Liberty", "2015-12-31", 2000)]
    assert not any(n.startswith("columns not used") for n in report.notes)


def test_without_the_option_columns_of_numbers_named_as_no_field_suggest_sites(db_path, tmp_path):
    text = "Month,Camp Liberty,Camp Ashraf,Total\n2013-01,3100,100,3200\n2013-02,3050,,3050\n"
    with pytest.raises(FileProblem) as info:
        imp(db_path, "population", write(tmp_path, "camps.csv", text))
    assert str(info.value).endswith("The columns Camp Liberty and Camp Ashraf hold numbers and are named as no field: "
                                    "if each is a site, try --columns-are site.")
