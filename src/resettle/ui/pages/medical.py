"""Medical access: evacuations per month by outcome, the wait from request to evacuation, denied and
pending requests counted apart, and deaths."""

from __future__ import annotations

import streamlit as st

from resettle.ui import cache as data
from resettle.ui import common, text
from resettle.ui.filters import View


def page(view: View) -> None:
    st.title("Medical access")
    info = data.medical(view)
    f, as_of = info["figures"], info["as_of"]
    st.caption(f"Medical evacuation requests dated in the range (by evacuation date, else request date), "
               f"as of **{as_of}**. Counts only: no names are stored.")
    row = st.columns(3)
    row[0].metric("Patients evacuated", text.people(f["patients_evacuated"]),
                  help=f"{f['evacuations']:,} evacuations with an evacuation date.")
    wait = "–" if f["median_wait_days"] is None else f"{f['median_wait_days']:g} days"
    row[1].metric("Median wait, request to evacuation", wait,
                  help=f"Per patient, over the {f['patients_with_wait']:,} patients with both dates.")
    row[2].metric("Died (outcome of a request)", text.people(f["died_patients"]))
    row = st.columns(3)
    row[0].metric("Denied requests", text.people(f["denied_requests"]),
                  help=f"{f['denied_patients']:,} patients. Counted apart from the evacuations.")
    row[1].metric("Pending requests", text.people(f["pending_requests"]),
                  help=f"{f['pending_patients']:,} patients. Counted apart from the evacuations.")
    row[2].metric("Deaths recorded, all causes", text.people(info["deaths_recorded"]),
                  help="Killed in incidents plus medical evacuations with outcome died, up to the as-of date.")
    if info.get("disclosure"):  # public mode (disclosure.medical)
        st.caption(info["disclosure"])
    if info["per_month"].empty:
        st.info("Every monthly figure in this range is too small to show (disclosure control)."
                if info.get("disclosure") else "No medical evacuation requests in this range.")
        return
    figs = data.page_figures("medical", view)
    common.chart(figs["medevacs_per_month"], key="chart_medevacs", name="medevacs_per_month", view=view)
    if not info["waits"].empty:
        common.chart(figs["waiting_days"], key="chart_waits", name="waiting_days", view=view)
    st.subheader("Denied and pending requests")
    if info["open"].empty:
        st.caption("None in this range.")
    else:
        st.dataframe(info["open"], hide_index=True, width="stretch")
