"""Files as publishers print them: dates split over columns, fiscal years, suppressed counts, origins that are
no country, column names holding "+", incident headers; and a mapping that is shown, and checked against the
values, before anything is read as a figure."""

from __future__ import annotations

import csv

import pytest
from conftest import run_cli, table_digest, write

from resettle.domain.errors import FileProblem, ValidationFailed
from resettle.ingest import columnar, importer, review
from resettle.ingest.importer import ImportOptions
from resettle.store import db


def rows(db_path, sql):
    c = db.connect(db_path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def imp(db_path, kind, path, **options) -> importer.ImportReport:
    return importer.import_file(db_path, kind, path, ImportOptions(**options))


# ---------------------------------------------------------------- dates split over columns


def test_a_date_split_over_year_month_and_day(db_path, tmp_path):
    text = ("Camp,Year,Month,Day,Destination,Persons\n"
            "Liberty,2015,3,14,Albania,10\n"
            "Liberty,2015,Sept,,Albania,20\n"      # a month alone: a flow is dated its first day
            "Liberty,2016,,,Germany,5\n"           # a year alone: its first day
            "Liberty,2016,décembre,2,Finland,7\n")
    report = imp(db_path, "transfers", write(tmp_path, "split.csv", text), column_map={"date": "Year+Month+Day"})
    assert report.added == 4
    assert rows(db_path, "SELECT date, host_country, people FROM transfers ORDER BY id") == [
        ("2015-03-14", "ALB", 10), ("2015-09-01", "ALB", 20), ("2016-01-01", "DEU", 5), ("2016-12-02", "FIN", 7)]
    assert report.mapping["date"] == "Year + Month + Day"


def test_a_split_month_of_a_population_count_is_its_last_day(db_path, tmp_path):
    text = "Camp,Year,Month,Residents\nLiberty,2015,février,3000\nLiberty,2016,Feb,2000\nLiberty,2016,,1500\n"
    imp(db_path, "population", write(tmp_path, "pop.csv", text), column_map={"date": "Year+Month"})
    assert rows(db_path, "SELECT date, residents FROM population_counts ORDER BY id") == [
        ("2015-02-28", 3000), ("2016-02-29", 2000), ("2016-12-31", 1500)]


def test_a_split_date_that_is_no_date_is_an_error_on_its_line(db_path, tmp_path):
    text = "Camp,Year,Month,Day,Destination,Persons\nLiberty,2015,13,1,Albania,10\nLiberty,2015,2,30,Albania,3\n"
    before = table_digest(db_path)
    with pytest.raises(ValidationFailed) as caught:
        imp(db_path, "transfers", write(tmp_path, "bad.csv", text), column_map={"date": "Year+Month+Day"})
    assert [str(e) for e in caught.value.errors] == [
        "bad.csv:2: Year + Month + Day: '2015 / 13 / 1': '13' is not a month that exists",
        "bad.csv:3: Year + Month + Day: '2015 / 2 / 30' is not a date that exists"]
    assert table_digest(db_path) == before


# ---------------------------------------------------------------- fiscal years


FY_ARRIVALS = ("Site,Fiscal Year,Arrivals,Nationality\n"
               "US arrivals,2024,100,Burkina Faso (UVolta)\n"
               "US arrivals,FY2023,50,\"Korea, Republic of South\"\n"
               "US arrivals,FY22,7,Burma\n"
               "US arrivals,2025*,3,Laos\n")


def test_fiscal_years_are_the_twelve_months_ending_in_them(db_path, tmp_path):
    path = write(tmp_path, "fy.csv", FY_ARRIVALS)
    report = imp(db_path, "transfers", path, set_values={"host_country": "USA"}, fiscal_year_start=10)
    assert report.added == 4
    # Flows at the first day of the fiscal year; State Department spellings of the origins.
    assert rows(db_path, "SELECT date, people, origin_country FROM transfers ORDER BY id") == [
        ("2023-10-01", 100, "BFA"), ("2022-10-01", 50, "KOR"), ("2021-10-01", 7, "MMR"), ("2024-10-01", 3, "LAO")]


def test_a_fiscal_year_count_is_dated_the_last_day(db_path, tmp_path):
    text = "Site,FY,Residents\nCamp A,2024,100\nCamp A,FY 2023,120\n"
    imp(db_path, "population", write(tmp_path, "fyp.csv", text), fiscal_year_start=7)
    assert rows(db_path, "SELECT date, residents FROM population_counts ORDER BY id") == [
        ("2024-06-30", 100), ("2023-06-30", 120)]


def test_fiscal_years_without_the_option_stop_the_import_and_say_why(db_path, tmp_path):
    before = table_digest(db_path)
    with pytest.raises(ValidationFailed) as caught:
        imp(db_path, "transfers", write(tmp_path, "fy.csv", FY_ARRIVALS), set_values={"host_country": "USA"})
    assert len(caught.value.errors) == 4
    assert all("is a fiscal year: say in which month the fiscal year starts with --fiscal-year-start MONTH"
               in e.message for e in caught.value.errors)
    assert table_digest(db_path) == before


# ---------------------------------------------------------------- suppressed counts


SUPPRESSED = ("Country,Year,Origin,Refugees,Female\n"
              "Indonesia,2015,Afghanistan,300,*\n"
              "Indonesia,2015,Iraq,*,1\n"
              "Indonesia,2015,Somalia,<5,\n"
              "Indonesia,2015,Sudan,40,x\n"
              "Indonesia,2015,Eritrea,..,c\n"
              "Indonesia,2015,Syria,25,10\n")


def test_a_suppressed_required_count_leaves_its_row_out_and_says_so(db_path, tmp_path):
    report = imp(db_path, "population", write(tmp_path, "unhcr.csv", SUPPRESSED))
    assert report.rows_read == 6 and report.added == 3 and report.rejected == 0 and report.suppressed_rows == 3
    assert rows(db_path, "SELECT origin_country, residents, female FROM population_counts ORDER BY id") == [
        ("AFG", 300, None), ("SDN", 40, None), ("SYR", 25, 10)]
    lines = report.lines()
    assert lines[0].startswith("unhcr.csv: 6 rows read; added 3, updated 0, already present 0, rejected 0, "
                               "suppressed 3 (")
    assert "  left out 1 row: Refugees suppressed by the source: '*' is a figure from 1 to 4, UNHCR's mark (line 3)" in lines
    assert "  left out 1 row: Refugees suppressed by the source: '<5' is a figure under 5 (line 4)" in lines
    assert "  left out 1 row: Refugees suppressed by the source: '..' is a figure not published (line 6)" in lines
    # In an optional count: stored empty, counted with the people of its rows (the row with 'c' was left out).
    assert ("  female '*': 1 row, 300 people, stored empty (suppressed by the source: '*' is a figure from 1 to 4, "
            "UNHCR's mark)") in lines
    assert "  female 'x': 1 row, 40 people, stored empty (suppressed by the source: 'x' is a figure withheld)" in lines
    assert not any("'c'" in line for line in lines)


def test_a_sum_with_a_suppressed_part_is_suppressed(db_path, tmp_path):
    text = "Camp,Date,Refugees,Asylum seekers\nA camp,2015-12-31,10,*\nA camp,2016-12-31,10,2\n"
    report = imp(db_path, "population", write(tmp_path, "sum.csv", text),
                 column_map={"residents": "Refugees+Asylum seekers"})
    assert rows(db_path, "SELECT date, residents FROM population_counts") == [("2016-12-31", 12)]
    assert report.suppressed_rows == 1


# ---------------------------------------------------------------- values no one knows, in optional fields


ORIGINS = ("Country,Year,Origin,Refugees\n"
           "Indonesia,2015,Tibetan,400\n"
           "Indonesia,2016,Tibetan,89\n"
           "Indonesia,2015,Various/unknown,40\n"
           "Indonesia,2015,Serbia and Montenegro,5\n"
           "Indonesia,2015,Afghanistan,300\n")


def test_an_origin_that_is_no_country_keeps_its_row_and_people(db_path, tmp_path):
    report = imp(db_path, "population", write(tmp_path, "origins.csv", ORIGINS))
    assert report.added == 5
    assert rows(db_path, "SELECT origin_country, residents FROM population_counts ORDER BY id") == [
        (None, 400), (None, 89), (None, 40), (None, 5), ("AFG", 300)]
    lines = report.lines()
    assert "  origin_country 'Tibetan': 2 rows, 489 people, stored empty (not a country I know)" in lines
    assert "  origin_country 'Various/unknown': 1 row, 40 people, stored empty (names no country)" in lines
    assert ("  origin_country 'Serbia and Montenegro': 1 row, 5 people, stored empty (a country that no longer "
            "exists: now SRB or MNE or XKX)") in lines


def test_strict_makes_an_unknown_origin_an_error(db_path, tmp_path):
    before = table_digest(db_path)
    with pytest.raises(ValidationFailed) as caught:
        imp(db_path, "population", write(tmp_path, "origins.csv", ORIGINS), strict=True)
    assert [e.line for e in caught.value.errors] == [2, 3, 5]
    assert table_digest(db_path) == before


def test_an_unknown_required_country_stays_an_error(db_path, tmp_path):
    text = "Camp,Date,Destination,Persons\nLiberty,2015-01-01,Tibetan,3\nLiberty,2015-01-02,Various,4\n"
    with pytest.raises(ValidationFailed) as caught:
        imp(db_path, "transfers", write(tmp_path, "t.csv", text))
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (2, "'Tibetan' is not a country I know; give an ISO 3166 code (ALB or AL) or the country's English name."),
        (3, "'Various' names no country (a required value)")]


