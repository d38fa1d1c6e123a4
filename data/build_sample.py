"""Build the ILLUSTRATIVE sample dataset of resettle: Camp Liberty (and Camp Ashraf), 2013-2016.

This is not an official record. The public milestones below are cited; everything between them is
interpolated openly by this script, and every row says which it is in its `source` column.

Run:  python data/build_sample.py      (standard library only, deterministic)

It writes sites.csv, population.csv, transfers.csv, medevacs.csv, incidents.csv and pledges.csv into
the package's data folder, src/resettle/ingest/sample_data/ (installed with resettle: `resettle demo`
loads them), then prints the totals the files produce (the table in sample_data/README.md comes from
that output). The script itself stays out of the package: nobody needs it to use the data.

How the numbers hang together (the dashboard's rules, DOMAIN.md):
  residents(D) = latest count C at t <= D - departed transfers in (t, D] - deaths in (t, D]
  unexplained(t1, t2) = (c2 - c1) + departures in (t1, t2] + deaths in (t1, t2]
The "UNHCR line" of population counts is computed from the flows, so that the unexplained change is 0
on every interval except two, on purpose:
  * Camp Liberty, 2013-06-30 -> 2013-09-30: +42, the Camp Ashraf survivors who arrived on 2013-09-11
    (an inflow the dashboard does not model);
  * Camp Liberty, 2014-03-31 -> 2014-06-30: the public figures do not add up. Starting from "over 3000"
    (2013) and ending at 2,901 relocated in all, UNHCR update no. 11's "about 2,700" (2014) sits some
    200 below what the recorded flows explain; the sample keeps the published figure and lets the
    dashboard show the gap.
Camp Ashraf shows -7 on 2013-08-31 -> 2013-09-02: the hostages taken on 2013-09-01.
Second-source (partisan) counts are extra rows; they differ from the UNHCR line by design.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "resettle" / "ingest" / "sample_data"
SEED = 20130209  # the date of the first attack in the sample; any fixed value keeps output stable
rng = random.Random(SEED)

LIBERTY = "Camp Liberty"
ASHRAF = "Camp Ashraf"
ORIGIN = "IRN"
D = date.fromisoformat

# --------------------------------------------------------------------------------------------------
# Canonical CSV columns (the `name` of each Field in src/resettle/domain/records.py, in that order).
# --------------------------------------------------------------------------------------------------
COLUMNS = {
    "sites": ["name", "country", "type", "opened", "closed", "capacity", "lat", "lon", "source"],
    "population": ["site", "date", "residents", "origin_country", "female", "male", "children",
                   "age_0_4", "age_5_11", "age_12_17", "age_18_59", "age_60_plus", "source"],
    "transfers": ["site", "date", "host_country", "people", "transfer_type", "stage", "case_id",
                  "origin_country", "source"],
    "medevacs": ["site", "date", "request_date", "patients", "destination", "reason", "outcome", "source"],
    "incidents": ["site", "date", "incident_type", "killed", "wounded", "hostages", "description", "source"],
    "pledges": ["host_country", "date", "places", "source"],
}

# --------------------------------------------------------------------------------------------------
# Public milestones (DOMAIN.md). Partisan sources are marked as such.
# --------------------------------------------------------------------------------------------------
SRC_UNHCR_2013 = "UNHCR statement 2013-03-18 (unhcr.org/5146f3839.html)"
SRC_UNAMI_DEU = "UNAMI 2013-04-18 (Germany offers to take about 100 residents)"
SRC_VOA = "VOA editorial 'Camp Hurriya resettlement begins'"
SRC_NEJAT = "nejatngo.org (anti-MEK source)"
SRC_UPDATE11 = "UNHCR update no. 11, as quoted by nejatngo.org (anti-MEK source)"
SRC_UPDATE13 = "UNHCR update no. 13, as quoted"
SRC_LAST = "US State Department 2016-09-09; usccar.org (pro-MEK source)"
SRC_UNHCR_ALB = "UNHCR reporting site 'former Ashraf residents relocated to Albania'"
SRC_NCRI = "NCRI statement (partisan)"

LIBERTY_2013_03_18 = (D("2013-03-18"), 3100)  # "has over 3000 residents" -> 3,100 (illustrative reading)
ATTACK_2013_02_09_KILLED = 8                   # UNHCR 2013-03-18
ALBANIA_FIRST_PLEDGE = (D("2013-03-18"), 210)  # UNHCR 2013-03-18
GERMANY_PLEDGE = (D("2013-04-18"), 100)        # UNAMI
FIRST_FLIGHT = (D("2013-05-15"), 14)           # VOA: first 14 leave for Albania
SECOND_FLIGHT = (D("2013-05-31"), 30)          # VOA: 30 more arrive in Tirana
GONE_BEFORE_NINTH_GROUP = 159                  # nejatngo.org: 159 had gone before 2013-09-13
NINTH_GROUP = (D("2013-09-13"), 20)            # the date is public; the group size is illustrative
ASHRAF_RESIDENTS_2013 = 101                    # "about 100 residents had stayed behind"
ASHRAF_ASSAULT = (D("2013-09-01"), 52, 7)      # killed, hostages (most reports)
ASHRAF_SURVIVORS_MOVED = (D("2013-09-11"), 42)  # survivors moved to Camp Liberty
UPDATE11 = (D("2014-06-30"), 2700)             # "about 2,700 live in the camp" (2014; exact date illustrative)
ATTACK_2015_10_29_KILLED = 24                  # UNHCR update no. 13 as quoted
END_2015_RELOCATED = 1104                      # "more than 1,100 relocated in all" (end 2015)
END_2015_REMAINING_BELOW = 1970                # "fewer than 1,970 remain" (end 2015)
TOTAL_RELOCATED = 2901                         # "2,901 relocated from Iraq since 2013"
ALBANIA_2016_REPORTED = 1900                   # "1,900 (elsewhere 1,942) relocated to Albania in 2016"
LAST_FLIGHTS = (D("2016-09-09"), (142, 138))   # the last 280 leave on two flights (split illustrative)

# Third-country departures (illustrative sizes; the countries are named in public reporting), per
# period: up to UNHCR update no. 11 / to the end of 2015 / 2016. Each becomes family cases with a
# case_id, except one German group flight.
THIRD_COUNTRIES = {
    "DEU": (19, 81, 5),
    "FIN": (0, 28, 2),
    "ITA": (0, 24, 1),
    "NLD": (0, 18, 2),
    "DNK": (0, 18, 2),
    "NOR": (0, 14, 1),
    "IRL": (0, 10, 2),
    "GBR": (0, 12, 3),
    "USA": (0, 8, 2),
    "ROU": (0, 6, 2),
}
GERMAN_GROUP_FLIGHT = (D("2014-12-10"), 40)  # part of DEU's second-period total (illustrative)
HOST_NAMES = {"DEU": "Germany", "FIN": "Finland", "ITA": "Italy", "NLD": "the Netherlands", "DNK": "Denmark",
              "NOR": "Norway", "IRL": "Ireland", "GBR": "the United Kingdom", "USA": "the United States",
              "ROU": "Romania"}

ILL = "(illustrative)"


def iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def rand_date(start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def rand_dates(start: date, end: date, n: int, avoid: set[date] = frozenset()) -> list[date]:
    out: set[date] = set()
    while len(out) < n:
        d = rand_date(start, end)
        if d not in avoid:
            out.add(d)
    return sorted(out)


def split(total: int, n: int, lo: int = 1) -> list[int]:
    """Split `total` into n whole parts >= lo, unevenly (weights 0.6-1.4), summing exactly to total."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
    parts = [max(lo, int(total * w / sum(weights))) for w in weights]
    parts[parts.index(max(parts))] += total - sum(parts)
    assert sum(parts) == total and min(parts) >= lo, (total, parts)
    return parts


