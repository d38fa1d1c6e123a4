"""The rows of one record table in a scope: how the Data page, its download and every data export select
them (sites, date range, host countries; a source containing some text), in date order.

In public mode the columns are as disclosure.public_columns has them: no identifying column, small
medical counts as "<5".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pandas as pd

from resettle.compute import disclosure
from resettle.compute.scope import Scope, placeholders, query_frame, where
from resettle.domain.records import KINDS

TABLES = ("population", "transfers", "medevacs", "incidents", "pledges", "sites")
TABLE_LIMIT = 1000  # rows the Data page shows at first


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
    w, p = where(scope, date=date, site=kind.has_site, country=country, alias="t")
    if kind_name == "sites":
        w, p = ("1", []) if scope.all_sites else (f"t.id IN ({placeholders(scope.site_ids)})", list(scope.site_ids))
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
    frame = query_frame(conn, f"SELECT {q.select} FROM {q.source} WHERE {q.where} ORDER BY {q.order} LIMIT ?",
                   q.params + [int(limit)], q.names)
    return frame, int(total)
