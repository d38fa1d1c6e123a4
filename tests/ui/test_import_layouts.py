"""The Import page's wide layout and total rows (issue 12): the same options and report lines as the CLI."""

from __future__ import annotations

from conftest import open_dashboard

from resettle.store import db

MATRIX = (b"Camp,Date,Albania,Germany,Total\n"
          b"Camp Liberty,2013-05-31,30,,30\n"
          b"Camp Liberty,2013-06-30,12,3,15\n"
          b"Total,,42,3,45\n")


def upload(monkeypatch, path, content: bytes):
    at = open_dashboard(monkeypatch, path, "import")
    at.selectbox(key="import_kind").set_value("transfers").run()
    at.file_uploader[0].set_value(("matrix.csv", content, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_a_country_matrix_through_the_page(monkeypatch, tmp_path):
    path = tmp_path / "page.db"
    db.init(path)
    at = upload(monkeypatch, path, MATRIX)
    assert [o for o in at.selectbox(key="import_columns_are").options] == [
        "One record per row", "Wide: one column per site", "Wide: one column per date or year",
        "Wide: one column per host country", "Wide: one column per country of origin"]
    at.selectbox(key="import_columns_are").set_value("host_country").run()
    assert not at.exception, at.exception
    report = next(s.value for s in at.success if "would add 3" in s.value)
    assert "left out total column: 'Total'" in report and "left out 1 total row: line 4" in report
    at.checkbox(key="import_keep_totals").check().run()  # kept, the total row has no date: an error on its line
    assert any("2 problems in the file" in e.value for e in at.error)
    assert at.dataframe[0].value["line"].tolist() == [4, 4]
    at.checkbox(key="import_keep_totals").uncheck().run()
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    c = db.connect(path)
    try:
        assert c.execute("SELECT host_country, people FROM transfers ORDER BY id").fetchall() == [
            ("ALB", 30), ("ALB", 12), ("DEU", 3)]
    finally:
        c.close()
