"""Totals and subtotals are not data (issue 12): rows labelled total, aggregates of countries and
unlabelled sums are left out before values are parsed, in both engines, and the report lists them."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import table_digest, write

from resettle.domain.errors import FileProblem
from resettle.ingest import columnar, importer
from resettle.ingest.importer import ImportOptions
from resettle.store import db


def imp(db_path, kind, path, **options) -> importer.ImportReport:
    return importer.import_file(db_path, kind, path, ImportOptions(**options))


def stored(db_path, sql):
    c = db.connect(db_path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def note(report) -> str:
    return next(n for n in report.notes if n.startswith("left out"))


def report_workbook(tmp_path):
    """An arrivals report by country of origin: region subtotals, a grand total, a heading row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Arrivals"
    for row in (["Refugee arrivals by nationality, 2024"], [],
                ["Region", "Nationality", "Date", "Arrivals"],
                ["Africa", "Eritrea", "2024-12-31", 1200],
                ["Africa", "Sudan", "2024-12-31", 800],
                ["Total Africa", None, "2024-12-31", 2000],
                ["Middle East", "Syria", "2024-12-31", 3000],
                ["Middle East", "Iraq", "2024-12-31", 500],
                ["Sub-total", None, "2024-12-31", 3500],
                ["Grand Total", None, "2024-12-31", 5500]):
        sheet.append(row)
    path = tmp_path / "arrivals.xlsx"
    book.save(path)
    return path


def test_an_xlsx_report_lands_its_own_grand_total(db_path, tmp_path):
    report = imp(db_path, "transfers", report_workbook(tmp_path), column_map={"origin_country": "Nationality"},
                 set_values={"site": "Camp Liberty", "host_country": "Albania"})
    assert stored(db_path, "SELECT sum(people), count(*) FROM transfers") == [(5500, 4)]
    assert (report.rows_read, report.added, report.rejected) == (7, 4, 0)
    assert note(report).startswith("left out 3 total rows: lines 6, 9, 10; 3 labelled as totals "
                                   "('Total Africa', 'Sub-total', 'Grand Total')")


def test_keep_totals_keeps_them(db_path, tmp_path):
    report = imp(db_path, "transfers", report_workbook(tmp_path), column_map={"origin_country": "Nationality"},
                 set_values={"site": "Camp Liberty", "host_country": "Albania"}, keep_totals=True)
    assert stored(db_path, "SELECT sum(people), count(*) FROM transfers") == [(16500, 7)]
    assert not any(n.startswith("left out") for n in report.notes)


def test_french_labels_and_aggregate_places(db_path, tmp_path):
    text = ("Camp;Date;Pays d'origine;Personnes\n"
            "Kakuma;31/12/2024;SSD;120\n"
            "Kakuma;31/12/2024;SOM;30\n"
            "Dadaab;31/12/2024;SOM;4\n"
            "Dadaab;31/12/2024;ETH;5\n"
            "Dadaab;31/12/2024;ERI;7\n"
            "Sous-total;31/12/2024;;166\n"
            "Kakuma;31/12/2024;Afrique;150\n"
            "Dadaab;31/12/2024;WLD;9\n"
            "Total général;31/12/2024;;175\n")
    path = write(tmp_path, "fr.csv", text)
    report = imp(db_path, "population", path, column_map={"residents": "Personnes", "origin_country": "Pays d'origine"})
    assert stored(db_path, "SELECT sum(residents), count(*) FROM population_counts") == [(166, 5)]
    assert "left out 4 total rows: lines 7, 8, 9, 10" in note(report)


def test_an_aggregate_origin_never_stays_as_an_empty_country(db_path, tmp_path):
    text = "site,date,origin_country,residents\nKakuma,2024-12-31,SSD,100\nKakuma,2024-12-31,World,100\n"
    imp(db_path, "population", write(tmp_path, "w.csv", text))
    assert stored(db_path, "SELECT origin_country, residents FROM population_counts") == [("SSD", 100)]


