"""`resettle import` on tables that end early, hold totals or are wide (issue 12)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, table_digest, write

from resettle.store import db

WORLD_BANK = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "worldbank_refugees_by_origin_wide.csv"


def typo_file(tmp_path) -> Path:
    lines = ["site,date,host_country,people"]
    for line in range(2, 10_002):
        lines.append(f"Camp Liberty,2015-{line % 12 + 1:02d}-{line % 28 + 1:02d},ALB,{'ten' if line == 7_777 else 2}")
    return write(tmp_path, "transfers.csv", "\n".join(lines) + "\n")


def stored(db_path, sql):
    c = db.connect(db_path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def test_a_typo_on_line_7777_fails_the_import_there(db_path, tmp_path):
    path = typo_file(tmp_path)
    before = table_digest(db_path)
    result = run_cli("import", "transfers", path, "--db", db_path)
    assert result.exit_code == 1, result.output
    assert "transfers.csv:7777: people: 'ten' is not a number" in result.output
    assert "Nothing was imported: the database is unchanged." in result.output
    assert "Traceback" not in result.output
    assert table_digest(db_path) == before


def test_a_typo_on_line_7777_with_skip_invalid(db_path, tmp_path):
    path = typo_file(tmp_path)
    errors = tmp_path / "rejected.csv"
    result = run_cli("import", "transfers", path, "--db", db_path, "--skip-invalid", "--errors", errors)
    assert result.exit_code == 0, result.output
    assert "10000 rows read; added 9999, updated 0, already present 0, rejected 1" in result.output
    assert stored(db_path, "SELECT count(*), sum(people) FROM transfers") == [(9_999, 19_998)]
    assert errors.read_text().splitlines()[1].startswith("transfers.csv,7777,people,")


def test_dry_run_shows_the_first_line_not_read(db_path, tmp_path):
    text = ("site,date,people,host_country\nKakuma,2024-01-31,12,ALB\nDadaab,2024-01-31,7,ALB\n"
            "Nakivale,2024-01-31,3,ALB\n\nSummary by destination\nhost_country,people\nALB,22\n")
    result = run_cli("import", "transfers", write(tmp_path, "s.csv", text), "--db", db_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "table ends at line 6: a second section begins (lines 6-8 not read)" in result.output
    assert "3 non-blank lines after the table not read, the first (line 6): 'Summary by destination'" in result.output
    assert "would add 3" in result.output


def test_keep_totals(db_path, tmp_path):
    text = "site,date,residents\nKakuma,2024-12-31,10\nDadaab,2024-12-31,5\nNakivale,2024-12-31,1\nTotal,2024-12-31,16\n"
    path = write(tmp_path, "t.csv", text)
    result = run_cli("import", "population", path, "--db", db_path, "--dry-run")
    assert "left out 1 total row: line 5; 1 labelled as totals ('Total')" in result.output
    assert "would add 3" in result.output
    result = run_cli("import", "population", path, "--db", db_path, "--keep-totals")
    assert result.exit_code == 0, result.output
    assert stored(db_path, "SELECT sum(residents), count(*) FROM population_counts") == [(32, 4)]


def test_columns_are_date_on_the_world_bank_file(db_path):
    result = run_cli("import", "population", WORLD_BANK, "--db", db_path, "--columns-are", "date",
                     "--map", "origin_country=Country Code", "--set", "site=Refugees worldwide")
    assert result.exit_code == 0, result.output
    assert "5159 rows read; added 5159" in result.output and "left out 47 total rows" in result.output
    assert stored(db_path, "SELECT sum(residents) FROM population_counts WHERE date = '2018-12-31'") == [(19_957_905,)]


def test_the_error_suggests_columns_are(db_path):
    result = run_cli("import", "population", WORLD_BANK, "--db", db_path)
    assert result.exit_code == 2, result.output
    assert "look like dates: try --columns-are date" in result.output and "Traceback" not in result.output


def test_columns_are_with_skip_invalid_is_refused(db_path, tmp_path):
    path = write(tmp_path, "m.csv", "Camp,Date,Albania\nCamp Liberty,2013-05-31,30\n")
    result = run_cli("import", "transfers", path, "--db", db_path, "--columns-are", "host_country", "--skip-invalid")
    assert result.exit_code == 2, result.output
    assert "cannot be combined with --skip-invalid" in result.output
