"""`resettle add`, `edit`, `delete` and `history`: each change a change set that `batches` lists and
`undo` undoes; exit 1 for an invalid value (nothing written), 2 for usage, an unknown id or a read-only
database."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, table_digest


def cli(*args, env: dict | None = None):
    return run_cli(*args, env={"RESETTLE_EDITOR": "Amira", **(env or {})})


def summary(db) -> dict:
    return json.loads(cli("summary", "--db", db, "--site", "Alpha", "--json").output)


def test_add_prints_the_new_id_and_undo_takes_it_out(tiny_db):
    result = cli("add", "population", "site=Alpha", "date=2020-07-15", "residents=690", "source=UNHCR",
                 "--reason", "mid-month count", "--db", tiny_db)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "6"  # the new record's id, alone on standard output
    assert summary(tiny_db)["residents"] == 690
    batches = cli("batches", "--db", tiny_db).output.splitlines()
    assert batches[1].split()[:5] == ["7", "population", "1", "1", "0"]
    assert batches[1].endswith("change set: mid-month count")
    undone = cli("undo", "7", "--db", tiny_db)
    assert undone.exit_code == 0 and "removed 1 population_counts" in undone.output
    assert summary(tiny_db)["residents"] == 700


def test_edit_delete_and_history(tiny_db):
    edited = cli("edit", "population", "4", "residents=650", "--reason", "typo", "--db", tiny_db)
    assert edited.exit_code == 0, edited.output
    assert edited.output.strip() == "change set 7 (population): 0 added, 1 edited, 0 deleted; reason: typo"
    assert summary(tiny_db)["residents"] == 650
    assert cli("delete", "population", "4", "--reason", "counted twice", "--db", tiny_db).exit_code == 0
    # Without the July count: April's median (900 and 880 give 890), less the departures (100 + 80) and
    # deaths (2 killed, 1 evacuee died) up to the new as-of date, 2020-06-15.
    assert summary(tiny_db)["residents"] == 890 - 180 - 3
    text = cli("history", "population", "4", "--db", tiny_db).output.splitlines()
    assert text[0].split()[1:5] == ["import", "batch", "2", "by"] and text[0].endswith("file: population.csv")
    assert "    residents: (empty) -> 700" in text
    assert any(" edit " in line and line.endswith("reason: typo") for line in text)
    assert "    residents: 700 -> 650" in text and "    residents: 650 -> (empty)" in text
    versions = json.loads(cli("history", "population", "4", "--json", "--db", tiny_db).output)
    assert [(v["action"], v["batch_id"], v["editor"], v["reason"]) for v in versions] == [
        ("import", 2, None, None), ("edit", 7, "Amira", "typo"), ("delete", 8, "Amira", "counted twice")]
    assert versions[1]["changes"] == {"residents": {"before": 700, "after": 650}}
    refused = cli("undo", "7", "--db", tiny_db)
    assert refused.exit_code == 2 and "undo change set 8 first" in refused.output
    assert cli("undo", "8", "--db", tiny_db).exit_code == 0
    assert "put back 1 population_counts as they were" in cli("undo", "7", "--db", tiny_db).output
    assert summary(tiny_db)["residents"] == 700


def test_an_empty_value_empties_a_field(tiny_db):
    assert cli("edit", "incidents", "1", "wounded=", "--reason", "no figure", "--db", tiny_db).exit_code == 0
    versions = json.loads(cli("history", "incidents", "1", "--json", "--db", tiny_db).output)
    assert versions[-1]["changes"] == {"wounded": {"before": 12, "after": None}}


@pytest.mark.parametrize(("args", "code", "said"), [
    (["add", "population", "site=Alpha", "date=2020-07-15", "residents=-5", "source=s", "--reason", "x"], 1,
     "residents: -5 is negative\nNothing was written: the database is unchanged."),
    (["add", "pledges", "host_country=Narnia", "date=2020-01-01", "places=5", "--reason", "x"], 1,
     "source: missing value (required: who reported this figure)"),
    (["edit", "population", "4", "residents=650"], 2, "Missing option '--reason'"),
    (["edit", "population", "4", "residents650", "--reason", "x"], 2, "give each field as FIELD=VALUE"),
    (["edit", "population", "4", "people=5", "--reason", "x"], 2, "population have no field 'people'"),
    (["edit", "population", "99", "residents=5", "--reason", "x"], 2, "there is no population record 99"),
    (["delete", "population", "99", "--reason", "x"], 2, "there is no population record 99"),
    (["history", "population", "99"], 2, "nothing is known of population record 99"),
    (["add", "transfers", "site=Alpha", "date=2020-02-15", "host_country=ALB", "people=50",
      "transfer_type=relocation", "origin_country=IRN", "source=UNHCR", "--reason", "x"], 2,
     "every field equals transfers record 2"),
])
def test_refusals_write_nothing(tiny_db, args, code, said):
    before = table_digest(tiny_db)
    result = cli(*args, "--db", tiny_db)
    assert result.exit_code == code, result.output
    assert said in result.output and "Traceback" not in result.output
    assert table_digest(tiny_db) == before


def test_a_read_only_database_is_refused(tiny_db):
    before = table_digest(tiny_db)
    for args in (["add", "pledges", "host_country=NOR", "date=2020-01-01", "places=5", "source=s"],
                 ["edit", "population", "4", "residents=650"], ["delete", "population", "4"]):
        result = cli(*args, "--reason", "x", "--db", tiny_db, env={"RESETTLE_READ_ONLY": "1"})
        assert result.exit_code == 2 and "read-only" in result.output, result.output
    assert table_digest(tiny_db) == before


def test_a_separate_record_and_a_missing_database(tiny_db, tmp_path):
    twin = ["add", "transfers", "site=Alpha", "date=2020-02-15", "host_country=ALB", "people=50",
            "transfer_type=relocation", "origin_country=IRN", "source=UNHCR", "--reason", "second flight"]
    assert cli(*twin, "--separate", "--db", tiny_db).exit_code == 0
    assert summary(tiny_db)["relocated_total"] == 320
    for args in (twin, ["edit", "population", "4", "residents=1", "--reason", "x"], ["delete", "population", "4",
                                                                                    "--reason", "x"]):
        result = cli(*args, "--db", tmp_path / "typo.db")
        assert result.exit_code == 2 and "no database here" in result.output
    assert not (tmp_path / "typo.db").exists()
