"""One module per dashboard page, each with `PATH` (its page in the page registry, figures/registry.py)
and `page(view)`: what the page lays out, nothing it computes.

A new page is an entry in the registry and a module here; `bodies()` finds the module by its PATH.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable


@functools.cache
def bodies() -> dict[str, Callable]:
    """Each page module's `page` function, by the module's PATH."""
    found: dict[str, Callable] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found[module.PATH] = module.page
    return found
