"""The three real public files of ../shared/realdata/, imported with the commands the README shows; the
figures that land are checked against the files themselves (read here with the csv module)."""

from __future__ import annotations

import csv
import json
import re
import shlex
from collections import Counter
from pathlib import Path

import pytest
from conftest import REALDATA, run_cli

from resettle.ingest import columnar, importer
from resettle.store import db

pytestmark = pytest.mark.skipif(
    not REALDATA.is_dir(), reason=f"the real data files are not beside the checkout ({REALDATA} is absent)"
)

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
IOM = "iom_dtm_idps_hxl.csv"
ACLED = "acled_hapi_conflict_events_2025.csv"
UNHCR = "unhcr_indonesia_refugees_semicolon.csv"


def readme_command(file_name: str) -> list[str]:
    """The `resettle import` line of the README that imports `file_name`, as arguments for the CLI."""
    found = [line for line in README.splitlines()
             if line.startswith("resettle import ") and f"../shared/realdata/{file_name}" in line]
    assert len(found) == 1, f"the README should show one command importing {file_name}"
    args = shlex.split(found[0])[1:]
    return [str(REALDATA / file_name) if a == f"../shared/realdata/{file_name}" else a for a in args]


def file_rows(file_name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with open(REALDATA / file_name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def query(path: Path, sql: str, params=()):
    conn = db.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def real_db(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """One database with the three files imported by the README's commands; the output of each."""
    path = tmp_path_factory.mktemp("realdata") / "real.db"
    outputs = {}
    for name in (IOM, ACLED, UNHCR):
        result = run_cli(*readme_command(name), "--db", str(path))
        assert result.exit_code == 0, result.output
        outputs[name] = result.output
    return path, outputs


def _pop(path: Path, source: str):
    return query(path, "SELECT s.name, p.date, p.residents, p.origin_country FROM population_counts p "
                       "JOIN sites s ON s.id = p.site_id WHERE p.source = ? ORDER BY p.id", (source,))


# ---------------------------------------------------------------- IOM DTM


def test_iom_dtm_counts_land_as_in_the_file(real_db):
    path, outputs = real_db
    data = file_rows(IOM)[1:]  # the first row under the header is the HXL hashtag row
    assert file_rows(IOM)[0]["numPresentIdpInd"] == "#affected+idps"
    landed = _pop(path, "IOM DTM")
    assert len(landed) == len(data) == 267
    expected = [(r["operation"], r["reportingDate"][:10], int(r["numPresentIdpInd"]), None) for r in data]
    assert landed == expected
    assert sum(r[2] for r in landed) == sum(int(r["numPresentIdpInd"]) for r in data)
    assert {r[0] for r in landed} == {r["operation"] for r in data} and len({r[0] for r in landed}) == 10
    assert ("Haiti Earthquake", "2010-11-30", 1068882, None) in landed
    assert "HXL hashtag row on line 2" in outputs[IOM]
    assert "residents <- numPresentIdpInd" in outputs[IOM] and "date <- reportingDate" in outputs[IOM]


def test_iom_dtm_headline_figures_use_the_latest_count(real_db):
    path, _ = real_db
    conn = db.connect(path)
    try:
        from resettle.compute import headline

        figures = headline.summary(conn, site="Iraq conflict")
    finally:
        conn.close()
    iraq = [r for r in file_rows(IOM)[1:] if r["operation"] == "Iraq conflict"]
    latest = max(iraq, key=lambda r: r["reportingDate"])
    earliest = min(iraq, key=lambda r: r["reportingDate"])
    assert figures["as_of"] == latest["reportingDate"][:10]
    assert figures["residents"] == int(latest["numPresentIdpInd"])
    assert figures["baseline_population"] == int(earliest["numPresentIdpInd"])


# ---------------------------------------------------------------- ACLED


def _acled_site(r: dict[str, str]) -> str:
    return " / ".join(p for p in (r["location_code"], r["admin1_name"], r["admin2_name"]) if p)


def test_acled_incidents_land_as_in_the_file(real_db):
    path, outputs = real_db
    data = file_rows(ACLED)
    landed = query(path, "SELECT s.name, i.date, i.incident_type, i.events, i.killed FROM incidents i "
                         "JOIN sites s ON s.id = i.site_id WHERE i.source = 'ACLED via HDX HAPI' ORDER BY i.id")
    assert len(landed) == len(data) == 4999
    expected = [(_acled_site(r), r["reference_period_start"], r["event_type"], int(r["events"]),
                 int(r["fatalities"]) if r["fatalities"] else None) for r in data]
    assert landed == expected
    assert {r[1] for r in landed} == {"2025-01-01"}
    assert sum(r[3] for r in landed) == sum(int(r["events"]) for r in data) == 3293
    assert sum(r[4] or 0 for r in landed) == sum(int(r["fatalities"] or 0) for r in data) == 1324
    # a blank fatalities figure (every demonstration row) is unknown, not zero
    unknown = [r for r in landed if r[4] is None]
    assert len(unknown) == sum(1 for r in data if r["fatalities"] == "") == 208
    assert {r[2] for r in unknown} == {"demonstration"}
    # the place names start with the ISO3 code of the file's location_code
    assert {r[0].split(" / ")[0] for r in landed} == {r["location_code"] for r in data}
    assert all(re.fullmatch(r"[A-Z]{3}", r[0].split(" / ")[0]) for r in landed)
    assert ("HTI / West / Port-au-Prince", "2025-01-01", "civilian_targeting", 6, 2) in landed
    assert "site <- location_code + admin1_name + admin2_name" in outputs[ACLED]


def test_acled_deaths_recorded_sum_the_known_fatalities(real_db):
    path, _ = real_db
    conn = db.connect(path)
    try:
        from resettle.compute import headline

        figures = headline.summary(conn, site="HTI / West / Port-au-Prince")
    finally:
        conn.close()
    rows = [r for r in file_rows(ACLED) if _acled_site(r) == "HTI / West / Port-au-Prince"]
    assert figures["deaths_recorded"] == sum(int(r["fatalities"] or 0) for r in rows)


def test_acled_one_site_per_country_on_both_import_paths(tmp_path, monkeypatch):
    """The README's alternative: --map site=location_code; the fast and general paths store the same rows."""
    stored = {}
    for label, threshold in (("general", 10**12), ("fast", 0)):
        monkeypatch.setattr(columnar, "FAST_MIN_BYTES", threshold)
        path = tmp_path / f"{label}.db"
        report = importer.import_file(path, "incidents", REALDATA / ACLED,
                                       importer.ImportOptions(column_map={"site": "location_code"}))
        assert report.fast_path == (label == "fast") and report.added == 4999
        stored[label] = query(path, "SELECT s.name, date, incident_type, events, killed, i.source FROM incidents i "
                                    "JOIN sites s ON s.id = i.site_id ORDER BY i.id")
    assert stored["fast"] == stored["general"]
    by_country = Counter(r[0] for r in stored["fast"])
    assert by_country == Counter(r["location_code"] for r in file_rows(ACLED)) and len(by_country) == 243


# ---------------------------------------------------------------- UNHCR Indonesia


def _number(text: str) -> int:
    return int(float(text)) if text.strip() else 0


def test_unhcr_indonesia_counts_land_as_in_the_file(real_db):
    path, outputs = real_db
    data = file_rows(UNHCR, delimiter=";")
    assert list(data[0]) == ["Years", "Country", "Origin", "Refugees", "AsylumSeekers", "Total "]
    landed = _pop(path, "UNHCR")
    assert len(landed) == len(data) == 175
    assert [(r[0], r[1], r[2]) for r in landed] == [
        (r["Country"], f"{r['Years']}-12-31", _number(r["Refugees"]) + _number(r["AsylumSeekers"])) for r in data]
    assert sorted({r[1] for r in landed}) == ["2011-12-31", "2012-12-31", "2013-12-31", "2014-12-31", "2015-12-31"]
    assert sum(r[2] for r in landed) == 47167
    by_year = Counter()
    for r in data:
        by_year[r["Years"]] += _number(r["Refugees"]) + _number(r["AsylumSeekers"])
    for year, total in by_year.items():
        assert sum(r[2] for r in landed if r[1] == f"{year}-12-31") == total
    # origins as ISO3, including UNHCR's spellings; none lost
    assert all(r[3] and re.fullmatch(r"[A-Z]{3}", r[3]) for r in landed)
    origin = dict(zip((r["Origin"] for r in data), (r[3] for r in landed), strict=False))
    assert {k: origin[k] for k in ("Afghanistan", "Côte d'Ivoire", "Palestinian", "Syrian Arab Rep.", "Viet Nam",
                                   "Central African Rep.", "Congo", "Iran", "Myanmar")} == {
        "Afghanistan": "AFG", "Côte d'Ivoire": "CIV", "Palestinian": "PSE", "Syrian Arab Rep.": "SYR",
        "Viet Nam": "VNM", "Central African Rep.": "CAF", "Congo": "COG", "Iran": "IRN", "Myanmar": "MMR"}
    # an origin repeated within one year keeps both rows
    assert [r[2] for r in landed if r[1] == "2011-12-31" and r[3] == "COG"] == [10, 2]
    assert "residents <- Refugees + AsylumSeekers" in outputs[UNHCR]
    assert "origin_country <- Origin" in outputs[UNHCR] and "site <- Country" in outputs[UNHCR]


def test_unhcr_total_column_counts_other_groups_too():
    """Why the README maps residents to Refugees + AsylumSeekers rather than the file's `Total `."""
    data = file_rows(UNHCR, delimiter=";")
    differ = [r for r in data if _number(r["Total "]) != _number(r["Refugees"]) + _number(r["AsylumSeekers"])]
    assert len(differ) == 10
    assert all(_number(r["Total "]) > _number(r["Refugees"]) + _number(r["AsylumSeekers"]) for r in differ)
    assert sum(_number(r["Total "]) for r in data) - 47167 == 1601


def test_unhcr_population_of_indonesia_is_the_sum_of_one_year(real_db):
    path, _ = real_db
    result = run_cli("summary", "--db", str(path), "--site", "Indonesia", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    data = file_rows(UNHCR, delimiter=";")
    year = lambda y: sum(_number(r["Refugees"]) + _number(r["AsylumSeekers"]) for r in data if r["Years"] == y)  # noqa: E731
    assert figures["as_of"] == "2015-12-31"
    assert figures["residents"] == year("2015")
    assert figures["baseline_population"] == year("2011")


# ---------------------------------------------------------------- again


def test_importing_the_files_again_adds_nothing(real_db):
    path, _ = real_db
    before = query(path, "SELECT (SELECT count(*) FROM population_counts), (SELECT count(*) FROM incidents)")
    for name in (IOM, ACLED, UNHCR):
        result = run_cli(*readme_command(name), "--db", str(path))
        assert result.exit_code == 0, result.output
        assert "already imported; nothing added" in result.output
    assert query(path, "SELECT (SELECT count(*) FROM population_counts), (SELECT count(*) FROM incidents)") == before
