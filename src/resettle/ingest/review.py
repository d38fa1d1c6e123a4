"""What an import would do, before anything is written: the proposed column mapping, a dry run with every
validation error, then the real import. The dashboard's Import page is a skin over these functions.

An upload is saved under its own file name in a temporary folder (so every message names the user's
file) and deleted afterwards.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pandas as pd

from resettle.domain.errors import ResettleError, RowError, ValidationFailed
from resettle.domain.records import KINDS, Kind
from resettle.ingest import importer, reading, wide
from resettle.ingest.mapping import column_samples, header_score, resolve_columns

# The dashboard's upload limit when Streamlit's server.maxUploadSize is not set (.streamlit/config.toml
# and `resettle serve` set it to this): a 50 MB CSV is about a million rows.
MAX_UPLOAD_MB = 50
_NAME_CHARS = 120
_NAME_BYTES = 200


def upload_name(name: str) -> str:
    """The file name an upload is saved under: its base name only (no folder, from either kind of slash),
    without control characters, at most 120 characters and 200 bytes (keeping the extension); "upload.csv" when
    nothing is left or only dots are. It never leaves the upload's temporary folder."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if not base.strip("."):
        return "upload.csv"
    if len(base) > _NAME_CHARS or len(base.encode("utf-8")) > _NAME_BYTES:
        stem, dot, suffix = base.rpartition(".")
        suffix = "." + suffix[:10] if dot and stem else ""
        stem = stem if suffix else base
        stem = stem[: _NAME_CHARS - len(suffix)]
        while len((stem + suffix).encode("utf-8")) > _NAME_BYTES:  # file systems count bytes (255 at most)
            stem = stem[:-1]
        base = stem.rstrip() + suffix
    return base


def upload_problem(name: str, size: int, limit_mb: float = MAX_UPLOAD_MB) -> str | None:
    """Why an upload of `size` bytes is refused before it is read (too big, empty), or None."""
    if size > limit_mb * 1024 * 1024:
        return (f"{upload_name(name)}: {size / 1_048_576:,.1f} MB is over the upload limit of {limit_mb:g} MB. "
                "Split the file, or import it on the command line (`resettle import`), which has no limit.")
    if size == 0:
        return f"{upload_name(name)}: the file is empty (0 bytes): nothing to import."
    return None


@contextmanager
def saved_upload(name: str, content: bytes) -> Iterator[Path]:
    """The uploaded bytes as a file named like the upload (`upload_name`), in a temporary folder removed
    afterwards."""
    with tempfile.TemporaryDirectory(prefix="resettle-upload-") as folder:
        path = Path(folder) / upload_name(name)
        path.write_bytes(content)
        yield path


@dataclass
class Proposal:
    """A file's columns and the column proposed for each field (None: no column found)."""

    kind: str
    columns: list[str]
    mapping: dict[str, str | None]
    guessed_kind: str | None
    notes: list[str]
    file: str = ""  # the file's name, as messages give it
    header_line: int | None = None  # the line of the header row (1 = the first)

    @property
    def key(self) -> str:
        """Short and stable for one file's columns and kind (widget keys of the mapping editor)."""
        return hashlib.sha1("\x1f".join([self.kind, *self.columns]).encode()).hexdigest()[:10]

    @property
    def missing(self) -> list[str]:
        """Required fields with no column."""
        return [f for f in KINDS[self.kind].required if not self.mapping.get(f)]


def _optional(kind: Kind) -> Kind:
    # The proposal must show what was found even when a required column is missing (the user is about
    # to pick it): resolve against the same fields, none of them required.
    return dataclasses.replace(kind, fields=tuple(dataclasses.replace(f, required=False) for f in kind.fields))


def _column_label(columns: list[str], index) -> str:
    if isinstance(index, int):
        return columns[index]
    return "+".join(columns[i] for i in index)  # several columns joined (mapping's `--map site=a+b`)


