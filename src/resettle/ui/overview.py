"""Overview: the headline figures and the remaining population."""

from __future__ import annotations

import streamlit as st

from .. import charts
from . import data


def _fmt(value, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,}{suffix}" if isinstance(value, int) else f"{value}{suffix}"


def page() -> None:
    st.title("Relocation overview")
    names = data.site_names(data.version())
    if not names:
        st.info("The database is empty. Load the sample data with `resettle demo`, or import a file with "
                "`resettle import KIND FILE`.")
        return
    sites = st.sidebar.multiselect("Sites", names, key="sites", help="Empty means all sites together.")
    info = data.overview(data.version(), tuple(sites), None)
    s = info["summary"]
    st.caption(f"{s['site'] or 'All sites'} — figures as of **{s['as_of'] or 'no data'}**. "
               "Residents is a stock (a count, carried forward); relocated is a sum of departures (flows).")
    row1 = st.columns(3)
    row1[0].metric("Residents (estimate)", _fmt(s["residents"]))
    row1[1].metric("Relocated (departed)", _fmt(s["relocated_total"]))
    row1[2].metric("Relocated, % of baseline", _fmt(s["percent_relocated"], " %"))
    row2 = st.columns(3)
    row2[0].metric("Departures, last 90 days", _fmt(s["departures_last_90_days"]))
    row2[1].metric("Projected completion", s["projected_completion"] or "–",
                   help="As of date + residents / (departures in the last 90 days / 90), in days.")
    row2[2].metric("Deaths recorded", _fmt(s["deaths_recorded"]))
    fig = charts.remaining_population(info["estimate"], info["counts"], s["as_of"], info["sources"])
    st.plotly_chart(fig, width="stretch", key="chart_remaining")
