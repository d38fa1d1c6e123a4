"""Records entered by hand are validated by the import's own engine: the same values pass, the same
problems give the same messages, under the same field."""

from __future__ import annotations

import datetime as dt

import pytest

from resettle.domain.errors import ValidationFailed
from resettle.domain.records import KINDS
from resettle.ingest import entry, importer

ROWS = {
    "transfers": [
        {"site": "Alpha", "date": "2099-01-01", "host_country": "Albnia", "people": "2.5", "stage": "departed",
         "source": "s"},
        {"site": "Alpha", "date": "31/02/2015", "host_country": "DEU", "people": "-3", "transfer_type": "flight",
         "source": "s"},
    ],
    "medevacs": [
        {"site": "Alpha", "date": "2015-01-01", "request_date": "2015-02-01", "patients": "1", "outcome": "dead",
         "source": "s"},
        {"site": "Alpha", "patients": "x", "source": "s"},
    ],
    "population": [{"site": "", "date": "", "residents": "1e40", "origin_country": "Narnia", "source": "s"}],
}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_the_same_problems_as_an_import_of_the_same_rows(kind, tmp_path):
    rows = ROWS[kind]
    names = KINDS[kind].names
    path = tmp_path / f"{kind}.csv"
    path.write_text(",".join(names) + "\n" + "".join(
        ",".join(f'"{row.get(n, "")}"' for n in names) + "\n" for row in rows), encoding="utf-8")
    # Entered by hand, a value is checked as --strict checks it (an unknown country is an error, not stored
    # empty), and a count the source suppressed is an error on its row, where an import leaves the row out.
    with pytest.raises(ValidationFailed) as imported:
        importer.import_file(tmp_path / "x.db", kind, path, importer.ImportOptions(strict=True))
    with pytest.raises(ValidationFailed) as entered:
        entry.validate(KINDS[kind], rows, lines=[n + 2 for n in range(len(rows))])  # the file's lines
    problems = [(e.line, e.column, e.message) for e in entered.value.errors]
    suppressed = [p for p in problems if p[2].startswith("suppressed by the source")]
    assert [p for p in problems if p not in suppressed] == [
        (e.line, e.column, e.message) for e in imported.value.errors]
    assert len(entered.value.errors) >= 2
    if kind == "medevacs":  # 'x' in a required count: the row an import leaves out, with the same words
        assert suppressed == [(3, "patients", "suppressed by the source: 'x' is a figure withheld")]
        report = importer.import_file(tmp_path / "y.db", kind, path,
                                      importer.ImportOptions(strict=True, skip_invalid=True, dry_run=True))
        assert [(e.line, e.column, e.message) for e in report.suppressed] == suppressed
    else:
        assert suppressed == []


def test_values_as_a_form_or_a_table_gives_them():
    [row] = entry.validate(KINDS["population"], [{
        "site": " Camp  Liberty ", "date": dt.date(2015, 12, 31), "residents": 1969.0, "female": float("nan"),
        "origin_country": "Iran (Islamic Rep. of)", "source": "UNHCR update no. 13"}])
    assert row == {"site": "Camp Liberty", "date": "2015-12-31", "residents": 1969, "origin_country": "IRN",
                   "female": None, "male": None, "children": None, "age_0_4": None, "age_5_11": None,
                   "age_12_17": None, "age_18_59": None, "age_60_plus": None, "source": "UNHCR update no. 13"}
    [flight] = entry.validate(KINDS["transfers"], [{"site": "A", "date": "2099-01-01", "host_country": "al",
                                                    "people": "1,009", "stage": "submitted", "source": "s"}])
    assert (flight["date"], flight["host_country"], flight["people"]) == ("2099-01-01", "ALB", 1009)  # planned


def test_a_row_without_a_source_is_refused_and_unknown_fields_are_a_usage_error():
    with pytest.raises(ValidationFailed) as failed:
        entry.validate(KINDS["pledges"], [{"host_country": "NOR", "date": "2015-01-01", "places": 5, "source": "NA"}],
                       lines=[4])
    assert [(e.line, e.column, e.message) for e in failed.value.errors] == [(4, "source", entry.SOURCE_MISSING)]
    assert entry.describe(failed.value.errors[0]) == f"row 4, source: {entry.SOURCE_MISSING}"
    from resettle.domain.errors import UsageError

    with pytest.raises(UsageError, match="pledges have no field 'site'"):
        entry.validate(KINDS["pledges"], [{"site": "A"}])