# ---------------------------------------------------------------- "+" in column names


AGES = "Camp,Date,Residents,Female 60+,Male 60+\nA camp,2015-12-31,100,3,4\nA camp,2016-12-31,90,2,\n"


@pytest.mark.parametrize("spec", ['"Female 60+"+"Male 60+"', "'Female 60+'+'Male 60+'", "Female 60++Male 60+",
                                  "Female 60+ + Male 60+"])
def test_columns_whose_names_hold_a_plus_add_up(db_path, tmp_path, spec):
    report = imp(db_path, "population", write(tmp_path, "ages.csv", AGES), column_map={"age_60_plus": spec})
    assert rows(db_path, "SELECT age_60_plus FROM population_counts ORDER BY id") == [(7,), (2,)]
    assert report.mapping["age_60_plus"] == "Female 60+ + Male 60+"


def test_one_column_whose_name_holds_a_plus_is_one_column(db_path, tmp_path):
    imp(db_path, "population", write(tmp_path, "ages.csv", AGES), column_map={"age_60_plus": "Male 60+"})
    assert rows(db_path, "SELECT age_60_plus FROM population_counts ORDER BY id") == [(4,), (None,)]


def test_a_map_error_never_suggests_the_name_typed(db_path, tmp_path):
    path = write(tmp_path, "ages.csv", AGES.replace("Male 60+", "Men 60 plus"))
    with pytest.raises(FileProblem) as caught:
        imp(db_path, "population", path, column_map={"age_60_plus": "Female 60+Male 60+"})
    message = str(caught.value)
    assert "the file has no column 'Female 60'; did you mean 'Female 60+'?" in message
    assert "quoted" in message
    with pytest.raises(FileProblem) as caught:
        imp(db_path, "population", path, column_map={"female": "Women"})
    assert "did you mean 'Women'" not in str(caught.value)


