"""Incidents at scale: beyond INCIDENT_BARS_MAX in the range, the time line is per week or per month."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import write

from resettle.compute import incidents
from resettle.compute.scope import view_scope
from resettle.figures import pages
from resettle.ingest import importer
from resettle.store import db


def _incidents_db(tmp_path, n: int, step_days: int):
    lines = ["site,date,incident_type,killed,wounded,hostages,events,source"]
    start = dt.date(2020, 1, 1)  # a Wednesday
    for i in range(n):
        day = start + dt.timedelta(days=i * step_days)
        lines.append(f"Camp,{day.isoformat()},shelling,{i % 3},{'' if i % 5 == 0 else 1},0,{2 if i == 0 else ''},Log")
    path = tmp_path / "incidents.db"
    importer.import_file(path, "incidents", write(tmp_path, "incidents.csv", "\n".join(lines) + "\n"))
    return path


@pytest.mark.parametrize(("n", "step", "period"), [(pages.INCIDENT_BARS_MAX, 1, None),
                                                   (pages.INCIDENT_BARS_MAX + 1, 1, "week"),
                                                   (pages.INCIDENT_BARS_MAX + 1, 3, "month")])
def test_threshold_and_bin(tmp_path, n, step, period):
    conn = db.connect(_incidents_db(tmp_path, n, step))
    try:
        data = pages.incidents_data(conn, view_scope(conn))
        figs = pages.incidents_figures(data)
    finally:
        conn.close()
    assert (data.rows, data.period) == (n, period)
    timeline = figs["incidents_timeline"]
    if period is None:
        assert data.per_period.empty
        assert len(timeline.data[0].x) == n  # a bar per incident
        assert timeline.layout.title.text == "Incidents: killed, wounded and taken hostage"
        return
    frame = data.per_period
    # Nothing lost to the bins: the same totals as the page's figures.
    assert int(frame["incidents"].sum()) == data.totals.incidents == n + 1  # the first row stands for 2 events
    assert int(frame["killed"].sum()) == data.totals.killed == sum(i % 3 for i in range(n))
    assert int(frame["wounded"].sum()) == data.totals.wounded == n - len(range(0, n, 5))
    days = [dt.date.fromisoformat(d) for d in frame["period"]]
    if period == "week":
        assert all(d.weekday() == 0 for d in days) and days[0] == dt.date(2019, 12, 30)
        assert list(frame["incidents"][:2]) == [5 + 1, 7]  # Wed 1 Jan to Sun 5 Jan (one row of 2 events)
    else:
        assert all(d.day == 1 for d in days) and days[0] == dt.date(2020, 1, 1)
        assert int(frame["incidents"].iloc[0]) == 11 + 1  # 1, 4, ..., 31 January
    assert len(timeline.data[0].x) == len(frame)
    title = timeline.layout.title.text
    assert f"per {period}" in title and f"{n:,} incidents" in title and f"more than {pages.INCIDENT_BARS_MAX}" in title
    assert timeline.layout.yaxis.title.text == f"People per {period}"


def test_incident_span(tiny_conn):
    assert incidents.incident_span(tiny_conn, view_scope(tiny_conn)) == (3, "2020-02-10", "2020-06-01")
