"""The headline figures of DOMAIN.md, computed per site at one as-of date D and summed over sites.

Aggregation happens in SQL (sums per site and date); the arithmetic of the definitions happens here on
those small aggregates. Every people count returned is an int.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .errors import UsageError

WINDOW_DAYS = 90


def round_half_up(value: float | Decimal, places: int = 0) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def median_half_up(values: list[int]) -> int:
    """The median of several sources' totals, rounded to whole people with halves up."""
    ordered = sorted(values)
    n = len(ordered)
    mid = ordered[n // 2] if n % 2 else Decimal(ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return int(round_half_up(mid))


def parse_as_of(text: str | None) -> dt.date | None:
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date: write it as YYYY-MM-DD") from None


def _days(dates) -> np.ndarray:
    """ISO dates as int64 day numbers (days since 1970-01-01), for arithmetic and searchsorted."""
    return np.array(dates, dtype="datetime64[D]").astype(np.int64)


def _day(day: str | dt.date) -> int:
    return int(np.datetime64(day if isinstance(day, str) else day.isoformat(), "D").astype(np.int64))


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), unit="D")


_NONE = np.zeros(0, dtype=np.int64)


def _cum_at(days: np.ndarray, cum: np.ndarray, at: np.ndarray | int) -> np.ndarray | int:
    """The cumulative value at each day of `at` (the last of `cum` on or before it; 0 before the first)."""
    i = np.searchsorted(days, at, side="right")
    if not len(cum):
        return np.zeros_like(i) if isinstance(i, np.ndarray) else 0
    return np.where(i > 0, cum[np.maximum(i - 1, 0)], 0)