def family_sizes(total: int) -> list[int]:
    """Family cases of 1-8 people (mostly small) summing exactly to total."""
    sizes = []
    while total > 0:
        s = min(total, rng.choices(range(1, 9), weights=(30, 20, 18, 14, 8, 5, 3, 2))[0])
        sizes.append(s)
        total -= s
    return sizes


# --------------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------------
SITES = [
    {"name": LIBERTY, "country": "IRQ", "type": "camp", "opened": "2012-02-18", "closed": "2016-09-09",
     "capacity": "", "lat": "33.28", "lon": "44.23",
     "source": "Former US base near Baghdad International Airport (Camp Hurriya); first residents moved "
               "in February 2012 (approximate date); closed when the last 280 left: " + SRC_LAST},
    {"name": ASHRAF, "country": "IRQ", "type": "camp", "opened": "", "closed": "2013-09-11",
     "capacity": "", "lat": "33.63", "lon": "44.83",
     "source": "Diyala province, established in the 1980s (opening date not given); about 100 residents "
               "stayed behind until the survivors of the 2013-09-01 assault were moved to Camp Liberty "
               "on 2013-09-11 (press reporting)"},
]

# --------------------------------------------------------------------------------------------------
# Incidents
# --------------------------------------------------------------------------------------------------
INCIDENTS = [
    (LIBERTY, "2013-02-09", "rocket_attack", ATTACK_2013_02_09_KILLED, 50, 0,
     "Mortar/rocket attack on the camp; 8 killed. Reports speak of dozens wounded (wounded figure illustrative).",
     SRC_UNHCR_2013),
    (LIBERTY, "2013-06-15", "rocket_attack", 2, 20, 0,
     "Rocket attack on the camp (figures illustrative).",
     "Press reports (illustrative)"),
    (ASHRAF, "2013-09-01", "armed_assault", ASHRAF_ASSAULT[1], None, ASHRAF_ASSAULT[2],
     "Assault on Camp Ashraf, where about 100 residents had stayed behind: 52 killed and 7 taken hostage "
     "by most reports. The news report this project started from says five hostages and 'more than half "
     "of the 100 residents' killed.",
     "UN (UNAMI) and press reports (most reports: 52 killed, 7 hostages)"),
    (LIBERTY, "2013-12-26", "rocket_attack", 3, 30, 0,
     "Rocket attack on the camp (figures illustrative).",
     "Press reports (illustrative)"),
    (LIBERTY, "2014-02-20", "blockade", 0, 0, 0,
     "Fuel and supplies held at the gate; residents protest. No casualties.",
     "Press reports; NCRI statements (partisan) (illustrative)"),
    (LIBERTY, "2014-08-05", "shooting", None, None, 0,
     "Shots reported near the camp perimeter; casualties unknown (killed left blank = unknown).",
     "NCRI statement (partisan) (illustrative)"),
    (LIBERTY, "2015-03-12", "protest", 0, 0, 0,
     "Protest over restrictions on access of lawyers, relatives and medical staff. No casualties.",
     "Press reports (illustrative)"),
    (LIBERTY, "2015-10-29", "rocket_attack", ATTACK_2015_10_29_KILLED, 40, 0,
     "Rocket attack on the camp; 24 killed. 'About 80 missiles' is an NCRI claim (partisan) relayed in "
     "the press. Wounded figure illustrative; the wounded were taken to hospital in Baghdad.",
     SRC_UPDATE13 + "; NCRI (partisan) for the number of missiles"),
    (LIBERTY, "2016-07-04", "rocket_attack", 0, 15, 0,
     "Rocket attack on the camp; no deaths in the sample (figures illustrative).",
     "Press reports (illustrative)"),
]

