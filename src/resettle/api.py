"""The library: what a notebook uses, and what the `resettle` command line is built on.

    import resettle

    db = resettle.open_database("data/resettle.db")
    figures = db.headline(sites=["Camp Liberty"], as_of="2015-12-31")
    figures.residents, figures.relocated_total, figures.projected_completion
    db.page("relocation", sites=["Camp Liberty"]).per_month   # a DataFrame: month, host_country, people

A `Database` is a path, not an open connection: each call opens its own connection and closes it (a
sqlite3 connection belongs to the thread that made it), so one `Database` may be used from any thread.
Every figure follows DOMAIN.md, exactly as the dashboard and the command line show it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resettle.domain.errors import UsageError
from resettle.figures import registry
from resettle.ingest import importer
from resettle.store import db as store

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from resettle.compute.scope import Scope
    from resettle.store import changes as changes_

Sites = str | Sequence[str] | None  # one site's name, several, or None for every site
Day = str | dt.date | None  # an as-of date (YYYY-MM-DD), or None for the latest data


@dataclass(frozen=True)
class Headline:
    """The headline figures of a view at its as-of date (DOMAIN.md): every people count a whole number,
    None where the data cannot say (no count yet, no departures in 90 days)."""

    as_of: str | None  # the as-of date D (YYYY-MM-DD); None when the sites have no dated record
    site: str | None  # the sites' names, None for every site
    baseline_population: int | None  # the earliest population count of each site, summed
    residents: int | None  # the latest count up to D minus departures and deaths since (a stock)
    relocated_total: int  # people departed up to D (a sum of flows)
    relocated_by_country: dict[str, int]  # the same by host country (ISO3), largest first
    percent_relocated: float | None  # relocated_total as a share of baseline_population, in %
    departures_last_90_days: int
    projected_completion: str | None  # when the sites would be empty at the pace of the last 90 days
    deaths_recorded: int  # killed in incidents, plus medical evacuations that ended in death, up to D
    unexplained_change: int  # over every interval between two counts up to D (0: the flows explain them)
    host_countries: tuple[str, ...] = ()  # the view's host countries (ISO3), when it names some
    relocated_to_host_countries: int | None = None  # people relocated to those, up to D

    @classmethod
    def from_summary(cls, summary: dict, host_countries: Sequence[str] = ()) -> Headline:
        """From `compute.headline.summary`'s figures (the keys of `resettle summary --json`)."""
        from resettle.compute import headline

        known = {f.name for f in fields(cls)}
        chosen = tuple(host_countries)
        return cls(**{k: v for k, v in summary.items() if k in known}, host_countries=chosen,
                   relocated_to_host_countries=headline.relocated_to(summary, chosen) if chosen else None)

    def as_dict(self) -> dict[str, Any]:
        """The figures as `resettle summary --json` prints them (with the host countries' when asked)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.host_countries:
            del out["host_countries"], out["relocated_to_host_countries"]
        else:
            out["host_countries"] = list(self.host_countries)
        return out


@dataclass(frozen=True)
class View:
    """What to look at: some sites (None: all), a date range whose end is the as-of date (None: the latest
    data of those sites), and host countries (ISO3 codes or names; None: all)."""

    sites: Sites = None
    as_of: Day = None
    start: Day = None
    host_countries: Sequence[str] | None = field(default=None)


def open_database(path: str | os.PathLike | None = None, *, create: bool = False) -> Database:
    """The database at `path` (default: `$RESETTLE_DB`, else data/resettle.db under the current folder).
    A missing file is an error naming it, unless `create` (then it is made, with the current schema)."""
    return Database(path, create=create)


class Database:
    """A resettle database file: import into it, ask it for figures and pages, export from it."""

    def __init__(self, path: str | os.PathLike | None = None, *, create: bool = False) -> None:
        self.path = Path(path) if path is not None else store.default_path()
        if create:
            store.init(self.path)
        else:
            store.require_database(self.path)

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    @contextmanager
    def connect(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """An open connection (WAL, foreign keys on), closed afterwards: for SQL of your own."""
        conn = store.connect(self.path, create=create)
        try:
            yield conn
        finally:
            conn.close()

    # ------------------------------------------------------------ importing

    def import_file(self, kind: str, file: str | os.PathLike, options: importer.ImportOptions | None = None,
                    **choices: Any) -> importer.ImportReport:
        """Import `file` (CSV or XLSX) as records of `kind` (sites, population, transfers, medevacs,
        incidents, pledges): every row valid, or nothing written. Takes an `ImportOptions`, or its fields
        as keywords, the command line's options: `source=`, `column_map={"people": "Persons"}`,
        `set_values=`, `date_order="dayfirst"`, `sheet=`, `skip_invalid=`, `dry_run=`, `mapping=`,
        `save_mapping=`, `keep_totals=`, `columns_are=`. Raises FileProblem, ValidationFailed (with every error) or UsageError."""
        if options is not None and choices:
            raise UsageError("give either an ImportOptions or its fields as keywords, not both")
        if options is None:
            try:
                options = importer.ImportOptions(**choices)
            except TypeError as exc:
                raise UsageError(f"import_file: {exc}") from None
        return importer.import_file(self.path, kind, file, options)

    def batches(self) -> list[dict]:
        """Every import batch, newest first."""
        from resettle.store import writer

        with self.connect() as conn:
            return writer.list_batches(conn)

    def undo(self, batch_id: int, *, editor: str | None = None) -> dict[str, int]:
        """Remove exactly what batch `batch_id` added (and put back what it updated): rows removed per table."""
        from resettle.store import writer

        with self.connect() as conn:
            return writer.undo(conn, batch_id, editor=editor)

    # ------------------------------------------------------------ entering and correcting records

    def records(self, kind: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The records of `kind` with these ids as stored (field -> value, the site by name, with `id` and
        `batch_id`): what an editor loads, and passes back as `loaded` to have a concurrent change refused."""
        from resettle.store import changes

        with self.connect() as conn:
            return changes.records(conn, importer.check_kind(kind), list(ids))

    def add(self, kind: str, values: Mapping[str, Any], *, reason: str, editor: str | None = None,
            separate: bool = False) -> changes_.ChangeSet:
        """Add one record of `kind` (field -> value as a person writes it: "Albania", "2,400", a date) as a
        change set of its own; its id is `.added[0]`. Validated as an import row (ValidationFailed, nothing
        written); a record whose every field equals another's is refused unless `separate`."""
        return self.save(kind, [Correction("add", values=values)], reason=reason, editor=editor, separate=separate)

    def edit(self, kind: str, record_id: int, values: Mapping[str, Any], *, reason: str, editor: str | None = None,
             loaded: Mapping[str, Any] | None = None, separate: bool = False) -> changes_.ChangeSet:
        """Change the fields given of one record, as a change set of its own. With `loaded` (the record as
        `records` gave it), refused if the record changed since (ChangedSinceLoaded)."""
        return self.save(kind, [Correction("edit", record_id, values, loaded)], reason=reason, editor=editor,
                         separate=separate)

    def delete(self, kind: str, record_id: int, *, reason: str, editor: str | None = None,
               loaded: Mapping[str, Any] | None = None) -> changes_.ChangeSet:
        """Delete one record, as a change set of its own (undo puts it back as it was)."""
        return self.save(kind, [Correction("delete", record_id, loaded=loaded)], reason=reason, editor=editor)

    def save(self, kind: str, corrections: Sequence[Correction], *, reason: str, editor: str | None = None,
             separate: bool = False) -> changes_.ChangeSet:
        """Records added, edited and deleted, saved as one change set with `reason`, all or nothing.

        Every added or edited row is validated as an import row (ValidationFailed names each row and
        field; nothing written). A record edited or deleted that is no longer as loaded (or, without
        `loaded`, changed between reading and writing) refuses the whole change set (ChangedSinceLoaded);
        an unknown id is an UnknownRecord. Read-only and public modes refuse it all (UsageError)."""
        from resettle.ingest import entry
        from resettle.store import changes

        require_editing("correcting records")
        record_kind = importer.check_kind(kind)
        if not " ".join((reason or "").split()):
            raise UsageError("a change set needs a reason: say why these records change")
        for c in corrections:
            entry.check_fields(record_kind, list(c.values))
        with self._writing() as conn:
            ids = [int(c.record_id) for c in corrections if c.action != "add" and c.record_id is not None]
            now = changes.records(conn, record_kind, ids)
            rows, lines, out = [], [], []
            # Messages name rows by the caller's numbers (the Data page's rows), else by their places.
            numbered = len({c.row for c in corrections}) == len(corrections) and None not in {c.row for c in corrections}
            for n, c in enumerate(corrections, start=1):
                line = c.row if numbered else n
                base = _as_loaded(c, now)
                if c.action != "add" and base is None:
                    raise changes.UnknownRecord(f"there is no {kind} record {c.record_id}; `resettle history` and the "
                                                "Data page show the ids")
                out.append(changes.RowChange(c.action, c.record_id, loaded=base,
                                             label=f"row {line}" if numbered else ""))
                if c.action != "delete":
                    rows.append({**({f: base.get(f) for f in record_kind.names} if base else {}), **c.values})
                    lines.append(line)
            validated = iter(entry.validate(record_kind, rows, lines=lines))
            for change in out:
                if change.action != "delete":
                    change.values = next(validated)
            return changes.write_change_set(conn, kind, out, reason=reason, editor=editor, allow_twins=separate)

    def history(self, kind: str, record_id: int) -> list[changes_.Version]:
        """Every version of a record, oldest first: when, who, why, and each field before and after."""
        from resettle.store import changes

        with self.connect() as conn:
            return changes.history(conn, importer.check_kind(kind).name, int(record_id))

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A connection for a change: a database file nobody may write is a usage error, not a traceback."""
        try:
            with self.connect() as conn:
                yield conn
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise UsageError(f"{self.path} cannot be written ({exc}): nothing was changed") from None
            raise

    # ------------------------------------------------------------ figures

    def sites(self) -> list[str]:
        """The names of every site, in the order they were added."""
        from resettle.compute.scope import resolve_sites

        with self.connect() as conn:
            return [name for _, name in resolve_sites(conn, None)]

    def headline(self, sites: Sites = None, as_of: Day = None,
                 host_countries: Sequence[str] | None = None) -> Headline:
        """The headline figures of the sites (all when None) at `as_of` (the latest data when None)."""
        from resettle.compute import headline
        from resettle.compute.scope import parse_as_of

        with self.connect() as conn:
            figures = headline.summary(conn, site=_names(sites), as_of=_day(as_of, parse_as_of))
        return Headline.from_summary(figures, _countries(host_countries))

    def page(self, path: str, view: View | None = None, **where: Any) -> Any:
        """What a dashboard page shows for a view: a dataclass whose tables are DataFrames
        (`OverviewData`, `RelocationData`, `MedicalData`, `IncidentsData`, `ReconciliationData`).
        `path` is one of `chart_pages()`; the view is a `View` or its fields as keywords."""
        wanted = _page(path)
        with self.connect() as conn:
            return wanted.gather(conn, self._scope(conn, view or View(**where)))

    def charts(self, pages: Sequence[str] | None = None, view: View | None = None,
               **where: Any) -> dict[str, go.Figure]:
        """Every chart of the dashboard (or of the pages named) for a view, by stable name, as plotly
        Figures: with titles, units, the as-of date and sources, as the dashboard draws them."""
        chosen = tuple(_page(p).path for p in pages) if pages else None
        with self.connect() as conn:
            return registry.build_all(conn, self._scope(conn, view or View(**where)), chosen)

    def as_of(self, view: View | None = None, **where: Any) -> str | None:
        """The as-of date of a view (YYYY-MM-DD): the one it names, else the latest data of its sites
        (DOMAIN.md); None while those sites have no dated record."""
        with self.connect() as conn:
            return self._scope(conn, view or View(**where)).end

    def _scope(self, conn: sqlite3.Connection, view: View) -> Scope:
        from resettle.compute.scope import parse_as_of, view_scope

        names = _names(view.sites)
        return view_scope(conn, [names] if isinstance(names, str) else names, _day(view.start, parse_as_of),
                          _day(view.as_of, parse_as_of), _countries(view.host_countries))

    # ------------------------------------------------------------ exports

    def export_charts(self, out: str | os.PathLike, formats: Sequence[str] = ("png",),
                      pages: Sequence[str] | None = None, view: View | None = None, *,
                      width: int = 1280, height: int = 720, scale: float = 2, **where: Any) -> list[Path]:
        """Every chart (or those of `pages`) into the folder `out` as <chart>.<format>, for each format
        of png, svg, pdf (these need Chrome or Chromium) and html. Returns the files written."""
        from resettle.publish import rendering

        formats = tuple(dict.fromkeys(formats))
        if any(fmt in rendering.STATIC_FORMATS for fmt in formats):
            rendering.require_browser()  # before anything is computed or written
        built = self.charts(pages, view, **where)
        size = rendering.Size(width, height, scale)
        return [path for fmt in formats for path in rendering.write_charts(built, fmt, Path(out), size)]

    def export_data(self, out: str | os.PathLike, fmt: str = "csv", sites: Sites = None) -> list[Path]:
        """Every table (of the sites, or all) into the folder `out`: <table>.csv, <table>.hxl.csv (HXL
        tagged) or resettle.xlsx. Every row, whatever its date."""
        from resettle.compute.scope import Scope, resolve_sites
        from resettle.publish import tables

        with self.connect() as conn:
            scope = Scope(tuple(resolve_sites(conn, _names(sites))), None)
            return tables.write_data(conn, scope, fmt, Path(out))

    def export_report(self, out: str | os.PathLike, view: View | None = None, **where: Any) -> Path:
        """The briefing report of a view into `out`: FILE.html (works offline) or FILE.pdf (needs Chrome or
        Chromium): headline figures, every chart, the reconciliation and the sources."""
        from resettle.publish import rendering, report

        out = Path(out)
        if out.suffix.lower() == ".pdf":
            rendering.require_browser()
        view = view or View(**where)
        names = _names(view.sites)
        with self.connect() as conn:
            scope = self._scope(conn, view)
            label = scope.sites[0][1] if isinstance(names, str) else None
            return report.write_report(conn, scope, out, label=label)

    def export_bundle(self, out: str | os.PathLike, view: View | None = None, **where: Any) -> Path:
        """A zip of a view: the report (HTML, PDF), every chart (PNG, SVG), the data (CSV, XLSX, HXL) and a
        copy of the database, all from one snapshot. Needs Chrome or Chromium."""
        from resettle.compute.scope import parse_as_of
        from resettle.publish import bundle, rendering

        rendering.require_browser()
        view = view or View(**where)
        names = _names(view.sites)
        day, start = _day(view.as_of, parse_as_of), _day(view.start, parse_as_of)
        path, _ = bundle.write_bundle(self.path, Path(out), sites=[names] if isinstance(names, str) else names,
                                      as_of=day.isoformat() if day else None,
                                      start=start.isoformat() if start else None,
                                      host_countries=_countries(view.host_countries))
        return path


@dataclass
class Correction:
    """One record of a change set: "add" (its `values`), "edit" (record `record_id`: the fields in
    `values` change, the others stay) or "delete". `loaded`: the record as the editor loaded it
    (`Database.records`), so that a change made meanwhile by someone else is refused. `row` numbers it
    in messages (the Data page's row), by default its place in the list."""

    action: str
    record_id: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    loaded: Mapping[str, Any] | None = None
    row: int | None = None


def _as_loaded(c: Correction, now: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The record an edit or deletion starts from: as the editor loaded it, else as it is now (None for an
    added record, or an id that does not exist)."""
    if c.loaded is not None:
        return dict(c.loaded)
    return now.get(int(c.record_id)) if c.record_id is not None else None


def require_editing(action: str) -> None:
    """Refuse a change in read-only mode and in public mode (RESETTLE_PUBLIC), on the server side: a
    public dashboard shows suppressed figures and must not take corrections of them."""
    from resettle.compute import disclosure

    store.require_writable(action)
    if disclosure.public_mode():
        raise UsageError(f"this dashboard is public: {action} is switched off (RESETTLE_PUBLIC is set)")


def chart_pages() -> tuple[str, ...]:
    """The dashboard pages that draw charts, in the navigation's order: what `Database.page` takes."""
    return registry.CHART_PAGES


def _page(path: str) -> registry.Page:
    if path not in registry.CHART_PAGES:
        raise UsageError(f"no page {path!r} with data: one of {', '.join(registry.CHART_PAGES)}")
    return registry.page(path)


def _names(sites: Sites) -> str | list[str] | None:
    if sites is None or isinstance(sites, str):
        return sites or None
    return list(sites) or None


def _day(value: Day, parse) -> dt.date | None:
    return value if isinstance(value, dt.date) or value is None else parse(value)


def _countries(values: Sequence[str] | None) -> tuple[str, ...]:
    """ISO3 codes for host countries written as codes or names (an unknown one is a UsageError)."""
    if not values:
        return ()
    from resettle.domain import countries

    out = []
    for value in values:
        try:
            code = countries.to_iso3(value)
        except countries.UnknownCountry as exc:
            raise UsageError(str(exc)) from None
        if code:
            out.append(code)
    return tuple(out)
