"""Text on the page: data, file and link text made inert in Streamlit's markdown, and numbers as the
page writes them. Imports nothing of the ui, so every ui module may use it."""

from __future__ import annotations

import re

_MARKDOWN_ACTIVE = re.compile(r"([\\\[\]<>$])")


def plain(text) -> str:
    """Text from the data, a file or a link, made inert in Streamlit's markdown: without [ ] < > $ (and the
    backslash) it can make no link, no image (a site named ![x](http://...) would have every viewer's
    browser fetch that address), no autolink and no formula. Emphasis and line breaks stay as they are."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", str(text))


def people(value) -> str:
    """A people count as the page writes it: 1,234; a dash when unknown; a suppressed one as it is ("<5")."""
    if isinstance(value, str):
        return value
    return "–" if value is None else f"{int(value):,}"


def percent(value) -> str:
    return "–" if value is None else f"{value:.1f} %"
