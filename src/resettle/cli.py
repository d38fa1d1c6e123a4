"""`resettle` on the command line: parse, call one library function, print. Errors a user can cause
become a message and an exit status (1 invalid data, 2 usage or unreadable file), never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import NoReturn

import click

from resettle.domain.errors import ResettleError, ValidationFailed
from resettle.domain.records import KINDS
from resettle.figures import registry  # the page registry alone: no pandas, no plotly
from resettle.ingest import importer, wide
from resettle.store import audit as audit_log  # `audit` is a command here
from resettle.store import backup as backups

# compute, sample, subprocess and the publish modules are imported by the commands that use them:
# `resettle import` starts without them.
from resettle.store import db, schema, writer

ERROR_CAP = 50

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Database file (default: $RESETTLE_DB, else data/resettle.db under the current folder).",
)


def _db(db_path: Path | None) -> Path:
    return db_path if db_path is not None else db.default_path()


def _existing_db(db_path: Path | None) -> Path:
    """The database of a command that only reads: refused when missing, so that a typo in --db creates no
    empty database to report zeros from (exit 2, naming the path and `resettle init` / `resettle demo`)."""
    path = _db(db_path)
    db.require_database(path)
    return path


def _reader_gone() -> bool:
    """True when standard output is a pipe whose reader has closed it (`resettle audit | head`), as opposed
    to another pipe breaking (Chromium's, under an export), which is an error to report."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # no real stdout (CliRunner)
        return False


def _end_quietly() -> NoReturn:
    """The reader of our output has what it wanted: exit 0, no message. Standard output goes to /dev/null
    first, or the interpreter's last flush would fail on the closed pipe again and say so."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise click.exceptions.Exit(0)


class _Group(click.Group):
    """Turns our errors into a message and an exit status, for the console script and CliRunner alike."""

    def make_context(self, *args, **kwargs) -> click.Context:
        try:  # `resettle --help` and `--version` print while the arguments are parsed
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            if _reader_gone():
                _end_quietly()
            raise

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ResettleError as exc:
            raise _Exit(f"error: {exc}", exc.exit_code) from None
        except (OSError, UnicodeError) as exc:
            if isinstance(exc, BrokenPipeError) and _reader_gone():
                _end_quietly()
            raise _Exit(f"error: {exc}", 2) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="resettle")
def cli() -> None:
    """Track a camp's resettlement: population, transfers, medical evacuations, incidents, pledges.

    The database is looked for at --db FILE, else at $RESETTLE_DB, else at data/resettle.db under
    the current folder. `resettle init` and `resettle demo` create it (so do import, undo and serve);
    the commands that only read (summary, batches, audit, export, backup) refuse a missing one.
    """


@cli.command()
@db_option
def init(db_path: Path | None) -> None:
    """Create the database (or upgrade an older one in place)."""
    path = db.init(_db(db_path))
    click.echo(f"database ready: {path} (schema version {schema.SCHEMA_VERSION})")


@cli.command()
@db_option
def demo(db_path: Path | None) -> None:
    """Load the bundled illustrative sample data (Camp Liberty, 2013-2016)."""
    from resettle.ingest import sample

    path = _db(db_path)
    for report in sample.load(path):
        click.echo("\n".join(report.lines()))
    click.echo(f"sample data loaded into {path} (illustrative, not an official record)")


class _Progress:
    """A progress bar on stderr (rows, rows per second, time left) for an import that takes more than a
    moment; nothing at all when stderr is not a terminal (a pipe, a log file, a test)."""

    DELAY = 0.5  # seconds before the bar appears: a quick import prints only its report

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self.start = time.perf_counter()
        self.active = sys.stderr.isatty()
        self.shown = False

    def __call__(self, rows: int, total: int | None) -> None:
        if not self.active:
            return
        now = time.perf_counter()
        done = total is not None and rows >= total
        if not self.shown and (done or now - self.start < self.DELAY):
            return
        self.shown = True
        rate = rows / max(now - self.start, 1e-6)
        total = total or self.total
        if total and rows < total:
            left = (total - rows) / rate if rate else 0
            pct = min(100, 100 * rows / total)
            bar = "#" * int(pct / 4)
            line = f"[{bar:<25}] {pct:3.0f}% {rows:,} rows, {rate:,.0f} rows/s, about {left:.0f} s left"
        else:
            line = f"[{'#' * 25}] {rows:,} rows, {rate:,.0f} rows/s"
        click.echo(f"\r{line:<78}", nl=done, err=True)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.UsageError(f"{option} takes FIELD=VALUE, not {v!r}")
        k, _, rest = v.partition("=")
        out[k.strip()] = rest.strip()
    return out


def _write_errors(out: Path, errors) -> None:
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "column", "message"])
        for e in errors:
            w.writerow([e.path, e.line, e.column, e.message])


@cli.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@click.option("--source", help="Who reported these figures (for rows without a source column).")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--errors", "errors_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every error (file, line, column, message) to this CSV.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="The column that holds FIELD.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="One value of FIELD for every row.")
@click.option("--dayfirst", "order", flag_value="dayfirst", default=None, help="Read 1/9/2014 as 1 September.")
@click.option("--monthfirst", "order", flag_value="monthfirst", help="Read 1/9/2014 as 9 January.")
@click.option("--sheet", help="Excel sheet to read (default: the first).")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; write rejected rows to --errors.")
@click.option("--mapping", "mapping", metavar="NAME", help="Start from the mapping saved as NAME (--map/--set win).")
@click.option("--save-mapping", "save_as", metavar="NAME",
              help="Save this import's --map/--set/date order/fiscal year start as NAME.")
@click.option("--keep-totals", is_flag=True, help="Keep rows that sum others (totals, subtotals, World, regions).")
@click.option("--columns-are", "columns_are", type=click.Choice(list(wide.WIDE_FIELDS)),
              help="A wide table: each column is a site, date or country, each cell a count.")
@click.option("--fiscal-year-start", "fiscal_start", type=click.IntRange(1, 12), metavar="MONTH",
              help="The month (1-12) fiscal years start in: FY 2024 with 10 is 2023-10-01 to 2024-09-30.")
@click.option("--strict", is_flag=True,
              help="A country no one knows in an optional field is an error (default: stored empty, listed).")
def import_(kind, file, db_path, source, dry_run, errors_out, maps, sets, order, sheet, skip_invalid, mapping,
            save_as, keep_totals, columns_are, fiscal_start, strict) -> None:
    """Import FILE (CSV or XLSX) as records of KIND, all rows or none."""
    options = importer.ImportOptions(
        source=source, column_map=_pairs(maps, "--map"), set_values=_pairs(sets, "--set"), date_order=order,
        sheet=sheet, skip_invalid=skip_invalid, dry_run=dry_run, editor=os.environ.get("RESETTLE_EDITOR"),
        mapping=mapping, save_mapping=save_as, keep_totals=keep_totals, columns_are=columns_are,
        fiscal_year_start=fiscal_start, strict=strict,
    )
    options.progress = _Progress()
    try:
        report = importer.import_file(_db(db_path), kind, file, options)
    except ValidationFailed as exc:
        if errors_out:
            _write_errors(errors_out, exc.errors)
        shown = [*exc.mapping_lines, *(str(e) for e in exc.errors[:ERROR_CAP])]
        if exc.total > ERROR_CAP:
            shown.append(f"... {exc.total - ERROR_CAP} more errors ({exc.total} in all)"
                         + (f"; every one is in {errors_out}" if errors_out else "; --errors OUT.csv lists every one"))
        shown.append("Nothing was imported: the database is unchanged.")
        raise _Exit("\n".join(shown), 1) from None
    except ResettleError as exc:
        raise _Exit("\n".join([*exc.mapping_lines, f"error: {exc}"]), exc.exit_code) from None
    if errors_out and (report.errors or report.suppressed):
        _write_errors(errors_out, sorted([*report.errors, *report.suppressed], key=lambda e: e.line))
    elif report.errors:  # --skip-invalid without --errors: show the first rejected rows
        shown = [f"rejected {e}" for e in report.errors[:ERROR_CAP]]
        if len(report.errors) > ERROR_CAP:
            shown.append(f"... {len(report.errors) - ERROR_CAP} more; --errors OUT.csv lists every one")
        click.echo("\n".join(shown), err=True)
    click.echo("\n".join(report.lines()))


@cli.group(invoke_without_command=True)
@click.pass_context
def mappings(ctx: click.Context) -> None:
    """Saved column mappings (import --save-mapping NAME): list them, show one, delete one."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(mappings_list)


@mappings.command("list")
@db_option
def mappings_list(db_path: Path | None = None) -> None:
    """Every saved mapping: name, record kind, when it was saved."""
    from resettle.store import mappings as saved

    with closing(db.connect(_existing_db(db_path), create=False)) as conn:
        found = saved.list_mappings(conn)
    if not found:
        click.echo("no saved mappings (resettle import ... --save-mapping NAME saves one)")
        return
    for m in found:
        click.echo(f"{m.name:<24} {m.kind:<11} saved {m.created_at}")


@mappings.command("show")
@click.argument("name")
@db_option
def mappings_show(name: str, db_path: Path | None) -> None:
    """What the mapping NAME does: each --map and --set, the date order, the fiscal year start."""
    from resettle.store import mappings as saved

    with closing(db.connect(_existing_db(db_path), create=False)) as conn:
        m = saved.load_mapping(conn, name)
    click.echo(f"{m.name}: {m.kind}, saved {m.created_at}")
    for f, column in m.column_map.items():
        click.echo(f"  --map {f}={column}")
    for f, value in m.set_values.items():
        click.echo(f"  --set {f}={value}")
    if m.date_order:
        click.echo(f"  --{m.date_order}")
    if m.fiscal_year_start:
        click.echo(f"  --fiscal-year-start {m.fiscal_year_start}")


@mappings.command("delete")
@click.argument("name")
@db_option
def mappings_delete(name: str, db_path: Path | None) -> None:
    """Delete the saved mapping NAME."""
    from resettle.store import mappings as saved

    with closing(db.connect(_existing_db(db_path))) as conn:
        saved.delete_mapping(conn, name)
    click.echo(f"deleted the saved mapping {name!r}")


@cli.command()
@db_option
def batches(db_path: Path | None) -> None:
    """List import batches, newest first."""
    with closing(db.connect(_db(db_path), create=False)) as conn:
        rows = writer.list_batches(conn)
    if not rows:
        click.echo("no import batches yet")
        return
    click.echo(f"{'batch':>5}  {'kind':<10} {'rows':>8} {'added':>8} {'updated':>7}  {'imported (UTC)':<20}  file / source")
    for b in rows:
        src = f" / {b['source']}" if b["source"] else ""
        if b["reason"] is not None:  # a change set: records entered or corrected by hand
            src = f": {b['reason']}" + (f" ({b['rows_deleted']} deleted)" if b["rows_deleted"] else "")
        click.echo(f"{b['id']:>5}  {b['kind']:<10} {b['rows_read']:>8} {b['rows_added']:>8} {b['rows_updated']:>7}  "
                   f"{b['imported_at']:<20}  {b['file_name']}{src}")


@cli.command()
@click.argument("batch_id", type=int)
@db_option
def undo(batch_id: int, db_path: Path | None) -> None:
    """Remove exactly what import batch BATCH_ID added."""
    with closing(db.connect(_db(db_path))) as conn:
        removed = writer.undo(conn, batch_id, editor=os.environ.get("RESETTLE_EDITOR"))
    parts = ", ".join(f"{n} {t}" for t, n in removed.items() if n and not t.endswith(writer.RESTORED)) or "no rows"
    back = ", ".join(f"{n} {t.removesuffix(writer.RESTORED)}" for t, n in removed.items() if t.endswith(writer.RESTORED))
    click.echo(f"batch {batch_id} undone: removed {parts}" + (f"; put back {back} as they were" if back else ""))


@cli.command()
@db_option
@click.option("--site", help="One site (default: all sites together).")
@click.option("--as-of", "as_of", help="Figures as of this date, YYYY-MM-DD (default: the latest data).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def summary(db_path: Path | None, site: str | None, as_of: str | None, as_json: bool) -> None:
    """The headline figures, as DOMAIN.md defines them."""
    from resettle.api import Database

    headline = Database(_db(db_path)).headline(sites=site, as_of=as_of)
    if as_json:
        click.echo(json.dumps(headline.as_dict(), ensure_ascii=False))
        return
    click.echo(f"{headline.site or 'All sites'}, as of {headline.as_of or 'no data yet'}")
    labels = [
        ("baseline_population", "Baseline population"), ("residents", "Residents (estimate)"),
        ("relocated_total", "Relocated (departed)"), ("percent_relocated", "Relocated, % of baseline"),
        ("departures_last_90_days", "Departures, last 90 days"), ("projected_completion", "Projected completion"),
        ("deaths_recorded", "Deaths recorded"), ("unexplained_change", "Unexplained change"),
    ]
    for key, label in labels:
        value = getattr(headline, key)
        click.echo(f"  {label:<28} {'-' if value is None else value}")
    for country, people in headline.relocated_by_country.items():
        click.echo(f"    to {country:<24} {people}")


@cli.command()
@db_option
def audit(db_path: Path | None) -> None:
    """List the audit log: every import and undo, when, by which editor (RESETTLE_EDITOR)."""
    with closing(db.connect(_db(db_path), create=False)) as conn:
        rows = audit_log.list_audit(conn)
    if not rows:
        click.echo("the audit log is empty")
        return
    click.echo(f"{'id':>5}  {'at (UTC)':<20}  {'editor':<16} {'action':<7} {'batch':>5}  what")
    for r in rows:
        batch = "" if r["batch_id"] is None else r["batch_id"]
        click.echo(f"{r['id']:>5}  {r['at']:<20}  {r['editor'] or '-':<16} {r['action']:<7} {batch:>5}  {r['detail'] or ''}")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@db_option
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists (also how a backup is restored).")
def backup(out: Path, db_path: Path | None, force: bool) -> None:
    """Copy the database to OUT consistently, even while it is in use."""
    src = _existing_db(db_path)
    dest = backups.backup(src, out, force=force)
    click.echo(f"backed up {src} to {dest} ({dest.stat().st_size / 1_048_576:.1f} MB)")


@cli.group()
def export() -> None:
    """Charts, data, the briefing report and the bundle, for a site (or all) and an as-of date."""


site_option = click.option("--site", help="One site (default: all sites together).")
as_of_option = click.option("--as-of", "as_of", help="As of this date, YYYY-MM-DD (default: the latest data).")
out_dir_option = click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
                              help="The folder to write into (created if missing).")


@export.command("charts")
@click.option("--format", "fmts", required=True, multiple=True, type=click.Choice(["png", "svg", "pdf", "html"]),
              help="Repeat for several formats in one run (the browser starts once): --format png --format svg.")
@click.option("--page", "pages", multiple=True, type=click.Choice(registry.CHART_PAGES),
              help="Only the charts of this dashboard page (repeatable); default: every page.")
@out_dir_option
@site_option
@as_of_option
@db_option
@click.option("--width", type=int, default=1280, show_default=True, help="Chart width in CSS pixels.")
@click.option("--height", type=int, default=720, show_default=True, help="Chart height in CSS pixels.")
@click.option("--scale", type=float, default=2, show_default=True, help="PNG pixels per CSS pixel.")
def export_charts(fmts, pages, out, site, as_of, db_path, width, height, scale) -> None:
    """Every dashboard chart (or those of --page) into --out as <chart>.<format>."""
    from resettle.api import Database, View

    database = Database(_db(db_path))  # before the browser check: a wrong path is the likelier mistake
    fmts = tuple(dict.fromkeys(fmts))  # each once, in the order given
    started = time.perf_counter()
    view = View(sites=site, as_of=as_of)
    written = database.export_charts(out, fmts, pages or None, view, width=width, height=height, scale=scale)
    for path in written:
        click.echo(str(path))
    click.echo(f"{len(written) // len(fmts)} charts as {', '.join(f.upper() for f in fmts)}, as of "
               f"{database.as_of(view) or 'no data yet'}, in {time.perf_counter() - started:.1f} s", err=True)


@export.command("data")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx", "hxl"]))
@out_dir_option
@site_option
@db_option
def export_data(fmt, out, site, db_path) -> None:
    """Every table (of the site, or all) into --out: <table>.csv, <table>.hxl.csv or resettle.xlsx."""
    from resettle.api import Database

    for path in Database(_db(db_path)).export_data(out, fmt, sites=site):
        click.echo(str(path))


@export.command("report")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.html (works offline) or FILE.pdf (needs Chrome or Chromium).")
@site_option
@as_of_option
@db_option
def export_report(out, site, as_of, db_path) -> None:
    """The briefing report: headline figures, every chart, reconciliation, sources."""
    from resettle.api import Database, View

    database = Database(_db(db_path))  # before the browser check: a wrong path is the likelier mistake
    view = View(sites=site, as_of=as_of)
    path = database.export_report(out, view)
    click.echo(f"{path} ({path.stat().st_size / 1_048_576:.1f} MB), as of {database.as_of(view) or 'no data yet'}")


@export.command("bundle")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.zip: the report, every chart, the data and a copy of the database.")
@site_option
@as_of_option
@db_option
def export_bundle(out, site, as_of, db_path) -> None:
    """A zip: the report (HTML, PDF), every chart (PNG, SVG), the data (CSV, XLSX, HXL), the database."""
    import zipfile

    from resettle.api import Database, View

    path = Database(_db(db_path)).export_bundle(out, View(sites=site, as_of=as_of))
    with zipfile.ZipFile(path) as made:
        members = len(made.namelist())
    click.echo(f"{path} ({path.stat().st_size / 1_048_576:.1f} MB, {members} files)")


# What .streamlit/config.toml sets for `streamlit run dashboard.py` in a checkout (its upload limit aside:
# --max-upload-mb). An installed resettle has no such file, so `resettle serve` passes each one itself; a
# test keeps the two in step.
STREAMLIT_OPTIONS = {
    "browser.gatherUsageStats": "false",  # nothing phones home: the data is about people at risk
    "server.headless": "true",  # a server: no browser opened on the machine it runs on
    "client.toolbarMode": "minimal",
    # The maps' outlines come from the dashboard itself (static/ beside the entry script), not from a CDN.
    "server.enableStaticServing": "true",
    # Per-visit work a served dashboard does not need (issue "Fast at scale"; the README's Performance): no
    # watch on every module's file for each session, no full garbage collection after every script run.
    "server.fileWatcherType": "none",
    "runner.postScriptGC": "false",
}


@cli.command()
@db_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Where to listen: 127.0.0.1 is this computer only; 0.0.0.0 every network (configure editors first).")
@click.option("--max-upload-mb", "max_upload_mb", type=click.IntRange(1, 1000), default=None,
              help="The Import page's upload limit in MB (default 50).")
def serve(db_path: Path | None, port: int, address: str, max_upload_mb: int | None) -> None:
    """Start the dashboard (builds the database from the sample data if it is missing)."""
    import subprocess
    from importlib import resources

    from resettle.ingest import sample
    from resettle.ingest.review import MAX_UPLOAD_MB

    path = _db(db_path).resolve()  # absolute: the server must find it whatever its working folder
    if not path.exists():
        click.echo(f"{path} does not exist: loading the sample data first")
        sample.load(path)
    env = {**os.environ, "RESETTLE_DB": str(path)}
    options = {**STREAMLIT_OPTIONS, "server.port": port, "server.address": address,
               "server.maxUploadSize": max_upload_mb or MAX_UPLOAD_MB}
    with resources.as_file(resources.files("resettle") / "dashboard.py") as script:
        cmd = [sys.executable, "-m", "streamlit", "run", str(script),
               *(arg for name, value in options.items() for arg in (f"--{name}", str(value)))]
        raise SystemExit(subprocess.call(cmd, env=env))


@cli.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the password from the first line of standard input (no prompt).")
@click.option("--name", help="Print NAME:HASH, the form RESETTLE_EDITORS takes.")
def hash_password(from_stdin: bool, name: str | None) -> None:
    """Print the salted scrypt hash of an editor's password, for Streamlit secrets or RESETTLE_EDITORS."""
    from resettle.store import auth

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, default="",
                                show_default=False, err=True)
    if len(password) < auth.MIN_PASSWORD:
        raise _Exit(f"error: the password must have at least {auth.MIN_PASSWORD} characters", 2)
    line = auth.hash_password(password)
    click.echo(f"{name.strip()}:{line}" if name else line)


