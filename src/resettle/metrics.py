"""The headline figures of DOMAIN.md, computed per site at one as-of date D and summed over sites.

Aggregation happens in SQL (sums per site and date); the arithmetic of the definitions happens here on
those small aggregates. Every people count returned is an int.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

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


@dataclass
class Site:
    """One site's aggregates: counts (median per date, with range and sources) and daily flows."""

    id: int
    name: str
    count_dates: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # date -> headline (median of source totals)
    count_sources: dict[str, dict[str, int]] = field(default_factory=dict)  # date -> source -> total
    dep_dates: list[str] = field(default_factory=list)
    dep_cum: list[int] = field(default_factory=list)  # cumulative departed people by dep_dates
    death_dates: list[str] = field(default_factory=list)
    death_cum: list[int] = field(default_factory=list)

    @staticmethod
    def _upto(dates: list[str], cum: list[int], day: str) -> int:
        i = bisect.bisect_right(dates, day)
        return cum[i - 1] if i else 0

    def departed_upto(self, day: str) -> int:
        return self._upto(self.dep_dates, self.dep_cum, day)

    def deaths_upto(self, day: str) -> int:
        return self._upto(self.death_dates, self.death_cum, day)

    def departed_between(self, after: str, upto: str) -> int:
        """Departed people with date in (after, upto]."""
        return self.departed_upto(upto) - self.departed_upto(after)

    def deaths_between(self, after: str, upto: str) -> int:
        return self.deaths_upto(upto) - self.deaths_upto(after)

    @property
    def baseline(self) -> int | None:
        return self.counts[self.count_dates[0]] if self.count_dates else None

    def latest_count(self, day: str) -> tuple[str, int] | None:
        i = bisect.bisect_right(self.count_dates, day)
        if not i:
            return None
        t = self.count_dates[i - 1]
        return t, self.counts[t]

    def residents(self, day: str) -> int | None:
        latest = self.latest_count(day)
        if latest is None:
            return None
        t, c = latest
        return c - self.departed_between(t, day) - self.deaths_between(t, day)

    def intervals(self, day: str) -> list[dict]:
        """Consecutive population counts up to `day`, each with the flows between them."""
        out = []
        dates = [d for d in self.count_dates if d <= day]
        for t1, t2 in zip(dates, dates[1:], strict=False):
            c1, c2 = self.counts[t1], self.counts[t2]
            dep = self.departed_between(t1, t2)
            deaths = self.deaths_between(t1, t2)
            out.append({
                "site": self.name, "start": t1, "end": t2, "count_start": c1, "count_end": c2,
                "departures": dep, "deaths": deaths, "unexplained_change": (c2 - c1) + dep + deaths,
            })
        return out


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


def load_sites(conn: sqlite3.Connection, sites: list[tuple[int, str]]) -> list[Site]:
    """Aggregates of each site, in SQL: totals per source and date, departures and deaths per date."""
    by_id = {i: Site(i, n) for i, n in sites}
    ids = _in(list(by_id))
    for site_id, date, source, total in conn.execute(
        f"SELECT site_id, date, source, sum(residents) FROM population_counts WHERE site_id IN ({ids}) "
        "GROUP BY site_id, date, source ORDER BY site_id, date"
    ):
        by_id[site_id].count_sources.setdefault(date, {})[source] = total
    for s in by_id.values():
        s.count_dates = sorted(s.count_sources)
        s.counts = {d: median_half_up(list(v.values())) for d, v in s.count_sources.items()}
    for site_id, date, people in conn.execute(
        f"SELECT site_id, date, sum(people) FROM transfers WHERE stage = 'departed' AND site_id IN ({ids}) "
        "GROUP BY site_id, date ORDER BY site_id, date"
    ):
        s = by_id[site_id]
        s.dep_dates.append(date)
        s.dep_cum.append((s.dep_cum[-1] if s.dep_cum else 0) + people)
    deaths: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, date, n in conn.execute(
        f"SELECT site_id, date, sum(killed) FROM incidents WHERE killed > 0 AND site_id IN ({ids}) GROUP BY site_id, date "
        "UNION ALL "
        f"SELECT site_id, coalesce(date, request_date), sum(patients) FROM medical_evacuations "
        f"WHERE outcome = 'died' AND patients > 0 AND site_id IN ({ids}) GROUP BY site_id, coalesce(date, request_date)"
    ):
        deaths[site_id][date] += n
    for site_id, per_day in deaths.items():
        s = by_id[site_id]
        total = 0
        for d in sorted(per_day):
            total += per_day[d]
            s.death_dates.append(d)
            s.death_cum.append(total)
    return list(by_id.values())


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


def _by_country(conn: sqlite3.Connection, ids: list[int], day: str) -> dict[str, int]:
    return {
        country: int(people)
        for country, people in conn.execute(
            f"SELECT host_country, sum(people) FROM transfers WHERE stage = 'departed' AND site_id IN ({_in(ids)}) "
            "AND date <= ? GROUP BY host_country ORDER BY sum(people) DESC, host_country",
            (day,),
        )
    }


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
    window_start = (day_date - dt.timedelta(days=WINDOW_DAYS)).isoformat()
    baselines = [s.baseline for s in loaded if s.baseline is not None]
    residents_each = [r for s in loaded if (r := s.residents(day)) is not None]
    relocated = sum(s.departed_upto(day) for s in loaded)
    recent = sum(s.departed_between(window_start, day) for s in loaded)
    deaths = sum(s.deaths_upto(day) for s in loaded)
    unexplained = sum(i["unexplained_change"] for s in loaded for i in s.intervals(day))
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
        "relocated_by_country": _by_country(conn, ids, day),
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
    day = as_of.isoformat()
    dates = sorted({d for s in loaded for d in (*s.count_dates, *s.dep_dates, *s.death_dates) if d <= day} | {day})
    out = []
    for d in dates:
        values = [r for s in loaded if (r := s.residents(d)) is not None]
        if values:
            out.append((d, int(sum(values))))
    return out


def count_points(loaded: list[Site]) -> list[dict]:
    """Every population count as reported: site, date, source, total; plus the headline (median) and range."""
    out = []
    for s in loaded:
        for d in s.count_dates:
            per_source = s.count_sources[d]
            for source, total in per_source.items():
                out.append({"site": s.name, "date": d, "source": source, "residents": int(total),
                            "headline": s.counts[d], "low": min(per_source.values()),
                            "high": max(per_source.values()), "sources": len(per_source)})
    return out


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