# ---------------------------------------------------------------- the mapping, shown and checked


INCIDENTS = ("Date,Location,Governorate,Incident type,Total killed,Total wounded,Total kidnapped\n"
             "2013-02-09,H,Baghdad,shelling,8,50,0\n"
             "2013-06-15,R,Baghdad,rocket,2,,\n"
             "2013-09-01,OC,Diyala,assault,52,10,7\n")


def test_a_column_of_location_codes_never_becomes_the_site(db_path, tmp_path):
    before = table_digest(db_path)
    with pytest.raises(FileProblem) as caught:
        imp(db_path, "incidents", write(tmp_path, "incidents.csv", INCIDENTS))
    message = str(caught.value)
    assert "site: 'Location' holds one- or two-letter codes (H, R, OC), not places" in message
    assert "it could be 'Governorate': say which with --map site=COLUMN" in message
    # What was found is shown with the error: the incident headers mapped without help.
    assert caught.value.mapping_lines[0] == (
        "columns: date <- Date (2013-02-09, 2013-06-15, 2013-09-01), incident_type <- Incident type (shelling, "
        "rocket, assault), killed <- Total killed (8, 2, 52), wounded <- Total wounded (50, 10), "
        "hostages <- Total kidnapped (0, 7)")
    assert table_digest(db_path) == before


