"""Data: each table, filtered by the sidebar (and by source), with a CSV download of exactly what is shown;
for a signed-in editor, the same rows to correct and save as one change set (ui/editing.py)."""

from __future__ import annotations

import streamlit as st

from resettle.compute import table_rows
from resettle.domain.records import KINDS
from resettle.ui import access, cache, common, editing
from resettle.ui.filters import View

PATH = "data"


def _label(kind: str) -> str:
    return KINDS[kind].label


def page(view: View) -> None:
    st.title("Data")
    row = st.columns([2, 3, 1])
    kind = row[0].selectbox("Table", table_rows.TABLES, format_func=_label, key="data_table")
    source = row[1].text_input("Source contains", key="data_source", placeholder="e.g. UNHCR")
    limit = row[2].number_input("Rows at most", min_value=10, max_value=100_000, value=table_rows.TABLE_LIMIT,
                                step=500, key="data_limit")
    info = cache.table(view, kind, int(limit), source.strip())
    frame = info["frame"]
    st.caption(f"{len(frame):,} of {info['total']:,} rows matching the filters (sites, date range, host "
               f"countries{', source' if source.strip() else ''}), as of {info['as_of']}; "
               "`batch_id` is the import that brought each row.")
    if access.may_correct():
        if st.toggle("Correct these rows", key="data_editing"):
            editing.table_editor(kind, frame, (kind, view, int(limit), source.strip()))
        else:
            common.table(frame)
    else:
        common.table(frame)
        if access.corrections_allowed():
            st.caption("Editors can correct these rows after signing in (on the Import page).")
    st.download_button("Download these rows as CSV", info["csv"], file_name=f"{kind}_as_of_{info['as_of']}.csv",
                       mime="text/csv", key="data_download", disabled=frame.empty)
