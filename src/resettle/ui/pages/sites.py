"""Sites: every site of the view side by side (its residents now, the age of its latest count, its
relocations and deaths, its unexplained change, its residents over time), the stale ones and those with
an unexplained change counted, a site chosen here shown on every page; and who remains, by sex and age."""

from __future__ import annotations

import streamlit as st

from resettle.compute import composition
from resettle.figures import maps
from resettle.figures.pages import SitesData
from resettle.ui import cache, common, text
from resettle.ui.filters import View

PATH = "sites"
PICK = "sites_pick"

COLUMNS = {
    "name": st.column_config.TextColumn("Site", pinned=True),
    "country": st.column_config.TextColumn("Country"),
    "type": st.column_config.TextColumn("Type"),
    "residents_now": st.column_config.NumberColumn("Residents now", format="localized",
                                                   help="The estimate, as on the Overview: the latest count "
                                                        "minus the departures and deaths since (a stock)."),
    "latest_count": st.column_config.TextColumn("Latest count", help="The date of the latest count up to the "
                                                                      "as-of date."),
    "count_age_days": st.column_config.NumberColumn("Count age (days)", format="localized"),
    "stale": st.column_config.CheckboxColumn("Stale"),
    "baseline": st.column_config.NumberColumn("Baseline", format="localized", help="The earliest count."),
    "departed": st.column_config.NumberColumn("Departed", format="localized",
                                              help="Departed transfers up to the as-of date (a sum of flows)."),
    "pct_relocated": st.column_config.NumberColumn("% relocated", format="%.1f %%"),
    "departures_last_90_days": st.column_config.NumberColumn("Departures, 90 days", format="localized"),
    "projected_completion": st.column_config.TextColumn("Projected completion"),
    "deaths": st.column_config.NumberColumn("Deaths", format="localized"),
    "unexplained_change": st.column_config.NumberColumn("Unexplained change", format="%+d",
                                                        help="Over every interval between counts up to the "
                                                             "as-of date (see Reconciliation)."),
    "intervals_unexplained": st.column_config.NumberColumn("Intervals unexplained",
                                                           help="Intervals between counts whose change the "
                                                                "departures and deaths do not explain."),
    "residents_over_time": st.column_config.LineChartColumn("Residents over time", y_min=0),
}


def _show_on_every_page() -> None:
    """Choosing a site sets the sidebar's site filter (and so the URL): every page follows."""
    chosen = st.session_state.get(PICK)
    if chosen:
        st.session_state["sites"] = [chosen]
    st.session_state[PICK] = None  # the sidebar shows the choice; this box is ready for the next one


def _all_sites() -> None:
    st.session_state["sites"] = []


def page(view: View) -> None:
    st.title("Sites")
    data: SitesData = cache.page_data(PATH, view)
    if data.empty:
        st.info("No sites with dated records in this view yet: import sites and population counts.")
        return
    table = data.table
    counted = bool(table["latest_count"].notna().any())
    if not counted:
        st.info(f"None of these sites has a population count up to {data.as_of} yet, so none has a residents "
                "estimate: import population counts (the Import page, or `resettle import population FILE`).")
    sites = "site" if len(table) == 1 else "sites"
    st.caption(
        f"**{len(table):,}** {sites} as of **{data.as_of}**. **{data.stale:,}** stale (latest count more than "
        f"{data.stale_days} days before the as-of date: the residents estimate rests on the flows since); "
        f"**{data.unexplained:,}** with an unexplained change between counts (see Reconciliation). "
        "Each row is the Overview's figures for that site alone; click a heading to sort.")
    site_map(view, data)
    st.dataframe(table, hide_index=True, width="stretch", column_order=list(COLUMNS), column_config=COLUMNS,
                 key="sites_table")
    pick, back = st.columns([3, 1])
    pick.selectbox("Show one site on every page", list(table["name"]), index=None, key=PICK,
                   placeholder="Choose a site", on_change=_show_on_every_page,
                   help="Sets the sidebar's site filter (and the link): every page then shows that site.")
    if view.sites:
        back.button("Back to all sites", on_click=_all_sites, key="sites_all")
    if counted:
        who_remains(view, data)


def site_map(view: View, data: SitesData) -> None:
    """The sites at their coordinates (sized by residents now, coloured by % relocated), and under it the
    sites the map cannot place."""
    figures = cache.page_figures(PATH, view)
    unplaced = maps.unplaced_sites(data.table)
    if "sites_map" in figures:
        common.map_chart(figures["sites_map"], key="chart_sites_map", name="sites_map", view=view)
        if unplaced:
            st.caption(text.plain(f"Not on the map, no coordinates recorded ({len(unplaced):,}): " + ", ".join(unplaced)))
    else:
        st.caption("No site of this view has coordinates (lat, lon), so there is no map: import them with the "
                   "sites (`resettle import sites FILE`).")


def who_remains(view: View, data: SitesData) -> None:
    """The sex and age of the residents, from the latest counts that give them; or how to import them."""
    st.subheader("Who remains: sex and age")
    comp = data.composition
    if comp.empty:
        st.info(composition.how_to_import())
        return
    row = st.columns(2)
    row[0].metric("Children (under 18)", _share(comp.children_share),
                  help="Of the residents of the counts that give the number of children (or every child age band).")
    row[1].metric("Aged 60 and over", _share(comp.over_60_share),
                  help="Of the residents of the counts that give the 60+ age band.")
    for note in comp.notes:
        st.caption(text.plain(note))
    common.chart(cache.page_figures(PATH, view)["age_sex_pyramid"], key="chart_pyramid", name="age_sex_pyramid",
                 view=view)


def _share(value: float | None) -> str:
    return "not reported" if value is None else text.percent(value)