def test_incident_headers_map_without_help(db_path, tmp_path):
    report = imp(db_path, "incidents", write(tmp_path, "incidents.csv", INCIDENTS), column_map={"site": "Governorate"})
    assert report.mapping == {"site": "Governorate", "date": "Date", "incident_type": "Incident type",
                              "killed": "Total killed", "wounded": "Total wounded", "hostages": "Total kidnapped"}
    assert rows(db_path, "SELECT date, killed, wounded, hostages FROM incidents ORDER BY id") == [
        ("2013-02-09", 8, 50, 0), ("2013-06-15", 2, None, None), ("2013-09-01", 52, 10, 7)]


@pytest.mark.parametrize(("header", "field"), [("Fatalities", "killed"), ("Injured", "wounded"),
                                               ("Abducted", "hostages"), ("Kidnapped", "hostages")])
def test_more_incident_headers(db_path, tmp_path, header, field):
    text = f"Camp,Date,{header}\nCamp Liberty,2013-02-09,8\n"
    report = imp(db_path, "incidents", write(tmp_path, "i.csv", text))
    assert report.mapping[field] == header
    assert rows(db_path, f"SELECT {field} FROM incidents") == [(8,)]


def test_a_column_named_for_sites_with_short_codes_is_flagged(db_path, tmp_path):
    text = "Camp,Date,Residents\nA,2015-12-31,100\nB,2015-12-31,90\n"
    report = imp(db_path, "population", write(tmp_path, "codes.csv", text))
    assert report.added == 2
    assert "  check: site <- Camp, values A, B: one- or two-letter codes" in report.lines()


def test_a_count_column_of_words_is_not_taken_for_the_count(db_path, tmp_path):
    text = "Camp,Date,Total,Persons\nCamp Liberty,2015-12-31,all ages,100\nCamp Liberty,2016-12-31,all ages,90\n"
    report = imp(db_path, "population", write(tmp_path, "words.csv", text))
    assert report.mapping["residents"] == "Persons"
    assert rows(db_path, "SELECT residents FROM population_counts ORDER BY id") == [(100,), (90,)]


def test_the_mapping_comes_with_the_errors_of_a_failed_import(db_path, tmp_path):
    text = "Camp,Date,Destination,Persons\nLiberty,2015-01-01,Albania,ten\nLiberty,2015-01-02,Albania,4\n"
    with pytest.raises(ValidationFailed) as caught:
        imp(db_path, "transfers", write(tmp_path, "t.csv", text))
    assert caught.value.mapping_lines == [
        "columns: site <- Camp (Liberty, Liberty), date <- Date (2015-01-01, 2015-01-02), "
        "host_country <- Destination (Albania, Albania), people <- Persons (ten, 4)"]


def test_the_import_page_proposal_checks_values_too(tmp_path):
    proposal = review.propose(write(tmp_path, "incidents.csv", INCIDENTS), "incidents")
    assert proposal.mapping["site"] is None and proposal.mapping["killed"] == "Total killed"
    assert any("not used for site: 'Location'" in note for note in proposal.notes)


# ---------------------------------------------------------------- both engines, the same rows


def _stored(db_path):
    return rows(db_path, "SELECT s.name, t.date, t.host_country, t.people, t.origin_country, t.case_id "
                         "FROM transfers t JOIN sites s ON s.id = t.site_id ORDER BY t.id")


