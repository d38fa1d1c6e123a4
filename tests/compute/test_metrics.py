"""Every headline figure against values worked out by hand on tests/files/tiny/.

Alpha: counts 1000 (2020-01-01), 900 and 880 from two sources (2020-04-01, median 890), 700 (2020-07-01).
Departed: 50 ALB 02-15, 40 DEU 03-10, 100 ALB 05-01, 80 FIN 06-15 (stage empty = departed);
30 ALB 06-20 submitted (not counted). Deaths: incident 5 on 03-20, 2 on 06-01, a medevac death 05-10.
Beta: count 200 (02-01), 20 departed to ALB 03-01, an incident with killed unknown (not zero deaths).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from resettle.compute import arithmetic, headline, reconciliation
from resettle.compute.scope import view_scope


def test_alpha_headline_figures(tiny_conn):
    s = headline.summary(tiny_conn, site="Alpha")
    assert s == {
        "as_of": "2020-07-01",
        "site": "Alpha",
        "baseline_population": 1000,
        "residents": 700,
        "relocated_total": 270,
        "relocated_by_country": {"ALB": 150, "FIN": 80, "DEU": 40},
        "percent_relocated": 27.0,
        "departures_last_90_days": 180,
        "projected_completion": "2021-06-16",
        "deaths_recorded": 8,
        "unexplained_change": -22,
    }


def test_beta_keeps_its_own_as_of(tiny_conn):
    s = headline.summary(tiny_conn, site="Beta")
    assert s["as_of"] == "2020-03-01"
    assert s["residents"] == 180
    assert s["relocated_total"] == 20
    assert s["deaths_recorded"] == 0  # killed unknown is not a death recorded
    assert s["departures_last_90_days"] == 20
    assert s["projected_completion"] == "2022-05-20"  # 180 / (20 / 90) = 810 days
    assert s["unexplained_change"] == 0


def test_all_sites_are_summed_at_one_as_of(tiny_conn):
    s = headline.summary(tiny_conn)
    assert s["site"] is None
    assert s["as_of"] == "2020-07-01"
    assert s["baseline_population"] == 1200
    assert s["residents"] == 880
    assert s["relocated_total"] == 290
    assert s["relocated_by_country"] == {"ALB": 170, "FIN": 80, "DEU": 40}
    assert s["percent_relocated"] == 24.2
    assert s["departures_last_90_days"] == 180
    assert s["projected_completion"] == "2021-09-14"  # 880 / 2 per day = 440 days
    assert s["deaths_recorded"] == 8
    assert s["unexplained_change"] == -22


def test_as_of_between_counts(tiny_conn):
    s = headline.summary(tiny_conn, site="Alpha", as_of=dt.date(2020, 4, 15))
    assert s["residents"] == 890  # median of 900 and 880
    assert s["relocated_total"] == 90
    assert s["relocated_by_country"] == {"ALB": 50, "DEU": 40}
    assert s["departures_last_90_days"] == 90
    assert s["deaths_recorded"] == 5
    assert s["projected_completion"] == "2022-09-22"
    assert s["unexplained_change"] == -15


def test_as_of_after_a_count_subtracts_later_flows(tiny_conn):
    s = headline.summary(tiny_conn, site="Alpha", as_of="2020-05-15")
    # 890 on 04-01, minus 100 departed 05-01, minus the medevac death of 05-10
    assert s["residents"] == 789


def test_as_of_before_any_count_has_no_residents(tiny_conn):
    s = headline.summary(tiny_conn, site="Alpha", as_of="2019-12-31")
    assert s["residents"] is None
    assert s["relocated_total"] == 0
    assert s["projected_completion"] is None
    assert s["baseline_population"] == 1000


def test_reconciliation_intervals(tiny_conn):
    rows = reconciliation.intervals(tiny_conn, view_scope(tiny_conn, ["Alpha"]))[0].to_dict("records")
    assert [(r["start"], r["end"], r["departures"], r["deaths"], r["unexplained_change"]) for r in rows] == [
        ("2020-01-01", "2020-04-01", 90, 5, -15),
        ("2020-04-01", "2020-07-01", 180, 3, -7),
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [([5], 5), ([1, 2], 2), ([1, 4], 3), ([2, 3], 3), ([10, 20, 90], 20), ([3, 4, 7, 100], 6)],
)
def test_median_rounds_halves_up(values, expected):
    assert arithmetic.medians_half_up(np.zeros(len(values), dtype=np.int64), np.array(values))[0] == expected


def test_people_counts_are_ints(tiny_conn):
    s = headline.summary(tiny_conn)
    for key in ("baseline_population", "residents", "relocated_total", "departures_last_90_days",
                "deaths_recorded", "unexplained_change"):
        assert type(s[key]) is int, key
    assert all(type(v) is int for v in s["relocated_by_country"].values())


def test_unknown_site_names_the_sites(tiny_conn):
    from resettle.domain.errors import UsageError

    with pytest.raises(UsageError, match="Alpha, Beta"):
        headline.summary(tiny_conn, site="Gamma")


def test_empty_database_summary(conn):
    s = headline.summary(conn)
    assert s["as_of"] is None and s["residents"] is None and s["relocated_total"] == 0
