"""The library (`import resettle`): its public names, the README's Python example run as written, and the
figures it gives equal to the command line's."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY, run_cli

import resettle

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_section() -> str:
    return README.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]


def test_every_public_name_loads_and_import_stays_light():
    code = ("import sys, resettle; light = not {'pandas', 'streamlit', 'plotly'} & set(sys.modules); "
            "names = [getattr(resettle, n) for n in resettle.__all__]; print(light, len(names))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", str(len(resettle.__all__))]
    assert {"open_database", "Database", "Headline", "View", "ImportOptions", "ResettleError"} <= set(resettle.__all__)
    with pytest.raises(AttributeError):
        resettle.metrics  # noqa: B018 (private by its place: not a public name)


def test_the_readme_python_example_runs_as_written(sample_db, tmp_path):
    example = re.findall(r"```python\n(.*?)```", python_section(), re.S)[0]
    (tmp_path / "data").mkdir()
    shutil.copy(sample_db, tmp_path / "data" / "resettle.db")
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # What the README says it prints, and what the command line says of the same view.
    assert lines[0] == "1899 1104 35.5 2020-02-21"
    said = json.loads(run_cli("summary", "--db", str(sample_db), "--site", "Camp Liberty",
                                               "--as-of", "2015-12-31", "--json").output)
    assert lines[0] == f"{said['residents']} {said['relocated_total']} {said['percent_relocated']} " \
                       f"{said['projected_completion']}"
    assert lines[-2].startswith("2015-11-01") and lines[-2].split()[1] == "57"  # 57 to Albania, first column
    assert "1899 1104" in python_section() and "57 people to Albania in November 2015" in python_section()


def test_headline_is_typed_and_equals_summary_json(sample_db):
    db = resettle.open_database(sample_db)
    figures = db.headline()
    assert isinstance(figures, resettle.Headline)
    assert isinstance(figures.relocated_total, int) and isinstance(figures.relocated_by_country, dict)
    said = json.loads(run_cli("summary", "--db", str(sample_db), "--json").output)
    assert figures.as_dict() == said
    assert list(figures.as_dict()) == list(said)  # the same keys in the same order
    to_albania = db.headline(host_countries=["Albania"])
    assert to_albania.host_countries == ("ALB",)
    assert to_albania.relocated_to_host_countries == said["relocated_by_country"]["ALB"] == 2641


def test_a_page_gives_its_data_as_dataframes(sample_db):
    db = resettle.open_database(sample_db)
    assert resettle.chart_pages() == ("overview", "sites", "relocation", "destinations", "medical", "incidents",
                                     "reconciliation")
    relocation = db.page("relocation", sites="Camp Liberty", as_of="2015-12-31")
    assert isinstance(relocation.per_month, pd.DataFrame)
    assert list(relocation.per_month.columns) == ["month", "host_country", "people"]
    assert relocation.per_month["month"].max() <= "2015-12-01"
    # Departures per month add up to the relocated total of the same view.
    assert int(relocation.per_month["people"].sum()) == db.headline("Camp Liberty", "2015-12-31").relocated_total
    with pytest.raises(resettle.UsageError, match="no page 'data' with data"):
        db.page("data")


def test_charts_are_the_dashboards(sample_db):
    charts = resettle.open_database(sample_db).charts(pages=["overview"], as_of="2015-12-31")
    assert list(charts) == ["remaining_population", "cumulative_relocations"]
    assert "2015-12-31" in charts["remaining_population"].layout.annotations[-1].text


def test_import_takes_the_cli_options_as_keywords(tmp_path):
    db = resettle.open_database(tmp_path / "new.db", create=True)
    for kind in ("sites", "population"):
        db.import_file(kind, TINY / f"{kind}.csv")
    report = db.import_file("transfers", TINY / "transfers.csv", source="test source", dry_run=True)
    assert report.dry_run and report.added > 0 and report.batch_id is None
    assert [b["kind"] for b in db.batches()] == ["population", "sites"]
    with pytest.raises(resettle.UsageError, match="unexpected keyword argument 'peopel'"):
        db.import_file("transfers", TINY / "transfers.csv", peopel="x")
    added = db.import_file("transfers", TINY / "transfers.csv")
    assert db.undo(added.batch_id)["transfers"] == added.added


def test_a_missing_database_is_refused_not_created(tmp_path):
    with pytest.raises(resettle.UsageError, match="no database here; run `resettle init` or `resettle demo`"):
        resettle.open_database(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()


def test_export_data_writes_every_table(sample_db, tmp_path):
    written = resettle.open_database(sample_db).export_data(tmp_path / "out", "csv", sites="Camp Liberty")
    assert sorted(p.name for p in written) == sorted(f"{t}.csv" for t in
                                                      ("population", "transfers", "medevacs", "incidents",
                                                       "pledges", "sites", "reconciliation"))
