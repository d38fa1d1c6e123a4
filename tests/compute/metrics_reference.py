"""The headline figures as metrics.py computed them before it went to numpy (site by site, date by date,
with bisect): the plain reading of DOMAIN.md, kept as the oracle of tests/compute/test_metrics_fast.py."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from resettle.compute.arithmetic import round_half_up
from resettle.compute.headline import WINDOW_DAYS


def _in(ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def median_half_up(values: list[int]) -> int:
    """The median of several sources' totals, rounded to whole people with halves up."""
    ordered = sorted(values)
    n = len(ordered)
    mid = ordered[n // 2] if n % 2 else Decimal(ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return int(round_half_up(mid))


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


def _by_country(conn: sqlite3.Connection, ids: list[int], day: str) -> dict[str, int]:
    return {
        country: int(people)
        for country, people in conn.execute(
            f"SELECT host_country, sum(people) FROM transfers WHERE stage = 'departed' AND site_id IN ({_in(ids)}) "
            "AND date <= ? GROUP BY host_country ORDER BY sum(people) DESC, host_country",
            (day,),
        )
    }


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