def test_an_unlabelled_row_that_sums_its_block_is_a_total(db_path, tmp_path):
    text = ("site,date,host_country,people\nKakuma,2024-01-01,ALB,10\nDadaab,2024-01-01,ALB,5\n"
            ",2024-01-01,,15\n\nNakivale,2024-02-01,DEU,7\nKyangwali,2024-02-01,DEU,3\nAll sites,2024-02-01,DEU,10\n"
            ",,,25\n")
    report = imp(db_path, "transfers", write(tmp_path, "s.csv", text))
    assert stored(db_path, "SELECT sum(people), count(*) FROM transfers") == [(25, 4)]
    assert "left out 3 total rows: lines 4, 8, 9" in note(report)
    assert "1 labelled as totals ('All sites')" in note(report) and "2 sums of the rows above ('15', '25')" in note(report)


def test_real_sites_and_countries_named_like_totals_are_data(db_path, tmp_path):
    text = ("site,date,origin_country,residents\nAll Saints,2024-12-31,ZAF,10\nAll Saints,2024-12-31,CAF,5\n"
            "All Saints,2024-12-31,South Africa,15\nAmericas Camp,2024-12-31,Central African Republic,30\n")
    report = imp(db_path, "population", write(tmp_path, "r.csv", text))
    assert stored(db_path, "SELECT count(*), sum(residents) FROM population_counts") == [(4, 60)]
    assert not any(n.startswith("left out") for n in report.notes)


def test_a_row_whose_count_equals_the_rows_above_but_names_a_site_again_is_data(db_path, tmp_path):
    text = ("site,date,host_country,people\nKakuma,2024-01-01,ALB,10\nDadaab,2024-01-01,ALB,5\n"
            "Nakivale,2024-01-01,ALB,15\nNakivale,2024-02-01,ALB,2\n")
    report = imp(db_path, "transfers", write(tmp_path, "n.csv", text))
    assert stored(db_path, "SELECT count(*), sum(people) FROM transfers") == [(4, 32)]
    assert not any(n.startswith("left out") for n in report.notes)


def test_a_new_name_whose_count_is_the_sum_above_stops_the_import(db_path, tmp_path):
    # Three camps, the third as big as the first two: a new site as likely as a total. No guess: it stops,
    # names the line, and --keep-totals imports it as a row.
    text = "site,date,residents\nCamp A,2015-01-31,5\nCamp B,2015-01-31,5\nCamp C,2015-01-31,10\n"
    before = table_digest(db_path)
    with pytest.raises(FileProblem) as info:
        imp(db_path, "population", write(tmp_path, "c.csv", text))
    assert str(info.value).startswith("c.csv:4: 'Camp C' counts 10, the sum of the rows above it: a total, or a row "
                                      "of its own? If it is data, import with --keep-totals")
    assert table_digest(db_path) == before
    report = imp(db_path, "population", write(tmp_path, "c.csv", text), keep_totals=True)
    assert report.added == 3
    assert stored(db_path, "SELECT count(*), sum(residents) FROM population_counts") == [(3, 20)]


def test_a_known_site_or_country_is_never_a_sum(db_path, tmp_path):
    imp(db_path, "sites", write(tmp_path, "sites.csv", "name\nNakivale\n"))
    text = "site,date,host_country,people\nKakuma,2024-01-01,ALB,10\nDadaab,2024-01-01,ALB,5\nNakivale,2024-01-01,ALB,15\n"
    imp(db_path, "transfers", write(tmp_path, "k.csv", text))
    assert stored(db_path, "SELECT count(*), sum(people) FROM transfers") == [(3, 30)]


def test_too_many_totals_stop_the_import(db_path, tmp_path):
    text = ("Group,site,date,residents\nTotal,Kakuma,2024-12-31,10\nTotal,Dadaab,2024-12-31,5\n"
            "Total,Nakivale,2024-12-31,1\nRefugees,Kyangwali,2024-12-31,3\n")
    before = table_digest(db_path)
    with pytest.raises(FileProblem) as info:
        imp(db_path, "population", write(tmp_path, "t.csv", text))
    assert "3 of 4 rows read as totals (the first, line 2: 'Total')" in str(info.value) and "--keep-totals" in str(info.value)
    assert table_digest(db_path) == before


def test_the_columnar_engine_leaves_totals_to_the_general_one(db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0)
    plain = "site,date,host_country,people\n" + "".join(f"Camp {i % 3},2024-01-0{i % 9 + 1},ALB,{i + 1}\n"
                                                          for i in range(30))
    report = imp(db_path, "transfers", write(tmp_path, "plain.csv", plain))
    assert report.fast_path and report.added == 30
    with_total = plain + "Total,2024-01-31,ALB,465\n"
    report = imp(db_path, "transfers", write(tmp_path, "total.csv", with_total))
    assert not report.fast_path
    assert report.present == 30 and report.added == 0 and "left out 1 total row: line 32" in note(report)
    assert stored(db_path, "SELECT sum(people) FROM transfers") == [(465,)]


