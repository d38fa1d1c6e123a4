"""Relocation: departures per month by host country, departed against pledged, the stages of the
transfers where the data has them, and the table behind the chart."""

from __future__ import annotations

import streamlit as st

from resettle.ui import cache as data
from resettle.ui import common
from resettle.ui.filters import View


def page(view: View) -> None:
    st.title("Relocation")
    info = data.relocation(view)
    as_of = info["as_of"]
    figs = data.page_figures("relocation", view)
    st.caption(f"Departed transfers only (a submission is not a departure), dated in the range, as of **{as_of}**.")
    if info["per_month"].empty:
        st.info("No departures in this range.")
    else:
        common.chart(figs["departures_per_month"], key="chart_departures", name="departures_per_month", view=view)
    if not info["pledged"].empty:
        common.chart(figs["pledged_vs_departed"], key="chart_pledged", name="pledged_vs_departed", view=view)
        st.caption("Departed and pledged up to the as-of date. Pledges belong to a host country, not to a site.")
    if not info["stages"].empty:
        common.chart(figs["stages"], key="chart_stages", name="stages", view=view)
        st.caption("Each transfer counts at its current stage; submitted and accepted cases have not left.")
    st.subheader("Departures per month, by host country")
    st.dataframe(info["table"], hide_index=True, width="stretch")
