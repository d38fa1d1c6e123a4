"""Every dashboard chart as a plotly Figure for a Scope, without Streamlit.

The pages and the exports both come here: `<page>_data(conn, scope)` gathers what a page shows (from
`resettle.compute`), `<page>_figures(info)` turns it into that page's figures, and `build_all`
does both for every page. So a downloaded or exported chart is the chart on the page, never a copy
that could drift from it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from resettle.compute import (
    aggregates,
    choices,
    disclosure,
    headline,
    incidents,
    medical,
    reconciliation,
    relocation,
    series,
    sources,
)
from resettle.compute.scope import Scope
from resettle.figures import charts

# Page -> the names of its charts, in the order the page shows them. The names are stable: they name
# the exported files and the dashboard's download buttons.
PAGES: dict[str, tuple[str, ...]] = {
    "overview": ("remaining_population", "cumulative_relocations"),
    "relocation": ("departures_per_month", "pledged_vs_departed", "stages"),
    "medical": ("medevacs_per_month", "waiting_days"),
    "incidents": ("incidents_timeline", "cumulative_deaths"),
    "reconciliation": ("reconciliation",),
}
CHART_NAMES: tuple[str, ...] = tuple(name for names in PAGES.values() for name in names)
# What a browser can draw quickly: beyond these, a chart shows a selection and says so.
COUNT_POINTS_MAX = 3000
INCIDENT_MARKERS_MAX = 300
INTERVALS_MAX = 2000


def site_label(scope: Scope, label: str | None = None) -> str | None:
    """The sites a view covers as the figures name them: their names, or None for every site (`label`
    wins when given)."""
    if label is not None:
        return label or None
    if scope.all_sites:
        return None
    return ", ".join(name for _, name in scope.sites) or None


def _range(scope: Scope) -> tuple[str | None, str | None]:
    return (scope.start, scope.end)


def _union(*lists: list[str]) -> list[str]:
    return sorted(set().union(*lists))


# ---------------------------------------------------------------- overview


def overview_data(conn: sqlite3.Connection, scope: Scope, *, label: str | None = None) -> dict:
    """Headline figures at D and their change over 30 days, the sources behind them, and the data of the
    overview's charts."""
    chosen = list(scope.sites)
    ids = scope.site_ids
    label = site_label(scope, label)
    if scope.end is None:
        named = None if scope.all_sites else [n for _, n in chosen]
        return {"summary": headline.summary(conn, named or None), "changes": {}, "sources": [], "empty": True,
                "notes": []}
    day = dt.date.fromisoformat(scope.end)
    loaded = aggregates.load_sites(conn, chosen)
    now = headline.figures_at(conn, loaded, day, label, ids)
    before = headline.figures_at(conn, loaded, day - dt.timedelta(days=headline.CHANGE_DAYS), label, ids)
    changes = headline.changes(now, before)
    if scope.host_countries:
        changes["relocated_to"] = headline.relocated_to(now, scope.host_countries) - headline.relocated_to(
            before, scope.host_countries)
    notes = []
    shown = series.count_rows_upto(loaded, day)
    if shown > COUNT_POINTS_MAX:
        notes.append(f"{shown:,} population counts: too many to mark one by one (the line is their "
                     "estimate); pick fewer sites to see each count and its source.")
        counts = pd.DataFrame(columns=series.COUNT_POINTS)
    else:
        counts = series.count_points(loaded)
        counts = counts[counts["date"] <= scope.end]
    markers, total = incidents.incident_markers(conn, scope, INCIDENT_MARKERS_MAX)
    if total > len(markers):
        notes.append(f"The {len(markers):,} incidents with the most people killed and wounded are marked, of "
                     f"{total:,}; the Incidents page lists them all.")
    return {
        "notes": notes,
        "empty": False,
        "summary": now,
        "changes": changes,
        "relocated_to": headline.relocated_to(now, scope.host_countries) if scope.host_countries else None,
        "sources": sources.sources_behind(conn, scope),
        "estimate": pd.DataFrame(series.residents_series(loaded, day), columns=["date", "residents"]),
        "counts": counts,
        "incidents": markers,
        "projection": {"from": now["as_of"], "residents": now["residents"], "to": now["projected_completion"],
                       "recent": now["departures_last_90_days"]},
        "cumulative": series.cumulative_relocations(conn, scope),
        "pledges": series.cumulative_pledges(conn, scope),
        "relocation_sources": _union(sources.sources(conn, "transfers", scope, from_start=False),
                                     sources.sources(conn, "pledges", scope, from_start=False)),
        "x_range": _range(scope),
    }


def colours(conn: sqlite3.Connection) -> dict[str, str]:
    """One colour per host country of the database, the same on every chart (charts.colour_map)."""
    return charts.colour_map(choices.host_countries_ranked(conn))