# --------------------------------------------------------------------------------------------------
# Medical evacuations (Camp Liberty). No names, counts only.
# (evacuated, requested, patients, destination, reason, outcome, source)
# --------------------------------------------------------------------------------------------------
HOSP = "Baghdad hospital"
IBN_SINA = "Ibn Sina Hospital, Baghdad"
MEDICAL_CITY = "Medical City, Baghdad"
SRC_WOUNDED_2015 = "Illustrative, after press reports: wounded taken to hospital in Baghdad"
SRC_BLOCKADE = "Illustrative, after press reports of a medical blockade (NCRI statements, partisan)"
MEDEVACS_FIXED = [
    # wounded of the attacks, taken out the same day or soon after
    ("2013-02-09", "2013-02-09", 6, IBN_SINA, "injury", "returned", "Illustrative, after " + SRC_UNHCR_2013),
    ("2013-02-09", "2013-02-09", 5, HOSP, "injury", "returned", "Illustrative, after " + SRC_UNHCR_2013),
    ("2013-02-09", "2013-02-09", 4, MEDICAL_CITY, "injury", "returned", "Illustrative, after " + SRC_UNHCR_2013),
    ("2013-02-09", "2013-02-09", 3, HOSP, "injury", "returned", "Illustrative, after " + SRC_UNHCR_2013),
    ("2013-02-10", "2013-02-09", 2, HOSP, "injury", "returned", "Illustrative, after " + SRC_UNHCR_2013),
    ("2013-06-15", "2013-06-15", 3, HOSP, "injury", "returned", "Press reports (illustrative)"),
    ("2013-06-16", "2013-06-15", 2, IBN_SINA, "injury", "returned", "Press reports (illustrative)"),
    ("2013-12-26", "2013-12-26", 4, HOSP, "injury", "returned", "Press reports (illustrative)"),
    ("2013-12-27", "2013-12-26", 2, IBN_SINA, "injury", "returned", "Press reports (illustrative)"),
    ("2015-10-29", "2015-10-29", 6, HOSP, "injury", "returned", SRC_WOUNDED_2015),
    ("2015-10-29", "2015-10-29", 5, HOSP, "injury", "returned", SRC_WOUNDED_2015),
    ("2015-10-29", "2015-10-29", 4, IBN_SINA, "injury", "returned", SRC_WOUNDED_2015),
    ("2015-10-29", "2015-10-29", 3, MEDICAL_CITY, "injury", "returned", SRC_WOUNDED_2015),
    ("2015-10-29", "2015-10-29", 1, HOSP, "injury", "died", SRC_WOUNDED_2015),
    ("2015-10-31", "2015-10-29", 2, HOSP, "injury", "returned", SRC_WOUNDED_2015),
    ("2015-12-14", "2015-10-29", 1, "Hospital abroad (via Baghdad)", "injury", "transferred_abroad", "Illustrative, after press reports"),
    ("2016-07-04", "2016-07-04", 2, HOSP, "injury", "returned", "Press reports (illustrative)"),
    # the blockade: long waits, deaths, denials, requests still open when the camp closed
    ("2013-11-20", "2013-10-02", 1, IBN_SINA, "illness", "died", SRC_BLOCKADE),
    ("2014-04-15", "2014-02-20", 1, HOSP, "illness", "died", SRC_BLOCKADE),
    ("2015-06-10", "2015-04-22", 1, MEDICAL_CITY, "illness", "died", SRC_BLOCKADE),
    ("2016-03-12", "2016-02-01", 1, IBN_SINA, "illness", "died", SRC_BLOCKADE),
    ("2014-09-22", "2014-08-18", 1, "Hospital abroad (via Baghdad)", "illness", "transferred_abroad", SRC_BLOCKADE),
    (None, "2013-07-22", 1, HOSP, "illness", "denied", SRC_BLOCKADE),
    (None, "2014-01-14", 1, IBN_SINA, "illness", "denied", SRC_BLOCKADE),
    (None, "2014-10-06", 2, HOSP, "other", "denied", SRC_BLOCKADE),
    (None, "2015-03-02", 1, MEDICAL_CITY, "illness", "denied", SRC_BLOCKADE),
    (None, "2015-08-19", 1, HOSP, "illness", "denied", SRC_BLOCKADE),
    (None, "2016-08-15", 1, IBN_SINA, "illness", "pending", SRC_BLOCKADE),
    (None, "2016-08-29", 1, HOSP, "illness", "pending", SRC_BLOCKADE),
]
# Routine evacuations between the events above: (year, how many, max waiting days)
MEDEVAC_ROUTINE = [(2013, 5, 20), (2014, 7, 60), (2015, 7, 60), (2016, 4, 30)]


