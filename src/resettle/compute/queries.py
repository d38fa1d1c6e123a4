"""The dashboard's chart and table data: aggregated in SQLite, returned as small tidy DataFrames.

Every function takes a connection and a `Scope` (which sites, up to which as-of date, from which start
date, which host countries). The overview's data (cumulative relocations, the sources behind a view, host
countries, date bounds) comes from metrics.Aggregates, the arrays kept per change counter; the other
pages aggregate in SQL (GROUP BY month, country, outcome; window sums for cumulative series). No
Streamlit import: `ui/data.py` caches these.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

import numpy as np
import pandas as pd

from resettle.compute import disclosure, metrics
from resettle.domain.records import KINDS

DEATH_CAUSES = {"incidents": "Killed in incidents", "medical": "Died after a medical evacuation request"}
TABLES = ("population", "transfers", "medevacs", "incidents", "pledges", "sites")
TABLE_LIMIT = 1000
DAILY_POINTS = 500  # a cumulative series with more dates than this is drawn month by month


@dataclass(frozen=True)
class Scope:
    """What a view covers: sites as (id, name), the as-of date D (`end`), an optional start, host countries.

    `end` None means no upper bound (no data yet); an empty `host_countries` means every country.
    `all_sites`: no site was chosen, so no site condition is needed (one scan beats an index range scan
    per site when every site is wanted)."""

    sites: tuple[tuple[int, str], ...]
    end: str | None
    start: str | None = None
    host_countries: tuple[str, ...] = ()
    all_sites: bool = False

    @property
    def site_ids(self) -> list[int]:
        return [i for i, _ in self.sites]


def scope(conn: sqlite3.Connection, sites: list[str] | tuple[str, ...] | None = None,
          start: dt.date | str | None = None, end: dt.date | str | None = None,
          host_countries: list[str] | tuple[str, ...] = ()) -> Scope:
    """A Scope from site names (none: every site); `end` defaults to the sites' default as-of date."""
    chosen = metrics.resolve_sites(conn, list(sites) if sites else None)
    if end is None:
        end = metrics.default_as_of(conn, [i for i, _ in chosen])
    return Scope(tuple(chosen), iso_dates(end), iso_dates(start), tuple(host_countries), all_sites=not sites)


