"""The sidebar filters (sites, date range, host countries), shared by every page and kept in the URL.

A link reproduces the view: the query parameters are read when a session starts and written whenever a
filter changes (`?sites=Camp+Liberty&from=2014-01-01&to=2015-12-31&host_countries=ALB`). Without `to`,
the as-of date follows the data: the latest date of the selected sites (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from resettle.domain.countries import country_name
from resettle.ui import cache, text

_LOADED = "_filters_loaded_from_url"
_CHOSEN = "_date_range_chosen"


@dataclass(frozen=True)
class View:
    """What the user asked to see. `end` is the as-of date D; `sites` empty means every site."""

    sites: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    host_countries: tuple[str, ...] = ()

    @property
    def as_of(self) -> str | None:
        return self.end.isoformat() if self.end else None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _read_url(site_names: list[str], countries: list[str]) -> list[str]:
    """Put the URL's filters into the widgets' state, once per session; return what it named wrongly."""
    problems = []
    params = st.query_params
    sites = params.get_all("sites")
    known = {n.casefold(): n for n in site_names}
    st.session_state["sites"] = [known[s.casefold()] for s in sites if s.casefold() in known]
    problems += [f"no site named {s!r}" for s in sites if s.casefold() not in known]
    wanted = [c.upper() for c in params.get_all("host_countries")]
    st.session_state["host_countries"] = [c for c in wanted if c in countries]
    problems += [f"no transfer or pledge to {c!r}" for c in wanted if c not in countries]
    start, end = _date(params.get("from")), _date(params.get("to"))
    for key in ("from", "to"):
        if params.get(key) and _date(params.get(key)) is None:
            problems.append(f"{key}={params.get(key)!r} is not a date (YYYY-MM-DD)")
    if start or end:
        st.session_state["_url_dates"] = (start, end)
        st.session_state[_CHOSEN] = True
    return problems


def _write_url(view: View, chosen: bool) -> None:
    wanted: dict[str, list[str]] = {}
    if view.sites:
        wanted["sites"] = list(view.sites)
    if chosen and view.start:
        wanted["from"] = [view.start.isoformat()]
    if chosen and view.end:
        wanted["to"] = [view.end.isoformat()]
    if view.host_countries:
        wanted["host_countries"] = list(view.host_countries)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def _chose_dates() -> None:
    st.session_state[_CHOSEN] = True


def _latest() -> None:
    st.session_state[_CHOSEN] = False


def sidebar() -> View:
    """Draw the filters in the sidebar and return the view they describe."""
    site_names = cache.site_names()
    countries = cache.host_countries()
    if not st.session_state.get(_LOADED):
        st.session_state[_LOADED] = True
        for problem in _read_url(site_names, countries):
            st.sidebar.warning(text.plain(f"The link asks for {problem}; left out."))
    bar = st.sidebar
    bar.header("Filters")
    sites = bar.multiselect("Sites", site_names, key="sites", placeholder="All sites",
                            help="Empty means every site together (figures computed per site and summed).")
    first, latest = cache.date_bounds(tuple(sites))
    today = dt.date.today()
    low = min(d for d in (first, latest, today) if d)
    high = max(d for d in (latest, today) if d)
    url_dates = st.session_state.pop("_url_dates", None)
    if url_dates:
        start, end = url_dates
        st.session_state["date_range"] = (_clamp(start or first or low, low, high),
                                          _clamp(end or latest or high, low, high))
    elif not st.session_state.get(_CHOSEN) or "date_range" not in st.session_state:
        # Not chosen by the user: the range follows the data of the selected sites.
        st.session_state["date_range"] = (first or low, latest or high)
        st.session_state[_CHOSEN] = False
    else:  # chosen, but the bounds move with the sites selected
        st.session_state["date_range"] = tuple(_clamp(d, low, high) for d in st.session_state["date_range"] if d)
    picked = bar.date_input("Date range (the as-of date is its end)", key="date_range", min_value=low,
                            max_value=high, on_change=_chose_dates, format="YYYY-MM-DD",
                            help="Figures are computed as of the end date; charts and tables show the range.")
    start, end = _range(picked, first, latest)
    chosen = bool(st.session_state.get(_CHOSEN))
    if chosen:
        bar.button("Back to the latest data", on_click=_latest, key="date_latest",
                   help=f"As of {latest}, the latest date in the data of the selected sites.")
    host = bar.multiselect("Host countries", countries, key="host_countries", placeholder="All host countries",
                           format_func=lambda c: f"{country_name(c)} ({c})",
                           help="Applies to the charts and tables by host country; the headline figures "
                                "count every host country.")
    view = View(tuple(sites), start, end, tuple(host))
    _write_url(view, chosen)
    return view


def _clamp(day: dt.date, low: dt.date, high: dt.date) -> dt.date:
    return min(max(day, low), high)


def _range(picked, first: dt.date | None, latest: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """The widget's value as (start, end); while only a start is picked, the end stays the latest date."""
    if isinstance(picked, dt.date):
        return picked, latest
    values = [d for d in (picked or ()) if d]
    if len(values) >= 2:
        return values[0], values[1]
    if len(values) == 1:
        return values[0], max(values[0], latest) if latest else values[0]
    return first, latest
