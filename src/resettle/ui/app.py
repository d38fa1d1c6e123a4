"""The dashboard's frame: page configuration, navigation, the sidebar filters, and each page run inside a
guard. `dashboard.py` calls `main()`; tests call `main(default=...)` to open one page."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from resettle.store import db
from resettle.ui import cache as data
from resettle.ui import common, filters
from resettle.ui.pages import data as tables
from resettle.ui.pages import imports as importer
from resettle.ui.pages import incidents, medical, overview, reconciliation, relocation

# url path, title, page function (each takes the View of the sidebar filters)
PAGES: list[tuple[str, str, Callable]] = [
    ("overview", "Overview", overview.page),
    ("relocation", "Relocation", relocation.page),
    ("medical", "Medical access", medical.page),
    ("incidents", "Incidents", incidents.page),
    ("reconciliation", "Reconciliation", reconciliation.page),
    ("data", "Data", tables.page),
    ("import", "Import", importer.page),
]


def pages() -> list[tuple[str, str, Callable]]:
    """The pages of the navigation: in read-only mode (RESETTLE_READ_ONLY) without Import, so neither the
    upload nor any undo exists (the library refuses them on the server side too)."""
    return [p for p in PAGES if not (db.read_only_mode() and p[0] == "import")]


class _Page(StreamlitPage):
    """A page that answers at its own URL even when it is the default one. Streamlit serves its default
    page at "/" only and answers "/overview" with "Page not found"; this page keeps its url_path for
    the default too, so both "/" and "/overview" resolve to it."""

    @property
    def url_path(self) -> str:
        return self._url_path


def main(default: str = "overview") -> None:
    """Build the navigation, draw the filters, run the chosen page.

    Every page answers at its own URL (/overview, /relocation, ...); the root URL shows `default`."""
    # No page_icon: an emoji icon would be fetched from a CDN, and nothing here phones home.
    st.set_page_config(page_title="resettle", layout="wide")
    data.read_version()  # once per run: every cached call of this run is keyed by it
    state: dict = {}

    def runner(name: str, body: Callable) -> Callable[[], None]:
        def run() -> None:
            if state.get("empty") and name != "import":
                common.first_screen(state["pages"].get("import"))
            else:
                common.guarded(name, lambda: body(state.get("view")))
        run.__name__ = f"page_{name}"
        return run

    state["pages"] = {
        name: _Page(runner(name, body), title=title, url_path=name, default=name == default)
        for name, title, body in pages()
    }
    nav = st.navigation(list(state["pages"].values()))

    def frame() -> None:
        state["empty"] = data.is_empty()
        state["view"] = None if state["empty"] else filters.sidebar()

    common.guarded("sidebar", frame)
    if "empty" not in state or (not state["empty"] and "view" not in state):
        return  # the database could not be opened or the filters failed: the message is shown
    nav.run()
