"""Overview: the headline figures with their change over 30 days, the remaining population, and the
relocations by host country against the baseline and the pledges."""

from __future__ import annotations

import streamlit as st

from resettle.domain.countries import country_name
from resettle.figures.pages import OverviewData
from resettle.publish import rendering
from resettle.ui import cache, common, text
from resettle.ui.filters import View

PATH = "overview"

HELP = {
    "residents": "The latest population count up to the as-of date (the median where sources differ), minus "
                 "the departures and deaths recorded since. A stock.",
    "relocated": "People who departed (stage departed) up to the as-of date: a sum of flows.",
    "percent": "Relocated as a share of the baseline population (the earliest count of each site).",
    "recent": "People departed in the 90 days up to the as-of date.",
    "projected": "As-of date + residents / (departures in the last 90 days / 90), in days: when the camp "
                 "would be empty at the recent pace. None when nobody left in 90 days or nobody remains.",
    "deaths": "Killed in incidents, plus medical evacuations with outcome died, up to the as-of date.",
}


def page(view: View) -> None:
    st.title("Relocation overview")
    data: OverviewData = cache.page_data(PATH, view)
    s, change = data.summary, data.changes
    if data.empty:
        st.info("No dated records for these sites yet: import population counts or transfers.")
        return
    st.caption(f"**{text.plain(s['site'] or 'All sites')}**: figures as of **{s['as_of']}**, from **{len(data.sources)}** "
               "sources. Residents is a stock (a count, carried forward); relocated is a sum of departures "
               "(flows). Each change is the figure now minus the figure 30 days earlier.")
    with st.expander(f"The {len(data.sources)} sources behind these figures"):
        st.markdown("\n".join(f"- {text.plain(source)}" for source in data.sources) or "none")
    warnings(data)

    row1 = st.columns(3)
    row1[0].metric("Residents (estimate)", text.people(s["residents"]), help=HELP["residents"],
                   **common.delta(change.get("residents"), colour="off"))
    row1[1].metric("Relocated (departed)", text.people(s["relocated_total"]), help=HELP["relocated"],
                   **common.delta(change.get("relocated_total")))
    row1[2].metric("Relocated, % of baseline", text.percent(s["percent_relocated"]), help=HELP["percent"],
                   **common.delta(change.get("percent_relocated"), " pts"))
    row2 = st.columns(3)
    row2[0].metric("Departures, last 90 days", text.people(s["departures_last_90_days"]), help=HELP["recent"],
                   **common.delta(change.get("departures_last_90_days")))
    row2[1].metric("Projected completion", s["projected_completion"] or "–", help=HELP["projected"],
                   **common.delta(change.get("projected_completion"), " days", colour="inverse"))
    row2[2].metric("Deaths recorded", text.people(s["deaths_recorded"]), help=HELP["deaths"],
                   **common.delta(change.get("deaths_recorded"), colour="inverse"))
    if view.host_countries:
        names = ", ".join(country_name(c) for c in view.host_countries)
        st.metric(f"Relocated to {names}", text.people(data.relocated_to),
                  **common.delta(change.get("relocated_to")))
        st.caption("The other figures count every host country: the host-country filter narrows the charts "
                   "and tables by country.")

    for note in data.notes:
        st.caption(note)
    figs = cache.page_figures(PATH, view)
    common.chart(figs["remaining_population"], key="chart_remaining", name="remaining_population", view=view)
    common.chart(figs["cumulative_relocations"], key="chart_cumulative", name="cumulative_relocations", view=view)
    briefing_pack(view)


def warnings(data: OverviewData) -> None:
    """One line for each thing worth a look, linking to the page that shows it; nothing when all is well."""
    if data.stale_sites:
        sites = "site has" if data.stale_sites == 1 else "sites have"
        common.page_link("sites", f"Warning: {data.stale_sites:,} {sites} a latest count more than "
                                  f"{data.stale_days} days before the as-of date (stale: the residents estimate "
                                  "rests on the flows since). See the Sites page.")
    if data.large_intervals:
        intervals = "interval has" if data.large_intervals == 1 else "intervals have"
        common.page_link("reconciliation", f"Warning: {data.large_intervals:,} {intervals} an unexplained change "
                                           "larger than 5% of the earlier count. See the Reconciliation page.")


def briefing_pack(view: View) -> None:
    """The briefing report (HTML, PDF) and the bundle of everything, for the filters as they are."""
    st.subheader("Briefing pack")
    st.caption("The headline figures, every chart of the dashboard, the reconciliation table and the sources, "
               "for the sites, dates and host countries chosen. The HTML works offline; the bundle adds every "
               "chart as PNG and SVG, the data as CSV, XLSX and HXL, and a copy of the database.")
    static = rendering.static_available()
    stem = f"briefing_as_of_{view.as_of}" if view.as_of else "briefing"
    bundle = f"bundle_as_of_{view.as_of}" if view.as_of else "bundle"
    row = st.columns(3)
    row[0].download_button("Download briefing (HTML)", cache.briefing(view, "html"), file_name=f"{stem}.html",
                           mime=rendering.MIME["html"], key="briefing_html", on_click="ignore")
    row[1].download_button("Download briefing (PDF)", cache.briefing(view, "pdf"), file_name=f"{stem}.pdf",
                           mime=rendering.MIME["pdf"], key="briefing_pdf", on_click="ignore", disabled=not static)
    row[2].download_button("Download bundle (zip)", cache.bundle(view), file_name=f"{bundle}.zip",
                           mime=rendering.MIME["zip"], key="briefing_bundle", on_click="ignore", disabled=not static)
    if not static:
        st.caption(rendering.NO_BROWSER)
