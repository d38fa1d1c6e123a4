"""Medical access: evacuations per month by outcome, the wait from request to evacuation, denied and
pending requests counted apart, and deaths."""

from __future__ import annotations

import streamlit as st

from resettle.figures.pages import MedicalData
from resettle.ui import cache, common, text
from resettle.ui.filters import View

PATH = "medical"


def page(view: View) -> None:
    st.title("Medical access")
    data: MedicalData = cache.page_data(PATH, view)
    access = data.access
    st.caption(f"Medical evacuation requests dated in the range (by evacuation date, else request date), "
               f"as of **{data.as_of}**. Counts only: no names are stored.")
    row = st.columns(3)
    row[0].metric("Patients evacuated", text.people(access.patients_evacuated),
                  help=f"{access.evacuations:,} evacuations with an evacuation date.")
    wait = "–" if access.median_wait_days is None else f"{access.median_wait_days:g} days"
    row[1].metric("Median wait, request to evacuation", wait,
                  help=f"Per patient, over the {access.patients_with_wait:,} patients with both dates.")
    row[2].metric("Died (outcome of a request)", text.people(access.died_patients))
    row = st.columns(3)
    row[0].metric("Denied requests", text.people(access.denied_requests),
                  help=f"{access.denied_patients:,} patients. Counted apart from the evacuations.")
    row[1].metric("Pending requests", text.people(access.pending_requests),
                  help=f"{access.pending_patients:,} patients. Counted apart from the evacuations.")
    row[2].metric("Deaths recorded, all causes", text.people(data.deaths_recorded),
                  help="Killed in incidents plus medical evacuations with outcome died, up to the as-of date.")
    if data.disclosure:  # public mode (disclosure.medical)
        st.caption(data.disclosure)
    if data.per_month.empty:
        st.info("Every monthly figure in this range is too small to show (disclosure control)."
                if data.disclosure else "No medical evacuation requests in this range.")
        return
    figs = cache.page_figures(PATH, view)
    common.chart(figs["medevacs_per_month"], key="chart_medevacs", name="medevacs_per_month", view=view)
    if not data.waits.empty:
        common.chart(figs["waiting_days"], key="chart_waits", name="waiting_days", view=view)
    st.subheader("Denied and pending requests")
    if data.open_requests.empty:
        st.caption("None in this range.")
    else:
        requests = data.open_requests
        if len(requests) > common.TABLE_ROWS_MAX:
            st.caption(f"The {common.TABLE_ROWS_MAX:,} oldest of the {len(requests):,} denied and pending requests "
                       "in the range, by request date (the figures above count them all; the Data page and "
                       "`resettle export data` list every one).")
        common.table_when_opened(f"The table: {min(len(requests), common.TABLE_ROWS_MAX):,} denied and pending "
                                 "requests, the oldest first", "table_requests", requests.head(common.TABLE_ROWS_MAX))
