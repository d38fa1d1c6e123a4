"""Values as people write them: counts, dates, enum words and text, parsed one distinct value at a time.

Each parser returns the stored value (or None for missing) and raises `ValueProblem` with a message
a person can act on. The importer calls them once per distinct value in a column, not once per row.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable

# The one list of missing-value markers: what people write for "no value", compared stripped and casefolded.
# Every parser reads them as missing; reading (column kinds) and countries (normalised names) derive theirs
# from these two sets.
MISSING = frozenset({"", "na", "n/a", "n.a.", "nan", "-", "--", "—", "tbd", "null", "none", "unknown", "?", "..", "..."})
# More words that stand in for a figure in published tables ("nil", "tba", "x" for a figure withheld). A
# reader of a table knows they are no column name and no text; the parsers do not read them as missing:
# a count of "x" is reported to the user, not stored as empty.
STAND_INS = frozenset({"n.a", "nil", "tba", "unk", "missing", "x", "xx"})
# Marks publishers put in place of a count they withhold to protect people: not zero, not missing by
# accident, not an error in the data. A count written so is reported as suppressed (parse_count raises
# Suppressed), with what the mark means. Compared stripped and casefolded; "<N" for any N is "under N".
SUPPRESSION_MARKS: dict[str, str] = {
    "*": "a figure from 1 to 4, UNHCR's mark",
    "x": "a figure withheld",
    "c": "a confidential figure",
    "..": "a figure not published",
}
_UNDER = re.compile(r"^<\s*(\d+)$")


class ValueProblem(ValueError):
    """A value that cannot be stored; str() is the message shown after FILE:LINE: COLUMN:."""


def suppression(raw: str | None) -> str | None:
    """What a suppression mark means (`*`, `<5`, `x`, `c`, `..`), or None when `raw` is no such mark."""
    if raw is None:
        return None
    key = raw.strip().casefold()
    if key in SUPPRESSION_MARKS:
        return SUPPRESSION_MARKS[key]
    if m := _UNDER.match(key):
        return f"a figure under {m.group(1)}"
    return None


class Suppressed(ValueProblem):
    """A count the source withheld (`*`, `<5`, ...): `mark` as written and what it `means`."""

    def __init__(self, mark: str, means: str):
        self.mark, self.means = mark, means
        super().__init__(f"suppressed by the source: {mark!r} is {means}")


def is_missing(raw: str | None) -> bool:
    """True for None and for a missing-value marker (MISSING), whatever its case and surrounding spaces."""
    return raw is None or raw.strip().casefold() in MISSING


# ---------------------------------------------------------------- numbers

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,\u00a0\u202f ' ]\d{3})+(\.0+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 1.009: a thousand and nine, written the German way


def parse_count(raw: str | None) -> int | None:
    """A whole number of people (>= 0): `1009`, `"1,009"`, `1 009`, `476.0`; missing tokens give None.
    A suppression mark (`*`, `<5`, `x`, `c`, `..`) raises Suppressed: a figure withheld is not missing."""
    if (means := suppression(raw)) is not None:
        raise Suppressed(raw.strip(), means)
    if is_missing(raw):
        return None
    text = raw.strip()
    if _THOUSANDS.match(text):
        text = re.sub(r"[,\u00a0\u202f ']", "", text)
    if not _PLAIN.match(text):
        raise ValueProblem(f"{raw.strip()!r} is not a number")
    if re.match(r"^[+-]?\d+$", text):
        value = int(text)
    else:
        number = float(text)
        if not number.is_integer():
            hint = " (if '.' separates thousands here, leave it out)" if _DOT_THOUSANDS.match(text) else ""
            raise ValueProblem(f"{raw.strip()} is not a whole number (counts of people are whole){hint}")
        value = int(number)
    if value < 0:
        raise ValueProblem(f"{raw.strip()} is negative")
    return value


def parse_real(raw: str | None, low: float | None = None, high: float | None = None) -> float | None:
    """A decimal number such as a latitude; None when missing."""
    if is_missing(raw):
        return None
    text = raw.strip().replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueProblem(f"{raw.strip()!r} is not a number") from None
    if low is not None and high is not None and not (low <= value <= high):
        raise ValueProblem(f"{raw.strip()} is outside {low:g} to {high:g}")
    return value


# ---------------------------------------------------------------- enums and text


def clean_text(raw: str | None) -> str | None:
    """Text with surrounding and repeated spaces removed; None when empty or a missing token (`NA`, `-`)."""
    if is_missing(raw):
        return None
    text = " ".join(raw.split())
    return text or None


def parse_enum(raw: str | None, choices: Iterable[str]) -> str | None:
    """One of `choices`, matched ignoring case, spaces, hyphens: `Family reunification` ->
    `family_reunification`."""
    if is_missing(raw):
        return None
    choices = tuple(choices)
    key = re.sub(r"[\s\-/]+", "_", raw.strip().casefold())
    if key in choices:
        return key
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueProblem(f"{raw.strip()!r} is not one of {', '.join(choices)}{hint}")


# ---------------------------------------------------------------- dates

_MONTHS = {name.casefold(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
# French names, full and abbreviated, compared without accents (février = fevrier).
_FRENCH_MONTHS = (("janvier", "janv"), ("fevrier", "fevr", "fev"), ("mars",), ("avril", "avr"), ("mai",),
                  ("juin",), ("juillet", "juil"), ("aout",), ("septembre",), ("octobre",), ("novembre",),
                  ("decembre",))
_MONTHS.update({name: i for i, names in enumerate(_FRENCH_MONTHS, start=1) for name in names})

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$")
_SLASH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*[AaPp][Mm])?)?$")
# A footnote mark after a year ("2025*", "2024¹") leaves it that year.
_FOOTNOTE = r"(?:\s*[*†‡¹²³⁴⁵⁶⁷⁸⁹⁰]+)?"
_YEAR = re.compile(r"^(?:(?:CY|Year)\s*)?(\d{4})(?:\.0+)?" + _FOOTNOTE + "$", re.IGNORECASE)  # 2016.0: a spreadsheet's
# A fiscal year: FY 2024, FY2024, FY24, FY 2023-24 (the year it ends in is the one it is named by).
_FISCAL = re.compile(r"^(?:FY|F\.Y\.|fiscal\s+year)\s*'?(\d{4}|\d{2})(?:\s*[-/]\s*(\d{4}|\d{2}))?" + _FOOTNOTE + "$",
                     re.IGNORECASE)
_COMPACT = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})$")  # 20140901
_QUARTER = re.compile(r"^(?:Q([1-4])[\s\-/]*(\d{4})|(\d{4})[\s\-/]*Q([1-4]))$", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?[\s\-,]+(\d{4}|\d{2})$")  # Jan 2025, Sep-14 (Excel's mmm-yy)
_DAY_MON_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]+)\.?,?[\s\-]+(\d{4}|\d{2})$")  # 1-Sep-14
_MON_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")


def _year(text: str) -> int:
    """A year as written: two digits (Excel's `9/1/14`, `1-Sep-14`) are this century up to next year, else
    the last (`98` is 1998)."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if 2000 + year <= dt.date.today().year + 1 else 1900
    return year


def _make(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"{raw.strip()!r} is not a date that exists") from None


def _month(name: str, raw: str) -> int:
    month = _MONTHS.get(_month_key(name))
    if month is None:
        raise ValueProblem(f"{raw.strip()!r} is not a date I can read (unknown month {name!r})")
    return month


def _month_key(name: str) -> str:
    """A month name as _MONTHS keys it: casefolded, without accents or a final dot."""
    text = unicodedata.normalize("NFKD", name.strip().rstrip(".").casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _fiscal_period(end_year: int, start_month: int, period_end: bool) -> dt.date:
    """The last day (stocks) or first day (flows) of the fiscal year ending in `end_year` that starts in
    `start_month` (US government: 10, so FY 2024 is 2023-10-01 to 2024-09-30)."""
    if start_month == 1:
        return dt.date(end_year, 12, 31) if period_end else dt.date(end_year, 1, 1)
    if period_end:
        return dt.date(end_year, start_month - 1, calendar.monthrange(end_year, start_month - 1)[1])
    return dt.date(end_year - 1, start_month, 1)


def _needs_fiscal_start(raw: str) -> ValueProblem:
    return ValueProblem(f"{raw.strip()!r} is a fiscal year: say in which month the fiscal year starts with "
                        "--fiscal-year-start MONTH (the US government's: 10, October)")


def _period(year: int, month: int | None, period_end: bool, raw: str, months: int = 1) -> dt.date:
    """The first or last day of a year (month None), a month, or `months` months from `month`."""
    if month is None:
        return dt.date(year, 12, 31) if period_end else dt.date(year, 1, 1)
    if period_end:
        month += months - 1
    if not 1 <= month <= 12:
        raise ValueProblem(f"{raw.strip()!r} is not a month that exists")
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, last if period_end else 1)


def slash_order(values: Iterable[str]) -> str | None:
    """Decide how a column writes slash dates: 'dayfirst', 'monthfirst', None when no value settles it
    (or the column has no slash dates). Raises ValueProblem when values contradict each other."""
    day_first = month_first = False
    for raw in values:
        if raw is None:
            continue
        m = _SLASH.match(raw.strip())
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        day_first |= a > 12
        month_first |= b > 12
    if day_first and month_first:
        raise ValueProblem("dates are written both day-first and month-first")
    return "dayfirst" if day_first else "monthfirst" if month_first else None


def has_ambiguous_slash_dates(values: Iterable[str]) -> bool:
    """True when some slash date could be read either way (both parts <= 12 and different)."""
    for raw in values:
        if raw is None:
            continue
        m = _SLASH.match(raw.strip())
        if m and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1).lstrip("0") != m.group(2).lstrip("0"):
            return True
    return False


