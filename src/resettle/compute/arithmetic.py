"""The arithmetic every figure shares: dates as day numbers, a cumulative sum read at a day, sums per key,
the median of several sources and rounding half up (DOMAIN.md: whole people, halves up).

Dates are int64 day numbers (days since 1970-01-01) so that numpy can search and subtract them; ISO text
only at the edges.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

EPOCH = dt.date(1970, 1, 1)


def round_half_up(value: float | Decimal, places: int = 0) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero (2.5 -> 3, 1.25 -> 1.3)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def day_numbers(dates) -> np.ndarray:
    """ISO dates as int64 day numbers, for arithmetic and searchsorted."""
    return np.array(dates, dtype="datetime64[D]").astype(np.int64)


def day_number(day: str | dt.date) -> int:
    """One ISO date (or date) as its day number."""
    return int(np.datetime64(day if isinstance(day, str) else day.isoformat(), "D").astype(np.int64))


def iso_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as ISO dates (an array of str)."""
    return np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), unit="D")


def as_date(day: int) -> dt.date:
    """A day number as a date."""
    return EPOCH + dt.timedelta(days=int(day))


def iso_date(day: dt.date | str | None) -> str | None:
    """A date as ISO text (text and None as they are)."""
    return day.isoformat() if isinstance(day, dt.date) else day


NONE = np.zeros(0, dtype=np.int64)  # an empty series of day numbers or values


def cumulative_at(days: np.ndarray, cum: np.ndarray, at: np.ndarray | int) -> np.ndarray | int:
    """The cumulative value at each day of `at` (the last of `cum` on or before it; 0 before the first)."""
    i = np.searchsorted(days, at, side="right")
    if not len(cum):
        return np.zeros_like(i) if isinstance(i, np.ndarray) else 0
    return np.where(i > 0, cum[np.maximum(i - 1, 0)], 0)


def group_sums(keys: np.ndarray, size: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (ints in [0, size)), sorted, and the sum of `values` of each. bincount sums in
    float64, exact for integers below 2**53."""
    if size <= 20_000_000:
        counts = np.bincount(keys, minlength=size)
        present = np.flatnonzero(counts)
        return present, np.rint(np.bincount(keys, weights=values, minlength=size)[present]).astype(np.int64)
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, np.rint(np.bincount(inverse, weights=values)).astype(np.int64)


def medians_half_up(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The median of each group's values, rounded to whole numbers with halves up (away from zero, as
    Decimal's ROUND_HALF_UP): the headline of a date where several sources give a count. `group` numbers
    the groups 0, 1, 2, ... in order, one number per value."""
    if not len(values):
        return NONE
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.append(starts, len(group)))
    ordered = values[np.lexsort((values, group))]  # each group's values, smallest first
    # Twice the median is the sum of the two middle values (one value twice when their number is odd).
    twice = ordered[starts + (sizes - 1) // 2] + ordered[starts + sizes // 2]
    return np.where(twice >= 0, (twice + 1) // 2, -((1 - twice) // 2))
