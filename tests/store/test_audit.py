"""The audit log: every import and undo with its editor ($RESETTLE_EDITOR), listed by `resettle audit`."""

from __future__ import annotations

from conftest import TINY, run_cli

from resettle.store import audit, db


def run(*args, editor: str | None = None):
    return run_cli(*args, env={"RESETTLE_EDITOR": editor} if editor else {})


def test_imports_and_undos_are_logged_with_their_editor(db_path):
    assert run("import", "transfers", TINY / "transfers.csv", "--db", db_path, editor="Amina Y.").exit_code == 0
    assert run("import", "incidents", TINY / "incidents.csv", "--db", db_path, editor="Jonas K.").exit_code == 0
    assert run("undo", "1", "--db", db_path, editor="Jonas K.").exit_code == 0
    conn = db.connect(db_path)
    try:
        log = audit.list_audit(conn)
    finally:
        conn.close()
    assert [(e["editor"], e["action"], e["batch_id"]) for e in log] == [
        ("Jonas K.", "undo", 1), ("Jonas K.", "import", 2), ("Amina Y.", "import", 1)]
    assert log[2]["detail"] == "transfers from transfers.csv: 6 added, 0 updated"
    assert log[0]["detail"].startswith("undid transfers from transfers.csv: transfers 6")

    result = run("audit", "--db", db_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "at", "(UTC)", "editor", "action", "batch", "what"]
    assert "Jonas K." in lines[1] and "undo" in lines[1] and "undid transfers" in lines[1]
    assert "Amina Y." in lines[3] and "import" in lines[3] and "6 added" in lines[3]


def test_an_import_without_editor_is_logged_too(db_path):
    assert run("import", "transfers", TINY / "transfers.csv", "--db", db_path).exit_code == 0
    result = run("audit", "--db", db_path)
    assert result.exit_code == 0 and " - " in result.output.splitlines()[1]


def test_a_refused_import_writes_no_audit_row(db_path, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("site,date,host_country,people\nAlpha,2020-01-01,ALB,-1\n")
    assert run("import", "transfers", bad, "--db", db_path, editor="Amina Y.").exit_code == 1
    assert run("audit", "--db", db_path).output.strip() == "the audit log is empty"


def test_audit_of_a_missing_database_exits_2(tmp_path):
    result = run("audit", "--db", tmp_path / "none.db")
    assert result.exit_code == 2 and "no database here" in result.output
    assert not (tmp_path / "none.db").exists()
