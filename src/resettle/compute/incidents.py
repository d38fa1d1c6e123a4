"""The Incidents page's data: incidents in the range with their killed, wounded and hostages, the ones to
mark on the overview's chart, and the deaths recorded (DOMAIN.md: killed in incidents, plus medical
evacuations with outcome died), cumulative per cause.

Aggregated in SQL; a public page shows the medical deaths in steps (disclosure.py).
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from resettle.compute.medical import EVENT_DATE
from resettle.compute.scope import Scope, query_frame, where

DEATH_CAUSES = {"incidents": "Killed in incidents", "medical": "Died after a medical evacuation request"}


def incidents(conn: sqlite3.Connection, scope: Scope, limit: int = 10_000) -> pd.DataFrame:
    """Incidents in the range, with killed, wounded and hostages (None where not reported)."""
    w, p = where(scope, date="i.date", alias="i")
    return query_frame(conn, f"""SELECT i.date, s.name, i.incident_type, i.killed, i.wounded, i.hostages,
            i.description, i.source
        FROM incidents i JOIN sites s ON s.id = i.site_id WHERE {w} ORDER BY i.date, i.id LIMIT ?""",
        p + [limit], ["date", "site", "incident_type", "killed", "wounded", "hostages", "description", "source"])


def incident_markers(conn: sqlite3.Connection, scope: Scope, limit: int = 300) -> tuple[pd.DataFrame, int]:
    """The incidents in the range with the most people killed and wounded (at most `limit`, in date
    order), to mark on a chart; and how many incidents the range has."""
    # SQLite ranks them (ORDER BY ... LIMIT), not ranking.largest: fetching every incident of the range to
    # rank it here costs more than the database's sort (10,000 incidents: about 26 ms against 19 ms).
    w, p = where(scope, date="i.date", alias="i")
    total = conn.execute(f"SELECT count(*) FROM incidents i WHERE {w}", p).fetchone()[0]
    frame = query_frame(conn, f"""SELECT * FROM (
            SELECT i.date, s.name, i.incident_type, i.killed, i.wounded, i.hostages, i.description, i.source, i.id
            FROM incidents i JOIN sites s ON s.id = i.site_id WHERE {w}
            ORDER BY coalesce(i.killed, 0) + coalesce(i.wounded, 0) DESC, i.date, i.id LIMIT ?)
        ORDER BY date, id""", p + [limit],
        ["date", "site", "incident_type", "killed", "wounded", "hostages", "description", "source", "id"])
    return frame.drop(columns=["id"]), int(total)


def deaths_recorded(conn: sqlite3.Connection, scope: Scope) -> int:
    """DOMAIN.md's deaths_recorded at D, in SQL: killed in incidents plus medical evacuations with outcome
    died, dated up to D (the same figure as headline.summary, without loading every flow)."""
    w, p = where(scope, from_start=False)
    wm, pm = where(scope, date=EVENT_DATE, from_start=False)
    row = conn.execute(f"""SELECT (SELECT coalesce(sum(killed), 0) FROM incidents WHERE {w})
        + (SELECT coalesce(sum(patients), 0) FROM medical_evacuations WHERE outcome = 'died' AND {wm})""",
        p + pm).fetchone()
    return int(row[0])


def incident_totals(conn: sqlite3.Connection, scope: Scope) -> dict:
    """Incidents, killed, wounded and hostages in the range (unreported figures count as none; a row
    with an `events` count stands for that many incidents)."""
    w, p = where(scope)
    row = conn.execute(f"""SELECT coalesce(sum(coalesce(events, 1)), 0), coalesce(sum(killed), 0), coalesce(sum(wounded), 0),
        coalesce(sum(hostages), 0) FROM incidents WHERE {w}""", p).fetchone()
    return dict(zip(("incidents", "killed", "wounded", "hostages"), map(int, row), strict=True))


def cumulative_deaths(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Deaths recorded (DOMAIN.md: killed in incidents, plus medical evacuations with outcome died) per
    cause: the deaths of each date and the cumulative count, on every such date up to D and at D. Not cut
    at the start date: a cumulative count carries what came before."""
    w, p = where(scope, from_start=False)
    wm, pm = where(scope, date=EVENT_DATE, from_start=False)
    at_end = "UNION SELECT ?" if scope.end else ""
    tail = [scope.end] if scope.end else []
    frame = query_frame(conn, f"""WITH daily AS (
            SELECT date, 'incidents' AS cause, sum(killed) AS deaths FROM incidents
            WHERE killed > 0 AND {w} GROUP BY date
            UNION ALL
            SELECT {EVENT_DATE}, 'medical', sum(patients) FROM medical_evacuations
            WHERE outcome = 'died' AND patients > 0 AND {wm} GROUP BY 1),
        dates AS (SELECT date FROM daily {at_end}),
        causes AS (SELECT DISTINCT cause FROM daily),
        grid AS (
            SELECT d.date, c.cause, coalesce(x.deaths, 0) AS deaths
            FROM dates d CROSS JOIN causes c LEFT JOIN daily x ON x.date = d.date AND x.cause = c.cause)
        SELECT date, cause, deaths, sum(deaths) OVER (PARTITION BY cause ORDER BY date) AS cumulative
        FROM grid ORDER BY date, cause""", p + pm + tail, ["date", "cause", "deaths", "cumulative"])
    frame["cause"] = frame["cause"].map(DEATH_CAUSES)
    return frame


# A period's first day in SQL, from an incident's date: the Monday of its week, or the first of its month.
PERIOD_START = {"week": "date(date, '-6 days', 'weekday 1')", "month": "substr(date, 1, 7) || '-01'"}


def incidents_per_period(conn: sqlite3.Connection, scope: Scope, period: str) -> pd.DataFrame:
    """Incidents in the range per week (from Monday) or per month: period (its first day), incidents (a row
    with an `events` count stands for that many), killed, wounded, hostages (figures not reported count as
    none), in date order."""
    w, p = where(scope)
    return query_frame(conn, f"""SELECT {PERIOD_START[period]} AS period, sum(coalesce(events, 1)),
            coalesce(sum(killed), 0), coalesce(sum(wounded), 0), coalesce(sum(hostages), 0)
        FROM incidents WHERE {w} GROUP BY 1 ORDER BY 1""", p,
        ["period", "incidents", "killed", "wounded", "hostages"])


def incident_span(conn: sqlite3.Connection, scope: Scope) -> tuple[int, str | None, str | None]:
    """How many incident rows the range has (each one bar on an incident-by-incident time line), and the
    first and last of their dates."""
    w, p = where(scope)
    count, first, last = conn.execute(f"SELECT count(*), min(date), max(date) FROM incidents WHERE {w}", p).fetchone()
    return int(count), first, last
