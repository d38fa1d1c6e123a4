"""The fast path's shortcuts keep its guarantees: lines are counted as before, every CHECK still holds
(checked on the distinct values), the connection's pragmas and the table's indexes come back as they were."""

from __future__ import annotations

import csv
import random
import sqlite3

import numpy as np
import pytest

from resettle.ingest import columnar, importer, parsing
from resettle.store import columns, db, writer

HEAD = "site,date,host_country,people,transfer_type,stage,case_id,origin_country,source\n"


def _reference_count_lines(path, block_size: int) -> int | None:
    """The line count as fastpath counted it before (numpy over every byte), for comparison."""
    limit = csv.field_size_limit()
    newlines = carriage = 0
    last = b""
    open_line = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(block_size), b""):
            count = block.count(b"\n")
            newlines += count
            carriage += block.count(b"\r")
            last = block[-1:]
            if count:
                ends = np.flatnonzero(np.frombuffer(block, np.uint8) == ord("\n"))
                longest = max(open_line + int(ends[0]), int(np.diff(ends).max()) if count > 1 else 0)
                open_line = len(block) - 1 - int(ends[-1])
            else:
                longest = open_line = open_line + len(block)
            if max(longest, open_line) > limit:
                return None
    if carriage and carriage != newlines:
        return None
    return newlines + (0 if last in (b"\n", b"") else 1)


@pytest.mark.parametrize("block_size", [7, 333, 2500, 1 << 22])
def test_count_lines_agrees_with_counting_every_byte(tmp_path, monkeypatch, block_size):
    monkeypatch.setattr(columnar, "_READ_BLOCK", block_size)
    old_limit = csv.field_size_limit(1000)
    try:
        rng = random.Random(block_size)
        path = tmp_path / "lines.csv"
        for _ in range(400):
            lengths = [rng.choice([0, 1, 50, 499, 500, 999, 1000, 1001, 3000]) for _ in range(rng.randint(0, 25))]
            data = b"".join(b"x" * n + rng.choice([b"\n", b"\r\n", b"\r"]) for n in lengths)
            data += b"y" * rng.choice([0, 10, 1000, 1001])
            path.write_bytes(data)
            assert columnar._count_lines(path) == _reference_count_lines(path, block_size), data
    finally:
        csv.field_size_limit(old_limit)


def _big_file(tmp_path, rows: int = 3000):
    body = "".join(f"Camp {'AB'[i % 2]},2015-0{1 + i % 9}-1{i % 10},{['ALB', 'DEU', 'FIN'][i % 3]},{1 + i % 8},"
                   f"relocation,departed,,IRN,\n" for i in range(rows))
    path = tmp_path / "t.csv"
    path.write_text(HEAD + body)
    return path


def test_bulk_insert_restores_indexes_and_pragmas(tmp_path, monkeypatch, db_path):
    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0)
    monkeypatch.setattr(writer, "REBUILD_INDEXES_FROM", 10)
    conn = db.connect(db_path)
    indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transfers' ORDER BY name"
    before = conn.execute(indexes).fetchall()
    pragmas = [conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("foreign_keys", "ignore_check_constraints", "threads", "cache_size")]
    report = importer.import_file(None, "transfers", _big_file(tmp_path), conn=conn)
    assert report.fast_path and report.added == 3000
    assert conn.execute(indexes).fetchall() == before
    assert [conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("foreign_keys", "ignore_check_constraints", "threads", "cache_size")] == pragmas
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_value_breaking_a_check_still_stops_the_bulk_insert(tmp_path, monkeypatch, db_path):
    """The CHECKs are held to every distinct value before the insert skips them row by row: a parser bug
    that let a lower-case country through would be caught there, and nothing written."""
    monkeypatch.setattr(columnar, "FAST_MIN_BYTES", 0)
    real = parsing._parser

    def broken(f, kind, order, today):
        parse = real(f, kind, order, today)
        return (lambda raw: "fin" if raw == "FIN" else parse(raw)) if f.name == "host_country" else parse

    monkeypatch.setattr(parsing, "_parser", broken)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        importer.import_file(db_path, "transfers", _big_file(tmp_path))
    conn = db.connect(db_path)
    assert conn.execute("SELECT count(*) FROM transfers").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0
    conn.close()


def _cases_file(tmp_path, name: str, rows: int, stage: str = "departed", case=lambda i: f"C-{i:05d}"):
    body = "".join(f"Camp {'AB'[i % 2]},2015-0{1 + i % 9}-1{i % 10},{['ALB', 'DEU', 'FIN'][i % 3]},{1 + i % 8},"
                   f"relocation,{stage},{case(i)},IRN,\n" for i in range(rows))
    path = tmp_path / name
    path.write_text(HEAD + body)
    return path


