"""`resettle mappings`: the saved column mappings listed, shown and deleted."""

from __future__ import annotations

from conftest import run_cli, write

from resettle.store import db, mappings


def test_list_show_and_delete_saved_mappings(db_path, tmp_path):
    path = write(tmp_path, "arrivals.csv", "Arrival,Persons\n2016-09-09,280\n")
    result = run_cli("import", "transfers", path, "--db", db_path, "--map", "date=Arrival", "--set", "site=Camp Liberty",
                     "--set", "host_country=Albania", "--dayfirst", "--fiscal-year-start", "10", "--save-mapping", "tirana")
    assert result.exit_code == 0, result.output

    result = run_cli("mappings", "list", "--db", db_path)
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert line.split()[:3] == ["tirana", "transfers", "saved"]
    assert run_cli("mappings", "--db", db_path).exit_code == 2  # --db belongs to the subcommand

    result = run_cli("mappings", "show", "tirana", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "  --map date=Arrival", "  --set site=Camp Liberty", "  --set host_country=Albania", "  --dayfirst",
        "  --fiscal-year-start 10"]

    # A later import starts from it: the fiscal year start too.
    later = write(tmp_path, "fy.csv", "FY,Persons\nFY 2016,280\n")
    result = run_cli("import", "transfers", later, "--db", db_path, "--mapping", "tirana", "--map", "date=FY")
    assert result.exit_code == 0, result.output
    conn = db.connect(db_path)
    try:
        assert conn.execute("SELECT date FROM transfers ORDER BY id DESC LIMIT 1").fetchone() == ("2015-10-01",)
    finally:
        conn.close()

    result = run_cli("mappings", "delete", "tirana", "--db", db_path)
    assert result.exit_code == 0 and result.output == "deleted the saved mapping 'tirana'\n"
    conn = db.connect(db_path)
    try:
        assert mappings.list_mappings(conn) == []
    finally:
        conn.close()
    result = run_cli("mappings", "list", "--db", db_path)
    assert result.output.startswith("no saved mappings")


def test_an_unknown_mapping_is_a_usage_error_naming_the_saved_ones(db_path, tmp_path):
    path = write(tmp_path, "arrivals.csv", "Arrival,Persons\n2016-09-09,280\n")
    run_cli("import", "transfers", path, "--db", db_path, "--map", "date=Arrival", "--set", "site=Camp Liberty",
            "--set", "host_country=Albania", "--save-mapping", "tirana")
    for command in ("show", "delete"):
        result = run_cli("mappings", command, "tirana2", "--db", db_path)
        assert result.exit_code == 2
        assert result.output == "error: there is no saved mapping 'tirana2'; saved mappings: tirana\n"
    assert "Traceback" not in result.output


def test_mappings_refuses_a_missing_database(tmp_path):
    result = run_cli("mappings", "list", "--db", tmp_path / "nope.db")
    assert result.exit_code == 2 and not (tmp_path / "nope.db").exists()
