"""The database's aggregates: every figure and overview chart comes from a few arrays read in one pass
over each table, kept in this process per database file and change counter.

The transfers and the medical evacuations row by row as numpy arrays (a million in about half a
second), each source's total per site and date, the deaths per site and date (Site, per site). Another
view of the same data (another as-of date, other sites or host countries, a second page) is then
arithmetic on arrays, not SQL.
`aggregates(conn)` gives them, from the cache while the data has not changed.
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
from dataclasses import dataclass

import numpy as np

from resettle.compute.arithmetic import as_date, day_number, group_sums, medians_half_up
from resettle.compute.columns import read_columns, read_series
from resettle.compute.site import Site
from resettle.domain.records import MEDEVAC_NO_OUTCOME, TRANSFER_STAGES

DEPARTED = TRANSFER_STAGES.index("departed")  # Transfers.stage codes index TRANSFER_STAGES
CACHE_ENTRIES = 4  # databases; of each, only its latest data is kept
_cache: OrderedDict[tuple, Aggregates] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass
class Transfers:
    """Every transfer row as parallel arrays: site id, day number, people, and host country, stage and
    source as codes (into `countries`, TRANSFER_STAGES and `sources`, both sorted)."""

    site: np.ndarray
    day: np.ndarray
    country: np.ndarray
    stage: np.ndarray
    people: np.ndarray
    source: np.ndarray
    countries: list[str]
    sources: list[str]


def _read_transfers(conn: sqlite3.Connection) -> Transfers:
    """Every transfer row (its stage read as the code point of its first letter: s, a or d)."""
    c = read_columns(conn, "transfers", {
        "site": ("site_id", "int"), "day": ("date", "day"), "country": ("host_country", "iso3"),
        "letter": ("unicode(stage)", "int"), "people": ("people", "int"), "source": ("source", "text")})
    stage = np.full(len(c["letter"]), -1, dtype=np.int64)
    for code, name in enumerate(TRANSFER_STAGES):
        stage[c["letter"] == ord(name[0])] = code
    return Transfers(c["site"], c["day"], c["country"], stage, c["people"], c["source"],
                     c["country_names"], c["source_names"])


@dataclass
class Medevacs:
    """Every medical evacuation row as parallel arrays: site id; its event day (the evacuation's date,
    else the request's) and its asked day (the request's date, else the evacuation's) as day numbers;
    whether it has an evacuation date (`evacuated`) and a request date (`requested`), as booleans;
    patients; outcome and source as codes into `outcomes` (a missing outcome reads MEDEVAC_NO_OUTCOME)
    and `sources`, both sorted. Where both dates are set, `event` is the evacuation's date and `asked`
    the request's: the wait is `event - asked`."""

    site: np.ndarray
    event: np.ndarray
    asked: np.ndarray
    evacuated: np.ndarray
    requested: np.ndarray
    patients: np.ndarray
    outcome: np.ndarray
    source: np.ndarray
    outcomes: list[str]
    sources: list[str]


def _read_medevacs(conn: sqlite3.Connection) -> Medevacs:
    """Every medical evacuation row. Either of its dates may be missing (not both: the table's CHECK), and
    a day column is never NULL: each is read as a date that is always there (the other one when it is
    missing) and a flag saying whether it is set."""
    c = read_columns(conn, "medical_evacuations", {
        "site": ("site_id", "int"), "event": ("coalesce(date, request_date)", "day"),
        "asked": ("coalesce(request_date, date)", "day"), "evacuated": ("date IS NOT NULL", "int"),
        "requested": ("request_date IS NOT NULL", "int"), "patients": ("patients", "int"),
        "outcome": (f"coalesce(outcome, '{MEDEVAC_NO_OUTCOME}')", "text"), "source": ("source", "text")})
    return Medevacs(c["site"], c["event"], c["asked"], c["evacuated"] != 0, c["requested"] != 0, c["patients"],
                    c["outcome"], c["source"], c["outcome_names"], c["source_names"])


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
    """The database at one change counter: every site's Site, every transfer (Transfers) and medical
    evacuation (Medevacs), and the first day of each source per site and table; what the views derive
    from them: departures per host country of a set of sites, the sources and host countries behind a
    view, the sites' date bounds. Read-only once built; shared by the threads of a dashboard."""

    def __init__(self, sites: dict[int, Site], transfers: Transfers, medevacs: Medevacs,
                 seen: dict[str, tuple[dict, list[str]]], first_day: dict[int, int],
                 last_day: dict[int, int]) -> None:
        self.sites = sites
        self.transfers = transfers
        self.medevacs = medevacs
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
        keep = self._in_scope(t.site, t.day, ids, start, end)
        if departed_only:
            keep &= t.stage == DEPARTED
        if host_countries:
            wanted = [i for i, name in enumerate(t.countries) if name in set(host_countries)]
            keep &= np.isin(t.country, np.array(wanted, dtype=np.int64))
        return np.flatnonzero(keep)

    def medevac_rows(self, ids: list[int] | None, start: str | None, end: str | None) -> np.ndarray:
        """The indexes (into Medevacs' arrays) of the medical evacuations of the sites (None: all) whose
        event day (the evacuation's date, else the request's) is in [start, end] (either None: open)."""
        m = self.medevacs
        return np.flatnonzero(self._in_scope(m.site, m.event, ids, start, end))

    def _in_scope(self, site: np.ndarray, day: np.ndarray, ids: list[int] | None, start: str | None,
                  end: str | None) -> np.ndarray:
        """Which rows (a mask) are of the sites (None: all) and dated in [start, end] (either None: open)."""
        keep = np.ones(len(site), dtype=bool)
        if not self._every_site(ids):
            keep &= np.isin(site, np.array(list(ids), dtype=np.int64))
        if start is not None:
            keep &= day >= day_number(start)
        if end is not None:
            keep &= day <= day_number(end)
        return keep

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
    c = read_columns(conn, "population_counts", {"site": ("site_id", "int"), "day": ("date", "day"),
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
        headline = medians_half_up(np.cumsum(first) - 1, total)
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
    m = _read_medevacs(conn)
    seen["medevacs"] = (_first_seen(m.site, m.source, m.event), m.sources)
    _bounds(first_day, m.site, m.asked, min)
    _bounds(last_day, m.site, m.event, max)
    i = read_columns(conn, "incidents", {"site": ("site_id", "int"), "day": ("date", "day"), "source": ("source", "text")})
    seen["incidents"] = (_first_seen(i["site"], i["source"], i["day"]), i["source_names"])
    _bounds(first_day, i["site"], i["day"], min)
    _bounds(last_day, i["site"], i["day"], max)
    aggregates = Aggregates(by_id, t, m, seen, first_day, last_day)
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
    deaths = read_series(conn, (
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


class Loaded(list):
    """What load_sites returns: each site's Site, in the order asked (a plain list to its callers), and
    the database's Aggregates they come from (the departures per host country of any set of sites)."""

    def __init__(self, sites: list[Site], aggregates: Aggregates) -> None:
        super().__init__(sites)
        self.aggregates = aggregates


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
    return None if last is None else as_date(last)
