"""The overview's series: the residents estimate over time, every population count as reported, and the
cumulative relocations (per host country) and pledges up to D.

The residents and relocations come from the sites' arrays (aggregates.py); the pledges from SQL.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd

from resettle.compute.aggregates import aggregates
from resettle.compute.arithmetic import day_number, iso_dates
from resettle.compute.scope import Scope, query_frame, where
from resettle.compute.site import Site

DAILY_POINTS = 500  # a cumulative series with more dates than this is drawn month by month


def residents_series(loaded: list[Site], as_of: dt.date) -> list[tuple[str, int]]:
    """The residents estimate of the sites together on every date something changed, up to `as_of`
    (a step line: each count, then minus departures and deaths until the next count)."""
    day = day_number(as_of)
    days = np.concatenate([np.array([day], dtype=np.int64)]
                          + [d for s in loaded for d in (s.count_days, s.dep_days, s.death_days)])
    days = np.unique(days[days <= day])
    total = np.zeros(len(days), dtype=np.int64)
    counted = np.zeros(len(days), dtype=bool)  # some site has a count on or before the day
    for s in loaded:
        known, residents = s.residents_at(days)
        total += np.where(known, residents, 0)
        counted |= known
    return list(zip(iso_dates(days[counted]).tolist(), total[counted].tolist(), strict=True))


COUNT_POINTS = ["site", "date", "source", "residents", "headline", "low", "high", "sources"]


def count_rows_upto(loaded: list[Site], as_of: dt.date) -> int:
    """How many population counts, as reported (one per site, date and source), are dated up to `as_of`."""
    day = day_number(as_of)
    return int(sum(np.searchsorted(s.rows_day, day, side="right") for s in loaded))


def count_points(loaded: list[Site]) -> pd.DataFrame:
    """Every population count as reported, as a pandas DataFrame with the columns COUNT_POINTS: site,
    date, source, its total (residents); and the date's headline (median), range and number of sources."""
    parts = [s for s in loaded if len(s.rows_day)]
    if not parts:
        return pd.DataFrame(columns=COUNT_POINTS)
    at = [np.searchsorted(s.count_days, s.rows_day) for s in parts]  # each row's count day
    return pd.DataFrame({
        "site": np.repeat(np.array([s.name for s in parts], dtype=object), [len(s.rows_day) for s in parts]),
        "date": iso_dates(np.concatenate([s.rows_day for s in parts])).astype(object),
        "source": np.array([src for s in parts for src in s.rows_source], dtype=object),
        "residents": np.concatenate([s.rows_total for s in parts]),
        "headline": np.concatenate([s.count_values[i] for s, i in zip(parts, at, strict=True)]),
        "low": np.concatenate([s.count_low[i] for s, i in zip(parts, at, strict=True)]),
        "high": np.concatenate([s.count_high[i] for s, i in zip(parts, at, strict=True)]),
        "sources": np.concatenate([s.count_n[i] for s, i in zip(parts, at, strict=True)]),
    }, columns=COUNT_POINTS)


def cumulative_relocations(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Cumulative departed people per host country on every departure date up to D (and at D itself), for
    a stacked area. Not cut at the start date: a cumulative level carries what came before. With more
    than DAILY_POINTS dates, one point a month (its last date, where the level is exact)."""
    flows = aggregates(conn).country_flows(None if scope.all_sites else scope.site_ids)
    end = day_number(scope.end) if scope.end else None
    parts = []
    for country, (days, cum) in flows.items():
        if scope.host_countries and country not in scope.host_countries:
            continue
        upto = len(days) if end is None else int(np.searchsorted(days, end, side="right"))
        if upto:
            parts.append((country, days[:upto], np.diff(cum[:upto], prepend=0)))
    if not parts:
        return pd.DataFrame(columns=["date", "host_country", "people"])
    daily = pd.DataFrame({
        "date": iso_dates(np.concatenate([d for _, d, _ in parts])).astype(object),
        "host_country": np.repeat(np.array([c for c, _, _ in parts], dtype=object), [len(d) for _, d, _ in parts]),
        "people": np.concatenate([a for _, _, a in parts]),
    })
    wide = daily.pivot_table(index="date", columns="host_country", values="people", aggfunc="sum",
                             fill_value=0).sort_index().cumsum()
    if scope.end and scope.end not in wide.index:
        wide.loc[scope.end] = wide.iloc[-1]
    if len(wide) > DAILY_POINTS:
        wide = wide.groupby(wide.index.str[:7]).tail(1)
    long = wide.stack().rename("people").reset_index()
    long.columns = ["date", "host_country", "people"]
    return long.astype({"people": "int64"}).sort_values(["date", "host_country"], ignore_index=True)


def cumulative_pledges(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Places pledged in all, on every pledge date up to D (and at D), for the host countries chosen.
    Pledges belong to no site."""
    w, p = where(scope, site=False, country=True, from_start=False)
    at_end = "UNION ALL SELECT ?, 0" if scope.end else ""
    tail = [scope.end] if scope.end else []
    return query_frame(conn, f"""SELECT date, sum(places) OVER (ORDER BY date) AS places FROM (
            SELECT date, sum(places) AS places FROM (
                SELECT date, places FROM pledges WHERE {w} {at_end}) GROUP BY date)
        ORDER BY date""", p + tail, ["date", "places"])
