"""Importing the files people really have (issue 3): each trait in a small file, and the values that land."""

from __future__ import annotations

import codecs
import csv
import io
import sqlite3

import openpyxl
import pytest
from conftest import TINY, run_cli, table_digest, write

from resettle import cli
from resettle.domain.errors import FileProblem, UsageError, ValidationFailed
from resettle.ingest import columnar, general, importer
from resettle.ingest.importer import ImportOptions
from resettle.store import columns, db, mappings


def rows(db_path, sql, params=()):
    c = db.connect(db_path)
    try:
        return c.execute(sql, params).fetchall()
    finally:
        c.close()


def imp(db_path, kind, path, **options) -> importer.ImportReport:
    return importer.import_file(db_path, kind, path, ImportOptions(**options))


def errors_of(db_path, kind, path, **options) -> list[str]:
    """An import that must fail validation: its error lines, and the database unchanged."""
    before = table_digest(db_path)
    with pytest.raises(ValidationFailed) as info:
        imp(db_path, kind, path, **options)
    assert table_digest(db_path) == before
    return [str(e) for e in info.value.errors]


def counts(db_path):
    return rows(db_path, "SELECT s.name, p.date, p.residents, p.origin_country FROM population_counts p "
                         "JOIN sites s ON s.id = p.site_id ORDER BY p.id")


cli_run = run_cli


# ---------------------------------------------------------------- reading the file


def test_semicolons_bom_crlf_float_counts_and_a_header_with_a_trailing_space(db_path, tmp_path):
    text = ("Years;Country;Origin;Refugees;AsylumSeekers;Total \r\n"
            "2011;Indonesia;Afghanistan;476.0;1649.0;2125\r\n"
            "2011;Indonesia;Albania;;1.0;1\r\n")
    path = write(tmp_path, "unhcr.csv", codecs.BOM_UTF8 + text.encode())
    report = imp(db_path, "population", path)
    assert report.mapping == {"site": "Country", "date": "Years", "residents": "Total", "origin_country": "Origin"}
    assert counts(db_path) == [("Indonesia", "2011-12-31", 2125, "AFG"), ("Indonesia", "2011-12-31", 1, "ALB")]


