"""The headline figures of DOMAIN.md, computed per site at one as-of date D and summed over sites.

Each table is read once into numpy arrays (Aggregates: every transfer row, each source's total per site
and date, deaths per site and date), kept in this process until the data changes; the arithmetic of the
definitions happens here on those arrays. Every people count returned is an int.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from resettle.domain.errors import UsageError

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


def day_number(day: str | dt.date) -> int:
    return int(np.datetime64(day if isinstance(day, str) else day.isoformat(), "D").astype(np.int64))


def iso_dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), unit="D")


_NONE = np.zeros(0, dtype=np.int64)


def cumulative_at(days: np.ndarray, cum: np.ndarray, at: np.ndarray | int) -> np.ndarray | int:
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
        return list(iso_dates(self.count_days))

    def departed_upto(self, day: str) -> int:
        return int(cumulative_at(self.dep_days, self.dep_cum, day_number(day)))

    def deaths_upto(self, day: str) -> int:
        return int(cumulative_at(self.death_days, self.death_cum, day_number(day)))

    def departed_between(self, after: str, upto: str) -> int:
        """Departed people with date in (after, upto]."""
        return self.departed_upto(upto) - self.departed_upto(after)

    def deaths_between(self, after: str, upto: str) -> int:
        return self.deaths_upto(upto) - self.deaths_upto(after)

    @property
    def baseline(self) -> int | None:
        return int(self.count_values[0]) if len(self.count_days) else None

    def latest_count(self, day: str) -> tuple[str, int] | None:
        i = int(np.searchsorted(self.count_days, day_number(day), side="right"))
        if not i:
            return None
        return str(iso_dates(self.count_days[i - 1:i])[0]), int(self.count_values[i - 1])

    def residents_at(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(has a count on or before the day, residents estimate) for each of `days`: the latest count C
        at t <= day, minus departures and deaths in (t, day]."""
        i = np.searchsorted(self.count_days, days, side="right") - 1
        known = i >= 0
        if not len(self.count_days):
            return known, np.zeros(len(days), dtype=np.int64)
        j = np.maximum(i, 0)
        t = self.count_days[j]
        flows = (cumulative_at(self.dep_days, self.dep_cum, days) - cumulative_at(self.dep_days, self.dep_cum, t)
                 + cumulative_at(self.death_days, self.death_cum, days) - cumulative_at(self.death_days, self.death_cum, t))
        return known, self.count_values[j] - flows

    def residents(self, day: str) -> int | None:
        known, value = self.residents_at(np.array([day_number(day)]))
        return int(value[0]) if known[0] else None

    def unexplained_upto(self, day: int) -> int:
        """The sum of unexplained_change over the intervals up to `day` (a day number). The intervals
        partition (t_first, t_last], so the sum is (c_last - c_first) + the flows in that span."""
        k = int(np.searchsorted(self.count_days, day, side="right"))
        if k < 2:
            return 0
        first, last = self.count_days[0], self.count_days[k - 1]
        flows = (cumulative_at(self.dep_days, self.dep_cum, last) - cumulative_at(self.dep_days, self.dep_cum, first)
                 + cumulative_at(self.death_days, self.death_cum, last) - cumulative_at(self.death_days, self.death_cum, first))
        return int(self.count_values[k - 1] - self.count_values[0] + flows)

    def intervals(self, day: str) -> list[dict]:
        """Consecutive population counts up to `day`, each with the flows between them."""
        k = int(np.searchsorted(self.count_days, day_number(day), side="right"))
        if k < 2:
            return []
        t = self.count_days[:k]
        c = self.count_values[:k]
        dep = np.diff(cumulative_at(self.dep_days, self.dep_cum, t))
        deaths = np.diff(cumulative_at(self.death_days, self.death_cum, t))
        change = np.diff(c) + dep + deaths
        dates = iso_dates(t)
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


class Loaded(list):
    """What load_sites returns: each site's Site, in the order asked (a plain list to its callers), and
    the database's Aggregates they come from (the departures per host country of any set of sites)."""

    def __init__(self, sites: list[Site], aggregates: Aggregates) -> None:
        super().__init__(sites)
        self.aggregates = aggregates


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
    ours = _reading.__dict__.setdefault("ids", set())
    ours.add(id(conn))
    try:
        yield
    finally:
        ours.discard(id(conn))
        if conn.in_transaction:
            conn.execute("COMMIT")


