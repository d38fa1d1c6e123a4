"""What each dashboard page shows, and its charts as plotly Figures, for a Scope, without Streamlit.

Per page: a dataclass of what it shows (its headline figures, tables and chart data: tables as pandas
DataFrames), `<page>_data(conn, scope)` that gathers it (from `resettle.compute`, with disclosure
control applied), and `<page>_figures(data, colours)` that draws its charts by name. The page registry
(registry.py) names these per page; the dashboard, the exports, the report and the bundle all go through
it, so a downloaded or exported chart is the chart on the page, never a copy that could drift from it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from resettle.compute import (
    aggregates,
    choices,
    composition,
    disclosure,
    headline,
    incidents,
    medical,
    per_site,
    reconciliation,
    relocation,
    series,
    sources,
)
from resettle.compute.disclosure import Small
from resettle.compute.scope import Scope
from resettle.figures import charts, flows, maps, theme

# What a browser can draw quickly: beyond these, a chart shows a selection and says so.
COUNT_POINTS_MAX = 3000
INCIDENT_MARKERS_MAX = 300
INCIDENT_BARS_MAX = 300  # beyond this many incidents, the time line shows them per week or per month
WEEKS_MAX_DAYS = 730  # incidents spanning up to two years are binned by the week, a longer span by the month
INCIDENTS_LISTED_MAX = 1_000  # rows of the Incidents page's table (it says how many it leaves out)
INTERVALS_MAX = 1000  # intervals the Reconciliation page draws and lists (it says how many it leaves out)


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


@dataclass(frozen=True)
class OverviewData:
    """What the Overview shows: the headline figures at D and their change over 30 days, the sources
    behind them, and the data of its two charts. `empty` when the sites have no dated record yet: then
    only `summary` is filled."""

    summary: dict  # headline.summary at D: the keys of `resettle summary --json`
    changes: dict[str, int | float | None] = field(default_factory=dict)  # headline.changes: now minus 30 days ago
    relocated_to: int | None = None  # people relocated to the host countries of the filter, when it names some
    sources: list[str] = field(default_factory=list)  # every source behind the figures
    notes: list[str] = field(default_factory=list)  # what the charts leave out, and why
    empty: bool = False
    estimate: pd.DataFrame = field(default_factory=pd.DataFrame)  # date, residents: the estimate's steps
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)  # each count as reported (series.COUNT_POINTS)
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)  # those marked on the remaining population
    cumulative: pd.DataFrame = field(default_factory=pd.DataFrame)  # date, host_country, people (cumulative)
    pledges: pd.DataFrame = field(default_factory=pd.DataFrame)  # date, places (cumulative)
    relocation_sources: list[str] = field(default_factory=list)  # of the transfers and pledges drawn
    x_range: tuple[str | None, str | None] = (None, None)
    stale_sites: int = 0  # sites whose latest count is more than `stale_days` older than D
    stale_days: int = per_site.STALE_DAYS
    large_intervals: int = 0  # intervals up to D with an unexplained change above 5% of their earlier count


def overview_data(conn: sqlite3.Connection, scope: Scope) -> OverviewData:
    """Headline figures at D and their change over 30 days, the sources behind them, and the data of the
    overview's charts."""
    chosen = list(scope.sites)
    ids = scope.site_ids
    label = site_label(scope)
    if scope.end is None:
        named = None if scope.all_sites else [n for _, n in chosen]
        return OverviewData(summary=headline.summary(conn, named or None), empty=True)
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
    stale_days = per_site.stale_days()
    stale, large = per_site.freshness(loaded, day, stale_days)
    return OverviewData(
        summary=now,
        changes=changes,
        relocated_to=headline.relocated_to(now, scope.host_countries) if scope.host_countries else None,
        sources=sources.sources_behind(conn, scope),
        notes=notes,
        estimate=pd.DataFrame(series.residents_series(loaded, day), columns=["date", "residents"]),
        counts=counts,
        incidents=markers,
        cumulative=series.cumulative_relocations(conn, scope),
        pledges=series.cumulative_pledges(conn, scope),
        relocation_sources=_union(sources.sources(conn, "transfers", scope, from_start=False),
                                  sources.sources(conn, "pledges", scope, from_start=False)),
        x_range=_range(scope),
        stale_sites=stale,
        stale_days=stale_days,
        large_intervals=large,
    )


