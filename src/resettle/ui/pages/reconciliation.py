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
    st.caption("A tick in the first column marks a discrepancy (an unexplained change other than zero); "
               "sort by it, or by the unexplained change, to bring them together.")
    # The flag as a column, not coloured rows: a pandas Styler over the 2,000 intervals shown at scale cost
    # about a second of server CPU on every visit, as st.dataframe styles each cell again each time.
    common.table(data.intervals, column_order=ORDER, column_config=COLUMNS)


ORDER = ["discrepancy", "site", "start", "end", "count_start", "count_end", "departures", "deaths",
         "unexplained_change"]
COLUMNS = {
    "discrepancy": st.column_config.CheckboxColumn("Discrepancy", pinned=True,
                                                   help="The unexplained change is not zero."),
    "site": st.column_config.TextColumn("Site", pinned=True),
    "start": st.column_config.TextColumn("From"),
    "end": st.column_config.TextColumn("To"),
    "count_start": st.column_config.NumberColumn("Count at start", format="localized"),
    "count_end": st.column_config.NumberColumn("Count at end", format="localized"),
    "departures": st.column_config.NumberColumn("Departures", format="localized"),
    "deaths": st.column_config.NumberColumn("Deaths", format="localized"),
    "unexplained_change": st.column_config.NumberColumn(
        "Unexplained change", format="%+d", help="(count at end - count at start) + departures + deaths."),
}