def test_a_file_of_nothing_but_totals_says_so(db_path, tmp_path):
    with pytest.raises(FileProblem) as info:
        imp(db_path, "population", write(tmp_path, "t.csv", "site,date,residents\nTotal,2024-12-31,16\n"))
    assert str(info.value) == ("t.csv:2: every row is a total (the first, line 2: 'Total'): nothing else to import. "
                               "If they are data, import with --keep-totals")


def test_a_small_report_with_a_total_per_group_is_not_too_many_totals(db_path, tmp_path):
    text = ("Nationality,Date,Arrivals\nEritrea,2024-12-31,10\nTotal Africa,2024-12-31,10\nSyria,2024-12-31,5\n"
            "Total Asia,2024-12-31,5\nGrand total,2024-12-31,15\n")
    report = imp(db_path, "transfers", write(tmp_path, "g.csv", text), column_map={"origin_country": "Nationality"},
                 set_values={"site": "Camp Liberty", "host_country": "ALB"})
    assert stored(db_path, "SELECT sum(people), count(*) FROM transfers") == [(15, 2)]
    assert note(report).startswith("left out 3 total rows: lines 3, 5, 6;")


def test_state_department_regions_above_their_countries_are_left_out(db_path, tmp_path):
    # An arrivals report by region of nationality: each region's subtotal on a row above its countries, the
    # world's at the end. Counted as data they would double the total; stored with an empty origin they
    # would hide it.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    regions = {"Africa": [("Congo, Democratic Republic", 16370), ("Somalia", 9020), ("Eritrea", 1949)],
               "East Asia": [("Burma", 12347), ("Bhutan", 5817)],
               "Near East/South Asia": [("Syria", 12587), ("Iraq", 9880), ("Iran", 3750)],
               "Latin America/Caribbean": [("Cuba", 1200)]}
    sheet.append(["Nationality", "Arrivals"])
    for region, rows in regions.items():
        sheet.append([region, sum(n for _, n in rows)])
        for row in rows:
            sheet.append(list(row))
    sheet.append(["World", 72920])
    book.save(tmp_path / "arrivals.xlsx")
    report = imp(db_path, "transfers", tmp_path / "arrivals.xlsx", column_map={"origin_country": "Nationality"},
                 set_values={"site": "Camp Liberty", "host_country": "USA", "date": "2016-09-30"})
    assert stored(db_path, "SELECT sum(people), count(*), count(origin_country) FROM transfers") == [(72920, 9, 9)]
    assert note(report).startswith("left out 5 total rows: lines 2, 6, 9, 13, 15;")
    assert not report.stored_empty


def test_a_series_whose_next_step_is_the_sum_of_the_steps_before_is_data(db_path, tmp_path):
    # One camp month by month (the site set for the file): March's 100 departures are 40 + 60, and March's
    # count of 3,000 is 2,000 + 1,000, by chance. A row of a date of its own is the next step, not a total.
    series = "date,people\n2015-01-31,40\n2015-02-28,60\n2015-03-31,100\n2015-04-30,30\n"
    report = imp(db_path, "transfers", write(tmp_path, "t.csv", series), set_values={"site": "A", "host_country": "ALB"})
    assert report.added == 4 and stored(db_path, "SELECT sum(people) FROM transfers") == [(230,)]
    counts = "month,residents\n2015-01,2000\n2015-02,1000\n2015-03,3000\n"
    report = imp(db_path, "population", write(tmp_path, "p.csv", counts), set_values={"site": "A"})
    assert report.added == 3 and not any(n.startswith("left out") for n in report.notes)
    # Dated as its block, or not at all, an unlabelled sum is still a total.
    dated = "date,people\n2016-01-31,40\n2016-01-31,60\n2016-01-31,100\n"
    report = imp(db_path, "transfers", write(tmp_path, "d.csv", dated), set_values={"site": "B", "host_country": "ALB"})
    assert report.added == 2 and note(report).startswith("left out 1 total row: line 4;")
