"""Import: upload a file, check its column mapping, see every error before anything is written, confirm.
Below, the import batches, each with an undo behind a confirmation, and the audit log.

Importing and undoing need an editor (ui/access.py: a sign-in, or an open local dashboard); in read-only
mode this page is not in the navigation at all. The part after the upload, `received(name, content,
kind)`, takes the uploaded bytes, so it can be tested without a browser.
"""

from __future__ import annotations

import calendar
import hashlib

import streamlit as st

from resettle.domain.errors import ResettleError
from resettle.domain.records import KINDS
from resettle.ingest import importer
from resettle.ingest import review as dry_run
from resettle.store import writer
from resettle.ui import access, cache, common, text

PATH = "import"
NO_COLUMN = "(not in the file)"
DATE_ORDERS = {None: "Decide from the file", "dayfirst": "Day first (31/12/2015)",
               "monthfirst": "Month first (12/31/2015)"}
# A wide table (--columns-are): what its columns are, each cell one record's count.
WIDE_LAYOUTS = {"site": "Wide: one column per site", "date": "Wide: one column per date or year",
                "host_country": "Wide: one column per host country",
                "origin_country": "Wide: one column per country of origin"}
FISCAL_STARTS = {None: "No fiscal years in this file", **{m: calendar.month_name[m] for m in range(1, 13)}}
_MESSAGE = "_import_message"
_UPLOADS = "_upload_round"
_PENDING = "_undo_pending"
_CHECKED = "_import_checked"  # (what was checked, its dry run): the last upload's, kept while nothing changes


def _label(kind: str) -> str:
    return KINDS[kind].label


def upload_limit_mb() -> float:
    """The upload limit of this server (Streamlit's server.maxUploadSize, in MB)."""
    return float(st.get_option("server.maxUploadSize") or dry_run.MAX_UPLOAD_MB)


def page(view=None) -> None:
    st.title("Import a file")
    editor = access.panel()
    if editor is None:
        return
    limit = upload_limit_mb()
    st.caption("One CSV or Excel (.xlsx) file per record kind, up to "
               f"{limit:g} MB (bigger files: `resettle import` on the command line). Every row is checked first; "
               "nothing is written until you confirm, and then the whole file goes in as one batch (or nothing does).")
    if message := st.session_state.pop(_MESSAGE, None):
        st.success(text.plain(message))
    row = st.columns([1, 2])
    kind = row[0].selectbox("Record kind", list(KINDS), format_func=_label, key="import_kind")
    with row[0].expander("Fields of this kind"):
        st.markdown("\n".join(
            f"- `{f.name}`{' (required)' if f.required else ''}"
            + (f": one of {', '.join(f.choices)}" if f.choices else "") for f in KINDS[kind].fields))
    upload = row[1].file_uploader(f"CSV or Excel file (up to {limit:g} MB)", type=["csv", "tsv", "txt", "xlsx"],
                                  key=f"upload_{st.session_state.get(_UPLOADS, 0)}")
    if upload is not None:
        received(upload.name, upload.getvalue(), kind, editor)
    st.divider()
    batches(editor)
    audit_log()


def received(name: str, content: bytes, kind: str, editor: str | None = None) -> None:
    """An upload: refused with a message when too big or empty, else saved under its base name in a
    temporary folder (review.upload_name) and reviewed."""
    if problem := dry_run.upload_problem(name, len(content), upload_limit_mb()):
        st.error(text.plain(problem))
        return
    with dry_run.saved_upload(name, content) as path:
        review(path, kind, editor, digest=hashlib.sha256(content).hexdigest())


def checked(path, kind: str, options: importer.ImportOptions, digest: str | None) -> dry_run.Check:
    """The dry run of the upload with these options. Every click on the page reruns it, so it is kept
    (one, in the session) while the file, the options and the database are the same: a 50 MB file is
    checked once, not again at every change of an unrelated widget or at the confirming click."""
    key = (digest, kind, repr(options), cache.version())
    kept = st.session_state.get(_CHECKED)
    if digest is not None and kept is not None and kept[0] == key:
        return kept[1]
    check = cache.check_import(path, kind, options)
    st.session_state[_CHECKED] = (key, check)
    return check


def review(path, kind: str, editor: str | None = None, digest: str | None = None) -> None:
    """The proposed mapping (changeable), the dry run's errors or report, and the button that imports."""
    layouts = [None, *(f for f in WIDE_LAYOUTS if f in KINDS[kind].names and kind != "sites")]
    columns_are = st.selectbox("Layout", layouts, key="import_columns_are",
                               format_func=lambda f: WIDE_LAYOUTS.get(f, "One record per row"))
    try:
        proposal = dry_run.propose(path, kind, columns_are=columns_are)
    except ResettleError as exc:
        st.error(text.plain(str(exc).replace(f"{path.parent}/", "")))
        return
    if proposal.guessed_kind and proposal.guessed_kind != kind:
        st.info(f"These columns look like **{_label(proposal.guessed_kind).lower()}**; "
                "pick that record kind above if so.")
    st.subheader("Columns")
    st.caption(f"The column proposed for each field of {_label(kind).lower()}; change any that is wrong. "
               "Required fields are marked with *.")
    chosen = mapping_editor(proposal)
    set_values = one_value_for_missing(proposal, chosen)
    if set_values is None:
        return
    with st.expander("Options"):
        source = st.text_input("Source of rows that name none", key="import_source",
                               placeholder=f"default: the file name, {path.name}")
        order = st.radio("Dates like 03/04/2015", list(DATE_ORDERS), format_func=DATE_ORDERS.get,
                         key="import_date_order", horizontal=True)
        skip = st.checkbox("Import the valid rows and skip the invalid ones", key="import_skip_invalid")
        keep_totals = st.checkbox("Keep total rows (Total, subtotals, World, regions) as data", key="import_keep_totals")
        fiscal, strict = value_options()
    options = importer.ImportOptions(source=source.strip() or None, column_map=dry_run.column_map(chosen),
                                      set_values=set_values, date_order=order, skip_invalid=skip, editor=editor,
                                      keep_totals=keep_totals, columns_are=columns_are,
                                      fiscal_year_start=fiscal, strict=strict)
    check = checked(path, kind, options, digest)
    show_check(check)
    if check.importable and st.button(f"Import {path.name}", key="import_confirm", type="primary"):
        done = cache.run_import(path, kind, options)
        if done.report is not None and done.report.batch_id is not None:
            st.session_state[_MESSAGE] = "\n\n".join(["Imported.", *done.report.lines()])
            st.session_state[_UPLOADS] = st.session_state.get(_UPLOADS, 0) + 1  # a fresh, empty uploader
            st.rerun()
        show_check(done)


def value_options() -> tuple[int | None, bool]:
    """The fiscal year's first month (FY 2024 with October: 2023-10-01 to 2024-09-30) and strictness."""
    row = st.columns(2)
    fiscal = row[0].selectbox("Fiscal years start in", FISCAL_STARTS, format_func=FISCAL_STARTS.get,
                              key="import_fiscal_start")
    strict = row[1].checkbox("Strict: a country no one knows in an optional column is an error "
                             "(otherwise stored empty and listed)", key="import_strict")
    return fiscal, strict


def mapping_editor(proposal: dry_run.Proposal) -> dict[str, str | None]:
    """One select box per field, preset to the proposed column."""
    options = [NO_COLUMN, *proposal.columns]
    options += [c for c in proposal.mapping.values() if c and c not in options]  # joined columns
    chosen: dict[str, str | None] = {}
    required = set(KINDS[proposal.kind].required)
    fields = list(proposal.mapping)
    for start in range(0, len(fields), 4):
        cells = st.columns(4)
        for cell, name in zip(cells, fields[start:start + 4], strict=False):
            proposed = proposal.mapping[name]
            pick = cell.selectbox(f"{name}{' *' if name in required else ''}", options,
                                  index=options.index(proposed) if proposed else 0,
                                  key=f"map_{proposal.key}_{name}")
            chosen[name] = None if pick == NO_COLUMN else pick
    if proposal.notes:
        st.caption(text.plain("Reading the file: " + "; ".join(proposal.notes)))
    return chosen


def one_value_for_missing(proposal: dry_run.Proposal, chosen: dict[str, str | None]) -> dict[str, str] | None:
    """For a required field with no column: one value for every row (a file of one site's transfers has
    no site column). None while a required field has neither: the file is not checked yet."""
    missing = [f for f in KINDS[proposal.kind].required if not chosen.get(f)]
    if not missing:
        return {}
    where = f"{text.plain(proposal.file)}, line {proposal.header_line}: " if proposal.header_line else ""
    st.warning(f"{where}No column for {', '.join(missing)} (required). Pick the column above, or give one value "
               "for every row of the file:")
    values: dict[str, str] = {}
    cells = st.columns(4)
    for i, name in enumerate(missing):
        value = cells[i % 4].text_input(f"{name}, for every row", key=f"set_{proposal.key}_{name}")
        if value.strip():
            values[name] = value.strip()
    return values if len(values) == len(missing) else None


def rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def show_check(check: dry_run.Check) -> None:
    """What the dry run (or the import) found: a file problem, every row error, or what would be written."""
    if check.mapping_lines:  # the import stopped: which column became which field, with its first values
        st.caption(text.plain("\n\n".join(check.mapping_lines)))
    if check.problem:
        st.error(text.plain(check.problem))
        return
    if check.report is None:
        st.error(f"{check.total_errors:,} problems in the file: nothing will be written until they are fixed "
                 "(or skipped, in Options).")
        common.table(dry_run.errors_frame(check.errors))
        return
    report = check.report
    if report.identical_to is not None:
        st.info(f"This file is identical to batch {report.identical_to}: it is already imported, nothing to add.")
        return
    lines = report.lines()
    if check.errors:
        st.warning(f"{check.total_errors:,} invalid values: their rows will be skipped.")
        common.table(dry_run.errors_frame(check.errors))
    (st.success if check.importable else st.info)(text.plain("\n\n".join(lines)))


def batches(editor: str | None = None) -> None:
    """The import batches, newest first, and (for an editor) an undo behind a confirmation."""
    st.subheader("Import batches and change sets")
    frame = cache.batches()
    if frame.empty:
        st.caption("No imports yet.")
        return
    common.table(frame.drop(columns=["sha256"]))
    if editor is None:
        return
    if message := st.session_state.pop("_undo_message", None):
        st.success(message)
    labels = {int(r.id): (f"change set {r.id}: {r.kind}, {r.reason} ({r.imported_at})" if isinstance(r.reason, str)
                          else f"batch {r.id}: {r.kind} from {r.file_name} ({r.imported_at})") for r in frame.itertuples()}
    row = st.columns([3, 1], vertical_alignment="bottom")
    # Keyed by the newest batch: after an import or an undo the choice starts again from the newest.
    batch = row[0].selectbox("Undo a batch", list(labels), format_func=labels.get, key=f"undo_batch_{max(labels)}")
    if row[1].button("Undo…", key="undo_ask"):
        st.session_state[_PENDING] = batch
    if st.session_state.get(_PENDING) != batch:
        return
    info = frame[frame["id"] == batch].iloc[0]
    updated = int(info["rows_updated"])
    if isinstance(info["reason"], str):  # a change set: records entered or corrected by hand
        st.warning(f"Undo change set {batch} ({info['kind']}: {text.plain(info['reason'])})? This removes the "
                   f"{rows(int(info['rows_added']))} it added, and puts back exactly as they were the "
                   f"{rows(updated)} it changed and the {rows(int(info['rows_deleted']))} it deleted.")
    else:
            st.warning(f"Undo batch {batch} ({info['kind']} from {text.plain(info['file_name'])})? This removes the "
                   f"{rows(int(info['rows_added']))} it added"
                   + (f", puts back the {rows(updated)} it updated" if updated else "")
                   + " and removes the sites it created that nothing else uses.")
    yes, no = st.columns(2)
    if yes.button(f"Yes, undo batch {batch}", key="undo_confirm", type="primary"):
        st.session_state.pop(_PENDING, None)
        try:
            removed = cache.undo(batch)
        except ResettleError as exc:
            st.error(text.plain(exc))
            return
        st.session_state["_undo_message"] = f"Batch {batch} undone: " + (
            ", ".join(f"put back {rows(n)} of {table.removesuffix(writer.RESTORED).replace('_', ' ')} as they were"
                      if table.endswith(writer.RESTORED) else f"removed {rows(n)} from {table.replace('_', ' ')}"
                      for table, n in removed.items() if n)
            or "nothing to remove")
        st.rerun()
    if no.button("Cancel", key="undo_cancel"):
        st.session_state.pop(_PENDING, None)
        st.rerun()


def audit_log() -> None:
    """Every import and undo, newest first: when, which editor, what."""
    st.subheader("Audit log")
    frame = cache.audit()
    if frame.empty:
        st.caption("Nothing imported or undone yet.")
        return
    st.caption("Every import, undo and change set (each record's fields before and after) and every failed "
               "sign-in, newest first (times in UTC). Undoing a batch keeps the rows that tell of it.")
    common.table(frame)
