"""Change sets: records added, corrected and deleted by hand, as batches with a reason; their audit
entries, history, exact undo, the refusal to undo an import a later change set touched, and the refusal
of a save whose rows changed since they were loaded."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import table_digest

import resettle
from resettle.api import Correction
from resettle.domain.errors import UsageError, ValidationFailed
from resettle.store import audit, changes, db

COUNT_4 = 4  # tiny: Alpha's last population count, 700 on 2020-07-01 (UNHCR)


@pytest.fixture
def tiny(tiny_db):
    return resettle.open_database(tiny_db)


def _audit(database) -> list[dict]:
    with database.connect() as conn:
        return audit.list_audit(conn)


def test_an_edit_is_a_change_set_with_its_fields_before_and_after(tiny):
    assert tiny.headline(sites="Alpha").residents == 700
    done = tiny.edit("population", COUNT_4, {"residents": "650"}, reason="typo in the census", editor="Amira")
    assert (done.kind, done.edited, done.added, done.deleted) == ("population", [COUNT_4], [], [])
    assert tiny.headline(sites="Alpha").residents == 650
    batch = tiny.batches()[0]
    assert (batch["id"], batch["kind"], batch["file_name"], batch["reason"], batch["editor"]) == (
        done.batch_id, "population", "change set", "typo in the census", "Amira")
    assert (batch["rows_added"], batch["rows_updated"], batch["rows_deleted"]) == (0, 1, 0)
    log = _audit(tiny)
    assert [(e["action"], e["batch_id"], e["editor"]) for e in log[:2]] == [
        ("change", done.batch_id, "Amira"), ("edit", done.batch_id, "Amira")]
    assert log[1]["detail"] == f"population {COUNT_4}: residents 700 -> 650"


def test_undo_of_a_change_set_restores_every_row_exactly(tiny, tiny_db):
    before = table_digest(tiny_db)
    done = tiny.save("population", [
        Correction("edit", COUNT_4, {"residents": 650, "source": "UNHCR (corrected)"}),
        Correction("delete", 2),
        Correction("add", values={"site": "Gamma", "date": "2020-05-05", "residents": "1,200", "source": "NGO"}),
    ], reason="census corrections", editor="Amira")
    assert (done.edited, done.deleted, len(done.added), done.sites_created) == ([COUNT_4], [2], 1, 1)
    with tiny.connect() as conn:
        assert conn.execute("SELECT count(*) FROM population_counts WHERE id = 2").fetchone()[0] == 0
        assert conn.execute("SELECT residents FROM population_counts WHERE id = ?", (done.added[0],)).fetchone() == (1200,)
    removed = tiny.undo(done.batch_id, editor="Amira")
    assert removed["population_counts"] == 1 and removed["sites"] == 1  # the added row and the site it made
    assert removed["population_counts restored"] == 2  # the edited and the deleted row, as they were
    after = table_digest(tiny_db)
    for table in ("population_counts", "sites", "transfers", "batch_changes", "record_changes"):
        assert after[table] == before[table], table
    assert tiny.headline(sites="Alpha").residents == 700


def test_a_deleted_row_is_not_counted(tiny):
    with tiny.connect() as conn:
        departed = conn.execute("SELECT id FROM transfers WHERE people = 100").fetchone()[0]
    assert tiny.headline(sites="Alpha").relocated_total == 270
    tiny.delete("transfers", departed, reason="entered twice")
    assert tiny.headline(sites="Alpha").relocated_total == 170
    assert tiny.headline(sites="Alpha").relocated_by_country["ALB"] == 50


def test_undoing_an_import_a_later_change_set_touched_is_refused_naming_it(tiny, tiny_db):
    population_batch = next(b["id"] for b in tiny.batches() if b["kind"] == "population")
    edit = tiny.edit("population", COUNT_4, {"residents": 650}, reason="typo")
    with pytest.raises(UsageError) as refused:
        tiny.undo(population_batch)
    assert str(refused.value) == (f"change set {edit.batch_id} (population, reason: typo) changed rows that batch "
                                  f"{population_batch} (population from population.csv) wrote; undo change set "
                                  f"{edit.batch_id} first")
    tiny.undo(edit.batch_id)
    # A deleted row is gone from the table, and still counts as touched.
    deletion = tiny.delete("population", 3, reason="a duplicate")
    with pytest.raises(UsageError, match=f"undo change set {deletion.batch_id} first"):
        tiny.undo(population_batch)
    tiny.undo(deletion.batch_id)
    assert tiny.undo(population_batch)["population_counts"] == 5


def test_a_change_set_edited_later_is_undone_last(tiny):
    first = tiny.add("transfers", {"site": "Alpha", "date": "2020-06-30", "host_country": "Albania", "people": 14,
                                   "source": "VOA"}, reason="new flight")
    second = tiny.edit("transfers", first.added[0], {"people": 15}, reason="14 was 15")
    with pytest.raises(UsageError, match=f"undo change set {second.batch_id} first"):
        tiny.undo(first.batch_id)
    versions = tiny.history("transfers", first.added[0])
    assert [(v.action, v.batch_id, v.reason) for v in versions] == [
        ("add", first.batch_id, "new flight"), ("edit", second.batch_id, "14 was 15")]
    assert versions[0].changes["host_country"] == (None, "ALB") and versions[1].changes == {"people": (14, 15)}


def test_the_later_of_two_saves_of_a_row_is_refused_and_writes_nothing(tiny, tiny_db):
    loaded = tiny.records("population", [COUNT_4, 1])  # both editors load the table
    tiny.save("population", [Correction("edit", COUNT_4, {"residents": 650}, loaded=loaded[COUNT_4])],
              reason="first editor", editor="Amira")
    before = table_digest(tiny_db)
    with pytest.raises(changes.ChangedSinceLoaded) as refused:
        tiny.save("population", [Correction("edit", 1, {"residents": 990}, loaded=loaded[1], row=1),
                                 Correction("edit", COUNT_4, {"residents": 640}, loaded=loaded[COUNT_4], row=4)],
                  reason="second editor", editor="Jonas")
    message = str(refused.value)
    assert message.startswith(f"row 4: population record {COUNT_4} changed since it was loaded (residents), by "
                              "change set ")
    assert "Amira" in message and "nothing was saved" in message
    assert table_digest(tiny_db) == before  # row 1's change is not written either
    tiny.delete("population", 1, reason="gone", loaded=loaded[1])
    with pytest.raises(changes.ChangedSinceLoaded, match="was deleted since it was loaded"):
        tiny.edit("population", 1, {"residents": 5}, reason="late", loaded=loaded[1])


def test_an_invalid_value_names_row_and_field_and_writes_nothing(tiny, tiny_db):
    before = table_digest(tiny_db)
    with pytest.raises(ValidationFailed) as failed:
        tiny.save("transfers", [
            Correction("add", values={"site": "Alpha", "date": "2020-07-01", "host_country": "Albnia", "people": 3,
                                      "source": "s"}, row=7),
            Correction("edit", 2, {"people": "-3"}, row=1),
        ], reason="mixed")
    assert [(e.line, e.column, e.message) for e in failed.value.errors] == [
        (7, "host_country", "'Albnia' is not a country I know; did you mean Albania (ALB)?"),
        (1, "people", "-3 is negative"),
    ]
    assert table_digest(tiny_db) == before


def test_a_record_entered_by_hand_needs_a_source_and_a_reason(tiny):
    with pytest.raises(ValidationFailed) as failed:
        tiny.add("pledges", {"host_country": "Norway", "date": "2020-03-01", "places": 20}, reason="new pledge")
    assert [(e.column, e.message) for e in failed.value.errors] == [
        ("source", "missing value (required: who reported this figure)")]
    with pytest.raises(UsageError, match="needs a reason"):
        tiny.add("pledges", {"host_country": "Norway", "date": "2020-03-01", "places": 20, "source": "s"}, reason=" ")


def test_a_twin_of_another_row_is_refused_unless_separate(tiny):
    flight = {"site": "Alpha", "date": "2020-02-15", "host_country": "ALB", "people": 50,
              "transfer_type": "relocation", "origin_country": "IRN", "source": "another source"}
    with pytest.raises(UsageError, match=r"every field equals transfers record 2 \(batch \d+ \(transfers from "
                                         r"transfers.csv\)\)"):
        tiny.add("transfers", flight, reason="same flight, other source")
    done = tiny.add("transfers", flight, reason="a second flight of 50 that day", separate=True)
    assert len(done.added) == 1
    # A population count from another source is no twin: both sources' counts are kept.
    tiny.add("population", {"site": "Alpha", "date": "2020-07-01", "residents": 700, "source": "NGO"}, reason="ngo")


def test_a_case_id_is_one_record(tiny):
    with pytest.raises(UsageError, match="case 'C-1' is already transfers record 1"):
        tiny.add("transfers", {"site": "Alpha", "date": "2020-06-20", "host_country": "ALB", "people": 30,
                               "case_id": "C-1", "stage": "departed", "source": "UNHCR"}, reason="departed")
    tiny.edit("transfers", 1, {"stage": "departed"}, reason="the case departed")
    assert tiny.headline(sites="Alpha").relocated_total == 300


def test_unknown_ids_fields_and_unchanged_rows(tiny):
    with pytest.raises(changes.UnknownRecord, match="there is no population record 999"):
        tiny.edit("population", 999, {"residents": 1}, reason="x")
    with pytest.raises(UsageError, match="population have no field 'resident'"):
        tiny.edit("population", 1, {"resident": 1}, reason="x")
    with pytest.raises(UsageError, match="nothing to save"):
        tiny.edit("population", 1, {"residents": "1,000"}, reason="the same value")
    assert tiny.batches()[0]["reason"] is None  # nothing was written


def test_a_site_in_use_is_not_deleted_and_a_site_can_be_renamed(tiny):
    with pytest.raises(UsageError, match="the site 'Beta' still has population counts, transfers, incidents"):
        tiny.delete("sites", 2, reason="x")
    tiny.edit("sites", 2, {"name": "Beta camp"}, reason="its real name")
    assert tiny.sites() == ["Alpha", "Beta camp"]
    with pytest.raises(UsageError, match="another site has this name already"):
        tiny.edit("sites", 2, {"name": "alpha"}, reason="clash")


def test_history_lists_every_version(tiny):
    first = tiny.edit("population", COUNT_4, {"residents": 650}, reason="typo", editor="Amira")
    second = tiny.edit("population", COUNT_4, {"residents": 660, "source": "UNHCR letter"}, reason="letter",
                       editor="Jonas")
    third = tiny.delete("population", COUNT_4, reason="counted twice", editor="Amira")
    versions = tiny.history("population", COUNT_4)
    assert [(v.action, v.editor, v.reason) for v in versions] == [
        ("import", None, None), ("edit", "Amira", "typo"), ("edit", "Jonas", "letter"), ("delete", "Amira", "counted twice")]
    assert versions[0].source_file == "population.csv"
    assert versions[0].changes == {"site": (None, "Alpha"), "date": (None, "2020-07-01"), "residents": (None, 700),
                                   "source": (None, "UNHCR")}
    assert [v.batch_id for v in versions[1:]] == [first.batch_id, second.batch_id, third.batch_id]
    assert versions[1].changes == {"residents": (700, 650)}
    assert versions[2].changes == {"residents": (650, 660), "source": ("UNHCR", "UNHCR letter")}
    assert versions[3].changes["residents"] == (660, None)


def test_history_of_a_case_updated_by_a_later_import(tiny, tmp_path):
    update = tmp_path / "update.csv"
    update.write_text("site,date,host_country,people,stage,case_id,source\nAlpha,2020-06-25,ALB,30,departed,C-1,UNHCR\n")
    report = tiny.import_file("transfers", update)
    versions = tiny.history("transfers", 1)
    assert [v.action for v in versions] == ["import", "update"]
    assert versions[1].batch_id == report.batch_id
    # The file's row has no transfer_type: the case takes the row as it is, empty type included.
    assert versions[1].changes == {"date": ("2020-06-20", "2020-06-25"), "transfer_type": ("relocation", None),
                                   "stage": ("submitted", "departed")}


def test_read_only_and_public_modes_refuse_every_change(tiny, tiny_db, monkeypatch):
    before = table_digest(tiny_db)
    for env in ("RESETTLE_READ_ONLY", "RESETTLE_PUBLIC"):
        monkeypatch.setenv(env, "1")
        for change in (lambda: tiny.edit("population", 1, {"residents": 5}, reason="x"),
                       lambda: tiny.add("pledges", {"host_country": "NOR", "date": "2020-01-01", "places": 1,
                                                    "source": "s"}, reason="x"),
                       lambda: tiny.delete("population", 1, reason="x")):
            with pytest.raises(UsageError, match="switched off"):
                change()
        monkeypatch.delenv(env)
    assert table_digest(tiny_db) == before


def test_a_database_file_nobody_may_write_is_a_usage_error(tiny, tiny_db, monkeypatch):
    real = db.connect

    def read_only(path, **kw):  # the file opened as a user without write permission would have it
        conn = real(path, **kw)
        conn.execute("PRAGMA query_only = ON")
        return conn

    monkeypatch.setattr(db, "connect", read_only)
    with pytest.raises(UsageError, match="cannot be written"):
        tiny.edit("population", 1, {"residents": 5}, reason="x")


def test_upgrading_a_version_5_database_keeps_its_rows_and_allows_change_sets(tiny_db):
    conn = sqlite3.connect(tiny_db)
    conn.isolation_level = None
    for statement in ("DROP TABLE record_changes", "DROP TABLE sign_in_failures",
                      "ALTER TABLE import_batches DROP COLUMN reason", "PRAGMA user_version = 5"):
        conn.execute(statement)
    conn.close()
    database = resettle.open_database(tiny_db)
    assert database.headline(sites="Alpha").residents == 700  # opening it upgrades it
    done = database.edit("population", COUNT_4, {"residents": 650}, reason="after the upgrade")
    assert database.headline(sites="Alpha").residents == 650
    database.undo(done.batch_id)
    assert database.headline(sites="Alpha").residents == 700


def test_a_later_import_does_not_bring_back_a_corrected_value(tiny, tmp_path):
    """The weekly file still has the typo: its row is not added beside the correction, and the report
    says why; a row entered by hand that the file has too is named as well."""
    fix = tiny.edit("population", COUNT_4, {"residents": 650}, reason="typo")
    flight = tiny.add("transfers", {"site": "Alpha", "date": "2020-06-30", "host_country": "ALB", "people": 14,
                                    "source": "VOA"}, reason="phoned in")
    weekly = tmp_path / "weekly.csv"
    weekly.write_text("site,date,residents,source\nAlpha,2020-07-01,700,UNHCR\nAlpha,2020-07-08,690,UNHCR\n")
    report = tiny.import_file("population", weekly)
    assert (report.added, report.present) == (1, 1)
    assert (f"1 rows equal records that change set {fix.batch_id} corrected or deleted: not added again (the "
            "correction stands; undo the change set to have them back)") in report.notes
    assert tiny.headline(sites="Alpha", as_of="2020-07-01").residents == 650
    flights = tmp_path / "flights.csv"
    flights.write_text("site,date,host_country,people,source\nAlpha,2020-06-30,Albania,14,UNHCR\n")
    report = tiny.import_file("transfers", flights)
    assert (report.added, report.present) == (0, 1)
    assert report.notes[-1] == (f"1 rows already present are records entered by hand (change set {flight.batch_id}): "
                                "undoing that change set would remove them, though this file has them too")
