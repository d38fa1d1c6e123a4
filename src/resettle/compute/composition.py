"""Who remains: the sex and age breakdown of the view's sites, from each site's latest population count
that carries one (female, male, children, the UNHCR age bands), up to D.

A count is a stock: the breakdowns of several sites add up (the same date or not, each site's latest), never
several dates of one site. Where several sources give a breakdown for a site on that date, each figure is
the median of theirs (halves up), as the headline count is (DOMAIN.md). The counts give sex and age apart,
not age by sex, so nothing here splits an age band by sex.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from resettle.compute.arithmetic import round_half_up
from resettle.compute.scope import Scope

SEXES = (("female", "Female"), ("male", "Male"))
AGE_BANDS = (("age_0_4", "0-4"), ("age_5_11", "5-11"), ("age_12_17", "12-17"), ("age_18_59", "18-59"),
             ("age_60_plus", "60+"))
CHILD_BANDS = ("age_0_4", "age_5_11", "age_12_17")
FIELDS = ("female", "male", "children", *(f for f, _ in AGE_BANDS))
COLUMNS = ["site", "date", "sources", "residents", *FIELDS]


@dataclass(frozen=True)
class Composition:
    """The breakdown of the view's sites: one row per site that has one (COLUMNS; a figure not reported is
    <NA>), the totals over the sites reporting each figure, the residents of those counts (the base of
    each share), the shares of children and of people over 60 (percent, one decimal), the sources and
    the dates of the counts used, and notes on what it leaves out."""

    per_site: pd.DataFrame
    totals: dict[str, int | None] = field(default_factory=dict)
    base: dict[str, int] = field(default_factory=dict)
    children_share: float | None = None
    over_60_share: float | None = None
    sources: list[str] = field(default_factory=list)
    dates: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.per_site.empty


def _median(values: list[int]) -> int:
    ordered = sorted(values)
    mid = len(ordered) // 2
    twice = ordered[mid] + ordered[mid] if len(ordered) % 2 else ordered[mid - 1] + ordered[mid]
    return int(round_half_up(Decimal(twice) / 2))


def share(part: int | None, whole: int) -> float | None:
    """`part` as a percentage of `whole`, one decimal, halves up; None when either is unknown or zero."""
    if part is None or not whole:
        return None
    return float(round_half_up(Decimal(100 * part) / whole, 1))


def composition(conn: sqlite3.Connection, scope: Scope) -> Composition:
    """The breakdown of each site's latest count with one, up to D (scope.end), and their totals."""
    if scope.end is None or not scope.sites:
        return Composition(pd.DataFrame(columns=COLUMNS))
    any_given = " OR ".join(f"{f} IS NOT NULL" for f in FIELDS)
    latest: dict[int, str] = {}  # site id -> its latest count up to D
    parts = []
    # Site by site, each an index seek from D backwards: a scan of every count for the latest breakdown
    # costs ten times more at 100,000 counts.
    for site_id, _ in scope.sites:
        last = conn.execute("SELECT max(date) FROM population_counts WHERE site_id = ? AND date <= ?",
                            (site_id, scope.end)).fetchone()[0]
        if last is None:
            continue
        latest[site_id] = last
        given = conn.execute(f"""SELECT date FROM population_counts WHERE site_id = ? AND date <= ? AND ({any_given})
            ORDER BY date DESC LIMIT 1""", (site_id, scope.end)).fetchone()
        if given is not None:
            parts += conn.execute(f"""SELECT site_id, date, source, residents, {', '.join(FIELDS)}
                FROM population_counts WHERE site_id = ? AND date = ? ORDER BY source, id""",
                                  (site_id, given[0])).fetchall()
    names = dict(scope.sites)
    grouped: dict[int, dict[str, list[tuple]]] = {}  # site id -> source -> its rows
    for row in parts:
        grouped.setdefault(row[0], {}).setdefault(row[2], []).append(row)
    per_site = []
    for site_id, of_site in grouped.items():
        by_source = []
        for rows in of_site.values():
            # A source's rows add up (a breakdown by origin); a figure counts only when every row gives it.
            figures = {}
            for k, f in enumerate(FIELDS, start=4):
                values = [r[k] for r in rows]
                figures[f] = sum(values) if None not in values else None
            if figures["children"] is None and all(figures[b] is not None for b in CHILD_BANDS):
                figures["children"] = sum(figures[b] for b in CHILD_BANDS)
            if any(v is not None for v in figures.values()):  # a source with a total only is not a breakdown
                by_source.append({"source": rows[0][2], "residents": sum(r[3] for r in rows), **figures})
        row = {"site": names[site_id], "date": next(iter(of_site.values()))[0][1],
               "sources": sorted(s["source"] for s in by_source),
               "residents": _median([s["residents"] for s in by_source])}
        for f in FIELDS:
            given = [s[f] for s in by_source if s[f] is not None]
            row[f] = _median(given) if given else None
        per_site.append(row)
    frame = pd.DataFrame(per_site, columns=COLUMNS)
    for f in ("residents", *FIELDS):
        frame[f] = frame[f].astype("Int64")
    notes = _notes(scope, latest, frame)
    if frame.empty:
        return Composition(frame, notes=notes)
    totals: dict[str, int | None] = {}
    base: dict[str, int] = {}
    for f in FIELDS:
        known = frame[f].notna()
        totals[f] = int(frame.loc[known, f].sum()) if known.any() else None
        base[f] = int(frame.loc[known, "residents"].sum())
    return Composition(
        per_site=frame, totals=totals, base=base,
        children_share=share(totals["children"], base["children"]),
        over_60_share=share(totals["age_60_plus"], base["age_60_plus"]),
        sources=sorted({s for listed in frame["sources"] for s in listed}),
        dates=(min(frame["date"]), max(frame["date"])), notes=notes)


def _notes(scope: Scope, latest: dict[int, str], frame: pd.DataFrame) -> list[str]:
    """What the breakdown leaves out: sites whose latest count (`latest`: site id -> date) is later than the
    one with a breakdown, and sites with counts but no breakdown at all."""
    names = dict(scope.sites)
    used = dict(zip(frame["site"], frame["date"], strict=True))
    notes = []
    for site_id, last in sorted(latest.items(), key=lambda kv: names[kv[0]]):
        name = names[site_id]
        if name in used and used[name] < last:
            notes.append(f"{name}: the breakdown is that of {used[name]}; its latest count ({last}) has none.")
    without = sorted(names[i] for i in latest if names[i] not in used)
    if without and not frame.empty:
        notes.append(f"Sites whose counts give no sex or age, left out of the breakdown ({len(without):,}): "
                     f"{', '.join(without[:10])}{f' and {len(without) - 10:,} more' if len(without) > 10 else ''}.")
    return notes


def how_to_import() -> str:
    """What to tell someone whose counts carry no breakdown: the columns to map."""
    bands = ", ".join(f for f, _ in AGE_BANDS)
    return ("No population count of these sites gives sex or age. Import counts with the columns female, "
            f"male, children and the age bands {bands} (or map yours onto them: `resettle import population "
            "FILE --map female=Women --map age_60_plus=\"60+\"`; HXL tags such as #affected+f are read).")
