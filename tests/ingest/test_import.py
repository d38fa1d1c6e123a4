"""The canonical import: file checks, every validation rule, all or nothing, re-import and undo."""

from __future__ import annotations

import pytest
from conftest import TINY, table_digest, write

from resettle.domain.errors import FileProblem, UsageError, ValidationFailed
from resettle.ingest import importer
from resettle.store import db, writer

T_HEAD = "site,date,host_country,people,transfer_type,stage,case_id,origin_country,source\n"


def rows(db_path, sql):
    c = db.connect(db_path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def fail(db_path, kind, path, **kw) -> list[str]:
    """Import that must fail validation; returns the error lines and checks nothing was written."""
    before = table_digest(db_path)
    with pytest.raises(ValidationFailed) as info:
        importer.import_file(db_path, kind, path, importer.ImportOptions(**kw))
    assert table_digest(db_path) == before
    return [str(e) for e in info.value.errors]


def test_transfers_land_with_iso3_and_defaults(db_path):
    report = importer.import_file(db_path, "transfers", TINY / "transfers.csv")
    assert (report.rows_read, report.added, report.present) == (6, 6, 0)
    got = {r[1]: r for r in rows(db_path, "SELECT s.name, t.date, host_country, people, stage, t.source "
                                           "FROM transfers t JOIN sites s ON s.id = t.site_id")}
    assert got["2020-03-10"] == ("Alpha", "2020-03-10", "DEU", 40, "departed", "UNHCR")  # Germany -> DEU
    assert got["2020-05-01"][2] == "ALB"  # ISO2 AL -> ALB
    assert got["2020-06-15"][4:] == ("departed", "transfers.csv")  # empty stage -> departed; no source -> file name
    assert report.sites_created == 2
    assert rows(db_path, "SELECT name, source FROM sites ORDER BY name")[0][0] == "Alpha"


def test_batch_records_provenance(db_path):
    report = importer.import_file(db_path, "transfers", TINY / "transfers.csv",
                                   importer.ImportOptions(source="UNHCR weekly"))
    batch = rows(db_path, "SELECT id, kind, file_name, length(sha256), source, rows_read, rows_added FROM import_batches")
    assert batch == [(report.batch_id, "transfers", "transfers.csv", 64, "UNHCR weekly", 6, 6)]
    # --source fills rows that have none; rows with a source keep theirs
    assert rows(db_path, "SELECT DISTINCT source FROM transfers ORDER BY source") == [("UNHCR",), ("UNHCR weekly",)]
    assert rows(db_path, f"SELECT count(*) FROM transfers WHERE batch_id = {report.batch_id}") == [(6,)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Alpha,2020-02-30,ALB,5,,,,,\n", "t.csv:2: date: '2020-02-30' is not a date that exists"),
        ("Alpha,2020-13-01,ALB,5,,,,,\n", "t.csv:2: date: '2020-13-01' is not a date that exists"),
        ("Alpha,yesterday,ALB,5,,,,,\n", "t.csv:2: date: 'yesterday' is not a date I can read"),
        ("Alpha,2099-01-01,ALB,5,,departed,,,\n", "t.csv:2: date: 2099-01-01 is in the future"),
        ("Alpha,2020-01-01,ALB,-3,,,,,\n", "t.csv:2: people: -3 is negative"),
        ("Alpha,2020-01-01,ALB,2.5,,,,,\n", "t.csv:2: people: 2.5 is not a whole number"),
        ("Alpha,2020-01-01,ALB,many,,,,,\n", "t.csv:2: people: 'many' is not a number"),
        ("Alpha,2020-01-01,ALB,,,,,,\n", "t.csv:2: people: missing value (required)"),
        ("Alpha,2020-01-01,Albnia,5,,,,,\n", "t.csv:2: host_country: 'Albnia' is not a country"),
        ("Alpha,2020-01-01,ALB,5,relocaton,,,,\n", "t.csv:2: transfer_type: 'relocaton' is not one of"),
        ("Alpha,2020-01-01,ALB,5,,left,,,\n", "t.csv:2: stage: 'left' is not one of submitted, accepted, departed"),
        (",2020-01-01,ALB,5,,,,,\n", "t.csv:2: site: missing value (required)"),
        ("Alpha,,ALB,5,,,,,\n", "t.csv:2: date: missing value (required)"),
        ("Alpha,2020-01-01,ALB,5,,,,,,x,y\n", "t.csv:2: (row): 11 fields but the header has 9"),
    ],
)
def test_each_rule_names_line_column_and_problem(db_path, tmp_path, body, expected):
    path = write(tmp_path, "t.csv", T_HEAD + "Alpha,2020-01-01,ALB,5,,,,,\n" * 0 + body)
    errors = fail(db_path, "transfers", path)
    assert errors[0].startswith(expected), errors


