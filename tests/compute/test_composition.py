"""Who remains: the sex and age breakdown of each site's latest count that gives one, its totals and shares."""

from __future__ import annotations

from conftest import write

from resettle.compute import composition
from resettle.compute.scope import view_scope
from resettle.ingest import importer
from resettle.store import db

POPULATION = """site,date,residents,female,male,children,age_0_4,age_5_11,age_12_17,age_18_59,age_60_plus,source
North,2021-01-31,1000,500,500,,,,,,,UNHCR
North,2021-06-30,800,410,390,,100,120,80,440,60,UNHCR
North,2021-06-30,801,420,381,,101,121,81,437,61,NGO
North,2021-06-30,900,,,,,,,,,Press
North,2021-08-31,780,,,,,,,,,UNHCR
South,2021-05-31,300,,,90,,,,,,UNHCR
South,2021-05-31,200,,,50,,,,,,UNHCR
East,2021-05-31,400,,,,,,,,,UNHCR
"""


def _db(tmp_path):
    path = tmp_path / "who.db"
    importer.import_file(path, "population", write(tmp_path, "population.csv", POPULATION))
    return path


def test_latest_breakdown_per_site_medians_and_shares(tmp_path):
    conn = db.connect(_db(tmp_path))
    try:
        comp = composition.composition(conn, view_scope(conn))
    finally:
        conn.close()
    rows = comp.per_site.set_index("site")
    assert sorted(rows.index) == ["North", "South"]  # East gives no breakdown
    north, south = rows.loc["North"], rows.loc["South"]
    # North's latest breakdown is 2021-06-30 (its count of 2021-08-31 has none). Two sources give one: each
    # figure is their median, halves up; Press's total (900, no breakdown) is not among them.
    assert north["date"] == "2021-06-30" and north["sources"] == ["NGO", "UNHCR"]
    assert (north["residents"], north["female"], north["male"]) == (801, 415, 386)  # 800.5, 415, 385.5
    assert (north["age_0_4"], north["age_5_11"], north["age_12_17"], north["age_60_plus"]) == (101, 121, 81, 61)
    # Children from each source's child age bands (300 and 303), then their median, as every figure.
    assert north["children"] == 302
    # South: one source's two rows add up (a breakdown by origin).
    assert (south["residents"], south["children"], str(south["female"])) == (500, 140, "<NA>")
    # Totals over the sites that give each figure; the shares over the residents of those counts.
    assert comp.totals["female"] == 415 and comp.base["female"] == 801
    assert comp.totals["children"] == 302 + 140 and comp.base["children"] == 801 + 500
    assert comp.children_share == 34.0  # 442 / 1301 = 33.97 %
    assert comp.over_60_share == 7.6  # 61 / 801 = 7.62 %
    assert comp.dates == ("2021-05-31", "2021-06-30")
    assert comp.sources == ["NGO", "UNHCR"]
    assert comp.notes == ["North: the breakdown is that of 2021-06-30; its latest count (2021-08-31) has none.",
                          "Sites whose counts give no sex or age, left out of the breakdown (1): East."]


def test_as_of_date_picks_an_earlier_breakdown(tmp_path):
    conn = db.connect(_db(tmp_path))
    try:
        comp = composition.composition(conn, view_scope(conn, ["North"], end="2021-05-31"))
    finally:
        conn.close()
    north = comp.per_site.set_index("site").loc["North"]
    assert (north["date"], north["female"], north["male"]) == ("2021-01-31", 500, 500)
    assert comp.children_share is None and comp.over_60_share is None
    assert comp.notes == []


def test_no_breakdown_says_how_to_import(tiny_conn):
    comp = composition.composition(tiny_conn, view_scope(tiny_conn))
    assert comp.empty and comp.totals == {} and comp.notes == []
    advice = composition.how_to_import()
    for column in ("female", "male", "children", "age_0_4", "age_60_plus"):
        assert column in advice