_reading = threading.local()  # the connections in a _snapshot of this thread (not a caller's transaction)


# ---------------------------------------------------------------- the database's aggregates
# Every headline figure and overview chart comes from a few arrays read in one pass over each table:
# the transfers row by row as numpy arrays (a million in about half a second), the counts per site, date
# and source, the deaths per site and date. They are kept in this process per database file and change
# counter (_cache_key), so another view of the same data (another as-of date, other sites or host
# countries, a second page) is arithmetic on arrays, not SQL.

STAGES = ("submitted", "accepted", "departed")  # Transfers.stage codes
DEPARTED = STAGES.index("departed")
_SEP = "\x1f"  # joins the sources (free text) in one string; a source holding it is read row by row
CACHE_ENTRIES = 4  # databases; of each, only its latest data is kept
_cache: OrderedDict[tuple, Aggregates] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass
class Transfers:
    """Every transfer row as parallel arrays: site id, day number, people, and host country, stage and
    source as codes (into `countries`, STAGES and `sources`, both sorted)."""

    site: np.ndarray
    day: np.ndarray
    country: np.ndarray
    stage: np.ndarray
    people: np.ndarray
    source: np.ndarray
    countries: list[str]
    sources: list[str]


def group_sums(keys: np.ndarray, size: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (ints in [0, size)), sorted, and the sum of `values` of each. bincount sums in
    float64, exact for integers below 2**53."""
    if size <= 20_000_000:
        counts = np.bincount(keys, minlength=size)
        present = np.flatnonzero(counts)
        return present, np.rint(np.bincount(keys, weights=values, minlength=size)[present]).astype(np.int64)
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, np.rint(np.bincount(inverse, weights=values)).astype(np.int64)


def _factorize(values) -> tuple[np.ndarray, list[str]]:
    """Codes into the sorted distinct values (Python's str order: SQLite's BINARY order of UTF-8)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _columns(conn: sqlite3.Connection, table: str, spec: dict[str, tuple[str, str]]) -> dict:
    """Every row of `table` as numpy arrays: name -> (SQL expression, kind), kind "int" (an int64 array),
    "day" (an ISO date, never NULL: day numbers), "text" or "iso3" (never NULL: codes, and name + "_names"
    the sorted distinct values). Each column is read joined into one string (fixed-width dates back to back,
    free text joined by the unit separator) and parsed by numpy: a million rows in a few tenths of a
    second, four times faster than as tuples. Anything the joined strings cannot vouch for (a separator
    inside a text, a NULL) is read again row by row."""
    joins = {"int": "group_concat({})", "day": "group_concat({}, '')", "iso3": "group_concat({}, '')",
             "text": f"group_concat({{}}, '{_SEP}')"}
    names = list(spec)
    row = conn.execute(f"SELECT count(*), {', '.join(joins[k].format(e) for e, k in spec.values())} FROM {table}"
                       ).fetchone()
    n, joined = row[0], dict(zip(names, row[1:], strict=True))
    out: dict = {}
    if not n:
        return _no_columns(spec)
    for name, (_, kind) in spec.items():
        text = joined[name]
        if text is None:
            return _column_rows(conn, table, spec)
        if kind == "int":
            values = np.fromstring(text, dtype=np.int64, sep=",")
        elif kind == "day":
            raw = text.encode("utf-8")
            if len(raw) != 10 * n:
                return _column_rows(conn, table, spec)
            values = np.frombuffer(raw, dtype="S10").astype("datetime64[D]").astype(np.int64)
        elif kind == "iso3":  # three ASCII letters (the CHECK: upper case, length 3) packed in an int
            raw = text.encode("utf-8")
            if len(raw) != 3 * n:
                return _column_rows(conn, table, spec)
            letters = np.frombuffer(raw, dtype=np.uint8).reshape(n, 3).astype(np.int64)
            packed, values = np.unique(letters[:, 0] << 16 | letters[:, 1] << 8 | letters[:, 2], return_inverse=True)
            out[name + "_names"] = [bytes([c >> 16, c >> 8 & 255, c & 255]).decode() for c in packed.tolist()]
        else:
            parts = text.split(_SEP)
            if len(parts) != n:
                return _column_rows(conn, table, spec)
            values, out[name + "_names"] = _factorize(parts)
        if len(values) != n:
            return _column_rows(conn, table, spec)
        out[name] = values
    return out


def _no_columns(spec: dict[str, tuple[str, str]]) -> dict:
    out: dict = {}
    for name, (_, kind) in spec.items():
        out[name] = np.zeros(0, dtype=np.int64)
        if kind in ("text", "iso3"):
            out[name + "_names"] = []
    return out


def _column_rows(conn: sqlite3.Connection, table: str, spec: dict[str, tuple[str, str]]) -> dict:
    rows = conn.execute(f"SELECT {', '.join(e for e, _ in spec.values())} FROM {table}").fetchall()
    if not rows:
        return _no_columns(spec)
    out: dict = {}
    for name, values in zip(spec, zip(*rows, strict=True), strict=True):
        kind = spec[name][1]
        if kind == "int":
            out[name] = np.array(values, dtype=np.int64)
        elif kind == "day":
            out[name] = _days(values)
        else:  # text and iso3
            out[name], out[name + "_names"] = _factorize(values)
    return out


def _read_transfers(conn: sqlite3.Connection) -> Transfers:
    """Every transfer row (its stage read as the code point of its first letter: s, a or d)."""
    c = _columns(conn, "transfers", {
        "site": ("site_id", "int"), "day": ("date", "day"), "country": ("host_country", "iso3"),
        "letter": ("unicode(stage)", "int"), "people": ("people", "int"), "source": ("source", "text")})
    stage = np.full(len(c["letter"]), -1, dtype=np.int64)
    for code, name in enumerate(STAGES):
        stage[c["letter"] == ord(name[0])] = code
    return Transfers(c["site"], c["day"], c["country"], stage, c["people"], c["source"],
                     c["country_names"], c["source_names"])


def _first_seen(site: np.ndarray, source: np.ndarray, day: np.ndarray, extra: tuple[np.ndarray, ...] = ()) -> dict:
    """The first day of each distinct (site, *extra, source): {"keys": [site, *extra, source] arrays, one
    element per distinct combination, "first_day": its earliest day}."""
    keys = [site, *extra, source]
    if not len(site):
        return {"keys": [k[:0] for k in keys], "first_day": day[:0]}
    lows = [int(k.min()) for k in keys]
    sizes = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    if math.prod(sizes) <= 20_000_000:  # one number per combination, and the earliest day of each
        combo = np.zeros(len(site), dtype=np.int64)
        for k, low, size in zip(keys, lows, sizes, strict=True):
            combo = combo * size + (k - low)
        never = np.iinfo(np.int64).max
        earliest = np.full(math.prod(sizes), never, dtype=np.int64)
        np.minimum.at(earliest, combo, day)
        present = np.flatnonzero(earliest != never)
        out, rest = [], present
        for low, size in reversed(list(zip(lows, sizes, strict=True))):
            out.append(rest % size + low)
            rest = rest // size
        return {"keys": out[::-1], "first_day": earliest[present]}
    order = np.lexsort((day, *reversed(keys)))  # by site, extras, source, then day: each group's first is earliest
    ordered = [k[order] for k in keys]
    change = np.zeros(len(site), dtype=bool)
    change[0] = True
    for k in ordered:
        change[1:] |= k[1:] != k[:-1]
    at = np.flatnonzero(change)
    return {"keys": [k[at] for k in ordered], "first_day": day[order][at]}


class Aggregates:
    """The database at one change counter: every site's Site, every transfer (Transfers), and the first
    day of each source per site and table; what the views derive from them: departures per host country
    of a set of sites, the sources and host countries behind a view, the sites' date bounds. Read-only
    once built; shared by the threads of a dashboard."""

    def __init__(self, sites: dict[int, Site], transfers: Transfers, seen: dict[str, tuple[dict, list[str]]],
                 first_day: dict[int, int], last_day: dict[int, int]) -> None:
        self.sites = sites
        self.transfers = transfers
        self.seen = seen  # table -> (_first_seen of its rows, the source names its codes index)
        self.first_day, self.last_day = first_day, last_day  # site id -> the bounds of date_bounds
        self._departed = np.flatnonzero(transfers.stage == DEPARTED)
        self._flows: dict[tuple[int, ...] | None, dict] = {}
        self._lock = threading.Lock()

    def loaded(self, sites: list[tuple[int, str]]) -> Loaded:
        """The Site of each (id, name) asked, in that order (a site unknown to this snapshot is empty)."""
        out = []
        for i, name in sites:
            s = self.sites.get(i)
            out.append(Site(i, name) if s is None else dataclasses.replace(s, name=name))
        return Loaded(out, self)

    def _every_site(self, ids: list[int] | None) -> bool:
        return ids is None or set(ids) >= set(self.sites)

    def country_flows(self, ids: list[int] | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """host_country -> (day numbers, cumulative departed people) of the sites together (None: all)."""
        key = None if self._every_site(ids) else tuple(sorted(set(ids)))
        with self._lock:
            hit = self._flows.get(key)
        if hit is not None:
            return hit
        t, rows = self.transfers, self._departed
        if key is not None:
            rows = rows[np.isin(t.site[rows], np.array(key, dtype=np.int64))]
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if len(rows):
            first, span = int(t.day[rows].min()), int(t.day[rows].max() - t.day[rows].min()) + 1
            keys, sums = group_sums(t.country[rows] * span + (t.day[rows] - first), len(t.countries) * span,
                                t.people[rows])
            country = keys // span
            bounds = np.searchsorted(country, np.arange(len(t.countries) + 1))
            for c, name in enumerate(t.countries):
                a, b = bounds[c], bounds[c + 1]
                if b > a:
                    out[name] = (keys[a:b] % span + first, np.cumsum(sums[a:b]))
        with self._lock:
            if len(self._flows) > 32:
                self._flows.clear()
            self._flows[key] = out
        return out

    def sources(self, table: str, ids: list[int] | None, end: str | None, *, departed_only: bool = False,
                host_countries: tuple[str, ...] | list[str] = ()) -> set[str]:
        """The sources of `table`'s rows ("population", "transfers", "medevacs", "incidents") of the sites
        (None: all) dated up to `end` (None: any date); of transfers, departed ones only or every stage,
        to the host countries given (none: any). A medical evacuation's date is its evacuation's, else
        its request's."""
        seen, names = self.seen[table]
        keys, first_day = seen["keys"], seen["first_day"]
        keep = np.ones(len(first_day), dtype=bool)
        if not self._every_site(ids):
            keep &= np.isin(keys[0], np.array(list(ids), dtype=np.int64))
        if end is not None:
            keep &= first_day <= day_number(end)
        if table == "transfers":
            if departed_only:
                keep &= keys[1] == DEPARTED
            if host_countries:
                wanted = [i for i, name in enumerate(self.transfers.countries) if name in set(host_countries)]
                keep &= np.isin(keys[2], np.array(wanted, dtype=np.int64))
        return {names[i] for i in np.unique(keys[-1][keep]).tolist()}

    def transfer_rows(self, ids: list[int] | None, start: str | None, end: str | None,
                      host_countries: tuple[str, ...] | list[str] = (), *, departed_only: bool = False) -> np.ndarray:
        """The indexes (into Transfers' arrays) of the transfers of the sites (None: all) dated in
        [start, end] (either None: open), to the host countries given (none: any), of every stage or
        departed ones only."""
        t = self.transfers
        keep = t.stage == DEPARTED if departed_only else np.ones(len(t.site), dtype=bool)
        if not self._every_site(ids):
            keep &= np.isin(t.site, np.array(list(ids), dtype=np.int64))
        if start is not None:
            keep &= t.day >= day_number(start)
        if end is not None:
            keep &= t.day <= day_number(end)
        if host_countries:
            wanted = [i for i, name in enumerate(t.countries) if name in set(host_countries)]
            keep &= np.isin(t.country, np.array(wanted, dtype=np.int64))
        return np.flatnonzero(keep)

    def host_countries(self) -> list[str]:
        """Every host country named by a transfer."""
        return list(self.transfers.countries)

    def bounds(self, ids: list[int]) -> tuple[int | None, int | None]:
        """The sites' earliest dated record and their latest count, departure, medical evacuation or
        incident, as day numbers (DOMAIN.md's default as-of date)."""
        first = [self.first_day[i] for i in ids if i in self.first_day]
        last = [self.last_day[i] for i in ids if i in self.last_day]
        return (min(first) if first else None, max(last) if last else None)


def _bounds(into: dict[int, int], site: np.ndarray, day: np.ndarray, pick) -> None:
    """into[site] = pick(into[site], the earliest or latest day of the site's rows); pick is min or max."""
    if not len(site):
        return
    low = int(site.min())
    size = int(site.max()) - low + 1
    if size > 20_000_000:
        for i in np.unique(site).tolist():
            value = int(pick(day[site == i]))
            into[i] = pick(into[i], value) if i in into else value
        return
    start = np.iinfo(np.int64).max if pick is min else np.iinfo(np.int64).min
    best = np.full(size, start, dtype=np.int64)
    (np.minimum if pick is min else np.maximum).at(best, site - low, day)
    for k in np.flatnonzero(best != start).tolist():
        i, value = k + low, int(best[k])
        into[i] = pick(into[i], value) if i in into else value


def _build(conn: sqlite3.Connection) -> Aggregates:
    by_id = {i: Site(i, n) for i, n in conn.execute("SELECT id, name FROM sites")}
    seen: dict[str, tuple[dict, list[str]]] = {}
    first_day: dict[int, int] = {}
    last_day: dict[int, int] = {}
    c = _columns(conn, "population_counts", {"site": ("site_id", "int"), "day": ("date", "day"),
                                            "source": ("source", "text"), "residents": ("residents", "int")})
    seen["population"] = (_first_seen(c["site"], c["source"], c["day"]), c["source_names"])
    _bounds(first_day, c["site"], c["day"], min)
    _bounds(last_day, c["site"], c["day"], max)
    if len(c["site"]):
        # Each source's total per site and date (its rows add up), ordered by site, date and source.
        order = np.lexsort((c["source"], c["day"], c["site"]))
        sid_r, day_r, src_r, res_r = (c[k][order] for k in ("site", "day", "source", "residents"))
        new = np.r_[True, (sid_r[1:] != sid_r[:-1]) | (day_r[1:] != day_r[:-1]) | (src_r[1:] != src_r[:-1])]
        at = np.flatnonzero(new)
        sid, days, total = sid_r[at], day_r[at], np.add.reduceat(res_r, at)
        sources = np.array(c["source_names"], dtype=object)[src_r[at]].tolist()
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
        for s in by_id.values():
            a, b = np.searchsorted(group_sid, s.id), np.searchsorted(group_sid, s.id, side="right")
            if a == b:
                continue
            r0, r1 = np.searchsorted(sid, s.id), np.searchsorted(sid, s.id, side="right")
            s.count_days, s.count_values = days[starts[a:b]], headline[a:b]
            s.count_low, s.count_high, s.count_n = low[a:b], high[a:b], sizes[a:b]
            s.rows_day, s.rows_source, s.rows_total = days[r0:r1], sources[r0:r1], total[r0:r1]
    t = _read_transfers(conn)
    seen["transfers"] = (_first_seen(t.site, t.source, t.day, (t.stage, t.country)), t.sources)
    departed = t.stage == DEPARTED
    _bounds(first_day, t.site, t.day, min)
    _bounds(last_day, t.site[departed], t.day[departed], max)
    m = _columns(conn, "medical_evacuations", {
        "site": ("site_id", "int"), "event": ("coalesce(date, request_date)", "day"),
        "asked": ("coalesce(request_date, date)", "day"), "source": ("source", "text")})
    seen["medevacs"] = (_first_seen(m["site"], m["source"], m["event"]), m["source_names"])
    _bounds(first_day, m["site"], m["asked"], min)
    _bounds(last_day, m["site"], m["event"], max)
    i = _columns(conn, "incidents", {"site": ("site_id", "int"), "day": ("date", "day"), "source": ("source", "text")})
    seen["incidents"] = (_first_seen(i["site"], i["source"], i["day"]), i["source_names"])
    _bounds(first_day, i["site"], i["day"], min)
    _bounds(last_day, i["site"], i["day"], max)
    aggregates = Aggregates(by_id, t, seen, first_day, last_day)
    rows = aggregates._departed
    if len(rows):  # departed people per site and day, then cumulative within each site
        first_site, first = int(t.site[rows].min()), int(t.day[rows].min())
        span = int(t.day[rows].max()) - first + 1
        sites_span = int(t.site[rows].max()) - first_site + 1
        keys, sums = group_sums((t.site[rows] - first_site) * span + (t.day[rows] - first), sites_span * span,
                            t.people[rows])
        key_site = keys // span + first_site
        cum = np.cumsum(sums)
        for site_id in np.unique(key_site).tolist():
            s = by_id.get(site_id)
            if s is None:  # not in the sites table (the foreign key says it cannot be)
                continue
            a, b = np.searchsorted(key_site, site_id), np.searchsorted(key_site, site_id, side="right")
            s.dep_days = keys[a:b] % span + first
            s.dep_cum = cum[a:b] - (cum[a - 1] if a else 0)
    deaths = _series(conn, (
        "SELECT site_id, day, sum(n) FROM ("
        "SELECT site_id, date AS day, killed AS n FROM incidents WHERE killed > 0 "
        "UNION ALL "
        "SELECT site_id, coalesce(date, request_date), patients FROM medical_evacuations "
        "WHERE outcome = 'died' AND patients > 0"
        ") GROUP BY site_id, day ORDER BY site_id, day"))
    for site_id, (days, cum) in deaths.items():
        if site_id in by_id:
            by_id[site_id].death_days, by_id[site_id].death_cum = days, cum
    return aggregates


def _cache_key(conn: sqlite3.Connection) -> tuple | None:
    """What says the data changed: the database file (and its last write: a file made anew at the same
    path differs), db.data_version's counters and the last audit entry's time (every import and undo),
    each table's last id (rows added by other means). None for a database with no file. A row changed
    or deleted by hand, outside resettle, is seen at the next import or undo (or a restart)."""
    path = next((f for _, name, f in conn.execute("PRAGMA database_list") if name == "main"), "")
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    counters = conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM audit_log), (SELECT at FROM audit_log ORDER BY id DESC LIMIT 1), "
        "(SELECT count(*) FROM import_batches), "
        + ", ".join(f"(SELECT max(id) FROM {t})"
                    for t in ("sites", "population_counts", "transfers", "medical_evacuations", "incidents"))
    ).fetchone()
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_mtime_ns, *counters)


