"""Disclosure control for public dashboards and exports: small medical figures are shown as "<5", and no
public table carries a field that could identify a person.

Public mode is `RESETTLE_PUBLIC=1` (or true, yes, on); when RESETTLE_PUBLIC is not set it follows
read-only mode (`RESETTLE_READ_ONLY`: a read-only dashboard is a public one); `RESETTLE_PUBLIC=0` turns
it off even then (an internal read-only viewer). The threshold is `RESETTLE_DISCLOSURE_MIN` (default 5):
a medical count from 1 to threshold - 1 is suppressed; 0 stays 0 (nobody is nobody to identify).

What is suppressed, in the pages and in every export (both go through these functions):
- medical figures: patients and requests, per month and outcome, per waiting-time bin, denied and
  pending; a cell under the threshold is not drawn in a chart (its figure says so) and reads "<5" in a
  table or metric; the median wait is left out when fewer patients than the threshold have one;
- the cumulative deaths after a medical evacuation request only rise in steps of the threshold or more;
- free text and pseudonyms in public tables: a medical evacuation's destination, an incident's
  description, a transfer's case_id, and the editor of an import batch.

A suppressed value is a `Small`: a str ("<5") that any format spec leaves as it is, so f"{v:,}" still
reads "<5", and int(v) fails rather than leak the number.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import pandas as pd

from resettle.compute.incidents import DEATH_CAUSES
from resettle.domain.errors import UsageError
from resettle.store.db import read_only_mode

DEFAULT_MIN = 5
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# Per table: the columns a public table leaves out (free text or a pseudonym that could point to a person)
# and the medical counts it shows as "<5" when small.
HIDDEN_COLUMNS: dict[str, tuple[str, ...]] = {
    "medevacs": ("destination",),
    "incidents": ("description",),
    "transfers": ("case_id",),
}
SMALL_COLUMNS: dict[str, tuple[str, ...]] = {"medevacs": ("patients",)}
HIDDEN_BATCH_COLUMNS = ("editor",)
# The medical figures of medical.medical_access, all counts of people or of their requests.
MEDICAL_COUNTS = ("evacuations", "patients_evacuated", "denied_requests", "denied_patients", "pending_requests",
                  "pending_patients", "died_patients", "patients_with_wait")
MEDICAL_DEATHS = DEATH_CAUSES["medical"]  # the cause cumulative_deaths names it by


class Small(str):
    """A suppressed figure: reads "<5" whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return str(self)


def public_mode(environ: Mapping[str, str] | None = None) -> bool:
    """True when small medical figures must be suppressed (RESETTLE_PUBLIC, else read-only mode)."""
    environ = os.environ if environ is None else environ
    value = environ.get("RESETTLE_PUBLIC", "").strip().casefold()
    if value in TRUE:
        return True
    if value in FALSE and value:
        return False
    if environ is os.environ:
        return read_only_mode()
    return environ.get("RESETTLE_READ_ONLY", "").strip().casefold() in TRUE


def threshold(environ: Mapping[str, str] | None = None) -> int:
    """RESETTLE_DISCLOSURE_MIN: the smallest medical count shown as it is (default 5)."""
    environ = os.environ if environ is None else environ
    raw = environ.get("RESETTLE_DISCLOSURE_MIN", "").strip()
    if not raw:
        return DEFAULT_MIN
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"RESETTLE_DISCLOSURE_MIN={raw!r}: give a whole number of people, 1 or more (default 5)")
    return value


def _min(limit: int | None) -> int:
    return threshold() if limit is None else limit


def small(limit: int | None = None) -> Small:
    """The text of a suppressed figure: "<5"."""
    return Small(f"<{_min(limit)}")


def is_small(value, limit: int | None = None) -> bool:
    """A count from 1 to the threshold - 1 (None, NaN and text are not)."""
    if value is None or isinstance(value, str) or pd.isna(value):
        return False
    return 0 < value < _min(limit)


def cell(value, limit: int | None = None):
    """The value, or "<5" when it is small."""
    return small(limit) if is_small(value, limit) else value


def suppress(frame: pd.DataFrame, columns: Iterable[str], limit: int | None = None) -> pd.DataFrame:
    """A copy of `frame` whose small values in `columns` read "<5" (for tables: the column becomes text
    and numbers). Columns not in the frame are passed over."""
    limit = _min(limit)
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].astype(object).map(lambda v: cell(v, limit))
    return out


def drop_small(frame: pd.DataFrame, column: str, limit: int | None = None) -> pd.DataFrame:
    """`frame` without the rows whose `column` is small (for charts: a cell not drawn)."""
    limit = _min(limit)
    return frame[~frame[column].map(lambda v: is_small(v, limit))].reset_index(drop=True)


def hidden_columns(table: str) -> tuple[str, ...]:
    """The columns a public copy of `table` leaves out."""
    return HIDDEN_COLUMNS.get(table, ())


def public_columns(table: str, names: list[str], select: list[str]) -> tuple[list[str], list[str]]:
    """A table's column names and SELECT expressions as a public table has them (unchanged outside public
    mode): identifying columns left out, small medical counts as '<5'. The threshold is a whole number
    from the operator's setting (`threshold()`), not the user's text, so it is written into the SQL."""
    if not public_mode():
        return names, select
    limit, hidden, counts = threshold(), set(hidden_columns(table)), set(SMALL_COLUMNS.get(table, ()))
    kept = [(n, s) for n, s in zip(names, select, strict=True) if n not in hidden]
    exprs = [f"CASE WHEN {s} > 0 AND {s} < {int(limit)} THEN '<{int(limit)}' ELSE {s} END" if n in counts else s
             for n, s in kept]
    return [n for n, _ in kept], exprs