def test_future_date_is_allowed_for_a_transfer_not_yet_departed(db_path, tmp_path):
    path = write(tmp_path, "t.csv", T_HEAD + "Alpha,2099-01-01,ALB,5,,submitted,C-9,,\n")
    report = importer.import_file(db_path, "transfers", path)
    assert report.added == 1


def test_line_numbers_count_the_header_and_every_error_is_listed(db_path, tmp_path):
    body = "".join(f"Alpha,2020-01-{d:02d},ALB,{d},,,,,\n" for d in range(1, 11))
    body = body.replace("2020-01-04,ALB,4", "2020-01-04,ALB,-4").replace("2020-01-09,ALB,9", "2020-01-09,XXX,9")
    errors = fail(db_path, "transfers", write(tmp_path, "t.csv", T_HEAD + body))
    assert errors == [
        "t.csv:5: people: -4 is negative",
        "t.csv:10: host_country: " + errors[1].split(": ", 2)[2],
    ]
    assert "XXX" in errors[1]


def test_one_bad_row_among_thousands_writes_nothing(db_path, tmp_path):
    importer.import_file(db_path, "population", TINY / "population.csv")
    good = "".join(f"Alpha,2020-{1 + i % 12:02d}-{1 + i % 28:02d},ALB,{i % 9},,,,,\n" for i in range(5000))
    lines = good.splitlines(keepends=True)
    lines[3210] = "Alpha,2020-01-01,ALB,1.5,,,,,\n"
    errors = fail(db_path, "transfers", write(tmp_path, "big.csv", T_HEAD + "".join(lines)))
    assert errors == ["big.csv:3212: people: 1.5 is not a whole number (counts of people are whole)"]


def test_dry_run_validates_and_writes_nothing(db_path):
    before = table_digest(db_path)
    report = importer.import_file(db_path, "transfers", TINY / "transfers.csv", importer.ImportOptions(dry_run=True))
    assert report.added == 6 and report.batch_id is None
    assert table_digest(db_path) == before


def test_identical_file_adds_nothing(db_path):
    first = importer.import_file(db_path, "transfers", TINY / "transfers.csv")
    again = importer.import_file(db_path, "transfers", TINY / "transfers.csv")
    assert again.identical_to == first.batch_id and again.added == 0
    assert rows(db_path, "SELECT count(*) FROM import_batches") == [(1,)]
    assert rows(db_path, "SELECT count(*) FROM transfers") == [(6,)]


def test_repeated_rows_are_present_occurrence_by_occurrence(db_path, tmp_path):
    a = write(tmp_path, "a.csv", T_HEAD + "Alpha,2020-01-01,ALB,5,,,,,\nAlpha,2020-01-01,ALB,5,,,,,\n")
    importer.import_file(db_path, "transfers", a)
    # the same flight three times now: two are already there, one is new; plus a new row
    b = write(tmp_path, "b.csv", T_HEAD + "Alpha,2020-01-01,ALB,5,,,,,\n" * 3 + "Alpha,2020-01-02,DEU,7,,,,,\n")
    report = importer.import_file(db_path, "transfers", b)
    assert (report.added, report.present) == (2, 2)
    assert rows(db_path, "SELECT count(*), sum(people) FROM transfers") == [(4, 22)]