def medevac_rows() -> list[dict]:
    rows = []
    for ev, req, n, dest, reason, outcome, src in MEDEVACS_FIXED:
        rows.append({"date": D(ev) if ev else None, "request_date": D(req), "patients": n,
                     "destination": dest, "reason": reason, "outcome": outcome, "source": src})
    for year, count, max_wait in MEDEVAC_ROUTINE:
        start = D("2013-03-01") if year == 2013 else date(year, 1, 1)
        end = D("2016-08-31") if year == 2016 else date(year, 12, 31)
        for _ in range(count):
            evacuated = rand_date(start, end)
            wait = rng.randint(0, max_wait)
            rows.append({"date": evacuated, "request_date": evacuated - timedelta(days=wait),
                         "patients": 1, "destination": rng.choice([HOSP, HOSP, IBN_SINA, MEDICAL_CITY]),
                         "reason": rng.choice(["illness", "illness", "illness", "other"]),
                         "outcome": "returned", "source": SRC_BLOCKADE})
    for r in rows:
        r["site"] = LIBERTY
    return sorted(rows, key=lambda r: (r["date"] or r["request_date"], r["request_date"], -r["patients"]))


# --------------------------------------------------------------------------------------------------
# Deaths and transfers
# --------------------------------------------------------------------------------------------------
def deaths_by_date(site: str, medevacs: list[dict]) -> list[tuple[date, int]]:
    out = [(D(i[1]), i[3]) for i in INCIDENTS if i[0] == site and i[3]]
    out += [(m["date"], m["patients"]) for m in medevacs if m["site"] == site and m["outcome"] == "died"]
    return out


