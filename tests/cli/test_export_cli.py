"""`resettle export charts|data|report|bundle` through the real command line (CliRunner, in-process, so
the session's browser is shared; one run through the console script for the no-browser exit)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import network_references, pdf_pages, png_size, run_cli, svg_size

from resettle.cli import cli
from resettle.compute import table_rows
from resettle.compute.scope import view_scope
from resettle.figures import registry
from resettle.publish import bundle, rendering, report
from resettle.store import db


def run(*args: str, env: dict | None = None):
    return run_cli(*args, env=env, catch_exceptions=False)


def chart_names(path: Path, site: str | None = None, as_of: str | None = None) -> list[str]:
    conn = db.connect(path)
    try:
        return list(registry.build_all(conn, view_scope(conn, [site] if site else None, end=as_of)))
    finally:
        conn.close()


NO_BROWSER_ENV = {"RESETTLE_CHROMIUM": "/nonexistent/chromium"}


@pytest.fixture(scope="module")
def browser(chromium):
    """The exports' shared browser (started once; closed when the session ends)."""
    return rendering.renderer()


@pytest.mark.browser
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_export_charts_static(browser, sample_db, tmp_path, fmt):
    out = tmp_path / fmt
    result = run("export", "charts", "--format", fmt, "--out", str(out), "--db", str(sample_db))
    assert result.exit_code == 0, result.output
    names = chart_names(sample_db)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.{fmt}" for n in names)
    data = (out / f"remaining_population.{fmt}").read_bytes()
    if fmt == "png":
        assert png_size(data) == (2560, 1440)
    elif fmt == "svg":
        assert svg_size(data) == ("1280", "720")
    else:
        assert pdf_pages(data) == [(960.0, 540.0)]


@pytest.mark.browser
def test_export_one_pages_charts_in_two_formats_in_one_run(browser, sample_db, tmp_path):
    out = tmp_path / "overview"
    result = run("export", "charts", "--format", "png", "--format", "svg", "--page", "overview", "--out", str(out),
                 "--db", str(sample_db))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.{fmt}" for name in registry.page("overview").charts for fmt in ("png", "svg"))
    assert (out / "cumulative_relocations.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg_size((out / "cumulative_relocations.svg").read_bytes()) == ("1280", "720")
    assert "2 charts as PNG, SVG" in result.output
    (page_option,) = [p for p in cli.commands["export"].commands["charts"].params if p.name == "pages"]
    assert tuple(page_option.type.choices) == tuple(p.path for p in registry.PAGES if p.charts)  # the --page choices are the dashboard's pages
    two = tmp_path / "two"
    result = run("export", "charts", "--format", "html", "--page", "incidents", "--page", "relocation", "--out",
                 str(two), "--db", str(sample_db))
    assert result.exit_code == 0, result.output
    expected = [n for page in ("relocation", "incidents") for n in registry.page(page).charts if n in chart_names(sample_db)]
    assert sorted(p.name for p in two.iterdir()) == sorted(f"{n}.html" for n in expected)


def test_the_page_registry_imports_neither_pandas_nor_plotly():
    """The CLI builds --page's choices from the registry as it starts (`resettle import` too)."""
    code = "import sys, resettle.figures.registry; print(sorted({'pandas', 'plotly'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.browser
def test_export_charts_for_a_site_as_of_a_date_at_another_size(browser, sample_db, tmp_path):
    result = run("export", "charts", "--format", "png", "--out", str(tmp_path), "--site", "camp liberty",
                 "--as-of", "2014-12-31", "--width", "1024", "--height", "768", "--scale", "1", "--db", str(sample_db))
    assert result.exit_code == 0, result.output
    names = chart_names(sample_db, "Camp Liberty", "2014-12-31")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in names)
    assert png_size((tmp_path / "cumulative_relocations.png").read_bytes()) == (1024, 768)


