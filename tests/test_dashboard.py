"""The dashboard pages in-process with Streamlit's AppTest, on the sample data."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from resettle import db, metrics

ROOT = Path(__file__).resolve().parents[1]


def app(monkeypatch, path: Path) -> AppTest:
    monkeypatch.setenv("RESETTLE_DB", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def values(v) -> list:
    """A plotly array from a figure's JSON: a list, or a typed array ({"dtype", "bdata"}) as plotly 6+ writes."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def test_overview_shows_the_summary_figures(monkeypatch, sample_copy):
    at = app(monkeypatch, sample_copy)
    conn = db.connect(sample_copy)
    s = metrics.summary(conn)
    conn.close()
    assert metric(at, "Residents (estimate)") == f"{s['residents']:,}"
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"
    assert metric(at, "Deaths recorded") == f"{s['deaths_recorded']:,}"
    assert metric(at, "Projected completion") == (s["projected_completion"] or "–")
    charts = at.get("plotly_chart")
    assert charts, "no chart drawn"
    spec = json.loads(charts[0].proto.spec)
    estimate = next(t for t in spec["data"] if t["name"] == "Residents (estimate)")
    assert values(estimate["y"])[-1] == s["residents"]
    assert "Remaining population" in spec["layout"]["title"]["text"]


def test_site_filter_changes_the_figures(monkeypatch, sample_copy):
    at = app(monkeypatch, sample_copy)
    at.multiselect(key="sites").set_value(["Camp Ashraf"]).run()
    assert not at.exception
    conn = db.connect(sample_copy)
    s = metrics.summary(conn, site="Camp Ashraf")
    conn.close()
    assert metric(at, "Relocated (departed)") == f"{s['relocated_total']:,}"
    assert metric(at, "Deaths recorded") == f"{s['deaths_recorded']:,}"


def test_empty_database_gets_a_first_screen(monkeypatch, tmp_path):
    at = app(monkeypatch, tmp_path / "empty.db")
    assert any("empty" in i.value for i in at.info), [i.value for i in at.info]
