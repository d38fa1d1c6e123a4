"""Which column of a file holds which field: by field name, HXL hashtag, synonym, or the user's word."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from resettle.domain.errors import FileProblem, UsageError
from resettle.domain.records import Field, Kind
from resettle.domain.values import Suppressed, ValueProblem, is_missing, parse_count, parse_date
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
    samples: list[list[str]] | None = None,
    checks: list[str] | None = None,
) -> FieldColumns:
    """field -> column index (a tuple of indexes for `--map site=a+b`, whose values are joined).

    The user's --map wins, then the exact field name, then the HXL tag (the most specific match),
    then a synonym. With `samples` (each column's first values), a column found by a synonym is taken only
    when its values fit the field (numbers for a count, dates for a date, places for a site); a weak fit,
    and a column passed over, is said in `checks`. A required field with no column and no --set value is
    a FileProblem that lists the columns found and the closest names."""
    user_map = dict(user_map or {})
    set_values = dict(set_values or {})
    for f in list(user_map) + list(set_values):
        if f not in kind.names:
            raise UsageError(f"{kind.name} have no field {f!r}; the fields are {', '.join(kind.names)}")
    col_forms = [forms(c) for c in columns]
    norm_cols = [f[0] for f in col_forms]
    checks = checks if checks is not None else []

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
        indexes = _user_columns(f, col, columns, norm_cols, find_named, path, header_line)
        found[f] = indexes[0] if len(indexes) == 1 else tuple(indexes)
        taken.update(indexes)

    unfit: dict[str, list[tuple[int, str]]] = {}

    def claim(field: str, index: int, *, check_values: bool = False, named: str = "") -> bool:
        if field in found or field in set_values or index in taken:
            return False
        if check_values and samples is not None:
            fits, why = value_fit(kind.field(field), samples[index], named_for_it=bool(_SITE_WORDS & set(named.split())))
            if not fits:
                unfit.setdefault(field, []).append((index, why))
                return False
            if why:
                checks.append(f"check: {field} <- {columns[index]}, {why}")
        found[field] = index
        taken.add(index)
        return True

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
            if index is not None and index not in taken and claim(f.name, index, check_values=True,
                                                                  named=normalise_header(s)):
                break

    for f in kind.fields:  # the record's date still without a column: the one column named "... date ..."
        if f.name == "date" and f.name not in found and f.name not in set_values:
            dated = [i for i, fs in enumerate(col_forms) if i not in taken and any("date" in x.split() for x in fs)]
            if len(dated) == 1:
                claim(f.name, dated[0], check_values=True)

    for f, passed in unfit.items():
        if f in found or f in set_values:
            used = describe(columns, found[f]) if f in found else "--set"
            checks.extend(f"check: {f} <- {used}, not {columns[i]!r}, whose values are {why}" for i, why in passed)
        elif not kind.field(f).required:
            checks.extend(f"not used for {f}: {columns[i]!r}, whose values are {why}" for i, why in passed)

    missing = [f for f in kind.required if f not in found and f not in set_values]
    if missing:
        parts = []
        for f in missing:
            if f in unfit:
                parts.append(_unfit_message(kind, f, unfit[f], columns, samples, taken))
                continue
            close = _closest(kind, f, columns, col_forms, taken)
            hint = f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
            parts.append(f"{f}{hint}")
        listed = ", ".join(repr(c) for c in columns) or "none"
        problem = FileProblem(
            path,
            f"required column missing: {'; '.join(parts)}. Columns found: {listed}. "
            f"Name the column with --map FIELD=COLUMN or give one value with --set FIELD=VALUE.",
            line=header_line,
        )
        problem.found = found  # what was found, for the report to show with the error
        raise problem
    return found


def _user_columns(f: str, spec: str, columns: list[str], norm_cols: list[str], find, path: str,
                  header_line: int | None) -> list[int]:
    """The column(s) a `--map FIELD=SPEC` names: one column (a name holding "+" is one column when the file
    has it), columns joined by "+", each quoted where its name holds a "+" (`"Female 60+"+"Male 60+"`), or,
    unquoted, the one way of cutting SPEC at its "+" signs into names the file has."""
    index = find(spec)
    if index is not None:
        return [index]
    if '"' in spec or "'" in spec:
        parts = _quoted_parts(spec)
        if parts is None:
            raise FileProblem(path, f"--map {f}={spec}: unbalanced quotes; quote each column name whose name holds "
                              "a '+': --map 'age_60_plus=\"Female 60+\"+\"Male 60+\"'", line=header_line)
    else:
        cuts = _cuttings(spec, find)
        if len(cuts) == 1:
            return cuts[0]
        if len(cuts) > 1:
            shown = " or ".join(" + ".join(repr(columns[i]) for i in cut) for cut in cuts[:3])
            raise FileProblem(path, f"--map {f}={spec} can be read as {shown}; quote each column name: "
                              f"--map '{f}=\"A+\"+\"B\"'", line=header_line)
        parts = [p for p in spec.split("+") if p.strip()]
    indexes = [find(p) for p in parts]
    if parts and None not in indexes:
        return indexes
    missing = next((p for p, i in zip(parts, indexes, strict=True) if i is None), spec).strip()
    typed = {normalise_header(missing), normalise_header(spec)}
    candidates = [c for c in difflib.get_close_matches(normalise_header(missing), norm_cols, n=3, cutoff=0.5)
                  if c not in typed]  # never suggest the very name that was typed
    hint = ""
    if candidates:
        name = columns[norm_cols.index(candidates[0])]
        hint = f"; did you mean {name!r}?"
        if "+" in name:
            hint += (f" (a name holding '+' is quoted where columns are added: "
                     f"--map '{f}=\"{name}\"+\"...\"')")
    raise FileProblem(path, f"--map {f}={spec}: the file has no column {missing!r}{hint}", line=header_line)


_QUOTED = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([^+"']+))\s*""")


