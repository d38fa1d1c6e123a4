"""The Medical access page's figures from the medical evacuation rows kept as arrays (aggregates.Medevacs)
equal the SQL they replaced (queries_reference.py), frame for frame (values, row order, dtypes), on the
rows that matter: a missing outcome, a missing evacuation date (pending, denied) or request date, a wait
of 0 days (and a negative one), no patients, events on the range's edges, several sites with a subset
in scope, a site with no medical rows, an empty table."""

from __future__ import annotations

import random

import pandas as pd
import pytest
import queries_reference as ref

from resettle.compute import aggregates, columns, medical
from resettle.compute.arithmetic import as_date
from resettle.compute.scope import Scope, resolve_sites
from resettle.ingest import importer
from resettle.store import db

SITES = ("Alpha", "Beta", "Gamma", "Delta")  # Delta has no medical evacuation

# site, date (evacuated), request_date, patients, outcome
ROWS = [
    ("Alpha", "2015-01-01", "2014-12-20", 3, "returned"),  # on the range's start; asked before it
    ("Alpha", None, "2015-01-31", 2, "pending"),  # no evacuation: counted at its request
    ("Alpha", "2015-02-14", "2015-02-14", 1, "died"),  # a wait of 0 days
    ("Alpha", "2015-02-14", None, 4, None),  # no request date, no outcome
    ("Alpha", "2015-02-20", "2015-02-10", 0, "returned"),  # a request of no patients
    ("Alpha", "2015-03-31", "2015-03-01", 2, "transferred_abroad"),  # on the as-of date
    ("Alpha", "2015-04-01", "2015-03-25", 5, "returned"),  # the day after it
    ("Alpha", None, "2014-12-31", 1, "denied"),  # the day before the start
    ("Alpha", "2015-01-05", "2014-11-01", 2, "died"),  # evacuated in the range, asked before it
    ("Beta", "2015-02-28", "2015-02-01", 7, "returned"),
    ("Beta", None, "2015-03-15", 3, "denied"),
    ("Beta", None, "2015-03-20", 1, None),
    ("Beta", "2015-03-10", "2015-03-12", 2, "returned"),  # evacuated before its request (as written)
    ("Beta", "2015-03-10", "2015-03-01", 6, "died"),
    ("Gamma", "2015-01-15", "2015-01-10", 2, "died"),
    ("Gamma", "2016-06-01", "2016-05-01", 1, "pending"),
    ("Gamma", None, "2015-02-02", 2, "pending"),
]


def _database(tmp_path, rows, name: str = "medical.db"):
    """A database of the four sites and these medical evacuations, written as they are (also what an
    import would refuse: an evacuation before its request)."""
    path = tmp_path / name
    sites = tmp_path / "sites.csv"
    sites.write_text("name,country\n" + "".join(f"{s},IRQ\n" for s in SITES))
    importer.import_file(path, "sites", sites)
    conn = db.connect(path)
    ids = dict(conn.execute("SELECT name, id FROM sites").fetchall())
    batch = conn.execute("SELECT max(id) FROM import_batches").fetchone()[0]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO medical_evacuations (site_id, date, request_date, patients, outcome, source, batch_id) "
        "VALUES (?, ?, ?, ?, ?, 'NGO', ?)", [(ids[s], d, r, n, o, batch) for s, d, r, n, o in rows])
    conn.execute("COMMIT")
    return conn


def _scopes(conn) -> list[Scope]:
    every = tuple(resolve_sites(conn, None))
    by_name = {n: (i, n) for i, n in every}
    out = []
    for chosen, all_sites in ((every, True), (every, False), ((by_name["Alpha"], by_name["Gamma"]), False),
                              ((by_name["Beta"],), False), ((by_name["Delta"],), False)):
        for start, end in ((None, None), (None, "2015-03-31"), ("2015-01-01", "2015-03-31"),
                           ("2015-02-14", "2015-02-14"), ("2015-01-01", None), (None, "2014-06-30"),
                           ("2017-01-01", "2017-12-31")):
            out.append(Scope(chosen, end, start, all_sites=all_sites))
    return out


def _assert_same(conn, scope: Scope) -> None:
    for name in ("medevacs_per_month", "waiting_days"):
        got, expected = getattr(medical, name)(conn, scope), getattr(ref, name)(conn, scope)
        pd.testing.assert_frame_equal(got, expected, obj=f"{name} of {scope}")
    got, expected = medical.medical_access(conn, scope), ref.medical_access(conn, scope)
    assert got == expected, scope
    assert list(got) == list(expected)
    assert all(type(v) is int for k, v in got.items() if k != "median_wait_days"), got
    assert type(got["median_wait_days"]) is type(expected["median_wait_days"])


def _assert_same_in_every_scope(tmp_path, rows) -> None:
    """The database of these rows gives the SQL's frames and figures in every scope of _scopes."""
    conn = _database(tmp_path, rows)
    try:
        for scope in _scopes(conn):
            _assert_same(conn, scope)
    finally:
        conn.close()


def test_the_medical_figures_from_arrays_equal_their_sql(tmp_path):
    _assert_same_in_every_scope(tmp_path, ROWS)


