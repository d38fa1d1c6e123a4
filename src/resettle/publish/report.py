"""The briefing: one self-contained report of a view, as HTML or as PDF printed from it.

The report holds the headline figures, every chart, the reconciliation table, the list of sources,
"data as of" and the time it was made. The HTML opens offline: plotly.js is inlined once, and so are the
maps' outlines; styles are inline, nothing is fetched. The PDF is the same page printed by the export browser, its charts as SVG.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from resettle import __version__
from resettle.compute import reconciliation
from resettle.compute.scope import Scope
from resettle.domain import clock
from resettle.domain.errors import UsageError
from resettle.domain.records import KINDS
from resettle.figures import pages, registry
from resettle.figures.pages import IncidentsData, MedicalData, OverviewData, ReconciliationData
from resettle.publish import rendering, tables
from resettle.store import files

# Charts in the PDF: drawn at this size in CSS pixels and shrunk to the A4 text width, so that their
# 12 px labels print at about 7.5 pt.
PRINT_WIDTH, PRINT_HEIGHT = 820, 500
RECONCILIATION_ROWS = 300
HEADLINE = (
    # key, label, what it is
    ("residents", "Residents (estimate)", "The latest count up to the as-of date (the median where sources "
     "differ), minus departures and deaths since. A stock."),
    ("relocated_total", "Relocated (departed)", "People who departed up to the as-of date: a sum of flows."),
    ("percent_relocated", "Relocated, % of baseline", "Relocated as a share of the first count of each site."),
    ("baseline_population", "Baseline population", "The earliest count of each site."),
    ("departures_last_90_days", "Departures, last 90 days", "People departed in the 90 days up to the as-of date."),
    ("projected_completion", "Projected completion", "When the site would be empty at the pace of the last "
     "90 days; none when nobody left in 90 days or nobody remains."),
    ("deaths_recorded", "Deaths recorded", "Killed in incidents, plus medical evacuations with outcome died."),
    ("unexplained_change", "Unexplained change", "Over every interval between two counts: the change in the "
     "count plus the departures and deaths in between. Zero: the flows explain the counts."),
)


@dataclass
class Briefing:
    """Everything the report shows, gathered once from the database."""

    scope: Scope
    label: str | None
    made_at: dt.datetime
    overview: OverviewData  # the headline numbers
    medical: MedicalData
    incidents: IncidentsData
    reconciliation: ReconciliationData  # its table
    figures: dict[str, go.Figure]  # every page's charts, by name (the page registry's order)
    sources: pd.DataFrame

    @property
    def as_of(self) -> str | None:
        return self.scope.end

    @property
    def title(self) -> str:
        return f"Briefing: {self.label or 'all sites'}, as of {self.as_of or 'no data yet'}"


def briefing(conn: sqlite3.Connection, scope: Scope, *, label: str | None = None,
             made_at: dt.datetime | None = None) -> Briefing:
    """Gather the report of a scope (sites, as-of date): the pages' data and figures, and the sources."""
    data = registry.gather(conn, scope)  # page path -> its data
    columns, rows = tables.sources_table(conn, scope)
    return Briefing(scope=scope, label=pages.site_label(scope, label),
                    made_at=(made_at or clock.utc_now()).replace(microsecond=0),
                    overview=data["overview"], medical=data["medical"], incidents=data["incidents"],
                    reconciliation=data["reconciliation"], figures=registry.draw(data, pages.colours(conn)),
                    sources=pd.DataFrame(rows, columns=columns))


# ---------------------------------------------------------------- HTML


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def _headline_value(key: str, value) -> str:
    if value is None:
        return "–"
    if key == "percent_relocated":
        return f"{value:.1f} %"
    if key == "unexplained_change":
        return _signed(value)
    return _number(value)


def _change(key: str, change) -> str:
    if change is None:
        return ""
    if key == "projected_completion":
        return f"{change:+,} days vs 30 days earlier" if change else "unchanged vs 30 days earlier"
    if key == "percent_relocated":
        return f"{change:+.1f} pts vs 30 days earlier"
    return f"{change:+,} vs 30 days earlier" if change else "unchanged vs 30 days earlier"