def test_export_charts_html_needs_no_browser(sample_db, tmp_path):
    result = run("export", "charts", "--format", "html", "--out", str(tmp_path), "--db", str(sample_db),
                 env=NO_BROWSER_ENV)
    assert result.exit_code == 0, result.output
    pages = sorted(tmp_path.iterdir())
    assert [p.name for p in pages] == sorted(f"{n}.html" for n in chart_names(sample_db))
    assert all(network_references(p.read_text(encoding="utf-8")) == [] for p in pages)


@pytest.mark.parametrize("args", [
    ["charts", "--format", "png"], ["charts", "--format", "svg"], ["charts", "--format", "pdf"],
    ["report", "--out", "{tmp}/r.pdf"], ["bundle", "--out", "{tmp}/b.zip"],
])
def test_static_formats_without_a_browser_exit_2_with_one_line(sample_db, tmp_path, args):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if args[0] == "charts":
        args += ["--out", str(tmp_path / "charts")]
    result = run("export", *args, "--db", str(sample_db), env=NO_BROWSER_ENV)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "PNG, SVG and PDF need Chrome or Chromium" in lines[0], result.output
    assert list(tmp_path.iterdir()) == []  # nothing half written


def test_the_entry_point_without_a_browser(sample_db, tmp_path):
    """resettle.cli.main in a fresh process with no browser anywhere it looks: exit 2, one line, no
    traceback."""
    env = {**os.environ, "RESETTLE_CHROMIUM": "", "BROWSER_PATH": "", "PATH": str(tmp_path)}
    code = ("import sys; from resettle.publish import rendering; rendering.BROWSER_CANDIDATES = (); "
            "from resettle.cli import main; main(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", code, "export", "charts", "--format", "png",
                           "--out", str(tmp_path / "c"), "--db", str(sample_db)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("error: PNG, SVG and PDF need Chrome or Chromium: apt-get install chromium "
                                   "(or set RESETTLE_CHROMIUM to its path)")
    assert done.stdout == "" and not (tmp_path / "c").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "hxl"])
def test_export_data(sample_db, tmp_path, fmt):
    result = run("export", "data", "--format", fmt, "--out", str(tmp_path), "--db", str(sample_db), env=NO_BROWSER_ENV)
    assert result.exit_code == 0, result.output
    expected = {"csv": [f"{t}.csv" for t in (*table_rows.TABLES, "reconciliation")],
                "hxl": [f"{t}.hxl.csv" for t in table_rows.TABLES], "xlsx": ["resettle.xlsx"]}[fmt]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)
    if fmt == "hxl":
        rows = list(csv.reader(open(tmp_path / "transfers.hxl.csv", encoding="utf-8")))
        assert rows[1][0] == "#loc+camp+name"
    if fmt == "csv":
        conn = db.connect(sample_db)
        n = conn.execute("SELECT count(*) FROM transfers").fetchone()[0]
        conn.close()
        assert len(list(csv.reader(open(tmp_path / "transfers.csv", encoding="utf-8-sig")))) == n + 1


def test_export_data_of_one_site(sample_db, tmp_path):
    result = run("export", "data", "--format", "csv", "--out", str(tmp_path), "--site", "Camp Ashraf",
                 "--db", str(sample_db))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(tmp_path / "population.csv", encoding="utf-8-sig")))
    assert rows and {r["site"] for r in rows} == {"Camp Ashraf"}


def test_export_report_html(sample_db, tmp_path):
    out = tmp_path / "briefing.html"
    result = run("export", "report", "--out", str(out), "--site", "Camp Liberty", "--as-of", "2015-12-31",
                 "--db", str(sample_db), env=NO_BROWSER_ENV)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<h1>Camp Liberty</h1>" in page and "Data as of <b>2015-12-31</b>" in page
    assert network_references(page) == []
    assert all(f'id="chart-{n}"' in page for n in chart_names(sample_db, "Camp Liberty", "2015-12-31"))


