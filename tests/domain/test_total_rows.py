"""The names and codes of rows that sum others (domain/total_rows.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from resettle.domain import countries, total_rows

WORLD_BANK = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "worldbank_refugees_by_origin_wide.csv"


@pytest.mark.parametrize("label", ["Total", "TOTAL", "Totals", "Sub-total", "Subtotal", "sub total", "Grand Total",
                                   "Grand totals", "All", "Total Africa", "Africa total", "Total général",
                                   "Sous-total", "sous-total Afrique", "Total:"])
def test_total_labels(label):
    assert total_rows.is_total_label(label)


@pytest.mark.parametrize("label", ["All Saints", "Totalville", "Camp Liberty", "Kakuma", "", "Tot", "Allied camp"])
def test_not_total_labels(label):
    assert not total_rows.is_total_label(label)


@pytest.mark.parametrize("name", ["World", "WLD", "Sub-Saharan Africa", "SSF", "High income", "HIC", "ARB", "INX",
                                  "Europe & Central Asia", "Africa", "Northern Africa", "Americas", "Oceania",
                                  "Latin America and the Caribbean", "Asia", "Europe", "001", "Monde", "1W"])
def test_aggregates(name):
    assert total_rows.is_aggregate(name)


@pytest.mark.parametrize("name", ["South Africa", "Central African Republic", "Micronesia", "Albania", "ALB",
                                  "Guinea", "Kakuma", "Americas Camp", "EUR"])
def test_countries_and_sites_are_not_aggregates(name):
    assert not total_rows.is_aggregate(name)


def test_no_aggregate_code_is_a_country_code():
    clashes = []
    for code in (*total_rows.WORLD_BANK_CODES, *total_rows.WORLD_BANK_SHORT_CODES, *total_rows.M49_CODES):
        try:
            if countries.to_iso3(code) is not None:
                clashes.append(code)
        except countries.UnknownCountry:
            pass
    assert clashes == []


def test_the_world_bank_files_aggregates_are_all_known_and_its_countries_are_not():
    with open(WORLD_BANK, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[5:]
    flagged = [(name, code) for name, code, *_ in rows if total_rows.is_aggregate(code) or total_rows.is_aggregate(name)]
    assert len(rows) == 264 and len(flagged) == 47
    assert ("World", "WLD") in flagged and ("Sub-Saharan Africa", "SSF") in flagged
    countries_left = [code for name, code, *_ in rows if (name, code) not in flagged]
    assert len(countries_left) == 217 and "ZAF" in countries_left and "CAF" in countries_left