def _headline(b: Briefing) -> str:
    s, changes = b.overview.summary, b.overview.changes
    cards = []
    for key, label, about in HEADLINE:
        cards.append(
            f'<div class="card"><div class="label">{_e(label)}</div>'
            f'<div class="value" data-key="{key}">{_e(_headline_value(key, s.get(key)))}</div>'
            f'<div class="change">{_e(_change(key, changes.get(key)))}</div>'
            f'<div class="about">{_e(about)}</div></div>')
    by_country = s.get("relocated_by_country") or {}
    rows = "".join(f"<tr><td>{_e(_country(c))}</td><td>{_e(c)}</td><td class='n'>{n:,}</td></tr>"
                   for c, n in by_country.items())
    table = (f'<table class="small"><thead><tr><th>Host country</th><th>ISO3</th><th class="n">Relocated</th>'
             f"</tr></thead><tbody>{rows}</tbody></table>") if rows else "<p>No departures yet.</p>"
    m, t = b.medical.access, b.incidents.totals
    wait = "–" if m.median_wait_days is None else f"{m.median_wait_days:g} days"
    lines = [
        ("Medical access", f"{m.patients_evacuated:,} patients evacuated ({m.evacuations:,} evacuations), "
         f"median wait {wait}; {m.denied_requests:,} requests denied ({m.denied_patients:,} patients) and "
         f"{m.pending_requests:,} pending ({m.pending_patients:,} patients), counted apart; "
         f"{m.died_patients:,} died."),
        ("Incidents", f"{t.incidents:,} incidents: {t.killed:,} killed, {t.wounded:,} wounded, "
         f"{t.hostages:,} taken hostage (figures not reported count as none)."),
    ]
    facts = "".join(f"<li><b>{_e(k)}.</b> {_e(v)}</li>" for k, v in lines)
    return (f'<section id="headline"><h2>Headline figures</h2><div class="cards">{"".join(cards)}</div>'
            f'<div class="two"><div><h3>Relocated, by host country</h3>{table}</div>'
            f'<div><h3>Medical access and incidents</h3><ul class="facts">{facts}</ul></div></div></section>')


def _country(code: str) -> str:
    from resettle.domain.countries import country_name

    return country_name(code)


def _reconciliation(b: Briefing) -> str:
    frame, total = b.reconciliation.intervals, b.reconciliation.unexplained_change
    intro = (f"<p>Between each two consecutive counts: the later count minus the earlier, plus the departures "
             f"and deaths in between. Zero means the flows explain the change; anything else is worth a look "
             f"(highlighted). Total up to the as-of date: <b>{_signed(total)}</b>.</p>")
    if frame.empty:
        return f'<section id="reconciliation-table"><h2>Reconciliation table</h2>{intro}' \
               "<p>Fewer than two counts: no interval to reconcile.</p></section>"
    shown, note = frame, ""
    if len(frame) > RECONCILIATION_ROWS:
        shown = reconciliation.largest_discrepancies(frame, RECONCILIATION_ROWS).sort_values(["site", "start"])
        note = (f"<p class='note'>{len(frame):,} intervals: the {len(shown):,} largest discrepancies are shown; "
                "the data export has the counts and flows behind every interval.</p>")
    head = ("<tr><th>Site</th><th>From</th><th>To</th><th class='n'>Count then</th><th class='n'>Count now</th>"
            "<th class='n'>Departures</th><th class='n'>Deaths</th><th class='n'>Unexplained</th></tr>")
    body = "".join(
        f"<tr class='{'off' if r.discrepancy else ''}'><td>{_e(r.site)}</td><td>{_e(r.start)}</td><td>{_e(r.end)}</td>"
        f"<td class='n'>{r.count_start:,}</td><td class='n'>{r.count_end:,}</td><td class='n'>{r.departures:,}</td>"
        f"<td class='n'>{r.deaths:,}</td><td class='n'>{_signed(r.unexplained_change)}</td></tr>"
        for r in shown.itertuples())
    return (f'<section id="reconciliation-table"><h2>Reconciliation table</h2>{intro}{note}'
            f"<table><thead>{head}</thead><tbody>{body}</tbody></table></section>")


