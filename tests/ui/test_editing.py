"""Adding and correcting records in the dashboard (in-process, AppTest): the Add a record form, the Data
page's editor and what it saves, the sign-in's throttling, and no editing controls in read-only or
public mode."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import open_dashboard, table_digest

import resettle
from resettle.domain.records import KINDS
from resettle.store import audit, auth, db
from resettle.ui import editing

FAST = {"n": 2**4, "r": 1, "p": 1}  # cheap hashes: the flow is tested here, the hash in test_auth
PASSWORD = "correct horse battery"


@pytest.fixture
def plain(monkeypatch):
    """No read-only mode, no public mode, no editors from the environment: an open local dashboard."""
    for name in ("RESETTLE_READ_ONLY", "RESETTLE_PUBLIC", "RESETTLE_EDITORS", "RESETTLE_EDITOR"):
        monkeypatch.delenv(name, raising=False)


def test_the_form_saves_a_population_count_as_a_change_set(plain, monkeypatch, tiny_db):
    at = open_dashboard(monkeypatch, tiny_db, "add")
    assert at.selectbox(key="entry_kind").value == "population"
    assert at.selectbox(key="entry_population_site_0").options == ["Alpha", "Beta", "New site…"]
    assert at.date_input(key="entry_population_date_0").proto.max == dt.date.today().isoformat()  # no date in the future
    at.selectbox(key="entry_population_site_0").set_value("Alpha")
    at.date_input(key="entry_population_date_0").set_value(dt.date(2020, 7, 20))
    at.number_input(key="entry_population_residents_0").set_value(640)
    at.button(key="entry_save").click().run()
    assert [e.value for e in at.error] == [
        "Nothing was saved:\n\n- source: missing value (required: who reported this figure)"]
    assert resettle.open_database(tiny_db).headline(sites="Alpha").residents == 700  # nothing written
    at.text_input(key="entry_population_source_0").input("UNHCR field note").run()
    at.button(key="entry_save").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Saved as population record 6 (change set 7 (population): 1 added")
    assert at.number_input(key="entry_population_residents_1").value is None  # a fresh, empty form
    database = resettle.open_database(tiny_db)
    assert database.headline(sites="Alpha").residents == 640
    assert database.batches()[0]["reason"] == "new figure entered in the form"


def test_the_form_takes_a_new_site_and_a_country_by_name(plain, monkeypatch, tiny_db):
    at = open_dashboard(monkeypatch, tiny_db, "add")
    at.selectbox(key="entry_kind").set_value("transfers").run()
    at.selectbox(key="entry_transfers_site_0").set_value("New site…").run()
    at.text_input(key="entry_transfers_site_0_new").input("Camp Hurriya")
    at.date_input(key="entry_transfers_date_0").set_value(dt.date(2020, 6, 30))
    country = at.selectbox(key="entry_transfers_host_country_0")
    assert country.format_func("ALB") == "Albania"
    country.set_value("ALB")
    at.number_input(key="entry_transfers_people_0").set_value(14)
    assert at.selectbox(key="entry_transfers_stage_0").value == "departed"  # the default stage
    at.text_input(key="entry_transfers_source_0").input("VOA")
    at.button(key="entry_save").click().run()
    assert not at.error, [e.value for e in at.error]
    database = resettle.open_database(tiny_db)
    assert database.sites() == ["Alpha", "Beta", "Camp Hurriya"]
    assert database.headline(sites="Camp Hurriya").relocated_by_country == {"ALB": 14}


def test_the_data_page_editor_shows_the_rows_as_stored(plain, monkeypatch, tiny_db):
    at = open_dashboard(monkeypatch, tiny_db, "data")
    assert at.dataframe[0].proto.placeholder == ""  # empty cells read as empty, not "None"
    at.toggle(key="data_editing").set_value(True).run()
    assert not at.exception
    [table] = at.dataframe
    assert table.proto.editing_mode == table.proto.EditingMode.DYNAMIC and table.proto.placeholder == ""
    shown = table.value
    assert shown["id"].tolist() == [1, 5, 2, 3, 4]  # date order, as the table shows them
    assert shown["residents"].tolist() == [1000, 200, 900, 880, 700]
    assert shown["female"].isna().all()
    assert at.button(key="data_save").disabled  # nothing changed yet
    assert at.caption[-1].value == "0 rows changed, 0 added, 0 deleted, not saved yet."


def test_what_the_editor_saves(tiny_db):
    """The editor's table after changes becomes the change set: only the cells that changed."""
    kind = KINDS["population"]
    database = resettle.open_database(tiny_db)
    loaded = database.records("population", [1, 2, 3, 4])
    before = editing.frame_of(kind, loaded, [1, 2, 3, 4])
    after = before.copy()
    after.loc[after["id"] == 4, "residents"] = 650
    after.loc[after["id"] == 2, "date"] = dt.date(2020, 4, 2)
    after = after[after["id"] != 3]
    new = pd.DataFrame([{"site": "Alpha", "date": dt.date(2020, 7, 10), "residents": 690, "source": "NGO"},
                        {}], columns=before.columns)
    after = pd.concat([after, new], ignore_index=True).astype({"residents": "Int64"})
    found = editing.corrections(kind, before, after, loaded)
    assert [(c.action, c.record_id, c.row) for c in found] == [
        ("edit", 2, 2), ("edit", 4, 4), ("add", None, 5), ("delete", 3, 3)]  # the empty new row is no row
    assert found[0].values == {"date": dt.date(2020, 4, 2)}
    assert found[1].values == {"residents": 650} and found[1].loaded == loaded[4]
    done = database.save("population", found, reason="corrections")
    assert (done.edited, done.deleted, len(done.added)) == ([2, 4], [3], 1)
    assert database.headline(sites="Alpha", as_of="2020-07-01").residents == 650


@pytest.mark.parametrize("env", ["RESETTLE_READ_ONLY", "RESETTLE_PUBLIC"])
def test_no_editing_controls_in_read_only_or_public_mode(plain, monkeypatch, tiny_db, env):
    monkeypatch.setenv(env, "1")
    before = table_digest(tiny_db)
    at = open_dashboard(monkeypatch, tiny_db, "data")
    assert not at.toggle and not at.get("data_editor")
    at = open_dashboard(monkeypatch, tiny_db, "add")
    assert not at.button and not at.number_input  # read-only: no such page; public: says why
    if env == "RESETTLE_PUBLIC":
        assert "public" in at.warning[0].value
    assert table_digest(tiny_db) == before


def test_sign_in_is_refused_after_five_failures(plain, monkeypatch, tiny_db):
    secrets = {"editors": {"Amira": auth.hash_password(PASSWORD, **FAST)}}
    at = open_dashboard(monkeypatch, tiny_db, "add", secrets=secrets)
    assert not at.number_input  # no form before signing in

    def sign_in(password: str) -> None:
        at.text_input(key="sign_in_name").input("Amira")
        at.text_input(key="sign_in_password").input(password)
        next(b for b in at.button if b.label == "Sign in").click().run()
        assert not at.exception

    for _ in range(5):
        sign_in("wrong password")
        assert [e.value for e in at.error] == ["Wrong editor name or password."]
    sign_in(PASSWORD)  # the right password, now refused
    assert at.error[0].value.startswith("Too many failed sign-ins for this editor name (5 within 15 minutes)")
    assert not at.number_input
    conn = db.connect(tiny_db)
    try:
        actions = [e["action"] for e in audit.list_audit(conn)]
    finally:
        conn.close()
    assert actions[:6] == ["sign-in refused"] + ["sign-in failed"] * 5
