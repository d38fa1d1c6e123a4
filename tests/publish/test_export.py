"""Exports as a library: every chart as a figure, images of the requested size through one browser, the
data as CSV, XLSX and HXL with formulas neutralised, the briefing report (offline) and the bundle."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from conftest import Links, network_references, pdf_pages, png_size, svg_size

from resettle.compute import headline, table_rows
from resettle.compute.reconciliation import intervals
from resettle.compute.scope import Scope, resolve_sites, view_scope
from resettle.domain import errors
from resettle.domain.records import KINDS
from resettle.figures import registry
from resettle.publish import bundle, rendering, report, tables
from resettle.store import backup as backups
from resettle.store import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="session")
def sample_figures(sample_db: Path) -> dict:
    conn = db.connect(sample_db)
    try:
        return registry.build_all(conn, view_scope(conn))
    finally:
        conn.close()


@pytest.fixture(scope="session")
def renderer(chromium: str):
    """One browser for the whole session (the exports' own shared one), closed at the end."""
    started = time.perf_counter()
    shared = rendering.renderer()
    print(f"\nexport browser ({chromium}) started in {time.perf_counter() - started:.2f} s")
    yield shared
    rendering.shutdown()


# ---------------------------------------------------------------- figures


def test_build_all_gives_every_dashboard_chart_by_name(sample_figures):
    assert list(sample_figures) == [name for page in registry.PAGES for name in page.charts]


def test_every_chart_carries_title_units_as_of_and_sources(sample_db, sample_figures):
    conn = db.connect(sample_db)
    as_of = headline.summary(conn)["as_of"]
    conn.close()
    for name, fig in sample_figures.items():
        assert fig.layout.title.text, name
        if fig.layout.yaxis.visible is False:  # a map or a flow diagram: units on its colour bar or under its title
            units = [t.colorbar.title.text for t in fig.data if getattr(t, "showscale", None) is not False
                     and getattr(t, "colorbar", None) is not None and t.colorbar.title.text]
            units += [t.marker.colorbar.title.text for t in fig.data  # a scattergeo's scale is its markers'
                      if getattr(getattr(t, "marker", None), "colorbar", None) is not None
                      and getattr(t.marker, "showscale", None) and t.marker.colorbar.title.text]
            units += [fig.layout.title.subtitle.text or ""]
            assert any("people" in u.lower() or "%" in u for u in units), (name, units)
        else:
            assert fig.layout.yaxis.title.text, name  # units: "People ...", "Patients ..."
        caption = " ".join(a.text for a in fig.layout.annotations)
        assert f"Data as of {as_of}" in caption, name
        assert "Sources:" in caption and "Sources: none" not in caption, name


def test_build_all_follows_the_scope(sample_db):
    conn = db.connect(sample_db)
    try:
        early = registry.build_all(conn, view_scope(conn, ["Camp Liberty"], end="2013-06-30"))
        ashraf = registry.build_all(conn, view_scope(conn, ["Camp Ashraf"]))
        s = headline.summary(conn, site="Camp Liberty", as_of="2013-06-30")
    finally:
        conn.close()
    estimate = next(t for t in early["remaining_population"].data if t.name == "Residents (estimate)")
    assert list(estimate.y)[-1] == s["residents"]
    assert "Data as of 2013-06-30" in early["remaining_population"].layout.annotations[-1].text
    assert "stages" not in ashraf  # a chart the page leaves out for want of data is left out here too


def test_a_database_without_records_has_no_charts(db_path):
    conn = db.connect(db_path)
    try:
        assert registry.build_all(conn, view_scope(conn)) == {}
    finally:
        conn.close()


# ---------------------------------------------------------------- images


@pytest.mark.browser
def test_png_is_the_requested_size(renderer, sample_figures):
    fig = sample_figures["remaining_population"]
    assert png_size(rendering.chart_bytes(fig, "png")) == (1280 * 2, 720 * 2)
    assert png_size(rendering.chart_bytes(fig, "png", rendering.Size(800, 450, 1.5))) == (1200, 675)


@pytest.mark.browser
def test_svg_is_the_requested_size(renderer, sample_figures):
    data = rendering.chart_bytes(sample_figures["cumulative_relocations"], "svg")
    assert data.lstrip().startswith(b"<svg")
    assert svg_size(data) == ("1280", "720")
    assert svg_size(rendering.chart_bytes(sample_figures["stages"], "svg", rendering.Size(1024, 768))) == ("1024", "768")
    assert b"Data as of 2016-09-09" in data and b"Data page" not in data  # the caption, pointing at the export


@pytest.mark.browser
def test_pdf_is_one_page_of_the_requested_size(renderer, sample_figures):
    pages = pdf_pages(rendering.chart_bytes(sample_figures["departures_per_month"], "pdf"))
    assert pages == [(1280 * 0.75, 720 * 0.75)]  # CSS pixels to points; the scale does not blow it up


@pytest.mark.browser
def test_every_chart_as_png_and_svg_reuses_one_browser(renderer, sample_figures, tmp_path):
    started = time.perf_counter()
    pngs = rendering.write_charts(sample_figures, "png", tmp_path / "png")
    svgs = rendering.write_charts(sample_figures, "svg", tmp_path / "svg")
    seconds = time.perf_counter() - started
    print(f"\n{len(sample_figures)} charts as PNG and SVG: {seconds:.2f} s ({seconds / (2 * len(pngs)):.3f} s an image)")
    assert [p.name for p in pngs] == [f"{n}.png" for n in sample_figures]
    assert [p.name for p in svgs] == [f"{n}.svg" for n in sample_figures]
    assert all(png_size(p.read_bytes()) == (2560, 1440) for p in pngs)
    # A browser started per image costs 1.5 s or more each; one reused, about 0.15 s (up to a second on a
    # machine loaded by other work).
    assert seconds < 1.0 * len(pngs + svgs), f"{seconds:.1f} s: the browser is not being reused"


@pytest.mark.browser
def test_sessions_may_ask_for_images_at_the_same_time(renderer, sample_figures):
    """The dashboard's sessions share the browser: concurrent calls each get their own figure back."""
    from concurrent.futures import ThreadPoolExecutor

    sizes = [(640 + 40 * i, 360 + 20 * i) for i in range(6)]
    fig = sample_figures["reconciliation"]
    with ThreadPoolExecutor(6) as pool:
        images = list(pool.map(lambda wh: rendering.chart_bytes(fig, "png", rendering.Size(*wh, 1)), sizes))
    assert [png_size(image) for image in images] == sizes


def test_the_kaleido_page_loads_nothing_from_the_network():
    page = rendering.kaleido_page().generate_index()
    assert "http://" not in page and "https://" not in page, page
    assert "plotly" in page and "mathjax" not in page.lower()


def test_without_a_browser_html_works_and_static_formats_say_how_in_one_line(monkeypatch, sample_figures,
                                                                             tmp_path):
    monkeypatch.delenv("RESETTLE_CHROMIUM", raising=False)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(rendering, "BROWSER_CANDIDATES", ())
    monkeypatch.setattr(rendering, "BROWSER_NAMES", ())
    assert rendering.find_browser() is None and not rendering.static_available()
    for fmt in rendering.STATIC_FORMATS:
        with pytest.raises(rendering.BrowserMissing) as caught:
            rendering.write_charts(sample_figures, fmt, tmp_path / fmt)
        message = str(caught.value)
        assert "\n" not in message and "apt-get install chromium" in message
        assert caught.value.exit_code == 2
        assert not (tmp_path / fmt).exists() or not any((tmp_path / fmt).iterdir())
    written = rendering.write_charts(sample_figures, "html", tmp_path / "html")
    assert len(written) == len(sample_figures)


def test_a_browser_named_in_the_environment_that_is_not_there_is_named_in_the_message(monkeypatch, tmp_path):
    monkeypatch.setenv("RESETTLE_CHROMIUM", str(tmp_path / "no-such-chrome"))
    with pytest.raises(rendering.BrowserMissing, match="RESETTLE_CHROMIUM=.*no-such-chrome is not one"):
        rendering.require_browser()


def test_chart_html_works_offline(sample_figures):
    page = rendering.chart_bytes(sample_figures["remaining_population"], "html").decode()
    assert network_references(page) == []
    assert page.count("* plotly.js v") == 1  # the library itself, inline
    assert "Plotly.newPlot" in page and "Remaining population" in page


def test_an_exported_chart_size_must_be_sensible():
    with pytest.raises(errors.UsageError):
        rendering.Size(10, 720)
    with pytest.raises(errors.UsageError):
        rendering.Size(1280, 720, 0)


# ---------------------------------------------------------------- data


def _rows(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.reader(fh))


def _all(conn, scope=None):
    return scope or Scope(tuple(resolve_sites(conn, None)), None)


def _db_frame(conn, kind: str, scope) -> list[list]:
    frame, total = table_rows.table_slice(conn, kind, scope, limit=10**9)
    assert len(frame) == total
    return [[None if v is None or v != v else v for v in row] for row in frame.astype(object).itertuples(index=False)]


def test_xlsx_opens_and_holds_the_database_values(sample_db, tmp_path):
    from openpyxl import load_workbook

    conn = db.connect(sample_db)
    try:
        scope = _all(conn)
        (path,) = tables.write_data(conn, scope, "xlsx", tmp_path)
        book = load_workbook(path)
        assert book.sheetnames == [*table_rows.TABLES, "reconciliation", "sources"]
        for kind in table_rows.TABLES:
            rows = [list(r) for r in book[kind].iter_rows(values_only=True)]
            expected = _db_frame(conn, kind, scope)
            assert rows[0] == ["id", *KINDS[kind].names, "batch_id"]
            assert rows[1:] == [[tables.neutralise(v) for v in r] for r in expected], kind
            assert len(rows) - 1 == conn.execute(f"SELECT count(*) FROM {KINDS[kind].table}").fetchone()[0]
        sources = {r[1] for r in book["sources"].iter_rows(min_row=2, values_only=True)}
        every = {r[0] for t in table_rows.TABLES for r in conn.execute(f"SELECT DISTINCT source FROM {KINDS[t].table}")}
        assert sources == every
        batches = {r[5] for r in book["sources"].iter_rows(min_row=2, values_only=True)}
        assert batches == {r[0] for r in conn.execute("SELECT id FROM import_batches")}
        intervals = [list(r) for r in book["reconciliation"].iter_rows(min_row=2, values_only=True)]
        assert sum(r[-1] for r in intervals) == headline.summary(conn)["unexplained_change"]
    finally:
        conn.close()


def test_a_table_longer_than_a_sheet_goes_on_over_more_sheets(tiny_db, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(tables, "SHEET_ROWS", 3)  # Excel's 1,048,576, made small: a header and two rows
    conn = db.connect(tiny_db)
    try:
        (path,) = tables.write_data(conn, _all(conn), "xlsx", tmp_path)
        expected = _db_frame(conn, "transfers", _all(conn))
    finally:
        conn.close()
    book = load_workbook(path)
    parts = [n for n in book.sheetnames if n.startswith("transfers")]
    assert parts[:2] == ["transfers", "transfers (2)"] and len(parts) == -(-len(expected) // 2)
    rows = [list(r) for n in parts for r in book[n].iter_rows(min_row=2, values_only=True)]
    assert rows == expected
    assert all(book[n].max_row <= 3 for n in book.sheetnames)


def test_data_follows_the_site(sample_db, tmp_path):
    conn = db.connect(sample_db)
    try:
        scope = Scope(tuple(resolve_sites(conn, "Camp Ashraf")), None)
        tables.write_data(conn, scope, "csv", tmp_path)
        rows = _rows(tmp_path / "incidents.csv")
        expected = conn.execute("SELECT count(*) FROM incidents i JOIN sites s ON s.id = i.site_id "
                                "WHERE s.name = 'Camp Ashraf'").fetchone()[0]
    finally:
        conn.close()
    assert len(rows) - 1 == expected and {r[1] for r in rows[1:]} == {"Camp Ashraf"}
    assert [r[1] for r in _rows(tmp_path / "sites.csv")[1:]] == ["Camp Ashraf"]


def test_hxl_has_the_field_names_then_each_fields_first_hashtag(sample_db, tmp_path):
    conn = db.connect(sample_db)
    try:
        written = tables.write_data(conn, _all(conn), "hxl", tmp_path)
    finally:
        conn.close()
    assert [p.name for p in written] == [f"{k}.hxl.csv" for k in table_rows.TABLES]
    for kind in table_rows.TABLES:
        rows = _rows(tmp_path / f"{kind}.hxl.csv", encoding="utf-8")
        assert rows[0] == KINDS[kind].names
        assert rows[1] == [f.hxl[0] for f in KINDS[kind].fields]
        assert all(tag.startswith("#") for tag in rows[1])
    population = _rows(tmp_path / "population.hxl.csv", encoding="utf-8")
    assert population[1][:3] == ["#loc+camp+name", "#date+reported", "#population"]
    transfers = _rows(tmp_path / "transfers.hxl.csv", encoding="utf-8")
    assert transfers[1][:4] == ["#loc+camp+name", "#date+occurred", "#country+code+dest", "#affected+refugees"]
    assert transfers[1][-1] == "#meta+source"
    assert not (tmp_path / "transfers.hxl.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # no BOM for HDX


FORMULAS = ["=HYPERLINK(\"http://example.org\",\"x\")", "+SUM(A1:A9)", "-2+3", "@cmd", "\tTAB", "\rCR"]


@pytest.fixture
def formula_db(tiny_db: Path) -> Path:
    """The tiny fixture with text cells a spreadsheet would run as formulas."""
    conn = db.connect(tiny_db)
    ids = [r[0] for r in conn.execute("SELECT id FROM incidents ORDER BY id")]
    conn.execute("UPDATE incidents SET description = ? WHERE id = ?", (FORMULAS[0], ids[0]))
    conn.execute("UPDATE incidents SET description = ?, source = ? WHERE id = ?", (FORMULAS[1], FORMULAS[3], ids[1]))
    conn.execute("UPDATE medical_evacuations SET destination = ? WHERE id = (SELECT min(id) FROM medical_evacuations)",
                 (FORMULAS[2],))
    conn.execute("UPDATE pledges SET source = ? WHERE id = (SELECT min(id) FROM pledges)", (FORMULAS[4],))
    conn.execute("UPDATE sites SET source = ? WHERE name = 'Beta'", (FORMULAS[5],))
    conn.close()
    return tiny_db


def test_formulas_are_neutralised_in_csv_and_numbers_stay_numbers(formula_db, tmp_path):
    conn = db.connect(formula_db)
    try:
        tables.write_data(conn, _all(conn), "csv", tmp_path)
        unexplained = int(intervals(conn, view_scope(conn, ["Alpha"]))[0]["unexplained_change"].iloc[0])
    finally:
        conn.close()
    cells = [c for f in tmp_path.glob("*.csv") for row in _rows(f) for c in row]
    for text in FORMULAS:
        assert "'" + text in cells, text
        assert text not in cells, text
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    reconciliation = _rows(tmp_path / "reconciliation.csv")
    assert unexplained < 0
    assert reconciliation[1][-1] == str(unexplained)  # a negative number, written as one: no quote
    killed = _rows(tmp_path / "incidents.csv")
    assert "5" in [row[killed[0].index("killed")] for row in killed[1:]]


def test_formulas_are_neutralised_in_xlsx_and_numbers_stay_numbers(formula_db, tmp_path):
    from openpyxl import load_workbook

    conn = db.connect(formula_db)
    try:
        (path,) = tables.write_data(conn, _all(conn), "xlsx", tmp_path)
    finally:
        conn.close()
    book = load_workbook(path)
    texts, numbers = [], []
    for ws in book.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                (texts if cell.data_type == "s" else numbers).append(cell.value)
    for text in FORMULAS:  # a carriage return written as &#13;, so it reads back as itself
        assert "'" + text in texts, text
    assert not [t for t in texts if isinstance(t, str) and t[:1] in ("=", "+", "-", "@", "\t", "\r")]
    intervals = list(book["reconciliation"].iter_rows(min_row=2, values_only=True))
    assert intervals[0][-1] < 0 and isinstance(intervals[0][-1], int)  # stays a number, negative
    assert 5 in numbers and intervals[0][-1] in numbers


def test_neutralise_touches_only_text():
    assert tables.neutralise("=1+1") == "'=1+1"
    assert tables.neutralise("-") == "'-"
    assert tables.neutralise("Camp - North") == "Camp - North"
    assert tables.neutralise(-172) == -172 and tables.neutralise(-0.5) == -0.5
    assert tables.neutralise(None) is None and tables.neutralise("") == ""


# ---------------------------------------------------------------- the briefing report


@pytest.fixture(scope="session")
def sample_briefing(sample_db: Path):
    conn = db.connect(sample_db)
    try:
        return report.briefing(conn, view_scope(conn))
    finally:
        conn.close()


def _headline_values(page: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="value" data-key="(\w+)">([^<]*)</div>', page))


def test_the_report_holds_every_chart_and_headline_figure(sample_db, sample_briefing, sample_figures):
    page = report.html_report(sample_briefing)
    parser = Links()
    parser.feed(page)
    for name, fig in sample_figures.items():
        assert f"chart-{name}" in parser.ids, name
        assert fig.layout.title.text in page, name
    conn = db.connect(sample_db)
    s = headline.summary(conn)
    conn.close()
    shown = _headline_values(page)
    assert shown["residents"] == f"{s['residents']:,}"
    assert shown["relocated_total"] == f"{s['relocated_total']:,}"
    assert shown["baseline_population"] == f"{s['baseline_population']:,}"
    assert shown["percent_relocated"] == f"{s['percent_relocated']:.1f} %"
    assert shown["departures_last_90_days"] == f"{s['departures_last_90_days']:,}"
    assert shown["projected_completion"] == (s["projected_completion"] or "–")
    assert shown["deaths_recorded"] == f"{s['deaths_recorded']:,}"
    assert shown["unexplained_change"] == f"{s['unexplained_change']:+,}"
    assert set(shown) == {k for k, _, _ in report.HEADLINE}
    for country, people in s["relocated_by_country"].items():
        assert f"<td>{country}</td><td class='n'>{people:,}</td>" in page
    assert "Data as of <b>2016-09-09</b>" in page
    assert re.search(r"made <b>\d{4}-\d\d-\d\d \d\d:\d\d UTC</b>", page)
    assert 'id="reconciliation-table"' in page and "<tr class='off'>" in page


def test_the_report_lists_every_source(sample_db, sample_briefing):
    page = report.html_report(sample_briefing)
    conn = db.connect(sample_db)
    sources = {r[0] for t in table_rows.TABLES for r in conn.execute(f"SELECT DISTINCT source FROM {KINDS[t].table}")}
    conn.close()
    import html

    for source in sources:
        assert f"<tr><td>{html.escape(source)}</td>" in page, source


def test_the_report_loads_nothing_from_the_network(sample_briefing):
    page = report.html_report(sample_briefing)
    assert network_references(page) == []
    assert page.count("* plotly.js v") == 1  # plotly.js inlined once, for every chart
    assert page.count("Plotly.newPlot(") == len(sample_briefing.figures)
    parser = Links()
    parser.feed(page)
    assert not [u for u in parser.urls if u[0] == "script"]  # no script with a src at all


def test_the_report_escapes_text_from_the_data(tiny_db):
    conn = db.connect(tiny_db)
    conn.execute("UPDATE population_counts SET source = ? WHERE id = (SELECT min(id) FROM population_counts)",
                 ("<script>alert(1)</script> <img src=https://evil.example/x.png>",))
    try:
        page = report.html_report(report.briefing(conn, view_scope(conn)))
    finally:
        conn.close()
    assert "<script>alert(1)" not in page and "<img src=https://evil" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert network_references(page) == []


def test_a_report_of_an_empty_database(db_path):
    conn = db.connect(db_path)
    try:
        page = report.html_report(report.briefing(conn, view_scope(conn)))
    finally:
        conn.close()
    assert "No dated records" in page and network_references(page) == []


@pytest.mark.browser
def test_the_report_as_pdf(renderer, sample_briefing, tmp_path):
    started = time.perf_counter()
    data = report.pdf_report(sample_briefing)
    print(f"\nreport PDF: {time.perf_counter() - started:.2f} s, {len(data) / 1e6:.1f} MB")
    pages = pdf_pages(data)
    assert len(pages) >= 5
    assert all(abs(w - 595.3) < 1.5 and abs(h - 841.9) < 1.5 for w, h in pages), pages  # A4
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        path = tmp_path / "report.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        s = sample_briefing.data["overview"]["summary"]
        assert "Data as of 2016-09-09" in text and f"{s['relocated_total']:,}" in text
        for fig in sample_briefing.figures.values():
            assert fig.layout.title.text.split(" (")[0] in text  # the charts are vectors: their text is there
        assert "page 1 of" in text


@pytest.mark.browser
def test_write_report_picks_the_format_by_suffix(renderer, sample_db, tmp_path):
    conn = db.connect(sample_db)
    try:
        scope = view_scope(conn, ["Camp Ashraf"])
        html_path = report.write_report(conn, scope, tmp_path / "ashraf.html")
        pdf_path = report.write_report(conn, scope, tmp_path / "ashraf.PDF")
        with pytest.raises(errors.UsageError, match="FILE.html or FILE.pdf"):
            report.write_report(conn, scope, tmp_path / "ashraf.docx")
    finally:
        conn.close()
    assert "<h1>Camp Ashraf</h1>" in html_path.read_text(encoding="utf-8")
    assert pdf_path.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ashraf.PDF", "ashraf.html"]  # no partial files left


# ---------------------------------------------------------------- the bundle


@pytest.mark.browser
def test_the_bundle_holds_everything_and_a_sound_copy_of_the_database(renderer, sample_copy, sample_figures,
                                                                      tmp_path):
    started = time.perf_counter()
    out, members = bundle.write_bundle(sample_copy, tmp_path / "briefing.zip")
    print(f"\nbundle: {time.perf_counter() - started:.2f} s, {out.stat().st_size / 1e6:.1f} MB")
    expected = bundle.bundle_members(list(sample_figures))
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == sorted(expected) == sorted(members)
        assert png_size(zf.read("charts/remaining_population.png")) == (2560, 1440)
        assert svg_size(zf.read("charts/stages.svg")) == ("1280", "720")
        assert zf.read("report.pdf")[:5] == b"%PDF-"
        page = zf.read("report.html").decode()
        assert network_references(page) == [] and all(f"chart-{n}" in page for n in sample_figures)
        hxl = list(csv.reader(io.StringIO(zf.read("data/population.hxl.csv").decode())))
        assert hxl[1][0] == "#loc+camp+name"
        (tmp_path / "copy.db").write_bytes(zf.read(bundle.BUNDLE_DB))
    copy = sqlite3.connect(tmp_path / "copy.db")
    original = sqlite3.connect(sample_copy)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [r[0] for r in original.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            assert (copy.execute(f"SELECT count(*) FROM {table}").fetchone()
                    == original.execute(f"SELECT count(*) FROM {table}").fetchone()), table
    finally:
        copy.close()
        original.close()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.browser
def test_the_bundle_is_one_snapshot_while_an_import_runs(renderer, sample_copy, tmp_path, monkeypatch):
    """Everything in the bundle comes from the copy: a batch committed after the copy is in none of it."""
    real_backup = backups.backup

    def backup_then_import(src, dest, **kwargs):
        made = real_backup(src, dest, **kwargs)
        conn = db.connect(src)
        conn.execute("INSERT INTO import_batches (kind, file_name, sha256, imported_at) "
                     "VALUES ('pledges', 'late.csv', 'x', '2026-01-01T00:00:00Z')")
        batch = conn.execute("SELECT max(id) FROM import_batches").fetchone()[0]
        conn.execute("INSERT INTO pledges (host_country, date, places, source, batch_id) "
                     "VALUES ('FRA', '2016-01-01', 99, 'late source', ?)", (batch,))
        conn.close()
        return made

    monkeypatch.setattr(backups, "backup", backup_then_import)
    # The images are another test's business: stand-ins keep this one quick.
    monkeypatch.setattr(rendering, "charts_bytes", lambda figs, fmt, size=rendering.SLIDE: dict.fromkeys(figs, b"image"))
    monkeypatch.setattr(report, "pdf_report", lambda b: b"%PDF-")
    out, _ = bundle.write_bundle(sample_copy, tmp_path / "b.zip")
    with zipfile.ZipFile(out) as zf:
        assert "late source" not in zf.read("data/pledges.csv").decode("utf-8-sig")
        assert "late source" not in zf.read("report.html").decode()


def test_neutralised_batches_quote_every_formula_and_only_formulas(monkeypatch):
    monkeypatch.setattr(tables, "BATCH_ROWS", 4)
    rows = [(i, f"Camp {i}", -i) for i in range(10)]
    rows[5] = (5, "=cmd|' /C calc'!A0", -5)
    rows[9] = (9, "two lines\n=not a cell's start", None)
    batches = list(tables.neutralised_batches(iter(rows)))
    assert [len(b) for b in batches] == [4, 4, 2]
    out = [r for b in batches for r in b]
    assert out[5] == (5, "'=cmd|' /C calc'!A0", -5)
    assert out[9] == rows[9]  # a formula character after a line feed inside a cell is no formula
    assert [r for i, r in enumerate(out) if i != 5] == [r for i, r in enumerate(rows) if i != 5]
    assert batches[0] is not None and out[:4] == rows[:4]


# ---------------------------------------------------------------- every format in one pass


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.mark.parametrize("public", [False, True])
def test_one_pass_writes_what_each_format_writes_alone(sample_copy, tmp_path, monkeypatch, public):
    """The bundle's data (each table read once, for CSV, HXL and XLSX together) is byte for byte what
    `write_data` writes for each format on its own, formulas neutralised and public columns as they were."""
    monkeypatch.setenv("RESETTLE_PUBLIC", "1" if public else "0")
    conn = db.connect(sample_copy)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM transfers ORDER BY date, id LIMIT 3")]
        for text, row_id in zip(("=HYPERLINK(\"x\")", "line\n-1", "Côte d'Ivoire"), ids, strict=True):
            conn.execute("UPDATE transfers SET source = ? WHERE id = ?", (text, row_id))
        conn.commit()
        scope = Scope(tuple(resolve_sites(conn, None)), None)
        alone = [p for fmt in tables.DATA_FORMATS for p in tables.write_data(conn, scope, fmt, tmp_path / "alone")]
        together = tables.write_every_format(conn, scope, tmp_path / "together")
        transfers = conn.execute("SELECT count(*) FROM transfers").fetchone()[0]
    finally:
        conn.close()
    assert [p.name for p in together] == [p.name for p in alone] == [
        name for fmt in tables.DATA_FORMATS for name in tables.data_files(fmt)]
    for a, b in zip(alone, together, strict=True):
        if a.suffix == ".xlsx":  # the zip's dates differ: its members do not
            assert _members(a) == _members(b)
        else:
            assert a.read_bytes() == b.read_bytes(), a.name
    with open(tmp_path / "together" / "transfers.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == transfers > 3
    assert [r["source"] for r in rows[:3]] == ["'=HYPERLINK(\"x\")", "line\n-1", "Côte d'Ivoire"]
    assert ("case_id" in rows[0]) is not public
    hxl = (tmp_path / "together" / "transfers.hxl.csv").read_text(encoding="utf-8").splitlines()
    assert hxl[1].startswith("#loc")


def _csv_module(batch: list[tuple]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(batch)
    return out.getvalue()


def test_csv_lines_are_what_the_csv_module_writes():
    """Batches of whole numbers and text that needs no quotes are formatted by a row template; any batch
    with a field to quote, or floats, is left to the csv module; either way the same text."""
    clean = [(i, f"site {i}", None, "Côte d'Ivoire", i % 2 or None, "" if i == 3 else "x", "50%", "'=1") for i in range(9)]
    assert tables.csv_lines(clean) == _csv_module(clean)
    assert tables.csv_lines(clean).splitlines()[3] == "3,site 3,,Côte d'Ivoire,1,,50%,'=1"
    for nasty in ("a,b", 'say "hi"', "two\nlines", "cr\r", "nul\x00"):
        batch = [*clean, (9, nasty, None, "x", 1, "x", "x", "x")]
        assert tables.csv_lines(batch) is None, nasty
    assert tables.csv_lines([(1, 0.5), (2, 1.0)]) is None  # floats: csv's own repr
    assert tables.csv_lines([("",), ("a",)]) is None  # a lone empty field is quoted by csv
    assert tables.csv_lines([(None, None), (None, None)]) == _csv_module([(None, None)] * 2) == ",\r\n,\r\n"


def test_each_table_read_by_a_thread_gives_the_rows_of_each_query(sample_db, monkeypatch):
    monkeypatch.setattr(tables, "BATCH_ROWS", 7)  # many batches, the queue full now and then
    conn = db.connect(sample_db, create=False)
    try:
        scope = Scope(tuple(resolve_sites(conn, None)), None)
        expected = [(kind, *(lambda n, r: (n, list(r)))(*tables.rows_in_scope(conn, kind, scope)))
                    for kind in table_rows.TABLES]
        assert tables._second_connection(conn) is not None  # a file: read by a thread
        got = [(kind, names, list(rows)) for kind, names, rows in tables.each_table(conn, scope)]
        conn.execute("BEGIN")  # inside a transaction: read here, on the connection itself
        assert tables._second_connection(conn) is None
        here = [(kind, names, list(rows)) for kind, names, rows in tables.each_table(conn, scope)]
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    assert got == expected == here
    assert sum(len(rows) for _, _, rows in got) > 200


def test_an_error_of_the_reading_thread_reaches_the_writer(sample_db, monkeypatch):
    conn = db.connect(sample_db, create=False)
    real = tables.rows_in_scope

    def failing(c, kind, scope):
        if kind == "transfers" and c is not conn:
            raise sqlite3.OperationalError("disk I/O error")
        return real(c, kind, scope)

    monkeypatch.setattr(tables, "rows_in_scope", failing)
    try:
        scope = Scope(tuple(resolve_sites(conn, None)), None)
        read = []
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            for kind, _, rows in tables.each_table(conn, scope):
                read.append((kind, len(list(rows))))
    finally:
        conn.close()
    assert [kind for kind, _ in read] == ["population"] and read[0][1] > 0


def test_csv_and_hxl_stream_whatever_the_number_of_rows(tiny_db, tmp_path, monkeypatch):
    """Memory of a CSV or HXL export does not grow with the rows: ten times the transfers, the same peak
    (a batch at a time; measured by tracemalloc, Python's own allocations). The reconciliation.csv beside
    the tables is left out here: it is computed from every table's figures read into arrays (compute/),
    which do grow with the rows, whatever the export."""
    import tracemalloc

    # Small batches: the few a reading thread may hold ahead (tables.READ_AHEAD) weigh little either way.
    monkeypatch.setattr(tables, "BATCH_ROWS", 200)
    monkeypatch.setattr(tables, "reconciliation_rows", lambda conn, scope: (["interval"], [("none",)]))
    conn = db.connect(tiny_db)
    try:
        scope = Scope(tuple(resolve_sites(conn, None)), None)

        def grow_to(rows: int) -> None:
            while (n := conn.execute("SELECT count(*) FROM transfers").fetchone()[0]) < rows:
                conn.execute(f"""INSERT INTO transfers (site_id, date, host_country, people, transfer_type, stage,
                                 origin_country, source, batch_id)
                                 SELECT site_id, date, host_country, people, transfer_type, stage, origin_country,
                                 source, batch_id FROM transfers LIMIT {rows - n}""")

        def peak(fmt: str) -> int:
            tracemalloc.start()
            try:
                tables.write_data(conn, scope, fmt, tmp_path / fmt)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        grow_to(10_000)
        small = {fmt: peak(fmt) for fmt in ("csv", "hxl")}
        grow_to(100_000)
        big = {fmt: peak(fmt) for fmt in ("csv", "hxl")}
    finally:
        conn.close()
    with open(tmp_path / "csv" / "transfers.csv", encoding="utf-8-sig", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 100_001
    assert len((tmp_path / "hxl" / "transfers.hxl.csv").read_text(encoding="utf-8").splitlines()) == 100_002
    for fmt in ("csv", "hxl"):  # rows held in memory would cost some 50 MB here
        assert big[fmt] < 2 * small[fmt] and big[fmt] < 8_000_000, (fmt, small[fmt], big[fmt])


def test_the_xlsx_reconciliation_is_read_beside_the_tables_and_its_error_reaches_the_caller(
        sample_db, tmp_path, monkeypatch):
    """The workbook's reconciliation sheet is computed on a second connection while the tables are written:
    the same sheet as computed on the caller's own connection, and a failure there is the export's."""
    from openpyxl import load_workbook

    conn = db.connect(sample_db, create=False)
    real = tables.reconciliation_rows
    used = []

    def recording(c, scope):
        used.append(c is conn)
        return real(c, scope)

    monkeypatch.setattr(tables, "reconciliation_rows", recording)
    try:
        scope = Scope(tuple(resolve_sites(conn, None)), None)
        tables.write_xlsx(conn, scope, tmp_path / "a.xlsx")
        assert used == [False]  # a connection of its own
        columns, rows = real(conn, scope)
        sheet = load_workbook(tmp_path / "a.xlsx", read_only=True)[tables.RECONCILIATION]
        got = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        assert got[0] == tuple(columns) and len(got) == len(rows) + 1 > 2

        def failing(c, scope):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(tables, "reconciliation_rows", failing)
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            tables.write_xlsx(conn, scope, tmp_path / "b.xlsx")
    finally:
        conn.close()