def _sources(b: Briefing) -> str:
    frame = b.sources
    if frame.empty:
        return '<section id="sources"><h2>Sources</h2><p>No records.</p></section>'
    grouped = []
    for source, rows in frame.groupby("source", sort=True):
        kinds = ", ".join(f"{KINDS[k].label.lower()} {int(n):,}" for k, n in rows.groupby("table", sort=False)["rows"].sum().items())
        dates = [d for d in (*rows["first_date"], *rows["last_date"]) if isinstance(d, str)]
        span = "" if not dates else min(dates) if min(dates) == max(dates) else f"{min(dates)} to {max(dates)}"
        files = ", ".join(sorted({str(f) for f in rows["file_name"] if isinstance(f, str)}))
        grouped.append(f"<tr><td>{_e(source)}</td><td>{_e(kinds)}</td><td>{_e(span)}</td><td>{_e(files)}</td></tr>")
    return (f'<section id="sources"><h2>Sources ({len(grouped):,})</h2><p>Every source of the records behind '
            "these figures and charts, with the records it gave and the files they were imported from.</p>"
            "<table class='sources'><thead><tr><th>Source</th><th>Records</th><th>Dates</th><th>Imported from</th>"
            f"</tr></thead><tbody>{''.join(grouped)}</tbody></table></section>")


def _charts(b: Briefing, svgs: dict[str, bytes] | None) -> str:
    parts = []
    for page in registry.PAGES:
        present = [n for n in page.charts if n in b.figures]
        if not present:
            continue
        parts.append(f'<section class="page" id="page-{page.path}"><h2>{_e(page.report_title)}</h2>')
        for name in present:
            fig = b.figures[name]
            if svgs is not None:
                svg = base64.b64encode(svgs[name]).decode("ascii")
                parts.append(f'<figure class="chart" id="chart-{name}"><img alt="{_e(rendering.chart_title(fig))}" '
                             f'src="data:image/svg+xml;base64,{svg}"></figure>')
            else:
                div = pio.to_html(rendering.for_export(fig), full_html=False, include_plotlyjs=False,
                                  div_id=f"chart-{name}", config=rendering.PLOTLY_CONFIG, default_width="100%",
                                  default_height=f"{int(fig.layout.height or rendering.HEIGHT)}px")
                parts.append(f'<figure class="chart">{div}</figure>')
        parts.append("</section>")
    return "".join(parts)


STYLE = """
:root { --ink: #1d2733; --muted: #5b6673; --line: #d9dee4; --accent: #0072B2; --off: #f6d5db; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--ink);
       font-size: 14px; line-height: 1.45; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 40px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 18px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; color: var(--accent); font-size: 12px; margin: 0; }
h1 { font-size: 28px; margin: 4px 0 6px; }
h2 { font-size: 19px; margin: 26px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.meta { color: var(--muted); margin: 0; }
.meta b { color: var(--ink); }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
.card .label { font-size: 12px; color: var(--muted); }
.card .value { font-size: 24px; font-weight: 600; margin: 2px 0; }
.card .change { font-size: 12px; color: var(--muted); min-height: 1em; }
.card .about { font-size: 11px; color: var(--muted); margin-top: 4px; }
.two { display: grid; grid-template-columns: 1fr 1.4fr; gap: 24px; }
.facts { padding-left: 18px; margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.off td { background: var(--off); font-weight: 600; }
table.small { width: auto; min-width: 60%; }
table.sources td:first-child { width: 42%; }
figure.chart { margin: 8px 0 18px; break-inside: avoid; }
figure.chart img { width: 100%; height: auto; display: block; }
.note { color: var(--muted); font-size: 12px; }
footer { margin-top: 28px; border-top: 1px solid var(--line); padding-top: 8px; color: var(--muted); font-size: 12px; }
@media print {
  main { max-width: none; padding: 0; }
  body { font-size: 10.5pt; }
  h1 { font-size: 20pt; }
  h2 { font-size: 13pt; break-after: avoid; }
  h3 { break-after: avoid; }
  .card .value { font-size: 16pt; }
  .cards { gap: 6px; }
  section.page { break-before: page; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
@page { size: A4; }
"""


