"""The arrays of aggregates.py give exactly the figures of the plain, date-by-date reading (metrics_reference.py) on
random databases: several sources per date, deaths from incidents and medical evacuations, submissions,
empty sites, as-of dates before, inside and after the data."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import queries_reference as ref_queries
from metrics_reference import count_points as ref_count_points
from metrics_reference import figures_at as ref_figures_at
from metrics_reference import load_sites as ref_load_sites
from metrics_reference import residents_series as ref_residents_series

from resettle.compute import aggregates, choices, columns, headline, relocation, series, sources
from resettle.compute.scope import Scope, resolve_sites
from resettle.ingest import importer
from resettle.store import db, schema

SITES = ["Alpha", "Beta", "Gamma", "Delta"]


def _date(rng: random.Random) -> str:
    return (dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 400))).isoformat()


def _write(path, header: str, lines: list[str]) -> None:
    path.write_text(header + "\n" + "".join(line + "\n" for line in lines))


def _random_db(tmp_path, seed: int):
    rng = random.Random(seed)
    sites = SITES[: rng.randint(1, len(SITES))]
    counted = [s for s in sites if rng.random() < 0.85]  # some sites have no count at all
    population = []
    for site in counted:
        for _ in range(rng.randint(1, 8)):
            day = _date(rng)
            for source in rng.sample(["UNHCR", "IOM", "Camp", "NGO"], rng.randint(1, 3)):
                for origin in rng.sample(["IRN", "SYR", ""], rng.randint(1, 2)):  # rows of one source add up
                    population.append(f"{site},{day},{rng.randint(0, 900)},{origin},{source}")
    sources = ["UNHCR", "IOM", "Ministry", "NGO, field team"]
    transfers = [f"{rng.choice(sites)},{_date(rng)},{rng.choice(['ALB', 'DEU', 'FIN', 'USA'])},{rng.randint(0, 60)},"
                 f"{rng.choice(['departed', 'departed', 'submitted', 'accepted', ''])},\"{rng.choice(sources)}\""
                 for _ in range(rng.randint(0, 60))]
    incidents = [f"{rng.choice(sites)},{_date(rng)},{rng.choice(['', '0', '3', '12'])},{rng.choice(sources[:2])}"
                 for _ in range(rng.randint(0, 10))]
    medevacs = []
    for _ in range(rng.randint(0, 12)):
        request = _date(rng)
        date = "" if rng.random() < 0.3 else (dt.date.fromisoformat(request) + dt.timedelta(days=rng.randint(0, 30))).isoformat()
        medevacs.append(f"{rng.choice(sites)},{date},{request},{rng.randint(0, 3)},"
                        f"{rng.choice(['died', 'returned', 'pending'])},{rng.choice(sources[1:3])}")
    pledges = [f"{rng.choice(['ALB', 'DEU', 'CAN'])},{_date(rng)},{rng.randint(0, 500)}" for _ in range(rng.randint(0, 6))]
    path = tmp_path / f"random-{seed}.db"
    db.init(path)
    files = {
        "population": ("site,date,residents,origin_country,source", population),
        "transfers": ("site,date,host_country,people,stage,source", transfers),
        "incidents": ("site,date,killed,source", incidents),
        "medevacs": ("site,date,request_date,patients,outcome,source", medevacs),
        "pledges": ("host_country,date,places", pledges),
    }
    for kind, (header, lines) in files.items():
        if lines:
            _write(tmp_path / f"{kind}-{seed}.csv", header, lines)
            importer.import_file(path, kind, tmp_path / f"{kind}-{seed}.csv")
    return path


@pytest.mark.parametrize("seed", range(40))
def test_arrays_agree_with_the_plain_reading(tmp_path, seed):
    conn = db.connect(_random_db(tmp_path, seed))
    try:
        every = resolve_sites(conn, None)
        rng = random.Random(seed)
        choices = [every, every[:1], every[1:], rng.sample(every, len(every))]
        for chosen in choices:
            ids = [i for i, _ in chosen]
            fast, plain = aggregates.load_sites(conn, chosen), ref_load_sites(conn, chosen)
            latest = aggregates.default_as_of(conn, ids) or dt.date(2015, 6, 1)
            days = [latest, latest - dt.timedelta(days=30), dt.date(2014, 12, 31), dt.date(2015, 3, 1),
                    dt.date(2016, 6, 1)]
            for day in days:
                assert headline.figures_at(conn, fast, day, None, ids) == ref_figures_at(conn, plain, day, None, ids)
                assert series.residents_series(fast, day) == ref_residents_series(plain, day)
                assert [i for s in fast for i in s.intervals(day.isoformat())] == [
                    i for s in plain for i in s.intervals(day.isoformat())]
            points = series.count_points(fast)
            assert list(points.columns) == series.COUNT_POINTS
            assert points.to_dict("records") == ref_count_points(plain)
    finally:
        conn.close()


@pytest.mark.parametrize("seed", range(40))
def test_view_queries_agree_with_their_plain_sql(tmp_path, seed):
    """Sources behind a view, chart captions' sources, host countries, date bounds and the relocation
    charts' data, from the kept arrays, equal the SQL they replaced (tests/queries_reference.py), for
    every site, some sites, host countries, and as-of dates before, inside and after the data."""
    conn = db.connect(_random_db(tmp_path, seed))
    try:
        every = resolve_sites(conn, None)
        rng = random.Random(seed)
        assert choices.host_countries(conn) == ref_queries.host_countries(conn)
        for chosen in (every, every[:1], every[1:], rng.sample(every, len(every))):
            ids = [i for i, _ in chosen]
            assert choices.date_bounds(conn, ids) == ref_queries.date_bounds(conn, ids)
            latest = aggregates.default_as_of(conn, ids) or dt.date(2015, 6, 1)
            for end in (latest, latest - dt.timedelta(days=45), dt.date(2014, 12, 31), dt.date(2016, 6, 1), None):
                for countries in ((), ("ALB",), ("DEU", "USA")):
                    scope = Scope(tuple(chosen), end and end.isoformat(), "2015-02-01", countries,
                                          all_sites=chosen is every)
                    assert sources.sources_behind(conn, scope) == ref_queries.sources_behind(conn, scope)
                    for table in ("population", "transfers", "medevacs", "incidents"):
                        assert sources.sources(conn, table, scope, from_start=False) == ref_queries.sources(
                            conn, table, scope), table
                    assert sources.sources(conn, "transfers", scope) == ref_queries.transfer_sources_in_range(
                        conn, scope)
                    for module, name in ((series, "cumulative_relocations"), (relocation, "departures_per_month"),
                                         (relocation, "pledged_vs_departed"), (relocation, "stages")):
                        got, expected = getattr(module, name)(conn, scope), getattr(ref_queries, name)(conn, scope)
                        assert list(got.columns) == list(expected.columns), name
                        assert got.to_dict("records") == expected.to_dict("records"), name
    finally:
        conn.close()


def test_figures_are_plain_ints(tiny_conn):
    """JSON integers, not numpy ones: every figure and every series value is a Python int."""
    s = headline.summary(tiny_conn)
    assert all(type(s[k]) is int for k in ("baseline_population", "residents", "relocated_total",
                                            "departures_last_90_days", "deaths_recorded", "unexplained_change"))
    assert all(type(v) is int for v in s["relocated_by_country"].values())
    loaded = aggregates.load_sites(tiny_conn, resolve_sites(tiny_conn, None))
    assert all(type(d) is str and type(r) is int for d, r in series.residents_series(loaded, dt.date(2020, 7, 1)))


def test_a_site_created_meanwhile_is_left_out(tiny_db, tmp_path):
    """Readers run while imports create sites: rows of a site the reader did not ask for are left out
    (the all-sites shortcut reads every row), never a KeyError."""
    conn = db.connect(tiny_db)
    try:
        asked = resolve_sites(conn, None)
        before = headline.summary(conn)
        _write(tmp_path / "new.csv", "site,date,host_country,people", ["Newcomer,2020-05-01,ALB,40"])
        importer.import_file(tiny_db, "transfers", tmp_path / "new.csv")
        loaded = aggregates.load_sites(conn, asked)
        assert [s.name for s in loaded] == [n for _, n in asked]
        assert sum(s.departed_upto("2020-07-01") for s in loaded) == before["relocated_total"]
    finally:
        conn.close()


def test_aggregates_are_kept_until_the_data_changes(tiny_db, tmp_path):
    """A second view reads no table again; an import (a new change counter) is seen at once."""
    conn = db.connect(tiny_db)
    try:
        first = aggregates.aggregates(conn)
        assert aggregates.aggregates(conn) is first
        before = headline.summary(conn)
        _write(tmp_path / "more.csv", "site,date,host_country,people", ["Alpha,2020-05-01,ALB,40"])
        importer.import_file(tiny_db, "transfers", tmp_path / "more.csv")
        again = aggregates.aggregates(conn)
        assert again is not first
        assert first not in aggregates._cache.values() and again in aggregates._cache.values()  # one version a file
        after = headline.summary(conn, as_of=before["as_of"])
        assert after["relocated_total"] == before["relocated_total"] + 40
        assert after["relocated_by_country"]["ALB"] == before["relocated_by_country"].get("ALB", 0) + 40
    finally:
        conn.close()


def test_rows_written_by_hand_are_seen_and_a_callers_transaction_is_not_kept(tiny_db):
    conn = db.connect(tiny_db)
    try:
        before = headline.summary(conn)
        day = before["as_of"]
        batch = conn.execute("SELECT max(id) FROM import_batches").fetchone()[0]
        conn.execute("BEGIN")
        conn.execute("INSERT INTO transfers (site_id, date, host_country, people, stage, source, batch_id) "
                     "VALUES (1, ?, 'FIN', 7, 'departed', 'by hand', ?)", (day, batch))
        inside = headline.summary(conn, as_of=day)  # the caller's own, uncommitted rows
        assert inside["relocated_total"] == before["relocated_total"] + 7
        conn.execute("ROLLBACK")
        assert headline.summary(conn, as_of=day) == before  # nothing of the rolled back rows was kept
        conn.execute("INSERT INTO transfers (site_id, date, host_country, people, stage, source, batch_id) "
                     "VALUES (1, ?, 'FIN', 7, 'departed', 'by hand', ?)", (day, batch))
        conn.commit()
        assert headline.summary(conn, as_of=day)["relocated_total"] == before["relocated_total"] + 7
    finally:
        conn.close()


TRANSFER_COLUMNS = {"site": ("site_id", "int"), "day": ("date", "day"), "country": ("host_country", "iso3"),
                    "people": ("people", "int"), "source": ("source", "text")}


@pytest.mark.parametrize(("column", "value"), [("source", "split\x1fsource"), ("source", "Ministère de l'Intérieur"),
                                               ("host_country", "ÄBC"), (None, None)])
def test_columns_read_joined_equal_columns_read_row_by_row(tiny_db, column, value):
    """The joined-strings reading (fast) gives the arrays of the row-by-row reading, also where it must
    fall back to rows (a source holding the separator; a host country that is not ASCII)."""
    conn = db.connect(tiny_db)
    try:
        if column:
            conn.execute(f"UPDATE transfers SET {column} = ? WHERE id = (SELECT min(id) FROM transfers)", (value,))
            conn.commit()
        fast, rows = columns.read_columns(conn, "transfers", TRANSFER_COLUMNS), columns.read_rows(
            conn, "transfers", TRANSFER_COLUMNS)
        assert fast.keys() == rows.keys()
        for name in fast:
            got, expected = fast[name], rows[name]
            assert (got if isinstance(got, list) else got.tolist()) == (
                expected if isinstance(expected, list) else expected.tolist()), name
        assert len(fast["site"]) == conn.execute("SELECT count(*) FROM transfers").fetchone()[0] > 0
        if column:
            assert value in fast[{"source": "source_names", "host_country": "country_names"}[column]]
        conn.execute("DELETE FROM transfers")
        empty = columns.read_columns(conn, "transfers", TRANSFER_COLUMNS)
        assert empty["country_names"] == [] and len(empty["day"]) == 0
    finally:
        conn.close()


@pytest.mark.parametrize("old", [3, 4])
def test_upgrade_to_version_5_drops_the_transfers_index_by_site_and_date(tiny_db, old):
    conn = db.connect(tiny_db)
    relocated = headline.summary(conn)["relocated_total"]
    if old == 3:
        conn.execute("CREATE INDEX idx_transfers_site_id_date ON transfers (site_id, date)")  # as version 3 had it
    else:
        conn.execute("CREATE INDEX idx_transfers_site_date_stage_people ON transfers (site_id, date, stage, people)")
    conn.execute(f"PRAGMA user_version = {old}")
    conn.close()
    conn = db.connect(tiny_db)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transfers'")}
        assert names == {"idx_transfers_case_id"}
        assert schema.schema_version(conn) == schema.SCHEMA_VERSION
        assert headline.summary(conn)["relocated_total"] == relocated == 290
    finally:
        conn.close()