def colours(conn: sqlite3.Connection) -> dict[str, str]:
    """One colour per host country of the database, the same on every chart (theme.colour_map)."""
    return theme.colour_map(choices.host_countries_ranked(conn))


def overview_figures(data: OverviewData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The overview's charts: the remaining population (with its projection to completion) and the
    cumulative relocations by host country."""
    if data.empty:
        return {}
    s = data.summary
    projection = {"from": s["as_of"], "residents": s["residents"], "to": s["projected_completion"],
                  "recent": s["departures_last_90_days"]}
    return {
        "remaining_population": charts.remaining_population(
            data.estimate, data.counts, s["as_of"], data.sources, incidents=data.incidents,
            projection=projection, x_range=data.x_range),
        "cumulative_relocations": charts.cumulative_relocations(
            data.cumulative, data.pledges, s["baseline_population"], s["as_of"], data.relocation_sources,
            x_range=data.x_range, colours=colours),
    }


# ---------------------------------------------------------------- sites


@dataclass(frozen=True)
class SitesData:
    """What the Sites page shows: every site of the view side by side at D, how many are stale and how
    many have an unexplained change, and the sex and age breakdown of their latest counts.

    `table` has per_site.COLUMNS: the figures of each site alone (the Overview's for that site), the date
    and age of its latest count, `stale`, its intervals with an unexplained change (and large ones), a
    list of its residents over time, and `lat`, `lon` (empty where not known) for a map of the sites."""

    as_of: str | None
    table: pd.DataFrame
    stale_days: int
    stale: int  # sites whose latest count is more than stale_days older than D
    unexplained: int  # sites with an unexplained change in some interval up to D
    composition: composition.Composition
    sources: list[str]  # of the population counts up to D

    @property
    def empty(self) -> bool:
        return self.table.empty


def sites_data(conn: sqlite3.Connection, scope: Scope) -> SitesData:
    """The Sites page's data for the scope."""
    after = per_site.stale_days()
    loaded = aggregates.load_sites(conn, list(scope.sites))
    table = per_site.site_rows(conn, scope, loaded, after)
    return SitesData(
        as_of=scope.end,
        table=table,
        stale_days=after,
        stale=int(table["stale"].sum()),
        unexplained=int((table["intervals_unexplained"] > 0).sum()),
        composition=composition.composition(conn, scope),
        sources=sources.sources(conn, "population", scope, from_start=False),
    )


def sites_figures(data: SitesData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The Sites page's charts: the sites on a map (when some site has coordinates) and the sex and age of
    the residents (when some count gives them)."""
    out: dict[str, go.Figure] = {}
    if len(maps.unplaced_sites(data.table)) < len(data.table):
        out["sites_map"] = maps.sites_map(data.table, data.as_of, data.sources)
    if not data.composition.empty:
        out["age_sex_pyramid"] = charts.age_sex_pyramid(data.composition, data.as_of)
    return out


# ---------------------------------------------------------------- relocation


@dataclass(frozen=True)
class RelocationData:
    """What the Relocation page shows: departed transfers per month by host country (and as a table) and
    the transfers' stages, in the range up to D."""

    as_of: str | None
    per_month: pd.DataFrame  # month, host_country, people
    table: pd.DataFrame  # per_month as a table: a row per month, a column per host country
    stages: pd.DataFrame  # stage, host_country, transfers, people
    sources: list[str]  # of the transfers in the range


def relocation_data(conn: sqlite3.Connection, scope: Scope) -> RelocationData:
    """The Relocation page's data for the scope."""
    per_month = relocation.departures_per_month(conn, scope)
    return RelocationData(
        as_of=scope.end,
        per_month=per_month,
        table=relocation.departures_table(per_month),
        stages=relocation.stages(conn, scope),
        sources=sources.sources(conn, "transfers", scope),
    )


def relocation_figures(data: RelocationData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The Relocation page's charts (each only when it has data), in the page's order."""
    out = {}
    if not data.per_month.empty:
        out["departures_per_month"] = charts.departures_per_month(data.per_month, data.as_of, data.sources,
                                                                  colours=colours)
    if not data.stages.empty:
        out["stages"] = charts.stages(data.stages, data.as_of, data.sources, colours=colours)
    return out


# ---------------------------------------------------------------- destinations


@dataclass(frozen=True)
class DestinationsData:
    """What the Destinations page shows: where people went, up to D (from the first departure, the range's
    start aside): the people departed from each site to each host country (a world map and a flow
    diagram), and each host country's departures against the places it pledged."""

    as_of: str | None
    flows: pd.DataFrame  # site, host_country, people: departed up to D
    flow_sources: list[str]  # of the departed transfers up to D
    pledged: pd.DataFrame  # host_country, pledged, departed
    pledge_sources: list[str]  # of the transfers and pledges up to D


def destinations_data(conn: sqlite3.Connection, scope: Scope) -> DestinationsData:
    """The Destinations page's data for the scope."""
    return DestinationsData(
        as_of=scope.end,
        flows=relocation.departures_by_site_and_country(conn, scope),
        flow_sources=sources.departure_sources(conn, scope),
        pledged=relocation.pledged_vs_departed(conn, scope),
        pledge_sources=_union(sources.sources(conn, "transfers", scope, from_start=False),
                              sources.sources(conn, "pledges", scope, from_start=False)),
    )


def destinations_figures(data: DestinationsData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The Destinations page's charts (each only when it has data), in the page's order."""
    out = {}
    if not data.flows.empty:
        by_country = data.flows.groupby("host_country", as_index=False)["people"].sum()
        out["departures_map"] = maps.departures_map(by_country, data.as_of, data.flow_sources)
        out["where_people_went"] = flows.where_people_went(data.flows, data.as_of, data.flow_sources,
                                                           colours=colours)
    if not data.pledged.empty:
        out["pledged_vs_departed"] = charts.pledged_vs_departed(data.pledged, data.as_of, data.pledge_sources,
                                                                colours=colours)
    return out


# ---------------------------------------------------------------- medical access


@dataclass(frozen=True)
class MedicalAccess:
    """The medical-access figures in the range (medical.medical_access): evacuations, the median wait,
    denied and pending requests counted apart, deaths after a request. In public mode a small count
    reads "<5" (a disclosure.Small) and a median of few patients is left out."""

    evacuations: int | Small
    patients_evacuated: int | Small
    denied_requests: int | Small
    denied_patients: int | Small
    pending_requests: int | Small
    pending_patients: int | Small
    died_patients: int | Small
    median_wait_days: float | None
    patients_with_wait: int | Small


@dataclass(frozen=True)
class MedicalData:
    """What the Medical access page shows, as a public page shows it in public mode (disclosure.medical)."""

    as_of: str | None
    access: MedicalAccess
    deaths_recorded: int  # all causes, up to D
    per_month: pd.DataFrame  # month, outcome, requests, patients
    waits: pd.DataFrame  # waiting_days, evacuations, patients (binned by the week in public mode)
    open_requests: pd.DataFrame  # the denied and pending requests, each with its days since the request
    sources: list[str]
    disclosure: str | None = None  # what public mode left out, when it left something out


def medical_data(conn: sqlite3.Connection, scope: Scope) -> MedicalData:
    """The Medical access page's data for the scope."""
    # Public mode: small medical figures suppressed here, so the page and every export show the same.
    public = disclosure.medical(medical.medical_access(conn, scope), medical.medevacs_per_month(conn, scope),
                                medical.waiting_days(conn, scope), medical.open_requests(conn, scope))
    return MedicalData(
        as_of=scope.end,
        access=MedicalAccess(**public.access),
        deaths_recorded=incidents.deaths_recorded(conn, scope),
        per_month=public.per_month,
        waits=public.waits,
        open_requests=public.open_requests,
        sources=sources.sources(conn, "medevacs", scope),
        disclosure=public.note,
    )


def medical_figures(data: MedicalData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The Medical access page's charts: evacuations per month by outcome, and the waits (each only when
    it has data)."""
    out = {}
    if data.per_month.empty:
        return out
    out["medevacs_per_month"] = charts.medevacs_per_month(data.per_month, data.as_of, data.sources)
    if not data.waits.empty:
        out["waiting_days"] = charts.waiting_days(data.waits, data.access.median_wait_days, data.as_of,
                                                  data.sources)
    return {name: disclosure.mark(fig, data.disclosure) for name, fig in out.items()}


# ---------------------------------------------------------------- incidents


@dataclass(frozen=True)
class IncidentTotals:
    """Incidents, killed, wounded and hostages in the range (incidents.incident_totals; figures not reported
    count as none)."""

    incidents: int
    killed: int
    wounded: int
    hostages: int


@dataclass(frozen=True)
class IncidentsData:
    """What the Incidents page shows, as a public page shows it in public mode (disclosure.incidents)."""

    as_of: str | None
    totals: IncidentTotals
    incidents: pd.DataFrame  # date, site, incident_type, killed, wounded, hostages, description, source
    deaths: pd.DataFrame  # date, cause, deaths, cumulative
    sources: list[str]  # of the incidents in the range
    death_sources: list[str]  # of the incidents and medical evacuations up to D
    x_range: tuple[str | None, str | None] = (None, None)
    disclosure: str | None = None  # what public mode held back, when it held something back
    rows: int = 0  # incident rows in the range (the table lists at most INCIDENTS_LISTED_MAX of them)
    period: str | None = None  # "week" or "month" when there are too many incidents to draw one by one
    per_period: pd.DataFrame = field(default_factory=pd.DataFrame)  # incidents.incidents_per_period


def incidents_data(conn: sqlite3.Connection, scope: Scope) -> IncidentsData:
    """The Incidents page's data for the scope."""
    public = disclosure.incidents(incidents.incidents(conn, scope, INCIDENTS_LISTED_MAX),
                                  incidents.cumulative_deaths(conn, scope))
    rows, first, last = incidents.incident_span(conn, scope)
    period = None
    if rows > INCIDENT_BARS_MAX:
        days = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days
        period = "week" if days <= WEEKS_MAX_DAYS else "month"
    return IncidentsData(
        as_of=scope.end,
        totals=IncidentTotals(**incidents.incident_totals(conn, scope)),
        incidents=public.incidents,
        deaths=public.deaths,
        sources=sources.sources(conn, "incidents", scope),
        death_sources=_union(sources.sources(conn, "incidents", scope, from_start=False),
                             sources.sources(conn, "medevacs", scope, from_start=False)),
        x_range=_range(scope),
        disclosure=public.note,
        rows=rows,
        period=period,
        per_period=incidents.incidents_per_period(conn, scope, period) if period else pd.DataFrame(),
    )


def incidents_figures(data: IncidentsData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The Incidents page's charts: the time line and the cumulative deaths (each only when it has data)."""
    out = {}
    if data.period is not None:
        out["incidents_timeline"] = charts.incidents_per_period(
            data.per_period, data.period, data.as_of, data.sources, rows=data.rows, limit=INCIDENT_BARS_MAX)
    elif not data.incidents.empty:
        out["incidents_timeline"] = charts.incidents_timeline(data.incidents, data.as_of, data.sources)
    if not data.deaths.empty:
        out["cumulative_deaths"] = disclosure.mark(
            charts.cumulative_deaths(data.deaths, data.as_of, data.death_sources, x_range=data.x_range),
            data.disclosure)
    return out


# ---------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class ReconciliationData:
    """What the Reconciliation page shows: the intervals between consecutive counts up to D (the largest
    discrepancies when there are too many to draw), and the headline unexplained change."""

    as_of: str | None
    intervals: pd.DataFrame  # site, start, end, count_start, count_end, departures, deaths, unexplained_change, discrepancy
    note: str | None  # why only some intervals are shown, when so
    unexplained_change: int  # over every interval up to D
    sources: list[str]  # of the population counts up to D


def reconciliation_data(conn: sqlite3.Connection, scope: Scope) -> ReconciliationData:
    """The Reconciliation page's data for the scope."""
    intervals, total = reconciliation.intervals(conn, scope)
    shown = reconciliation.largest_discrepancies(intervals, INTERVALS_MAX)
    return ReconciliationData(
        as_of=scope.end,
        intervals=shown,
        note=(f"{len(intervals):,} intervals in this range, {int(intervals['discrepancy'].sum()):,} of them "
              f"with a discrepancy: the {len(shown):,} largest discrepancies are shown. Pick fewer sites "
              "or a shorter range to see every interval." if len(shown) < len(intervals) else None),
        unexplained_change=total,
        sources=sources.sources(conn, "population", scope, from_start=False),
    )


def reconciliation_figures(data: ReconciliationData, colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """The Reconciliation page's chart (when there is an interval)."""
    if data.intervals.empty:
        return {}
    return {"reconciliation": charts.reconciliation(data.intervals, data.as_of, data.sources)}