def flow_sum(events: list[tuple[date, int]], after: date, upto: date) -> int:
    """Sum of events with after < date <= upto."""
    return sum(n for d, n in events if after < d <= upto)


def transfer(d, host, people, src, case_id="", ttype="relocation", stage="departed", site=LIBERTY):
    return {"site": site, "date": d, "host_country": host, "people": people, "transfer_type": ttype,
            "stage": stage, "case_id": case_id, "origin_country": ORIGIN, "source": src}


def build_transfers(deaths: list[tuple[date, int]]) -> tuple[list[dict], dict]:
    t11, residents11 = UPDATE11
    last_date, last_flights = LAST_FLIGHTS
    end_2015 = D("2015-12-31")
    rows = []

    # Period 0: the first flights and the groups up to the ninth (public totals, dates of groups 3-8
    # and their sizes interpolated).
    rows.append(transfer(FIRST_FLIGHT[0], "ALB", FIRST_FLIGHT[1], SRC_VOA + ": first 14 leave for Albania"))
    rows.append(transfer(SECOND_FLIGHT[0], "ALB", SECOND_FLIGHT[1], SRC_VOA + ": 30 more arrive in Tirana"))
    groups_3_8 = GONE_BEFORE_NINTH_GROUP - FIRST_FLIGHT[1] - SECOND_FLIGHT[1]
    for d, n in zip(rand_dates(D("2013-06-20"), D("2013-09-06"), 6), split(groups_3_8, 6), strict=True):
        rows.append(transfer(d, "ALB", n, "Interpolated between VOA 2013-05-31 (44 gone) and nejatngo.org "
                                          f"2013-09-13 (anti-MEK source; 159 gone): groups 3 to 8 {ILL}"))
    rows.append(transfer(NINTH_GROUP[0], "ALB", NINTH_GROUP[1],
                         f"{SRC_NEJAT}: a ninth group leaves, 159 had gone before it (group size illustrative)"))

    # Everything after UNHCR update no. 11 must leave or die by the last flights:
    deaths_after_11 = flow_sum(deaths, t11, last_date)
    departures_upto_11 = TOTAL_RELOCATED - (residents11 - deaths_after_11)
    departures_2014_2015 = END_2015_RELOCATED - departures_upto_11
    departures_2016 = TOTAL_RELOCATED - END_2015_RELOCATED

    # Third countries: family cases (case_id assigned below), plus one German group flight.
    periods = [(D("2013-10-01"), t11), (t11 + timedelta(days=1), end_2015),
               (D("2016-01-05"), last_date - timedelta(days=10))]
    third = [0, 0, 0]
    for host, totals in THIRD_COUNTRIES.items():
        for k, total in enumerate(totals):
            third[k] += total
            if host == "DEU" and k == 1:
                d, n = GERMAN_GROUP_FLIGHT
                rows.append(transfer(d, "DEU", n, "Illustrative group flight under the German offer of 2013-04-18 (UNAMI)"))
                total -= n
            for size in family_sizes(total):
                rows.append(transfer(rand_date(*periods[k]), host, size,
                                     f"Illustrative family case ({HOST_NAMES[host]} named among host "
                                     "countries in public reporting)", case_id="pending-id"))

    # Albania flights that close each gap (the interpolation between the public totals).
    alb_1 = departures_upto_11 - GONE_BEFORE_NINTH_GROUP - NINTH_GROUP[1] - third[0]
    alb_2 = departures_2014_2015 - third[1]
    alb_3 = departures_2016 - sum(last_flights) - third[2]
    plan = [
        (alb_1, 2, D("2013-10-01"), t11 - timedelta(days=5),
         "Interpolated between nejatngo.org 2013-09-13 (anti-MEK source) and UNHCR update no. 11 (2014) "
         f"{ILL}"),
        (alb_2, 14, t11 + timedelta(days=10), D("2015-12-20"),
         "Interpolated between UNHCR update no. 11 (2014) and UNHCR update no. 13 (more than 1,100 "
         f"relocated by end 2015) {ILL}"),
        (alb_3, 16, D("2016-01-12"), last_date - timedelta(days=7),
         "Interpolated between UNHCR update no. 13 (end 2015) and State Department 2016-09-09 (last 280); "
         f"UNHCR: about 1,900 relocated to Albania in 2016 {ILL}"),
    ]
    for total, flights, start, end, src in plan:
        assert total > 0, (total, src)
        for d, n in zip(rand_dates(start, end, flights, avoid={D("2015-10-29")}), split(total, flights, lo=10), strict=True):
            rows.append(transfer(d, "ALB", n, src))
    for n in last_flights:
        rows.append(transfer(last_date, "ALB", n, SRC_LAST + ": the last 280 residents leave on two "
                                                          "UNHCR-chartered flights (split between flights illustrative)"))

    # Cases still open (not departures): submitted / accepted, 2016.
    open_cases = [
        ("2016-03-21", "DEU", 4, "family_reunification", "submitted"),
        ("2016-04-11", "NLD", 2, "family_reunification", "accepted"),
        ("2016-05-03", "GBR", 3, "family_reunification", "submitted"),
        ("2016-05-30", "USA", 5, "resettlement", "submitted"),
        ("2016-06-22", "FIN", 1, "resettlement", "accepted"),
        ("2016-07-14", "DEU", 6, "family_reunification", "accepted"),
        ("2016-08-08", "NOR", 2, "family_reunification", "submitted"),
        ("2016-08-25", "IRL", 3, "resettlement", "submitted"),
    ]
    for d, host, n, ttype, stage in open_cases:
        rows.append(transfer(D(d), host, n, "Illustrative case, still open when the sample ends (not a departure)",
                             case_id="pending-id", ttype=ttype, stage=stage))

    # Camp Ashraf: the survivors are moved inside Iraq, to Camp Liberty.
    d, n = ASHRAF_SURVIVORS_MOVED
    rows.append(transfer(d, "IRQ", n, "Press and UN (UNAMI) reporting: surviving residents moved to Camp Liberty "
                                      "(count derived: about 100 less 52 killed and 7 hostages)",
                         ttype="other", site=ASHRAF))

    rows.sort(key=lambda r: (r["date"], r["site"], r["stage"] != "departed", r["host_country"], -r["people"]))
    k = 0
    for r in rows:
        if r["case_id"]:
            k += 1
            r["case_id"] = f"LIB-C{k:04d}"
    derived = {"departures_upto_update11": departures_upto_11, "alb_per_period": (alb_1, alb_2, alb_3)}
    return rows, derived


