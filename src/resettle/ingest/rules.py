"""Rules across the fields of one row: what no single value shows (a departure in the future, an evacuation
before its request). A rule of a kind is a function in RULES.

Rules read typed columns and test each distinct value (or pair of values) once, never each row in
Python: a million rows of a few hundred dates cost a few hundred tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np

from resettle.domain.records import Kind
from resettle.store.columns import Columns

# A rule yields (row, field, message) for each row it refuses, row counted from 0 in the columns; the
# problem is reported under that field's column.
Rule = Callable[[Columns, dt.date], Iterator[tuple[int, str, str]]]


def check(kind: Kind, cols: Columns, today: dt.date) -> Iterator[tuple[int, str, str]]:
    """Every row problem the rules of `kind` find, rule by rule, each rule's in row order."""
    for rule in RULES.get(kind.name, ()):
        yield from rule(cols, today)


def _departed_not_in_future(cols: Columns, today: dt.date) -> Iterator[tuple[int, str, str]]:
    iso = today.isoformat()
    hits = _mask(cols, "date", lambda d: d is not None and d > iso) & _mask(cols, "stage", lambda s: s == "departed")
    for i in np.flatnonzero(hits):
        yield int(i), "date", f"{cols.value('date', i)} is in the future (only a transfer not yet departed may be)"


def _evacuation_or_request_date(cols: Columns, today: dt.date) -> Iterator[tuple[int, str, str]]:
    hits = _mask(cols, "date", lambda d: d is None) & _mask(cols, "request_date", lambda d: d is None)
    for i in np.flatnonzero(hits):
        yield int(i), "date", "needs an evacuation date or a request date"


def _evacuated_after_request(cols: Columns, today: dt.date) -> Iterator[tuple[int, str, str]]:
    hits = _pair_mask(cols, "date", "request_date", lambda d, r: d is not None and r is not None and d < r)
    for i in np.flatnonzero(hits):
        yield (int(i), "date",
               f"evacuated {cols.value('date', i)}, before it was requested ({cols.value('request_date', i)})")


def _closed_after_opening(cols: Columns, today: dt.date) -> Iterator[tuple[int, str, str]]:
    hits = _pair_mask(cols, "opened", "closed", lambda o, c: o is not None and c is not None and c < o)
    for i in np.flatnonzero(hits):
        yield int(i), "closed", f"closed {cols.value('closed', i)}, before it opened ({cols.value('opened', i)})"


RULES: dict[str, tuple[Rule, ...]] = {
    "transfers": (_departed_not_in_future,),
    "medevacs": (_evacuation_or_request_date, _evacuated_after_request),
    "sites": (_closed_after_opening,),
}


def _codes(cols: Columns, name: str) -> tuple[np.ndarray, list]:
    """Each row's code into the field's distinct values, and those values (a constant is one value)."""
    if name in cols.codes:
        return cols.codes[name], cols.uniques[name]
    return np.zeros(cols.rows, dtype=np.int32), [cols.constants.get(name)]


def _mask(cols: Columns, name: str, test: Callable[[object], bool]) -> np.ndarray:
    """For each row, whether its value of `name` passes `test` (asked once per distinct value)."""
    codes, values = _codes(cols, name)
    passed = np.fromiter((bool(test(v)) for v in values), dtype=bool, count=len(values))
    return passed[codes]


def _pair_mask(cols: Columns, a: str, b: str, test: Callable[[object, object], bool]) -> np.ndarray:
    """For each row, whether its values of `a` and `b` pass `test` (asked once per distinct pair)."""
    a_codes, a_values = _codes(cols, a)
    b_codes, b_values = _codes(cols, b)
    pairs, rows = np.unique(a_codes.astype(np.int64) * len(b_values) + b_codes, return_inverse=True)
    passed = np.fromiter((bool(test(a_values[p // len(b_values)], b_values[p % len(b_values)])) for p in pairs.tolist()),
                         dtype=bool, count=len(pairs))
    return passed[rows.reshape(-1)]
