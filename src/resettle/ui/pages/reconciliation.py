"""Reconciliation: between each two consecutive population counts, do the departures and deaths explain
the change? Intervals with a discrepancy stand out."""

from __future__ import annotations

import streamlit as st

from resettle.figures.pages import ReconciliationData
from resettle.ui import cache, common
from resettle.ui.filters import View

PATH = "reconciliation"


def page(view: View) -> None:
    st.title("Reconciliation")
    data: ReconciliationData = cache.page_data(PATH, view)
    st.caption("Unexplained change = (later count - earlier count) + departures + deaths in between. Zero: the "
               "flows explain the stock. Anything else is worth a look: an unrecorded departure or death, a "
               f"count from a different source, an arrival. As of **{data.as_of}**.")
    st.metric("Unexplained change, all intervals up to the as-of date", f"{data.unexplained_change:+,}",
              help="The headline figure: the sum over every interval of the selected sites up to the as-of date.")
    if data.intervals.empty:
        st.info("Fewer than two population counts in this range: no interval to reconcile.")
        return
    if data.note:
        st.caption(data.note)
    common.chart(cache.page_figures(PATH, view)["reconciliation"], key="chart_reconciliation",
                 name="reconciliation", view=view)
    st.subheader("Intervals between counts")
    st.caption("Rows with a discrepancy (unexplained change other than zero) are highlighted.")
    common.table(common.highlight(data.intervals, "discrepancy"))
