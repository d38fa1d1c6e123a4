"""The sources behind a view: of the records the headline figures rest on, and of one record kind's rows
in a scope (what a chart's caption lists).

The four dated record kinds the arrays keep (aggregates.py) are answered from them; pledges, sites and a
range with a start date from SQL.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from resettle.compute.aggregates import aggregates
from resettle.compute.medical import EVENT_DATE
from resettle.compute.scope import Scope, where
from resettle.domain.records import KINDS


def sources_behind(conn: sqlite3.Connection, scope: Scope) -> list[str]:
    """The sources of every record the headline figures at D rest on (counts, departures, medical
    evacuations, incidents of the sites, dated up to D)."""
    agg = aggregates(conn)
    ids = None if scope.all_sites else scope.site_ids
    return sorted(set().union(*(agg.sources(table, ids, scope.end, departed_only=True)
                                for table in ("population", "transfers", "medevacs", "incidents"))))


def departure_sources(conn: sqlite3.Connection, scope: Scope) -> list[str]:
    """The sources of the departed transfers of the sites up to D, to the host countries of the filter
    (what a chart of where people went rests on)."""
    ids = None if scope.all_sites else scope.site_ids
    return sorted(aggregates(conn).sources("transfers", ids, scope.end, departed_only=True,
                                           host_countries=scope.host_countries))


def sources(conn: sqlite3.Connection, table: str, scope: Scope, *, from_start: bool = True) -> list[str]:
    """The distinct sources of one record kind's rows in the scope (for a chart's caption)."""
    kind = KINDS[table]
    ids = None if scope.all_sites else scope.site_ids
    if table in ("population", "transfers", "medevacs", "incidents") and not (from_start and scope.start):
        return sorted(aggregates(conn).sources(  # transfers: every stage, to the countries chosen
            table, ids, scope.end, host_countries=scope.host_countries))
    if table == "transfers":
        agg = aggregates(conn)
        rows = agg.transfer_rows(ids, scope.start, scope.end, scope.host_countries)
        return [agg.transfers.sources[i] for i in np.unique(agg.transfers.source[rows]).tolist()]
    date = EVENT_DATE if table == "medevacs" else "date"
    country = "host_country" in kind.names
    w, p = where(scope, date=date if table != "sites" else None, site=kind.has_site or table == "sites",
                 country=country, from_start=from_start)
    if table == "sites":
        w = w.replace("site_id", "id")
    return [r[0] for r in conn.execute(f"SELECT DISTINCT source FROM {kind.table} WHERE {w} ORDER BY 1", p)]
