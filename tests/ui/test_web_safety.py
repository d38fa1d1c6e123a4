"""The web page half of issue 7: read-only mode, editors' sign-in with the audit log, uploads that are too
big, empty, binary or full of HTML, upload names, hostile text in filters, and (in a real browser) a site
named like an XSS payload that shows as text and runs nothing."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import open_dashboard, run_cli, table_digest, write
from streamlit.testing.v1 import AppTest

from resettle.domain.errors import UsageError
from resettle.ingest import importer, review
from resettle.store import audit as audit_log
from resettle.store import auth, db, mappings, writer

ROOT = Path(__file__).resolve().parents[2]
FAST = {"n": 2**4, "r": 1, "p": 1}  # cheap hashes: these tests check the flow, test_auth the hash
PASSWORD = "correct horse battery"
GOOD = b"site,date,host_country,people,source\nCamp Liberty,2016-09-01,Germany,7,Test upload\n"
XSS = "<img src=x onerror=alert(1)>"
# Markdown that would have every viewer's browser fetch an address (port 9 of this machine: nothing there).
MD_IMAGE = "![beacon](http://127.0.0.1:9/beacon.png)"


def page(monkeypatch, path: Path, name: str, *, secrets: dict | None = None) -> AppTest:
    return open_dashboard(monkeypatch, path, name, secrets=secrets)


def page_names(at: AppTest) -> list[str]:
    return [info["page_name"] for info in at._registered_pages.values()]


def buttons(at: AppTest) -> list[str]:
    return [b.key or b.label for b in at.button]


@pytest.fixture
def plain(monkeypatch):
    """No read-only mode, no public mode, no editors from the environment."""
    for name in ("RESETTLE_READ_ONLY", "RESETTLE_PUBLIC", "RESETTLE_EDITORS", "RESETTLE_EDITOR"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- read-only mode


def test_read_only_has_no_import_page_and_no_undo(plain, monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "overview")
    assert "Import" in page_names(at)
    monkeypatch.setenv("RESETTLE_READ_ONLY", "1")
    for name in ("import", "overview", "data"):  # asking for the import page opens the overview
        at = page(monkeypatch, sample_copy, name)
        assert page_names(at) == ["Overview", "Sites", "Relocation", "Destinations", "Medical access", "Incidents",
                                  "Reconciliation", "Data"]
        assert not at.file_uploader
        assert not [b for b in buttons(at) if b and ("undo" in b or "load_sample" in b)]
        assert not at.error, [e.value for e in at.error]
    assert at.title[0].value != "Import a file"


def test_read_only_functions_refuse_on_the_server_side(plain, monkeypatch, sample_copy, tmp_path):
    before = table_digest(sample_copy)
    monkeypatch.setenv("RESETTLE_READ_ONLY", "1")
    path = write(tmp_path, "flights.csv", GOOD)
    with pytest.raises(UsageError, match="read-only"):
        importer.import_file(sample_copy, "transfers", path)
    assert "read-only" in review.commit(sample_copy, "transfers", path, importer.ImportOptions()).problem
    conn = db.connect(sample_copy)
    try:
        with pytest.raises(UsageError, match="read-only"):
            writer.undo(conn, 1)
    finally:
        conn.close()
    # The page's own entry points refuse too, whatever a page shows (ui/data asks ui/access).
    from resettle.ui import access
    from resettle.ui import cache as data

    monkeypatch.setenv("RESETTLE_DB", str(sample_copy))
    for call in (lambda: data.undo(1), lambda: data.run_import(path, "transfers", importer.ImportOptions()),
                 lambda: data.load_sample(), lambda: access.require_editor("importing")):
        with pytest.raises(UsageError, match="read-only"):
            call()
    assert table_digest(sample_copy) == before


def test_read_only_empty_database_offers_nothing_to_load(plain, monkeypatch, tmp_path):
    path = tmp_path / "empty.db"
    db.init(path)
    monkeypatch.setenv("RESETTLE_READ_ONLY", "1")
    at = page(monkeypatch, path, "overview")
    assert any("empty" in i.value for i in at.info)
    assert not at.button and not at.get("page_link")


# ---------------------------------------------------------------- editors: sign in, record, sign out


def editors_secret() -> dict:
    return {"editors": {"Amira": auth.hash_password(PASSWORD, **FAST),
                        "Field office Tirana": auth.hash_password("another passphrase", **FAST)}}


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def test_editing_needs_a_sign_in_and_records_the_editor(plain, monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "import", secrets=editors_secret())
    assert not at.file_uploader and "undo_ask" not in buttons(at)  # nothing to change before signing in
    assert at.text_input(key="sign_in_password").proto.type == at.text_input(key="sign_in_password").proto.PASSWORD
    sign_in(at, "Amira", "wrong password")
    assert any("Wrong editor name or password" in e.value for e in at.error)
    assert not at.file_uploader
    sign_in(at, "Nobody", PASSWORD)
    assert not at.file_uploader
    sign_in(at, "amira", PASSWORD)  # names in any case
    assert any("Signed in as **Amira**" in c.value for c in at.caption)
    assert at.file_uploader and "undo_ask" in buttons(at)

    at.file_uploader[0].set_value(("flights.csv", GOOD, "text/csv")).run()
    at.button(key="import_confirm").click().run()
    assert not at.exception and any("Imported" in s.value for s in at.success)
    batch = at.dataframe[0].value.iloc[0]
    assert batch["file_name"] == "flights.csv" and batch["editor"] == "Amira"
    at.button(key="undo_ask").click().run()
    at.button(key="undo_confirm").click().run()
    assert any(f"Batch {batch['id']} undone" in s.value for s in at.success)

    audit = at.dataframe[1].value  # the audit log, below the batches
    assert audit[["editor", "action", "batch_id"]].head(2).values.tolist() == [
        ["Amira", "undo", batch["id"]], ["Amira", "import", batch["id"]]]
    conn = db.connect(sample_copy)
    try:
        assert [(r["editor"], r["action"]) for r in audit_log.list_audit(conn)[:2]] == [("Amira", "undo"),
                                                                                      ("Amira", "import")]
    finally:
        conn.close()

    at.button(key="sign_out").click().run()
    assert not at.file_uploader and at.text_input(key="sign_in_password") is not None


def test_editors_from_the_environment(plain, monkeypatch, sample_copy):
    monkeypatch.setenv("RESETTLE_EDITORS", f"Jon:{auth.hash_password(PASSWORD, **FAST)}")
    at = page(monkeypatch, sample_copy, "import")
    assert not at.file_uploader
    sign_in(at, "Jon", PASSWORD)
    assert at.file_uploader


def test_a_broken_editors_setting_closes_editing_and_says_why(plain, monkeypatch, sample_copy):
    monkeypatch.setenv("RESETTLE_EDITORS", "Jon:plaintext-password")
    at = page(monkeypatch, sample_copy, "import")
    assert not at.file_uploader and not at.text_input
    assert any("Jon" in w.value and "resettle hash-password" in w.value for w in at.warning)
    assert not any("plaintext-password" in w.value for w in at.warning)


def test_without_editors_a_local_dashboard_is_open_and_says_so(plain, monkeypatch, sample_copy):
    monkeypatch.setenv("RESETTLE_EDITOR", "Amira")
    at = page(monkeypatch, sample_copy, "import")
    assert at.file_uploader
    assert any("Editing is open" in c.value and "Amira (local, no sign-in)" in c.value for c in at.caption)
    at.file_uploader[0].set_value(("flights.csv", GOOD, "text/csv")).run()
    at.button(key="import_confirm").click().run()
    assert at.dataframe[0].value.iloc[0]["editor"] == "Amira (local, no sign-in)"


def test_without_editors_a_networked_dashboard_is_closed(plain, monkeypatch, sample_copy, tmp_path):
    monkeypatch.setattr(auth, "only_local", lambda address, headers: False)  # as if reached over a network
    before = table_digest(sample_copy)
    at = page(monkeypatch, sample_copy, "import")
    assert not at.file_uploader and "undo_ask" not in buttons(at)
    assert any("switched off" in w.value and "resettle hash-password" in w.value for w in at.warning)
    from resettle.ui import cache as data

    monkeypatch.setenv("RESETTLE_DB", str(sample_copy))
    with pytest.raises(UsageError, match="sign-in"):
        data.undo(1)
    with pytest.raises(UsageError, match="sign-in"):
        data.run_import(write(tmp_path, "f.csv", GOOD), "transfers", importer.ImportOptions())
    assert table_digest(sample_copy) == before


def test_an_empty_database_offers_the_sample_only_to_an_editor(plain, monkeypatch, tmp_path):
    path = tmp_path / "empty.db"
    db.init(path)
    at = page(monkeypatch, path, "overview", secrets=editors_secret())
    assert "load_sample" not in buttons(at)
    assert any("Sign in on the Import page" in c.value for c in at.caption)


# ---------------------------------------------------------------- uploads


def test_the_import_page_states_the_upload_limit(plain, monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "import")
    assert "up to 50 MB" in at.file_uploader[0].label
    assert any("up to 50 MB" in c.value for c in at.caption)


BAD_UPLOADS = [
    # name, bytes, what the message says (after the file name)
    ("photo.csv", bytes(range(256)) * 40, "binary"),
    ("empty.csv", b"", "empty"),
    ("page.csv", (ROOT / "tests/files/malformed/html_page.csv").read_bytes(), "HTML"),
    ("script.csv", b"site,date,host_country,people\nCamp Liberty,2016-09-01,ALB,<script>alert(1)</script>\n",
     "people"),
    ("tags.csv", b"<script>alert(1)</script>\n<b>bold</b>\n", ""),
]


@pytest.mark.parametrize(("name", "content", "says"), BAD_UPLOADS, ids=[u[0] for u in BAD_UPLOADS])
def test_a_bad_upload_shows_a_message_and_changes_nothing(plain, monkeypatch, sample_copy, name, content, says):
    before = table_digest(sample_copy)
    at = page(monkeypatch, sample_copy, "import")
    at.selectbox(key="import_kind").set_value("transfers").run()
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, at.exception
    shown = [e.value for e in at.error] + [str(d.value.to_dict("records")) for d in at.dataframe[:1]
                                           if "line" in d.value.columns] + [w.value for w in at.warning]
    assert shown, "no message"
    text = "\n".join(shown)
    assert name in text or "line" in text, text
    assert says in text, text
    assert "Traceback" not in text and "resettle-upload-" not in text
    with pytest.raises(KeyError):
        at.button(key="import_confirm")
    assert table_digest(sample_copy) == before


def test_a_script_in_a_cell_names_its_line_and_column(plain, monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "import")
    at.selectbox(key="import_kind").set_value("transfers").run()
    at.file_uploader[0].set_value(BAD_UPLOADS[3][:2] + ("text/csv",)).run()
    errors = at.dataframe[0].value
    assert errors.values.tolist() == [[2, "people", "'<script>alert(1)</script>' is not a number"]]
    assert any("problems in the file" in e.value for e in at.error)


def test_an_upload_over_the_limit_is_refused_before_it_is_read(plain, monkeypatch, sample_copy):
    """The browser refuses a file over server.maxUploadSize already; the page checks again (AppTest and any
    other client bypass the browser)."""
    import streamlit

    before = table_digest(sample_copy)
    big = GOOD + b"Camp Liberty,2016-09-02,Germany,7,Test upload\n" * 30_000  # about 1.4 MB
    at = page(monkeypatch, sample_copy, "import")
    streamlit.config.set_option("server.maxUploadSize", 1)
    try:
        at.file_uploader[0].set_value(("../../big.csv", big, "text/csv")).run()
    finally:
        streamlit.config.set_option("server.maxUploadSize", review.MAX_UPLOAD_MB)
    assert not at.exception
    assert any(re.match(r"big\.csv: 1\.\d MB is over the upload limit of 1 MB", e.value) for e in at.error), \
        [e.value for e in at.error]
    assert table_digest(sample_copy) == before


def test_the_factored_upload_step_refuses_too_big_and_empty():
    assert review.upload_problem("a.csv", 51 * 1024 * 1024, 50).startswith("a.csv: 51.0 MB is over the upload limit")
    assert review.upload_problem("../x/a.csv", 0, 50) == "a.csv: the file is empty (0 bytes): nothing to import."
    assert review.upload_problem("a.csv", 50 * 1024 * 1024, 50) is None


@pytest.mark.parametrize(("given", "saved"), [
    ("../../etc/passwd.csv", "passwd.csv"),
    ("a/b\\c.csv", "c.csv"),
    ("C:\\Users\\amira\\flights.csv", "flights.csv"),
    ("/etc/passwd", "passwd"),
    ("..", "upload.csv"), (".", "upload.csv"), ("", "upload.csv"), ("   ", "upload.csv"), ("../..", "upload.csv"),
    ("a\x00b.csv", "ab.csv"), ("line\nbreak.csv", "linebreak.csv"),
    (XSS + ".csv", XSS + ".csv"),  # a name, not a path: shown as text wherever it appears
])
def test_an_upload_name_never_leaves_the_upload_folder(given, saved):
    assert review.upload_name(given) == saved
    with review.saved_upload(given, b"a,b\n") as path:
        folder = path.parent
        assert path.name == saved and path.resolve().parent == folder.resolve()
        assert folder.name.startswith("resettle-upload-") and path.read_bytes() == b"a,b\n"
    assert not folder.exists()


def test_a_long_upload_name_is_cut_keeping_its_extension():
    for given in ("x" * 400 + ".csv", "é" * 400 + ".xlsx"):
        name = review.upload_name(given)
        assert len(name.encode("utf-8")) <= 200 and name.rsplit(".", 1)[1] in ("csv", "xlsx")
        with review.saved_upload(given, b"a\n") as path:
            assert path.exists()


def test_serve_passes_the_upload_limit_and_listens_on_loopback(monkeypatch, sample_copy):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, **kw: calls.append(cmd) or 0)
    result = run_cli("serve", "--db", str(sample_copy), "--port", "8999")
    assert result.exit_code == 0, result.output
    cmd = calls[0]
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "50"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    run_cli("serve", "--db", str(sample_copy), "--address", "0.0.0.0", "--max-upload-mb", "20")
    assert calls[1][calls[1].index("--server.maxUploadSize") + 1] == "20"
    assert calls[1][calls[1].index("--server.address") + 1] == "0.0.0.0"


def test_the_config_sets_the_upload_limit():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert re.search(rf"maxUploadSize\s*=\s*{review.MAX_UPLOAD_MB}\b", config)


# ---------------------------------------------------------------- hostile text in filters and names


def test_hostile_text_in_the_url_and_filters_is_only_data(plain, monkeypatch, sample_copy):
    before = table_digest(sample_copy)
    at = open_dashboard(monkeypatch, sample_copy, "data", run=False)
    at.query_params["sites"] = "x'); DROP TABLE sites; --"
    at.query_params["host_countries"] = "ALB' OR '1'='1"
    at.run()
    assert not at.exception
    at.text_input(key="data_source").input("%' OR 1=1 --").run()
    assert not at.exception
    assert at.dataframe[0].value.empty  # no source contains that text
    assert table_digest(sample_copy) == before


def test_text_from_the_data_cannot_make_markdown_links_or_images(plain, monkeypatch, tmp_path):
    path = tmp_path / "md.db"
    sites = write(tmp_path, "sites.csv", f'name,country,type\n"{MD_IMAGE} $x$",IRQ,camp\n')
    counts = write(tmp_path, "population.csv", f'site,date,residents,source\n"{MD_IMAGE} $x$",2015-01-01,120,'
                   '"[click](http://127.0.0.1:9/) <http://127.0.0.1:9/>"\n')
    for kind, file in (("sites", sites), ("population", counts)):
        importer.import_file(path, kind, file)
    at = open_dashboard(monkeypatch, path, "overview", run=False)
    at.query_params["sites"] = f"{MD_IMAGE} $x$"
    at.query_params["host_countries"] = "![x](http://127.0.0.1:9/x.png)"
    at.run()
    assert not at.exception
    shown = [c.value for c in at.caption] + [m.value for m in at.markdown] + [w.value for w in at.sidebar.warning]
    markdown = "\n".join(shown)
    assert "!\\[beacon\\](http://127.0.0.1:9/beacon.png) \\$x\\$" in markdown  # escaped: shown as typed
    assert "\\[click\\](http://127.0.0.1:9/) \\<http://127.0.0.1:9/\\>" in markdown
    assert "!\\[X\\](HTTP://127.0.0.1:9/X.PNG)" in markdown  # the link's host country, upper-cased
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", markdown)  # no unescaped [text](url) anywhere


def test_no_page_renders_html_from_text(plain):
    """Every st.markdown/st.html with HTML allowed must escape what it shows (html.escape); today none exists."""
    offenders = []
    for path in (ROOT / "src" / "resettle" / "ui").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"unsafe_allow_html\s*=\s*True|st\.html\(|components\.html\(", source):
            line = source[: match.start()].count("\n") + 1
            window = source[max(0, match.start() - 400): match.end()]
            if "html.escape" not in window:
                offenders.append(f"{path.name}:{line}")
    assert not offenders, offenders


def test_sql_text_in_every_field_is_stored_as_text(plain, tmp_path):
    """Values reach SQLite only as parameters: SQL in every text field of an import lands as that text, and
    every table is still there (the f-strings in the SQL of this package splice only our own names:
    field names from records.KINDS, `?` marks, and clauses built of both)."""
    path = tmp_path / "sql.db"
    evil = "x'); DROP TABLE sites; --"
    sites = write(tmp_path, "sites.csv", f'name,country,type\n"{evil}",IRQ,camp\n')
    medevacs = write(tmp_path, "medevacs.csv", "site,date,request_date,patients,destination,reason,outcome,source\n"
                     f'"{evil}",2015-01-02,2015-01-01,2,"\'; DELETE FROM medical_evacuations; --",illness,returned,'
                     '"\' OR 1=1 --"\n')
    incidents = write(tmp_path, "incidents.csv", "site,date,incident_type,killed,description,source\n"
                      f'"{evil}",2015-01-03,attack,1,"Robert\'); DROP TABLE incidents;--","a""b"\n')
    for kind, file in (("sites", sites), ("medevacs", medevacs), ("incidents", incidents)):
        importer.import_file(path, kind, file, importer.ImportOptions(editor=evil, save_mapping=evil))
    conn = db.connect(path)
    try:
        assert conn.execute("SELECT name FROM sites").fetchall() == [(evil,)]
        assert conn.execute("SELECT destination, source FROM medical_evacuations").fetchall() == [
            ("'; DELETE FROM medical_evacuations; --", "' OR 1=1 --")]
        assert conn.execute("SELECT description, source FROM incidents").fetchall() == [
            ("Robert'); DROP TABLE incidents;--", 'a"b')]
        assert {r[0] for r in conn.execute("SELECT editor FROM audit_log")} == {evil}
        assert mappings.load_mapping(conn, evil).name == evil
    finally:
        conn.close()


# ---------------------------------------------------------------- a real browser

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def xss_db(tmp_path) -> Path:
    """A database whose only site is named like an XSS payload, imported through the real importer."""
    path = tmp_path / "xss.db"
    sites = write(tmp_path, "sites.csv", f'name,country,type\n"{XSS}",IRQ,camp\n')
    population = write(tmp_path, "population.csv",
                       f'site,date,residents,source\n"{XSS}",2015-01-01,120,"<b>Source</b> <script>alert(2)</script>"\n'
                       f'"{XSS}",2015-06-01,100,"{MD_IMAGE}"\n')
    transfers = write(tmp_path, "transfers.csv", f'site,date,host_country,people,source\n"{XSS}",2015-03-01,ALB,20,Flights\n')
    for kind, file in (("sites", sites), ("population", population), ("transfers", transfers)):
        importer.import_file(path, kind, file)
    return path


@pytest.fixture
def served(xss_db, tmp_path):
    """`streamlit run dashboard.py` on the XSS database, on a free loopback port; stopped afterwards."""
    port = free_port()
    env = {**os.environ, "RESETTLE_DB": str(xss_db), "RESETTLE_READ_ONLY": "", "RESETTLE_EDITORS": ""}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError((tmp_path / "server.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_site_named_like_html_shows_as_text_and_runs_nothing(chromium, served, tmp_path):
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page_ = browser.new_page()
            page_.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            fetched: list[str] = []
            page_.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(served) else None)
            page_.goto(served + "/", wait_until="domcontentloaded")
            page_.get_by_role("heading", name="Relocation overview").wait_for(timeout=45_000)
            # The sidebar's site filter offers the site by its name, as text; picking it puts the name in
            # the page's caption (markdown) and in the link.
            page_.locator("[data-testid='stSidebar'] input[aria-label='Sites']").click()
            option = page_.get_by_role("option", name=XSS)
            option.wait_for(timeout=15_000)
            option.click()
            page_.get_by_text(f"{XSS}: figures as of 2015-06-01").wait_for(timeout=30_000)
            assert "sites=%3Cimg" in page_.url
            page_.get_by_text("sources behind these figures").click()  # the sources, listed in markdown
            page_.get_by_text("<b>Source</b> <script>alert(2)</script>").wait_for(timeout=15_000)
            page_.get_by_test_id("stExpanderDetails").get_by_text(MD_IMAGE).wait_for(timeout=15_000)  # text
            page_.wait_for_timeout(1000)
            page_.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
            checks = {"overview": page_.inner_text("body")}
            assert page_.locator("img[src='x']").count() == 0  # no element was made from the text
            page_.goto(served + "/data?sites=" + XSS.replace(" ", "+").replace("=", "%3D").replace("<", "%3C")
                       .replace(">", "%3E").replace("(", "%28").replace(")", "%29"), wait_until="domcontentloaded")
            page_.get_by_role("heading", name="Data").wait_for(timeout=45_000)
            page_.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
            page_.wait_for_timeout(1500)
            checks["data"] = page_.inner_text("body")
            assert page_.locator("img[src='x']").count() == 0
            page_.screenshot(path=str(tmp_path / "data.png"), full_page=True)
        finally:
            browser.close()
    for name, text in checks.items():
        assert XSS in text, name  # the literal text, on the page
    assert dialogs == []  # nothing ran
    assert fetched == []  # and nothing was fetched from anywhere else


def test_the_import_page_in_a_real_browser_refuses_bad_uploads(chromium, served, xss_db, tmp_path):
    """Upload an empty file and a binary file through the browser's file chooser: a message each, no
    traceback, nothing written."""
    from playwright.sync_api import sync_playwright

    before = table_digest(xss_db)
    empty = write(tmp_path, "empty.csv", b"")
    binary = write(tmp_path, "photo.csv", bytes(range(256)) * 40)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page_ = browser.new_page()
            page_.goto(served + "/import", wait_until="domcontentloaded")
            page_.get_by_text("up to 50 MB").first.wait_for(timeout=45_000)
            chooser = page_.locator("[data-testid='stFileUploaderDropzoneInput']")
            chooser.set_input_files(str(empty))
            page_.get_by_text("empty.csv: the file is empty").wait_for(timeout=30_000)
            chooser.set_input_files(str(binary))  # one file at a time: the new one replaces it
            error = page_.locator("[data-testid='stAlertContentError']").filter(has_text="photo.csv")
            error.first.wait_for(timeout=30_000)
            assert "binary" in error.first.inner_text()
            body = page_.inner_text("body")
            assert "Traceback" not in body and "resettle-upload-" not in body
            page_.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
        finally:
            browser.close()
    assert table_digest(xss_db) == before


def test_the_served_database_is_unchanged_by_the_browser_tests(xss_db):
    conn = db.connect(xss_db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sites")]
        assert names == [XSS]
        assert json.dumps(names)  # stored as the text it is
    finally:
        conn.close()
