"""resettle: track a camp's resettlement, with sources.

The library a notebook uses, and the command line and the dashboard are built on::

    import resettle

    db = resettle.open_database("data/resettle.db")
    db.headline(sites=["Camp Liberty"], as_of="2015-12-31").residents
    db.page("relocation", sites=["Camp Liberty"]).per_month      # a DataFrame

`open_database` and `Database` (import, records added and corrected as change sets with `Correction`,
figures, pages, charts, exports), `Headline` and `View`, the
import's `ImportOptions` and `ImportReport`, and the errors a user can cause (`ResettleError` and its
kinds) are the public names: `__all__` lists them. Everything else is private by its module's place.
The names are loaded when first used, so `import resettle` (and the command line's start) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> the module that defines it
_PUBLIC = {
    "open_database": "resettle.api",
    "Database": "resettle.api",
    "Headline": "resettle.api",
    "View": "resettle.api",
    "chart_pages": "resettle.api",
    "Correction": "resettle.api",
    "ImportOptions": "resettle.ingest.importer",
    "ImportReport": "resettle.ingest.importer",
    "ResettleError": "resettle.domain.errors",
    "UsageError": "resettle.domain.errors",
    "FileProblem": "resettle.domain.errors",
    "ValidationFailed": "resettle.domain.errors",
    "RowError": "resettle.domain.errors",
}
__all__ = [
    "__version__", "open_database", "Database", "Headline", "View", "chart_pages", "ImportOptions",
    "ImportReport", "ResettleError", "UsageError", "FileProblem", "ValidationFailed", "RowError", "Correction",
]

if TYPE_CHECKING:
    from resettle.api import Correction, Database, Headline, View, chart_pages, open_database
    from resettle.domain.errors import FileProblem, ResettleError, RowError, UsageError, ValidationFailed
    from resettle.ingest.importer import ImportOptions, ImportReport


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'resettle' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