# ---------------------------------------------------------------- records by hand: add, edit, delete, history
# Each is a change set (a batch with a reason): `resettle batches` lists it, `resettle undo` undoes it.

reason_option = click.option("--reason", required=True, help="Why this change is made (kept with it, required).")
separate_option = click.option("--separate", is_flag=True,
                               help="The record is a separate one even if every field equals another's.")


def _field_values(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        name, eq, rest = v.partition("=")
        if not eq or not name.strip():
            raise click.UsageError(f"give each field as FIELD=VALUE, not {v!r}")
        out[name.strip()] = rest.strip()
    return out


def _saved(change) -> None:
    """Write the change set; a value that fails validation is exit status 1, nothing written."""
    from resettle.ingest import entry

    try:
        return change()
    except ValidationFailed as exc:
        lines = [entry.describe(e, row_word=None) for e in exc.errors[:ERROR_CAP]]
        lines.append("Nothing was written: the database is unchanged.")
        raise _Exit("\n".join(lines), 1) from None


@cli.command()
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("values", nargs=-1, required=True, metavar="FIELD=VALUE...")
@reason_option
@separate_option
@db_option
def add(kind: str, values: tuple[str, ...], reason: str, separate: bool, db_path: Path | None) -> None:
    """Add one record of KIND (validated as an import row), as a change set; prints the new record's id."""
    from resettle.api import Database

    database = Database(_db(db_path))
    done = _saved(lambda: database.add(kind, _field_values(values), reason=reason,
                                       editor=os.environ.get("RESETTLE_EDITOR"), separate=separate))
    click.echo(done.added[0])
    click.echo(done.line(), err=True)


@cli.command()
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("record_id", type=int)
@click.argument("values", nargs=-1, required=True, metavar="FIELD=VALUE...")
@reason_option
@separate_option
@db_option
def edit(kind: str, record_id: int, values: tuple[str, ...], reason: str, separate: bool,
         db_path: Path | None) -> None:
    """Correct fields of record RECORD_ID of KIND (an empty VALUE empties the field), as a change set."""
    from resettle.api import Database

    database = Database(_db(db_path))
    done = _saved(lambda: database.edit(kind, record_id, _field_values(values), reason=reason,
                                        editor=os.environ.get("RESETTLE_EDITOR"), separate=separate))
    click.echo(done.line())


@cli.command()
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("record_id", type=int)
@reason_option
@db_option
def delete(kind: str, record_id: int, reason: str, db_path: Path | None) -> None:
    """Delete record RECORD_ID of KIND, as a change set (`resettle undo` puts it back)."""
    from resettle.api import Database

    done = Database(_db(db_path)).delete(kind, record_id, reason=reason, editor=os.environ.get("RESETTLE_EDITOR"))
    click.echo(done.line())


@cli.command()
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("record_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per version.")
@db_option
def history(kind: str, record_id: int, as_json: bool, db_path: Path | None) -> None:
    """Every version of record RECORD_ID of KIND: when, who, why, each field before and after."""
    import dataclasses

    from resettle.api import Database

    versions = Database(_db(db_path)).history(kind, record_id)
    if as_json:
        click.echo(json.dumps([{**dataclasses.asdict(v), "changes": {f: {"before": b, "after": a}
                                                                     for f, (b, a) in v.changes.items()}}
                               for v in versions], ensure_ascii=False))
        return
    for v in versions:
        why = f"reason: {v.reason}" if v.reason else f"file: {v.source_file}"
        click.echo(f"{v.at}  {v.action:<7} batch {v.batch_id}  by {v.editor or '-'}  {why}")
        for name, (before, after) in v.changes.items():
            click.echo(f"    {name}: {_shown(before)} -> {_shown(after)}")


def _shown(value) -> str:
    return "(empty)" if value is None else str(value)


class _Exit(click.ClickException):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: nothing escapes as a traceback (RESETTLE_DEBUG=1 shows one for a bug)."""
    try:
        cli.main(args=argv, prog_name="resettle")
    except Exception as exc:  # a bug, not the user's doing: say so plainly
        if os.environ.get("RESETTLE_DEBUG"):
            raise
        click.echo(f"internal error ({type(exc).__name__}: {exc}); set RESETTLE_DEBUG=1 for details", err=True)
        sys.exit(3)
