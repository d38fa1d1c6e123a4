"""Destinations: where people went, up to the as-of date: a world map of the host countries, the flow from
each site to each host country, and each host country's departures against the places it pledged."""

from __future__ import annotations

import streamlit as st

from resettle.figures.pages import DestinationsData
from resettle.ui import cache, common
from resettle.ui.filters import View

PATH = "destinations"


def page(view: View) -> None:
    st.title("Destinations")
    data: DestinationsData = cache.page_data(PATH, view)
    figs = cache.page_figures(PATH, view)
    if data.flows.empty and data.pledged.empty:
        st.info(f"No departures and no pledges up to {data.as_of}.")
        return
    if data.flows.empty:
        st.info(f"No departures up to {data.as_of}.")
    else:
        st.caption(f"Departed up to **{data.as_of}**, from the first departure (the range's start aside), "
                   f"{int(data.flows['people'].sum()):,} people in all.")
        common.map_chart(figs["departures_map"], key="chart_map", name="departures_map", view=view)
        common.chart(figs["where_people_went"], key="chart_flows", name="where_people_went", view=view)
    if not data.pledged.empty:
        common.chart(figs["pledged_vs_departed"], key="chart_pledged", name="pledged_vs_departed", view=view)
        st.caption("Departed and pledged up to the as-of date. Pledges belong to a host country, not to a site.")
    common.page_link("relocation", "Departures per month and the stages of the transfers (Relocation)")