def public_batch_columns(columns: list[str], rows: list[tuple]) -> tuple[list[str], list[tuple]]:
    """A table of import batches without the editors' names (unchanged outside public mode)."""
    if not public_mode():
        return columns, rows
    keep = [i for i, c in enumerate(columns) if c not in HIDDEN_BATCH_COLUMNS]
    return [columns[i] for i in keep], [tuple(row[i] for i in keep) for row in rows]


# ---------------------------------------------------------------- the pages' data


def binned(frame: pd.DataFrame, column: str, size: int, value: str) -> pd.DataFrame:
    """`value` summed per bin of `size` along `column` (each bin named by its start), as a histogram
    with that bin size draws it; so a small bin, not a small row, is what gets suppressed."""
    if frame.empty:
        return frame
    start = (frame[column] // size) * size
    out = frame.assign(**{column: start}).groupby(column, as_index=False).sum(numeric_only=True)
    return out.astype({c: "int64" for c in out.columns if pd.api.types.is_integer_dtype(out[c])})


class Medical(NamedTuple):
    """The medical figures and tables of a page as a public page shows them (`medical`)."""

    access: dict  # medical.medical_access, small counts as "<5"
    per_month: pd.DataFrame  # without the small cells
    waits: pd.DataFrame  # binned by `bin_days`, without the small bins
    open_requests: pd.DataFrame  # without destinations, small counts as "<5"
    note: str | None  # what was left out, when something was


def medical(access: dict, per_month: pd.DataFrame, waits: pd.DataFrame, open_requests: pd.DataFrame, *,
            bin_days: int = 7, limit: int | None = None) -> Medical:
    """The Medical access page's figures (medical_access), evacuations per month, waits and open requests
    as a public page shows them; unchanged outside public mode."""
    if limit is None and not public_mode():
        return Medical(access, per_month, waits, open_requests, None)
    limit = _min(limit)
    shown = dict(access)
    with_wait = shown.get("patients_with_wait")
    if isinstance(with_wait, int) and with_wait < limit:
        shown["median_wait_days"] = None  # a median of fewer than `limit` patients is nearly their waits
    for key in MEDICAL_COUNTS:
        if key in shown:
            shown[key] = cell(shown[key], limit)
    months = drop_small(per_month, "patients", limit)
    hidden = len(per_month) - len(months)
    bins = waits
    if not waits.empty:
        every_bin = binned(waits, "waiting_days", bin_days, "patients")
        bins = drop_small(every_bin, "patients", limit)
        hidden += len(every_bin) - len(bins)
    requests = suppress(open_requests.drop(columns=list(hidden_columns("medevacs")), errors="ignore"),
                        ["patients"], limit)
    return Medical(shown, months, bins, requests, note(limit) if hidden else None)


def cumulative_in_steps(frame: pd.DataFrame, cause: str, limit: int | None = None) -> pd.DataFrame:
    """incidents.cumulative_deaths with `cause`'s cumulative count raised only in steps of `limit` or more
    (a step of 1 on a date would say that one person died that day): the count shown holds until the
    deaths since the last step reach `limit`, and the cause is not drawn before its first step (not a
    false zero). Its last value may be up to limit - 1 below the true one."""
    limit = _min(limit)
    frame = frame.copy()
    shown = 0
    for index in frame.index[frame["cause"] == cause]:
        total = frame.at[index, "cumulative"]
        if total - shown >= limit:
            step, shown = total - shown, total
        else:
            step = 0
        frame.at[index, "cumulative"] = shown
        frame.at[index, "deaths"] = step
    return frame[(frame["cause"] != cause) | (frame["cumulative"] > 0)].reset_index(drop=True)


class Incidents(NamedTuple):
    """The incidents and the cumulative deaths of a page as a public page shows them (`incidents`)."""

    incidents: pd.DataFrame  # without descriptions
    deaths: pd.DataFrame  # the deaths after a medical evacuation request in steps of the threshold or more
    note: str | None  # what was held back, when something was


def incidents(listed: pd.DataFrame, deaths: pd.DataFrame, *, limit: int | None = None) -> Incidents:
    """The Incidents page's incidents (`listed`) and cumulative deaths (incidents.cumulative_deaths) as a
    public page shows them: no descriptions, and the deaths after a medical evacuation request rise in
    steps of the threshold or more. Unchanged outside public mode."""
    if limit is None and not public_mode():
        return Incidents(listed, deaths, None)
    limit = _min(limit)
    shown, held_back = deaths, None
    if not deaths.empty and (deaths["cause"] == MEDICAL_DEATHS).any():
        shown = cumulative_in_steps(deaths, MEDICAL_DEATHS, limit)

        def medical_points(frame: pd.DataFrame) -> list[tuple]:
            rows = frame[(frame["cause"] == MEDICAL_DEATHS) & (frame["cumulative"] > 0)]
            return list(zip(rows["date"], rows["cumulative"], strict=True))

        if medical_points(shown) != medical_points(deaths):
            held_back = note(limit)
    return Incidents(listed.drop(columns=list(hidden_columns("incidents")), errors="ignore"), shown, held_back)


def note(limit: int | None = None) -> str:
    """What a chart with suppressed cells says about them."""
    limit = _min(limit)
    return (f"Public figures: medical counts of 1 to {limit - 1} people are not drawn or shown as <{limit} "
            "(disclosure control).")


def mark(fig, text: str | None):
    """Put a page's disclosure note (`text`, when there is one) under the chart's title; returns the figure."""
    if text:
        fig.update_layout(title_subtitle_text=text, title_subtitle_font={"size": 11, "color": "#555"},
                          margin_t=max(fig.layout.margin.t or 0, 84))
    return fig
