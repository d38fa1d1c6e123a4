"""The reconciliation of counts and flows: every interval between two consecutive population counts of a
site, with the departures and deaths in between and its unexplained change (DOMAIN.md), computed once
here for the Reconciliation page, the briefing and the data exports, which only format it.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from resettle.compute import ranking
from resettle.compute.aggregates import default_as_of, load_sites
from resettle.compute.arithmetic import iso_dates
from resettle.compute.scope import Scope

COLUMNS = ["site", "start", "end", "count_start", "count_end", "departures", "deaths", "unexplained_change"]
TEXT = {"site", "start", "end"}


def intervals(conn: sqlite3.Connection, scope: Scope) -> tuple[pd.DataFrame, int]:
    """The intervals of the scope's sites up to D (the sites' default as-of date when the scope has none:
    a data export's) that end on or after the start date: COLUMNS and `discrepancy` (the flows do not
    explain the change); and the headline unexplained_change, the total over every interval up to D."""
    end = scope.end
    if end is None:
        latest = default_as_of(conn, scope.site_ids)
        end = latest.isoformat() if latest else None
    if end is None:
        return pd.DataFrame(columns=[*COLUMNS, "discrepancy"]), 0
    # Column by column, each site's arrays side by side (a row per interval: 90,000 rows as dicts took 0.5 s).
    parts: dict[str, list] = {c: [] for c in COLUMNS}
    for site in load_sites(conn, list(scope.sites)):
        t, c, dep, deaths, change = site.interval_arrays(end)
        if not len(change):
            continue
        dates = iso_dates(t).astype(object)
        for name, values in (("site", np.full(len(change), site.name, dtype=object)), ("start", dates[:-1]),
                             ("end", dates[1:]), ("count_start", c[:-1]), ("count_end", c[1:]), ("departures", dep),
                             ("deaths", deaths), ("unexplained_change", change)):
            parts[name].append(values if name in TEXT else values.astype(np.int64))
    total = int(sum(change.sum() for change in parts["unexplained_change"]))
    frame = pd.DataFrame({name: np.concatenate(arrays) for name, arrays in parts.items()}) if parts["site"] else \
        pd.DataFrame(columns=COLUMNS)
    if scope.start:
        frame = frame[frame["end"] >= scope.start].reset_index(drop=True)
    if frame.empty:
        frame = pd.DataFrame(columns=COLUMNS)  # as a table of no rows always was: untyped columns
    frame["discrepancy"] = frame["unexplained_change"] != 0
    return frame, total


def largest_discrepancies(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` intervals to show: all of them when few, else the discrepancies largest first."""
    if len(frame) <= limit:
        return frame
    off = np.flatnonzero(frame["discrepancy"].to_numpy())
    top, _ = ranking.largest(limit, np.abs(frame["unexplained_change"].to_numpy()[off]))
    return frame.iloc[off[top]]
