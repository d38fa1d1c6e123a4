"""Editors' passwords (salted scrypt, constant-time comparison), where they are configured, the editing
mode of a dashboard, and `resettle hash-password`."""

from __future__ import annotations

import hashlib

import pytest
from conftest import run_cli

from resettle.store import auth

# Cheap parameters for tests that only need a valid line (the default costs about 0.1 s per hash).
FAST = {"n": 2**4, "r": 1, "p": 1}


def test_a_hash_is_salted_scrypt_and_verifies():
    line = auth.hash_password("correct horse")
    scheme, n, r, p, salt, key = line.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", auth.N, auth.R, auth.P)
    assert auth.verify_password("correct horse", line)
    assert not auth.verify_password("correct hors", line)
    assert not auth.verify_password("", line)
    again = auth.hash_password("correct horse")
    assert again != line and again.split("$")[4] != salt  # a fresh salt each time


def test_the_hash_is_scrypt_of_the_password_with_its_salt():
    import base64

    line = auth.hash_password("pw", salt=b"0123456789abcdef", **FAST)
    expected = hashlib.scrypt(b"pw", salt=b"0123456789abcdef", n=16, r=1, p=1, dklen=32)
    assert line == f"scrypt$16$1$1${base64.b64encode(b'0123456789abcdef').decode()}${base64.b64encode(expected).decode()}"


def test_comparison_is_constant_time(monkeypatch):
    calls = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    line = auth.hash_password("pw", **FAST)
    auth.verify_password("wrong", line)
    assert calls == [1]


@pytest.mark.parametrize("stored", [
    "", "plain-password", "scrypt$16$1$1$c2FsdA==", "bcrypt$16$1$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==",
    "scrypt$15$1$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # N not a power of 2
    "scrypt$4194304$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # N too big
    "scrypt$16$1$1$not base64!$AAAA",
])
def test_a_malformed_hash_never_verifies(stored):
    assert not auth.verify_password("anything", stored)
    with pytest.raises(ValueError):
        auth.check_hash(stored)


def test_authenticate_matches_name_and_password():
    editors = {"Field office Tirana": auth.hash_password("s3cret-pass", **FAST),
               "Amira": auth.hash_password("other-pass", **FAST)}
    assert auth.authenticate(editors, " field office tirana ", "s3cret-pass") == "Field office Tirana"
    assert auth.authenticate(editors, "Amira", "s3cret-pass") is None  # another editor's password
    assert auth.authenticate(editors, "Nobody", "s3cret-pass") is None
    assert auth.authenticate(editors, "", "") is None


def test_an_unknown_name_costs_a_hash_too(monkeypatch):
    editors = {"Amira": auth.hash_password("pw", **FAST)}
    auth._decoy()  # made once per process, on first use
    seen = []
    real = auth._scrypt
    monkeypatch.setattr(auth, "_scrypt", lambda *a: seen.append(a[0]) or real(*a))
    auth.authenticate(editors, "Nobody", "guess")
    assert seen == ["guess"]  # the decoy hash was computed, as for a wrong password


def test_editors_from_secrets_and_the_environment():
    a, b, c = (auth.hash_password(p, **FAST) for p in ("a-password", "b-password", "c-password"))
    found = auth.editors({"Amira": a, "Jon": b}, {"RESETTLE_EDITORS": f"Jon:{c}, UNHCR desk:{a}"})
    assert found == {"Amira": a, "Jon": c, "UNHCR desk": a}  # the environment wins for a name in both
    assert auth.editors(None, {}) == {}


@pytest.mark.parametrize("env", ["Amira", "Amira:not-a-hash", ":scrypt$16$1$1$AAAA$BBBB"])
def test_a_bad_editors_setting_names_the_problem_not_the_hash(env):
    with pytest.raises(auth.ConfigProblem) as caught:
        auth.editors(None, {"RESETTLE_EDITORS": env})
    assert "resettle hash-password" in str(caught.value)
    assert "not-a-hash" not in str(caught.value)


def test_a_secret_that_is_not_a_string_is_refused():
    with pytest.raises(auth.ConfigProblem, match="Amira"):
        auth.editors({"Amira": {"hash": "x"}}, {})


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("127.0.0.1:8501", True), ("localhost:8501", True), ("[::1]:8501", True), ("::1", True),
    ("127.1.2.3", True), ("0.0.0.0", False), ("", False), (None, False), ("10.0.0.5:8501", False),
    ("dashboard.example.org", False), ("localhost.example.org", False),
])
def test_loopback(host, local):
    assert auth.is_loopback(host) is local


def test_the_editing_mode():
    one = {"Amira": auth.hash_password("pw", **FAST)}
    direct = {"Host": "127.0.0.1:8501", "User-Agent": "x"}
    assert auth.access(read_only=True, editors=one, address="127.0.0.1", headers=direct).mode == auth.READ_ONLY
    assert auth.access(read_only=False, editors=one, address="0.0.0.0", headers=direct).mode == auth.SIGN_IN
    assert auth.access(read_only=False, editors={}, address="127.0.0.1", headers=direct).mode == auth.OPEN_LOCAL
    # Listening on every interface (Streamlit's default), or reached through a proxy: closed.
    assert auth.access(read_only=False, editors={}, address=None, headers=direct).mode == auth.CLOSED
    assert auth.access(read_only=False, editors={}, address="0.0.0.0", headers=direct).mode == auth.CLOSED
    proxied = {**direct, "X-Forwarded-For": "203.0.113.9"}
    assert auth.access(read_only=False, editors={}, address="127.0.0.1", headers=proxied).mode == auth.CLOSED
    public_host = {"Host": "dashboard.example.org"}
    assert auth.access(read_only=False, editors={}, address="127.0.0.1", headers=public_host).mode == auth.CLOSED
    # In-process (no HTTP request at all, as under AppTest): nobody on a network.
    assert auth.access(read_only=False, editors={}, address=None, headers={}).mode == auth.OPEN_LOCAL
    assert auth.Access(auth.SIGN_IN, "").editing and not auth.Access(auth.CLOSED, "").editing


def test_the_local_editor_name():
    assert auth.local_editor({"RESETTLE_EDITOR": "Amira"}) == "Amira (local, no sign-in)"
    assert auth.local_editor({"USER": "amira"}) == "amira (local, no sign-in)"
    assert auth.local_editor({}) == "local (no sign-in)"


# ---------------------------------------------------------------- resettle hash-password


def test_hash_password_reads_stdin_and_prints_a_line_that_verifies():
    result = run_cli("hash-password", "--stdin", input="a long passphrase\n")
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith("scrypt$") and auth.verify_password("a long passphrase", line)
    assert "a long passphrase" not in result.output


def test_hash_password_prompts_twice_and_hides_the_input():
    result = run_cli("hash-password", input="a long passphrase\na long passphrase\n")
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert auth.verify_password("a long passphrase", line)
    assert "a long passphrase" not in result.output  # hidden input is not echoed


def test_hash_password_with_a_name_prints_the_environment_form():
    result = run_cli("hash-password", "--stdin", "--name", "Amira", input="a long passphrase\n")
    assert result.exit_code == 0, result.output
    name, _, line = result.output.strip().rpartition(":")
    assert name == "Amira" and auth.editors(None, {"RESETTLE_EDITORS": result.output.strip()})["Amira"] == line


@pytest.mark.parametrize("given", ["", "short\n", "\n"])
def test_hash_password_refuses_an_empty_or_short_password(given):
    result = run_cli("hash-password", "--stdin", input=given)
    assert result.exit_code == 2
    assert "at least" in result.output and "Traceback" not in result.output