# --------------------------------------------------------------------------------------------------
# Population counts: the UNHCR line (computed from the flows between anchors) and second sources.
# --------------------------------------------------------------------------------------------------
def population_rows(transfers: list[dict], deaths: list[tuple[date, int]]) -> list[dict]:
    departures = [(t["date"], t["people"]) for t in transfers if t["site"] == LIBERTY and t["stage"] == "departed"]
    arrivals = [ASHRAF_SURVIVORS_MOVED]
    t0, c0 = LIBERTY_2013_03_18
    t11, c11 = UPDATE11
    last = LAST_FLIGHTS[0]

    def carry(from_date: date, count: int, to_date: date) -> int:
        """Count at to_date implied by the flows from a known count (both directions)."""
        if to_date >= from_date:
            return (count - flow_sum(departures, from_date, to_date) - flow_sum(deaths, from_date, to_date)
                    + flow_sum(arrivals, from_date, to_date))
        return (count + flow_sum(departures, to_date, from_date) + flow_sum(deaths, to_date, from_date)
                - flow_sum(arrivals, to_date, from_date))

    quarter_ends = [date(y, m, d) for y in (2013, 2014, 2015, 2016) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
    dates = sorted({D("2013-01-31"), t0, D("2015-10-31"), D("2016-08-31"), last}
                   | {q for q in quarter_ends if q <= last})
    # (the count carries the previous milestone forward by the recorded departures and deaths)
    between_0_11 = ("Interpolated between UNHCR 2013-03-18 and UNHCR update no. 11 (2014): "
                    f"the 2013 figure less recorded departures and deaths {ILL}")
    between_11_13 = ("Interpolated between UNHCR update no. 11 (2014) and UNHCR update no. 13 (end 2015): "
                     f"the 2014 figure less recorded departures and deaths {ILL}")
    between_13_last = ("Interpolated between UNHCR update no. 13 (end 2015) and State Department 2016-09-09 "
                       f"(last 280 leave): recorded departures and deaths {ILL}")
    rows = []
    for d in dates:
        if d < t0:
            n = carry(t0, c0, d)
            src = (f"Illustrative baseline: {SRC_UNHCR_2013} ('over 3000 residents') plus the "
                   f"{ATTACK_2013_02_09_KILLED} killed on 2013-02-09")
        elif d == t0:
            n, src = c0, f"{SRC_UNHCR_2013}: 'over 3000 residents' (3,100 is an illustrative reading)"
        elif d < t11:
            n, src = carry(t0, c0, d), between_0_11
        elif d == t11:
            n, src = c11, f"{SRC_UPDATE11}: 'about 2,700' live in the camp (2014; exact date illustrative)"
        elif d == D("2015-12-31"):
            n = carry(t11, c11, d)
            src = (f"{SRC_UPDATE13}: 'fewer than 1,970 remain' (exact figure interpolated from "
                   f"recorded flows) {ILL}")
            assert n < END_2015_REMAINING_BELOW, n
        elif d == last:
            n, src = carry(t11, c11, d), f"{SRC_LAST}: the last 280 residents left; camp empty"
            assert n == 0, f"Camp Liberty should be empty after the last flights, flows leave {n}"
        else:
            n = carry(t11, c11, d)
            src = between_11_13 if d <= D("2015-12-31") else between_13_last
        rows.append({"site": LIBERTY, "date": d, "residents": n, "source": src})

    # A female/male split on a few rows (illustrative, about one third women).
    for r in rows:
        if r["date"] in (t0, D("2015-12-31"), D("2016-06-30")):
            r["female"] = round(r["residents"] * 0.32)
            r["male"] = r["residents"] - r["female"]
            r["source"] += "; female/male split illustrative"

    # Second sources on the same dates: they disagree with the UNHCR line (figures illustrative).
    rows += [
        {"site": LIBERTY, "date": t0, "residents": 3400, "source": f"{SRC_NCRI}, figure illustrative"},
        {"site": LIBERTY, "date": t11, "residents": 2950, "source": f"{SRC_NCRI}, figure illustrative"},
        {"site": LIBERTY, "date": D("2015-10-31"), "residents": 2100, "source": f"{SRC_NCRI}, figure illustrative"},
        {"site": LIBERTY, "date": D("2015-12-31"), "residents": 2000,
         "source": f"{SRC_NEJAT}: 'about 2,000 remain', figure illustrative"},
    ]

    # Camp Ashraf: about 100 until the assault, then the survivors, then empty.
    a_src = "Press reports: about 100 residents stayed behind at Camp Ashraf (101 is illustrative)"
    for d in ("2013-01-31", "2013-03-31", "2013-06-30", "2013-08-31"):
        rows.append({"site": ASHRAF, "date": D(d), "residents": ASHRAF_RESIDENTS_2013, "source": a_src})
    survivors = ASHRAF_RESIDENTS_2013 - ASHRAF_ASSAULT[1] - ASHRAF_ASSAULT[2]
    assert survivors == ASHRAF_SURVIVORS_MOVED[1]
    rows.append({"site": ASHRAF, "date": D("2013-09-02"), "residents": survivors,
                 "source": "Derived from press and UN reports of the 2013-09-01 assault (about 100 less 52 "
                           "killed and 7 hostages) (illustrative)"})
    rows.append({"site": ASHRAF, "date": ASHRAF_SURVIVORS_MOVED[0], "residents": 0,
                 "source": "Press and UN (UNAMI) reporting: survivors moved to Camp Liberty, camp empty"})
    for r in rows:
        r["origin_country"] = ORIGIN
    rows.sort(key=lambda r: (r["site"] != LIBERTY, r["date"], r["source"].startswith((SRC_NCRI, SRC_NEJAT))))
    return rows


# --------------------------------------------------------------------------------------------------
# Pledges
# --------------------------------------------------------------------------------------------------
PLEDGES = [
    ("ALB", ALBANIA_FIRST_PLEDGE[0], ALBANIA_FIRST_PLEDGE[1], SRC_UNHCR_2013 + ": Albania offered to take 210"),
    ("DEU", GERMANY_PLEDGE[0], GERMANY_PLEDGE[1], SRC_UNAMI_DEU),
    ("ALB", D("2014-02-12"), 790, "Further Albanian offer (illustrative)"),
    *[(host, D(d), places, f"Illustrative pledge ({HOST_NAMES[host]} named among host countries in public reporting)")
      for host, d, places in (("FIN", "2014-03-11", 30), ("ITA", "2014-04-08", 25), ("NLD", "2014-04-22", 20),
                              ("DNK", "2014-05-06", 20), ("NOR", "2014-05-20", 15), ("IRL", "2014-06-03", 12),
                              ("GBR", "2014-06-10", 15), ("USA", "2014-06-17", 10), ("ROU", "2014-06-24", 10))],
    ("DEU", D("2015-06-02"), 20, "Further German offer (illustrative)"),
    ("ALB", D("2016-01-05"), 1900, "Albania agrees to take the remaining residents (illustrative; cf. "
                                   + SRC_UNHCR_ALB + ": 1,900 relocated to Albania in 2016)"),
]


# --------------------------------------------------------------------------------------------------
# Writing and totals
# --------------------------------------------------------------------------------------------------
def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def write(kind: str, rows: list[dict]) -> None:
    cols = COLUMNS[kind]
    with open(OUT / f"{kind}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([cell(r.get(c)) for c in cols])


def main() -> None:
    medevacs = medevac_rows()
    liberty_deaths = deaths_by_date(LIBERTY, medevacs)
    transfers, derived = build_transfers(liberty_deaths)
    population = population_rows(transfers, liberty_deaths)
    incidents = [dict(zip(COLUMNS["incidents"], (s, D(d), t, k, w, h, desc, src), strict=True))
                 for s, d, t, k, w, h, desc, src in INCIDENTS]
    pledges = [dict(zip(COLUMNS["pledges"], p, strict=True)) for p in PLEDGES]

    tables = {"sites": SITES, "population": population, "transfers": transfers,
              "medevacs": medevacs, "incidents": incidents, "pledges": pledges}
    for kind, rows in tables.items():
        assert all(r.get("source") for r in rows), kind
        write(kind, rows)

    # Totals (as of 2016-09-09 = every date in the files for Camp Liberty)
    departed = [t for t in transfers if t["site"] == LIBERTY and t["stage"] == "departed"]
    by_country: dict[str, int] = {}
    for t in departed:
        by_country[t["host_country"]] = by_country.get(t["host_country"], 0) + t["people"]
    baseline = min((r for r in population if r["site"] == LIBERTY), key=lambda r: r["date"])["residents"]
    relocated = sum(by_country.values())
    alb_2016 = sum(t["people"] for t in departed if t["host_country"] == "ALB" and t["date"].year == 2016)
    end_2015 = sum(t["people"] for t in departed if t["date"] <= D("2015-12-31"))
    assert relocated == TOTAL_RELOCATED, relocated
    assert end_2015 == END_2015_RELOCATED
    assert sum(t["people"] for t in departed if t["date"] < NINTH_GROUP[0]) == GONE_BEFORE_NINTH_GROUP
    assert all(r.get(c) is None or not isinstance(r[c], date) or r[c] <= D("2016-12-31")
               for rows in tables.values() for r in rows for c in r)
    inc_deaths = sum(i[3] or 0 for i in INCIDENTS if i[0] == LIBERTY)
    died = sum(m["patients"] for m in medevacs if m["outcome"] == "died")
    ashraf_killed = sum(i[3] or 0 for i in INCIDENTS if i[0] == ASHRAF)

    print("| figure (Camp Liberty unless said) | value |")
    print("|---|---|")
    print(f"| baseline population (2013-01-31) | {baseline:,} |")
    print(f"| relocated total, departed, 2013-05-15 to 2016-09-09 | {relocated:,} |")
    print(f"| relocated by end 2015 | {end_2015:,} |")
    print(f"| relocated to Albania (ALB) | {by_country['ALB']:,} (of which in 2016: {alb_2016:,}) |")
    print("| relocated by other host country | " + ", ".join(
        f"{c} {n}" for c, n in sorted(by_country.items(), key=lambda kv: -kv[1]) if c != "ALB") + " |")
    print(f"| percent relocated | {100 * relocated / baseline:.1f} % |")
    print(f"| deaths recorded | {inc_deaths + died} ({inc_deaths} in attacks, {died} after medical evacuation) |")
    print(f"| Camp Ashraf | about {ASHRAF_RESIDENTS_2013}; {ashraf_killed} killed, {ASHRAF_ASSAULT[2]} hostages, "
          f"{ASHRAF_SURVIVORS_MOVED[1]} moved to Camp Liberty (transfer to IRQ, type other) |")
    print("| residents on 2016-09-09 | 0 |")
    print("| rows per file | " + ", ".join(f"{k}.csv {len(v)}" for k, v in tables.items()) + " |")
    print(f"# derived: departures up to UNHCR update no. 11: {derived['departures_upto_update11']}, "
          f"Albania flights per period: {derived['alb_per_period']}")


if __name__ == "__main__":
    main()