def _everything(path):
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                for t in ("sites", "transfers", "batch_changes")}
    finally:
        conn.close()


@pytest.mark.parametrize("cases, fast", [
    (lambda i: f"C-{i:05d}", True),  # one row per case: the fast path
    (lambda i: f"C-{i // 2:05d}", False),  # each case twice: its last row counts (general path)
    (lambda i: f"C-{i:05d}" if i % 2 else "", False),  # some rows cases, some not: the general path's order
    (lambda i: f" C-{i // 2:05d}" if i % 2 else f"C-{i // 2:05d}", False),  # one case, two spellings
])
def test_case_files_store_the_same_rows_on_both_paths(tmp_path, monkeypatch, cases, fast):
    results = {}
    for label, threshold in (("general", 10**12), ("fast", 0)):
        monkeypatch.setattr(columnar, "FAST_MIN_BYTES", threshold)
        monkeypatch.setattr(writer, "REBUILD_INDEXES_FROM", 10)
        path = tmp_path / f"{label}.db"
        first = importer.import_file(path, "transfers", _cases_file(tmp_path, "a.csv", 3000, "submitted", cases))
        assert first.fast_path == (fast and label == "fast")
        # The same cases departed: an update of each, case by case (the table has rows now).
        second = importer.import_file(path, "transfers", _cases_file(tmp_path, "b.csv", 3000, "departed", cases))
        assert second.updated == len({cases(i).strip() for i in range(3000)} - {""})
        results[label] = (_everything(path), first.added, first.present)
    assert results["fast"] == results["general"]


@pytest.mark.parametrize("with_line", [False, True])
def test_packed_insert_stores_each_value_as_binding_it_would(with_line):
    """_insert sends columns as digits of packed integers (CASE, offset, slice) or as themselves: every
    value comes out as binding it directly would store it, type included."""
    rng = random.Random(6)
    n = 2345
    uniques = {
        "few_texts": ["a", "it's", None, "ü", "{digit}"],  # CASE, with a quote, NULL and braces
        "ints": [-7, 0, 5, 10**12],  # offset from the smallest
        "few_mixed": [None, 3, 4],  # CASE with NULL and integers
        "dates": [f"2015-01-{d:02d}" for d in range(1, 29)] + [f"2016-{m:02d}-01" for m in range(1, 13)],  # slice
        "wide": [f"text {i}" * (i % 3 + 1) for i in range(50)],  # many texts of several widths: raw
        "reals": [0.1, 2.5, -3.25],  # raw
        "huge": [5, 2**61],  # offset, in a packed integer of its own
        "wild": [i * 2**58 for i in range(-20, 20)],  # integers too far apart to pack: raw
    }
    codes = {name: np.array([rng.randrange(len(v)) for _ in range(n)], dtype=np.int32) for name, v in uniques.items()}
    cols = columns.Columns(rows=n, first_line=2, constants={"source": None}, uniques=uniques, codes=codes)
    pairs = [(name, name) for name in uniques] + [("source", "source")]
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE t ({'line, ' if with_line else ''}{', '.join(uniques)}, source, batch)")
    columns.insert(conn, "t", cols, pairs, {"batch": 9}, "f.csv", with_line=with_line)
    typed = ", ".join(f"{c}, typeof({c})" for c in [*(["line"] if with_line else []), *uniques, "source", "batch"])
    got = conn.execute(f"SELECT {typed} FROM t ORDER BY rowid").fetchall()
    conn.execute("DELETE FROM t")
    for i in range(n):
        row = ([i + 2] if with_line else []) + [uniques[name][codes[name][i]] for name in uniques] + ["f.csv", 9]
        conn.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(row))})", row)
    assert got == conn.execute(f"SELECT {typed} FROM t ORDER BY rowid").fetchall()


def test_the_fast_path_does_not_import_pandas(tmp_path, db_path):
    """pyarrow's to_numpy imports pandas (a tenth of a second of every import): the codes come without it."""
    import subprocess
    import sys

    path = _big_file(tmp_path)
    code = ("import sys; from resettle.ingest import columnar, importer; columnar.FAST_MIN_BYTES = 0; "
            f"r = importer.import_file({str(db_path)!r}, 'transfers', {str(path)!r}); "
            "assert r.fast_path and r.added == 3000; print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr

