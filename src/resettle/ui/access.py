"""Who may edit, in the page: this session's editing mode (auth.access), the sign-in form, and the
signed-in editor, kept in st.session_state until "Sign out".

Editors' hashes come from Streamlit secrets (`[editors]` in .streamlit/secrets.toml, name = hash) or
RESETTLE_EDITORS. `require_editor` is the server-side check behind every import, undo and correction of the page:
the name it returns is what the batch and the audit log record, whatever the page showed.
"""

from __future__ import annotations

import streamlit as st

from resettle.domain.errors import UsageError
from resettle.store import auth, db
from resettle.store import sign_in as sign_in_log
from resettle.ui import text

_EDITOR = "_signed_in_editor"


def configured() -> dict[str, str]:
    """The editors (name -> hash) from Streamlit secrets and RESETTLE_EDITORS; ConfigProblem if unusable."""
    secret = st.secrets.get("editors") if st.secrets.load_if_toml_exists() else None
    return auth.editors(dict(secret) if secret else None)


def current() -> auth.Access:
    """This session's editing mode. An unusable editors' setting closes editing and says why."""
    if db.read_only_mode():
        return auth.access(read_only=True, editors={}, address=None, headers={})
    try:
        editors = configured()
    except auth.ConfigProblem as exc:
        return auth.Access(auth.CLOSED, f"Importing and undoing are switched off: {exc}.")
    return auth.access(read_only=False, editors=editors, address=st.get_option("server.address"),
                       headers=dict(st.context.headers))


def editor() -> str | None:
    """Who edits in this session: the signed-in editor (still configured), the local user on an open local
    dashboard, else None."""
    mode = current().mode
    if mode == auth.OPEN_LOCAL:
        return auth.local_editor()
    if mode == auth.SIGN_IN:
        name = st.session_state.get(_EDITOR)
        return name if name is not None and name in configured() else None
    return None


def require_editor(action: str) -> str:
    """The editor's name for `action` (importing, undoing an import), or UsageError: read-only mode, no
    sign-in, or editing switched off. Checked on the server side, whatever the page shows or hides."""
    db.require_writable(action)
    name = editor()
    if name is None:
        raise UsageError(f"{action} needs an editor's sign-in: {current().why}")
    return name


def sign_out() -> None:
    st.session_state.pop(_EDITOR, None)


def panel(purpose: str = "import or undo") -> str | None:
    """The top of the Import page (and of the pages that add or correct records): the sign-in form, or who
    is signed in (with Sign out), or why nothing can be changed here. Returns the editor, or None when
    this session may not edit."""
    rule = current()
    if rule.mode in (auth.READ_ONLY, auth.CLOSED):
        st.warning(text.plain(rule.why))
        return None
    if rule.mode == auth.OPEN_LOCAL:
        st.caption(f"**Editing is open** on this computer, recorded as *{text.plain(auth.local_editor())}*. "
                   f"{rule.why}")
        return auth.local_editor()
    name = editor()
    if name is not None:
        row = st.columns([4, 1], vertical_alignment="center")
        row[0].caption(f"Signed in as **{text.plain(name)}**: every import, undo and correction is recorded "
                       "under this name.")
        row[1].button("Sign out", key="sign_out", on_click=sign_out)
        return name
    st.subheader(f"Sign in to {purpose}")
    with st.form("sign_in", clear_on_submit=True):
        who = st.text_input("Editor", key="sign_in_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
        sent = st.form_submit_button("Sign in", type="primary")
    if sent:
        found = sign_in(who, password)
        if found is None:
            return None
        st.session_state[_EDITOR] = found
        st.rerun()
    return None


def client() -> str | None:
    """Who is asking, as far as the server can tell: the client's address (None in-process, as under
    AppTest). Behind a proxy it is the proxy's: the per-name limit still holds."""
    try:
        address = st.context.ip_address
    except Exception:  # no request context at all
        return None
    return address if isinstance(address, str) and address else None


def sign_in(name: str, password: str) -> str | None:
    """The editor's name when `name` and `password` match, else None with the reason shown. Slowed
    (store/sign_in.py): after 5 failures for a name or from a client within 15 minutes, tries are refused
    for a while, before any password is checked; failures and refusals go to the audit log."""
    who = client()
    conn = db.connect(db.default_path())
    try:
        refusal = sign_in_log.allowed(conn, name, who)
        if refusal is not None:
            st.error(refusal.message())
            return None
        found = auth.authenticate(configured(), name, password)
        if found is None:
            sign_in_log.failed(conn, name, who)
            st.error("Wrong editor name or password.")
        return found
    finally:
        conn.close()


def corrections_allowed() -> bool:
    """Whether records may be added and corrected here at all (by an editor): not in read-only mode, and not
    on a public dashboard (its figures are suppressed: nothing shown there may be corrected). The
    library checks again on the server side (api.require_editing)."""
    from resettle.compute import disclosure

    return current().editing and not disclosure.public_mode()


def may_correct() -> bool:
    """Whether this session may add and correct records now: allowed here, and an editor signed in."""
    return corrections_allowed() and editor() is not None
