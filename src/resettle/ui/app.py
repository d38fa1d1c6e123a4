"""The dashboard's frame: page configuration, navigation, the sidebar filters, and each page run inside a
guard. `dashboard.py` calls `main()`; tests call `main(default=...)` to open one page."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from resettle.figures import registry
from resettle.store import db
from resettle.ui import cache, common, filters
from resettle.ui import pages as page_modules


def pages() -> list[registry.Page]:
    """The pages of the navigation, in the registry's order: in read-only mode (RESETTLE_READ_ONLY)
    without those for editors (Import), so neither the upload nor any undo exists (the library refuses
    them on the server side too)."""
    return [p for p in registry.PAGES if not (p.for_editors and db.read_only_mode())]


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
    cache.read_version()  # once per run: every cached call of this run is keyed by it
    state: dict = {}
    bodies = page_modules.bodies()

    def runner(page: registry.Page) -> Callable[[], None]:
        body = bodies[page.path]

        def run() -> None:
            if state.get("empty") and not page.for_editors:
                common.first_screen(editing)
            else:
                common.guarded(page.path, lambda: body(state.get("view")))
        run.__name__ = f"page_{page.path}"
        return run

    shown = {p: _Page(runner(p), title=p.title, url_path=p.path, default=p.path == default) for p in pages()}
    # The page where data is added: an empty database's first screen links to it (None in read-only mode).
    editing = next((nav for p, nav in shown.items() if p.for_editors), None)
    common.remember_pages({p.path: nav for p, nav in shown.items()})
    nav = st.navigation(list(shown.values()))

    def frame() -> None:
        state["empty"] = cache.is_empty()
        state["view"] = None if state["empty"] else filters.sidebar()

    common.guarded("sidebar", frame)
    if "empty" not in state or (not state["empty"] and "view" not in state):
        return  # the database could not be opened or the filters failed: the message is shown
    nav.run()
