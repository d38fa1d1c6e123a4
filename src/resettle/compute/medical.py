"""The Medical access page's data: evacuation requests per month and outcome, waiting days from request
to evacuation and their median per patient, denied and pending requests counted apart (DOMAIN.md).

Requests per month, waits and the figures come from the medical evacuation rows kept as arrays
(aggregates.py); the open requests, with their text (reason, destination, source, site), from SQL. A
public page suppresses the small figures afterwards (disclosure.py).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import numpy as np
import pandas as pd

from resettle.compute.aggregates import Medevacs, aggregates
from resettle.compute.arithmetic import group_sums, round_half_up
from resettle.compute.scope import Scope, query_frame, where

EVENT_DATE = "coalesce(date, request_date)"  # an evacuation's date, else its request's
PER_MONTH = ["month", "outcome", "requests", "patients"]
WAITS = ["waiting_days", "evacuations", "patients"]


def _in_scope(conn: sqlite3.Connection, scope: Scope) -> tuple[Medevacs, np.ndarray]:
    """The medical evacuation rows (aggregates.Medevacs) and the indexes of those in the scope: of its
    sites, their evacuation's date (else their request's) in [start, end]."""
    agg = aggregates(conn)
    return agg.medevacs, agg.medevac_rows(None if scope.all_sites else scope.site_ids, scope.start, scope.end)


def _counts(keys: np.ndarray, size: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct keys (ints in [0, size)), sorted, how many rows have each, and the sum of `values` of
    each."""
    distinct, sums = group_sums(keys, size, values)
    rows = group_sums(keys, size, np.ones(len(keys), dtype=np.int64))[1]
    return distinct, rows, sums


def medevacs_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Requests and patients per month (of the evacuation, else of the request) and outcome, ordered by
    month, then outcome."""
    m, rows = _in_scope(conn, scope)
    if not len(rows):
        return pd.DataFrame([], columns=PER_MONTH)
    month = m.event[rows].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first, n = int(month.min()), len(m.outcomes)
    size = (int(month.max()) - first + 1) * n
    keys, requests, patients = _counts((month - first) * n + m.outcome[rows], size, m.patients[rows])
    return pd.DataFrame({
        "month": np.datetime_as_string((keys // n + first).astype("datetime64[M]"), unit="D").astype(object),
        "outcome": np.array(m.outcomes, dtype=object)[keys % n],  # sorted: SQLite's binary order of the names
        "requests": requests,
        "patients": patients,
    })


def waiting_days(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Evacuations and patients by waiting days (date - request_date), for evacuations in the range."""
    return _waits(*_in_scope(conn, scope))


def _waits(m: Medevacs, rows: np.ndarray) -> pd.DataFrame:
    """waiting_days of `rows`: those with both dates (their event day then is the evacuation's date, so
    the scope's date range held on the evacuation's date)."""
    rows = rows[m.evacuated[rows] & m.requested[rows]]
    if not len(rows):
        return pd.DataFrame([], columns=WAITS)
    wait = m.event[rows] - m.asked[rows]
    low = int(wait.min())
    keys, evacuations, patients = _counts(wait - low, int(wait.max()) - low + 1, m.patients[rows])
    return pd.DataFrame({"waiting_days": keys + low, "evacuations": evacuations, "patients": patients})


def medical_access(conn: sqlite3.Connection, scope: Scope) -> dict:
    """The medical-access figures in the range: evacuations, the median wait, denied and pending requests
    counted apart, deaths after a request."""
    m, rows = _in_scope(conn, scope)
    evacuated = rows[m.evacuated[rows]]
    denied, pending, died = (rows[m.outcome[rows] == _code(m, name)] for name in ("denied", "pending", "died"))
    waits = _waits(m, rows)  # once: the page's chart asks waiting_days for its own

    def patients(of: np.ndarray) -> int:
        return int(m.patients[of].sum())

    return {
        "evacuations": len(evacuated), "patients_evacuated": patients(evacuated),
        "denied_requests": len(denied), "denied_patients": patients(denied),
        "pending_requests": len(pending), "pending_patients": patients(pending),
        "died_patients": patients(died),
        "median_wait_days": median_wait_days(zip(waits["waiting_days"], waits["patients"], strict=True)),
        "patients_with_wait": int(waits["patients"].sum()),
    }


def _code(m: Medevacs, outcome: str) -> int:
    """The code of an outcome in Medevacs.outcome (-1, which no row has, when no row has that outcome)."""
    return m.outcomes.index(outcome) if outcome in m.outcomes else -1


def open_requests(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Denied and pending requests, each with the days from its request to D."""
    w, p = where(scope, date="coalesce(m.date, m.request_date)", alias="m")
    return query_frame(conn, f"""SELECT s.name, m.request_date, m.outcome, m.patients, m.reason,
            CAST(julianday(?) - julianday(m.request_date) AS INTEGER), m.destination, m.source
        FROM medical_evacuations m JOIN sites s ON s.id = m.site_id
        WHERE m.outcome IN ('denied', 'pending') AND {w}
        ORDER BY m.request_date, m.id""", [scope.end] + p,
        ["site", "request_date", "outcome", "patients", "reason", "days_since_request", "destination", "source"])


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