def _quoted_parts(spec: str) -> list[str] | None:
    """`"Female 60+"+"Male 60+"` -> the names between the quotes (unquoted names may stand between them);
    None when the quotes do not pair up."""
    parts, pos = [], 0
    while pos < len(spec):
        m = _QUOTED.match(spec, pos)
        if not m or m.end() == pos:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos < len(spec):
            if spec[pos] != "+":
                return None
            pos += 1
    return [p for p in parts if p.strip()]


def _cuttings(spec: str, find) -> list[list[int]]:
    """Every way of cutting `spec` at some of its "+" signs into names of the file's columns (two or more)."""
    plus = [i for i, c in enumerate(spec) if c == "+"]
    if len(plus) > 12:  # 4,096 ways: no real header needs more
        return []
    found = []
    for mask in range(1, 1 << len(plus)):
        bounds = [-1, *(p for b, p in enumerate(plus) if mask >> b & 1), len(spec)]
        pieces = [spec[a + 1:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        if any(not p.strip() for p in pieces):
            continue
        indexes = [find(p) for p in pieces]
        if None not in indexes and len(set(indexes)) == len(indexes):
            found.append(indexes)
    return found


_SHORT_CODE = re.compile(r"^[A-Za-z]{1,2}$")
_UPPER_CODE = re.compile(r"^[A-Z]{3}$")
_FIT_SHARE = 0.8  # a site column of codes: this share of its distinct values are one- or two-letter codes


# A column named with one of these words is meant for a site: short names there ("A", "B") are the camps'
# own names, to check rather than refuse. A generic "Location" of short codes is refused.
_SITE_WORDS = frozenset({"camp", "site", "settlement"})
_NUMBERISH = re.compile(r"^[-+(]?[\d.,\s' ]+\)?$")


def value_fit(f: Field, values: list[str], *, named_for_it: bool = False) -> tuple[bool, str | None]:
    """Whether a column's sample values fit field `f`, and a reason to check a weak fit (or, unfit, why not):
    numbers for a count, dates for a date, places (not one- or two-letter category codes) for a site.
    `named_for_it`: the column's name says it holds sites (Camp), so short codes there are only flagged."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return True, None
    shown = ", ".join(list(dict.fromkeys(present))[:3])
    if f.type in ("count", "date"):
        # Mostly words is another column; a typo among numbers is an error on its own line, later.
        test, what = (_is_count, "numbers") if f.type == "count" else (_is_date, "dates")
        wrong = [v for v in present if not test(v)]
        if 2 * len(wrong) > len(present):
            return False, f"not {what} ({', '.join(list(dict.fromkeys(wrong))[:3])})"
        return True, None
    if f.name in ("site", "name") and f.type == "text":
        distinct = list(dict.fromkeys(present))
        codes = sum(1 for v in distinct if _SHORT_CODE.match(v))
        if codes >= _FIT_SHARE * len(distinct):
            if named_for_it:
                return True, f"values {shown}: one- or two-letter codes"
            return False, f"one- or two-letter codes ({shown}), not places"
        if all(_UPPER_CODE.match(v) for v in distinct):
            return True, f"values {shown}: codes, not names"
    return True, None


def _is_count(raw: str) -> bool:
    """A number (a negative or a fraction is still a number: an error on its row, not a sign of the wrong
    column), or a suppressed count."""
    try:
        parse_count(raw)
    except Suppressed:
        return True
    except ValueProblem:
        return bool(_NUMBERISH.match(raw.strip()))
    return True


def _is_date(raw: str) -> bool:
    for order in ("dayfirst", "monthfirst"):
        try:
            parse_date(raw, order=order, fiscal_start=10)  # any start: only whether it reads as a date
            return True
        except ValueProblem:
            continue
    return False


def _unfit_message(kind: Kind, f: str, passed: list[tuple[int, str]], columns: list[str],
                   samples: list[list[str]] | None, taken: set[int]) -> str:
    """Why a required field has no column although one was named like it, and which columns could be it."""
    said = "; ".join(f"{columns[i]!r} holds {why}" for i, why in passed)
    others = []
    if samples is not None:
        rejected = {i for i, _ in passed}
        for i, values in enumerate(samples):
            if i in taken or i in rejected:
                continue
            fits, why = value_fit(kind.field(f), values)
            present = [v for v in values if not is_missing(v)]
            if fits and why is None and present and not all(_is_count(v) or _is_date(v) for v in present):
                others.append(repr(columns[i]))
    could = f"; it could be {' or '.join(others[:3])}" if others else ""
    return f"{f}: {said}{could}: say which with --map {f}=COLUMN"


def column_samples(rows: list[tuple[int, list[str]]], width: int, n: int = 200) -> list[list[str]]:
    """Each column's non-empty values in the first `n` rows, in file order."""
    out: list[list[str]] = [[] for _ in range(width)]
    for _, cells in rows[:n]:
        for i, cell in enumerate(cells[:width]):
            if cell.strip():
                out[i].append(cell.strip())
    return out


def shown_samples(samples: list[list[str]], where: int | tuple[int, ...], rows: list[tuple[int, list[str]]],
                  n: int = 3) -> list[str]:
    """The first `n` values a field reads, as written (several columns: joined with "+")."""
    if isinstance(where, int):
        return samples[where][:n]
    out = []
    for _, cells in rows:
        parts = [cells[i].strip() if i < len(cells) else "" for i in where]
        if any(parts):
            out.append("+".join(parts))
            if len(out) == n:
                break
    return out


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
