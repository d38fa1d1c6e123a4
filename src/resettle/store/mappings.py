"""Saved column mappings: the --map, --set, date order and fiscal year start of an import, stored under a name for the next
file that comes in the same layout. (Laying a saved mapping under an import's own options is the
importer's business: see ingest.importer.apply_mapping.)"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Protocol

from resettle.domain.clock import utc_timestamp
from resettle.domain.errors import UsageError


class MappingSpec(Protocol):
    """What a saved mapping keeps (an import's options have these)."""

    column_map: dict[str, str]
    set_values: dict[str, str]
    date_order: str | None
    fiscal_year_start: int | None


@dataclass(frozen=True)
class SavedMapping:
    """A column mapping stored in the database under a name, for files that come in the same layout."""

    name: str
    kind: str
    column_map: dict[str, str]
    set_values: dict[str, str]
    date_order: str | None
    created_at: str
    fiscal_year_start: int | None = None


def save_mapping(conn: sqlite3.Connection, name: str, kind_name: str, spec: MappingSpec) -> SavedMapping:
    """Store the --map, --set, date order and fiscal year start of `spec` under `name` (replacing a mapping of
    that name)."""
    name = name.strip()
    if not name:
        raise UsageError("a saved mapping needs a name")
    stored = {"column_map": dict(spec.column_map), "set_values": dict(spec.set_values), "date_order": spec.date_order,
              "fiscal_year_start": spec.fiscal_year_start}
    created = utc_timestamp()
    conn.execute(
        "INSERT INTO mappings (name, kind, spec, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec, created_at = excluded.created_at",
        (name, kind_name, json.dumps(stored, ensure_ascii=False), created),
    )
    return SavedMapping(name, kind_name, stored["column_map"], stored["set_values"], stored["date_order"], created,
                        spec.fiscal_year_start)


def load_mapping(conn: sqlite3.Connection, name: str) -> SavedMapping:
    """The mapping saved under `name`; a UsageError naming the saved ones when there is none."""
    row = conn.execute("SELECT name, kind, spec, created_at FROM mappings WHERE name = ?", (name.strip(),)).fetchone()
    if row is None:
        saved = [m.name for m in list_mappings(conn)]
        listed = f"; saved mappings: {', '.join(saved)}" if saved else "; none is saved yet (--save-mapping NAME saves one)"
        raise UsageError(f"there is no saved mapping {name!r}{listed}")
    spec = json.loads(row[2])
    return SavedMapping(row[0], row[1], dict(spec.get("column_map") or {}), dict(spec.get("set_values") or {}),
                        spec.get("date_order"), row[3], spec.get("fiscal_year_start"))


def list_mappings(conn: sqlite3.Connection) -> list[SavedMapping]:
    """Every saved mapping, by name."""
    rows = conn.execute("SELECT name FROM mappings ORDER BY name").fetchall()
    return [load_mapping(conn, r[0]) for r in rows]


def delete_mapping(conn: sqlite3.Connection, name: str) -> None:
    """Delete the mapping saved under `name`; a UsageError naming the saved ones when there is none."""
    load_mapping(conn, name)  # the same message as everywhere for a name that is not saved
    with conn:
        conn.execute("DELETE FROM mappings WHERE name = ?", (name.strip(),))
