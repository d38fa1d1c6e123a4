"""The dashboard's pages, one record each, in the navigation's order.

The one table of pages: the dashboard's navigation (ui/app.py), `resettle export charts --page`, the
report's sections and the bundle's charts all read it. Adding a page is one entry here (and, for the
dashboard, its module under resettle/ui/pages/ with the same PATH).

Reading the table imports neither pandas nor plotly: the CLI builds its --page choices from it as it
starts. So a page names its data and figure functions (in figures/pages.py), and they are imported when
first called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    import plotly.graph_objects as go

    from resettle.compute.scope import Scope


@dataclass(frozen=True)
class _PageFunction:
    """A function of resettle.figures.pages, named here and imported at its first call."""

    name: str

    def __call__(self, *args, **kwargs) -> Any:
        from resettle.figures import pages

        return getattr(pages, self.name)(*args, **kwargs)


@dataclass(frozen=True)
class Page:
    """One dashboard page.

    `path` is its URL path and its name everywhere else (export --page, the report's section ids);
    `title` names it in the navigation, `report_title` heads its charts in the report; `charts` are the
    names of its charts in the order it shows them (stable: they name exported files and download
    buttons). `gather(conn, scope)` returns the page's data (a dataclass of figures/pages.py) and
    `draw(data, colours)` its figures by chart name; both are None for a page without charts. A page
    `for_editors` adds data: it is left out in read-only mode, and an empty database's first screen
    links to it."""

    path: str
    title: str
    report_title: str | None = None
    charts: tuple[str, ...] = ()
    gather: _PageFunction | None = None
    draw: _PageFunction | None = None
    for_editors: bool = False


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "Remaining population and relocations",
         ("remaining_population", "cumulative_relocations"),
         _PageFunction("overview_data"), _PageFunction("overview_figures")),
    Page("sites", "Sites", "Sites: who remains",
         ("sites_map", "age_sex_pyramid"),
         _PageFunction("sites_data"), _PageFunction("sites_figures")),
    Page("relocation", "Relocation", "Relocation",
         ("departures_per_month", "stages"),
         _PageFunction("relocation_data"), _PageFunction("relocation_figures")),
    # Where people went apart from how fast they left: a map, a flow diagram and the pledges are drawn
    # only when asked for (on one page with the others, its first visit took 2.2 times the floor page's).
    Page("destinations", "Destinations", "Where people went",
         ("departures_map", "where_people_went", "pledged_vs_departed"),
         _PageFunction("destinations_data"), _PageFunction("destinations_figures")),
    Page("medical", "Medical access", "Medical access",
         ("medevacs_per_month", "waiting_days"),
         _PageFunction("medical_data"), _PageFunction("medical_figures")),
    Page("incidents", "Incidents", "Incidents and deaths",
         ("incidents_timeline", "cumulative_deaths"),
         _PageFunction("incidents_data"), _PageFunction("incidents_figures")),
    Page("reconciliation", "Reconciliation", "Reconciliation of counts and flows",
         ("reconciliation",),
         _PageFunction("reconciliation_data"), _PageFunction("reconciliation_figures")),
    Page("data", "Data"),
    Page("import", "Import", for_editors=True),
    # Quick entry on a page of its own, linkable (/add): a field officer's phone opens it straight away.
    # After Import: an empty database's first screen links to the first page for editors.
    Page("add", "Add a record", for_editors=True),
)
# The pages that draw charts: the choices of `export charts --page`.
CHART_PAGES: tuple[str, ...] = tuple(p.path for p in PAGES if p.charts)
_BY_PATH = {p.path: p for p in PAGES}


def page(path: str) -> Page:
    """The page at `path` ("overview", ...)."""
    return _BY_PATH[path]


def gather(conn: sqlite3.Connection, scope: Scope, paths: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What each page with charts shows for the scope (every one, or those named): path -> its data."""
    return {p.path: p.gather(conn, scope) for p in PAGES
            if p.gather is not None and (paths is None or p.path in paths)}


def draw(data: dict[str, Any], colours: dict[str, str] | None = None) -> dict[str, go.Figure]:
    """Every chart the pages in `data` (from `gather`) draw, by name, in the pages' order."""
    out: dict[str, go.Figure] = {}
    for p in PAGES:
        if p.draw is not None and p.path in data:
            out.update(p.draw(data[p.path], colours))
    return out


def build_all(conn: sqlite3.Connection, scope: Scope, paths: tuple[str, ...] | None = None) -> dict[str, go.Figure]:
    """Every dashboard chart for the scope (of every page, or of the pages named), by stable name
    ("remaining_population", ...). A chart the pages leave out for want of data (no medical evacuations,
    no stages) is left out here too."""
    from resettle.figures import pages

    return draw(gather(conn, scope, paths), pages.colours(conn))