def propose(path: str | os.PathLike, kind_name: str, *, sheet: str | None = None,
            columns_are: str | None = None) -> Proposal:
    """Open the file and propose a column for each field of `kind_name` (by name, HXL tag or synonym); with
    `columns_are`, of the wide table read as a long one (wide.py). Raises FileProblem when the file cannot
    be read as a table, UsageError when the wide layout cannot apply."""
    kind = importer.check_kind(kind_name)
    table = reading.open_table(path, sheet=sheet, header_hint=header_score(kind))
    if columns_are:
        table = wide.long_table(kind, table, columns_are, {}, {}, skip_invalid=False).long
    # The same first rows the import looks at: a column is proposed only when its values fit the field.
    samples = column_samples(list(islice(table.rows, importer.SAMPLE_ROWS)), len(table.columns))
    checks: list[str] = []
    found = resolve_columns(_optional(kind), table.columns, table.hxl, path=table.name, header_line=table.header_line,
                            samples=samples, checks=checks)
    mapping = {f: (_column_label(table.columns, found[f]) if f in found else None) for f in kind.names}
    return Proposal(kind_name, list(table.columns), mapping, guess_kind(table.columns), [*checks, *table.notes],
                    file=Path(path).name, header_line=table.header_line)


def guess_kind(columns: list[str]) -> str | None:
    """The record kind whose field names and synonyms the columns match best (None on a tie or no match)."""
    scores = sorted(((header_score(k)(columns), name) for name, k in KINDS.items()), reverse=True)
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[0][0] == scores[1][0]):
        return None
    return scores[0][1]


def column_map(chosen: dict[str, str | None]) -> dict[str, str]:
    """The user's choice per field as ImportOptions.column_map (fields left without a column dropped)."""
    return {f: c for f, c in chosen.items() if c}


@dataclass
class Check:
    """The outcome of a dry run or an import: its report, or every row error, or a file problem.
    With a report, `errors` are the rows skipped (ImportOptions.skip_invalid); without, they stop it."""

    report: importer.ImportReport | None = None
    errors: list[RowError] = field(default_factory=list)
    total_errors: int = 0
    problem: str | None = None
    mapping_lines: list[str] = field(default_factory=list)  # the mapping found before the import stopped

    @property
    def importable(self) -> bool:
        """Something would be added or updated, and nothing stands in the way."""
        return (self.report is not None and self.problem is None and self.report.identical_to is None and (self.report.added + self.report.updated) > 0)


def errors_frame(errors: list[RowError]) -> pd.DataFrame:
    """Row errors as a table: line (as in the file), column, message."""
    return pd.DataFrame([(e.line, e.column, e.message) for e in errors], columns=["line", "column", "message"])


def _run(db_path, kind: str, path: Path, options: importer.ImportOptions) -> Check:
    try:
        report = importer.import_file(db_path, kind, path, options)
    except ValidationFailed as exc:
        return Check(errors=list(exc.errors), total_errors=exc.total, mapping_lines=list(exc.mapping_lines))
    except ResettleError as exc:  # FileProblem, UsageError: one message a person can act on
        # Name the user's file, not the temporary folder it was saved in.
        return Check(problem=str(exc).replace(f"{path.parent}{os.sep}", ""), mapping_lines=list(exc.mapping_lines))
    if options.skip_invalid and report.errors:
        return Check(report=report, errors=list(report.errors), total_errors=len(report.errors))
    return Check(report=report)


def check(db_path, kind: str, path: str | os.PathLike, options: importer.ImportOptions) -> Check:
    """A dry run: what the import would add, or every problem. Nothing is written."""
    return _run(db_path, kind, Path(path), dataclasses.replace(options, dry_run=True))


def commit(db_path, kind: str, path: str | os.PathLike, options: importer.ImportOptions) -> Check:
    """The import itself (all or nothing; invalid rows skipped only with options.skip_invalid)."""
    return _run(db_path, kind, Path(path), dataclasses.replace(options, dry_run=False))