def parse_date(raw: str | None, *, order: str | None = None, period_end: bool = True,
               fiscal_start: int | None = None, fiscal_column: bool = False) -> dt.date | None:
    """A date as people write it. `order` ('dayfirst'/'monthfirst') reads slash dates; a year or a month
    alone gives the period's last day when `period_end` (stocks) and its first day otherwise (flows).

    A fiscal year (`FY 2024`, `FY24`, or a plain year in a column named fiscal year, `fiscal_column`) is
    the twelve months ending in that year, starting in month `fiscal_start`; without `fiscal_start` it
    is an error that asks for it."""
    if is_missing(raw):
        return None
    text = raw.strip()
    fiscal = _FISCAL.match(text)
    year_alone = None if fiscal else _YEAR.match(text)
    if fiscal or (year_alone and fiscal_column):
        if fiscal_start is None:
            raise _needs_fiscal_start(raw)
        if year_alone:
            return _fiscal_period(int(year_alone.group(1)), fiscal_start, period_end)
        first, second = _year(fiscal.group(1)), fiscal.group(2)
        end = first
        if second is not None:  # FY 2023-24 ends in 2024
            end = _year(second) if len(second) == 4 else first // 100 * 100 + int(second)
            if end != first + 1:
                raise ValueProblem(f"{text!r} is not a fiscal year I can read: its years are not consecutive")
        return _fiscal_period(end, fiscal_start, period_end)
    if m := _ISO.match(text):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if m := _YMD_SLASH.match(text):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if m := _SLASH.match(text):
        a, b, year = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        if a == b:
            return _make(year, a, b, raw)
        if order is None:
            if a > 12:
                order = "dayfirst"
            elif b > 12:
                order = "monthfirst"
            else:
                raise ValueProblem(
                    f"{text!r} could be day-first or month-first and no date in this column settles it; "
                    "say which with --dayfirst or --monthfirst"
                )
        day, month = (a, b) if order == "dayfirst" else (b, a)
        if month > 12:
            first = "day-first" if order == "dayfirst" else "month-first"
            raise ValueProblem(f"{text!r} has no month {month} read {first}, as this column is read "
                               "(another of its dates or --dayfirst/--monthfirst says so)")
        return _make(year, month, day, raw)
    if year_alone:
        return _period(int(year_alone.group(1)), None, period_end, raw)
    if m := _COMPACT.match(text):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if m := _QUARTER.match(text):
        quarter, year = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return _period(int(year), 3 * int(quarter) - 2, period_end, raw, months=3)
    if m := _YEAR_MONTH.match(text):
        return _period(int(m.group(1)), int(m.group(2)), period_end, raw)
    if m := _MONTH_YEAR.match(text):
        return _period(_year(m.group(2)), _month(m.group(1), raw), period_end, raw)
    if m := _DAY_MON_YEAR.match(text):
        return _make(_year(m.group(3)), _month(m.group(2), raw), int(m.group(1)), raw)
    if m := _MON_DAY_YEAR.match(text):
        return _make(int(m.group(3)), _month(m.group(1), raw), int(m.group(2)), raw)
    raise ValueProblem(f"{text!r} is not a date I can read (write it as YYYY-MM-DD)")