def html_report(b: Briefing, *, svgs: dict[str, bytes] | None = None) -> str:
    """The report as one HTML page: interactive charts (plotly.js inlined once), or with `svgs` (chart
    name -> SVG bytes) the printable version."""
    made = b.made_at.strftime("%Y-%m-%d %H:%M UTC")
    sources_n = b.sources["source"].nunique() if not b.sources.empty else 0
    script = "" if svgs is not None else (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        + rendering.outlines_script(b.figures.values())  # the maps' outlines, inlined before plotly.js
        + f"<script>{get_plotlyjs()}</script>\n")
    note = ("Residents is a stock (a count, carried forward); relocated is a sum of departures (flows): never add "
            "one to the other. Only departed transfers count as relocated (a submission is not a departure). "
            "Where sources give different counts for one date, the figures use their median and the charts show "
            "the range.")
    body = (
        f'<header><p class="kicker">resettle briefing</p><h1>{_e(b.label or "All sites")}</h1>'
        f'<p class="meta">Data as of <b>{_e(b.as_of or "no data yet")}</b> · made <b>{_e(made)}</b> · '
        f"{sources_n:,} sources · resettle {_e(__version__)}</p></header>"
        f'<p class="note">{_e(note)}</p>'
    )
    if b.overview.empty:
        body += "<p>No dated records for these sites yet.</p>"
    else:
        body += _headline(b) + _charts(b, svgs) + _reconciliation(b)
    body += _sources(b)
    body += (f"<footer>Made with resettle {_e(__version__)} on {_e(made)} from the records dated up to "
             f"{_e(b.as_of or '-')}. Figures follow the definitions of DOMAIN.md. This file works offline: it "
             "loads nothing from the network.</footer>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(b.title)}</title><style>{STYLE}</style>{script}</head>"
            f"<body><main>{body}</main></body></html>\n")


# ---------------------------------------------------------------- PDF


def pdf_report(b: Briefing) -> bytes:
    """The report as an A4 PDF: the printable page (charts as SVG) printed by the export browser."""
    rendering.require_browser()
    size = rendering.Size(PRINT_WIDTH, PRINT_HEIGHT, 1)
    svgs = rendering.charts_bytes(b.figures, "svg", size)
    page = html_report(b, svgs=svgs)
    footer = (f'<div style="font-size:8px;color:#5b6673;width:100%;padding:0 12mm;display:flex;'
              f'justify-content:space-between;font-family:Arial,sans-serif">'
              f"<span>{_e(b.title)}</span><span>page <span class=\"pageNumber\"></span> of "
              f'<span class="totalPages"></span></span></div>')
    options = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": True,
               "headerTemplate": "<span></span>", "footerTemplate": footer,
               "marginTop": 0.55, "marginBottom": 0.65, "marginLeft": 0.5, "marginRight": 0.5}
    with tempfile.TemporaryDirectory(prefix="resettle-report-") as tmp:
        path = Path(tmp) / "report.html"
        path.write_text(page, encoding="utf-8")
        return rendering.with_renderer(lambda r: r.print_pdf(path, options))


REPORT_FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def write_report(conn: sqlite3.Connection, scope: Scope, out: Path, *, label: str | None = None) -> Path:
    """The report to `out`: HTML or PDF by its suffix."""
    out = Path(out)
    fmt = REPORT_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(f"{out.name}: the report is FILE.html or FILE.pdf")
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give the report's file name (FILE.html or FILE.pdf)")
    if fmt == "pdf":
        rendering.require_browser()
    b = briefing(conn, scope, label=label)
    content = html_report(b).encode("utf-8") if fmt == "html" else pdf_report(b)
    return files.write_bytes_atomically(out, content)
