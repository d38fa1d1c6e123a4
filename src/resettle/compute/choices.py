"""What a view can choose from: whether there is anything yet, the host countries (ranked, for their
colours), the dates the sites' records span (the sidebar's date range and its default as-of date).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from resettle.compute import aggregates, ranking
from resettle.compute.arithmetic import as_date


def is_empty(conn: sqlite3.Connection) -> bool:
    """No site and no pledge yet: the dashboard shows its first screen."""
    return not conn.execute("SELECT EXISTS(SELECT 1 FROM sites) OR EXISTS(SELECT 1 FROM pledges)").fetchone()[0]


def host_countries(conn: sqlite3.Connection) -> list[str]:
    """Every host country named by a transfer or a pledge (ISO3)."""
    pledged = {r[0] for r in conn.execute("SELECT DISTINCT host_country FROM pledges")}
    return sorted(pledged.union(aggregates.aggregates(conn).host_countries()))


def host_countries_ranked(conn: sqlite3.Connection) -> list[str]:
    """Every host country, the most people departed to first, then the most places pledged (for colours)."""
    agg = aggregates.aggregates(conn)
    departed = {c: int(cum[-1]) for c, (_, cum) in agg.country_flows(None).items()}
    pledged = dict(conn.execute("SELECT host_country, sum(places) FROM pledges GROUP BY 1").fetchall())
    every = sorted(set(departed) | set(pledged) | set(agg.host_countries()))
    top, _ = ranking.largest(None, [departed.get(c, 0) for c in every], [pledged.get(c) or 0 for c in every])
    return [every[i] for i in top]


def date_bounds(conn: sqlite3.Connection, ids: list[int]) -> tuple[dt.date | None, dt.date | None]:
    """The sites' earliest dated record (a medical evacuation's request date first) and their default
    as-of date (DOMAIN.md)."""
    first, last = aggregates.aggregates(conn).bounds(ids)
    return (None if first is None else as_date(first)), (None if last is None else as_date(last))