@dataclass
class Site:
    """One site's aggregates, as day numbers (see _days) and numpy arrays: its population counts (the
    headline of each date: the median of the sources' totals, with their range), and cumulative
    departures and deaths by date. Methods take ISO dates."""

    id: int
    name: str
    count_days: np.ndarray = field(default_factory=lambda: _NONE)  # sorted, one per date with a count
    count_values: np.ndarray = field(default_factory=lambda: _NONE)  # headline per count day
    count_low: np.ndarray = field(default_factory=lambda: _NONE)
    count_high: np.ndarray = field(default_factory=lambda: _NONE)
    count_n: np.ndarray = field(default_factory=lambda: _NONE)  # how many sources per count day
    rows_day: np.ndarray = field(default_factory=lambda: _NONE)  # each source's total, as reported
    rows_source: list[str] = field(default_factory=list)
    rows_total: np.ndarray = field(default_factory=lambda: _NONE)
    dep_days: np.ndarray = field(default_factory=lambda: _NONE)
    dep_cum: np.ndarray = field(default_factory=lambda: _NONE)  # cumulative departed people by dep_days
    death_days: np.ndarray = field(default_factory=lambda: _NONE)
    death_cum: np.ndarray = field(default_factory=lambda: _NONE)

    @property
    def count_dates(self) -> list[str]:
        return list(_iso(self.count_days))

    def departed_upto(self, day: str) -> int:
        return int(_cum_at(self.dep_days, self.dep_cum, _day(day)))

    def deaths_upto(self, day: str) -> int:
        return int(_cum_at(self.death_days, self.death_cum, _day(day)))

    def departed_between(self, after: str, upto: str) -> int:
        """Departed people with date in (after, upto]."""
        return self.departed_upto(upto) - self.departed_upto(after)

    def deaths_between(self, after: str, upto: str) -> int:
        return self.deaths_upto(upto) - self.deaths_upto(after)

    @property
    def baseline(self) -> int | None:
        return int(self.count_values[0]) if len(self.count_days) else None

    def latest_count(self, day: str) -> tuple[str, int] | None:
        i = int(np.searchsorted(self.count_days, _day(day), side="right"))
        if not i:
            return None
        return str(_iso(self.count_days[i - 1:i])[0]), int(self.count_values[i - 1])

    def residents_at(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(has a count on or before the day, residents estimate) for each of `days`: the latest count C
        at t <= day, minus departures and deaths in (t, day]."""
        i = np.searchsorted(self.count_days, days, side="right") - 1
        known = i >= 0
        if not len(self.count_days):
            return known, np.zeros(len(days), dtype=np.int64)
        j = np.maximum(i, 0)
        t = self.count_days[j]
        flows = (_cum_at(self.dep_days, self.dep_cum, days) - _cum_at(self.dep_days, self.dep_cum, t)
                 + _cum_at(self.death_days, self.death_cum, days) - _cum_at(self.death_days, self.death_cum, t))
        return known, self.count_values[j] - flows

    def residents(self, day: str) -> int | None:
        known, value = self.residents_at(np.array([_day(day)]))
        return int(value[0]) if known[0] else None

    def unexplained_upto(self, day: int) -> int:
        """The sum of unexplained_change over the intervals up to `day` (a day number). The intervals
        partition (t_first, t_last], so the sum is (c_last - c_first) + the flows in that span."""
        k = int(np.searchsorted(self.count_days, day, side="right"))
        if k < 2:
            return 0
        first, last = self.count_days[0], self.count_days[k - 1]
        flows = (_cum_at(self.dep_days, self.dep_cum, last) - _cum_at(self.dep_days, self.dep_cum, first)
                 + _cum_at(self.death_days, self.death_cum, last) - _cum_at(self.death_days, self.death_cum, first))
        return int(self.count_values[k - 1] - self.count_values[0] + flows)

    def intervals(self, day: str) -> list[dict]:
        """Consecutive population counts up to `day`, each with the flows between them."""
        k = int(np.searchsorted(self.count_days, _day(day), side="right"))
        if k < 2:
            return []
        t = self.count_days[:k]
        c = self.count_values[:k]
        dep = np.diff(_cum_at(self.dep_days, self.dep_cum, t))
        deaths = np.diff(_cum_at(self.death_days, self.death_cum, t))
        change = np.diff(c) + dep + deaths
        dates = _iso(t)
        return [
            {"site": self.name, "start": str(dates[n]), "end": str(dates[n + 1]), "count_start": int(c[n]),
             "count_end": int(c[n + 1]), "departures": int(dep[n]), "deaths": int(deaths[n]),
             "unexplained_change": int(change[n])}
            for n in range(k - 1)
        ]


def resolve_sites(conn: sqlite3.Connection, site: str | list[str] | None) -> list[tuple[int, str]]:
    """(id, name) of the named site(s), or of every site; an unknown name is a UsageError listing them."""
    rows = conn.execute("SELECT id, name FROM sites ORDER BY name").fetchall()
    if site is None or site == [] or site == "":
        return rows
    wanted = [site] if isinstance(site, str) else list(site)
    by_name = {name.casefold(): (i, name) for i, name in rows}
    out = []
    for w in wanted:
        hit = by_name.get(w.strip().casefold())
        if hit is None:
            names = ", ".join(n for _, n in rows) or "none yet"
            raise UsageError(f"no site named {w!r}; the sites are: {names}")
        out.append(hit)
    return out


def _in(ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _sites_condition(conn: sqlite3.Connection, ids: list[int]) -> str:
    """`site_id IN (...)`, or nothing to ask when the ids are every site: SQLite then reads the table
    straight through instead of looking up a million rows one by one from the (site_id, date) index,
    a third faster on 1M transfers."""
    if ids and set(ids) == {i for (i,) in conn.execute("SELECT id FROM sites")}:
        return "1"
    return f"site_id IN ({_in(ids)})"


class Loaded(list):
    """What load_sites returns: each site's Site, in the order asked (a plain list to its callers), and
    the departures per host country and date of those sites together, read on first use and then kept,
    so that figures at several dates (a figure and its change over 30 days) read them once."""

    def __init__(self, sites: list[Site], ids: list[int]) -> None:
        super().__init__(sites)
        self.ids = ids
        self.country_flows: dict[str, tuple[np.ndarray, np.ndarray]] | None = None


def _series(conn: sqlite3.Connection, sql: str) -> dict:
    """key -> (day numbers, cumulative sums) from `sql`'s rows (key, date, amount), one per key and date.

    Read as one row per key, its dates and amounts joined by commas, not one row per date: for 280,000
    site-dates that is a third of the time. group_concat's order is SQLite's choice, so it is checked."""
    out = {}
    for key, dates, amounts in conn.execute(
        f"WITH series (k, d, a) AS ({sql}) SELECT k, group_concat(d), group_concat(a) FROM series GROUP BY k ORDER BY k"
    ):
        days, values = _days(dates.split(",")), np.fromstring(amounts, dtype=np.int64, sep=",")
        if len(days) > 1 and not (np.diff(days) > 0).all():
            order = np.argsort(days, kind="stable")
            days, values = days[order], values[order]
        out[key] = (days, np.cumsum(values))
    return out


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around several statements, so that they see the same data while imports
    commit meanwhile (WAL: readers never wait). Inside a caller's transaction, that one."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def load_sites(conn: sqlite3.Connection, sites: list[tuple[int, str]]) -> list[Site]:
    """Aggregates of each site, summed in SQL (totals per source and date, departures and deaths per date)
    and turned into arrays: one pass over each table, whatever the number of sites, all from one snapshot."""
    with _snapshot(conn):
        return _load_sites(conn, sites)


def _load_sites(conn: sqlite3.Connection, sites: list[tuple[int, str]]) -> list[Site]:
    by_id = {i: Site(i, n) for i, n in sites}
    ids = list(by_id)
    loaded = Loaded(list(by_id.values()), ids)
    where = _sites_condition(conn, ids)
    rows = conn.execute(
        f"SELECT site_id, date, source, sum(residents) FROM population_counts WHERE {where} "
        "GROUP BY site_id, date, source ORDER BY site_id, date, source"
    ).fetchall()
    if rows:
        site_ids, dates, sources, totals = zip(*rows, strict=True)
        sid, days, total = np.array(site_ids, dtype=np.int64), _days(dates), np.array(totals, dtype=np.int64)
        first = np.ones(len(sid), dtype=bool)  # the first row of each (site, date)
        first[1:] = (sid[1:] != sid[:-1]) | (days[1:] != days[:-1])
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, len(sid)))
        group = np.cumsum(first) - 1
        ordered = total[np.lexsort((total, group))]  # each date's totals, smallest first
        # The median of the sources' totals, rounded half up (away from zero, as Decimal's ROUND_HALF_UP):
        # twice the median is the sum of the two middle totals (one total twice when their number is odd).
        twice = ordered[starts + (sizes - 1) // 2] + ordered[starts + sizes // 2]
        headline = np.where(twice >= 0, (twice + 1) // 2, -((1 - twice) // 2))
        low, high = np.minimum.reduceat(total, starts), np.maximum.reduceat(total, starts)
        group_sid = sid[starts]
        for s in loaded:
            a, b = np.searchsorted(group_sid, s.id), np.searchsorted(group_sid, s.id, side="right")
            r0, r1 = np.searchsorted(sid, s.id), np.searchsorted(sid, s.id, side="right")
            s.count_days, s.count_values = days[starts[a:b]], headline[a:b]
            s.count_low, s.count_high, s.count_n = low[a:b], high[a:b], sizes[a:b]
            s.rows_day, s.rows_source, s.rows_total = days[r0:r1], list(sources[r0:r1]), total[r0:r1]
    departures = _series(conn, (
        f"SELECT site_id, date, sum(people) FROM transfers WHERE stage = 'departed' AND {where} "
        "GROUP BY site_id, date ORDER BY site_id, date"))
    deaths = _series(conn, (
        f"SELECT site_id, day, sum(n) FROM ("
        f"SELECT site_id, date AS day, killed AS n FROM incidents WHERE killed > 0 AND {where} "
        "UNION ALL "
        f"SELECT site_id, coalesce(date, request_date), patients FROM medical_evacuations "
        f"WHERE outcome = 'died' AND patients > 0 AND {where}"
        ") GROUP BY site_id, day ORDER BY site_id, day"))
    for site_id, (days, cum) in departures.items():
        if site_id in by_id:
            by_id[site_id].dep_days, by_id[site_id].dep_cum = days, cum
    for site_id, (days, cum) in deaths.items():
        if site_id in by_id:
            by_id[site_id].death_days, by_id[site_id].death_cum = days, cum
    return loaded


def default_as_of(conn: sqlite3.Connection, ids: list[int]) -> dt.date | None:
    """The latest date among counts, departed transfers, medical evacuations and incidents of the sites."""
    i = _in(ids)
    row = conn.execute(
        f"""SELECT max(d) FROM (
            SELECT max(date) AS d FROM population_counts WHERE site_id IN ({i})
            UNION ALL SELECT max(date) FROM transfers WHERE stage = 'departed' AND site_id IN ({i})
            UNION ALL SELECT max(coalesce(date, request_date)) FROM medical_evacuations WHERE site_id IN ({i})
            UNION ALL SELECT max(date) FROM incidents WHERE site_id IN ({i}))"""
    ).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def _country_flows(conn: sqlite3.Connection, ids: list[int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """host_country -> (day numbers, cumulative departed people) of the sites together."""
    with _snapshot(conn):
        return _series(conn, (
            f"SELECT host_country, date, sum(people) FROM transfers WHERE stage = 'departed' "
            f"AND {_sites_condition(conn, ids)} GROUP BY host_country, date ORDER BY host_country, date"))


def _by_country(conn: sqlite3.Connection, loaded: list[Site], ids: list[int], day: str) -> dict[str, int]:
    """Departed people per host country up to `day`, largest first (a country with departures on or before
    the day is listed even when they add up to 0)."""
    if isinstance(loaded, Loaded) and loaded.ids == list(ids):
        if loaded.country_flows is None:
            loaded.country_flows = _country_flows(conn, ids)
        flows = loaded.country_flows
    else:
        flows = _country_flows(conn, ids)
    n = _day(day)
    totals = [(country, int(_cum_at(days, cum, n))) for country, (days, cum) in flows.items() if days[0] <= n]
    return dict(sorted(totals, key=lambda item: (-item[1], item[0])))


def summary(conn: sqlite3.Connection, site: str | list[str] | None = None, as_of: dt.date | str | None = None) -> dict:
    """The headline figures of DOMAIN.md: exactly the keys of `resettle summary --json`."""
    sites = resolve_sites(conn, site)
    ids = [i for i, _ in sites]
    if isinstance(as_of, str):
        as_of = parse_as_of(as_of)
    day_date = as_of or default_as_of(conn, ids)
    label = sites[0][1] if isinstance(site, str) and site else (
        ", ".join(n for _, n in sites) if site and not isinstance(site, str) else None
    )
    if day_date is None:
        return {
            "as_of": None, "site": label, "baseline_population": None, "residents": None, "relocated_total": 0,
            "relocated_by_country": {}, "percent_relocated": None, "departures_last_90_days": 0,
            "projected_completion": None, "deaths_recorded": 0, "unexplained_change": 0,
        }
    return figures_at(conn, load_sites(conn, sites), day_date, label, ids)


def figures_at(conn: sqlite3.Connection, loaded: list[Site], day_date: dt.date, label: str | None,
               ids: list[int]) -> dict:
    """The headline figures at `day_date` from already loaded site aggregates."""
    day = day_date.isoformat()
    n, window_start = _day(day), _day(day) - WINDOW_DAYS
    baselines = [s.baseline for s in loaded if s.baseline is not None]
    residents_each = [r for s in loaded if (r := s.residents(day)) is not None]
    relocated = sum(int(_cum_at(s.dep_days, s.dep_cum, n)) for s in loaded)
    recent = relocated - sum(int(_cum_at(s.dep_days, s.dep_cum, window_start)) for s in loaded)
    deaths = sum(int(_cum_at(s.death_days, s.death_cum, n)) for s in loaded)
    unexplained = sum(s.unexplained_upto(n) for s in loaded)
    baseline = sum(baselines) if baselines else None
    residents = sum(residents_each) if residents_each else None
    percent = float(round_half_up(Decimal(100 * relocated) / baseline, 1)) if baseline else None
    projected = None
    if recent > 0 and residents is not None and residents > 0:
        days = math.ceil(Decimal(residents) * WINDOW_DAYS / recent)
        projected = (day_date + dt.timedelta(days=days)).isoformat()
    return {
        "as_of": day,
        "site": label,
        "baseline_population": baseline,
        "residents": residents,
        "relocated_total": int(relocated),
        "relocated_by_country": _by_country(conn, loaded, ids, day),
        "percent_relocated": percent,
        "departures_last_90_days": int(recent),
        "projected_completion": projected,
        "deaths_recorded": int(deaths),
        "unexplained_change": int(unexplained),
    }


def reconciliation(conn: sqlite3.Connection, site: str | list[str] | None = None,
                   as_of: dt.date | None = None) -> list[dict]:
    """Every interval between consecutive population counts up to D, per site, with its unexplained change."""
    sites = resolve_sites(conn, site)
    day_date = as_of or default_as_of(conn, [i for i, _ in sites])
    if day_date is None:
        return []
    return [i for s in load_sites(conn, sites) for i in s.intervals(day_date.isoformat())]


def residents_series(loaded: list[Site], as_of: dt.date) -> list[tuple[str, int]]:
    """The residents estimate of the sites together on every date something changed, up to `as_of`
    (a step line: each count, then minus departures and deaths until the next count)."""
    day = _day(as_of)
    days = np.concatenate([np.array([day], dtype=np.int64)]
                          + [d for s in loaded for d in (s.count_days, s.dep_days, s.death_days)])
    days = np.unique(days[days <= day])
    total = np.zeros(len(days), dtype=np.int64)
    counted = np.zeros(len(days), dtype=bool)  # some site has a count on or before the day
    for s in loaded:
        known, residents = s.residents_at(days)
        total += np.where(known, residents, 0)
        counted |= known
    return list(zip(_iso(days[counted]).tolist(), total[counted].tolist(), strict=True))


COUNT_POINTS = ["site", "date", "source", "residents", "headline", "low", "high", "sources"]


def count_points(loaded: list[Site]):
    """Every population count as reported, as a pandas DataFrame with the columns COUNT_POINTS: site,
    date, source, its total (residents); and the date's headline (median), range and number of sources."""
    import pandas as pd

    parts = [s for s in loaded if len(s.rows_day)]
    if not parts:
        return pd.DataFrame(columns=COUNT_POINTS)
    at = [np.searchsorted(s.count_days, s.rows_day) for s in parts]  # each row's count day
    return pd.DataFrame({
        "site": np.repeat(np.array([s.name for s in parts], dtype=object), [len(s.rows_day) for s in parts]),
        "date": _iso(np.concatenate([s.rows_day for s in parts])).astype(object),
        "source": np.array([src for s in parts for src in s.rows_source], dtype=object),
        "residents": np.concatenate([s.rows_total for s in parts]),
        "headline": np.concatenate([s.count_values[i] for s, i in zip(parts, at, strict=True)]),
        "low": np.concatenate([s.count_low[i] for s, i in zip(parts, at, strict=True)]),
        "high": np.concatenate([s.count_high[i] for s, i in zip(parts, at, strict=True)]),
        "sources": np.concatenate([s.count_n[i] for s, i in zip(parts, at, strict=True)]),
    }, columns=COUNT_POINTS)


# ---------------------------------------------------------------- the dashboard's figures
# Changes over the previous 30 days (the metric deltas) and the medical-access median.

CHANGE_DAYS = 30
_CHANGED = ("residents", "relocated_total", "departures_last_90_days", "deaths_recorded")


def changes(now: dict, before: dict) -> dict:
    """Each headline figure at D minus the same figure at D - 30 days; None where either is unknown.
    percent_relocated in points (one decimal); projected_completion as its shift in days (+ is later)."""
    out: dict = {k: (now[k] - before[k] if now[k] is not None and before[k] is not None else None) for k in _CHANGED}
    p1, p0 = now["percent_relocated"], before["percent_relocated"]
    out["percent_relocated"] = (
        float(round_half_up(Decimal(str(p1)) - Decimal(str(p0)), 1)) if p1 is not None and p0 is not None else None
    )
    c1, c0 = now["projected_completion"], before["projected_completion"]
    out["projected_completion"] = (
        (dt.date.fromisoformat(c1) - dt.date.fromisoformat(c0)).days if c1 and c0 else None
    )
    return out


def relocated_to(summary: dict, host_countries: list[str] | tuple[str, ...]) -> int:
    """People relocated to the given host countries (from a summary's relocated_by_country)."""
    return int(sum(summary["relocated_by_country"].get(c, 0) for c in host_countries))


def median_wait_days(waits) -> float | None:
    """The median wait of patients from request to evacuation, from (waiting days, patients) pairs: each
    patient counts once; the middle of an even number is the mean of the two middle waits."""
    pairs = sorted((int(d), int(n)) for d, n in waits if n)
    total = sum(n for _, n in pairs)
    if not total:
        return None

    def nth(k: int) -> int:  # the k-th patient's wait, 0-based
        seen = 0
        for days, n in pairs:
            seen += n
            if k < seen:
                return days
        raise IndexError(k)

    if total % 2:
        return float(nth(total // 2))
    return float(round_half_up(Decimal(nth(total // 2 - 1) + nth(total // 2)) / 2, 1))