def test_case_rows_update_their_case_and_undo_restores_it(db_path, tmp_path):
    a = write(tmp_path, "a.csv", T_HEAD + "Alpha,2020-01-01,ALB,4,,submitted,C-1,,\nAlpha,2020-01-01,DEU,2,,submitted,C-2,,\n")
    importer.import_file(db_path, "transfers", a)
    b = write(tmp_path, "b.csv", T_HEAD + "Alpha,2020-03-01,ALB,4,,departed,C-1,,\nAlpha,2020-01-01,DEU,2,,submitted,C-2,,\n")
    report = importer.import_file(db_path, "transfers", b)
    assert (report.added, report.updated, report.present) == (0, 1, 1)
    assert rows(db_path, "SELECT case_id, date, stage FROM transfers ORDER BY case_id") == [
        ("C-1", "2020-03-01", "departed"), ("C-2", "2020-01-01", "submitted")]
    c = db.connect(db_path)
    writer.undo(c, report.batch_id)
    c.close()
    assert rows(db_path, "SELECT case_id, date, stage, source FROM transfers ORDER BY case_id") == [
        ("C-1", "2020-01-01", "submitted", "a.csv"), ("C-2", "2020-01-01", "submitted", "a.csv")]


def test_undo_removes_exactly_the_batch(db_path, tmp_path):
    first = importer.import_file(db_path, "transfers", TINY / "transfers.csv")
    before = table_digest(db_path)
    extra = write(tmp_path, "extra.csv", T_HEAD + "Gamma,2020-01-01,ALB,5,,,,,\nAlpha,2020-01-09,ITA,3,,,,,\n")
    second = importer.import_file(db_path, "transfers", extra)
    assert rows(db_path, "SELECT count(*) FROM sites") == [(3,)]
    c = db.connect(db_path)
    removed = writer.undo(c, second.batch_id)
    c.close()
    assert removed["transfers"] == 2 and removed["sites"] == 1  # Gamma was created by that batch
    after = table_digest(db_path)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before
    assert first.batch_id != second.batch_id


def test_undo_unknown_batch(conn):
    with pytest.raises(UsageError, match="no import batch 99"):
        writer.undo(conn, 99)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"site,date\x00,people\n", "binary"),
        (b'site,date,host_country,people\nAlpha,2020-01-01,"ALB,5\nAlpha,2020-01-02,ALB,6\n', "never closed"),
    ],
)
def test_unreadable_files_are_refused(db_path, tmp_path, content, message):
    path = write(tmp_path, "bad.csv", content)
    before = table_digest(db_path)
    with pytest.raises(FileProblem, match=message) as info:
        importer.import_file(db_path, "transfers", path)
    assert "bad.csv" in str(info.value)
    assert table_digest(db_path) == before


def test_missing_required_column_lists_columns(db_path, tmp_path):
    path = write(tmp_path, "t.csv", "site,date,country,persons\nAlpha,2020-01-01,ALB,5\n")
    with pytest.raises(FileProblem) as info:
        importer.import_file(db_path, "transfers", path)
    text = str(info.value)
    assert text.startswith("t.csv:1: required column missing: host_country")
    assert "'site', 'date', 'country', 'persons'" in text


def test_duplicate_column_names_are_refused(db_path, tmp_path):
    path = write(tmp_path, "t.csv", "site,date,host_country,people,People\nAlpha,2020-01-01,ALB,5,6\n")
    with pytest.raises(FileProblem, match="twice"):
        importer.import_file(db_path, "transfers", path)


def test_header_only_file_is_refused(db_path, tmp_path):
    # An export that went wrong, not "nothing to add": refused, and no empty batch is written (issue 7).
    before = table_digest(db_path)
    with pytest.raises(FileProblem, match="t.csv:1: no data rows under the header"):
        importer.import_file(db_path, "transfers", write(tmp_path, "t.csv", T_HEAD))
    assert table_digest(db_path) == before


def test_medevac_rules(db_path, tmp_path):
    head = "site,date,request_date,patients,destination,reason,outcome,source\n"
    body = ("Alpha,2020-01-05,2020-01-10,1,,illness,returned,\n"
            "Alpha,,,1,,illness,pending,\n"
            "Alpha,,2020-01-01,1,,illness,refused,\n")
    errors = fail(db_path, "medevacs", write(tmp_path, "m.csv", head + body))
    assert errors[0] == "m.csv:2: date: evacuated 2020-01-05, before it was requested (2020-01-10)"
    assert errors[1] == "m.csv:3: date: needs an evacuation date or a request date"
    assert errors[2].startswith("m.csv:4: outcome: 'refused' is not one of returned, died, transferred_abroad")


