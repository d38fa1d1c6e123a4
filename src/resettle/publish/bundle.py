"""The bundle: one zip of the briefing (HTML and PDF), every chart as PNG and SVG, the data as CSV, XLSX
and HXL, and a copy of the database.

Everything in it is made from a snapshot of the database (SQLite's backup API), so the report, the
charts, the data and the copy inside it all tell the same story, even while an import runs.
`bundle_members` says what a bundle holds; `write_bundle` writes exactly that, in that order.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from resettle.compute import disclosure
from resettle.compute.scope import view_scope
from resettle.domain.errors import UsageError
from resettle.publish import rendering, report, tables
from resettle.store import backup, files

BUNDLE_DB = "resettle.db"
CHART_FORMATS = ("png", "svg")
STORED = (".xlsx", ".png", ".pdf")  # compressed already: deflating them again costs time and saves nothing
COMPRESSLEVEL = 1  # zlib's fastest: the CSV files and the database are most of the bytes


def bundle_members(figure_names: list[str]) -> list[str]:
    """The names inside a bundle, for these charts (names are ours, never the user's text)."""
    names = ["report.html", "report.pdf"]
    names += [f"charts/{n}.{fmt}" for n in figure_names for fmt in CHART_FORMATS]
    names += [f"data/{name}" for fmt in tables.DATA_FORMATS for name in tables.data_files(fmt)]
    if not disclosure.public_mode():  # the copy holds every row and name: never in a public bundle
        names += [BUNDLE_DB]
    return names


def _report_and_charts(connect, scope, size: rendering.Size) -> tuple[report.Briefing, dict[str, bytes]]:
    """The briefing of the scope, its HTML and PDF, and every chart as PNG and SVG, by their names in the
    bundle; read through a connection of this thread's own (`connect`)."""
    conn = connect()
    try:
        b = report.briefing(conn, scope)
    finally:
        conn.close()
    made = {"report.html": report.html_report(b).encode("utf-8"), "report.pdf": report.pdf_report(b)}
    for fmt in CHART_FORMATS:
        for name, content in rendering.charts_bytes(b.figures, fmt, size).items():
            made[f"charts/{name}.{fmt}"] = content
    return b, made


def write_bundle(db_path: Path, out: Path, *, sites: list[str] | tuple[str, ...] | None = None,
                 as_of: str | None = None, start: str | None = None, host_countries: tuple[str, ...] = (),
                 size: rendering.Size = rendering.SLIDE) -> tuple[Path, list[str]]:
    """The bundle of the sites, as-of date, start date and host countries given (the pages' filters),
    everything made from one consistent copy of the database. Returns the zip and its members."""
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise UsageError(f"{out.name}: the bundle is FILE.zip")
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give the bundle's file name (FILE.zip)")
    rendering.require_browser()
    with tempfile.TemporaryDirectory(prefix="resettle-bundle-") as tmp:
        copy = backup.backup(db_path, Path(tmp) / BUNDLE_DB)

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(copy.resolve().as_uri() + "?mode=ro", uri=True)

        conn = connect()
        try:
            scope = view_scope(conn, list(sites or ()), start, as_of, host_countries)
            # The report and charts on a thread of their own (their own connection to the same copy):
            # the browser renders them while this thread writes the data, which reads every table once.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="resettle-bundle") as pool:
                drawn = pool.submit(_report_and_charts, connect, scope, size)
                data = tables.write_every_format(conn, scope, Path(tmp) / "data")
                b, made = drawn.result()
            made.update({f"data/{path.name}": path for path in data})
        finally:
            conn.close()
        made[BUNDLE_DB] = copy
        members = bundle_members(list(b.figures))

        def write(partial: Path) -> None:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as zf:
                for name in members:
                    content = made[name]
                    how = zipfile.ZIP_STORED if name.endswith(STORED) else zipfile.ZIP_DEFLATED
                    if isinstance(content, Path):
                        zf.write(content, name, compress_type=how)
                    else:
                        zf.writestr(name, content, compress_type=how)

        files.write_atomically(out, write)
    return out, members
