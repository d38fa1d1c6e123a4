"""The bundled illustrative sample data (package data in sample_data/) and how to load it."""

from __future__ import annotations

import os
from importlib import resources

from resettle.ingest import importer
from resettle.store import db

# Sites first, so that their details (country, coordinates) are there before records name them.
ORDER = ("sites", "population", "transfers", "medevacs", "incidents", "pledges")


def load(db_path: str | os.PathLike | None = None) -> list[importer.ImportReport]:
    """Import every sample file (an already loaded file adds nothing)."""
    folder = resources.files("resettle.ingest") / "sample_data"
    conn = db.connect(db_path)
    try:
        reports = []
        for kind in ORDER:
            # The importer reads a file on disk; as_file gives one wherever the package lives (a zip too).
            with resources.as_file(folder / f"{kind}.csv") as path:
                options = importer.ImportOptions(editor="sample data")
                reports.append(importer.import_file(None, kind, path, options, conn=conn))
        return reports
    finally:
        conn.close()