def iso_dates(day: dt.date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else day


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _where(scope: Scope, *, date: str | None = "date", site: bool = True, country: bool = False,
           from_start: bool = True, alias: str = "") -> tuple[str, list]:
    """The WHERE clause of a scope: sites, date in [start, end] (or up to end only), host countries."""
    a = f"{alias}." if alias else ""
    parts: list[str] = []
    params: list = []
    if site and not scope.all_sites:
        parts.append(f"{a}site_id IN ({_marks(scope.site_ids)})")
        params += scope.site_ids
    if date and scope.end:
        parts.append(f"{date} <= ?")
        params.append(scope.end)
    if date and from_start and scope.start:
        parts.append(f"{date} >= ?")
        params.append(scope.start)
    if country and scope.host_countries:
        parts.append(f"{a}host_country IN ({_marks(scope.host_countries)})")
        params += list(scope.host_countries)
    return " AND ".join(parts) or "1", params


def _frame(conn: sqlite3.Connection, sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    cur = conn.execute(sql, params)
    return pd.DataFrame(cur.fetchall(), columns=columns)


# ---------------------------------------------------------------- the database as a whole


def is_empty(conn: sqlite3.Connection) -> bool:
    """No site and no pledge yet: the dashboard shows its first screen."""
    return not conn.execute("SELECT EXISTS(SELECT 1 FROM sites) OR EXISTS(SELECT 1 FROM pledges)").fetchone()[0]


def host_countries(conn: sqlite3.Connection) -> list[str]:
    """Every host country named by a transfer or a pledge (ISO3)."""
    pledged = {r[0] for r in conn.execute("SELECT DISTINCT host_country FROM pledges")}
    return sorted(pledged.union(metrics.aggregates(conn).host_countries()))


def host_countries_ranked(conn: sqlite3.Connection) -> list[str]:
    """Every host country, the most people departed to first, then the most places pledged (for colours)."""
    agg = metrics.aggregates(conn)
    departed = {c: int(cum[-1]) for c, (_, cum) in agg.country_flows(None).items()}
    pledged = dict(conn.execute("SELECT host_country, sum(places) FROM pledges GROUP BY 1").fetchall())
    every = set(departed) | set(pledged) | set(agg.host_countries())
    return sorted(every, key=lambda c: (-departed.get(c, 0), -(pledged.get(c) or 0), c))


def date_bounds(conn: sqlite3.Connection, site_ids: list[int]) -> tuple[dt.date | None, dt.date | None]:
    """The earliest dated record of the sites and their default as-of date (DOMAIN.md)."""
    return metrics.date_bounds(conn, site_ids)


def sources_behind(conn: sqlite3.Connection, scope: Scope) -> list[str]:
    """The sources of every record the headline figures at D rest on (counts, departures, medical
    evacuations, incidents of the sites, dated up to D)."""
    agg = metrics.aggregates(conn)
    ids = None if scope.all_sites else scope.site_ids
    return sorted(set().union(*(agg.sources(table, ids, scope.end, departed_only=True)
                                for table in ("population", "transfers", "medevacs", "incidents"))))


def sources(conn: sqlite3.Connection, table: str, scope: Scope, *, from_start: bool = True) -> list[str]:
    """The distinct sources of one record kind's rows in the scope (for a chart's caption)."""
    kind = KINDS[table]
    ids = None if scope.all_sites else scope.site_ids
    if table in ("population", "transfers", "medevacs", "incidents") and not (from_start and scope.start):
        return sorted(metrics.aggregates(conn).sources(  # transfers: every stage, to the countries chosen
            table, ids, scope.end, host_countries=scope.host_countries))
    if table == "transfers":
        agg = metrics.aggregates(conn)
        rows = agg.transfer_rows(ids, scope.start, scope.end, scope.host_countries)
        return [agg.transfers.sources[i] for i in np.unique(agg.transfers.source[rows]).tolist()]
    date = "coalesce(date, request_date)" if table == "medevacs" else "date"
    country = "host_country" in kind.names
    w, p = _where(scope, date=date if table != "sites" else None, site=kind.has_site or table == "sites",
                  country=country, from_start=from_start)
    if table == "sites":
        w = w.replace("site_id", "id")
    return [r[0] for r in conn.execute(f"SELECT DISTINCT source FROM {kind.table} WHERE {w} ORDER BY 1", p)]


# ---------------------------------------------------------------- relocation


def departures_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Departed people per month (the month's first day) and host country, in [start, end]."""
    agg = metrics.aggregates(conn)
    t = agg.transfers
    rows = agg.transfer_rows(None if scope.all_sites else scope.site_ids, scope.start, scope.end,
                             scope.host_countries, departed_only=True)
    if not len(rows):
        return pd.DataFrame(columns=["month", "host_country", "people"])
    month = t.day[rows].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first, n = int(month.min()), max(len(t.countries), 1)
    keys, people = metrics.group_sums((month - first) * n + t.country[rows], (int(month.max()) - first + 1) * n,
                                  t.people[rows])
    return pd.DataFrame({
        "month": np.datetime_as_string((keys // n + first).astype("datetime64[M]"), unit="D").astype(object),
        "host_country": np.array(t.countries, dtype=object)[keys % n],
        "people": people,
    })


def departures_table(frame: pd.DataFrame) -> pd.DataFrame:
    """departures_per_month as a table: one row per month, one column per host country, and the total."""
    if frame.empty:
        return pd.DataFrame(columns=["month", "total"])
    wide = frame.pivot_table(index="month", columns="host_country", values="people", aggfunc="sum", fill_value=0)
    wide = wide[wide.sum().sort_values(ascending=False).index]
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    wide.index = wide.index.str[:7]  # the month as 2015-03
    return wide.reset_index().astype({c: "int64" for c in wide.columns})


def cumulative_relocations(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Cumulative departed people per host country on every departure date up to D (and at D itself), for
    a stacked area. Not cut at the start date: a cumulative level carries what came before. With more
    than DAILY_POINTS dates, one point a month (its last date, where the level is exact)."""
    flows = metrics.aggregates(conn).country_flows(None if scope.all_sites else scope.site_ids)
    end = metrics.day_number(scope.end) if scope.end else None
    parts = []
    for country, (days, cum) in flows.items():
        if scope.host_countries and country not in scope.host_countries:
            continue
        upto = len(days) if end is None else int(np.searchsorted(days, end, side="right"))
        if upto:
            parts.append((country, days[:upto], np.diff(cum[:upto], prepend=0)))
    if not parts:
        return pd.DataFrame(columns=["date", "host_country", "people"])
    daily = pd.DataFrame({
        "date": metrics.iso_dates(np.concatenate([d for _, d, _ in parts])).astype(object),
        "host_country": np.repeat(np.array([c for c, _, _ in parts], dtype=object), [len(d) for _, d, _ in parts]),
        "people": np.concatenate([a for _, _, a in parts]),
    })
    wide = daily.pivot_table(index="date", columns="host_country", values="people", aggfunc="sum",
                             fill_value=0).sort_index().cumsum()
    if scope.end and scope.end not in wide.index:
        wide.loc[scope.end] = wide.iloc[-1]
    if len(wide) > DAILY_POINTS:
        wide = wide.groupby(wide.index.str[:7]).tail(1)
    long = wide.stack().rename("people").reset_index()
    long.columns = ["date", "host_country", "people"]
    return long.astype({"people": "int64"}).sort_values(["date", "host_country"], ignore_index=True)


def cumulative_pledges(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Places pledged in all, on every pledge date up to D (and at D), for the host countries chosen.
    Pledges belong to no site."""
    w, p = _where(scope, site=False, country=True, from_start=False)
    at_end = "UNION ALL SELECT ?, 0" if scope.end else ""
    tail = [scope.end] if scope.end else []
    return _frame(conn, f"""SELECT date, sum(places) OVER (ORDER BY date) AS places FROM (
            SELECT date, sum(places) AS places FROM (
                SELECT date, places FROM pledges WHERE {w} {at_end}) GROUP BY date)
        ORDER BY date""", p + tail, ["date", "places"])


def pledged_vs_departed(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Per host country: places pledged and people departed, each up to D."""
    wp, pp = _where(scope, site=False, country=True, from_start=False)
    pledged = dict(conn.execute(f"SELECT host_country, sum(places) FROM pledges WHERE {wp} GROUP BY 1", pp).fetchall())
    end = metrics.day_number(scope.end) if scope.end else None
    departed = {}
    for country, (days, cum) in metrics.aggregates(conn).country_flows(
            None if scope.all_sites else scope.site_ids).items():
        if (not scope.host_countries or country in scope.host_countries) and (end is None or days[0] <= end):
            departed[country] = int(cum[-1] if end is None else metrics.cumulative_at(days, cum, end))
    rows = [(c, int(pledged.get(c) or 0), departed.get(c, 0)) for c in set(pledged) | set(departed)]
    rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    return pd.DataFrame(rows, columns=["host_country", "pledged", "departed"])


def stages(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """People and transfers per stage (submitted, accepted, departed) and host country, for transfers
    dated in the range; empty when the data has no stage other than departed."""
    agg = metrics.aggregates(conn)
    t = agg.transfers
    rows = agg.transfer_rows(None if scope.all_sites else scope.site_ids, scope.start, scope.end,
                             scope.host_countries)
    if not (t.stage[rows] != metrics.DEPARTED).any():
        return pd.DataFrame(columns=["stage", "host_country", "transfers", "people"])
    n = max(len(t.countries), 1)
    keys = t.stage[rows] * n + t.country[rows]
    distinct, people = metrics.group_sums(keys, len(metrics.STAGES) * n, t.people[rows])
    counts = np.bincount(keys, minlength=len(metrics.STAGES) * n)[distinct]
    return pd.DataFrame({
        "stage": np.array(metrics.STAGES, dtype=object)[distinct // n],
        "host_country": np.array(t.countries, dtype=object)[distinct % n],
        "transfers": counts.astype(np.int64),
        "people": people,
    })


# ---------------------------------------------------------------- medical access

_EVENT_DATE = "coalesce(date, request_date)"


def medevacs_per_month(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Requests and patients per month (of the evacuation, else of the request) and outcome."""
    w, p = _where(scope, date=_EVENT_DATE)
    return _frame(conn, f"""SELECT substr({_EVENT_DATE}, 1, 7) || '-01' AS month,
            coalesce(outcome, 'not recorded') AS outcome, count(*) AS requests, sum(patients) AS patients
        FROM medical_evacuations WHERE {w} GROUP BY 1, 2 ORDER BY 1, 2""",
        p, ["month", "outcome", "requests", "patients"])


def waiting_days(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Evacuations and patients by waiting days (date - request_date), for evacuations in the range."""
    w, p = _where(scope)
    return _frame(conn, f"""SELECT CAST(julianday(date) - julianday(request_date) AS INTEGER) AS waiting_days,
            count(*) AS evacuations, sum(patients) AS patients
        FROM medical_evacuations WHERE date IS NOT NULL AND request_date IS NOT NULL AND {w}
        GROUP BY 1 ORDER BY 1""", p, ["waiting_days", "evacuations", "patients"])


def medical_access(conn: sqlite3.Connection, scope: Scope) -> dict:
    """The medical-access figures in the range: evacuations, the median wait, denied and pending requests
    counted apart, deaths after a request."""
    w, p = _where(scope, date=_EVENT_DATE)
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
    out["median_wait_days"] = metrics.median_wait_days(zip(waits["waiting_days"], waits["patients"], strict=True))
    out["patients_with_wait"] = int(waits["patients"].sum())
    return out


def open_requests(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Denied and pending requests, each with the days from its request to D."""
    w, p = _where(scope, date="coalesce(m.date, m.request_date)", alias="m")
    return _frame(conn, f"""SELECT s.name, m.request_date, m.outcome, m.patients, m.reason,
            CAST(julianday(?) - julianday(m.request_date) AS INTEGER), m.destination, m.source
        FROM medical_evacuations m JOIN sites s ON s.id = m.site_id
        WHERE m.outcome IN ('denied', 'pending') AND {w}
        ORDER BY m.request_date, m.id""", [scope.end] + p,
        ["site", "request_date", "outcome", "patients", "reason", "days_since_request", "destination", "source"])


# ---------------------------------------------------------------- incidents and deaths


def incidents(conn: sqlite3.Connection, scope: Scope, limit: int = 10_000) -> pd.DataFrame:
    """Incidents in the range, with killed, wounded and hostages (None where not reported)."""
    w, p = _where(scope, date="i.date", alias="i")
    return _frame(conn, f"""SELECT i.date, s.name, i.incident_type, i.killed, i.wounded, i.hostages,
            i.description, i.source
        FROM incidents i JOIN sites s ON s.id = i.site_id WHERE {w} ORDER BY i.date, i.id LIMIT ?""",
        p + [limit], ["date", "site", "incident_type", "killed", "wounded", "hostages", "description", "source"])


def incident_markers(conn: sqlite3.Connection, scope: Scope, limit: int = 300) -> tuple[pd.DataFrame, int]:
    """The incidents in the range with the most people killed and wounded (at most `limit`, in date
    order), to mark on a chart; and how many incidents the range has."""
    w, p = _where(scope, date="i.date", alias="i")
    total = conn.execute(f"SELECT count(*) FROM incidents i WHERE {w}", p).fetchone()[0]
    frame = _frame(conn, f"""SELECT * FROM (
            SELECT i.date, s.name, i.incident_type, i.killed, i.wounded, i.hostages, i.description, i.source, i.id
            FROM incidents i JOIN sites s ON s.id = i.site_id WHERE {w}
            ORDER BY coalesce(i.killed, 0) + coalesce(i.wounded, 0) DESC, i.date, i.id LIMIT ?)
        ORDER BY date, id""", p + [limit],
        ["date", "site", "incident_type", "killed", "wounded", "hostages", "description", "source", "id"])
    return frame.drop(columns=["id"]), int(total)


def deaths_recorded(conn: sqlite3.Connection, scope: Scope) -> int:
    """DOMAIN.md's deaths_recorded at D, in SQL: killed in incidents plus medical evacuations with outcome
    died, dated up to D (the same figure as metrics.summary, without loading every flow)."""
    w, p = _where(scope, from_start=False)
    wm, pm = _where(scope, date=_EVENT_DATE, from_start=False)
    row = conn.execute(f"""SELECT (SELECT coalesce(sum(killed), 0) FROM incidents WHERE {w})
        + (SELECT coalesce(sum(patients), 0) FROM medical_evacuations WHERE outcome = 'died' AND {wm})""",
        p + pm).fetchone()
    return int(row[0])


def incident_totals(conn: sqlite3.Connection, scope: Scope) -> dict:
    """Incidents, killed, wounded and hostages in the range (unreported figures count as none; a row
    with an `events` count stands for that many incidents)."""
    w, p = _where(scope)
    row = conn.execute(f"""SELECT coalesce(sum(coalesce(events, 1)), 0), coalesce(sum(killed), 0), coalesce(sum(wounded), 0),
        coalesce(sum(hostages), 0) FROM incidents WHERE {w}""", p).fetchone()
    return dict(zip(("incidents", "killed", "wounded", "hostages"), map(int, row), strict=True))


def cumulative_deaths(conn: sqlite3.Connection, scope: Scope) -> pd.DataFrame:
    """Deaths recorded (DOMAIN.md: killed in incidents, plus medical evacuations with outcome died) per
    cause: the deaths of each date and the cumulative count, on every such date up to D and at D. Not cut
    at the start date: a cumulative count carries what came before."""
    w, p = _where(scope, from_start=False)
    wm, pm = _where(scope, date=_EVENT_DATE, from_start=False)
    at_end = "UNION SELECT ?" if scope.end else ""
    tail = [scope.end] if scope.end else []
    frame = _frame(conn, f"""WITH daily AS (
            SELECT date, 'incidents' AS cause, sum(killed) AS deaths FROM incidents
            WHERE killed > 0 AND {w} GROUP BY date
            UNION ALL
            SELECT {_EVENT_DATE}, 'medical', sum(patients) FROM medical_evacuations
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


# ---------------------------------------------------------------- reconciliation


def reconciliation(conn: sqlite3.Connection, scope: Scope) -> tuple[pd.DataFrame, int]:
    """metrics' intervals between consecutive counts up to D that end on or after the start date, with a
    flag where the flows do not explain the change; and the headline unexplained_change (the total over
    every interval up to D), from one load of the sites."""
    columns = ["site", "start", "end", "count_start", "count_end", "departures", "deaths", "unexplained_change"]
    if not scope.end:
        return pd.DataFrame(columns=[*columns, "discrepancy"]), 0
    loaded = metrics.load_sites(conn, list(scope.sites))
    every = [i for s in loaded for i in s.intervals(scope.end)]
    total = sum(i["unexplained_change"] for i in every)
    frame = pd.DataFrame([i for i in every if not scope.start or i["end"] >= scope.start], columns=columns)
    frame["discrepancy"] = frame["unexplained_change"] != 0
    return frame, int(total)


def largest_discrepancies(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` intervals to show: all of them when few, else the discrepancies largest first."""
    if len(frame) <= limit:
        return frame
    worst = frame[frame["discrepancy"]].reindex(
        frame.loc[frame["discrepancy"], "unexplained_change"].abs().sort_values(ascending=False).index)
    return worst.head(limit)


# ---------------------------------------------------------------- tables


def _table_sql(kind_name: str) -> tuple[str, list[str], str | None, bool]:
    """SELECT list with site names, the column names, the date expression and whether host_country is there.
    In public mode, as disclosure.public_columns has it: no identifying column, small medical counts '<5'
    (the Data page, its download and every data export read tables through here)."""
    kind = KINDS[kind_name]
    if kind_name == "sites":
        names = ["id", *kind.names, "batch_id"]
        return ", ".join(f"t.{n}" for n in names), names, None, False
    cols = ["t.id"] + [("s.name" if f == "site" else f"t.{f}") for f in kind.names] + ["t.batch_id"]
    names, cols = disclosure.public_columns(kind_name, ["id", *kind.names, "batch_id"], cols)
    date = "coalesce(t.date, t.request_date)" if kind_name == "medevacs" else "t.date"
    return ", ".join(cols), names, date, "host_country" in kind.names


@dataclass(frozen=True)
class TableQuery:
    """The parts of a SELECT of one table's rows in a scope: its columns (`select`, named `names`), the
    FROM with the sites join (`source`), the WHERE with its parameters, the date expression (None for
    sites) and the ORDER BY (date order, then id; sites by name)."""

    select: str
    names: list[str]
    source: str
    where: str
    params: list
    date: str | None
    order: str


def table_query(kind_name: str, scope: Scope, source_contains: str = "") -> TableQuery:
    """How the Data page, its download and every data export select one table's rows in a scope (sites,
    date range, host countries; a source containing some text)."""
    kind = KINDS[kind_name]
    select, names, date, country = _table_sql(kind_name)
    w, p = _where(scope, date=date, site=kind.has_site, country=country, alias="t")
    if kind_name == "sites":
        w, p = ("1", []) if scope.all_sites else (f"t.id IN ({_marks(scope.site_ids)})", list(scope.site_ids))
    if source_contains:
        escaped = source_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        w += " AND t.source LIKE ? ESCAPE '\\'"
        p.append(f"%{escaped}%")
    join = " JOIN sites s ON s.id = t.site_id" if kind.has_site else ""
    return TableQuery(select, names, f"{kind.table} t{join}", w, p, date, f"{date}, t.id" if date else "t.name")


def table_slice(conn: sqlite3.Connection, kind_name: str, scope: Scope, *, limit: int = TABLE_LIMIT,
                source_contains: str = "") -> tuple[pd.DataFrame, int]:
    """The rows of one table in the scope (sites, date range, host countries; a source containing some
    text), in date order, at most `limit` of them; and how many rows match in all."""
    q = table_query(kind_name, scope, source_contains)
    total = conn.execute(f"SELECT count(*) FROM {KINDS[kind_name].table} t WHERE {q.where}", q.params).fetchone()[0]
    frame = _frame(conn, f"SELECT {q.select} FROM {q.source} WHERE {q.where} ORDER BY {q.order} LIMIT ?",
                   q.params + [int(limit)], q.names)
    return frame, int(total)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV; a text cell that a spreadsheet would run as a formula gets a leading quote."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return safe.to_csv(index=False).encode("utf-8")
