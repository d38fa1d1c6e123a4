"""Fixtures: real SQLite files in a temp dir, built through the real importer."""

from __future__ import annotations

import re
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from resettle.ingest import importer
from resettle.store import db

FILES = Path(__file__).parent / "files"
TINY = FILES / "tiny"
REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
TINY_ORDER = ("sites", "population", "transfers", "medevacs", "incidents", "pledges")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "test.db"
    db.init(path)
    return path


@pytest.fixture
def conn(db_path: Path):
    c = db.connect(db_path)
    yield c
    c.close()


def load_tiny(path: Path) -> None:
    for kind in TINY_ORDER:
        importer.import_file(path, kind, TINY / f"{kind}.csv")


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    """The small hand-computed fixture of tests/files/tiny/ (figures worked out in test_metrics.py)."""
    path = tmp_path / "tiny.db"
    load_tiny(path)
    return path


@pytest.fixture
def tiny_conn(tiny_db: Path):
    c = db.connect(tiny_db)
    yield c
    c.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """The bundled sample data, loaded once per session (tests copy it before writing)."""
    from resettle.ingest import sample

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    sample.load(path)
    return path


@pytest.fixture
def sample_copy(sample_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sample.db"
    src = db.connect(sample_db)
    dst = db.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return target


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def table_digest(path: Path) -> dict[str, list]:
    """Every row of every table, to compare a database before and after a failed import."""
    c = db.connect(path)
    try:
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: c.execute(f"SELECT * FROM {n} ORDER BY rowid").fetchall() for n in names}
    finally:
        c.close()


@pytest.fixture
def copy_file(tmp_path: Path):
    def _copy(src: Path, name: str | None = None) -> Path:
        dst = tmp_path / (name or src.name)
        shutil.copy(src, dst)
        return dst

    return _copy


CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def find_chromium() -> str | None:
    import os

    for candidate in (os.environ.get("RESETTLE_CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def need_browser() -> str:
    """The Chromium to drive; skips the test with a reason where none is installed, and fails it instead
    where RESETTLE_REQUIRE_BROWSER=1 (CI sets it, so a browser test can never silently not run there)."""
    import os

    path = find_chromium()
    if path is None:
        reason = "needs Debian's Chromium (apt-get install chromium); none found at " + ", ".join(CHROMIUM_CANDIDATES)
        if os.environ.get("RESETTLE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and RESETTLE_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    return need_browser()


# ---------------------------------------------------------------- the two ways tests drive the product


def run_cli(*args, env: dict | None = None, input: str | None = None, catch_exceptions: bool = True):
    """`resettle ARGS...` in-process (click's CliRunner): arguments as text, the result to assert on."""
    from click.testing import CliRunner

    from resettle.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], env=env, input=input, catch_exceptions=catch_exceptions)


def _dashboard(page: str) -> None:
    from resettle.ui import app

    app.main(default=page)


def open_dashboard(monkeypatch, path: Path, name: str, *, query: dict | None = None, secrets: dict | None = None,
                   run: bool = True):
    """The dashboard in-process (Streamlit's AppTest) on the database at `path`, opened on page `name`
    (its URL path), with URL query parameters and Streamlit secrets; run once, without an exception."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RESETTLE_DB", str(path))
    at = AppTest.from_function(_dashboard, args=(name,), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if secrets:
        at.secrets.update(secrets)
    if run:
        at.run()
        assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- what an exported file holds


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_size(data: bytes) -> tuple[str, str]:
    root = re.search(rb"<svg\b[^>]*>", data).group(0).decode()
    return re.search(r'\bwidth="([^"]+)"', root).group(1), re.search(r'\bheight="([^"]+)"', root).group(1)


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """Each page's MediaBox width and height, in points."""
    assert data[:5] == b"%PDF-", data[:8]
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


class Links(HTMLParser):
    """Every tag and its URL-bearing attributes (script bodies are not parsed as tags)."""

    URL_ATTRIBUTES = {"src", "href", "srcset", "action", "data", "poster", "formaction", "xlink:href"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)


def network_references(page: str) -> list:
    """What in an HTML page would load from the network: http(s) or protocol-relative URLs in any
    src/href, stylesheet links, @import and url() in CSS."""
    parser = Links()
    parser.feed(page)
    found = [u for u in parser.urls if re.match(r"\s*(https?:)?//", u[2], re.IGNORECASE)]
    found += [("link", t, "") for t in parser.tags if t in ("link", "iframe", "object", "embed", "base")]
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page, re.DOTALL | re.IGNORECASE)
    found += [("style", "url", m) for css in styles for m in re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)", css)]
    found += [("style", "@import", m) for css in styles for m in re.findall(r"@import[^;]*", css)]
    return found
