"""Time as the records write it: every stamp of an import, undo, change or audit entry is UTC."""

from __future__ import annotations

import datetime as dt

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> dt.datetime:
    """Now in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def utc_timestamp(when: dt.datetime | None = None) -> str:
    """A UTC time as stored in the database and shown to people: 2016-09-09T14:02:11Z."""
    return (when or utc_now()).astimezone(dt.UTC).strftime(STAMP_FORMAT)
