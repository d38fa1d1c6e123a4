"""One site's figures as arrays: its population counts, and its departures and deaths, cumulative by date.

A Site holds what DOMAIN.md's definitions need of one site (built by aggregates.py from the whole
database); its methods are those definitions: the residents estimate, the unexplained change of each
interval between two counts, the people departed or dead up to a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from resettle.compute.arithmetic import NONE, cumulative_at, day_number, iso_dates


def _day(day: int | str) -> int:
    return day_number(day) if isinstance(day, str) else int(day)


@dataclass
class Site:
    """One site's aggregates, as day numbers and numpy arrays: its population counts (the headline of each
    date: the median of the sources' totals, with their range), and cumulative departures and deaths by
    date. A day is a day number or an ISO date."""

    id: int
    name: str
    count_days: np.ndarray = field(default_factory=lambda: NONE)  # sorted, one per date with a count
    count_values: np.ndarray = field(default_factory=lambda: NONE)  # headline per count day
    count_low: np.ndarray = field(default_factory=lambda: NONE)
    count_high: np.ndarray = field(default_factory=lambda: NONE)
    count_n: np.ndarray = field(default_factory=lambda: NONE)  # how many sources per count day
    rows_day: np.ndarray = field(default_factory=lambda: NONE)  # each source's total, as reported
    rows_source: list[str] = field(default_factory=list)
    rows_total: np.ndarray = field(default_factory=lambda: NONE)
    dep_days: np.ndarray = field(default_factory=lambda: NONE)
    dep_cum: np.ndarray = field(default_factory=lambda: NONE)  # cumulative departed people by dep_days
    death_days: np.ndarray = field(default_factory=lambda: NONE)
    death_cum: np.ndarray = field(default_factory=lambda: NONE)

    def departed_upto(self, day: int | str) -> int:
        """Departed people with date on or before the day."""
        return int(cumulative_at(self.dep_days, self.dep_cum, _day(day)))

    def deaths_upto(self, day: int | str) -> int:
        """Deaths recorded with date on or before the day."""
        return int(cumulative_at(self.death_days, self.death_cum, _day(day)))

    def _flows(self, after, upto):
        """Departures and deaths in (after, upto], for day numbers or arrays of them."""
        return (cumulative_at(self.dep_days, self.dep_cum, upto) - cumulative_at(self.dep_days, self.dep_cum, after)
                + cumulative_at(self.death_days, self.death_cum, upto)
                - cumulative_at(self.death_days, self.death_cum, after))

    @property
    def baseline(self) -> int | None:
        """The earliest population count."""
        return int(self.count_values[0]) if len(self.count_days) else None

    def residents_at(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(has a count on or before the day, residents estimate) for each of `days`: the latest count C
        at t <= day, minus departures and deaths in (t, day]."""
        i = np.searchsorted(self.count_days, days, side="right") - 1
        known = i >= 0
        if not len(self.count_days):
            return known, np.zeros(len(days), dtype=np.int64)
        j = np.maximum(i, 0)
        return known, self.count_values[j] - self._flows(self.count_days[j], days)

    def residents(self, day: int | str) -> int | None:
        """The residents estimate at the day; None before the first count."""
        known, value = self.residents_at(np.array([_day(day)]))
        return int(value[0]) if known[0] else None

    def unexplained_upto(self, day: int | str) -> int:
        """The sum of unexplained_change over the intervals up to the day. The intervals partition
        (t_first, t_last], so the sum is (c_last - c_first) + the flows in that span."""
        k = int(np.searchsorted(self.count_days, _day(day), side="right"))
        if k < 2:
            return 0
        first, last = self.count_days[0], self.count_days[k - 1]
        return int(self.count_values[k - 1] - self.count_values[0] + self._flows(first, last))

    def intervals(self, day: int | str) -> list[dict]:
        """Consecutive population counts up to the day, each with the flows between them and its
        unexplained change."""
        t, c, dep, deaths, change = self.interval_arrays(day)
        if not len(change):
            return []
        dates = iso_dates(t)
        return [
            {"site": self.name, "start": str(dates[n]), "end": str(dates[n + 1]), "count_start": int(c[n]),
             "count_end": int(c[n + 1]), "departures": int(dep[n]), "deaths": int(deaths[n]),
             "unexplained_change": int(change[n])}
            for n in range(len(change))
        ]

    def interval_arrays(self, day: int | str):
        """The count days and counts up to the day, and per interval between consecutive counts its
        departures, deaths and unexplained change (arrays one shorter than the counts)."""
        k = int(np.searchsorted(self.count_days, _day(day), side="right"))
        t = self.count_days[:k]
        c = self.count_values[:k]
        if k < 2:
            return t, c, NONE, NONE, NONE
        dep = np.diff(cumulative_at(self.dep_days, self.dep_cum, t))
        deaths = np.diff(cumulative_at(self.death_days, self.death_cum, t))
        return t, c, dep, deaths, np.diff(c) + dep + deaths

    def interval_changes(self, day: int | str) -> tuple[np.ndarray, np.ndarray]:
        """(the earlier count, the unexplained change) of each interval between consecutive counts up to
        the day, as arrays: what `intervals` lists, without building a row per interval."""
        _, c, _, _, change = self.interval_arrays(day)
        return c[: len(change)], change

    def latest_count_day(self, day: int | str) -> int | None:
        """The day number of the latest count on or before the day; None before the first."""
        k = int(np.searchsorted(self.count_days, _day(day), side="right"))
        return int(self.count_days[k - 1]) if k else None
