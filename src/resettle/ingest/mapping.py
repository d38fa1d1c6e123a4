"""Which column of a file holds which field: by field name, HXL hashtag, synonym, or the user's word."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from resettle.domain.errors import FileProblem, UsageError
from resettle.domain.records import Kind
from resettle.ingest.reading import MULTI_ROW_JOIN, normalise_header

# Where each field is read: field -> the index of its column, or the indexes of several columns joined with
# "+" in a --map (their values are joined with " / ").
FieldColumns = dict[str, int | tuple[int, ...]]
JOIN = " / "

# HXL attributes that give a column a role of its own (a breakdown, another place or date, another
# count): a field whose hashtag lacks the attribute does not take such a column. `#affected+idps+f`
# is the female IDPs, not the IDPs; `#loc+dest+name` is where people went, not the camp.
_ROLE_ATTRIBUTES = frozenset({
    "f", "m", "female", "male", "children", "adults", "elderly", "infants", "dest", "origin", "killed", "injured",
    "wounded", "dead", "hostages", "abducted", "patients", "requested", "start", "end", "num", "count",
    "hh", "households",  # households, not people
})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def forms(name: str) -> tuple[str, ...]:
    """The ways a header can match a name: as written; with camelCase split (`reportingDate` is also
    `reporting date`); with a "#" or "No." for "number" read both ways (`# IDP Individuals` is also
    `number of idp individuals` and `idp individuals`)."""
    out = [normalise_header(name), normalise_header(_CAMEL.sub(" ", name))]
    for text in list(out):
        words = text.split()
        if words[:1] in (["#"], ["no"], ["nb"], ["num"]) and len(words) > 1:
            rest = words[2:] if words[1] == "of" else words[1:]
            out += [" ".join(["number", "of", *rest]), " ".join(rest)]
    return tuple(dict.fromkeys([out[0], *(f for f in out[1:] if f)]))  # the plain form, even when empty


def _hxl_parts(tag: str) -> tuple[str, frozenset[str]]:
    bits = [b for b in tag.strip().casefold().split("+") if b]
    if not bits or not bits[0].startswith("#"):
        return "", frozenset()
    return bits[0], frozenset(b.split(":")[0] for b in bits[1:])


def _is_role(attribute: str) -> bool:
    return attribute in _ROLE_ATTRIBUTES or attribute.startswith("age")


def _names(kind: Kind) -> dict[str, str]:
    """normalised name or synonym -> field."""
    names: dict[str, str] = {}
    for f in kind.fields:
        names.setdefault(normalise_header(f.name), f.name)
    for f in kind.fields:
        for s in f.synonyms:
            names.setdefault(normalise_header(s), f.name)
    return names


def header_score(kind: Kind):
    """A scorer for header detection: how many cells of a line are names this kind knows."""
    known = set(_names(kind))

    def score(cells: list[str]) -> int:
        return sum(1 for c in cells if any(form in known for form in forms(c)))

    return score


def describe(columns: list[str], where: int | tuple[int, ...]) -> str:
    """The column name(s) a field was read from, as the report shows them."""
    if isinstance(where, tuple):
        return " + ".join(columns[i] for i in where)
    return columns[where]


def labels(kind: Kind, columns: list[str], found: FieldColumns, set_values: Mapping[str, str]) -> dict[str, str]:
    """field -> where its values come from, as the report and its errors name it: the column(s), or
    `= 'value'` for a --set value; in the kind's field order."""
    out = {f: describe(columns, found[f]) for f in kind.names if f in found}
    out.update({f: f"= {v!r}" for f, v in set_values.items()})
    return {f: out[f] for f in kind.names if f in out}


