"""Queries at the page edge, cached with st.cache_data and keyed by the database's change counter, so an
import or an undo shows at once. A connection is opened per query (sqlite3 connections are per thread).

Each public function reads the change counter (`version()`) and calls a cached function keyed by it and
by the view; the work itself is in the library (figures, compute, publish, ingest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from resettle.api import Correction, Database
from resettle.compute import choices, disclosure, table_rows
from resettle.compute.scope import Scope, resolve_sites, view_scope
from resettle.figures import pages, registry
from resettle.ingest import importer, review, sample
from resettle.publish import rendering, report, tables
from resettle.publish.bundle import write_bundle
from resettle.store import audit as audit_log  # `audit` is a function here
from resettle.store import db, writer
from resettle.store.changes import ChangeSet
from resettle.ui import access

CACHE = {"show_spinner": False, "max_entries": 64}


def db_path() -> Path:
    return db.default_path().resolve()


@contextmanager
def connection() -> Iterator:
    conn = db.connect(db_path())
    try:
        yield conn
    finally:
        conn.close()


_VERSION = "_data_version_of_this_run"


def read_version() -> tuple:
    """The cache key of every query, read from the database now: which database, its change counter
    (every import and undo), and whether small medical figures are suppressed (public mode, its
    threshold). The app reads it once at the start of each script run (`app.main`) and again after a
    change of this session's own (an import, an undo), so a page's many cached calls do not each open a
    connection to ask."""
    with connection() as conn:
        public = (disclosure.public_mode(), disclosure.threshold())
        key = (str(db_path()), *db.data_version(conn), *public)
    st.session_state[_VERSION] = key
    return key


def version() -> tuple:
    """The cache key as read at the start of this script run (or after this session's last change)."""
    key = st.session_state.get(_VERSION)
    return key if key is not None else read_version()


def _scope(conn, view) -> Scope:
    return view_scope(conn, view.sites, view.start, view.end, view.host_countries)


# ---------------------------------------------------------------- filters


@st.cache_data(**CACHE)
def _is_empty(version: tuple) -> bool:
    with connection() as conn:
        return choices.is_empty(conn)


def is_empty() -> bool:
    return _is_empty(version())


@st.cache_data(**CACHE)
def _site_names(version: tuple) -> list[str]:
    with connection() as conn:
        return [n for _, n in resolve_sites(conn, None)]


def site_names() -> list[str]:
    return _site_names(version())


@st.cache_data(**CACHE)
def _host_countries(version: tuple) -> list[str]:
    with connection() as conn:
        return choices.host_countries(conn)


def host_countries() -> list[str]:
    return _host_countries(version())


@st.cache_data(**CACHE)
def _colours(version: tuple) -> dict[str, str]:
    with connection() as conn:
        return pages.colours(conn)


def colours() -> dict[str, str]:
    """One colour per host country of the database, the same on every chart (pages.colours)."""
    return _colours(version())


@st.cache_data(**CACHE)
def _date_bounds(version: tuple, sites: tuple[str, ...]) -> tuple[dt.date | None, dt.date | None]:
    with connection() as conn:
        ids = [i for i, _ in resolve_sites(conn, list(sites) or None)]
        return choices.date_bounds(conn, ids)


def date_bounds(sites: tuple[str, ...]) -> tuple[dt.date | None, dt.date | None]:
    """The earliest dated record and the default as-of date of the sites (all when none)."""
    return _date_bounds(version(), sites)


# ---------------------------------------------------------------- pages


@st.cache_data(**CACHE)
def _page_data(version: tuple, view, path: str):
    with connection() as conn:
        return registry.page(path).gather(conn, _scope(conn, view))


def page_data(path: str, view):
    """What the page at `path` (the page registry) shows for the view: its dataclass of headline numbers,
    tables and chart data (figures/pages.py), gathered as the exports gather it."""
    return _page_data(version(), view, path)


# ---------------------------------------------------------------- the pages' figures
# Built once per data and view, then the same Figure objects for every session (st.cache_resource: no
# copy): building plotly figures is most of a page's run once its data is cached. Nothing changes a
# figure after it is built (an export that needs a change copies it first: rendering.for_export).


class PreparedFigure(go.Figure):
    """A page's figure as st.plotly_chart sends it, its dict made once. st.plotly_chart asks every figure
    for `to_dict()` on every visit, a deep copy of all its data with each array turned into base64: 16 ms
    of server CPU per visit of the Overview at 1,000,000 transfers, for figures that never change. This
    one makes that dict when it is built (in the cache, once per data and view) and hands out the same one.
    Nothing changes a cached figure or its dict (st.plotly_chart only reads it; an export copies the
    figure from its objects first, rendering.for_export), so the dict stays true to the figure."""

    def __init__(self, fig: go.Figure):
        super().__init__(fig)
        self._prepared = super().to_dict()

    def to_dict(self) -> dict:
        return self._prepared


@st.cache_resource(show_spinner=False, max_entries=64)
def _page_figures(version: tuple, view, path: str) -> dict:
    drawn = registry.page(path).draw(page_data(path, view), colours())
    return {name: PreparedFigure(fig) for name, fig in drawn.items()}


def page_figures(path: str, view) -> dict:
    """The figures of the page at `path` for the view, by chart name (the registry's `charts`)."""
    return _page_figures(version(), view, path)


# ---------------------------------------------------------------- downloads
# Made when the button is pressed (st.download_button's data as a callable), cached per view.

FILES = {"show_spinner": False, "max_entries": 16}


@st.cache_data(**FILES)
def _chart_file(version: tuple, view, name: str, fmt: str, _fig) -> bytes:
    return rendering.chart_bytes(_fig, fmt)


def chart_file(view, name: str, fmt: str, fig) -> Callable[[], bytes]:
    """The chart on the page as a file, made on demand: PNG, SVG, PDF (the shared browser) or HTML."""
    key = version()
    return lambda: _chart_file(key, view, name, fmt, fig)


@st.cache_data(**FILES)
def _briefing(version: tuple, view, fmt: str) -> bytes:
    with connection() as conn:
        b = report.briefing(conn, _scope(conn, view))
    return report.html_report(b).encode("utf-8") if fmt == "html" else report.pdf_report(b)


def briefing(view, fmt: str) -> Callable[[], bytes]:
    """The briefing report of the view (HTML or PDF), made on demand."""
    key = version()
    return lambda: _briefing(key, view, fmt)


@st.cache_data(**FILES)
def _bundle(version: tuple, view) -> bytes:
    with tempfile.TemporaryDirectory(prefix="resettle-page-") as tmp:
        path, _ = write_bundle(db_path(), Path(tmp) / "bundle.zip", sites=view.sites,
                                      as_of=view.as_of, start=view.start.isoformat() if view.start else None,
                                      host_countries=view.host_countries)
        return path.read_bytes()


def bundle(view) -> Callable[[], bytes]:
    """The bundle of the view (report, charts, data, a copy of the database), made on demand."""
    key = version()
    return lambda: _bundle(key, view)


@st.cache_data(**CACHE)
def _table(version: tuple, view, kind: str, limit: int, source_contains: str) -> dict:
    with connection() as conn:
        scope = _scope(conn, view)
        frame, total = table_rows.table_slice(conn, kind, scope, limit=limit, source_contains=source_contains)
        return {"frame": frame, "total": total, "csv": tables.csv_bytes(frame), "as_of": scope.end}


def table(view, kind: str, limit: int, source_contains: str = "") -> dict:
    """One table's rows in the view (at most `limit`), how many match, and the CSV of what is shown."""
    return _table(version(), view, kind, limit, source_contains)


# ---------------------------------------------------------------- import and undo


@st.cache_data(**CACHE)
def _batches(version: tuple) -> pd.DataFrame:
    with connection() as conn:
        return pd.DataFrame(writer.list_batches(conn),
                            columns=["id", "kind", "file_name", "reason", "source", "rows_read", "rows_added",
                                     "rows_updated", "rows_deleted", "rows_present", "rows_rejected", "imported_at",
                                     "editor", "sha256"])


def batches() -> pd.DataFrame:
    """Every import batch, newest first."""
    return _batches(version())


@st.cache_data(**CACHE)
def _audit(version: tuple) -> pd.DataFrame:
    with connection() as conn:
        return pd.DataFrame(audit_log.list_audit(conn), columns=["id", "at", "editor", "action", "batch_id", "detail"])


def audit() -> pd.DataFrame:
    """The audit log, newest first: every import and undo, when, by which editor."""
    return _audit(version())


# Each change below asks access.require_editor first (server side: read-only mode, sign-in), and records
# the editor it names, whatever the caller passed.


def _changes_data(change: Callable) -> Callable:
    """A change made in this session: the cache key is read again after it (whether it wrote or failed),
    so what the rest of this run shows includes it."""
    @functools.wraps(change)
    def run(*args, **kwargs):
        try:
            return change(*args, **kwargs)
        finally:
            read_version()
    return run


@_changes_data
def load_sample() -> list[importer.ImportReport]:
    access.require_editor("loading the sample data")
    return sample.load(db_path())


def check_import(path: Path, kind: str, options: importer.ImportOptions) -> review.Check:
    """A dry run of the import: what it would add, or every problem; nothing is written."""
    editor = access.require_editor("importing")
    return review.check(db_path(), kind, path, dataclasses.replace(options, editor=editor))


@_changes_data
def run_import(path: Path, kind: str, options: importer.ImportOptions) -> review.Check:
    editor = access.require_editor("importing")
    return review.commit(db_path(), kind, path, dataclasses.replace(options, editor=editor))


def records(kind: str, ids: list[int]) -> dict[int, dict]:
    """The records with these ids exactly as stored (not cached): what an editor's change is compared with."""
    return Database(db_path()).records(kind, ids)


@_changes_data
def save_changes(kind: str, corrections: list[Correction], reason: str, separate: bool = False) -> ChangeSet:
    """Records added, corrected or deleted in this session, saved as one change set by the signed-in editor."""
    editor = access.require_editor("correcting records")
    return Database(db_path()).save(kind, corrections, reason=reason, editor=editor, separate=separate)


@_changes_data
def undo(batch_id: int) -> dict[str, int]:
    editor = access.require_editor("undoing an import")
    with connection() as conn:
        return writer.undo(conn, batch_id, editor=editor)

