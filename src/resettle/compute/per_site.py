"""Every site of a view side by side at one as-of date D: its headline figures (headline.site_figures, the
same definitions as the Overview, for the site alone), how old its latest count is, its intervals with an
unexplained change, and its residents over time; and the freshness warnings of a view (DOMAIN.md: a count
is stale when more than RESETTLE_STALE_DAYS days older than D; an interval's unexplained change is large
above 5% of its earlier count).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

import numpy as np
import pandas as pd

from resettle.compute import headline
from resettle.compute.arithmetic import day_number, iso_dates
from resettle.compute.scope import Scope, placeholders
from resettle.compute.site import Site
from resettle.domain.errors import UsageError

STALE_DAYS = 30  # the default of RESETTLE_STALE_DAYS
LARGE_SHARE = 0.05  # an unexplained change above this share of the interval's earlier count is large
SERIES_POINTS = 60  # points of each site's small line of residents over time

COLUMNS = ["name", "country", "type", "residents_now", "latest_count", "count_age_days", "stale",
           "baseline", "departed", "pct_relocated", "departures_last_90_days", "projected_completion",
           "deaths", "unexplained_change", "intervals_unexplained", "intervals_large", "residents_over_time",
           "lat", "lon"]


def stale_days() -> int:
    """How many days older than D a site's latest count may be before it is stale: RESETTLE_STALE_DAYS,
    default 30. A value that is not a whole number of days from 0 up stops with a message saying so."""
    raw = os.environ.get("RESETTLE_STALE_DAYS", "").strip()
    if not raw:
        return STALE_DAYS
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(f"RESETTLE_STALE_DAYS={raw!r} is not a whole number of days (0 or more); "
                         f"unset it for the default of {STALE_DAYS}")
    return value


def large_intervals(site: Site, day: int | str) -> tuple[int, int]:
    """(intervals with an unexplained change, intervals with a large one) of the site up to the day."""
    before, change = site.interval_changes(day)
    return int(np.count_nonzero(change)), int(np.count_nonzero(np.abs(change) > LARGE_SHARE * before))


def is_stale(site: Site, day: int, after_days: int) -> bool:
    """The site's latest count on or before the day is more than `after_days` older than it (a site with
    no count at all is not stale: it has no estimate to rest on the flows)."""
    latest = site.latest_count_day(day)
    return latest is not None and day - latest > after_days


def freshness(loaded: list[Site], as_of: dt.date, after_days: int) -> tuple[int, int]:
    """The Overview's warnings for a view: (sites whose latest count is stale, intervals up to D with a
    large unexplained change)."""
    day = day_number(as_of)
    stale = sum(is_stale(s, day, after_days) for s in loaded)
    large = sum(large_intervals(s, day)[1] for s in loaded)
    return int(stale), int(large)


def residents_over_time(site: Site, day: int, points: int = SERIES_POINTS) -> list[int]:
    """The site's residents estimate at `points` evenly spaced days from its first count to the day (a
    small line; empty before its first count)."""
    if not len(site.count_days) or site.count_days[0] > day:
        return []
    days = np.unique(np.linspace(int(site.count_days[0]), day, points).round().astype(np.int64))
    _, values = site.residents_at(days)
    return [int(v) for v in values]


def _attributes(conn: sqlite3.Connection, ids: list[int]) -> dict[int, tuple]:
    """id -> (country, type, lat, lon) of the sites."""
    rows = conn.execute(f"SELECT id, country, type, lat, lon FROM sites WHERE id IN ({placeholders(ids)})",
                        ids).fetchall() if ids else []
    return {r[0]: r[1:] for r in rows}


def site_rows(conn: sqlite3.Connection, scope: Scope, loaded: list[Site], after_days: int) -> pd.DataFrame:
    """One row per site of the scope at D (scope.end), sorted by residents now (largest first; sites with no
    count yet last): COLUMNS. Each figure is headline.site_figures of the site alone, so a row equals the
    Overview of that one site."""
    if scope.end is None:
        return pd.DataFrame(columns=COLUMNS)
    as_of = dt.date.fromisoformat(scope.end)
    day = day_number(as_of)
    attributes = _attributes(conn, scope.site_ids)
    rows = []
    for s in loaded:
        f = headline.site_figures([s], as_of)
        latest = s.latest_count_day(day)
        unexplained, large = large_intervals(s, day)
        country, kind, lat, lon = attributes.get(s.id, (None, None, None, None))
        rows.append({
            "name": s.name, "country": country, "type": kind, "residents_now": f["residents"],
            "latest_count": None if latest is None else str(iso_dates(np.array([latest]))[0]),
            "count_age_days": None if latest is None else day - latest,
            "stale": is_stale(s, day, after_days),
            "baseline": f["baseline_population"], "departed": f["relocated_total"],
            "pct_relocated": f["percent_relocated"], "departures_last_90_days": f["departures_last_90_days"],
            "projected_completion": f["projected_completion"], "deaths": f["deaths_recorded"],
            "unexplained_change": f["unexplained_change"], "intervals_unexplained": unexplained,
            "intervals_large": large, "residents_over_time": residents_over_time(s, day),
            "lat": lat, "lon": lon,
        })
    frame = pd.DataFrame(rows, columns=COLUMNS)
    # Whole people stay whole numbers where some are unknown (pandas' nullable integers, not 1314.0).
    for column in ("residents_now", "count_age_days", "baseline"):
        frame[column] = frame[column].astype("Int64")
    frame["pct_relocated"] = frame["pct_relocated"].astype("Float64")
    return frame.sort_values(["residents_now", "name"], ascending=[False, True], na_position="last",
                             ignore_index=True)
