"""Departed people per site and host country (the world map and the flow diagram of the Relocation page):
every departure up to the as-of date once, whatever the range's start, and nothing after it."""

from __future__ import annotations

import pytest

from resettle.compute import headline, relocation, sources
from resettle.compute.scope import view_scope
from resettle.store import db


@pytest.fixture
def conn(sample_db):
    connection = db.connect(sample_db)
    yield connection
    connection.close()


@pytest.mark.parametrize(("sites", "as_of"), [(None, None), (None, "2015-12-31"), (["Camp Liberty"], "2014-06-30"),
                                              (["Camp Ashraf"], None)])
def test_the_flows_add_up_to_the_headline_departures(conn, sites, as_of):
    scope = view_scope(conn, sites, end=as_of)
    frame = relocation.departures_by_site_and_country(conn, scope)
    summary = headline.summary(conn, sites, as_of=as_of)
    assert int(frame["people"].sum()) == summary["relocated_total"] > 0
    by_country = frame.groupby("host_country")["people"].sum().to_dict()
    assert by_country == summary["relocated_by_country"]
    assert frame["people"].is_monotonic_decreasing and frame["people"].dtype.kind == "i"
    assert not frame.duplicated(["site", "host_country"]).any()


def test_the_whole_sample_by_site_and_country(conn):
    frame = relocation.departures_by_site_and_country(conn, view_scope(conn))
    rows = {(r.site, r.host_country): r.people for r in frame.itertuples()}
    assert rows[("Camp Liberty", "ALB")] == 2641 and rows[("Camp Ashraf", "IRQ")] == 42
    assert set(frame["site"]) == {"Camp Liberty", "Camp Ashraf"} and len(frame) == 12
    assert int(frame["people"].sum()) == 2943


def test_the_start_of_the_range_does_not_cut_the_flows_but_host_countries_do(conn):
    everything = relocation.departures_by_site_and_country(conn, view_scope(conn))
    late = relocation.departures_by_site_and_country(conn, view_scope(conn, start="2016-01-01"))
    assert late.equals(everything)
    alb = relocation.departures_by_site_and_country(conn, view_scope(conn, host_countries=["ALB", "DEU"]))
    assert alb.set_index("host_country")["people"].to_dict() == {"ALB": 2641, "DEU": 105}


def test_the_sources_are_those_of_departed_transfers_up_to_d(conn):
    scope = view_scope(conn, end="2013-06-30")
    named = sources.departure_sources(conn, scope)
    assert named == ["VOA editorial 'Camp Hurriya resettlement begins': 30 more arrive in Tirana",
                     "VOA editorial 'Camp Hurriya resettlement begins': first 14 leave for Albania"]
    assert set(named) <= set(sources.sources(conn, "transfers", view_scope(conn)))
    assert relocation.departures_by_site_and_country(conn, view_scope(conn, end="2012-01-01")).empty
