"""Relocation: departures per month by host country, departed against pledged, the stages of the
transfers where the data has them, and the table behind the chart."""

from __future__ import annotations

import streamlit as st

from .. import charts
from . import common, data
from .filters import View


def page(view: View) -> None:
    st.title("Relocation")
    info = data.relocation(view)
    as_of, colours = info["as_of"], data.colours()
    st.caption(f"Departed transfers only (a submission is not a departure), dated in the range, as of **{as_of}**.")
    if info["per_month"].empty:
        st.info("No departures in this range.")
    else:
        common.chart(charts.departures_per_month(info["per_month"], as_of, info["sources"], colours=colours),
                     key="chart_departures")
    if not info["pledged"].empty:
        common.chart(charts.pledged_vs_departed(info["pledged"], as_of, info["pledge_sources"], colours=colours),
                     key="chart_pledged")
        st.caption("Departed and pledged up to the as-of date. Pledges belong to a host country, not to a site.")
    if not info["stages"].empty:
        common.chart(charts.stages(info["stages"], as_of, info["sources"], colours=colours), key="chart_stages")
        st.caption("Each transfer counts at its current stage; submitted and accepted cases have not left.")
    st.subheader("Departures per month, by host country")
    st.dataframe(info["table"], hide_index=True, width="stretch")
