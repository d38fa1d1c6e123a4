"""Relocation: departures per month by host country, the stages of the transfers where the data has them,
and the table behind the chart. Where people went (the map, the flows, the pledges) is the Destinations
page."""

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
    if not data.stages.empty:
        common.chart(figs["stages"], key="chart_stages", name="stages", view=view)
        st.caption("Each transfer counts at its current stage; submitted and accepted cases have not left.")
    common.page_link("destinations", "Where people went: the host countries on a map, the flows from each "
                                     "site and the places pledged (Destinations)")
    if not data.table.empty:
        common.table_when_opened(f"The table: departures per month, by host country ({len(data.table):,} months)",
                                 "table_departures", data.table)
