"""Queries at the page edge, cached with st.cache_data and keyed by the database's change counter, so an
import or an undo shows at once. A connection is opened per query (sqlite3 connections are per thread)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from .. import db, metrics


def db_path() -> Path:
    return db.default_path().resolve()


def version() -> tuple:
    """The cache key of every query: which database, and its change counter (file and WAL size, mtime)."""
    path = db_path()
    conn = db.connect(path)
    try:
        return (str(path), *db.data_version(conn))
    finally:
        conn.close()


@st.cache_data(show_spinner=False, max_entries=64)
def site_names(version: tuple) -> list[str]:
    conn = db.connect(db_path())
    try:
        return [n for _, n in metrics.resolve_sites(conn, None)]
    finally:
        conn.close()


@st.cache_data(show_spinner=False, max_entries=64)
def overview(version: tuple, sites: tuple[str, ...], as_of: dt.date | None) -> dict:
    """Headline figures, the residents estimate and the reported counts for the selected sites."""
    conn = db.connect(db_path())
    try:
        chosen = metrics.resolve_sites(conn, list(sites) or None)
        ids = [i for i, _ in chosen]
        day = as_of or metrics.default_as_of(conn, ids)
        label = chosen[0][1] if len(sites) == 1 else (", ".join(sites) if sites else None)
        if day is None:
            return {"summary": metrics.summary(conn, list(sites) or None), "estimate": pd.DataFrame(),
                    "counts": pd.DataFrame(), "sources": []}
        loaded = metrics.load_sites(conn, chosen)
        summary = metrics.figures_at(conn, loaded, day, label, ids)
        estimate = pd.DataFrame(metrics.residents_series(loaded, day), columns=["date", "residents"])
        counts = pd.DataFrame(metrics.count_points(loaded))
        if not counts.empty:
            counts = counts[counts["date"] <= day.isoformat()]
        sources = sorted(set(counts["source"])) if not counts.empty else []
        return {"summary": summary, "estimate": estimate, "counts": counts, "sources": sources}
    finally:
        conn.close()