def aggregates(conn: sqlite3.Connection) -> Aggregates:
    """The database's Aggregates, from this process's cache when the data has not changed since."""
    # In a caller's own transaction (it may have written), read the data but keep nothing.
    outer = conn.in_transaction and id(conn) not in getattr(_reading, "ids", ())
    with _snapshot(conn):
        key = None if outer else _cache_key(conn)
        if key is None:
            return _build(conn)
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return hit
            built = _build(conn)
            for older in [k for k in _cache if k[:3] == key[:3]]:  # the same file's older data: not asked again
                del _cache[older]
            _cache[key] = built
            while len(_cache) > CACHE_ENTRIES:
                _cache.popitem(last=False)
            return built


def load_sites(conn: sqlite3.Connection, sites: list[tuple[int, str]]) -> Loaded:
    """The aggregates of each site asked (counts per source and date, cumulative departures and deaths
    by date), all from one snapshot of the database."""
    return aggregates(conn).loaded(sites)


def default_as_of(conn: sqlite3.Connection, ids: list[int]) -> dt.date | None:
    """The latest date among counts, departed transfers, medical evacuations and incidents of the sites."""
    last = aggregates(conn).bounds(ids)[1]
    return None if last is None else _date(last)


def date_bounds(conn: sqlite3.Connection, ids: list[int]) -> tuple[dt.date | None, dt.date | None]:
    """The sites' earliest dated record (a medical evacuation's request date first) and their default
    as-of date (DOMAIN.md)."""
    first, last = aggregates(conn).bounds(ids)
    return (None if first is None else _date(first)), (None if last is None else _date(last))


def _date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


def _by_country(conn: sqlite3.Connection, loaded: list[Site], ids: list[int], day: str) -> dict[str, int]:
    """Departed people per host country up to `day`, largest first (a country with departures on or before
    the day is listed even when they add up to 0)."""
    source = loaded.aggregates if isinstance(loaded, Loaded) else aggregates(conn)
    flows = source.country_flows(ids)
    n = day_number(day)
    totals = [(country, int(cumulative_at(days, cum, n))) for country, (days, cum) in flows.items() if days[0] <= n]
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
    n, window_start = day_number(day), day_number(day) - WINDOW_DAYS
    baselines = [s.baseline for s in loaded if s.baseline is not None]
    residents_each = [r for s in loaded if (r := s.residents(day)) is not None]
    relocated = sum(int(cumulative_at(s.dep_days, s.dep_cum, n)) for s in loaded)
    recent = relocated - sum(int(cumulative_at(s.dep_days, s.dep_cum, window_start)) for s in loaded)
    deaths = sum(int(cumulative_at(s.death_days, s.death_cum, n)) for s in loaded)
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
        "date": iso_dates(np.concatenate([s.rows_day for s in parts])).astype(object),
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
