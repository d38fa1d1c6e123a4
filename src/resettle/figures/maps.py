"""Maps: the sites at their coordinates, and departures by host country on a world map.

Pure functions of tidy frames, like charts.py, drawn on the outlines shipped with the package (geo.py):
nothing here fetches anything. What a map cannot place (a site without coordinates, a host country too
small for the outlines' scale) is named on the map itself, under its title, with its figure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from resettle.figures.geo import GEO_LAYOUT, outline_countries
from resettle.figures.theme import country_label, finish, no_axes, subtitle

MAP_HEIGHT = 560
LISTED = 6  # names written out in a note; the rest counted
SITE_MARKER_PX = 46  # the diameter of the largest site's circle
PCT_SCALE = "Cividis"  # sequential and colour-blind-safe: 0 % dark, 100 % light
# People departed, light to dark blue (the lightest still apart from the grey of the land).
PEOPLE_SCALE = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
LAND = GEO_LAYOUT["landcolor"]


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:LISTED])
    return shown + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")


def _view(lats: pd.Series, lons: pd.Series, margin: float = 8.0, span: float = 30.0) -> dict:
    """Longitude and latitude ranges around the points, at least `span` degrees tall and about twice as
    wide as tall (the plot is a wide rectangle)."""
    def around(values: pd.Series, low: float, high: float, least: float) -> list[float]:
        a, b = float(values.min()) - margin, float(values.max()) + margin
        if b - a < least:
            mid = (a + b) / 2
            a, b = mid - least / 2, mid + least / 2
        return [max(a, low), min(b, high)]

    lat = around(lats, -90, 90, span)
    return {"lonaxis_range": around(lons, -180, 180, 2 * (lat[1] - lat[0])), "lataxis_range": lat}


# ---------------------------------------------------------------- the sites


SMALLEST = 1e-6  # the marker size of a site with no residents (or none known): drawn at sizemin


def unplaced_sites(table: pd.DataFrame) -> list[str]:
    """The names of the sites without coordinates (lat or lon missing), which the map cannot place."""
    if table.empty:
        return []
    missing = table["lat"].isna() | table["lon"].isna()
    return sorted(str(n) for n in table.loc[missing, "name"])


def sites_map(table: pd.DataFrame, as_of: str | None, sources: list[str]) -> go.Figure:
    """The sites at their coordinates: circle area by residents now, colour by % relocated.

    `table`: name, lat, lon, residents_now, pct_relocated (one row per site; lat/lon, residents_now and
    pct_relocated may be missing). A site without coordinates is not drawn and is named under the title
    (`unplaced_sites` lists them for the page); a site whose residents are not known is drawn at the
    smallest size and its colour is grey when its % relocated is not known."""
    placed = table.dropna(subset=["lat", "lon"]) if not table.empty else table
    residents = pd.to_numeric(placed["residents_now"], errors="coerce") if not placed.empty else pd.Series(dtype=float)
    largest = float(residents.max()) if residents.notna().any() and residents.max() > 0 else 1.0
    fig = go.Figure()
    for known in (True, False):
        rows = placed[placed["pct_relocated"].notna() == known] if not placed.empty else placed
        if rows.empty:
            continue
        people = pd.to_numeric(rows["residents_now"], errors="coerce")
        hover = [[("residents now: not known" if pd.isna(r) else f"residents now: {int(r):,}"),
                  ("relocated: not known" if pd.isna(p) else f"relocated: {p:.1f} % of baseline")]
                 for r, p in zip(people, rows["pct_relocated"], strict=True)]
        # plotly.js draws a size of 0 (an emptied camp, a site whose residents are not known) with no radius,
        # whatever sizemin says: a tiny positive size is drawn at sizemin, so every site shows.
        marker = {"size": people.astype(float).fillna(0).clip(lower=SMALLEST).to_numpy(), "sizemode": "area",
                  "sizeref": 2 * largest / SITE_MARKER_PX ** 2, "sizemin": 5, "opacity": 0.85,
                  "line": {"color": "white", "width": 1}}
        if known:
            marker.update(color=rows["pct_relocated"].to_numpy(dtype=float), cmin=0, cmax=100,
                          colorscale=PCT_SCALE, showscale=True,
                          colorbar={"title": {"text": "Relocated<br>(% of baseline)"}, "ticksuffix": " %",
                                    "len": 0.75})
        else:
            marker.update(color="#999999")
        fig.add_trace(go.Scattergeo(
            lat=rows["lat"], lon=rows["lon"], text=rows["name"].astype(str), customdata=hover, mode="markers",
            marker=marker, showlegend=False,
            name="Sites" if known else "Sites, % relocated not known",
            hovertemplate="<b>%{text}</b><br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>"))
    fig.update_geos(**GEO_LAYOUT, **(_view(placed["lat"], placed["lon"]) if not placed.empty else {}))
    fig = finish(fig, "Sites: residents now (circle area) and % relocated (colour)", "", as_of, sources, x_title="")
    missing = unplaced_sites(table)
    notes = [f"{len(missing):,} site{'s' if len(missing) != 1 else ''} without coordinates not on the map: "
             f"{_listed(missing)}"] if missing else []
    unknown = int(placed["pct_relocated"].isna().sum()) if not placed.empty else 0
    if unknown:
        notes.append(f"grey: % relocated not known ({unknown:,} site{'s' if unknown != 1 else ''})")
    text = "; ".join(notes)
    subtitle(fig, text[:1].upper() + text[1:] if text else None)
    fig.update_layout(height=MAP_HEIGHT)
    return no_axes(fig)


# ---------------------------------------------------------------- departures by host country


def departures_map(frame: pd.DataFrame, as_of: str | None, sources: list[str]) -> go.Figure:
    """A world map of the people departed up to D by host country: each country shaded by its people on a
    log scale (1, 10, 100, ...: one country often takes most), the count on hover; every other country
    of the outlines pale. `frame`: host_country, people. A host country without a shape at this scale
    is named under the title with its people."""
    totals = frame.groupby("host_country", sort=True)["people"].sum() if not frame.empty else pd.Series(dtype="int64")
    totals = totals[totals > 0]
    shapes = outline_countries()
    drawn = totals[totals.index.isin(shapes)]
    missing = totals[~totals.index.isin(shapes)].sort_values(ascending=False)
    fig = go.Figure()
    base = sorted(shapes)
    fig.add_trace(go.Choropleth(locations=base, z=[0] * len(base), locationmode="ISO-3", showscale=False,
                                colorscale=[[0, LAND], [1, LAND]], marker={"line": {"color": "#c7ced6", "width": 0.5}},
                                hoverinfo="skip", name="No departures recorded", showlegend=False))
    if not drawn.empty:
        top = max(1, math.ceil(math.log10(float(drawn.max()))))
        ticks = list(range(top + 1))
        fig.add_trace(go.Choropleth(
            locations=list(drawn.index), z=np.log10(drawn.to_numpy(dtype=float)), locationmode="ISO-3",
            zmin=0, zmax=top, colorscale=PEOPLE_SCALE,
            customdata=[[country_label(c), int(n)] for c, n in drawn.items()],
            marker={"line": {"color": "white", "width": 0.6}},
            colorbar={"title": {"text": "People departed<br>(log scale)"}, "tickvals": ticks,
                      "ticktext": [f"{10 ** t:,}" for t in ticks], "len": 0.75},
            name="People departed", showlegend=False,
            hovertemplate="%{customdata[0]}: %{customdata[1]:,} people departed<extra></extra>"))
    fig.update_geos(**GEO_LAYOUT)
    fig = finish(fig, f"Where people went: departed up to {as_of or 'n/a'}, by host country", "", as_of, sources,
                 x_title="")
    subtitle(fig, ("Not on the map (no outline at this scale): " + _listed(
        [f"{country_label(c)} ({int(n):,} people)" for c, n in missing.items()])) if not missing.empty else None)
    fig.update_layout(height=MAP_HEIGHT)
    return no_axes(fig)
