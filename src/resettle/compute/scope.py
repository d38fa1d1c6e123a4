"""The scope of a view: which sites, up to which as-of date D, from which start date, which host countries;
and how SQL selects a scope's rows.

Every page query and export takes a Scope. `view_scope` makes one from what a person chose (site names,
dates, host countries), resolving names and the default as-of date (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resettle.compute import aggregates
from resettle.compute.arithmetic import iso_date
from resettle.domain.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


def parse_as_of(text: str | None) -> dt.date | None:
    """An as-of date as a person writes it (YYYY-MM-DD; empty: none), or a UsageError saying how."""
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date: write it as YYYY-MM-DD") from None


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


@dataclass(frozen=True)
class Scope:
    """What a view covers: sites as (id, name), the as-of date D (`end`), an optional start, host countries.

    `end` None means no upper bound (no data yet; or a data export, which has every row); an empty
    `host_countries` means every country. `all_sites`: no site was chosen, so no site condition is needed
    (one scan beats an index range scan per site when every site is wanted)."""

    sites: tuple[tuple[int, str], ...]
    end: str | None
    start: str | None = None
    host_countries: tuple[str, ...] = ()
    all_sites: bool = False

    @property
    def site_ids(self) -> list[int]:
        return [i for i, _ in self.sites]


def view_scope(conn: sqlite3.Connection, sites: list[str] | tuple[str, ...] | None = None,
               start: dt.date | str | None = None, end: dt.date | str | None = None,
               host_countries: list[str] | tuple[str, ...] = ()) -> Scope:
    """A Scope from site names (none: every site); `end` defaults to the sites' default as-of date."""
    chosen = resolve_sites(conn, list(sites) if sites else None)
    if end is None:
        end = aggregates.default_as_of(conn, [i for i, _ in chosen])
    return Scope(tuple(chosen), iso_date(end), iso_date(start), tuple(host_countries), all_sites=not sites)


# ---------------------------------------------------------------- a scope in SQL


def placeholders(values) -> str:
    """One ? per value, for an IN (...) list."""
    return ",".join("?" * len(values))


def where(scope: Scope, *, date: str | None = "date", site: bool = True, country: bool = False,
          from_start: bool = True, alias: str = "") -> tuple[str, list]:
    """The WHERE clause of a scope and its parameters: sites, `date` in [start, end] (or up to end only),
    host countries."""
    a = f"{alias}." if alias else ""
    parts: list[str] = []
    params: list = []
    if site and not scope.all_sites:
        parts.append(f"{a}site_id IN ({placeholders(scope.site_ids)})")
        params += scope.site_ids
    if date and scope.end:
        parts.append(f"{date} <= ?")
        params.append(scope.end)
    if date and from_start and scope.start:
        parts.append(f"{date} >= ?")
        params.append(scope.start)
    if country and scope.host_countries:
        parts.append(f"{a}host_country IN ({placeholders(scope.host_countries)})")
        params += list(scope.host_countries)
    return " AND ".join(parts) or "1", params


def query_frame(conn: sqlite3.Connection, sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    """The rows of `sql` as a DataFrame with these columns."""
    import pandas as pd  # not at the top: `resettle summary` starts without pandas

    cur = conn.execute(sql, params)
    return pd.DataFrame(cur.fetchall(), columns=columns)
