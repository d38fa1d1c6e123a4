"""Synthetic data at operational scale for the benchmarks: deterministic (one seed), consistent
(each site's population counts are its stock after the departures and deaths in the other files) and
in the canonical CSV layout (the header is the field names of src/resettle/records.py).

    .venv/bin/python benchmarks/generate.py [--out benchmarks/data] [--seed 2012] [--force]

100 sites over ten years (2015-2024); 1,000,000 transfer rows (cases of 1 to 8 people, as aggregate
rows without a case id in transfers.csv, and the same rows with case ids in transfers_cases.csv);
100,000 population counts (about one site-date in ten has a second source that disagrees by a few per
cent, as contested figures do); 100,000 medical evacuations; 10,000 incidents; 2,000 pledges.
Every row says it is synthetic in its source.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from resettle.domain.records import KINDS  # noqa: E402

# Bump when the data this script writes changes: run.py regenerates files of another version.
VERSION = 1
SEED = 2012
SITES = 100
START = dt.date(2015, 1, 1)
END = dt.date(2024, 12, 31)
TRANSFERS = 1_000_000
POPULATION = 100_000
MEDEVACS = 100_000
INCIDENTS = 10_000
PLEDGES = 2_000

HOSTS = ["ALB", "DEU", "FIN", "ITA", "NLD", "DNK", "NOR", "IRL", "GBR", "USA", "ROU", "CAN", "AUS", "SWE",
         "FRA", "BEL", "ESP", "CHE", "NZL", "BRA"]
HOST_WEIGHTS = np.array([30, 12, 4, 5, 4, 3, 4, 2, 5, 10, 2, 8, 6, 5, 4, 2, 2, 2, 1, 1], dtype=float)
ORIGINS = ["IRN", "SYR", "AFG", "IRQ", "SOM", "SSD", "COD", "MMR", "ERI", "SDN"]
SITE_COUNTRIES = ["IRQ", "JOR", "LBN", "TUR", "KEN", "BGD", "UGA", "ETH", "TZA", "PAK"]
# Case sizes 1..8: single people and couples are commonest, large families rarer.
CASE_SIZE_WEIGHTS = np.array([22, 18, 16, 14, 12, 8, 6, 4], dtype=float)
TRANSFER_TYPES = ["relocation", "resettlement", "family_reunification", "repatriation", "other"]
TRANSFER_TYPE_WEIGHTS = np.array([55, 30, 8, 5, 2], dtype=float)
STAGES = ["departed", "accepted", "submitted"]
STAGE_WEIGHTS = np.array([92, 4, 4], dtype=float)
TRANSFER_SOURCES = ["UNHCR movement report (synthetic)", "IOM flight manifest (synthetic)",
                    "Host government arrivals (synthetic)"]
COUNT_SOURCES = ["UNHCR site census (synthetic)", "Camp management head count (synthetic)"]
INCIDENT_TYPES = ["shelling", "rocket attack", "armed assault", "fire", "protest", "arrest", "other"]
FACILITIES = ["Baghdad Medical City", "Al-Yarmouk Hospital", "Ibn Sina Hospital", "Amman Specialty Hospital",
              "Field hospital", "Provincial hospital"]
REASONS = ["illness", "injury", "other"]
OUTCOMES = ["returned", "died", "transferred_abroad", "pending", "denied"]
OUTCOME_WEIGHTS = np.array([78, 2, 8, 6, 6], dtype=float)

DAYS = (END - START).days + 1


def _p(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _iso(day_numbers: np.ndarray) -> np.ndarray:
    """Day offsets from START as ISO date strings."""
    base = np.datetime64(START.isoformat(), "D")
    return np.datetime_as_string(base + day_numbers.astype("timedelta64[D]"), unit="D")


def _split(total: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`total` rows over the sites, in proportion to `shares` (exact total)."""
    return rng.multinomial(total, _p(shares))


