"""Incidents: a time line with killed, wounded and hostages, and the cumulative deaths recorded."""

from __future__ import annotations

import streamlit as st

from resettle.figures.pages import IncidentsData
from resettle.ui import cache, common, text
from resettle.ui.filters import View

PATH = "incidents"


def page(view: View) -> None:
    st.title("Incidents")
    data: IncidentsData = cache.page_data(PATH, view)
    totals = data.totals
    figs = cache.page_figures(PATH, view)
    st.caption(f"Attacks and other security events dated in the range, as of **{data.as_of}**. "
               "A figure not reported counts as none in the totals and shows no bar.")
    row = st.columns(4)
    row[0].metric("Incidents", text.people(totals.incidents))
    row[1].metric("Killed", text.people(totals.killed))
    row[2].metric("Wounded", text.people(totals.wounded))
    row[3].metric("Taken hostage", text.people(totals.hostages))
    if data.incidents.empty:
        st.info("No incidents in this range.")
    else:
        common.chart(figs["incidents_timeline"], key="chart_incidents", name="incidents_timeline", view=view)
    if not data.deaths.empty:
        common.chart(figs["cumulative_deaths"], key="chart_deaths", name="cumulative_deaths", view=view)
    if not data.incidents.empty:
        st.subheader("The incidents")
        if data.rows > len(data.incidents):
            st.caption(f"The first {len(data.incidents):,} of the {data.rows:,} incidents in the range, by date "
                       "(the totals above and the chart count them all; `resettle export data` writes every one).")
        common.table_when_opened(f"The table: {len(data.incidents):,} incidents, by date", "table_incidents",
                                 data.incidents)
