"""Who may change the data from the dashboard: editors, their password hashes, and the editing mode.

An editor's password is kept only as a salted scrypt hash, `scrypt$N$r$p$salt$hash` (salt and hash in
base64), made by `resettle hash-password`. The hashes come from Streamlit secrets (an `[editors]` table,
name = hash) or from `RESETTLE_EDITORS` ("name:hash,name2:hash2"); a name in both takes the
environment's hash. Passwords are compared in constant time (hmac.compare_digest), and an unknown name
costs as much as a wrong password, so the time taken says nothing about which names exist.

The editing mode (`access`): read-only mode wins over everything; with editors configured, editing needs
a sign-in; with none, editing is open only to a dashboard nobody can reach over the network (it listens
on the loopback address only and no proxy forwards to it), and closed otherwise. No Streamlit import
here: the page passes in what it knows (`ui/access.py`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from resettle.domain.errors import UsageError

SCHEME = "scrypt"
# scrypt's cost: N=2**15, r=8 takes about 32 MB and a tenth of a second per try, so a guessed password
# costs an attacker as much; a stored N up to MAX_N is accepted (a bigger one would tie up the server).
N, R, P = 2**15, 8, 1
MAX_N = 2**20
SALT_BYTES = 16
KEY_BYTES = 32
ENV_EDITORS = "RESETTLE_EDITORS"
MIN_PASSWORD = 8


class ConfigProblem(UsageError):
    """The editors' configuration cannot be used: a malformed hash, a name without one."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES,
                          maxmem=129 * n * r * p + (1 << 20))


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P, salt: bytes | None = None) -> str:
    """The line to store for `password`: `scrypt$N$r$p$salt$hash`, with a fresh random salt."""
    if not password:
        raise UsageError("the password is empty")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    return "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(_scrypt(password, salt, n, r, p))])


@dataclass(frozen=True)
class _Hash:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def _parse(stored: str) -> _Hash:
    """A stored hash, or ValueError saying what is wrong with it (never repeating it)."""
    parts = stored.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError(f"not a {SCHEME}$N$r$p$salt$hash line")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("N, r and p must be numbers and salt and hash base64") from None
    if not (1 < n <= MAX_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        raise ValueError(f"N must be a power of two up to {MAX_N}, r and p small")
    if len(salt) < 8 or len(key) < 16:
        raise ValueError("the salt or the hash is too short")
    return _Hash(n, r, p, salt, key)


def check_hash(stored: str) -> None:
    """Raise ValueError when `stored` is not a usable hash line."""
    _parse(stored)


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (compared in constant time); False for a malformed one."""
    try:
        h = _parse(stored)
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(password, h.salt, h.n, h.r, h.p), h.key)


@functools.cache
def _decoy() -> str:
    """A hash of nothing anyone knows, checked when the name is unknown: the same work as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(editors: Mapping[str, str], name: str, password: str) -> str | None:
    """The editor's name as configured when `name` (any case, spaces trimmed) and `password` match; else None."""
    wanted = name.strip().casefold()
    found = next((n for n in editors if n.casefold() == wanted), None) if wanted else None
    ok = verify_password(password, editors[found] if found is not None else _decoy())
    return found if ok and found is not None and password else None


def parse_editors(text: str) -> dict[str, str]:
    """RESETTLE_EDITORS as name -> hash: "name:hash,name2:hash2" (a hash has no ':' or ',')."""
    out: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, colon, stored = item.rpartition(":")
        if not colon or not name.strip():
            raise ConfigProblem(f"{ENV_EDITORS}: each editor is name:hash, comma-separated "
                                "(make a hash with `resettle hash-password`)")
        out[name.strip()] = stored.strip()
    return out


def editors(secret_editors: Mapping[str, object] | None = None,
            environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every configured editor (name -> hash): Streamlit secrets' [editors], then RESETTLE_EDITORS.
    Raises ConfigProblem naming the editor whose hash is unusable (the hash itself is never shown)."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name, stored in (secret_editors or {}).items():
        if not isinstance(stored, str):
            raise ConfigProblem(f"secrets [editors]: {name!r} must be a hash string (`resettle hash-password`)")
        found[str(name).strip()] = stored.strip()
    found.update(parse_editors(environ.get(ENV_EDITORS, "")))
    for name, stored in found.items():
        try:
            check_hash(stored)
        except ValueError as exc:
            raise ConfigProblem(f"the password hash of editor {name!r} cannot be used ({exc}); make one with "
                                "`resettle hash-password`") from None
    return found


# ---------------------------------------------------------------- the editing mode

READ_ONLY, SIGN_IN, OPEN_LOCAL, CLOSED = "read_only", "sign_in", "open_local", "closed"
_PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-real-ip", "forwarded")


@dataclass(frozen=True)
class Access:
    """What the dashboard allows: `mode` is read_only, sign_in, open_local or closed; `why` says it in words."""

    mode: str
    why: str

    @property
    def editing(self) -> bool:
        """Import and undo exist at all (perhaps behind a sign-in)."""
        return self.mode in (SIGN_IN, OPEN_LOCAL)


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (a host name or a listening address, with or without port)."""
    if not host:
        return False
    host = host.strip()
    if host.startswith("["):  # [::1]:8501
        host = host[1:host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:  # 127.0.0.1:8501, localhost:8501
        host = host.split(":")[0]
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def only_local(address: str | None, headers: Mapping[str, str]) -> bool:
    """Nobody can reach this session over a network: the server listens on loopback only and the request
    came straight to it (a loopback Host, no proxy's forwarding headers); or there is no request at all
    (the page runs in-process, as under Streamlit's AppTest)."""
    lowered = {k.casefold(): v for k, v in headers.items()}
    if not lowered:
        return True
    if any(h in lowered for h in _PROXY_HEADERS):
        return False
    return is_loopback(address) and is_loopback(lowered.get("host"))


def access(*, read_only: bool, editors: Mapping[str, str], address: str | None,
           headers: Mapping[str, str]) -> Access:
    """The editing mode of a dashboard session (see the module's docstring)."""
    if read_only:
        return Access(READ_ONLY, "This dashboard is read-only (RESETTLE_READ_ONLY): nothing can be imported or undone.")
    if editors:
        return Access(SIGN_IN, "Importing and undoing need an editor's sign-in.")
    if only_local(address, headers):
        return Access(OPEN_LOCAL, "No editors are configured, and this dashboard can only be reached from this "
                                  "computer: anyone at it may import and undo, recorded as the local user. "
                                  "Configure editors (`resettle hash-password`) before others can reach it.")
    return Access(CLOSED, "No editors are configured and this dashboard can be reached over the network, so "
                          "importing and undoing are switched off. Make a password hash per editor with "
                          "`resettle hash-password` and put it in Streamlit secrets ([editors]) or "
                          "RESETTLE_EDITORS (see the README, 'Editors and the audit log').")


def local_editor(environ: Mapping[str, str] | None = None) -> str:
    """Who an edit is recorded as on an open local dashboard: $RESETTLE_EDITOR, else the user's login."""
    environ = os.environ if environ is None else environ
    name = (environ.get("RESETTLE_EDITOR") or environ.get("USER") or environ.get("USERNAME") or "").strip()
    return f"{name} (local, no sign-in)" if name else "local (no sign-in)"