def overview_figures(info: dict, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    if info["empty"]:
        return {}
    s = info["summary"]
    return {
        "remaining_population": charts.remaining_population(
            info["estimate"], info["counts"], s["as_of"], info["sources"], incidents=info["incidents"],
            projection=info["projection"], x_range=info["x_range"]),
        "cumulative_relocations": charts.cumulative_relocations(
            info["cumulative"], info["pledges"], s["baseline_population"], s["as_of"], info["relocation_sources"],
            x_range=info["x_range"], colours=colours),
    }


# ---------------------------------------------------------------- relocation


def relocation_data(conn: sqlite3.Connection, scope: Scope) -> dict:
    per_month = relocation.departures_per_month(conn, scope)
    return {
        "as_of": scope.end,
        "per_month": per_month,
        "table": relocation.departures_table(per_month),
        "pledged": relocation.pledged_vs_departed(conn, scope),
        "stages": relocation.stages(conn, scope),
        "sources": sources.sources(conn, "transfers", scope),
        "pledge_sources": _union(sources.sources(conn, "transfers", scope, from_start=False),
                                 sources.sources(conn, "pledges", scope, from_start=False)),
    }


def relocation_figures(info: dict, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    as_of, out = info["as_of"], {}
    if not info["per_month"].empty:
        out["departures_per_month"] = charts.departures_per_month(info["per_month"], as_of, info["sources"],
                                                                  colours=colours)
    if not info["pledged"].empty:
        out["pledged_vs_departed"] = charts.pledged_vs_departed(info["pledged"], as_of, info["pledge_sources"],
                                                                colours=colours)
    if not info["stages"].empty:
        out["stages"] = charts.stages(info["stages"], as_of, info["sources"], colours=colours)
    return out


# ---------------------------------------------------------------- medical access


def medical_data(conn: sqlite3.Connection, scope: Scope) -> dict:
    # Public mode: small medical figures suppressed here, so the page and every export show the same.
    return disclosure.medical({
        "as_of": scope.end,
        "figures": medical.medical_access(conn, scope),
        "deaths_recorded": incidents.deaths_recorded(conn, scope),
        "per_month": medical.medevacs_per_month(conn, scope),
        "waits": medical.waiting_days(conn, scope),
        "open": medical.open_requests(conn, scope),
        "sources": sources.sources(conn, "medevacs", scope),
    })


def medical_figures(info: dict, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    as_of, out = info["as_of"], {}
    if info["per_month"].empty:
        return out
    out["medevacs_per_month"] = charts.medevacs_per_month(info["per_month"], as_of, info["sources"])
    if not info["waits"].empty:
        out["waiting_days"] = charts.waiting_days(info["waits"], info["figures"]["median_wait_days"], as_of,
                                                  info["sources"])
    return {name: disclosure.mark(fig, info) for name, fig in out.items()}


# ---------------------------------------------------------------- incidents


def incidents_data(conn: sqlite3.Connection, scope: Scope) -> dict:
    return disclosure.incidents({
        "as_of": scope.end,
        "totals": incidents.incident_totals(conn, scope),
        "incidents": incidents.incidents(conn, scope),
        "deaths": incidents.cumulative_deaths(conn, scope),
        "sources": sources.sources(conn, "incidents", scope),
        "death_sources": _union(sources.sources(conn, "incidents", scope, from_start=False),
                                sources.sources(conn, "medevacs", scope, from_start=False)),
        "x_range": _range(scope),
    })


def incidents_figures(info: dict, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    as_of, out = info["as_of"], {}
    if not info["incidents"].empty:
        out["incidents_timeline"] = charts.incidents_timeline(info["incidents"], as_of, info["sources"])
    if not info["deaths"].empty:
        out["cumulative_deaths"] = disclosure.mark(
            charts.cumulative_deaths(info["deaths"], as_of, info["death_sources"], x_range=info["x_range"]), info)
    return out


# ---------------------------------------------------------------- reconciliation


def reconciliation_data(conn: sqlite3.Connection, scope: Scope) -> dict:
    intervals, total = reconciliation.intervals(conn, scope)
    shown = reconciliation.largest_discrepancies(intervals, INTERVALS_MAX)
    return {
        "as_of": scope.end,
        "intervals": shown,
        "note": (f"{len(intervals):,} intervals in this range, {int(intervals['discrepancy'].sum()):,} of them "
                 f"with a discrepancy: the {len(shown):,} largest discrepancies are shown. Pick fewer sites "
                 "or a shorter range to see every interval." if len(shown) < len(intervals) else None),
        "unexplained_change": total,
        "sources": sources.sources(conn, "population", scope, from_start=False),
    }


def reconciliation_figures(info: dict, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    if info["intervals"].empty:
        return {}
    return {"reconciliation": charts.reconciliation(info["intervals"], info["as_of"], info["sources"])}


# ---------------------------------------------------------------- every page

# Page -> (its data from the database, its figures from that data and the host countries' colours).
BUILDERS: dict[str, tuple[Callable[..., dict], Callable[..., dict[str, go.Figure]]]] = {
    "overview": (overview_data, overview_figures),
    "relocation": (relocation_data, relocation_figures),
    "medical": (medical_data, medical_figures),
    "incidents": (incidents_data, incidents_figures),
    "reconciliation": (reconciliation_data, reconciliation_figures),
}


def page_data(conn: sqlite3.Connection, scope: Scope, pages: tuple[str, ...] | None = None) -> dict[str, dict]:
    """What each page shows (every page, or those named), for the scope: page name -> its data."""
    return {page: gather(conn, scope) for page, (gather, _) in BUILDERS.items() if pages is None or page in pages}


def figures_from(data: dict[str, dict], colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """Every chart the pages in `data` (page_data) would draw, by name, in the pages' order."""
    out: dict[str, go.Figure] = {}
    for page, (_, draw) in BUILDERS.items():
        if page in data:
            out.update(draw(data[page], colours))
    return out


def build_all(conn: sqlite3.Connection, scope: Scope, pages: tuple[str, ...] | None = None) -> dict[str, go.Figure]:
    """Every dashboard chart for the scope (of every page, or of the pages named), by stable name
    ("remaining_population", ...). A chart the pages leave out for want of data (no medical evacuations,
    no stages) is left out here too."""
    return figures_from(page_data(conn, scope, pages), colours(conn))
