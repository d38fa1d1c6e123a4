"""The Relocation page's data: departures per month and host country, places pledged against people
departed, transfers by stage (submitted, accepted, departed).

Departures and stages come from the transfer rows kept as arrays (aggregates.py); pledges from SQL.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from resettle.compute import ranking
from resettle.compute.aggregates import DEPARTED, aggregates
from resettle.compute.arithmetic import cumulative_at, day_number, group_sums
from resettle.compute.scope import Scope, where
from resettle.domain.records import TRANSFER_STAGES


def departures_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Departed people per month (the month's first day) and host country, in [start, end]."""
    agg = aggregates(conn)
    t = agg.transfers
    rows = agg.transfer_rows(None if scope.all_sites else scope.site_ids, scope.start, scope.end,
                             scope.host_countries, departed_only=True)
    if not len(rows):
        return pd.DataFrame(columns=["month", "host_country", "people"])
    month = t.day[rows].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first, n = int(month.min()), max(len(t.countries), 1)
    keys, people = group_sums((month - first) * n + t.country[rows], (int(month.max()) - first + 1) * n,
                              t.people[rows])
    return pd.DataFrame({
        "month": np.datetime_as_string((keys // n + first).astype("datetime64[M]"), unit="D").astype(object),
        "host_country": np.array(t.countries, dtype=object)[keys % n],
        "people": people,
    })


def departures_table(frame: pd.DataFrame) -> pd.DataFrame:
    """departures_per_month as a table: one row per month, one column per host country, and the total."""
    if frame.empty:
        return pd.DataFrame(columns=["month", "total"])
    wide = frame.pivot_table(index="month", columns="host_country", values="people", aggfunc="sum", fill_value=0)
    top, _ = ranking.largest(None, wide.sum().to_numpy())  # the largest host country first
    wide = wide.iloc[:, top]
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    wide.index = wide.index.str[:7]  # the month as 2015-03
    return wide.reset_index().astype({c: "int64" for c in wide.columns})


def pledged_vs_departed(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Per host country: places pledged and people departed, each up to D."""
    wp, pp = where(scope, site=False, country=True, from_start=False)
    pledged = dict(conn.execute(f"SELECT host_country, sum(places) FROM pledges WHERE {wp} GROUP BY 1", pp).fetchall())
    end = day_number(scope.end) if scope.end else None
    departed = {}
    for country, (days, cum) in aggregates(conn).country_flows(
            None if scope.all_sites else scope.site_ids).items():
        if (not scope.host_countries or country in scope.host_countries) and (end is None or days[0] <= end):
            departed[country] = int(cum[-1] if end is None else cumulative_at(days, cum, end))
    rows = [(c, int(pledged.get(c) or 0), departed.get(c, 0)) for c in sorted(set(pledged) | set(departed))]
    top, _ = ranking.largest(None, [r[2] for r in rows], [r[1] for r in rows])
    return pd.DataFrame([rows[i] for i in top], columns=["host_country", "pledged", "departed"])


def stages(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """People and transfers per stage (submitted, accepted, departed) and host country, for transfers
    dated in the range; empty when the data has no stage other than departed."""
    agg = aggregates(conn)
    t = agg.transfers
    rows = agg.transfer_rows(None if scope.all_sites else scope.site_ids, scope.start, scope.end,
                             scope.host_countries)
    if not (t.stage[rows] != DEPARTED).any():
        return pd.DataFrame(columns=["stage", "host_country", "transfers", "people"])
    n = max(len(t.countries), 1)
    keys = t.stage[rows] * n + t.country[rows]
    distinct, people = group_sums(keys, len(TRANSFER_STAGES) * n, t.people[rows])
    counts = np.bincount(keys, minlength=len(TRANSFER_STAGES) * n)[distinct]
    return pd.DataFrame({
        "stage": np.array(TRANSFER_STAGES, dtype=object)[distinct // n],
        "host_country": np.array(t.countries, dtype=object)[distinct % n],
        "transfers": counts.astype(np.int64),
        "people": people,
    })


def departures_by_site_and_country(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Departed people per site and host country up to D (from the first departure: where people went,
    whatever the range's start), the largest flow first. Their sum is the headline relocated_total of the
    sites (for the host countries of the filter)."""
    agg = aggregates(conn)
    t = agg.transfers
    rows = agg.transfer_rows(None if scope.all_sites else scope.site_ids, None, scope.end, scope.host_countries,
                             departed_only=True)
    if not len(rows):
        return pd.DataFrame(columns=["site", "host_country", "people"])
    n = max(len(t.countries), 1)
    site = t.site[rows]
    # Site ids are small integers: one counting pass (no sort) sums each (site, country) pair.
    keys, people = group_sums(site * n + t.country[rows], (int(site.max()) + 1) * n, t.people[rows])
    names = dict(conn.execute("SELECT id, name FROM sites").fetchall())
    frame = pd.DataFrame({
        "site": [names[int(i)] for i in keys // n],
        "host_country": np.array(t.countries, dtype=object)[keys % n],
        "people": people,
    })
    top, _ = ranking.largest(None, frame["people"].to_numpy())
    return frame.iloc[top].reset_index(drop=True)
