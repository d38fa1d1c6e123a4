"""Which column of a file holds which field: by field name, HXL hashtag, synonym, or the user's word."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from .errors import FileProblem, UsageError
from .records import Kind


def normalise(name: str) -> str:
    """Header text compared ignoring case, surrounding spaces and punctuation: `Total ` = `total`,
    `Country of asylum (ISO)` = `country of asylum iso`, `host_country` = `host country`."""
    text = name.replace("\ufeff", "").casefold().replace("_", " ")
    text = re.sub(r"[^\w#+\s]", " ", text)
    return " ".join(text.split())


def _hxl_parts(tag: str) -> tuple[str, frozenset[str]]:
    bits = [b for b in tag.strip().casefold().split("+") if b]
    if not bits or not bits[0].startswith("#"):
        return "", frozenset()
    return bits[0], frozenset(b.split(":")[0] for b in bits[1:])


def _names(kind: Kind) -> dict[str, str]:
    """normalised name or synonym -> field."""
    names: dict[str, str] = {}
    for f in kind.fields:
        names.setdefault(normalise(f.name), f.name)
    for f in kind.fields:
        for s in f.synonyms:
            names.setdefault(normalise(s), f.name)
    return names


def header_score(kind: Kind):
    """A scorer for header detection: how many cells of a line are names this kind knows."""
    known = set(_names(kind))

    def score(cells: list[str]) -> int:
        return sum(1 for c in cells if normalise(c) in known)

    return score


def resolve_columns(
    kind: Kind,
    columns: list[str],
    hxl: list[str] | None = None,
    user_map: Mapping[str, str] | None = None,
    set_values: Mapping[str, str] | None = None,
    *,
    path: str = "",
    header_line: int | None = 1,
) -> dict[str, int]:
    """field -> column index. The user's --map wins, then the exact field name, then the HXL tag, then a
    synonym. A required field with no column and no --set value is a FileProblem that lists the columns
    found and the closest names."""
    user_map = dict(user_map or {})
    set_values = dict(set_values or {})
    for f in list(user_map) + list(set_values):
        if f not in kind.names:
            raise UsageError(f"{kind.name} have no field {f!r}; the fields are {', '.join(kind.names)}")
    norm_cols = [normalise(c) for c in columns]
    taken: set[int] = set()
    found: dict[str, int] = {}

    for f, col in user_map.items():
        want = normalise(col)
        if want not in norm_cols:
            close = difflib.get_close_matches(want, norm_cols, n=1, cutoff=0.5)
            hint = f"; did you mean {columns[norm_cols.index(close[0])]!r}?" if close else ""
            raise FileProblem(path, f"--map {f}={col}: the file has no column {col!r}{hint}", line=header_line)
        found[f] = norm_cols.index(want)
        taken.add(found[f])

    def claim(field: str, index: int) -> None:
        if field not in found and field not in set_values and index not in taken:
            found[field] = index
            taken.add(index)

    for f in kind.fields:  # exact names first
        if normalise(f.name) in norm_cols:
            claim(f.name, norm_cols.index(normalise(f.name)))
    if hxl:
        tags = [_hxl_parts(t) for t in hxl]
        for f in kind.fields:
            if not f.hxl or f.name in found:
                continue
            want_tag, want_attrs = _hxl_parts(f.hxl)
            # The column whose tag is the field's, with all its attributes; fewest extra attributes wins.
            best = [
                (len(attrs - want_attrs), i)
                for i, (tag, attrs) in enumerate(tags)
                if tag == want_tag and want_attrs <= attrs and i not in taken
            ]
            if best:
                claim(f.name, min(best)[1])
    for f in kind.fields:  # synonyms, in the order the field lists them
        for s in f.synonyms:
            if normalise(s) in norm_cols:
                claim(f.name, norm_cols.index(normalise(s)))
                break

    missing = [f for f in kind.required if f not in found and f not in set_values]
    if missing:
        parts = []
        for f in missing:
            field = kind.field(f)
            pool = [normalise(f), *map(normalise, field.synonyms)]
            close = sorted(
                {columns[i] for i, c in enumerate(norm_cols) for p in pool if difflib.SequenceMatcher(None, c, p).ratio() > 0.6}
            )
            hint = f" (closest: {', '.join(repr(c) for c in close[:3])})" if close else ""
            parts.append(f"{f}{hint}")
        listed = ", ".join(repr(c) for c in columns) or "none"
        raise FileProblem(
            path,
            f"required column missing: {'; '.join(parts)}. Columns found: {listed}. "
            f"Name the column with --map FIELD=COLUMN or give one value with --set FIELD=VALUE.",
            line=header_line,
        )
    return found
