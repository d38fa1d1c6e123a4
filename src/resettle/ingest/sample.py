"""The bundled illustrative sample data (data/sample/): where it is and how to load it."""

from __future__ import annotations

import os
from pathlib import Path

from resettle.ingest import importer
from resettle.store import db

# Sites first, so that their details (country, coordinates) are there before records name them.
ORDER = ("sites", "population", "transfers", "medevacs", "incidents", "pledges")


def sample_dir() -> Path:
    """data/sample/ of this checkout (the package is installed from it in editable mode)."""
    env = os.environ.get("RESETTLE_SAMPLE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "data" / "sample"


def load(db_path: str | os.PathLike | None = None) -> list[importer.ImportReport]:
    """Import every sample file (an already loaded file adds nothing)."""
    folder = sample_dir()
    conn = db.connect(db_path)
    try:
        return [
            importer.import_file(None, kind, folder / f"{kind}.csv", importer.ImportOptions(editor="sample data"), conn=conn)
            for kind in ORDER
        ]
    finally:
        conn.close()