@pytest.mark.browser
def test_export_report_pdf(browser, sample_db, tmp_path):
    out = tmp_path / "briefing.pdf"
    result = run("export", "report", "--out", str(out), "--db", str(sample_db))
    assert result.exit_code == 0, result.output
    pages = pdf_pages(out.read_bytes())
    assert len(pages) >= 5 and all(abs(h - 841.9) < 1.5 for _, h in pages)


@pytest.mark.browser
def test_export_bundle(browser, sample_copy, tmp_path, monkeypatch):
    # The images and the PDF are test_export's business: stand-ins keep this one quick.
    monkeypatch.setattr(rendering, "charts_bytes", lambda figs, fmt, size=rendering.SLIDE: dict.fromkeys(figs, b"image"))
    monkeypatch.setattr(report, "pdf_report", lambda b: b"%PDF-")
    out = tmp_path / "pack.zip"
    result = run("export", "bundle", "--out", str(out), "--site", "Camp Liberty", "--as-of", "2016-01-31",
                 "--db", str(sample_copy))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        page = zf.read("report.html").decode()
    assert sorted(names) == sorted(bundle.bundle_members(chart_names(sample_copy, "Camp Liberty", "2016-01-31")))
    assert "Data as of <b>2016-01-31</b>" in page


@pytest.mark.parametrize(("args", "message"), [
    (["report", "--out", "{tmp}/r.docx"], "FILE.html or FILE.pdf"),
    (["bundle", "--out", "{tmp}/b.tar"], "FILE.zip"),
    (["report", "--out", "{tmp}/r.html", "--site", "Nowhere"], "no site named 'Nowhere'"),
    (["report", "--out", "{tmp}/r.html", "--as-of", "31/12/2015"], "is not a date"),
    (["charts", "--format", "html", "--out", "{tmp}/file.txt"], "is a file"),
    (["charts", "--format", "png", "--out", "{tmp}/c", "--width", "5"], "width and height go from 100"),
    (["data", "--format", "csv", "--out", "{tmp}/d", "--db", "{tmp}/missing.db"], "no database here"),
])
def test_export_usage_errors_exit_2(sample_db, tmp_path, args, message):
    (tmp_path / "file.txt").write_text("not a folder")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--db" not in args:
        args += ["--db", str(sample_db)]
    result = run("export", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_format_is_required_and_checked(sample_db, tmp_path):
    result = run("export", "charts", "--format", "gif", "--out", str(tmp_path), "--db", str(sample_db))
    assert result.exit_code == 2 and "gif" in result.output


def test_export_the_sites_pages_chart_and_the_report_holds_it(sample_db, tmp_path):
    result = run("export", "charts", "--format", "html", "--page", "sites", "--out", str(tmp_path / "charts"),
                 "--db", str(sample_db), env=NO_BROWSER_ENV)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["age_sex_pyramid.html", "sites_map.html"]
    chart = (tmp_path / "charts" / "age_sex_pyramid.html").read_text(encoding="utf-8")
    # Drawn as on the page: the page's figure (the registry's) with its title, its bars and its caption.
    conn = db.connect(sample_db)
    try:
        fig = registry.build_all(conn, view_scope(conn, None), ("sites",))["age_sex_pyramid"]
    finally:
        conn.close()
    assert fig.layout.title.text in chart and "Data as of 2016-09-09" in chart
    assert '"x":[-313]' in chart.replace(" ", "") and '"x":[664]' in chart.replace(" ", "")
    out = tmp_path / "briefing.html"
    result = run("export", "report", "--out", str(out), "--db", str(sample_db), env=NO_BROWSER_ENV)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<section class="page" id="page-sites"><h2>Sites: who remains</h2>' in page
    assert 'id="chart-age_sex_pyramid"' in page and 'id="chart-sites_map"' in page
    # The report's sections follow the registry: Sites right after the overview's.
    assert page.index('id="page-overview"') < page.index('id="page-sites"') < page.index('id="page-relocation"')
    assert "charts/age_sex_pyramid.png" in bundle.bundle_members(chart_names(sample_db))
