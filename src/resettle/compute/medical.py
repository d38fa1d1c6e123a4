"""The Medical access page's data: evacuation requests per month and outcome, waiting days from request
to evacuation and their median per patient, denied and pending requests counted apart (DOMAIN.md).

Aggregated in SQL; a public page suppresses the small figures afterwards (disclosure.py).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pandas as pd

from resettle.compute.arithmetic import round_half_up
from resettle.compute.scope import Scope, query_frame, where

EVENT_DATE = "coalesce(date, request_date)"  # an evacuation's date, else its request's


def medevacs_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Requests and patients per month (of the evacuation, else of the request) and outcome."""
    w, p = where(scope, date=EVENT_DATE)
    return query_frame(conn, f"""SELECT substr({EVENT_DATE}, 1, 7) || '-01' AS month,
            coalesce(outcome, 'not recorded') AS outcome, count(*) AS requests, sum(patients) AS patients
        FROM medical_evacuations WHERE {w} GROUP BY 1, 2 ORDER BY 1, 2""",
        p, ["month", "outcome", "requests", "patients"])


def waiting_days(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Evacuations and patients by waiting days (date - request_date), for evacuations in the range."""
    w, p = where(scope)
    return query_frame(conn, f"""SELECT CAST(julianday(date) - julianday(request_date) AS INTEGER) AS waiting_days,
            count(*) AS evacuations, sum(patients) AS patients
        FROM medical_evacuations WHERE date IS NOT NULL AND request_date IS NOT NULL AND {w}
        GROUP BY 1 ORDER BY 1""", p, ["waiting_days", "evacuations", "patients"])


def medical_access(conn: sqlite3.Connection, scope: Scope) -> dict:
    """The medical-access figures in the range: evacuations, the median wait, denied and pending requests
    counted apart, deaths after a request."""
    w, p = where(scope, date=EVENT_DATE)
    row = conn.execute(f"""SELECT
            count(CASE WHEN date IS NOT NULL THEN 1 END),
            coalesce(sum(CASE WHEN date IS NOT NULL THEN patients END), 0),
            count(CASE WHEN outcome = 'denied' THEN 1 END),
            coalesce(sum(CASE WHEN outcome = 'denied' THEN patients END), 0),
            count(CASE WHEN outcome = 'pending' THEN 1 END),
            coalesce(sum(CASE WHEN outcome = 'pending' THEN patients END), 0),
            coalesce(sum(CASE WHEN outcome = 'died' THEN patients END), 0)
        FROM medical_evacuations WHERE {w}""", p).fetchone()
    waits = waiting_days(conn, scope)
    keys = ("evacuations", "patients_evacuated", "denied_requests", "denied_patients", "pending_requests",
            "pending_patients", "died_patients")
    out = {k: int(v) for k, v in zip(keys, row, strict=True)}
    out["median_wait_days"] = median_wait_days(zip(waits["waiting_days"], waits["patients"], strict=True))
    out["patients_with_wait"] = int(waits["patients"].sum())
    return out


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