def resolve_columns(
    kind: Kind,
    columns: list[str],
    hxl: list[str] | None = None,
    user_map: Mapping[str, str] | None = None,
    set_values: Mapping[str, str] | None = None,
    *,
    path: str = "",
    header_line: int | None = 1,
) -> FieldColumns:
    """field -> column index (a tuple of indexes for `--map site=a+b`, whose values are joined).

    The user's --map wins, then the exact field name, then the HXL tag (the most specific match),
    then a synonym. A required field with no column and no --set value is a FileProblem that lists the
    columns found and the closest names."""
    user_map = dict(user_map or {})
    set_values = dict(set_values or {})
    for f in list(user_map) + list(set_values):
        if f not in kind.names:
            raise UsageError(f"{kind.name} have no field {f!r}; the fields are {', '.join(kind.names)}")
    col_forms = [forms(c) for c in columns]
    norm_cols = [f[0] for f in col_forms]

    def find(name: str) -> int | None:
        want = normalise_header(name)
        for i, fs in enumerate(col_forms):
            if want in fs:
                return i
        return None

    taken: set[int] = set()
    found: FieldColumns = {}

    # The lower part of a name joined from a header over two lines ("FY Total / to the U.S."): a --map may
    # name it alone where no other column has it.
    lower_parts = [normalise_header(c.rsplit(MULTI_ROW_JOIN, 1)[1]) if MULTI_ROW_JOIN in c else None for c in columns]

    def find_named(name: str) -> int | None:
        index = find(name)
        if index is not None:
            return index
        want = normalise_header(name)
        matches = [i for i, part in enumerate(lower_parts) if part and part == want]
        if len(matches) > 1:
            listed = ", ".join(repr(columns[i]) for i in matches)
            raise FileProblem(path, f"--map: {name.strip()!r} is the lower part of {len(matches)} columns ({listed}); "
                              "name one in full", line=header_line)
        return matches[0] if matches else None

    for f, col in user_map.items():
        index = find_named(col)
        if index is not None:
            found[f] = index
            taken.add(index)
            continue
        parts = [p for p in col.split("+") if p.strip()]
        indexes = [find_named(p) for p in parts]
        if len(parts) > 1 and None not in indexes:
            found[f] = tuple(indexes)
            taken.update(indexes)
            continue
        missing = next((p for p, i in zip(parts, indexes, strict=True) if i is None), col) if len(parts) > 1 else col
        close = difflib.get_close_matches(normalise_header(missing), norm_cols, n=1, cutoff=0.5)
        hint = f"; did you mean {columns[norm_cols.index(close[0])]!r}?" if close else ""
        raise FileProblem(path, f"--map {f}={col}: the file has no column {missing.strip()!r}{hint}", line=header_line)

    def claim(field: str, index: int) -> None:
        if field not in found and field not in set_values and index not in taken:
            found[field] = index
            taken.add(index)

    for f in kind.fields:  # exact names first
        index = find(f.name)
        if index is not None:
            claim(f.name, index)
    if hxl:
        _claim_hxl(kind, [_hxl_parts(t) for t in hxl], found, set_values, taken, claim)
    for f in kind.fields:  # synonyms, in the order the field lists them
        if f.name in found:
            continue
        for s in f.synonyms:
            index = find(s)
            if index is not None and index not in taken:
                claim(f.name, index)
                break

    for f in kind.fields:  # the record's date still without a column: the one column named "... date ..."
        if f.name == "date" and f.name not in found and f.name not in set_values:
            dated = [i for i, fs in enumerate(col_forms) if i not in taken and any("date" in x.split() for x in fs)]
            if len(dated) == 1:
                claim(f.name, dated[0])

    missing = [f for f in kind.required if f not in found and f not in set_values]
    if missing:
        parts = []
        for f in missing:
            close = _closest(kind, f, columns, col_forms, taken)
            hint = f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
            parts.append(f"{f}{hint}")
        listed = ", ".join(repr(c) for c in columns) or "none"
        raise FileProblem(
            path,
            f"required column missing: {'; '.join(parts)}. Columns found: {listed}. "
            f"Name the column with --map FIELD=COLUMN or give one value with --set FIELD=VALUE.",
            line=header_line,
        )
    return found


def _claim_hxl(kind: Kind, tags, found, set_values, taken, claim) -> None:
    """Give each field the column whose hashtag it matches best: fewest attributes beyond the field's
    tag first, then the field's more usual tag, then the field listed first. A column whose extra
    attributes give it another role (`+f`, `+dest`, `+killed`) is never taken."""
    candidates = []
    for fi, f in enumerate(kind.fields):
        if f.name in found or f.name in set_values:
            continue
        for ti, wanted in enumerate(f.hxl):
            want_tag, want_attrs = _hxl_parts(wanted)
            for i, (tag, attrs) in enumerate(tags):
                if i in taken or tag != want_tag or not want_attrs <= attrs:
                    continue
                extra = attrs - want_attrs
                if any(_is_role(a) for a in extra):
                    continue
                candidates.append((len(extra), ti, fi, i, f.name))
    for *_, i, name in sorted(candidates):
        claim(name, i)


def _closest(kind: Kind, field: str, columns: list[str], col_forms, taken: set[int]) -> list[str]:
    """Up to three columns, not taken by another field, whose names come closest to the field's name or
    synonyms."""
    f = kind.field(field)
    pool = [normalise_header(field), *map(normalise_header, f.synonyms)]
    scored = []
    for i, fs in enumerate(col_forms):
        best = 0.0
        for form in fs:
            words = set(form.split())
            for p in pool:
                ratio = difflib.SequenceMatcher(None, form, p).ratio()
                if p in words or (" " in p and f" {p} " in f" {form} "):
                    ratio = max(ratio, 0.8)  # the name is a word of the column ("date" in "reporting date")
                best = max(best, ratio)
        if best > 0.6 and i not in taken:
            scored.append((-best, i))
    return [columns[i] for _, i in sorted(scored)[:3]]
