"""The Relocation page's world map and flow diagram in-process (AppTest): the figures the exports draw,
a chart config that points plotly.js at the dashboard's own outlines, and a warning where this server
does not serve them."""

from __future__ import annotations

import json

from conftest import open_dashboard

from resettle.figures import geo
from resettle.ui import common


def charts_by_title(at) -> dict[str, tuple[dict, dict]]:
    out = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        out[spec["layout"]["title"]["text"]] = (spec, json.loads(element.proto.config or "{}"))
    return out


def test_the_destinations_page_shows_where_people_went(monkeypatch, sample_copy):
    at = open_dashboard(monkeypatch, sample_copy, "destinations")
    assert not at.error, [e.value for e in at.error]
    shown = charts_by_title(at)
    spec, config = shown["Where people went: departed up to 2016-09-09, by host country"]
    assert config["topojsonURL"] == common.OUTLINES_URL == "app/static/"
    shaded = spec["data"][1]
    people = {row[0]: row[1] for row in shaded["customdata"]}
    assert people["Albania"] == 2641 and people["Iraq"] == 42 and sum(people.values()) == 2943
    assert spec["layout"]["geo"]["resolution"] == geo.RESOLUTION
    sankey, _ = shown["Where people went: departures from each site to each host country, up to 2016-09-09"]
    assert sum(sankey["data"][0]["link"]["value"]) == 2943
    assert any("2,943 people in all" in c.value for c in at.caption)


def test_a_server_that_does_not_serve_the_outlines_says_so(monkeypatch, sample_copy):
    # AppTest runs the page from a script of its own, with no static/ folder beside it.
    at = open_dashboard(monkeypatch, sample_copy, "destinations")
    warnings = [w.value for w in at.warning]
    assert any("country outlines are not served by this dashboard" in w and "resettle serve" in w for w in warnings)


def test_the_outlines_are_found_beside_the_entry_scripts():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for entry in (root / "dashboard.py", root / "src" / "resettle" / "dashboard.py"):
        served = entry.parent / geo.STATIC_FOLDER / f"{geo.TOPOJSON_NAME}.json"
        assert served.read_bytes() == geo.outlines_path().read_bytes(), served
