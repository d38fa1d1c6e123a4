"""Disclosure control in public mode: small medical figures read "<5" (or are not drawn) in the pages and
in every export, and public tables carry no field that could identify a person."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_ORDER, load_tiny, open_dashboard  # noqa: F401
from streamlit.testing.v1 import AppTest

from resettle.compute import disclosure, medical, table_rows
from resettle.compute.scope import view_scope
from resettle.figures import pages, registry
from resettle.publish import bundle, report, tables
from resettle.store import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def public(monkeypatch):
    monkeypatch.setenv("RESETTLE_PUBLIC", "1")
    monkeypatch.delenv("RESETTLE_DISCLOSURE_MIN", raising=False)


def _scope(path: Path):
    conn = db.connect(path)
    return conn, view_scope(conn)


def ints(values) -> list[int]:
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return [v for v in values if v is not None]


# ---------------------------------------------------------------- the settings


@pytest.mark.parametrize(("env", "expected"), [
    ({}, False), ({"RESETTLE_PUBLIC": "1"}, True), ({"RESETTLE_PUBLIC": "yes"}, True),
    ({"RESETTLE_READ_ONLY": "1"}, True),  # a read-only dashboard is a public one
    ({"RESETTLE_READ_ONLY": "1", "RESETTLE_PUBLIC": "0"}, False),  # unless said otherwise
    ({"RESETTLE_PUBLIC": "off"}, False),
])
def test_public_mode(env, expected):
    assert disclosure.public_mode(env) is expected


def test_public_mode_reads_the_environment(monkeypatch):
    monkeypatch.delenv("RESETTLE_PUBLIC", raising=False)
    monkeypatch.setenv("RESETTLE_READ_ONLY", "true")
    assert disclosure.public_mode()
    monkeypatch.setenv("RESETTLE_READ_ONLY", "")
    assert not disclosure.public_mode()


def test_the_threshold():
    assert disclosure.threshold({}) == 5
    assert disclosure.threshold({"RESETTLE_DISCLOSURE_MIN": "10"}) == 10
    for bad in ("0", "-3", "five", "2.5"):
        with pytest.raises(disclosure.UsageError, match="RESETTLE_DISCLOSURE_MIN"):
            disclosure.threshold({"RESETTLE_DISCLOSURE_MIN": bad})


def test_small_values_and_frames():
    assert [disclosure.cell(v, 5) for v in (0, 1, 4, 5, 12, None)] == [0, "<5", "<5", 5, 12, None]
    s = disclosure.small(5)
    assert f"{s:,}" == "<5" and f"{s:>6}" == "<5" and str(s) == "<5"
    with pytest.raises(ValueError):
        int(s)  # a suppressed value never turns back into its number
    frame = pd.DataFrame({"month": ["2014-01", "2014-02", "2014-03"], "patients": [3, 0, 9], "other": [1, 2, 3]})
    shown = disclosure.suppress(frame, ["patients", "absent"], 5)
    assert shown["patients"].tolist() == ["<5", 0, 9] and shown["other"].tolist() == [1, 2, 3]
    assert frame["patients"].tolist() == [3, 0, 9]  # a copy
    assert disclosure.drop_small(frame, "patients", 5)["month"].tolist() == ["2014-02", "2014-03"]
    assert disclosure.suppress(frame, ["patients"], 10)["patients"].tolist() == ["<10", 0, "<10"]


def test_waiting_days_are_suppressed_per_bin_not_per_row():
    waits = pd.DataFrame({"waiting_days": [0, 3, 6, 8, 20], "evacuations": [1, 1, 1, 1, 1],
                          "patients": [2, 2, 2, 1, 7]})
    bins = disclosure.binned(waits, "waiting_days", 7, "patients")
    assert bins.to_dict("list") == {"waiting_days": [0, 7, 14], "evacuations": [3, 1, 1], "patients": [6, 1, 7]}
    assert disclosure.binned(bins, "waiting_days", 7, "patients").equals(bins)  # idempotent


def test_cumulative_medical_deaths_rise_in_steps_of_the_threshold():
    cause = disclosure.MEDICAL_DEATHS
    frame = pd.DataFrame({"date": [f"2014-0{m}-01" for m in range(1, 8)], "cause": cause,
                          "deaths": [1, 2, 1, 3, 1, 0, 4], "cumulative": [1, 3, 4, 7, 8, 8, 12]})
    other = pd.DataFrame({"date": ["2014-01-01"], "cause": "Killed in incidents", "deaths": [2], "cumulative": [2]})
    stepped = disclosure.cumulative_in_steps(pd.concat([other, frame], ignore_index=True), cause, 5)
    medical = stepped[stepped["cause"] == cause]
    assert medical["cumulative"].tolist() == [7, 7, 7, 12]  # not drawn before the first step of 5 or more
    assert medical["deaths"].tolist() == [7, 0, 0, 5]
    assert stepped[stepped["cause"] != cause]["cumulative"].tolist() == [2]


# ---------------------------------------------------------------- the pages' data and exports


def test_outside_public_mode_nothing_changes(monkeypatch, tiny_db):
    monkeypatch.delenv("RESETTLE_PUBLIC", raising=False)
    monkeypatch.delenv("RESETTLE_READ_ONLY", raising=False)
    conn, scope = _scope(tiny_db)
    try:
        info = pages.medical_data(conn, scope)
        assert info.access.died_patients == 1 and info.disclosure is None
        assert "destination" in info.open_requests.columns
        frame, _ = table_rows.table_slice(conn, "medevacs", scope)
        assert frame["patients"].tolist() == [1, 2, 1] and "destination" in frame.columns
        assert "description" in table_rows.table_slice(conn, "incidents", scope)[0].columns
    finally:
        conn.close()


def test_medical_figures_of_the_tiny_data(public, tiny_db):
    conn, scope = _scope(tiny_db)
    try:
        info = pages.medical_data(conn, scope)
        f = info.access
        # 1 died, 2 denied, 1 returned: every medical figure is small
        assert f.patients_evacuated == "<5" and f.died_patients == "<5" and f.denied_patients == "<5"
        assert f.pending_requests == 0  # nobody is nobody to identify
        assert f.median_wait_days is None  # a median of two patients would be nearly their own waits
        assert info.per_month.empty and info.waits.empty  # nothing drawn
        assert info.open_requests["patients"].tolist() == ["<5"] and "destination" not in info.open_requests.columns
        assert "disclosure control" in info.disclosure
        deaths = pages.incidents_data(conn, scope).deaths
        assert set(deaths["cause"]) == {"Killed in incidents"}  # the one medical death is not drawn
    finally:
        conn.close()


def test_no_medical_chart_of_the_sample_shows_a_small_cell(public, sample_copy):
    conn, scope = _scope(sample_copy)
    try:
        charts = registry.build_all(conn, scope)
        per_month = json.loads(charts["medevacs_per_month"].to_json())
        values = [v for trace in per_month["data"] for v in ints(trace["y"])]
        assert values and all(v >= 5 for v in values), values
        assert "disclosure control" in per_month["layout"]["title"]["subtitle"]["text"]
        waits = json.loads(charts["waiting_days"].to_json())
        assert all(v >= 5 for v in ints(waits["data"][0]["y"]))
        raw = medical.medevacs_per_month(conn, scope)
        assert (raw["patients"] < 5).any()  # there were small cells to hide
    finally:
        conn.close()


def test_public_tables_leave_out_identifying_fields(public, sample_copy):
    conn, scope = _scope(sample_copy)
    try:
        medevacs, _ = table_rows.table_slice(conn, "medevacs", scope, limit=10_000)
        assert "destination" not in medevacs.columns
        assert "<5" in medevacs["patients"].tolist()
        assert all(v == "<5" or v >= 5 or v == 0 for v in medevacs["patients"])
        assert "description" not in table_rows.table_slice(conn, "incidents", scope)[0].columns
        assert "case_id" not in table_rows.table_slice(conn, "transfers", scope)[0].columns
    finally:
        conn.close()


def test_every_data_export_is_public(public, sample_copy, tmp_path):
    conn, scope = _scope(sample_copy)
    try:
        tables.write_data(conn, scope, "csv", tmp_path / "csv")
        tables.write_data(conn, scope, "hxl", tmp_path / "hxl")
        tables.write_data(conn, scope, "xlsx", tmp_path / "xlsx")
        columns, rows = tables.sources_table(conn, scope)
    finally:
        conn.close()
    for path in (tmp_path / "csv" / "medevacs.csv", tmp_path / "hxl" / "medevacs.hxl.csv"):
        table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        header = table[0]
        assert "destination" not in header and "patients" in header
        start = 2 if path.name.endswith(".hxl.csv") else 1
        patients = [r[header.index("patients")] for r in table[start:]]
        assert "<5" in patients and all(p == "<5" or int(p) >= 5 or int(p) == 0 for p in patients)
    hxl = list(csv.reader((tmp_path / "hxl" / "medevacs.hxl.csv").open(encoding="utf-8")))
    assert len(hxl[0]) == len(hxl[1])  # a tag for each column left
    assert "description" not in (tmp_path / "csv" / "incidents.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "case_id" not in (tmp_path / "csv" / "transfers.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "xlsx" / "resettle.xlsx", read_only=True)
    header = [c.value for c in next(book["medevacs"].iter_rows(max_row=1))]
    assert "destination" not in header
    assert "editor" not in [c.value for c in next(book["sources"].iter_rows(max_row=1))]
    assert "editor" not in columns and rows


def test_the_report_says_less_than_five(public, tiny_db):
    conn, scope = _scope(tiny_db)
    try:
        page = report.html_report(report.briefing(conn, scope))
    finally:
        conn.close()
    assert "&lt;5 patients evacuated" in page and "&lt;5 died" in page
    assert "Baghdad hospital" not in page  # no destination anywhere


def test_the_bundle_holds_no_copy_of_the_database_in_public_mode(public, tiny_db, tmp_path, chromium):
    path, members = bundle.write_bundle(tiny_db, tmp_path / "bundle.zip")
    assert bundle.BUNDLE_DB not in members
    with zipfile.ZipFile(path) as zf:
        assert not any(n.endswith(".db") for n in zf.namelist())
        medevacs = zf.read("data/medevacs.csv").decode("utf-8-sig")
    assert "destination" not in medevacs and "Baghdad hospital" not in medevacs


# ---------------------------------------------------------------- the pages


def page(monkeypatch, path: Path, name: str) -> AppTest:
    at = open_dashboard(monkeypatch, path, name)
    assert not at.error, [e.value for e in at.error]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_medical_page_in_public_mode(public, monkeypatch, tiny_db):
    at = page(monkeypatch, tiny_db, "medical")
    assert metric(at, "Patients evacuated") == "<5"
    assert metric(at, "Died (outcome of a request)") == "<5"
    assert metric(at, "Denied requests") == "<5"
    assert metric(at, "Pending requests") == "0"
    assert metric(at, "Median wait, request to evacuation") == "–"
    assert any("disclosure control" in c.value for c in at.caption)
    assert any("too small to show" in i.value for i in at.info)


def test_the_medical_page_of_the_sample_in_public_mode(public, monkeypatch, sample_copy):
    at = page(monkeypatch, sample_copy, "medical")
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        for trace in spec["data"]:
            assert all(v >= 5 for v in ints(trace.get("y", []))), spec["layout"]["title"]["text"]
    at.session_state["table_requests"] = True  # the table behind the charts, opened
    at.run()
    table = at.dataframe[0].value
    assert len(table) and "destination" not in table.columns


@pytest.mark.parametrize(("kind", "gone"), [("medevacs", "destination"), ("incidents", "description"),
                                            ("transfers", "case_id")])
def test_the_data_page_in_public_mode(public, monkeypatch, sample_copy, kind, gone):
    at = page(monkeypatch, sample_copy, "data")
    at.selectbox(key="data_table").set_value(kind).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert gone not in frame.columns
    if kind == "medevacs":
        assert "<5" in frame["patients"].astype(str).tolist()
    download = next(d for d in at.get("download_button") if d.proto.label.startswith("Download these rows"))
    assert download is not None


def test_the_incidents_page_in_public_mode(public, monkeypatch, tiny_db):
    at = page(monkeypatch, tiny_db, "incidents")
    names = {t["name"] for e in at.get("plotly_chart") for t in json.loads(e.proto.spec)["data"]}
    assert disclosure.MEDICAL_DEATHS not in names
    at.session_state["table_incidents"] = True  # the table behind the charts, opened
    at.run()
    assert "description" not in at.dataframe[0].value.columns