def test_utf16_tab_separated(db_path, tmp_path):
    text = "Camp\tDate\tIndividuals\r\nKakuma\t2020-01-31\t1200\r\n"
    path = write(tmp_path, "u16.csv", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    imp(db_path, "population", path)
    assert counts(db_path) == [("Kakuma", "2020-01-31", 1200, None)]


def test_windows_1252_keeps_cote_d_ivoire(db_path, tmp_path):
    path = write(tmp_path, "latin.csv", "site,date,residents,origin\nCamp Ã©lan,2020-01-31,5,Côte d'Ivoire\n"
                 .replace("Ã©", "é").encode("cp1252"))
    report = imp(db_path, "population", path)
    assert counts(db_path) == [("Camp élan", "2020-01-31", 5, "CIV")]
    assert any("Windows-1252" in n for n in report.notes)


def test_pipe_delimited(db_path, tmp_path):
    imp(db_path, "population", write(tmp_path, "p.csv", "site|date|residents\nAlpha|2020-01-31|7\n"))
    assert counts(db_path) == [("Alpha", "2020-01-31", 7, None)]


def test_metadata_above_the_header_and_a_second_section_after_the_table(db_path, tmp_path):
    text = ("UNHCR population statistics\n"
            "Filters: Year 2019-2020; Country of asylum: Kenya\n"
            "\n"
            "Camp,Date,Individuals\n"
            "Kakuma,2019-12-31,\"190,000\"\n"
            "Kakuma,2020-12-31,\"196,666\"\n"
            "\n"
            "Summary by country\n"
            "Country,Total\n"
            "Kenya,386666\n")
    report = imp(db_path, "population", write(tmp_path, "export.csv", text))
    assert counts(db_path) == [("Kakuma", "2019-12-31", 190000, None), ("Kakuma", "2020-12-31", 196666, None)]
    text_report = "\n".join(report.lines())
    assert "skipped 3 lines above the header (lines 1-3)" in text_report
    assert "table ends at line 8" in text_report and "lines 8-10 not read" in text_report
    assert "table ends at line 8" in rows(db_path, "SELECT notes FROM import_batches")[0][0]


def test_a_repeated_header_from_concatenated_exports_is_skipped(db_path, tmp_path):
    text = "site,date,residents\nA,2020-01-31,1\nsite,date,residents\nA,2020-02-29,2\n"
    report = imp(db_path, "population", write(tmp_path, "cat.csv", text))
    assert [r[1:3] for r in counts(db_path)] == [("2020-01-31", 1), ("2020-02-29", 2)]
    assert "  skipped a repeated header line (line 3)" in report.lines()


def test_headers_match_ignoring_case_spaces_and_punctuation(db_path, tmp_path):
    text = "  SITE ,Date:,Host-Country,PEOPLE\nAlpha,2020-03-01,Albania,12\n"
    report = imp(db_path, "transfers", write(tmp_path, "t.csv", text))
    assert report.mapping == {"site": "SITE", "date": "Date:", "host_country": "Host-Country", "people": "PEOPLE"}
    assert rows(db_path, "SELECT date, host_country, people FROM transfers") == [("2020-03-01", "ALB", 12)]


def _workbook(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, data in sheets.items():
        sheet = book.create_sheet(name)
        for row in data:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_first_sheet_or_the_sheet_named(db_path, tmp_path):
    import datetime as dt

    path = _workbook(tmp_path / "weekly.xlsx", {
        "Notes": [["Weekly camp report"], [], ["site", "date", "residents"], ["Alpha", dt.datetime(2020, 1, 31), 300.0]],
        "Beta camp": [["Camp", "Date", "Persons"], ["Beta", "2020-02-29", 120]],
    })
    report = imp(db_path, "population", path)
    assert counts(db_path) == [("Alpha", "2020-01-31", 300, None)]
    assert "  skipped 2 lines above the header (lines 1-2)" in report.lines()
    result = cli_run("import", "population", path, "--db", db_path, "--sheet", "Beta camp")
    assert result.exit_code == 0, result.output
    assert counts(db_path)[1] == ("Beta", "2020-02-29", 120, None)
    result = cli_run("import", "population", path, "--db", db_path, "--sheet", "Gamma")
    assert result.exit_code == 2 and "Gamma" in result.output and "Beta camp" in result.output


# ---------------------------------------------------------------- mapping columns to fields


@pytest.mark.parametrize(
    ("kind", "header", "row", "mapping"),
    [
        ("population", "operation,reportingDate,numPresentIdpInd", "Iraq conflict,2014-04-01T00:00:00,1000",
         {"site": "operation", "date": "reportingDate", "residents": "numPresentIdpInd"}),
        ("population", "Camp,Date,Individuals,Country of origin (ISO)", "Kakuma,2020-01-31,5,SSD",
         {"site": "Camp", "date": "Date", "residents": "Individuals", "origin_country": "Country of origin (ISO)"}),
        ("population", "Year,Country of asylum,Country of origin,Persons", "2019,Kenya,Somalia,5",
         {"site": "Country of asylum", "date": "Year", "residents": "Persons", "origin_country": "Country of origin"}),
        ("transfers", "Camp,Departure date,Country of asylum (ISO),Departures", "Liberty,2013-05-15,ALB,14",
         {"site": "Camp", "date": "Departure date", "host_country": "Country of asylum (ISO)", "people": "Departures"}),
        ("transfers", "site,Year,Resettlement country,Total,Country of origin (ISO)", "Liberty,2016,ALB,1900,IRN",
         {"site": "site", "date": "Year", "host_country": "Resettlement country", "people": "Total",
          "origin_country": "Country of origin (ISO)"}),
        ("incidents", "location,event_date,event_type,fatalities,injured", "Liberty,2013-02-09,Shelling,8,50",
         {"site": "location", "date": "event_date", "incident_type": "event_type", "killed": "fatalities",
          "wounded": "injured"}),
        ("incidents", "location_code,reference_period_start,event_type,events,fatalities", "IRQ,2025-01-01,x,3,1",
         {"site": "location_code", "date": "reference_period_start", "incident_type": "event_type",
          "events": "events", "killed": "fatalities"}),
        ("medevacs", "Camp,Date of evacuation,Date requested,Number of patients,Hospital",
         "Liberty,2014-01-05,2014-01-01,2,Baghdad",
         {"site": "Camp", "date": "Date of evacuation", "request_date": "Date requested",
          "patients": "Number of patients", "destination": "Hospital"}),
        ("pledges", "Country,Year,Places offered", "Albania,2013,210",
         {"host_country": "Country", "date": "Year", "places": "Places offered"}),
    ],
)
def test_common_export_headers_are_recognised(db_path, tmp_path, kind, header, row, mapping):
    report = imp(db_path, kind, write(tmp_path, "f.csv", f"{header}\n{row}\n"))
    assert report.mapping == mapping
    assert report.added == 1


HXL_CASES = [
    # field read from each hashtag, the header names telling nothing
    ("population", "#loc+camp+name,#date+reported,#population", {"site": "a", "date": "b", "residents": "c"}),
    ("population", "#loc+name,#date,#affected+idps", {"site": "a", "date": "b", "residents": "c"}),
    ("population", "#adm1+name,#date+reported,#affected+refugees", {"site": "a", "date": "b", "residents": "c"}),
    ("population", "#loc+name,#date+reported,#affected+displaced", {"site": "a", "date": "b", "residents": "c"}),
    ("incidents", "#loc+name,#date+occurred,#affected+killed", {"site": "a", "date": "b", "killed": "c"}),
    ("incidents", "#loc+name,#date+occurred,#affected+injured", {"site": "a", "date": "b", "wounded": "c"}),
]


@pytest.mark.parametrize(("kind", "tags", "mapping"), HXL_CASES)
def test_hxl_hashtags_name_the_columns(db_path, tmp_path, kind, tags, mapping):
    text = f"a,b,c\n{tags}\nAlpha,2020-01-31,7\n"
    report = imp(db_path, kind, write(tmp_path, "h.csv", text))
    assert report.mapping == mapping
    assert report.rows_read == 1  # the hashtag row is not data


def test_the_most_specific_hashtag_wins(db_path, tmp_path):
    # #date+year+reported is a year, #date+reported the date; #affected+idps+f the women among the IDPs.
    text = ("Year,Camp name,When,Women,IDPs,Dest\n"
            "#date+year+reported,#loc+name,#date+reported,#affected+idps+f,#affected+idps,#loc+dest+name\n"
            "2020,Alpha,2020-03-31,40,100,Nowhere\n")
    report = imp(db_path, "population", write(tmp_path, "h.csv", text))
    assert report.mapping == {"site": "Camp name", "date": "When", "residents": "IDPs", "female": "Women"}
    assert rows(db_path, "SELECT date, residents, female FROM population_counts") == [("2020-03-31", 100, 40)]


def test_transfer_destination_from_its_hashtag(db_path, tmp_path):
    text = "a,b,c,d,e\n#loc+camp+name,#date+occurred,#country+code+origin,#country+code+dest,#affected+refugees\n" \
           "Liberty,2013-05-15,IRN,ALB,14\n"
    report = imp(db_path, "transfers", write(tmp_path, "h.csv", text))
    assert report.mapping == {"site": "a", "date": "b", "host_country": "d", "people": "e", "origin_country": "c"}
    assert rows(db_path, "SELECT host_country, origin_country, people FROM transfers") == [("ALB", "IRN", 14)]


def test_map_names_the_column_and_set_gives_every_row_a_value(db_path, tmp_path):
    text = "Arrival,Persons,Notes\n2016-09-09,280,last flights\n2016-08-01,150,\n"
    report = imp(db_path, "transfers", write(tmp_path, "arrivals.csv", text),
                 column_map={"date": "Arrival"}, set_values={"site": "Camp Liberty", "host_country": "Albania"})
    assert rows(db_path, "SELECT s.name, date, host_country, people, stage, transfer_type, case_id, t.source "
                         "FROM transfers t JOIN sites s ON s.id = t.site_id ORDER BY date") == [
        ("Camp Liberty", "2016-08-01", "ALB", 150, "departed", None, None, "arrivals.csv"),
        ("Camp Liberty", "2016-09-09", "ALB", 280, "departed", None, None, "arrivals.csv")]
    assert report.mapping["site"] == "= 'Camp Liberty'" and report.mapping["date"] == "Arrival"


def test_map_joins_several_columns_into_one_place_name(db_path, tmp_path):
    text = ("location_code,admin1_name,admin2_name,event_type,events,fatalities,reference_period_start\n"
            "HTI,Ouest,Port-au-Prince,civilian_targeting,6,2,2025-01-01\n"
            "ALB,,,civilian_targeting,0,0,2025-01-01\n")
    report = imp(db_path, "incidents", write(tmp_path, "acled.csv", text),
                 column_map={"site": "location_code+admin1_name+admin2_name"})
    assert report.mapping["site"] == "location_code + admin1_name + admin2_name"
    assert rows(db_path, "SELECT s.name, events, killed FROM incidents i JOIN sites s ON s.id = i.site_id "
                         "ORDER BY i.id") == [("HTI / Ouest / Port-au-Prince", 6, 2), ("ALB", 0, 0)]


def test_map_adds_several_count_columns(db_path, tmp_path):
    head = "Years;Country;Origin;Refugees;AsylumSeekers\n"
    text = head + "2011;Indonesia;Iraq;62.0;253.0\n2011;Indonesia;Yemen;;21.0\n"
    imp(db_path, "population", write(tmp_path, "u.csv", text), column_map={"residents": "Refugees+AsylumSeekers"})
    assert [r[2:] for r in counts(db_path)] == [(315, "IRQ"), (21, "YEM")]
    # neither figure: a missing count, never zero; a bad part is reported with both parts
    bad = write(tmp_path, "bad.csv", head + "2012;Indonesia;Nepal;;\n2012;Indonesia;Iraq;6O;2\n")
    assert errors_of(db_path, "population", bad, column_map={"residents": "Refugees+AsylumSeekers"}) == [
        "bad.csv:2: Refugees + AsylumSeekers: missing value (required)",
        "bad.csv:3: Refugees + AsylumSeekers: '6O + 2' is not a number",
    ]


def test_a_column_named_with_a_plus_sign_is_one_column(db_path, tmp_path):
    text = "site,date,residents,60+\nAlpha,2020-01-31,10,3\n"
    imp(db_path, "population", write(tmp_path, "p.csv", text), column_map={"age_60_plus": "60+"})
    assert rows(db_path, "SELECT age_60_plus FROM population_counts") == [(3,)]


def test_map_to_a_column_the_file_lacks_suggests_the_closest(db_path, tmp_path):
    path = write(tmp_path, "p.csv", "site,date,Individuals\nAlpha,2020-01-31,10\n")
    with pytest.raises(FileProblem, match=r"--map residents=Individual: the file has no column 'Individual'; "
                                          r"did you mean 'Individuals'\?"):
        imp(db_path, "population", path, column_map={"residents": "Individual"})
    with pytest.raises(UsageError, match="population have no field 'people'"):
        imp(db_path, "population", path, column_map={"people": "Individuals"})


def test_a_missing_required_column_lists_the_columns_and_the_closest_names(db_path, tmp_path):
    path = write(tmp_path, "t.csv", "Camp,Flight day,Destination country,Number\nAlpha,2020-01-01,ALB,5\n")
    with pytest.raises(FileProblem) as info:
        imp(db_path, "transfers", path)
    message = str(info.value)
    assert message.startswith("t.csv:1: required column missing: date (closest: 'Flight day')")
    assert "Columns found: 'Camp', 'Flight day', 'Destination country', 'Number'" in message
    assert "--map FIELD=COLUMN" in message and "--set FIELD=VALUE" in message


# ---------------------------------------------------------------- values as people write them


def test_slash_dates_are_read_day_first_when_one_day_is_above_12(db_path, tmp_path):
    text = "site,date,residents\nA,1/9/2014,10\nA,30/09/2014 11:12:52,12\nA,5/5/2014,9\n"
    imp(db_path, "population", write(tmp_path, "p.csv", text))
    assert [r[1] for r in counts(db_path)] == ["2014-09-01", "2014-09-30", "2014-05-05"]


def test_slash_dates_are_read_month_first_when_one_day_says_so(db_path, tmp_path):
    imp(db_path, "population", write(tmp_path, "p.csv", "site,date,residents\nA,1/9/2014,10\nA,9/30/2014,12\n"))
    assert [r[1] for r in counts(db_path)] == ["2014-01-09", "2014-09-30"]


@pytest.mark.parametrize(("order", "expected"), [("dayfirst", "2014-09-01"), ("monthfirst", "2014-01-09")])
def test_dayfirst_and_monthfirst_force_the_order(db_path, tmp_path, order, expected):
    imp(db_path, "population", write(tmp_path, "p.csv", "site,date,residents\nA,1/9/2014,10\n"), date_order=order)
    assert counts(db_path)[0][1] == expected


def test_the_order_options_reach_the_import_from_the_command_line(db_path, tmp_path):
    path = write(tmp_path, "p.csv", "site,date,residents\nA,1/9/2014,10\n")
    result = cli_run("import", "population", path, "--db", db_path, "--dayfirst")
    assert result.exit_code == 0, result.output
    assert counts(db_path)[0][1] == "2014-09-01"


def test_an_undecidable_column_is_an_error_that_says_so(db_path, tmp_path):
    path = write(tmp_path, "p.csv", "site,date,residents\nA,1/9/2014,10\nA,3/4/2014,12\nA,5/5/2014,9\n")
    errors = errors_of(db_path, "population", path)
    assert errors == [
        "p.csv:2: date: '1/9/2014' could be day-first or month-first and no date in this column settles it; "
        "say which with --dayfirst or --monthfirst",
        "p.csv:3: date: '3/4/2014' could be day-first or month-first and no date in this column settles it; "
        "say which with --dayfirst or --monthfirst",
    ]  # 5/5/2014 reads the same either way


def test_a_column_written_both_ways_is_an_error(db_path, tmp_path):
    path = write(tmp_path, "p.csv", "site,date,residents\nA,30/9/2014,10\nA,9/30/2014,12\nA,1/9/2014,9\n")
    errors = errors_of(db_path, "population", path)
    assert errors == ["p.csv:4: date: dates are written both day-first and month-first; "
                      "say which with --dayfirst or --monthfirst"]


@pytest.mark.parametrize(
    ("written", "stock", "flow"),
    [("2016", "2016-12-31", "2016-01-01"), ("CY 2013", "2013-12-31", "2013-01-01"),
     ("2025-01", "2025-01-31", "2025-01-01"), ("Jan 2025", "2025-01-31", "2025-01-01"),
     ("February 2024", "2024-02-29", "2024-02-01"), ("2016.0", "2016-12-31", "2016-01-01"),
     ("Q3 2015", "2015-09-30", "2015-07-01")],
)
def test_a_year_or_month_alone_is_its_last_day_for_counts_and_first_day_for_flows(db_path, tmp_path, written,
                                                                                   stock, flow):
    imp(db_path, "population", write(tmp_path, "p.csv", f"site,date,residents\nA,{written},10\n"))
    imp(db_path, "transfers", write(tmp_path, "t.csv", f"site,date,host_country,people\nA,{written},ALB,3\n"))
    imp(db_path, "incidents", write(tmp_path, "i.csv", f"site,date,killed\nA,{written},1\n"))
    assert counts(db_path)[0][1] == stock
    assert rows(db_path, "SELECT date FROM transfers") == [(flow,)]
    assert rows(db_path, "SELECT date FROM incidents") == [(flow,)]


def test_iso_timestamps_keep_their_day(db_path, tmp_path):
    text = "site,date,residents\nA,2010-11-30T00:00:00,1\nA,2024-04-17T10:11:12.000Z,2\nA,2014-09-30 11:12,3\n"
    imp(db_path, "population", write(tmp_path, "p.csv", text))
    assert [r[1] for r in counts(db_path)] == ["2010-11-30", "2024-04-17", "2014-09-30"]


def test_numbers_with_thousands_separators_and_whole_floats(db_path, tmp_path):
    text = 'site,date,residents\nA,2020-01-31,"1,009"\nA,2020-02-29,1 009\nA,2020-03-31,476.0\nA,2020-04-30," 12 "\n'
    imp(db_path, "population", write(tmp_path, "p.csv", text))
    assert [r[2] for r in counts(db_path)] == [1009, 1009, 476, 12]


def test_a_fraction_of_a_person_is_an_error(db_path, tmp_path):
    path = write(tmp_path, "p.csv", "site,date,residents\nA,2020-01-31,2.5\nA,2020-02-29,1.009\n")
    assert errors_of(db_path, "population", path) == [
        "p.csv:2: residents: 2.5 is not a whole number (counts of people are whole)",
        "p.csv:3: residents: 1.009 is not a whole number (counts of people are whole) "
        "(if '.' separates thousands here, leave it out)",
    ]


MISSING_TOKENS = ["", "NA", "N/A", "n/a", "-", "tbd", "null", "unknown", "  "]


@pytest.mark.parametrize("token", MISSING_TOKENS)
def test_missing_tokens_are_missing_never_zero(db_path, tmp_path, token):
    text = f"site,date,incident_type,killed,wounded,events\nA,2020-01-01,{token},{token},{token},{token}\n"
    imp(db_path, "incidents", write(tmp_path, "i.csv", text))
    assert rows(db_path, "SELECT incident_type, killed, wounded, events FROM incidents") == [(None, None, None, None)]
    assert rows(db_path, "SELECT coalesce(sum(killed), 'none') FROM incidents") == [("none",)]


@pytest.mark.parametrize("token", MISSING_TOKENS)
def test_a_missing_token_in_a_required_field_is_an_error(db_path, tmp_path, token):
    path = write(tmp_path, "p.csv", f"site,date,residents\nA,2020-01-31,{token}\n")
    assert errors_of(db_path, "population", path) == ["p.csv:2: residents: missing value (required)"]


@pytest.mark.parametrize(
    ("written", "iso3"),
    [("Burma", "MMR"), ("Russia", "RUS"), ("Laos", "LAO"), ("Ivory Coast", "CIV"), ("Korea, North", "PRK"),
     ("Macedonia", "MKD"), ("Sri Lanka (Ceylon)", "LKA"), ("Iran (Islamic Rep. of)", "IRN"),
     ("Dem. Rep. Congo", "COD"), ("Venezuela (Bolivarian Republic of)", "VEN"), ("Côte d'Ivoire", "CIV"),
     ("Syrian Arab Rep.", "SYR"), ("Palestinian", "PSE"), ("Micronesia (Fed. States of)", "FSM"), ("DE", "DEU"),
     ("alb", "ALB"), ("008", "ALB"), ("United Kingdom", "GBR"), ("Burma/Myanmar", "MMR"),
     ("Gambia (Republic of The)", "GMB"), ("Sudan, South", "SSD"), ("Bonaire", "BES")],
)
def test_countries_as_reports_write_them(db_path, tmp_path, written, iso3):
    text = f'site,date,host_country,people,origin_country\nA,2016-01-01,"{written}",1,"{written}"\n'
    imp(db_path, "transfers", write(tmp_path, "t.csv", text))
    assert rows(db_path, "SELECT host_country, origin_country FROM transfers") == [(iso3, iso3)]


def test_an_unknown_country_suggests_the_closest(db_path, tmp_path):
    path = write(tmp_path, "t.csv", "site,date,host_country,people\nA,2016-01-01,Albnia,1\nA,2016-01-01,Atlantis,1\n"
                 "A,2016-01-01,Gambia (Islamic Rep.),1\n")
    assert errors_of(db_path, "transfers", path) == [
        "t.csv:2: host_country: 'Albnia' is not a country I know; did you mean Albania (ALB)?",
        "t.csv:3: host_country: 'Atlantis' is not a country I know; give an ISO 3166 code (ALB or AL) or the "
        "country's English name.",
        "t.csv:4: host_country: 'Gambia (Islamic Rep.)' is not a country I know; did you mean Gambia (GMB)?",
    ]


def test_fields_the_file_lacks_stay_empty_and_the_source_is_the_file_name(db_path, tmp_path):
    imp(db_path, "transfers", write(tmp_path, "flights.csv", "site,date,host_country,people\nA,2016-01-01,ALB,2\n"))
    assert rows(db_path, "SELECT transfer_type, stage, case_id, origin_country, source FROM transfers") == [
        (None, "departed", None, None, "flights.csv")]


# ---------------------------------------------------------------- --skip-invalid


BAD_ROWS = ("site,date,host_country,people\n"
            "A,2016-01-01,ALB,5\n"
            "A,2016-01-02,Albnia,3\n"
            "A,2016-01-03,ALB,-2\n"
            "A,2016-01-04,ALB,7\n"
            "A,someday,ALB,1.5\n")


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(db_path, tmp_path):
    report = imp(db_path, "transfers", write(tmp_path, "t.csv", BAD_ROWS), skip_invalid=True)
    assert rows(db_path, "SELECT date, people FROM transfers ORDER BY date") == [("2016-01-01", 5), ("2016-01-04", 7)]
    assert (report.rows_read, report.added, report.rejected) == (5, 2, 3)
    assert dict(report.rejected_by_reason) == {"host_country: not a country": 1, "people: negative": 1,
                                               "date: not a date": 1}
    assert [(e.line, e.column) for e in report.errors] == [(3, "host_country"), (4, "people"), (6, "date"),
                                                           (6, "people")]
    assert rows(db_path, "SELECT rows_read, rows_added, rows_rejected FROM import_batches") == [(5, 2, 3)]


def test_without_skip_invalid_nothing_is_imported(db_path, tmp_path):
    assert len(errors_of(db_path, "transfers", write(tmp_path, "t.csv", BAD_ROWS))) == 4


def test_skip_invalid_writes_every_rejected_row_with_its_reason_to_the_errors_file(db_path, tmp_path):
    out = tmp_path / "rejected.csv"
    result = cli_run("import", "transfers", write(tmp_path, "t.csv", BAD_ROWS), "--db", db_path, "--skip-invalid",
                     "--errors", out)
    assert result.exit_code == 0, result.output
    assert "rejected 3" in result.output and "added 2" in result.output
    written = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert written[0] == ["file", "line", "column", "message"]
    assert [r[1:3] for r in written[1:]] == [["3", "host_country"], ["4", "people"], ["6", "date"], ["6", "people"]]
    assert written[2][3] == "-2 is negative"


def test_skip_invalid_without_an_errors_file_shows_the_rejected_rows(db_path, tmp_path):
    result = cli_run("import", "transfers", write(tmp_path, "t.csv", BAD_ROWS), "--db", db_path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "rejected t.csv:4: people: -2 is negative" in result.output


# ---------------------------------------------------------------- saved mappings


ARRIVALS = "Arrival,Persons,From\n2016-09-09,280,Iran\n"


def test_a_saved_mapping_is_reused_on_the_next_file(db_path, tmp_path):
    first = write(tmp_path, "week1.csv", ARRIVALS)
    imp(db_path, "transfers", first, column_map={"date": "Arrival", "origin_country": "From"},
        set_values={"site": "Camp Liberty", "host_country": "ALB"}, date_order="dayfirst", save_mapping="albania")
    c = db.connect(db_path)
    saved = mappings.load_mapping(c, "albania")
    c.close()
    assert (saved.kind, saved.column_map, saved.set_values, saved.date_order) == (
        "transfers", {"date": "Arrival", "origin_country": "From"}, {"site": "Camp Liberty", "host_country": "ALB"},
        "dayfirst")
    second = write(tmp_path, "week2.csv", "Arrival,Persons,From\n1/10/2016,20,Iraq\n")
    report = imp(db_path, "transfers", second, mapping="albania")
    assert "  used the saved mapping 'albania'" in report.lines()
    assert rows(db_path, "SELECT s.name, date, host_country, people, origin_country FROM transfers t "
                         "JOIN sites s ON s.id = t.site_id ORDER BY t.id") == [
        ("Camp Liberty", "2016-09-09", "ALB", 280, "IRN"), ("Camp Liberty", "2016-10-01", "ALB", 20, "IRQ")]


def test_options_given_now_win_over_the_saved_mapping(db_path, tmp_path):
    c = db.connect(db_path)
    mappings.save_mapping(c, "m", "transfers", ImportOptions(column_map={"date": "Arrival"},
                                                              set_values={"site": "Camp Liberty", "host_country": "ALB"}))
    c.close()
    imp(db_path, "transfers", write(tmp_path, "w.csv", ARRIVALS), mapping="m", set_values={"host_country": "DEU"})
    assert rows(db_path, "SELECT host_country FROM transfers") == [("DEU",)]


def test_a_saved_mapping_of_another_kind_or_name_is_refused(db_path, tmp_path):
    c = db.connect(db_path)
    mappings.save_mapping(c, "pop", "population", ImportOptions(column_map={"residents": "Persons"}))
    c.close()
    path = write(tmp_path, "w.csv", ARRIVALS)
    with pytest.raises(UsageError, match="the saved mapping 'pop' is for population, not transfers"):
        imp(db_path, "transfers", path, mapping="pop")
    with pytest.raises(UsageError, match="there is no saved mapping 'nope'; saved mappings: pop"):
        imp(db_path, "transfers", path, mapping="nope")


def test_save_mapping_and_mapping_on_the_command_line(db_path, tmp_path):
    result = cli_run("import", "transfers", write(tmp_path, "a.csv", ARRIVALS), "--db", db_path, "--map",
                     "date=Arrival", "--set", "site=Camp Liberty", "--set", "host_country=Albania", "--save-mapping",
                     "tirana")
    assert result.exit_code == 0, result.output
    assert "saved this mapping as 'tirana'" in result.output
    stored = rows(db_path, "SELECT name, kind, spec FROM mappings")
    assert stored[0][:2] == ("tirana", "transfers")
    result = cli_run("import", "transfers", write(tmp_path, "b.csv", "Arrival,Persons\n2016-09-10,5\n"), "--db",
                     db_path, "--mapping", "tirana")
    assert result.exit_code == 0, result.output
    assert rows(db_path, "SELECT date, host_country, people FROM transfers ORDER BY id")[-1] == ("2016-09-10", "ALB", 5)
    result = cli_run("import", "transfers", write(tmp_path, "c.csv", ARRIVALS), "--db", db_path, "--mapping", "x")
    assert result.exit_code == 2 and "no saved mapping 'x'" in result.output


def test_a_dry_run_saves_no_mapping(db_path, tmp_path):
    imp(db_path, "transfers", write(tmp_path, "a.csv", ARRIVALS), column_map={"date": "Arrival"},
        set_values={"site": "A", "host_country": "ALB"}, save_mapping="m", dry_run=True)
    assert rows(db_path, "SELECT count(*) FROM mappings") == [(0,)]
    report = imp(db_path, "transfers", write(tmp_path, "b.csv", ARRIVALS), column_map={"date": "Arrival"},
                 set_values={"site": "A", "host_country": "ALB"}, save_mapping="m", dry_run=True)
    assert "  the mapping was not saved as 'm': a dry run writes nothing" in report.lines()


# ---------------------------------------------------------------- progress and the closing report


def _big_population(tmp_path, n=3000):
    body = "".join(f"Camp {i % 3},2020-{1 + i % 12:02d}-01,{i}\n" for i in range(n))
    return write(tmp_path, "big.csv", "site,date,residents\n" + body)


@pytest.mark.parametrize("fast", [False, True])
def test_the_importer_reports_progress_with_a_total_on_both_paths(db_path, tmp_path, monkeypatch, fast):
    monkeypatch.setattr(general, "CHUNK_ROWS", 1000)
    monkeypatch.setattr(columns, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0 if fast else 10**12)
    calls = []
    report = imp(db_path, "population", _big_population(tmp_path), progress=lambda n, total: calls.append((n, total)))
    assert report.fast_path == fast
    assert calls[-1] == (3000, 3000)
    assert (1000, 3000) in calls and (2000, 3000) in calls


def test_no_progress_is_printed_when_stderr_is_not_a_terminal(db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(general, "CHUNK_ROWS", 100)
    monkeypatch.setattr(cli._Progress, "DELAY", 0)
    result = run_cli("import", "population", str(_big_population(tmp_path)), "--db", str(db_path))
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and "\r" not in result.output and "rows/s" not in result.output


def test_the_progress_bar_on_a_terminal_shows_rate_and_time_left(monkeypatch, capsys):
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    clock = iter([0.0, 2.0, 4.0])
    monkeypatch.setattr(cli.time, "perf_counter", lambda: next(clock))
    bar = cli._Progress()
    bar(50_000, 100_000)
    bar(100_000, 100_000)
    err = capsys.readouterr().err
    assert "50% 50,000 rows, 25,000 rows/s, about 2 s left" in err
    assert err.endswith("\n") and "100,000 rows" in err


def test_a_quick_import_prints_no_bar_even_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    bar = cli._Progress()
    bar(10, 10)
    assert capsys.readouterr().err == ""


def test_the_closing_report(db_path, tmp_path):
    importer.import_file(db_path, "transfers", TINY / "transfers.csv")
    text = ("Relocations export\n\n"
            "Camp,Departure date,Destination,Persons,Flight\n"
            "Alpha,2020-06-15,Finland,80,AY1\n"  # already in the tiny fixture
            "Alpha,2020-08-01,ALB,12,OS2\n"
            "Alpha,2020-08-02,XXX,3,OS3\n"
            "\nTotals by destination\nDestination,Persons\nGermany,40\n")
    report = imp(db_path, "transfers", write(tmp_path, "export.csv", text), skip_invalid=True)
    lines = report.lines()
    assert lines[0].startswith("export.csv: 3 rows read; added 1, updated 0, already present 1, rejected 1 (")
    assert lines[0].endswith(f" s); batch {report.batch_id}")
    assert "  rejected 1: Destination: not a country" in lines
    assert ("  columns: site <- Camp (Alpha, Alpha, Alpha), date <- Departure date (2020-06-15, 2020-08-01, "
            "2020-08-02), host_country <- Destination (Finland, ALB, XXX), people <- Persons (80, 12, 3)") in lines
    assert "  columns not used: Flight" in lines
    assert "  skipped 2 lines above the header (lines 1-2)" in lines
    assert "  table ends at line 8: a second section begins (lines 8-10 not read)" in lines


# ---------------------------------------------------------------- incidents: a count of events


def test_incidents_keep_a_count_of_events(db_path, tmp_path):
    text = ("location_code,event_type,events,fatalities,reference_period_start\n"
            "IRQ,political_violence,12,7,2025-01-01\nIRQ,demonstration,4,,2025-01-01\nIRQ,shelling,,,2025-01-01\n")
    imp(db_path, "incidents", write(tmp_path, "acled.csv", text))
    assert rows(db_path, "SELECT incident_type, events, killed FROM incidents ORDER BY id") == [
        ("political_violence", 12, 7), ("demonstration", 4, None), ("shelling", None, None)]
    with pytest.raises(sqlite3.IntegrityError):
        rows(db_path, "INSERT INTO incidents (site_id, date, events, source, batch_id) VALUES (1, '2025-01-01', -1, "
                      "'s', 1)")


# ---------------------------------------------------------------- both import paths


def test_fast_and_general_paths_store_the_same_rows_from_a_messy_file(tmp_path, monkeypatch):
    """Years alone, ISO timestamps, thousands separators, whole floats, missing tokens, HXL tags, a BOM,
    semicolons and CRLF: the fast path must store exactly what the general path stores."""
    tokens = ["NA", "n/a", "-", "", "tbd", "unknown", "null"]
    body = "".join(
        f"Camp {'ABC'[i % 3]};{['2015', 'CY 2016', '2016-03', 'Jan 2017', '2017-05-31T00:00:00'][i % 5]};"
        f"{['1,009', '1 009', '476.0', str(i)][i % 4]};{['Burma', 'Iran (Islamic Rep. of)', 'SYR', tokens[i % 7]][i % 4]};"
        f"{tokens[i % 7] if i % 2 else i % 40}\r\n"
        for i in range(4000)
    )
    text = "Camp name;When;IDPs;Origin;Women\r\n#loc+name;#date+reported;#affected+idps;#country+origin;#affected+f\r\n"
    path = write(tmp_path, "messy.csv", codecs.BOM_UTF8 + (text + body).encode())
    results = {}
    for label, threshold in (("general", 10**12), ("fast", 0)):
        monkeypatch.setattr(columnar, "FAST_MIN_BYTES", threshold)
        dbp = tmp_path / f"{label}.db"
        report = importer.import_file(dbp, "population", path)
        assert (report.rows_read, report.added, report.fast_path) == (4000, 4000, label == "fast")
        results[label] = rows(dbp, "SELECT s.name, p.date, residents, origin_country, female, p.source "
                                   "FROM population_counts p JOIN sites s ON s.id = p.site_id ORDER BY p.id")
    assert results["fast"] == results["general"]
    first = results["fast"][:4]
    assert first == [("Camp A", "2015-12-31", 1009, "MMR", 0, "messy.csv"),
                     ("Camp B", "2016-12-31", 1009, "IRN", None, "messy.csv"),
                     ("Camp C", "2016-03-31", 476, "SYR", 2, "messy.csv"),
                     ("Camp A", "2017-01-31", 3, None, None, "messy.csv")]


# ---------------------------------------------------------------- whole exports, as they come


def test_a_resettlement_data_finder_export(db_path, tmp_path):
    """Metadata above the header, CY years, thousands separators, missing tokens, the first asylum country
    beside the country of resettlement."""
    text = ('"UNHCR Resettlement Data Finder"\n'
            '"Extracted on: 12/05/2024; Filters: Submission year 2013-2016"\n'
            '""\n'
            '"Year","Country of Asylum","Country of Resettlement","Country of Origin","Submissions","Departures"\n'
            '"CY 2013","Iraq","Albania","Iran (Islamic Rep. of)","1,009","210"\n'
            '"CY 2014","Iraq","Albania","Iran (Islamic Rep. of)","n/a","NA"\n'
            '"CY 2015","Iraq","Germany","Iran (Islamic Rep. of)","tbd","-"\n'
            '"CY 2016","Iraq","Albania","Iran (Islamic Rep. of)","2,100","1,942"\n')
    report = imp(db_path, "transfers", write(tmp_path, "rdf.csv", text), set_values={"site": "Camp Liberty"},
                 skip_invalid=True)
    assert report.mapping == {"site": "= 'Camp Liberty'", "date": "Year", "host_country": "Country of Resettlement",
                              "people": "Departures", "origin_country": "Country of Origin"}
    assert rows(db_path, "SELECT date, host_country, people, origin_country FROM transfers ORDER BY date") == [
        ("2013-01-01", "ALB", 210, "IRN"), ("2016-01-01", "ALB", 1942, "IRN")]
    assert (report.rejected, dict(report.rejected_by_reason)) == (2, {"Departures: missing": 2})
    assert "  skipped 3 lines above the header (lines 1-3)" in report.lines()


def test_a_camp_managers_weekly_report(db_path, tmp_path):
    """Title lines, day-first dates without leading zeros mixed with a timestamp, "2,710", NA."""
    text = ("Camp Liberty weekly report,,,\nPrepared by: camp management,,,\n,,,\n"
            "Date,Camp,Residents,Remarks\n"
            '1/9/2014,Camp Liberty,"2,710",\n'
            '8/9/2014,Camp Liberty,"2,695",n/a\n'
            '30/09/2014 11:12:52,Camp Liberty,"2,650",after the attack\n'
            "7/10/2014,Camp Liberty,NA,count not done\n")
    report = imp(db_path, "population", write(tmp_path, "weekly.csv", text), skip_invalid=True)
    assert counts(db_path) == [("Camp Liberty", "2014-09-01", 2710, None), ("Camp Liberty", "2014-09-08", 2695, None),
                               ("Camp Liberty", "2014-09-30", 2650, None)]
    assert [str(e) for e in report.errors] == ["weekly.csv:8: Residents: missing value (required)"]


def test_a_dtm_site_list_counts_individuals_not_households(db_path, tmp_path):
    text = ("Round,Date of assessment,Admin 1,Site Name,# IDP Households,# IDP Individuals\n"
            "#round,#date+reported,#adm1+name,#loc+name,#affected+hh+idps,#affected+ind+idps\n"
            '12,2024-03-31,Sud,Camp A,120,"1,009"\n')
    report = imp(db_path, "population", write(tmp_path, "dtm.csv", text))
    assert report.mapping == {"site": "Site Name", "date": "Date of assessment", "residents": "# IDP Individuals"}
    assert counts(db_path) == [("Camp A", "2024-03-31", 1009, None)]
    # without the hashtags, "# IDP Individuals" is still the number of IDP individuals
    plain = "\n".join(line for i, line in enumerate(text.splitlines()) if i != 1) + "\n"
    report = imp(db_path, "population", write(tmp_path, "dtm2.csv", plain.replace("2024-03-31", "2024-04-30")))
    assert report.mapping["residents"] == "# IDP Individuals"


def test_the_one_column_named_date_is_the_date(db_path, tmp_path):
    report = imp(db_path, "population", write(tmp_path, "p.csv", "Camp,Date (UTC) of headcount,Persons\nA,2020-01-31,9\n"))
    assert report.mapping["date"] == "Date (UTC) of headcount"
    two = write(tmp_path, "q.csv", "Camp,Visit date,Upload date,Persons\nA,2020-01-01,2020-01-31,9\n")
    with pytest.raises(FileProblem, match=r"required column missing: date \(closest: 'Visit date', 'Upload date'\)\. "):
        imp(db_path, "population", two)


def test_excel_dates_with_two_digit_years(db_path, tmp_path):
    text = "site,date,residents\nA,1-Sep-14,1\nA,9/30/14,2\nA,9/1/14 0:00,3\nA,Oct-14,4\n"
    imp(db_path, "population", write(tmp_path, "p.csv", text))
    assert [r[1] for r in counts(db_path)] == ["2014-09-01", "2014-09-30", "2014-09-01", "2014-10-31"]


def test_a_failed_import_saves_no_mapping(db_path, tmp_path):
    bad = write(tmp_path, "a.csv", "Arrival,Persons\n2016-09-09,-5\n")
    with pytest.raises(ValidationFailed):
        imp(db_path, "transfers", bad, column_map={"date": "Arrival"}, set_values={"site": "A", "host_country": "ALB"},
            save_mapping="m")
    assert rows(db_path, "SELECT count(*) FROM mappings") == [(0,)]


def test_columns_joined_by_map_take_the_general_path_with_the_same_result(db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0)
    body = "".join(f"IRQ,Baghdad,{'Karkh' if i % 2 else ''},{i % 5},2025-01-01\n" for i in range(2000))
    path = write(tmp_path, "a.csv", "location_code,admin1_name,admin2_name,events,reference_period_start\n" + body)
    report = imp(db_path, "incidents", path, column_map={"site": "location_code+admin1_name+admin2_name"})
    assert (report.fast_path, report.added) == (False, 2000)
    assert rows(db_path, "SELECT s.name, count(*), sum(events) FROM incidents i JOIN sites s ON s.id = i.site_id "
                         "GROUP BY 1 ORDER BY 1") == [("IRQ / Baghdad", 1000, 2000), ("IRQ / Baghdad / Karkh", 1000, 2000)]


def test_a_header_cell_of_nothing_but_punctuation(db_path, tmp_path):
    path = write(tmp_path, "t.csv", ',,sit,\t",date,host_country,people\nCamp Liberty,2012-01-01,ALB,0\n')
    with pytest.raises(FileProblem, match="required column missing: site"):
        imp(db_path, "transfers", path)
