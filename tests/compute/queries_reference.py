"""The view queries as queries.py ran them in SQL before they came from aggregates.Aggregates (the arrays
kept per change counter): the oracle of tests/compute/test_metrics_fast.py's comparisons on random databases,
and of tests/compute/test_medical_arrays.py's (the Medical access page's queries, as medical.py ran them)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd

from resettle.compute.medical import median_wait_days
from resettle.compute.scope import Scope, placeholders, query_frame, where
from resettle.compute.series import DAILY_POINTS


def host_countries(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT host_country FROM transfers UNION SELECT host_country FROM pledges ORDER BY 1")]


def date_bounds(conn: sqlite3.Connection, site_ids: list[int]) -> tuple[dt.date | None, dt.date | None]:
    m = placeholders(site_ids)
    first, last = conn.execute(
        f"""SELECT
            (SELECT min(d) FROM (
                SELECT min(date) AS d FROM population_counts WHERE site_id IN ({m})
                UNION ALL SELECT min(date) FROM transfers WHERE site_id IN ({m})
                UNION ALL SELECT min(coalesce(request_date, date)) FROM medical_evacuations WHERE site_id IN ({m})
                UNION ALL SELECT min(date) FROM incidents WHERE site_id IN ({m}))),
            (SELECT max(d) FROM (
                SELECT max(date) AS d FROM population_counts WHERE site_id IN ({m})
                UNION ALL SELECT max(date) FROM transfers WHERE stage = 'departed' AND site_id IN ({m})
                UNION ALL SELECT max(coalesce(date, request_date)) FROM medical_evacuations WHERE site_id IN ({m})
                UNION ALL SELECT max(date) FROM incidents WHERE site_id IN ({m})))""",
        site_ids * 8,
    ).fetchone()
    return (dt.date.fromisoformat(first) if first else None, dt.date.fromisoformat(last) if last else None)


def sources_behind(conn: sqlite3.Connection, scope: Scope) -> list[str]:
    w, p = where(scope, from_start=False)
    wm, pm = where(scope, date="coalesce(date, request_date)", from_start=False)
    sql = (f"SELECT source FROM population_counts WHERE {w} "
           f"UNION SELECT source FROM transfers WHERE stage = 'departed' AND {w} "
           f"UNION SELECT source FROM medical_evacuations WHERE {wm} "
           f"UNION SELECT source FROM incidents WHERE {w} ORDER BY 1")
    return [r[0] for r in conn.execute(sql, p + p + pm + p)]


def sources(conn: sqlite3.Connection, table: str, scope: Scope) -> list[str]:
    """sources.sources(..., from_start=False) of the four tables with sites."""
    name = {"population": "population_counts", "transfers": "transfers", "medevacs": "medical_evacuations",
            "incidents": "incidents"}[table]
    date = "coalesce(date, request_date)" if table == "medevacs" else "date"
    w, p = where(scope, date=date, country=table == "transfers", from_start=False)
    return [r[0] for r in conn.execute(f"SELECT DISTINCT source FROM {name} WHERE {w} ORDER BY 1", p)]


def cumulative_relocations(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    w, p = where(scope, country=True, from_start=False)
    daily = query_frame(conn, f"""SELECT date, host_country, sum(people) AS people FROM transfers
        WHERE stage = 'departed' AND {w} GROUP BY date, host_country""", p, ["date", "host_country", "people"])
    if daily.empty:
        return daily
    wide = daily.pivot_table(index="date", columns="host_country", values="people", aggfunc="sum",
                             fill_value=0).sort_index().cumsum()
    if scope.end and scope.end not in wide.index:
        wide.loc[scope.end] = wide.iloc[-1]
    if len(wide) > DAILY_POINTS:
        wide = wide.groupby(wide.index.str[:7]).tail(1)
    long = wide.stack().rename("people").reset_index()
    long.columns = ["date", "host_country", "people"]
    return long.astype({"people": "int64"}).sort_values(["date", "host_country"], ignore_index=True)


def departures_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    w, p = where(scope, country=True)
    return query_frame(conn, f"""SELECT substr(date, 1, 7) || '-01' AS month, host_country, sum(people) AS people
        FROM transfers WHERE stage = 'departed' AND {w}
        GROUP BY month, host_country ORDER BY month, host_country""", p, ["month", "host_country", "people"])


def pledged_vs_departed(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    wp, pp = where(scope, site=False, country=True, from_start=False)
    wd, pd_ = where(scope, country=True, from_start=False)
    return query_frame(conn, f"""WITH p AS (SELECT host_country, sum(places) AS pledged FROM pledges WHERE {wp} GROUP BY 1),
        d AS (SELECT host_country, sum(people) AS departed FROM transfers WHERE stage = 'departed' AND {wd} GROUP BY 1)
        SELECT c.host_country, coalesce(p.pledged, 0), coalesce(d.departed, 0)
        FROM (SELECT host_country FROM p UNION SELECT host_country FROM d) c
        LEFT JOIN p ON p.host_country = c.host_country LEFT JOIN d ON d.host_country = c.host_country
        ORDER BY 3 DESC, 2 DESC, 1""", pp + pd_, ["host_country", "pledged", "departed"])


def stages(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    w, p = where(scope, country=True)
    if not conn.execute(f"SELECT EXISTS(SELECT 1 FROM transfers WHERE stage != 'departed' AND {w})", p).fetchone()[0]:
        return pd.DataFrame(columns=["stage", "host_country", "transfers", "people"])
    return query_frame(conn, f"""SELECT stage, host_country, count(*) AS transfers, sum(people) AS people
        FROM transfers WHERE {w} GROUP BY stage, host_country
        ORDER BY CASE stage WHEN 'submitted' THEN 1 WHEN 'accepted' THEN 2 ELSE 3 END, host_country""",
        p, ["stage", "host_country", "transfers", "people"])


def transfer_sources_in_range(conn: sqlite3.Connection, scope: Scope) -> list[str]:
    """sources.sources(conn, "transfers", scope) with a start date."""
    w, p = where(scope, country=True)
    return [r[0] for r in conn.execute(f"SELECT DISTINCT source FROM transfers WHERE {w} ORDER BY 1", p)]


EVENT_DATE = "coalesce(date, request_date)"


def medevacs_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    w, p = where(scope, date=EVENT_DATE)
    return query_frame(conn, f"""SELECT substr({EVENT_DATE}, 1, 7) || '-01' AS month,
            coalesce(outcome, 'not recorded') AS outcome, count(*) AS requests, sum(patients) AS patients
        FROM medical_evacuations WHERE {w} GROUP BY 1, 2 ORDER BY 1, 2""",
        p, ["month", "outcome", "requests", "patients"])


def waiting_days(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    w, p = where(scope)
    return query_frame(conn, f"""SELECT CAST(julianday(date) - julianday(request_date) AS INTEGER) AS waiting_days,
            count(*) AS evacuations, sum(patients) AS patients
        FROM medical_evacuations WHERE date IS NOT NULL AND request_date IS NOT NULL AND {w}
        GROUP BY 1 ORDER BY 1""", p, ["waiting_days", "evacuations", "patients"])


def medical_access(conn: sqlite3.Connection, scope: Scope) -> dict:
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
