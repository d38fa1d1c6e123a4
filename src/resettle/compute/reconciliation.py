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
from resettle.compute.scope import Scope

COLUMNS = ["site", "start", "end", "count_start", "count_end", "departures", "deaths", "unexplained_change"]


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
    every = [i for s in load_sites(conn, list(scope.sites)) for i in s.intervals(end)]
    total = sum(i["unexplained_change"] for i in every)
    frame = pd.DataFrame([i for i in every if not scope.start or i["end"] >= scope.start], columns=COLUMNS)
    frame["discrepancy"] = frame["unexplained_change"] != 0
    return frame, int(total)


def largest_discrepancies(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` intervals to show: all of them when few, else the discrepancies largest first."""
    if len(frame) <= limit:
        return frame
    off = np.flatnonzero(frame["discrepancy"].to_numpy())
    top, _ = ranking.largest(limit, np.abs(frame["unexplained_change"].to_numpy()[off]))
    return frame.iloc[off[top]]
