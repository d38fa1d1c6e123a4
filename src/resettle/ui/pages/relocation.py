"""Relocation: departures per month by host country, where people went (a world map by host country and
the flow from each site to each host country), departed against pledged, the stages of the transfers where
the data has them, and the table behind the chart."""

from __future__ import annotations

import streamlit as st

from resettle.figures.pages import RelocationData
from resettle.ui import cache, common
from resettle.ui.filters import View

PATH = "relocation"


def page(view: View) -> None:
    st.title("Relocation")
    data: RelocationData = cache.page_data(PATH, view)
    figs = cache.page_figures(PATH, view)
    st.caption("Departed transfers only (a submission is not a departure), dated in the range, as of "
               f"**{data.as_of}**.")
    if data.per_month.empty:
        st.info("No departures in this range.")
    else:
        common.chart(figs["departures_per_month"], key="chart_departures", name="departures_per_month", view=view)
    if not data.flows.empty:
        st.subheader("Where people went")
        st.caption(f"Departed up to **{data.as_of}**, from the first departure (the range's start aside), "
                   f"{int(data.flows['people'].sum()):,} people in all.")
        common.map_chart(figs["departures_map"], key="chart_map", name="departures_map", view=view)
        common.chart(figs["where_people_went"], key="chart_flows", name="where_people_went", view=view)
    if not data.pledged.empty:
        common.chart(figs["pledged_vs_departed"], key="chart_pledged", name="pledged_vs_departed", view=view)
        st.caption("Departed and pledged up to the as-of date. Pledges belong to a host country, not to a site.")
    if not data.stages.empty:
        common.chart(figs["stages"], key="chart_stages", name="stages", view=view)
        st.caption("Each transfer counts at its current stage; submitted and accepted cases have not left.")
    st.subheader("Departures per month, by host country")
    common.table(data.table)