def test_the_medical_figures_of_the_rows_that_matter(tmp_path):
    """The same rows worked out by hand, so that the comparison above cannot pass on two wrong answers."""
    conn = _database(tmp_path, ROWS)
    try:
        every = tuple(resolve_sites(conn, None))
        q1 = Scope(every, "2015-03-31", "2015-01-01", all_sites=True)
        per_month = medical.medevacs_per_month(conn, q1)
        assert list(per_month.itertuples(index=False, name=None)) == [
            ("2015-01-01", "died", 2, 4),  # Alpha 01-05 (2) and Gamma 01-15 (2)
            ("2015-01-01", "pending", 1, 2),
            ("2015-01-01", "returned", 1, 3),
            ("2015-02-01", "died", 1, 1),
            ("2015-02-01", "not recorded", 1, 4),
            ("2015-02-01", "pending", 1, 2),  # Gamma, asked 02-02
            ("2015-02-01", "returned", 2, 7),  # Alpha's request of no patients and Beta's 7
            ("2015-03-01", "denied", 1, 3),
            ("2015-03-01", "died", 1, 6),
            ("2015-03-01", "not recorded", 1, 1),
            ("2015-03-01", "returned", 1, 2),
            ("2015-03-01", "transferred_abroad", 1, 2),
        ]
        assert list(medical.waiting_days(conn, q1).itertuples(index=False, name=None)) == [
            (-2, 1, 2), (0, 1, 1), (5, 1, 2), (9, 1, 6), (10, 1, 0), (12, 1, 3), (27, 1, 7), (30, 1, 2),
            (65, 1, 2)]
        assert medical.medical_access(conn, q1) == {
            "evacuations": 10, "patients_evacuated": 29, "denied_requests": 1, "denied_patients": 3,
            "pending_requests": 2, "pending_patients": 4, "died_patients": 11,
            # 25 patients with both dates: the 13th has waited 12 days
            "median_wait_days": 12.0, "patients_with_wait": 25,
        }
        delta = Scope(tuple(resolve_sites(conn, ["Delta"])), None)
        assert medical.medevacs_per_month(conn, delta).empty and medical.waiting_days(conn, delta).empty
        assert medical.medical_access(conn, delta)["median_wait_days"] is None
    finally:
        conn.close()


def test_an_empty_table_gives_the_empty_frames_of_the_sql(tmp_path):
    conn = _database(tmp_path, [])
    try:
        for scope in _scopes(conn):
            _assert_same(conn, scope)
        assert medical.medical_access(conn, _scopes(conn)[0]) == {
            "evacuations": 0, "patients_evacuated": 0, "denied_requests": 0, "denied_patients": 0,
            "pending_requests": 0, "pending_patients": 0, "died_patients": 0, "median_wait_days": None,
            "patients_with_wait": 0}
    finally:
        conn.close()


@pytest.mark.parametrize("seed", range(12))
def test_random_rows_agree_with_the_sql(tmp_path, seed):
    rng = random.Random(seed)
    outcomes = [None, "returned", "died", "transferred_abroad", "pending", "denied"]
    rows = []
    for _ in range(rng.randint(1, 80)):
        asked = f"2015-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        evacuated = f"2015-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        date, request = rng.choice([(evacuated, asked), (None, asked), (evacuated, None), (evacuated, asked)])
        rows.append((rng.choice(SITES[:3]), date, request, rng.randint(0, 5), rng.choice(outcomes)))
    _assert_same_in_every_scope(tmp_path, rows)


def test_the_kept_rows_are_the_tables_rows(tmp_path):
    """Each medical evacuation's two dates, either of them missing, come back from the arrays as they are
    in the table (flag and date), with its patients and outcome."""
    conn = _database(tmp_path, ROWS)
    try:
        m = aggregates.aggregates(conn).medevacs
        names = dict(conn.execute("SELECT id, name FROM sites").fetchall())
        kept = [(names[int(m.site[k])], as_date(m.event[k]).isoformat() if m.evacuated[k] else None,
                 as_date(m.asked[k]).isoformat() if m.requested[k] else None, int(m.patients[k]),
                 m.outcomes[m.outcome[k]]) for k in range(len(m.site))]
        assert sorted(kept, key=repr) == sorted(((s, d, r, n, o or "not recorded") for s, d, r, n, o in ROWS),
                                                key=repr)
        assert m.evacuated.dtype == bool and m.requested.dtype == bool
    finally:
        conn.close()


def test_a_date_column_with_a_null_is_refused_not_read_as_a_number(tmp_path):
    """read_columns' "day" kind is never NULL: a column that has one (the evacuation date of a pending
    request) is refused, on the joined reading and on the row-by-row one, not read as NaT's number."""
    conn = _database(tmp_path, ROWS)
    try:
        spec = {"day": ("date", "day")}
        for read in (columns.read_columns, columns.read_rows):
            with pytest.raises(ValueError, match="medical_evacuations.date is NULL"):
                read(conn, "medical_evacuations", spec)
        both = columns.read_columns(conn, "medical_evacuations",
                                    {"day": ("coalesce(date, request_date)", "day")})
        assert len(both["day"]) == len(ROWS)
    finally:
        conn.close()
