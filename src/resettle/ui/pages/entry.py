"""Add a record: one form per record kind (population count, departure, medical evacuation, incident,
pledge), for an editor with one new figure and no file, on a phone as well as a desk.

A site from the known sites or a new one, countries by name, dates from a picker (not in the future,
except a transfer not yet departed), enum fields as choices, a source (required). The record is checked
by the import's own rules and saved as a change set of its own (listed with the batches on the Import
page, and undone there). Editing needs an editor, as importing does; in read-only and public mode the
page is not there or says why.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from resettle.api import Correction
from resettle.domain import countries
from resettle.domain.records import KINDS, Field
from resettle.ui import access, cache, editing, text

PATH = "add"
FORM_KINDS = ("population", "transfers", "medevacs", "incidents", "pledges")
NEW_SITE = "New site…"
_MESSAGE = "_entry_message"
_ROUND = "_entry_round"  # a fresh, empty form after each record saved
LABELS = {"population": "Population count", "transfers": "Departure (transfer)", "medevacs": "Medical evacuation",
          "incidents": "Incident", "pledges": "Pledge"}


def page(view=None) -> None:
    st.title("Add a record")
    editor = access.panel("add records")
    if editor is None:
        return
    if not access.corrections_allowed():
        st.warning("Records cannot be added on this dashboard: it is public (RESETTLE_PUBLIC).")
        return
    if message := st.session_state.pop(_MESSAGE, None):
        st.success(text.plain(message))
    kind = st.selectbox("What to record", FORM_KINDS, format_func=LABELS.get, key="entry_kind")
    form(kind)


def form(kind_name: str) -> None:
    """The fields of one record kind, the reason, and the button that saves it."""
    kind = KINDS[kind_name]
    n = st.session_state.get(_ROUND, 0)
    values: dict[str, object] = {}
    # A population count's breakdown (female, male, children, age bands) is optional and long: folded away.
    breakdown = [f for f in kind.fields if kind_name == "population" and f.type == "count" and not f.required]
    for f in kind.fields:
        if f in breakdown:
            continue
        key = f"entry_{kind_name}_{f.name}_{n}"
        values[f.name] = site_field(key) if f.name == "site" else field_widget(f, key)
    if breakdown:
        with st.expander("Breakdown (optional): female, male, children, age bands"):
            for f in breakdown:
                values[f.name] = field_widget(f, f"entry_{kind_name}_{f.name}_{n}")
    reason = st.text_input("Note kept with the record (why it is added)", value="new figure entered in the form",
                           key=f"entry_reason_{n}")
    separate = st.checkbox("This is a separate record even if another has the same values", key=f"entry_separate_{n}")
    if not st.button(f"Save the {LABELS[kind_name].lower()}", key="entry_save", type="primary", width="stretch"):
        return
    done = editing.save_change_set(kind_name, [Correction("add", values=values)], reason, separate, row_word=None)
    if done is None:
        return
    st.session_state[_MESSAGE] = (f"Saved as {kind.name} record {done.added[0]} ({done.line()}). The Import page "
                                  "lists it with the batches, and undoes it.")
    st.session_state[_ROUND] = n + 1
    st.rerun()


def site_field(key: str) -> str | None:
    """A known site, or a new one by name."""
    names = cache.site_names()
    chosen = st.selectbox("site *", [*names, NEW_SITE], index=None, placeholder="Choose a site", key=key)
    if chosen == NEW_SITE:
        return st.text_input("New site's name *", key=f"{key}_new").strip() or None
    return chosen


def field_widget(f: Field, key: str) -> object:
    """One field's input: its value, or None when left empty."""
    required = f.required or f.name == "source"
    label = f"{f.name}{' *' if required else ''}"  # the field's name, as the import and the Data page name it
    if f.type == "date":
        latest = None if f.future_ok else dt.date.today()
        return st.date_input(label, value=None, max_value=latest, min_value=dt.date(1900, 1, 1), key=key,
                             format="YYYY-MM-DD")
    if f.type == "count":
        return st.number_input(label, min_value=0, step=1, value=None, key=key, placeholder="whole number")
    if f.type == "enum":
        return st.selectbox(label, f.choices, index=f.choices.index(f.default) if f.default else None,
                            placeholder="Choose" if required else "(none)", key=key)
    if f.type == "country":
        codes = countries.picker()
        names = dict(codes)
        return st.selectbox(label, [c for c, _ in codes], index=None, format_func=names.get,
                            placeholder="Type a country's name", key=key)
    return st.text_input(label, key=key).strip() or None
