"""Failed sign-ins are slowed: 5 failures for a name or from a client within 15 minutes, then refused
until the oldest of them is 15 minutes old; the audit log records failures and refusals."""

from __future__ import annotations

import datetime as dt

from resettle.store import audit, sign_in

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_five_failures_for_a_name_refuse_it_for_a_while(conn):
    for i in range(5):
        assert sign_in.allowed(conn, "Amira", f"10.0.0.{i}", now=at(i)) is None
        sign_in.failed(conn, " amira ", f"10.0.0.{i}", now=at(i))  # a name in any case is the same name
    refusal = sign_in.allowed(conn, "AMIRA", "10.0.0.99", now=at(5))
    assert (refusal.by, refusal.minutes) == ("name", 10)  # the first failure (minute 0) ages out at minute 15
    assert refusal.message() == ("Too many failed sign-ins for this editor name (5 within 15 minutes): sign-in is "
                                 "refused for now. Try again in 10 minutes.")
    assert sign_in.allowed(conn, "Jonas", "10.0.0.99", now=at(5)) is None  # another name, another client
    assert sign_in.allowed(conn, "Amira", "10.0.0.99", now=at(14.5)).minutes == 1
    assert sign_in.allowed(conn, "Amira", "10.0.0.99", now=at(15)) is None
    log = audit.list_audit(conn)
    assert [e["action"] for e in log].count("sign-in failed") == 5
    assert [e["action"] for e in log].count("sign-in refused") == 2
    assert [e["detail"] for e in log[:2]] == ["'Amira' from 10.0.0.99: 5 failures by name within 15 minutes",
                                              "'AMIRA' from 10.0.0.99: 5 failures by name within 15 minutes"]
    assert log[2]["detail"] == "'amira' from 10.0.0.4"


def test_five_failures_from_one_client_refuse_every_name_from_it(conn):
    for i, name in enumerate(["a", "b", "c", "d", "e"]):
        sign_in.failed(conn, name, "192.0.2.7", now=at(i))
    refusal = sign_in.allowed(conn, "Amira", "192.0.2.7", now=at(6))
    assert (refusal.by, refusal.minutes) == ("client", 9)
    assert "this computer" in refusal.message()
    assert sign_in.allowed(conn, "Amira", "192.0.2.8", now=at(6)) is None
    assert sign_in.allowed(conn, "Amira", None, now=at(6)) is None  # no client known: the name's limit only


def test_four_failures_and_old_ones_do_not_refuse(conn):
    for i in range(4):
        sign_in.failed(conn, "Amira", None, now=at(i))
    assert sign_in.allowed(conn, "Amira", None, now=at(5)) is None
    sign_in.failed(conn, "Amira", None, now=at(20))  # the first four are 15 minutes old by then
    assert sign_in.allowed(conn, "Amira", None, now=at(20)) is None