def test_sites_import_and_update(db_path):
    importer.import_file(db_path, "transfers", TINY / "transfers.csv")
    report = importer.import_file(db_path, "sites", TINY / "sites.csv")
    assert (report.added, report.updated) == (0, 2)  # both sites existed (created by the transfers)
    assert rows(db_path, "SELECT name, country, capacity, lat FROM sites ORDER BY name") == [
        ("Alpha", "IRQ", 4000, 33.28), ("Beta", "IRQ", None, None)]


def test_every_kind_of_the_tiny_fixture_imports(tiny_db):
    counts = {t: rows(tiny_db, f"SELECT count(*) FROM {t}")[0][0]
              for t in ("sites", "population_counts", "transfers", "medical_evacuations", "incidents", "pledges")}
    assert counts == {"sites": 2, "population_counts": 5, "transfers": 6, "medical_evacuations": 3,
                      "incidents": 3, "pledges": 2}
    assert rows(tiny_db, "SELECT killed FROM incidents ORDER BY id") == [(5,), (2,), (None,)]


def _contents(path):
    return {t: rows(path, f"SELECT * FROM {t} ORDER BY id") for t in
            ("sites", "population_counts", "transfers", "incidents", "pledges")}


def test_fast_and_general_paths_store_the_same_rows(tmp_path, monkeypatch):
    from resettle.ingest import columnar

    def people(i: int) -> str:
        return f'"1,00{i % 10}"' if i % 7 == 0 else str(i % 9)

    body = "".join(
        f"Camp {'AB'[i % 2]},{1 + i % 28}/0{1 + i % 9}/2015,{['Albania', 'DE', 'FIN', 'Italy'][i % 4]},"
        f"{people(i)},{'Relocation' if i % 3 else ''},,, {'IRN' if i % 5 else 'NA'} ,\n"
        for i in range(3000)
    )
    path = write(tmp_path, "t.csv", T_HEAD + body)
    results = {}
    for label, threshold in (("general", 10**12), ("fast", 0)):
        monkeypatch.setattr(columnar, "FAST_MIN_BYTES", threshold)
        dbp = tmp_path / f"{label}.db"
        for kind in ("population", "incidents", "pledges", "transfers"):
            importer.import_file(dbp, kind, TINY / f"{kind}.csv")
        report = importer.import_file(dbp, "transfers", path)
        assert (report.rows_read, report.added) == (3000, 3000)
        assert report.fast_path == (label == "fast")
        results[label] = _contents(dbp)
    assert results["fast"] == results["general"]
    assert rows(tmp_path / "fast.db", "SELECT count(*), sum(people) FROM transfers WHERE source = 't.csv'") == [
        (3000, sum(1000 + i % 10 if i % 7 == 0 else i % 9 for i in range(3000)))]


def test_fast_path_falls_back_to_report_errors_with_lines(tmp_path, monkeypatch, db_path):
    from resettle.ingest import columnar

    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0)
    body = "Alpha,2020-01-01,ALB,5,,,,,\n" * 500 + "Alpha,2020-01-01,ALB,-5,,,,,\n"
    assert fail(db_path, "transfers", write(tmp_path, "t.csv", T_HEAD + body)) == ["t.csv:502: people: -5 is negative"]


def test_identical_file_is_identical_even_with_a_mapping_that_fails(db_path, tmp_path):
    """Whether the file is imported already is the first answer, before a --map that does not fit it."""
    path = tmp_path / "t.csv"
    path.write_text("site,date,host_country,people\nCamp A,2015-01-02,DEU,3\n")
    first = importer.import_file(db_path, "transfers", path)
    again = importer.import_file(db_path, "transfers", path,
                                  importer.ImportOptions(column_map={"people": "no such column"}))
    assert again.identical_to == first.batch_id and again.added == 0
