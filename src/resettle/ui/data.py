"""Queries at the page edge, cached with st.cache_data and keyed by the database's change counter, so an
import or an undo shows at once. A connection is opened per query (sqlite3 connections are per thread).

Each public function reads the change counter (`version()`) and calls a cached function keyed by it and
by the view; the work itself is in the library (metrics, queries, importing, preview).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st

from .. import charts, db, importing, metrics, preview, queries, sample
from ..records import KINDS

CACHE = {"show_spinner": False, "max_entries": 64}
# What a browser can draw quickly: beyond these, a chart shows a selection and says so.
COUNT_POINTS_MAX = 3000
INCIDENT_MARKERS_MAX = 300
INTERVALS_MAX = 2000


def db_path() -> Path:
    return db.default_path().resolve()


@contextmanager
def connection() -> Iterator:
    conn = db.connect(db_path())
    try:
        yield conn
    finally:
        conn.close()


def version() -> tuple:
    """The cache key of every query: which database, and its change counter (every import and undo)."""
    with connection() as conn:
        return (str(db_path()), *db.data_version(conn))


def _scope(conn, view) -> queries.Scope:
    return queries.scope(conn, view.sites, view.start, view.end, view.host_countries)


def _range(view) -> tuple[str | None, str | None]:
    return (view.start.isoformat() if view.start else None, view.end.isoformat() if view.end else None)


# ---------------------------------------------------------------- filters


@st.cache_data(**CACHE)
def _is_empty(version: tuple) -> bool:
    with connection() as conn:
        return queries.is_empty(conn)


def is_empty() -> bool:
    return _is_empty(version())


@st.cache_data(**CACHE)
def _site_names(version: tuple) -> list[str]:
    with connection() as conn:
        return [n for _, n in metrics.resolve_sites(conn, None)]


def site_names() -> list[str]:
    return _site_names(version())


@st.cache_data(**CACHE)
def _host_countries(version: tuple) -> list[str]:
    with connection() as conn:
        return queries.host_countries(conn)


def host_countries() -> list[str]:
    return _host_countries(version())


@st.cache_data(**CACHE)
def _colours(version: tuple) -> dict[str, str]:
    with connection() as conn:
        return charts.colour_map(queries.host_countries_ranked(conn))


def colours() -> dict[str, str]:
    """One colour per host country of the database, the same on every chart (charts.colour_map)."""
    return _colours(version())


@st.cache_data(**CACHE)
def _date_bounds(version: tuple, sites: tuple[str, ...]) -> tuple[dt.date | None, dt.date | None]:
    with connection() as conn:
        ids = [i for i, _ in metrics.resolve_sites(conn, list(sites) or None)]
        return queries.date_bounds(conn, ids)


def date_bounds(sites: tuple[str, ...]) -> tuple[dt.date | None, dt.date | None]:
    """The earliest dated record and the default as-of date of the sites (all when none)."""
    return _date_bounds(version(), sites)


# ---------------------------------------------------------------- pages


@st.cache_data(**CACHE)
def _overview(version: tuple, view) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        chosen = list(scope.sites)
        ids = scope.site_ids
        label = chosen[0][1] if len(view.sites) == 1 else (", ".join(view.sites) if view.sites else None)
        if scope.end is None:
            return {"summary": metrics.summary(conn, list(view.sites) or None), "changes": {}, "sources": [],
                    "empty": True}
        day = dt.date.fromisoformat(scope.end)
        loaded = metrics.load_sites(conn, chosen)
        now = metrics.figures_at(conn, loaded, day, label, ids)
        before = metrics.figures_at(conn, loaded, day - dt.timedelta(days=metrics.CHANGE_DAYS), label, ids)
        changes = metrics.changes(now, before)
        if view.host_countries:
            changes["relocated_to"] = metrics.relocated_to(now, view.host_countries) - metrics.relocated_to(
                before, view.host_countries)
        counts = pd.DataFrame(metrics.count_points(loaded),
                              columns=["site", "date", "source", "residents", "headline", "low", "high", "sources"])
        counts = counts[counts["date"] <= scope.end]
        notes = []
        if len(counts) > COUNT_POINTS_MAX:
            notes.append(f"{len(counts):,} population counts: too many to mark one by one (the line is their "
                         "estimate); pick fewer sites to see each count and its source.")
            counts = counts.iloc[0:0]
        incidents, total = queries.incident_markers(conn, scope, INCIDENT_MARKERS_MAX)
        if total > len(incidents):
            notes.append(f"The {len(incidents):,} incidents with the most people killed and wounded are marked, of "
                         f"{total:,}; the Incidents page lists them all.")
        return {
            "notes": notes,
            "empty": False,
            "summary": now,
            "changes": changes,
            "relocated_to": metrics.relocated_to(now, view.host_countries) if view.host_countries else None,
            "sources": queries.sources_behind(conn, scope),
            "estimate": pd.DataFrame(metrics.residents_series(loaded, day), columns=["date", "residents"]),
            "counts": counts,
            "incidents": incidents,
            "projection": {"from": now["as_of"], "residents": now["residents"], "to": now["projected_completion"],
                           "recent": now["departures_last_90_days"]},
            "cumulative": queries.cumulative_relocations(conn, scope),
            "pledges": queries.cumulative_pledges(conn, scope),
            "relocation_sources": sorted(set(queries.sources(conn, "transfers", scope, from_start=False))
                                         | set(queries.sources(conn, "pledges", scope, from_start=False))),
            "x_range": _range(view),
        }


def overview(view) -> dict:
    """Headline figures at D and their change over 30 days, the sources behind them, and the overview's
    chart data."""
    return _overview(version(), view)


@st.cache_data(**CACHE)
def _relocation(version: tuple, view) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        per_month = queries.departures_per_month(conn, scope)
        return {
            "as_of": scope.end,
            "per_month": per_month,
            "table": queries.departures_table(per_month),
            "pledged": queries.pledged_vs_departed(conn, scope),
            "stages": queries.stages(conn, scope),
            "sources": queries.sources(conn, "transfers", scope),
            "pledge_sources": sorted(set(queries.sources(conn, "transfers", scope, from_start=False))
                                     | set(queries.sources(conn, "pledges", scope, from_start=False))),
        }


def relocation(view) -> dict:
    return _relocation(version(), view)


@st.cache_data(**CACHE)
def _medical(version: tuple, view) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        return {
            "as_of": scope.end,
            "figures": queries.medical_access(conn, scope),
            "deaths_recorded": queries.deaths_recorded(conn, scope),
            "per_month": queries.medevacs_per_month(conn, scope),
            "waits": queries.waiting_days(conn, scope),
            "open": queries.open_requests(conn, scope),
            "sources": queries.sources(conn, "medevacs", scope),
        }


def medical(view) -> dict:
    return _medical(version(), view)


@st.cache_data(**CACHE)
def _incidents(version: tuple, view) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        return {
            "as_of": scope.end,
            "totals": queries.incident_totals(conn, scope),
            "incidents": queries.incidents(conn, scope),
            "deaths": queries.cumulative_deaths(conn, scope),
            "sources": queries.sources(conn, "incidents", scope),
            "death_sources": sorted(set(queries.sources(conn, "incidents", scope, from_start=False))
                                    | set(queries.sources(conn, "medevacs", scope, from_start=False))),
            "x_range": _range(view),
        }


def incidents(view) -> dict:
    return _incidents(version(), view)


@st.cache_data(**CACHE)
def _reconciliation(version: tuple, view) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        intervals, total = queries.reconciliation(conn, scope)
        shown = queries.largest_discrepancies(intervals, INTERVALS_MAX)
        return {
            "as_of": scope.end,
            "intervals": shown,
            "note": (f"{len(intervals):,} intervals in this range, {int(intervals['discrepancy'].sum()):,} of them "
                     f"with a discrepancy: the {len(shown):,} largest discrepancies are shown. Pick fewer sites "
                     "or a shorter range to see every interval." if len(shown) < len(intervals) else None),
            "unexplained_change": total,
            "sources": queries.sources(conn, "population", scope, from_start=False),
        }


def reconciliation(view) -> dict:
    return _reconciliation(version(), view)


@st.cache_data(**CACHE)
def _table(version: tuple, view, kind: str, limit: int, source_contains: str) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        frame, total = queries.table_slice(conn, kind, scope, limit=limit, source_contains=source_contains)
        return {"frame": frame, "total": total, "csv": queries.csv_bytes(frame), "as_of": scope.end}


def table(view, kind: str, limit: int, source_contains: str = "") -> dict:
    """One table's rows in the view (at most `limit`), how many match, and the CSV of what is shown."""
    return _table(version(), view, kind, limit, source_contains)


# ---------------------------------------------------------------- import and undo


@st.cache_data(**CACHE)
def _batches(version: tuple) -> pd.DataFrame:
    with connection() as conn:
        return pd.DataFrame(importing.list_batches(conn),
                            columns=["id", "kind", "file_name", "source", "rows_read", "rows_added", "rows_updated",
                                     "rows_present", "rows_rejected", "imported_at", "editor", "sha256"])


def batches() -> pd.DataFrame:
    """Every import batch, newest first."""
    return _batches(version())


def load_sample() -> list[importing.ImportReport]:
    return sample.load(db_path())


def check_import(path: Path, kind: str, options: importing.ImportOptions) -> preview.Check:
    """A dry run of the import: what it would add, or every problem; nothing is written."""
    return preview.check(db_path(), kind, path, options)


def run_import(path: Path, kind: str, options: importing.ImportOptions) -> preview.Check:
    return preview.commit(db_path(), kind, path, options)


def undo(batch_id: int) -> dict[str, int]:
    with connection() as conn:
        return importing.undo(conn, batch_id, editor="dashboard")


KIND_LABELS = {k: KINDS[k].table.replace("_", " ") for k in KINDS}