# A date split over several columns (`--map date=Year+Month+Day`): the cells, joined with this character
# into one raw value, so that each distinct (year, month, day) is parsed once.
PARTS_SEPARATOR = "\x1f"
_WHOLE = re.compile(r"^\d{1,4}(?:\.0+)?$")  # 3, 03, 2016, 2016.0 (a spreadsheet's number)


def parse_date_parts(raw: str | None, *, period_end: bool = True, fiscal_start: int | None = None,
                     fiscal_column: bool = False) -> dt.date | None:
    """A date from its parts (year, then month, then day; PARTS_SEPARATOR between them). The month is a
    number or an English or French name, full or abbreviated. A year alone, or a year and a month, follows
    the rule for a period (parse_date: its last day for stocks, its first for flows)."""
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(PARTS_SEPARATOR)]
    year, month, day = (parts + ["", ""])[:3]
    shown = " / ".join(parts)
    missing = [is_missing(p) for p in (year, month, day)]
    if all(missing):
        return None
    if missing[0]:
        raise ValueProblem(f"{shown!r} has no year")
    if missing[1] and not missing[2]:
        raise ValueProblem(f"{shown!r} has a day but no month")
    if missing[1]:
        return parse_date(year, period_end=period_end, fiscal_start=fiscal_start, fiscal_column=fiscal_column)
    if not _WHOLE.match(year) or len(year.split(".")[0]) != 4:
        raise ValueProblem(f"{shown!r}: {year!r} is not a year (write it with four digits)")
    number = int(float(year))
    if _WHOLE.match(month):
        month_number = int(float(month))
    else:
        month_number = _MONTHS.get(_month_key(month), 0)
        if not month_number:
            raise ValueProblem(f"{shown!r}: {month!r} is not a month (a number, or its English or French name)")
    if not 1 <= month_number <= 12:
        raise ValueProblem(f"{shown!r}: {month!r} is not a month that exists")
    if missing[2]:
        return _period(number, month_number, period_end, shown)
    if not _WHOLE.match(day):
        raise ValueProblem(f"{shown!r}: {day!r} is not a day of the month")
    return _make(number, month_number, int(float(day)), shown)
