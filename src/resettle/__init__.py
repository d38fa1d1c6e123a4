"""resettle: track a camp's resettlement, with sources."""

__version__ = "0.1.0"
