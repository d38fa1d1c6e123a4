"""The Sites page in-process (AppTest): its table and caption counts, a site chosen there sets the sidebar's
filter and the URL, its pyramid or its advice; the Overview's warnings linking to Sites and Reconciliation."""

from __future__ import annotations

import json

from conftest import load_tiny, open_dashboard, write

from resettle.compute import headline
from resettle.ingest import importer
from resettle.store import db


def _links(at) -> list[tuple[str, str, str]]:
    return [(e.proto.label, e.proto.page, e.proto.query_string) for e in at.get("page_link")]


def test_sites_page_table_caption_and_pyramid(monkeypatch, sample_copy):
    monkeypatch.delenv("RESETTLE_STALE_DAYS", raising=False)
    at = open_dashboard(monkeypatch, sample_copy, "sites")
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Sites"
    caption = at.caption[0].value
    assert caption.startswith("**2** sites as of **2016-09-09**. **1** stale (latest count more than 30 days")
    assert "**2** with an unexplained change between counts" in caption
    table = at.dataframe[0].value
    assert list(table["name"]) == ["Camp Ashraf", "Camp Liberty"]  # both 0 residents now: by name
    conn = db.connect(sample_copy)
    try:
        liberty = headline.summary(conn, "Camp Liberty")
    finally:
        conn.close()
    row = table.set_index("name").loc["Camp Liberty"]
    assert (row["departed"], row["deaths"], row["unexplained_change"]) == (
        liberty["relocated_total"], liberty["deaths_recorded"], liberty["unexplained_change"])
    assert [m.value for m in at.metric] == ["not reported", "not reported"]  # the sample gives sex only
    site_map, pyramid = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    assert site_map["layout"]["title"]["text"].startswith("Sites: residents now")
    placed = sorted(name for trace in site_map["data"] for name in trace["text"])
    assert placed == ["Camp Ashraf", "Camp Liberty"]  # both sample sites have coordinates: none listed under it
    assert not any("no coordinates" in c.value for c in at.caption)
    spec = pyramid
    assert spec["layout"]["title"]["text"].startswith("Residents by sex and age")
    assert [t["x"] for t in spec["data"]] == [[-313], [664]]


def test_choosing_a_site_sets_the_filter_and_the_url(monkeypatch, sample_copy):
    at = open_dashboard(monkeypatch, sample_copy, "sites")
    at.selectbox(key="sites_pick").select("Camp Ashraf").run()
    assert not at.exception, at.exception
    assert at.session_state["sites"] == ["Camp Ashraf"]
    assert at.query_params["sites"] == "Camp Ashraf"
    assert list(at.dataframe[0].value["name"]) == ["Camp Ashraf"]
    assert at.caption[0].value.startswith("**1** site as of **2013-09-11**")  # Camp Ashraf's own as-of date
    at.button(key="sites_all").click().run()
    assert at.session_state["sites"] == [] and "sites" not in at.query_params
    assert len(at.dataframe[0].value) == 2


def test_no_breakdown_says_how_to_import_and_stale_days_from_the_environment(monkeypatch, tmp_path):
    path = tmp_path / "tiny.db"
    load_tiny(path)
    monkeypatch.setenv("RESETTLE_STALE_DAYS", "200")
    at = open_dashboard(monkeypatch, path, "sites")
    assert "**0** stale (latest count more than 200 days" in at.caption[0].value
    assert any("female" in i.value and "age_60_plus" in i.value for i in at.info)
    assert [c.key for c in at.get("plotly_chart")] == ["chart_sites_map"]  # the map, and no pyramid


def test_sites_without_counts(monkeypatch, tmp_path):
    path = tmp_path / "sites-only.db"
    importer.import_file(path, "sites", write(tmp_path, "sites.csv", "name,country\nGamma,IRQ\n"))
    at = open_dashboard(monkeypatch, path, "sites")
    assert not at.error, [e.value for e in at.error]
    assert len(at.info) == 1 and at.info[0].value.startswith("None of these sites has a population count up to ")
    assert "import population counts" in at.info[0].value
    assert at.caption[0].value.startswith("**1** site as of ") and "**0** stale" in at.caption[0].value
    table = at.dataframe[0].value  # the site is listed all the same, its figures unknown
    assert list(table["name"]) == ["Gamma"] and str(table["residents_now"][0]) == "<NA>"
    assert not at.get("plotly_chart")  # no coordinates: no map, and a line saying so
    assert any("No site of this view has coordinates" in c.value for c in at.caption)
    assert not at.get("plotly_chart")


def test_overview_warns_and_links_keeping_the_filters(monkeypatch, sample_copy):
    monkeypatch.delenv("RESETTLE_STALE_DAYS", raising=False)
    at = open_dashboard(monkeypatch, sample_copy, "overview")
    links = _links(at)
    assert [(page, query) for _, page, query in links] == [("sites", ""), ("reconciliation", "")]
    assert links[0][0].startswith("Warning: 1 site has a latest count more than 30 days before the as-of date")
    assert links[1][0].startswith("Warning: 2 intervals have an unexplained change larger than 5%")
    # With a filter in the URL, the links keep it.
    at = open_dashboard(monkeypatch, sample_copy, "overview", query={"sites": "Camp Liberty"})
    assert [(page, query) for _, page, query in _links(at)] == [("reconciliation", "sites=Camp+Liberty")]


def test_overview_says_nothing_when_all_is_well(monkeypatch, sample_copy):
    monkeypatch.setenv("RESETTLE_STALE_DAYS", "5000")
    at = open_dashboard(monkeypatch, sample_copy, "overview", query={"sites": "Camp Liberty", "to": "2013-06-30"})
    assert _links(at) == []