@pytest.mark.parametrize("origin", ["Tibetan", "Various/unknown", "Afghanistan"])
def test_both_engines_store_the_same_rows(tmp_path, monkeypatch, origin):
    lines = ["site,date,host_country,people,case_id,origin_country"]
    lines += [f"Camp Liberty,2015-01-{1 + i % 28:02d},ALB,{1 + i % 7},C{i},{origin if i % 3 else 'Iran'}"
              for i in range(3000)]
    path = write(tmp_path, "cases.csv", "\n".join(lines) + "\n")
    stored, reports = [], []
    for threshold in (0, 1 << 40):  # the columnar engine may take the file, then it may not
        monkeypatch.setattr(columnar, "FAST_MIN_BYTES", threshold)
        dbp = tmp_path / f"{threshold}.db"
        db.init(dbp)
        reports.append(importer.import_file(dbp, "transfers", path))
        stored.append(_stored(dbp))
    assert stored[0] == stored[1] and len(stored[0]) == 3000
    assert reports[0].lines()[1:] == reports[1].lines()[1:]  # the same report, line for line
    # The columnar engine takes a plain file; one with values stored empty goes to the general engine.
    assert reports[0].fast_path == (origin == "Afghanistan") and not reports[1].fast_path


def test_the_columnar_engine_declines_a_suppressed_count(tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0)
    lines = ["site,date,host_country,people,case_id"]
    lines += [f"Camp Liberty,2015-01-01,ALB,{'*' if i == 1500 else 2},C{i}" for i in range(3000)]
    dbp = tmp_path / "t.db"
    db.init(dbp)
    report = importer.import_file(dbp, "transfers", write(tmp_path, "cases.csv", "\n".join(lines) + "\n"))
    assert not report.fast_path and report.added == 2999 and report.suppressed_rows == 1
    assert rows(dbp, "SELECT sum(people) FROM transfers") == [(5998,)]


# ---------------------------------------------------------------- the command line


def test_the_cli_prints_the_mapping_before_the_errors(db_path, tmp_path):
    path = write(tmp_path, "incidents.csv", INCIDENTS)
    result = run_cli("import", "incidents", path, "--db", db_path)
    assert result.exit_code == 2
    said = result.output.splitlines()
    assert said[0].startswith("columns: date <- Date (2013-02-09") and "killed <- Total killed (8, 2, 52)" in said[0]
    assert said[1].startswith("error: incidents.csv:1: required column missing: site: 'Location' holds")
    result = run_cli("import", "incidents", path, "--db", db_path, "--map", "site=Governorate")
    assert result.exit_code == 0, result.output
    assert "site <- Governorate (Baghdad, Baghdad, Diyala)" in result.output


def test_the_cli_options_for_fiscal_years_and_strictness(db_path, tmp_path):
    path = write(tmp_path, "fy.csv", FY_ARRIVALS)
    result = run_cli("import", "transfers", path, "--db", db_path, "--set", "host_country=USA",
                     "--fiscal-year-start", "13")
    assert result.exit_code == 2 and "13 is not in the range 1<=x<=12" in result.output
    result = run_cli("import", "transfers", path, "--db", db_path, "--set", "host_country=USA",
                     "--fiscal-year-start", "10", "--strict")
    assert result.exit_code == 0, result.output
    assert rows(db_path, "SELECT min(date), max(date), sum(people) FROM transfers") == [("2021-10-01", "2024-10-01", 160)]
    origins = write(tmp_path, "origins.csv", ORIGINS)
    result = run_cli("import", "population", origins, "--db", db_path, "--strict")
    assert result.exit_code == 1 and "origins.csv:2: Origin: 'Tibetan' is not a country I know" in result.output


def test_suppressed_rows_go_to_the_errors_file(db_path, tmp_path):
    out = tmp_path / "rejected.csv"
    result = run_cli("import", "population", write(tmp_path, "unhcr.csv", SUPPRESSED), "--db", db_path,
                     "--errors", out)
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [
            ["file", "line", "column", "message"],
            ["unhcr.csv", "3", "Refugees", "suppressed by the source: '*' is a figure from 1 to 4, UNHCR's mark"],
            ["unhcr.csv", "4", "Refugees", "suppressed by the source: '<5' is a figure under 5"],
            ["unhcr.csv", "6", "Refugees", "suppressed by the source: '..' is a figure not published"]]