def _per_site_days(rng: np.random.Generator, counts: np.ndarray, shape: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(site index, day) for counts[i] events of site i, dated by a site-specific beta curve: some sites
    empty early, some late, some steadily."""
    site = np.repeat(np.arange(SITES), counts)
    a = np.repeat(shape[:, 0], counts)
    b = np.repeat(shape[:, 1], counts)
    days = np.minimum((rng.beta(a, b) * DAYS).astype(np.int64), DAYS - 1)
    return site, days


def _cumulative_by_day(site: np.ndarray, day: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """[site, day] -> sum of amount up to and including that day."""
    grid = np.zeros((SITES, DAYS), dtype=np.int64)
    np.add.at(grid, (site, day), amount)
    return grid.cumsum(axis=1)


def _write(frame: pd.DataFrame, kind: str, path: Path) -> None:
    fields = KINDS[kind].names
    frame = frame.reindex(columns=fields)
    frame.to_csv(path, index=False, lineterminator="\n")


def generate(out: Path, seed: int = SEED) -> dict:
    """Write every file under `out`; returns the manifest (also written as manifest.json)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    names = np.array([f"Synthetic site {i + 1:03d}" for i in range(SITES)], dtype=object)

    # Sites: each with its own activity curve over the ten years and its own size.
    size = rng.lognormal(0, 0.5, SITES)
    shape = np.column_stack([rng.uniform(0.8, 3.0, SITES), rng.uniform(0.8, 3.0, SITES)])
    site_country = rng.choice(SITE_COUNTRIES, SITES)

    # Transfers: one row is one case of 1-8 people.
    t_counts = _split(TRANSFERS, size, rng)
    t_site, t_day = _per_site_days(rng, t_counts, shape)
    t_people = rng.choice(np.arange(1, 9), TRANSFERS, p=_p(CASE_SIZE_WEIGHTS))
    t_host = rng.choice(HOSTS, TRANSFERS, p=_p(HOST_WEIGHTS))
    t_type = rng.choice(TRANSFER_TYPES, TRANSFERS, p=_p(TRANSFER_TYPE_WEIGHTS))
    t_stage = rng.choice(STAGES, TRANSFERS, p=_p(STAGE_WEIGHTS))
    t_origin = rng.choice(ORIGINS, TRANSFERS, p=_p(np.array([40, 20, 10, 8, 6, 5, 4, 3, 2, 2], dtype=float)))
    t_source = rng.choice(TRANSFER_SOURCES, TRANSFERS, p=[0.6, 0.3, 0.1])
    departed = t_stage == "departed"

    # Incidents and medical evacuations: the deaths that, with departures, explain the stock.
    i_counts = _split(INCIDENTS, np.ones(SITES), rng)
    i_site, i_day = _per_site_days(rng, i_counts, np.ones((SITES, 2)))
    i_killed = np.where(rng.random(INCIDENTS) < 0.3, rng.geometric(0.35, INCIDENTS), 0)
    i_wounded = np.where(rng.random(INCIDENTS) < 0.5, rng.geometric(0.2, INCIDENTS), 0)
    i_hostages = np.where(rng.random(INCIDENTS) < 0.03, rng.integers(1, 8, INCIDENTS), 0)
    i_type = rng.choice(INCIDENT_TYPES, INCIDENTS)

    m_counts = _split(MEDEVACS, size, rng)
    m_site, m_request = _per_site_days(rng, m_counts, np.ones((SITES, 2)))
    m_wait = rng.geometric(0.08, MEDEVACS) - 1
    m_outcome = rng.choice(OUTCOMES, MEDEVACS, p=_p(OUTCOME_WEIGHTS))
    m_day = np.minimum(m_request + m_wait, DAYS - 1)
    m_evacuated = ~np.isin(m_outcome, ["pending", "denied"])
    m_patients = rng.choice([1, 2, 3], MEDEVACS, p=[0.9, 0.08, 0.02])
    m_death_day = np.where(m_evacuated, m_day, m_request)  # DOMAIN.md: coalesce(date, request_date)
    m_died = m_outcome == "died"

    departed_cum = _cumulative_by_day(t_site[departed], t_day[departed], t_people[departed])
    deaths_cum = (_cumulative_by_day(i_site, i_day, i_killed)
                  + _cumulative_by_day(m_site[m_died], m_death_day[m_died], m_patients[m_died]))
    leaving = departed_cum[:, -1] + deaths_cum[:, -1]
    # Some sites empty almost completely, others keep up to a third of their people.
    baseline = leaving + (leaving * rng.uniform(0.01, 0.5, SITES)).astype(np.int64) + 50

    # Population counts: day 0 for every site (the baseline), then random days; one site-date in ten
    # has a second source a few per cent off; one count in five is off by a little (unexplained change).
    per_site = POPULATION // SITES
    second = per_site // 10
    rows_site, rows_day, rows_source, rows_residents = [], [], [], []
    for s in range(SITES):
        days = np.sort(np.concatenate([[0], rng.choice(np.arange(1, DAYS), per_site - second - 1, replace=False)]))
        stock = baseline[s] - departed_cum[s, days] - deaths_cum[s, days]
        noise = np.where(rng.random(days.size) < 0.2, rng.integers(-15, 16, days.size), 0)
        noise[0] = 0
        primary = np.maximum(stock + noise, 0)
        twice = np.sort(rng.choice(days.size, second, replace=False))
        other = np.maximum((stock[twice] * rng.uniform(0.95, 1.05, second)).round().astype(np.int64), 0)
        rows_site += [s] * (days.size + second)
        rows_day += [*days, *days[twice]]
        rows_source += [0] * days.size + [1] * second
        rows_residents += [*primary, *other]
    p_site = np.array(rows_site)
    p_day = np.array(rows_day)
    p_residents = np.array(rows_residents, dtype=np.int64)
    p_female = (p_residents * rng.uniform(0.45, 0.52, p_residents.size)).astype(np.int64)
    p_children = (p_residents * rng.uniform(0.25, 0.45, p_residents.size)).astype(np.int64)
    population = pd.DataFrame({
        "site": names[p_site], "date": _iso(p_day), "residents": p_residents,
        "origin_country": np.array(ORIGINS, dtype=object)[p_site % 3],
        "female": p_female, "male": p_residents - p_female, "children": p_children,
        "source": np.array(COUNT_SOURCES, dtype=object)[rows_source],
    }).iloc[np.lexsort((rows_source, p_site, p_day))]

    transfers_order = np.lexsort((t_site, t_day))
    transfers = pd.DataFrame({
        "site": names[t_site], "date": _iso(t_day), "host_country": t_host, "people": t_people,
        "transfer_type": t_type, "stage": t_stage, "case_id": "", "origin_country": t_origin,
        "source": t_source,
    }).iloc[transfers_order]
    cases = transfers.copy()
    cases["case_id"] = [f"SYN-{i:07d}" for i in range(1, TRANSFERS + 1)]

    medevacs = pd.DataFrame({
        "site": names[m_site], "date": np.where(m_evacuated, _iso(m_day), ""), "request_date": _iso(m_request),
        "patients": m_patients, "destination": rng.choice(FACILITIES, MEDEVACS),
        "reason": rng.choice(REASONS, MEDEVACS, p=[0.7, 0.25, 0.05]), "outcome": m_outcome,
        "source": "Camp medical office log (synthetic)",
    }).iloc[np.lexsort((m_site, m_request))]

    incidents = pd.DataFrame({
        "site": names[i_site], "date": _iso(i_day), "incident_type": i_type, "killed": i_killed,
        "wounded": i_wounded, "hostages": i_hostages,
        "description": [f"synthetic {t} event no. {n}" for n, t in enumerate(i_type, 1)],
        "source": "Security incident log (synthetic)",
    }).iloc[np.lexsort((i_site, i_day))]

    pledge_day = np.sort(rng.integers(0, DAYS, PLEDGES))
    pledges = pd.DataFrame({
        "host_country": rng.choice(HOSTS, PLEDGES, p=_p(HOST_WEIGHTS)), "date": _iso(pledge_day),
        "places": rng.integers(1, 50, PLEDGES) * 10, "source": "Pledging conference record (synthetic)",
    })

    lat = rng.uniform(-5, 38, SITES).round(4)
    lon = rng.uniform(25, 75, SITES).round(4)
    sites = pd.DataFrame({
        "name": names, "country": site_country, "type": "camp", "opened": START.isoformat(), "closed": "",
        "capacity": (baseline * 1.2).astype(np.int64), "lat": lat, "lon": lon,
        "source": "Synthetic benchmark data (benchmarks/generate.py)",
    })

    files = {"sites": sites, "population": population, "transfers": transfers, "transfers_cases": cases,
             "medevacs": medevacs, "incidents": incidents, "pledges": pledges}
    manifest = {"version": VERSION, "seed": seed, "period": [START.isoformat(), END.isoformat()], "files": {}}
    for name, frame in files.items():
        path = out / f"{name}.csv"
        _write(frame, "transfers" if name == "transfers_cases" else name, path)
        manifest["files"][name] = {"path": path.name, "rows": len(frame), "bytes": path.stat().st_size,
                                   "sha256": _sha256(path)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def current(out: Path, seed: int = SEED) -> dict | None:
    """The manifest of data already under `out` when it is this version's and complete, else None."""
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("version") != VERSION or manifest.get("seed") != seed:
        return None
    for entry in manifest["files"].values():
        path = out / entry["path"]
        if not path.exists() or path.stat().st_size != entry["bytes"]:
            return None
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--force", action="store_true", help="write the files even when they are current")
    args = parser.parse_args()
    if not args.force and current(args.out, args.seed):
        print(f"{args.out}: current (version {VERSION}, seed {args.seed})")
        return
    manifest = generate(args.out, args.seed)
    for name, entry in manifest["files"].items():
        print(f"{name:<16} {entry['rows']:>9,} rows {entry['bytes'] / 1e6:7.1f} MB  {entry['sha256'][:12]}")


if __name__ == "__main__":
    main()
