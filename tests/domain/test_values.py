"""Values as publishers print them: suppression marks, fiscal years, footnote marks, dates split over columns."""

from __future__ import annotations

import datetime as dt

import pytest

from resettle.domain.values import (
    PARTS_SEPARATOR,
    Suppressed,
    ValueProblem,
    parse_count,
    parse_date,
    parse_date_parts,
    suppression,
)

D = dt.date


@pytest.mark.parametrize(("mark", "means"), [
    ("*", "a figure from 1 to 4, UNHCR's mark"), (" * ", "a figure from 1 to 4, UNHCR's mark"),
    ("<5", "a figure under 5"), ("< 10", "a figure under 10"), ("x", "a figure withheld"),
    ("X", "a figure withheld"), ("c", "a confidential figure"), ("..", "a figure not published"),
])
def test_a_suppressed_count_is_neither_zero_nor_missing(mark, means):
    assert suppression(mark) == means
    with pytest.raises(Suppressed) as caught:
        parse_count(mark)
    assert caught.value.mark == mark.strip() and caught.value.means == means
    assert str(caught.value) == f"suppressed by the source: {mark.strip()!r} is {means}"
    assert isinstance(caught.value, ValueProblem)  # every caller that handles a bad value handles it


@pytest.mark.parametrize("text", ["5", "", "NA", "-", "xx", "<5a", "c4"])
def test_other_values_are_no_suppression_marks(text):
    assert suppression(text) is None


def test_counts_and_missing_values_read_as_before():
    assert parse_count("1,009") == 1009 and parse_count("NA") is None and parse_count("") is None


@pytest.mark.parametrize(("text", "start", "stock", "flow"), [
    ("FY 2024", 10, D(2024, 9, 30), D(2023, 10, 1)),
    ("FY2024", 10, D(2024, 9, 30), D(2023, 10, 1)),
    ("FY24", 10, D(2024, 9, 30), D(2023, 10, 1)),
    ("fy 2023-24", 4, D(2024, 3, 31), D(2023, 4, 1)),
    ("FY 2023/2024", 7, D(2024, 6, 30), D(2023, 7, 1)),
    ("FY 2016", 1, D(2016, 12, 31), D(2016, 1, 1)),
    ("FY 2025*", 10, D(2025, 9, 30), D(2024, 10, 1)),
])
def test_a_fiscal_year_is_the_twelve_months_ending_in_that_year(text, start, stock, flow):
    assert parse_date(text, fiscal_start=start, period_end=True) == stock
    assert parse_date(text, fiscal_start=start, period_end=False) == flow


def test_a_year_in_a_fiscal_year_column_is_a_fiscal_year():
    assert parse_date("2024", fiscal_start=10, fiscal_column=True) == D(2024, 9, 30)
    assert parse_date("2024", fiscal_start=10, fiscal_column=True, period_end=False) == D(2023, 10, 1)
    assert parse_date("2024", fiscal_start=10) == D(2024, 12, 31)  # elsewhere a year is a calendar year


def test_a_fiscal_year_without_its_first_month_is_an_error_that_asks_for_it():
    for text, column in (("FY 2024", False), ("2024", True)):
        with pytest.raises(ValueProblem, match="--fiscal-year-start MONTH"):
            parse_date(text, fiscal_column=column)
    with pytest.raises(ValueProblem, match="not consecutive"):
        parse_date("FY 2020-24", fiscal_start=10)


@pytest.mark.parametrize(("text", "stock", "flow"), [
    ("2025*", D(2025, 12, 31), D(2025, 1, 1)), ("2025 *", D(2025, 12, 31), D(2025, 1, 1)),
    ("2024¹", D(2024, 12, 31), D(2024, 1, 1)), ("CY 2013", D(2013, 12, 31), D(2013, 1, 1)),
])
def test_a_year_with_a_footnote_mark_is_that_year(text, stock, flow):
    assert parse_date(text) == stock and parse_date(text, period_end=False) == flow


def parts(*cells: str) -> str:
    return PARTS_SEPARATOR.join(cells)


@pytest.mark.parametrize(("cells", "stock", "flow"), [
    (("2015", "3", "14"), D(2015, 3, 14), D(2015, 3, 14)),
    (("2015", "03", "14.0"), D(2015, 3, 14), D(2015, 3, 14)),
    (("2015.0", "March", "14"), D(2015, 3, 14), D(2015, 3, 14)),
    (("2015", "Sept", "1"), D(2015, 9, 1), D(2015, 9, 1)),
    (("2015", "février", "2"), D(2015, 2, 2), D(2015, 2, 2)),
    (("2015", "Févr.", ""), D(2015, 2, 28), D(2015, 2, 1)),
    (("2016", "août", ""), D(2016, 8, 31), D(2016, 8, 1)),
    (("2016", "décembre", "25"), D(2016, 12, 25), D(2016, 12, 25)),
    (("2016", "", ""), D(2016, 12, 31), D(2016, 1, 1)),
    (("2016", "Feb"), D(2016, 2, 29), D(2016, 2, 1)),
])
def test_a_date_split_over_columns(cells, stock, flow):
    assert parse_date_parts(parts(*cells)) == stock
    assert parse_date_parts(parts(*cells), period_end=False) == flow


def test_a_split_date_that_is_no_date_says_which_part():
    cases = {("2015", "13", "1"): "'13' is not a month that exists",
             ("2015", "Brumaire", "1"): "'Brumaire' is not a month",
             ("", "3", "1"): "has no year", ("2015", "", "3"): "has a day but no month",
             ("2015", "2", "30"): "is not a date that exists", ("15", "2", "3"): "'15' is not a year"}
    for cells, message in cases.items():
        with pytest.raises(ValueProblem, match=message):
            parse_date_parts(parts(*cells))
    assert parse_date_parts(parts("", "", "")) is None
