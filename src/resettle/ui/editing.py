"""Correcting a table on the Data page: its rows in st.data_editor (cells changed, rows added or deleted),
saved as one change set with a reason.

The rows are loaded exactly as stored when editing starts and kept in the session (`_LOADED`) until they
are saved or reloaded: the library compares them with the database when saving, so a row someone else
changed meanwhile refuses the save instead of being overwritten. `corrections` (what the editor's table
says changed) is a plain function, tested without a browser.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from resettle.api import Correction
from resettle.domain.errors import ResettleError, ValidationFailed
from resettle.domain.records import KINDS, Kind
from resettle.ingest.entry import as_written, describe
from resettle.ui import cache, text

_LOADED = "_data_edit_loaded"
_MESSAGE = "_data_edit_message"


def frame_of(kind: Kind, loaded: dict[int, dict], ids: list[int]) -> pd.DataFrame:
    """The rows as the editor shows them: id, the kind's fields, batch_id; counts as whole numbers (empty
    where unknown), dates as dates (a date picker in the cell)."""
    rows = [loaded[i] for i in ids if i in loaded]
    frame = pd.DataFrame([{c: r.get(c) for c in ["id", *kind.names, "batch_id"]} for r in rows],
                         columns=["id", *kind.names, "batch_id"])
    for f in kind.fields:
        if f.type == "count":
            frame[f.name] = frame[f.name].astype("Int64")
        elif f.type == "real":
            frame[f.name] = frame[f.name].astype("Float64")
        elif f.type == "date":
            frame[f.name] = [dt.date.fromisoformat(v) if isinstance(v, str) else None for v in frame[f.name]]
    return frame.astype({"id": "Int64", "batch_id": "Int64"})


def column_config(kind: Kind) -> dict:
    """One column per field: choices for enums, a date picker for dates, whole numbers for counts."""
    out: dict = {"id": st.column_config.NumberColumn("id", disabled=True),
                 "batch_id": st.column_config.NumberColumn("batch_id", disabled=True)}
    for f in kind.fields:
        label = f"{f.name} *" if f.required or f.name == "source" else f.name
        if f.type == "enum":
            out[f.name] = st.column_config.SelectboxColumn(label, options=list(f.choices))
        elif f.type == "date":
            out[f.name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif f.type == "count":
            out[f.name] = st.column_config.NumberColumn(label, step=1, format="%d")
        else:
            out[f.name] = st.column_config.TextColumn(label)
    return out


def _same(a: object, b: object) -> bool:
    """Whether two cells hold the same value, as an import would read them ("" for empty)."""
    return as_written(None if _missing(a) else a) == as_written(None if _missing(b) else b)


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def corrections(kind: Kind, before: pd.DataFrame, after: pd.DataFrame,
                loaded: dict[int, dict]) -> list[Correction]:
    """What changed between the loaded table and the edited one: a row whose id is gone is deleted, a row
    without an id is added, a row whose cells differ is edited (only the cells that differ). Rows are
    numbered as the table shows them (the loaded ones 1, 2, ..., the added ones after them)."""
    out: list[Correction] = []
    position = {int(i): n for n, i in enumerate(before["id"], start=1)}
    kept: set[int] = set()
    added = 0
    for _, row in after.iterrows():
        if _missing(row.get("id")):
            values = {f: (None if _missing(row.get(f)) else row.get(f)) for f in kind.names}
            if any(v is not None and as_written(v).strip() for v in values.values()):  # a blank new row is no row
                added += 1
                out.append(Correction("add", values=values, row=len(before) + added))
            continue
        rid = int(row["id"])
        kept.add(rid)
        old = before.loc[before["id"] == rid].iloc[0]
        changed = {f: (None if _missing(row.get(f)) else row.get(f)) for f in kind.names
                   if not _same(old[f], row.get(f))}
        if changed:
            out.append(Correction("edit", rid, changed, loaded=loaded.get(rid), row=position[rid]))
    for rid, n in position.items():
        if rid not in kept:
            out.append(Correction("delete", rid, loaded=loaded.get(rid), row=n))
    return out


def table_editor(kind_name: str, frame: pd.DataFrame, key: tuple) -> None:
    """The editable table, the reason, and the button that saves every change as one change set."""
    kind = KINDS[kind_name]
    if message := st.session_state.pop(_MESSAGE, None):
        st.success(text.plain(message))
    kept = st.session_state.get(_LOADED)
    if kept is None or kept["key"] != key:
        ids = [int(i) for i in frame["id"]]
        loaded = cache.records(kind_name, ids)
        kept = {"key": key, "loaded": loaded, "frame": frame_of(kind, loaded, ids),
                "round": (kept or {}).get("round", 0) + 1}
        st.session_state[_LOADED] = kept
    st.caption("Change cells, add rows at the bottom or delete rows (select them, then the bin), then give a "
               "reason and save: every change becomes one change set, listed with the import batches and undone "
               "there. Each row is checked like an imported row; fields marked * are required.")
    edited = st.data_editor(kept["frame"], key=f"data_editor_{kept['round']}", num_rows="dynamic", hide_index=True,
                            column_config=column_config(kind), width="stretch", placeholder="")
    found = corrections(kind, kept["frame"], edited, kept["loaded"])
    counts = {a: sum(c.action == a for c in found) for a in ("edit", "add", "delete")}
    st.caption(f"{counts['edit']} rows changed, {counts['add']} added, {counts['delete']} deleted, not saved yet.")
    row = st.columns([3, 2], vertical_alignment="bottom")
    reason = row[0].text_input("Reason for these changes (required)", key=f"data_reason_{kept['round']}",
                               placeholder="e.g. typo in the census of 2016-08-31 (UNHCR letter of ...)")
    separate = row[1].checkbox("Rows equal to others are separate records", key=f"data_separate_{kept['round']}",
                               help="Without this, a row whose every field equals another's is refused: an "
                                    "import would count one of the two as already present.")
    save, reload = st.columns(2)
    if reload.button("Reload (drop unsaved changes)", key="data_reload"):
        st.session_state.pop(_LOADED, None)
        st.rerun()
    if not save.button("Save as one change set", key="data_save", type="primary", disabled=not found):
        return
    if not reason.strip():
        st.error("Say why these records change (the reason is kept with the change set). Nothing was saved.")
        return
    done = save_change_set(kind_name, found, reason, separate, row_word="row")
    if done is None:
        return
    st.session_state[_MESSAGE] = f"Saved: {done.line()}. The Import page lists it with the batches, and undoes it."
    st.session_state.pop(_LOADED, None)
    st.rerun()


def save_change_set(kind_name: str, corrections: list[Correction], reason: str, separate: bool, *, row_word: str | None):
    """Save `corrections` as one change set and return what it did; or say on the page why nothing was saved
    (each invalid value with its field, and its row where `row_word` names rows) and return None."""
    try:
        return cache.save_changes(kind_name, corrections, reason, separate)
    except ValidationFailed as exc:
        said = [describe(e, row_word=row_word) for e in exc.errors]
        if row_word:
            said = [line.capitalize() for line in said]  # "Row 1, date: ..." starts the line
        st.error("Nothing was saved:\n\n" + "\n".join(f"- {text.plain(line)}" for line in said))
    except ResettleError as exc:
        st.error(text.plain(exc))
    return None
