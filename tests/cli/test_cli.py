"""The command line through its entry point: exit statuses, messages, JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import TINY, run_cli, write

run = run_cli


def test_init_import_summary_json(tmp_path):
    dbp = tmp_path / "r.db"
    assert run("init", "--db", dbp).exit_code == 0
    for kind in ("population", "transfers", "medevacs", "incidents"):
        result = run("import", kind, TINY / f"{kind}.csv", "--db", dbp)
        assert result.exit_code == 0, result.output
    result = run("summary", "--db", dbp, "--site", "Alpha", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["as_of", "site", "baseline_population", "residents", "relocated_total",
                          "relocated_by_country", "percent_relocated", "departures_last_90_days",
                          "projected_completion", "deaths_recorded", "unexplained_change"]
    assert data["residents"] == 700 and data["relocated_total"] == 270
    assert '"residents": 700,' in result.output  # a JSON integer, not 700.0


def test_summary_as_of_and_text(tiny_db):
    result = run("summary", "--db", tiny_db, "--as-of", "2020-04-15")
    assert result.exit_code == 0, result.output
    assert "All sites, as of 2020-04-15" in result.output
    assert "Relocated (departed)" in result.output


def test_invalid_data_exits_1_with_file_line_column(tmp_path, db_path):
    bad = write(tmp_path, "t.csv", "site,date,host_country,people\nAlpha,2020-01-01,ALB,-3\n")
    errors_csv = tmp_path / "errors.csv"
    result = run("import", "transfers", bad, "--db", db_path, "--errors", errors_csv)
    assert result.exit_code == 1
    assert "t.csv:2: people: -3 is negative" in result.output
    assert "database is unchanged" in result.output
    assert errors_csv.read_text().splitlines() == ["file,line,column,message", "t.csv,2,people,-3 is negative"]
    assert "Traceback" not in result.output


def test_error_cap_then_count(tmp_path, db_path):
    body = "".join(f"Alpha,2020-01-01,ALB,-{i}\n" for i in range(1, 121))
    result = run("import", "transfers", write(tmp_path, "t.csv", "site,date,host_country,people\n" + body),
                 "--db", db_path)
    assert result.exit_code == 1
    assert result.output.count("is negative") == 50
    assert "70 more errors (120 in all)" in result.output


def test_unreadable_file_exits_2(tmp_path, db_path):
    result = run("import", "transfers", tmp_path / "nope.csv", "--db", db_path)
    assert result.exit_code == 2
    assert "nope.csv" in result.output and "Traceback" not in result.output


def test_unknown_kind_exits_2(db_path):
    assert run("import", "refugees", TINY / "transfers.csv", "--db", db_path).exit_code == 2


def test_dry_run_cli(db_path):
    result = run("import", "transfers", TINY / "transfers.csv", "--db", db_path, "--dry-run")
    assert result.exit_code == 0 and "would add 6" in result.output and "nothing was written" in result.output
    assert "no import batches" in run("batches", "--db", db_path).output


def test_batches_and_undo(db_path):
    run("import", "transfers", TINY / "transfers.csv", "--db", db_path, "--source", "UNHCR")
    listing = run("batches", "--db", db_path).output
    assert "transfers.csv / UNHCR" in listing
    result = run("undo", "1", "--db", db_path)
    assert result.exit_code == 0 and "removed 6 transfers, 2 sites" in result.output
    assert run("undo", "1", "--db", db_path).exit_code == 2


def test_unknown_site_exits_2(tiny_db):
    result = run("summary", "--db", tiny_db, "--site", "Nowhere")
    assert result.exit_code == 2 and "no site named 'Nowhere'" in result.output


def test_bad_as_of_exits_2(tiny_db):
    result = run("summary", "--db", tiny_db, "--as-of", "15/04/2020")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_console_script_entry_point(tiny_db):
    proc = subprocess.run([sys.executable, "-c", "from resettle.cli import main; main()", "summary", "--db",
                           str(tiny_db), "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["relocated_total"] == 290


def test_default_db_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RESETTLE_DB", str(tmp_path / "env.db"))
    assert run("init").exit_code == 0
    assert (tmp_path / "env.db").exists()
