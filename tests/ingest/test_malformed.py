"""Bad input never hurts: every malformed file is refused through the real `resettle import` with exit
status 1 (invalid values) or 2 (not a readable table), a message naming the file (and the line where
there is one), no traceback, and a database exactly as it was before.

The committed corpus (tests/files/malformed/, its README lists each file) runs through real
subprocesses of the console script; the big inputs are generated here; hypothesis generates broken
CSVs and runs them through `resettle.cli.main` in-process (fast enough for hundreds of examples).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import FILES, load_tiny, table_digest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resettle import cli
from resettle.ingest import importer

CORPUS = FILES / "malformed"
RESETTLE = Path(sys.executable).with_name("resettle")
T_FIELDS = ["site", "date", "host_country", "people", "transfer_type", "stage", "case_id", "origin_country", "source"]
T_HEAD = ",".join(T_FIELDS) + "\n"


def corpus_table() -> list[tuple[str, str, int, str]]:
    """(file, kind, exit status, message fragment) from the table in the corpus README."""
    text = (CORPUS / "README.md").read_text(encoding="utf-8")
    return [
        (m[1], m[2], int(m[3]), m[4])
        for m in re.finditer(r"^\| `([^`]+)` \| (\w+) \| (\d) \| `([^`]*)` \| .* \|$", text, re.MULTILINE)
    ]


CASES = corpus_table()


def command(*args) -> list[str]:
    """The console script when installed (it is, in the project's venv), else `python -m`-like entry."""
    if RESETTLE.exists():
        return [str(RESETTLE), *map(str, args)]
    return [sys.executable, "-c", "from resettle.cli import main; main()", *map(str, args)]


def run_subprocess(*args, timeout: float = 120) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RESETTLE_DEBUG", "RESETTLE_READ_ONLY")}
    proc = subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def run_main(*args) -> tuple[int, str, str]:
    """`resettle ARGS` in this process, through the same entry point as the console script."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, dict]:
    """A database holding the tiny fixture, and its digest; each run gets its own copy of it."""
    path = tmp_path_factory.mktemp("pristine") / "pristine.db"
    load_tiny(path)
    return path, table_digest(path)


def copy_db(pristine_path: Path, target: Path) -> Path:
    shutil.copy(pristine_path, target)
    return target


def assert_refused(code: int, out: str, err: str, status: int | tuple[int, ...], *fragments: str) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    text = out + err
    assert code in statuses, f"exit {code}, expected {status}:\n{text}"
    assert "Traceback" not in text and "internal error" not in text, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


# ------------------------------------------------------------------ the committed corpus, via subprocesses


@pytest.fixture(scope="module")
def corpus_runs(pristine, tmp_path_factory) -> dict[str, tuple[int, str, str, bool]]:
    """Every corpus file through the console script, four at a time, each on its own copy of the database."""
    path, digest = pristine
    work = tmp_path_factory.mktemp("corpus")

    def one(case):
        name, kind, _, _ = case
        dbp = copy_db(path, work / f"{name}.db")
        code, out, err = run_subprocess("import", kind, CORPUS / name, "--db", dbp)
        return name, (code, out, err, table_digest(dbp) == digest)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, CASES))


def test_the_corpus_is_big_and_listed():
    listed = {name for name, *_ in CASES}
    present = {p.name for p in CORPUS.iterdir()} - {"README.md", "build_corpus.py", "__pycache__"}
    assert len(CASES) >= 30
    assert listed == present, f"not in the README table: {present - listed}; missing files: {listed - present}"
    assert {status for _, _, status, _ in CASES} == {1, 2}


@pytest.mark.parametrize(("name", "kind", "status", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_corpus_file_is_refused(corpus_runs, name, kind, status, fragment):
    code, out, err, unchanged = corpus_runs[name]
    assert_refused(code, out, err, status, fragment, name)
    assert unchanged, f"{name}: the database changed"


# ------------------------------------------------------------------ big and strange inputs, made here


def good_rows(n: int, start: int = 0) -> str:
    return "".join(
        f"Camp Liberty,2014-{1 + i % 12:02d}-{1 + i % 28:02d},{('ALB', 'DEU', 'FIN')[i % 3]},{i % 97},,,,IRN,UNHCR\n"
        for i in range(start, start + n)
    )


TEN_MB = "x" * (10 * 1024 * 1024)


def make_input(case: str, tmp: Path) -> tuple[Path, list[str]]:
    """The input file for `case` and any extra arguments."""
    path = tmp / "input.csv"
    if case == "cell_10mb_line_2":
        path.write_text(T_HEAD + f"{TEN_MB},2014-01-01,ALB,5,,,,,\n" + good_rows(3))
    elif case == "cell_10mb_quoted_line_102":
        path.write_text(T_HEAD + good_rows(100) + f'Camp Liberty,2014-01-01,ALB,5,,,,,"{TEN_MB}"\n' + good_rows(3))
    elif case == "cell_10mb_big_file_line_120002":  # big enough for the fast column-wise path
        path.write_text(T_HEAD + good_rows(120_000) + f"Camp Liberty,2014-01-01,ALB,5,,,,,{TEN_MB}\n")
    elif case == "one_line_of_10mb":
        path.write_text(TEN_MB)
    elif case == "one_bad_row_among_120000_line_73457":  # fast-path size: it falls back to report the line
        rows = good_rows(120_000).splitlines(keepends=True)
        rows[73_455] = "Camp Liberty,2014-03-01,ALB,-1,,,,IRN,UNHCR\n"
        path.write_text(T_HEAD + "".join(rows))
    elif case == "one_bad_row_among_5000_line_4001":
        rows = good_rows(5000).splitlines(keepends=True)
        rows[3999] = "Camp Liberty,2014-02-29,ALB,1,,,,IRN,UNHCR\n"
        path.write_text(T_HEAD + "".join(rows))
    elif case == "over_the_size_limit":
        with open(path, "wb") as fh:  # sparse: 201 MB on paper, nothing on disk
            fh.truncate(201 * 1024 * 1024)
    elif case == "a_directory":
        path = tmp / "folder.csv"
        path.mkdir()
    elif case == "vanished":  # a name that pointed to a file that is gone
        path = tmp / "gone.csv"
        path.symlink_to(tmp / "deleted-meanwhile.csv")
    elif case == "named_pipe":  # reading it would wait forever for a writer
        path = tmp / "pipe.csv"
        os.mkfifo(path)
    elif case == "sheet_not_there":
        import openpyxl

        path = tmp / "input.xlsx"
        book = openpyxl.Workbook()
        book.active.append(T_FIELDS)
        book.active.append(["Camp Liberty", "2014-01-01", "ALB", 5])
        book.save(path)
        return path, ["--sheet", "Figures 2015"]
    elif case == "many_errors_over_the_cap":
        path.write_text(T_HEAD + "".join(f"Camp Liberty,2014-01-01,ALB,-{i},,,,,\n" for i in range(1, 2001)))
    else:
        raise AssertionError(case)
    return path, []


GENERATED = [
    ("cell_10mb_line_2", 2, ["input.csv:2", "longer than"]),
    ("cell_10mb_quoted_line_102", 2, ["input.csv:102", "longer than"]),
    ("cell_10mb_big_file_line_120002", 2, ["input.csv:120002", "longer than"]),
    ("one_line_of_10mb", 2, ["input.csv:1", "longer than"]),
    ("one_bad_row_among_120000_line_73457", 1, ["input.csv:73457: people: -1 is negative"]),
    ("one_bad_row_among_5000_line_4001", 1, ["input.csv:4001: date: '2014-02-29' is not a date that exists"]),
    ("over_the_size_limit", 2, ["input.csv", "too big"]),
    ("a_directory", 2, ["folder.csv", "directory"]),
    ("vanished", 2, ["gone.csv", "no such file"]),
    ("named_pipe", 2, ["pipe.csv", "not a regular file"]),
    ("sheet_not_there", 2, ["input.xlsx", "no sheet named 'Figures 2015'"]),
    ("many_errors_over_the_cap", 1, ["input.csv:2: people", "1950 more errors (2000 in all)"]),
]


@pytest.mark.parametrize(("case", "status", "fragments"), GENERATED, ids=[g[0] for g in GENERATED])
def test_generated_input_is_refused(pristine, tmp_path, case, status, fragments):
    path, extra = make_input(case, tmp_path)
    dbp = copy_db(pristine[0], tmp_path / "t.db")
    code, out, err = run_subprocess("import", "transfers", path, "--db", dbp, *extra, timeout=60)
    assert_refused(code, out, err, status, *fragments)
    assert table_digest(dbp) == pristine[1]


def test_a_file_that_vanishes_during_the_import(pristine, tmp_path, monkeypatch):
    """Deleted after it was opened and checked, before its rows are read: exit 2, nothing written."""
    path = tmp_path / "t.csv"
    path.write_text(T_HEAD + good_rows(50))
    dbp = copy_db(pristine[0], tmp_path / "t.db")
    real = importer.file_sha256

    def hash_then_vanish(p):
        digest = real(p)
        Path(p).unlink()
        return digest

    monkeypatch.setattr(importer, "file_sha256", hash_then_vanish)
    code, out, err = run_main("import", "transfers", path, "--db", dbp)
    assert_refused(code, out, err, 2, "t.csv")
    assert table_digest(dbp) == pristine[1]


# ------------------------------------------------------------------ hypothesis: broken CSVs


SITES = ["Camp Liberty", "Camp Ashraf", "Tirana transit"]
COUNTRIES = ["ALB", "DEU", "Albania", "FI", "Italy", "NLD", "Germany"]
good_row = st.fixed_dictionaries({
    "site": st.sampled_from(SITES),
    "date": st.dates(min_value=dt.date(2012, 1, 1), max_value=dt.date(2020, 12, 31)).map(dt.date.isoformat),
    "host_country": st.sampled_from(COUNTRIES),
    "people": st.integers(0, 500).map(str),
    "transfer_type": st.sampled_from(["", "relocation", "Resettlement", "family reunification"]),
    "stage": st.sampled_from(["", "departed", "submitted", "accepted"]),
    "case_id": st.just(""),
    "origin_country": st.sampled_from(["", "IRN", "Iran"]),
    "source": st.sampled_from(["", "UNHCR", "VOA", "State Department"]),
})

# (column, value, what the message says); each makes its row invalid whatever the rest of the row holds
ROW_BREAKERS = [
    ("people", "-3", "people: -3 is negative"),
    ("people", "2.5", "people: 2.5 is not a whole number"),
    ("people", "many", "people: 'many' is not a number"),
    ("people", "", "people: missing value"),
    ("people", "12000000000", "too many for a count"),
    ("date", "2014-02-30", "date: '2014-02-30' is not a date that exists"),
    ("date", "someday", "date: 'someday' is not a date"),
    ("date", "2099-06-01", "is in the future"),
    ("host_country", "Atlantis", "host_country: 'Atlantis' is not a country"),
    ("host_country", "", "host_country: missing value"),
    ("transfer_type", "relocaton", "transfer_type: 'relocaton' is not one of"),
    ("stage", "gone", "stage: 'gone' is not one of"),
    ("site", "", "site: missing value"),
    ("(row)", "x,y", "fields but the header has 9"),
]


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(T_FIELDS)
    for row in rows:
        writer.writerow([row[f] for f in T_FIELDS])
    return buffer.getvalue()


@st.composite
def broken_rows(draw):
    rows = draw(st.lists(good_row, min_size=1, max_size=40))
    picks = draw(st.lists(st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(ROW_BREAKERS)),
                          min_size=1, max_size=5))
    broken: dict[int, str] = {}
    text_rows = []
    for i, (column, value, message) in picks:
        if i in broken:
            continue
        broken[i] = message
        if column == "(row)":
            continue
        rows[i] = {**rows[i], column: value}
        if value.startswith("2099"):
            rows[i]["stage"] = "departed"  # only a departure may not lie in the future
    text_rows = csv_text(rows).splitlines(keepends=True)
    for i, message in broken.items():
        if message.startswith("fields but"):
            text_rows[i + 1] = text_rows[i + 1].rstrip("\n") + ",x,y\n"
    return "".join(text_rows), {i + 2: message for i, message in broken.items()}  # line = index + 2


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hypothesis")


def fresh_db(pristine, scratch: Path) -> Path:
    target = Path(tempfile.mkdtemp(dir=scratch)) / "t.db"
    return copy_db(pristine[0], target)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=broken_rows())
def test_broken_rows_exit_1_naming_each_line(pristine, scratch, case):
    text, bad = case
    dbp = fresh_db(pristine, scratch)
    path = dbp.with_name("broken.csv")
    path.write_text(text, encoding="utf-8")
    code, out, err = run_main("import", "transfers", path, "--db", dbp)
    assert_refused(code, out, err, 1, "Nothing was imported")
    said = (out + err).splitlines()
    # The mapping first, with its values (none to show where every sampled site is empty: "site,").
    assert said[0].startswith(("columns: site (", "columns: site, date ("))
    first = said[1]
    assert first.startswith(f"broken.csv:{min(bad)}:"), (first, bad)
    for line, message in bad.items():
        assert any(e.startswith(f"broken.csv:{line}:") and message in e for e in (out + err).splitlines()), (line, message)
    assert table_digest(dbp) == pristine[1]


@st.composite
def broken_files(draw):
    """A good file broken as a whole: (text or bytes, exit status, fragments of the message)."""
    rows = draw(st.lists(good_row, min_size=1, max_size=30))
    text = csv_text(rows)
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["open_quote", "quote_then_text", "nul", "drop_column", "duplicate_column",
                                "header_only", "binary"]))
    line = draw(st.integers(2, len(lines)))
    if how == "open_quote":  # a quote opens a cell and never closes: the rest of the file is one cell
        lines[line - 1] = '"' + lines[line - 1]
        return "".join(lines), 2, [f"broken.csv:{line}", "never closed"]
    if how == "quote_then_text":
        cells = lines[line - 1].rstrip("\n").split(",")
        cells[2] = f'"{cells[2]}"x'
        lines[line - 1] = ",".join(cells) + "\n"
        return "".join(lines), 2, [f"broken.csv:{line}", "closing quote is followed by other text"]
    if how == "nul":
        at = draw(st.integers(0, len(text)))
        return text[:at] + "\x00" + text[at:], 2, ["broken.csv", "binary"]
    if how == "drop_column":
        column = draw(st.sampled_from(["site", "date", "host_country", "people"]))
        k = T_FIELDS.index(column)
        dropped = ["".join(",".join(c for j, c in enumerate(raw.rstrip("\n").split(",")) if j != k) + "\n")
                   for raw in lines]
        return "".join(dropped), 2, ["broken.csv:1", f"required column missing: {column}"]
    if how == "duplicate_column":
        a, b = draw(st.lists(st.integers(0, len(T_FIELDS) - 1), min_size=2, max_size=2, unique=True))
        header = list(T_FIELDS)
        header[max(a, b)] = header[min(a, b)].upper()
        return ",".join(header) + "\n" + "".join(lines[1:]), 2, ["broken.csv:1", "appears twice"]
    if how == "header_only":
        return lines[0] + draw(st.sampled_from(["", "\n", "\n\n,,,\n"])), 2, ["broken.csv:1", "no data rows"]
    noise = draw(st.binary(min_size=64, max_size=512))
    at = draw(st.integers(0, len(noise)))
    return noise[:at] + bytes(8) + noise[at:], 2, ["broken.csv", "binary"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=broken_files())
def test_broken_files_exit_2_naming_the_file(pristine, scratch, case):
    content, status, fragments = case
    dbp = fresh_db(pristine, scratch)
    path = dbp.with_name("broken.csv")
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    code, out, err = run_main("import", "transfers", path, "--db", dbp)
    assert_refused(code, out, err, status, *fragments)
    assert table_digest(dbp) == pristine[1]


MUTATION_BYTES = [b'"', b",", b";", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\t", b"#", b"-", b"9", b"\xc3"]


@st.composite
def mutated_files(draw):
    rows = draw(st.lists(good_row, min_size=1, max_size=20))
    data = bytearray(csv_text(rows).encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        what = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(MUTATION_BYTES) | st.binary(min_size=1, max_size=4))
        if what == "insert":
            data[at:at] = piece
        elif what == "delete":
            del data[at:at + len(piece)]
        else:
            data[at:at + len(piece)] = piece
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=mutated_files())
def test_mutated_bytes_never_crash_and_never_half_write(pristine, scratch, content):
    """Random damage to a good file: whatever the outcome, no crash, and on a refusal nothing written."""
    dbp = fresh_db(pristine, scratch)
    path = dbp.with_name("mutated.csv")
    path.write_bytes(content)
    code, out, err = run_main("import", "transfers", path, "--db", dbp)
    assert code in (0, 1, 2), out + err
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    after = table_digest(dbp)
    if code:
        assert "mutated.csv" in out + err
        assert after == pristine[1]
    else:
        assert len(after["import_batches"]) == len(pristine[1]["import_batches"]) + 1
