"""The headline figures of DOMAIN.md, computed per site at one as-of date D and summed over sites, and their
change over the previous 30 days (the dashboard's metric deltas).

The figures come from the sites' arrays (aggregates.py); every people count returned is an int.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from decimal import Decimal

from resettle.compute import ranking
from resettle.compute.aggregates import Loaded, aggregates, default_as_of, load_sites
from resettle.compute.arithmetic import cumulative_at, day_number, round_half_up
from resettle.compute.scope import parse_as_of, resolve_sites
from resettle.compute.site import Site

WINDOW_DAYS = 90
CHANGE_DAYS = 30
_CHANGED = ("residents", "relocated_total", "departures_last_90_days", "deaths_recorded")


def _by_country(conn: sqlite3.Connection, loaded: list[Site], ids: list[int], day: int) -> dict[str, int]:
    """Departed people per host country up to the day, largest first (a country with departures on or
    before the day is listed even when they add up to 0)."""
    source = loaded.aggregates if isinstance(loaded, Loaded) else aggregates(conn)
    flows = source.country_flows(ids)
    totals = sorted((country, int(cumulative_at(days, cum, day)))
                    for country, (days, cum) in flows.items() if days[0] <= day)
    top, _ = ranking.largest(None, [n for _, n in totals])
    return dict(totals[i] for i in top)


def summary(conn: sqlite3.Connection, site: str | list[str] | None = None, as_of: dt.date | str | None = None) -> dict:
    """The headline figures of DOMAIN.md: exactly the keys of `resettle summary --json`."""
    sites = resolve_sites(conn, site)
    ids = [i for i, _ in sites]
    if isinstance(as_of, str):
        as_of = parse_as_of(as_of)
    day_date = as_of or default_as_of(conn, ids)
    label = sites[0][1] if isinstance(site, str) and site else (
        ", ".join(n for _, n in sites) if site and not isinstance(site, str) else None
    )
    if day_date is None:
        return {
            "as_of": None, "site": label, "baseline_population": None, "residents": None, "relocated_total": 0,
            "relocated_by_country": {}, "percent_relocated": None, "departures_last_90_days": 0,
            "projected_completion": None, "deaths_recorded": 0, "unexplained_change": 0,
        }
    return figures_at(conn, load_sites(conn, sites), day_date, label, ids)


def site_figures(loaded: list[Site], day_date: dt.date) -> dict:
    """The headline figures of the sites together at `day_date`, but for the departures per host country:
    baseline_population, residents, relocated_total, percent_relocated, departures_last_90_days,
    projected_completion, deaths_recorded, unexplained_change. The one definition of each: the Overview
    (figures_at) and the Sites page (a site alone) both read it."""
    n = day_number(day_date.isoformat())
    baselines = [s.baseline for s in loaded if s.baseline is not None]
    residents_each = [r for s in loaded if (r := s.residents(n)) is not None]
    relocated = sum(s.departed_upto(n) for s in loaded)
    recent = relocated - sum(s.departed_upto(n - WINDOW_DAYS) for s in loaded)
    deaths = sum(s.deaths_upto(n) for s in loaded)
    unexplained = sum(s.unexplained_upto(n) for s in loaded)
    baseline = sum(baselines) if baselines else None
    residents = sum(residents_each) if residents_each else None
    percent = float(round_half_up(Decimal(100 * relocated) / baseline, 1)) if baseline else None
    projected = None
    if recent > 0 and residents is not None and residents > 0:
        days = math.ceil(Decimal(residents) * WINDOW_DAYS / recent)
        projected = (day_date + dt.timedelta(days=days)).isoformat()
    return {
        "baseline_population": baseline,
        "residents": residents,
        "relocated_total": int(relocated),
        "percent_relocated": percent,
        "departures_last_90_days": int(recent),
        "projected_completion": projected,
        "deaths_recorded": int(deaths),
        "unexplained_change": int(unexplained),
    }


def figures_at(conn: sqlite3.Connection, loaded: list[Site], day_date: dt.date, label: str | None,
               ids: list[int]) -> dict:
    """The headline figures at `day_date` from already loaded site aggregates."""
    f = site_figures(loaded, day_date)
    return {
        "as_of": day_date.isoformat(),
        "site": label,
        "baseline_population": f["baseline_population"],
        "residents": f["residents"],
        "relocated_total": f["relocated_total"],
        "relocated_by_country": _by_country(conn, loaded, ids, day_number(day_date.isoformat())),
        "percent_relocated": f["percent_relocated"],
        "departures_last_90_days": f["departures_last_90_days"],
        "projected_completion": f["projected_completion"],
        "deaths_recorded": f["deaths_recorded"],
        "unexplained_change": f["unexplained_change"],
    }


def changes(now: dict, before: dict) -> dict:
    """Each headline figure at D minus the same figure at D - 30 days; None where either is unknown.
    percent_relocated in points (one decimal); projected_completion as its shift in days (+ is later)."""
    out: dict = {k: (now[k] - before[k] if now[k] is not None and before[k] is not None else None) for k in _CHANGED}
    p1, p0 = now["percent_relocated"], before["percent_relocated"]
    out["percent_relocated"] = (
        float(round_half_up(Decimal(str(p1)) - Decimal(str(p0)), 1)) if p1 is not None and p0 is not None else None
    )
    c1, c0 = now["projected_completion"], before["projected_completion"]
    out["projected_completion"] = (
        (dt.date.fromisoformat(c1) - dt.date.fromisoformat(c0)).days if c1 and c0 else None
    )
    return out


def relocated_to(summary: dict, host_countries: list[str] | tuple[str, ...]) -> int:
    """People relocated to the given host countries (from a summary's relocated_by_country)."""
    return int(sum(summary["relocated_by_country"].get(c, 0) for c in host_countries))
