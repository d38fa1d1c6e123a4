"""A consistent copy of the database while it is in use (SQLite's backup API), and its restore."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from resettle.domain.errors import UsageError
from resettle.store.db import BUSY_TIMEOUT_MS, require_writable
from resettle.store.files import write_atomically


def backup(src: str | os.PathLike, dest: str | os.PathLike, *, force: bool = False) -> Path:
    """Copy the database `src` to `dest` consistently, even while others read and import (SQLite's backup
    API copies one snapshot: every committed batch, nothing of one in progress). Refuses an existing
    `dest` unless `force`; an existing database is then overwritten through SQLite, safe while it is
    open elsewhere, which is how a backup is restored."""
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise UsageError(f"{src}: no database here" if not src.exists() else f"{src} is not a database file")
    if dest.is_dir():
        raise UsageError(f"{dest} is a folder: give the name of the backup file")
    if dest.exists() and src.resolve() == dest.resolve():
        raise UsageError(f"{dest} is the database itself: give another name for the backup")
    if dest.exists() and not force:
        raise UsageError(f"{dest} exists already: give a new name, or --force to overwrite it")
    source = sqlite3.connect(src.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        try:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{src} is not a database ({exc})") from None
        if dest.exists() and _is_database(dest):
            require_writable("overwriting a database")
            target = sqlite3.connect(dest, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                source.backup(target)
            except sqlite3.DatabaseError as exc:
                raise UsageError(f"cannot overwrite {dest}: {exc}") from None
            finally:
                target.close()
            return dest

        def copy(partial: Path) -> None:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            finally:
                target.close()

        return write_atomically(dest, copy)  # renamed once complete: never half a copy
    finally:
        source.close()


def _is_database(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return head in (b"", b"SQLite format 3\x00")
