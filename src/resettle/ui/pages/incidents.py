"""Incidents: a time line with killed, wounded and hostages, and the cumulative deaths recorded."""

from __future__ import annotations

import streamlit as st

from resettle.ui import cache as data
from resettle.ui import common, text
from resettle.ui.filters import View


def page(view: View) -> None:
    st.title("Incidents")
    info = data.incidents(view)
    t, as_of = info["totals"], info["as_of"]
    figs = data.page_figures("incidents", view)
    st.caption(f"Attacks and other security events dated in the range, as of **{as_of}**. "
               "A figure not reported counts as none in the totals and shows no bar.")
    row = st.columns(4)
    row[0].metric("Incidents", text.people(t["incidents"]))
    row[1].metric("Killed", text.people(t["killed"]))
    row[2].metric("Wounded", text.people(t["wounded"]))
    row[3].metric("Taken hostage", text.people(t["hostages"]))
    if info["incidents"].empty:
        st.info("No incidents in this range.")
    else:
        common.chart(figs["incidents_timeline"], key="chart_incidents", name="incidents_timeline", view=view)
    if not info["deaths"].empty:
        common.chart(figs["cumulative_deaths"], key="chart_deaths", name="cumulative_deaths", view=view)
    if not info["incidents"].empty:
        st.subheader("The incidents")
        st.dataframe(info["incidents"], hide_index=True, width="stretch")
