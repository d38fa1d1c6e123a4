"""The schema: types, constraints, indexes, WAL, and upgrading an older file in place."""

from __future__ import annotations

import sqlite3

import pytest

from resettle.store import db, schema


def test_tables_and_version(conn):
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sites", "population_counts", "transfers", "medical_evacuations", "incidents", "pledges",
            "import_batches", "batch_changes", "mappings", "audit_log"} <= names
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_declared_types(conn):
    cols = {r[1]: (r[2], r[3]) for r in conn.execute("PRAGMA table_info(transfers)")}
    assert cols["people"] == ("INTEGER", 1)
    assert cols["host_country"] == ("TEXT", 1)
    assert cols["case_id"] == ("TEXT", 0)
    assert cols["stage"] == ("TEXT", 1)


def test_indexes_for_dashboard_queries(conn):
    for table in ("population_counts", "medical_evacuations", "incidents"):
        indexed = [conn.execute(f"PRAGMA index_info({r[1]})").fetchall() for r in conn.execute(f"PRAGMA index_list({table})")]
        assert any([c[2] for c in cols][:2] == ["site_id", "date"] for cols in indexed), table
    # Transfers are read whole into arrays (metrics.Aggregates); only a case id is ever looked up.
    assert [r[1] for r in conn.execute("PRAGMA index_list(transfers)")] == ["idx_transfers_case_id"]


def _batch(conn):
    return conn.execute("INSERT INTO import_batches (kind, file_name, sha256, imported_at) "
                        "VALUES ('transfers', 'f.csv', 'x', '2020-01-01')").lastrowid


@pytest.mark.parametrize(
    ("column", "value"),
    [("people", -1), ("stage", "left"), ("transfer_type", "flight"), ("host_country", "ALBANIA"),
     ("date", "01/02/2020"), ("host_country", None), ("people", None)],
)
def test_check_constraints(conn, column, value):
    b = _batch(conn)
    site = conn.execute("INSERT INTO sites (name, source) VALUES ('A', 's')").lastrowid
    row = {"site_id": site, "date": "2020-01-01", "host_country": "ALB", "people": 1, "source": "s", "batch_id": b}
    row[column] = value
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(f"INSERT INTO transfers ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def test_foreign_keys(conn):
    b = _batch(conn)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO transfers (site_id, date, host_country, people, source, batch_id) "
                     "VALUES (999, '2020-01-01', 'ALB', 1, 's', ?)", (b,))


def test_site_names_unique_ignoring_case(conn):
    conn.execute("INSERT INTO sites (name, source) VALUES ('Camp Liberty', 's')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO sites (name, source) VALUES ('camp liberty', 's')")


def test_upgrade_from_version_1_in_place(tmp_path):
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.isolation_level = None
    import sqlite_utils

    schema.MIGRATIONS[1](sqlite_utils.Database(raw))  # the version 1 schema, as older releases wrote it
    raw.execute("PRAGMA user_version = 1")
    raw.execute("INSERT INTO import_batches (kind, file_name, sha256, imported_at) VALUES ('sites', 'a.csv', 'x', 't')")
    raw.close()
    conn = db.connect(path)
    assert schema.schema_version(conn) == schema.SCHEMA_VERSION
    cols = [r[1] for r in conn.execute("PRAGMA table_info(import_batches)")]
    assert "editor" in cols and "mapping" in cols
    assert "events" in [r[1] for r in conn.execute("PRAGMA table_info(incidents)")]
    assert conn.execute("SELECT file_name FROM import_batches").fetchall() == [("a.csv",)]
    conn.close()


def test_upgrade_from_version_2_adds_incident_events(tmp_path):
    path = tmp_path / "v2.db"
    raw = sqlite3.connect(path)
    raw.isolation_level = None
    import sqlite_utils

    old = sqlite_utils.Database(raw)
    schema.MIGRATIONS[1](old)
    schema.MIGRATIONS[2](old)  # the version 2 schema, as the previous release wrote it
    raw.execute("PRAGMA user_version = 2")
    assert "events" not in [r[1] for r in raw.execute("PRAGMA table_info(incidents)")]
    batch = raw.execute("INSERT INTO import_batches (kind, file_name, sha256, imported_at) "
                        "VALUES ('incidents', 'i.csv', 'x', 't')").lastrowid
    site = raw.execute("INSERT INTO sites (name, source) VALUES ('A', 's')").lastrowid
    raw.execute("INSERT INTO incidents (site_id, date, killed, source, batch_id) VALUES (?, '2020-01-01', 3, 's', ?)",
                (site, batch))
    raw.close()
    conn = db.connect(path)
    assert schema.schema_version(conn) == schema.SCHEMA_VERSION
    assert conn.execute("SELECT killed, events FROM incidents").fetchall() == [(3, None)]  # old rows kept, no count
    with pytest.raises(sqlite3.IntegrityError):  # the new column has its CHECK
        conn.execute("INSERT INTO incidents (site_id, date, events, source, batch_id) VALUES (?, '2020-01-02', -1, 's', ?)",
                     (site, batch))
    conn.execute("INSERT INTO incidents (site_id, date, events, source, batch_id) VALUES (?, '2020-01-02', 4, 's', ?)",
                 (site, batch))
    conn.close()
    again = db.connect(path)  # connecting again changes nothing
    assert schema.schema_version(again) == schema.SCHEMA_VERSION
    again.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    from resettle.domain.errors import UsageError

    with pytest.raises(UsageError, match="newer"):
        db.connect(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "x.db"
    path.write_text("hello, this is not sqlite" * 100)
    from resettle.domain.errors import UsageError

    with pytest.raises(UsageError, match="not a resettle database"):
        db.connect(path)
