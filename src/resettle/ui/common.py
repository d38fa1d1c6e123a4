"""What every page shares: how figures are written, the metric deltas, a chart with its key, the guard
that turns a failure into a message, and the first screen of an empty database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from resettle.domain.errors import ResettleError
from resettle.figures import geo
from resettle.publish import rendering
from resettle.ui import access, cache, text

log = logging.getLogger("resettle.ui")
CHANGE_NOTE = "vs 30 days earlier"


def delta(value, unit: str = "", colour: str = "normal") -> dict:
    """st.metric's delta arguments for a change (None: no delta; zero: no arrow, no colour)."""
    if value is None:
        return {}
    if value == 0:
        return {"delta": f"0{unit}", "delta_color": "off", "delta_arrow": "off", "delta_description": CHANGE_NOTE}
    text = f"{value:+,.1f}" if isinstance(value, float) else f"{value:+,}"
    return {"delta": f"{text}{unit}", "delta_color": colour, "delta_description": CHANGE_NOTE}


# The most rows a page's table shows (the Data page pages through every row). Each row is sent to the
# browser and laid out there on every visit: 12,000 rows made a page's first visit about 0.6 s slower.
TABLE_ROWS_MAX = 1_000


def table(data, **options) -> None:
    """A table of records: an empty cell shows as empty (Streamlit writes "None" by default, which reads
    like a value), the index hidden, the page's width."""
    st.dataframe(data, hide_index=True, width="stretch", placeholder="", **options)


def table_when_opened(label: str, key: str, data, **options) -> None:
    """A table behind a page's charts, in an expander that sends and draws its rows only once opened (and
    keeps it open on the runs after, under `key`). On a first visit the table's grid and rows made a page
    about half a second slower to draw than its charts alone."""
    box = st.expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            table(data, **options)


DOWNLOADS = (("png", "PNG"), ("svg", "SVG"), ("pdf", "PDF"), ("html", "HTML"))
# The maps' outlines come from this dashboard itself: Streamlit serves the static/ folder beside the entry
# script at app/static/ (server.enableStaticServing), relative to the page, so under any base URL path
# too. plotly.js would otherwise fetch them from its CDN.
OUTLINES_URL = "app/static/"
PLOTLY_CONFIG = {"displaylogo": False, "topojsonURL": OUTLINES_URL}


def outlines_served() -> bool:
    """True when this server serves the maps' outlines: static file serving on, and the outlines in the
    static/ folder beside the entry script (`resettle serve`, or `streamlit run dashboard.py` in a
    checkout). Otherwise a map would draw no country at all."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not st.get_option("server.enableStaticServing"):
        return False
    return (Path(ctx.main_script_path).parent / geo.STATIC_FOLDER / f"{geo.TOPOJSON_NAME}.json").is_file()


def map_chart(fig, key: str, *, name: str, view) -> None:
    """A map with its downloads; where this server does not serve the outlines, a warning says why its
    countries are missing and how to start the dashboard so they show (nothing is fetched elsewhere)."""
    if not outlines_served():
        st.warning("This map's country outlines are not served by this dashboard, so it shows no countries. "
                   "Start it with `resettle serve` (or set `server.enableStaticServing = true` and keep the "
                   "`static/` folder beside the entry script). The downloads below draw the outlines all the same.")
    chart(fig, key, name=name, view=view)


def chart(fig, key: str, *, name: str | None = None, view=None) -> None:
    """A chart; with its name (a page's `charts` in the page registry) and the view, a download of it under it."""
    st.plotly_chart(fig, width="stretch", key=key, config=PLOTLY_CONFIG)
    if name is not None and view is not None:
        downloads(fig, name, view, key)


def downloads(fig, name: str, view, key: str) -> None:
    """The chart as PNG, SVG, PDF or interactive HTML, each made when its button is pressed (PNG, SVG and
    PDF by the shared browser; without one, a line says how to get one and HTML still works)."""
    static = rendering.static_available()
    size = rendering.SLIDE
    with st.popover("Download chart", key=f"{key}_downloads"):
        st.caption(f"With its title, units, as-of date and sources, at {size.width}x{size.height} px "
                   f"(PNG at {size.scale:g}x). HTML is the interactive chart; it works offline.")
        cells = st.columns(len(DOWNLOADS))
        for cell, (fmt, label) in zip(cells, DOWNLOADS, strict=True):
            if fmt in rendering.STATIC_FORMATS and not static:
                continue
            stem = f"{name}_as_of_{view.as_of}" if view.as_of else name
            cell.download_button(label, cache.chart_file(view, name, fmt, fig), file_name=f"{stem}.{fmt}",
                                 mime=rendering.MIME[fmt], key=f"{key}_{fmt}", on_click="ignore")
        if not static:
            st.caption(rendering.NO_BROWSER)


_PAGES = "_navigation_pages"


def remember_pages(pages: dict) -> None:
    """The navigation's pages of this run by path (app.main), for links from one page to another."""
    st.session_state[_PAGES] = pages


def page_link(path: str, label: str) -> None:
    """A link to the page at `path` that keeps the view's filters (the URL's query parameters); as plain
    text where that page is not in the navigation."""
    target = st.session_state.get(_PAGES, {}).get(path)
    if target is None:
        st.markdown(text.plain(label))
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    st.page_link(target, label=label, query_params=params or None)


def guarded(name: str, body: Callable[[], None]) -> None:
    """Run a page body; a user's error shows its message, anything else a clear message (never a traceback)."""
    try:
        body()
    except ResettleError as exc:
        st.error(text.plain(exc))
    except Exception as exc:  # a bug: say so plainly, keep the details for the server log
        log.exception("the %s page failed", name)
        st.error(f"This page could not be shown because of an unexpected error ({type(exc).__name__}: {text.plain(exc)}). "
                 "Nothing was changed. Try other filters or reload the page; the details are in the server log.")


def first_screen(import_page) -> None:
    """The empty database: load the sample data, or import a file (`import_page` is None in read-only mode;
    the sample is offered to an editor only)."""
    st.title("resettle")
    st.info("The database is empty: there are no sites, population counts or transfers yet.")
    if import_page is None:
        st.caption("This dashboard is read-only: data is added elsewhere, and shows here once it is.")
        return
    st.markdown(
        "Start with the **sample data**, an illustrative record of the Camp Liberty relocation (2013-2016) "
        "built on public milestones, several of them from partisan sources, each row citing its source. "
        "Or bring your own figures: import CSV or Excel files on the Import page, one record kind at a time "
        "(sites, population counts, transfers, medical evacuations, incidents, pledges)."
    )
    if access.editor() is None:
        st.caption("Sign in on the Import page to load the sample data or import a file.")
    elif st.button("Load the sample data", key="load_sample", type="primary"):
        with st.spinner("Loading the sample data…"):
            cache.load_sample()
        st.rerun()
    st.page_link(import_page, label="Import a file on the Import page →")
