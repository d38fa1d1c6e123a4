"""Country names, codes and UNHCR spellings to ISO 3166-1 alpha-3.

Countries are stored as alpha-3 codes (DOMAIN.md); the files we import spell them every which way:
"Iran (Islamic Rep. of)", "Congo, Dem. Rep.", "Côte d’Ivoire", "UK", "008". `to_iso3` maps them all
through one table built once from pycountry and the alias table below, keyed by `normalise(text)`, so
the importer can call it once per distinct value of a column without thinking about cost.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from functools import cache, lru_cache

import pycountry

from resettle.domain import values
from resettle.domain.errors import ResettleError

__all__ = [
    "ALIASES",
    "AMBIGUOUS",
    "HISTORIC_SUCCESSORS",
    "MISSING",
    "UnknownCountry",
    "country_name",
    "names_no_country",
    "normalise",
    "suggest",
    "to_iso3",
]

# Codes outside ISO 3166-1 that UNHCR and others use: Kosovo (user-assigned, also the World Bank's),
# and stateless persons (ICAO Doc 9303, used by UNHCR for the country of origin).
EXTRA_COUNTRIES: dict[str, tuple[str, str]] = {  # alpha-3: (alpha-2, display name)
    "XKX": ("XK", "Kosovo"),
    "XXA": ("", "Stateless"),
}

# Names pycountry does not know: short, former, World Bank and UNHCR forms. Each names exactly one
# present-day country; names that could mean several countries belong in AMBIGUOUS instead.
ALIASES: dict[str, tuple[str, ...]] = {
    "ARE": ("UAE", "U.A.E.", "Emirates"),
    "BFA": ("Burkina Faso (UVolta)", "Burkina Faso (Upper Volta)"),  # the US State Department's arrival reports
    "BHS": ("Bahamas, The", "The Bahamas"),
    "BIH": ("Bosnia", "Bosnia-Herzegovina"),
    "BOL": ("Bolivia (Plurinational State of)", "Bolivia"),
    "BRN": ("Brunei",),
    "CAF": ("Central African Rep.",),
    "CHN": ("China, People's Republic", "China, People's Republic of", "People's Republic of China", "PRC"),
    "CIV": ("Ivory Coast", "Cote d'Ivoire", "Côte d’Ivoire"),
    "COD": (
        "DRC",
        "DR Congo",
        "D.R. Congo",
        "Congo DR",
        "Dem. Rep. Congo",
        "Dem. Rep. of the Congo",
        "Congo, Dem. Rep.",
        "Congo, Democratic Republic of the",
        "Democratic Republic of Congo",
        "Democratic Republic of the Congo",
        "Congo (Kinshasa)",
        "Congo-Kinshasa",
        "Zaire",
    ),
    "COG": (
        "Congo",
        "Congo, Rep.",
        "Rep. of the Congo",
        "Republic of Congo",
        "Congo Republic",
        "Congo (Brazzaville)",
        "Congo-Brazzaville",
    ),
    "CPV": ("Cape Verde",),
    "CZE": ("Czech Republic", "Czech Rep."),
    "DEU": ("West Germany", "East Germany"),
    "EGY": ("Egypt, Arab Rep.", "Arab Republic of Egypt"),
    "FSM": ("Micronesia (Federated States of)", "Micronesia (Fed. States of)", "Micronesia", "Micronesia, Fed. Sts."),
    "GBR": (
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ),
    "GMB": ("Gambia, The", "The Gambia", "Gambia (Republic of The)", "Republic of The Gambia"),
    "HKG": ("Hong Kong SAR, China", "China, Hong Kong SAR", "Hong Kong SAR", "Hong Kong, China"),
    "IRN": (
        "Iran (Islamic Rep. of)",
        "Iran (Islamic Republic of)",
        "Iran, Islamic Rep.",
        "Islamic Republic of Iran",
        "Persia",
    ),
    "KGZ": ("Kyrgyz Republic", "Kyrgyz Rep."),
    "KNA": ("St. Kitts and Nevis", "St Kitts & Nevis", "St. Kitts-Nevis"),
    "KOR": ("South Korea", "Korea, South", "Korea South", "Rep. of Korea", "Korea, Rep.", "Korea Republic",
            "Korea, Republic of South", "Korea, South Republic of"),  # the last two: US State Department
    "LAO": ("Laos", "Lao People's Dem. Rep.", "Lao PDR", "Lao P.D.R."),
    "LBY": ("Libyan Arab Jamahiriya",),
    "LCA": ("St. Lucia",),
    "LKA": ("Sri Lanka (Ceylon)", "Ceylon"),
    "MAC": ("Macao SAR, China", "China, Macao SAR", "Macao SAR", "Macau", "Macao, China"),
    "MAF": ("St. Martin (French part)",),
    "MDA": ("Rep. of Moldova", "Moldova"),
    "MKD": (
        "Macedonia",
        "The former Yugoslav Republic of Macedonia",
        "Macedonia, The Former Yugoslav Republic of",
        "FYR Macedonia",
        "Macedonia, FYR",
        "FYROM",
        "Republic of Macedonia",
        "North Macedonia",
    ),
    "MMR": ("Burma", "Myanmar (Burma)", "Burma (Myanmar)"),
    "BES": ("Bonaire", "Caribbean Netherlands", "Bonaire, Saint Eustatius and Saba"),
    "SSD": ("Sudan, South", "Republic of South Sudan"),
    "NLD": ("Holland", "Netherlands (Kingdom of the)"),
    "PRK": (
        "North Korea",
        "Korea, North",
        "Korea North",
        "Korea, Dem. People's Rep.",
        "Korea, Democratic People's Republic",
        "Dem. People's Rep. of Korea",
        "DPR Korea",
        "DPRK",
        "Korea, Democratic People's Republic of North",  # US State Department
        "Korea, North Democratic People's Republic of",
    ),
    "PSE": (
        "Palestinian",
        "Palestine",
        "State of Palestine",
        "Occupied Palestinian Territory",
        "Occupied Palestinian Territories",
        "Palestinian Territories",
        "West Bank and Gaza",
        "West Bank",
        "Gaza",
    ),
    "RUS": ("Russia", "Russian Fed."),
    "SHN": ("Saint Helena", "St. Helena"),
    "SPM": ("St. Pierre and Miquelon",),
    "SRB": (
        "Serbia and Kosovo: S/RES/1244 (1999)",
        "Serbia and Kosovo (S/RES/1244 (1999))",
        "Serbia and Kosovo",
        "Serbia (and Kosovo: S/RES/1244 (1999))",
    ),
    "SVK": ("Slovak Republic", "Slovak Rep."),
    "SWZ": ("Swaziland", "Kingdom of Swaziland"),
    "SYR": ("Syrian Arab Rep.", "Syrian Arab Republic", "Syria"),
    "TLS": ("East Timor", "Timor Leste"),
    "TUR": ("Turkey", "Türkiye", "Turkiye"),
    "TWN": ("Chinese Taipei",),
    "TZA": ("United Rep. of Tanzania", "Tanzania"),
    "USA": ("USA", "U.S.", "U.S.A.", "United States of America", "America"),
    "VAT": ("Vatican", "Vatican City", "Holy See"),
    "VCT": ("St. Vincent and the Grenadines",),
    "VEN": (
        "Venezuela (Bolivarian Republic of)",
        "Venezuela (Bolivarian Rep. of)",
        "Venezuela, RB",
        "Venezuela",
    ),
    "VGB": ("British Virgin Islands",),
    "VIR": ("US Virgin Islands", "U.S. Virgin Islands"),
    "VNM": ("Viet Nam", "Vietnam"),
    "XKX": ("Kosovo", "Republic of Kosovo", "Kosovo (S/RES/1244 (1999))", "Kosovo: S/RES/1244 (1999)",
            "Kosovo (UNSCR 1244)"),
    "XXA": ("Stateless", "Stateless persons"),
    "YEM": ("Yemen, Rep.", "Republic of Yemen"),
}

# pycountry's historic countries (its alpha-3) and the present-day countries that cover their land.
# One successor: the old name maps to it (Burma -> MMR, Zaire -> COD). Several: the name is refused
# with the list, because a "Yugoslav" or "Soviet" origin says nothing about which state today.
# Historic *codes* are not accepted: "BUR" or "ZAR" is likelier a typo (or a currency) than a country.
HISTORIC_SUCCESSORS: dict[str, tuple[str, ...]] = {
    "AFI": ("DJI",),
    "ANT": ("CUW", "SXM", "BES"),
    "ATB": ("ATA",),
    "ATF": ("ATF", "ATA"),
    "ATN": ("ATA",),
    "BUR": ("MMR",),
    "BYS": ("BLR",),
    "CSK": ("CZE", "SVK"),
    "CTE": ("KIR",),
    "DDR": ("DEU",),
    "DHY": ("BEN",),
    "FXX": ("FRA",),
    "GEL": ("KIR", "TUV"),
    "HVO": ("BFA",),
    "JTN": ("UMI",),
    "MID": ("UMI",),
    "NHB": ("VUT",),
    "NTZ": ("IRQ", "SAU"),
    "PCI": ("FSM", "MHL", "MNP", "PLW"),
    "PCZ": ("PAN",),
    "PUS": ("UMI",),
    "RHO": ("ZWE",),
    "SCG": ("SRB", "MNE", "XKX"),
    "SKM": ("IND",),
    "SUN": (
        "RUS",
        "UKR",
        "BLR",
        "MDA",
        "GEO",
        "ARM",
        "AZE",
        "KAZ",
        "KGZ",
        "TJK",
        "TKM",
        "UZB",
        "EST",
        "LVA",
        "LTU",
    ),
    "TMP": ("TLS",),
    "VDR": ("VNM",),
    "WAK": ("UMI",),
    "YMD": ("YEM",),
    "YUG": ("SRB", "HRV", "BIH", "SVN", "MKD", "MNE", "XKX"),
    "ZAR": ("COD",),
}

# Other names of historic countries (pycountry spells them "USSR, Union of ...").
HISTORIC_ALIASES: dict[str, tuple[str, ...]] = {
    "SUN": ("Soviet Union", "USSR"),
    "YUG": ("Yugoslavia", "Federal Republic of Yugoslavia", "Socialist Federal Republic of Yugoslavia"),
    "CSK": ("Czechoslovakia",),
    "BYS": ("Byelorussian SSR", "Byelorussia", "Belorussia"),
    "PCI": ("Trust Territory of the Pacific Islands",),
}

# Names that fit more than one present-day country. The first is the suggestion.
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "Korea": ("KOR", "PRK"),
    "Virgin Islands": ("VGB", "VIR"),
}

# Short English names for display where pycountry's is long or inverted ("Korea, Republic of").
DISPLAY_NAMES: dict[str, str] = {
    "BOL": "Bolivia",
    "BRN": "Brunei",
    "COD": "DR Congo",
    "FLK": "Falkland Islands",
    "FSM": "Micronesia",
    "HKG": "Hong Kong",
    "IRN": "Iran",
    "KOR": "South Korea",
    "LAO": "Laos",
    "MAC": "Macao",
    "MAF": "Saint Martin",
    "MDA": "Moldova",
    "PRK": "North Korea",
    "PSE": "Palestine",
    "RUS": "Russia",
    "SHN": "Saint Helena",
    "SXM": "Sint Maarten",
    "SYR": "Syria",
    "TWN": "Taiwan",
    "TZA": "Tanzania",
    "VAT": "Vatican City",
    "VEN": "Venezuela",
    "VGB": "British Virgin Islands",
    "VIR": "US Virgin Islands",
    "VNM": "Vietnam",
}

# Abbreviations expanded word by word when normalising ("St. Lucia", "Central African Rep.").
_ABBREVIATIONS = {"st": "saint", "rep": "republic", "dem": "democratic"}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"'s\b")
_SUGGEST_CUTOFF = 0.75  # "Albnia", "Germny", "Untied Kingdom" pass; "Tibetan" finds nothing


class UnknownCountry(ResettleError, ValueError):
    """A value that names no country we know, or more than one.

    `value` is the text given; `suggestion` the ISO3 of the closest known name, or None;
    `candidates` the countries an ambiguous or former name could mean (empty otherwise).
    """

    def __init__(self, value: str, suggestion: str | None = None, candidates: tuple[str, ...] = ()):
        self.value = value
        self.suggestion = suggestion
        self.candidates = candidates
        super().__init__(self._message())

    def _message(self) -> str:
        names = [f"{country_name(c)} ({c})" for c in self.candidates]
        named = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
        if self.candidates and self.suggestion is None:
            return f"'{self.value}' no longer exists as a country; give the present-day country: {named}."
        if self.candidates:
            return f"'{self.value}' could mean {named}; give the full name or the code."
        if self.suggestion:
            return (
                f"'{self.value}' is not a country I know; "
                f"did you mean {country_name(self.suggestion)} ({self.suggestion})?"
            )
        return (
            f"'{self.value}' is not a country I know; "
            "give an ISO 3166 code (ALB or AL) or the country's English name."
        )

    def __reduce__(self):  # keep the exception picklable (multiprocessing, caches)
        return (type(self), (self.value, self.suggestion, self.candidates))


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """The lookup form of a name: casefolded, unaccented, "&" as "and", punctuation as spaces,
    "St."/"Rep."/"Dem." spelled out, no leading "the" ("Côte d’Ivoire" -> "cote d ivoire")."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _POSSESSIVE.sub("s", text.replace("&", " and "))  # "People's" and "Peoples" alike
    words: list[str] = []
    letters = ""  # a run of single letters: "U.S.A." is "usa", "N/A" is "na"; "d'Ivoire" keeps its d
    for word in [*_WORD.findall(text), ""]:  # the empty word ends the last run
        if len(word) == 1 and word.isalpha():
            letters += word
            continue
        if letters:
            words.append(letters)
            letters = ""
        if word:
            words.append(_ABBREVIATIONS.get(word, word))
    if words and words[0] == "the":
        words = words[1:]
    if len(words) > 1 and words[-1] == "the":  # "Gambia, The"
        words = words[:-1]
    return " ".join(words)


# Values that mean "not known" rather than a country, in normalised form: the missing-value markers
# (values.MISSING: "N/A" becomes "na", "--" becomes "") and the origins that are no country (UNHCR's
# "Various/unknown"). Note that "NA" is missing, not Namibia (give NAM or Namibia), which is also how pandas
# reads it.
_NO_COUNTRY = ("various", "various unknown", "unknown origin")
MISSING = frozenset({normalise(m) for m in values.MISSING} | set(_NO_COUNTRY))


def names_no_country(text: str | None) -> bool:
    """True for an origin that is no country ("Various/unknown", "Unknown origin"): to_iso3 gives None for it,
    like a missing value, but an import says how many rows it met."""
    return text is not None and normalise(str(text).strip()) in _NO_COUNTRY


def to_iso3(text: str) -> str | None:
    """The ISO 3166-1 alpha-3 code of a country code, name or UNHCR spelling; None for a missing value.

    Raises UnknownCountry (with a suggestion where one is close) for anything else.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    raw = str(text).strip()
    key = normalise(raw)
    if key in MISSING:
        return None
    code = _code(raw)
    if code:
        return code
    names = _names()
    if key in names:
        return names[key]
    if "/" in raw:  # "Burma/Myanmar": two names of one country
        parts = {_known(p) for p in raw.split("/")}
        if len(parts) == 1 and None not in parts:
            return parts.pop()
    if key in _ambiguous():
        candidates = _ambiguous()[key]
        raise UnknownCountry(str(text), candidates[0], candidates)
    if key in _dissolved():
        raise UnknownCountry(str(text), None, _dissolved()[key])
    raise UnknownCountry(str(text), suggest(raw))


def _known(text: str) -> str | None:
    """The ISO3 of a code or a name we know exactly; None otherwise."""
    raw = text.strip()
    return _code(raw) or _names().get(normalise(raw)) if raw else None


def country_name(iso3: str) -> str:
    """A short English name for display ("Iran", "United Kingdom", "DR Congo"); the code if unknown."""
    code = str(iso3).strip().upper()
    return _display_names().get(code, str(iso3))


def picker() -> list[tuple[str, str]]:
    """(ISO3, short English name) of every known country, sorted by name: the choices of a form's country field."""
    return sorted(_display_names().items(), key=lambda item: normalise(item[1]))


@lru_cache(maxsize=8192)
def suggest(text: str) -> str | None:
    """The ISO3 of the known name closest to `text` (difflib), or None when nothing is close."""
    raw = str(text).strip()
    key = normalise(raw)
    if key in MISSING:
        return None
    exact = _code(raw) or _names().get(key)
    if exact:
        return exact
    if key in _ambiguous():
        return _ambiguous()[key][0]
    if key in _dissolved():
        return None
    names = _names()
    bare = re.sub(r"\s*\([^)]*\)", "", raw).strip()  # "Gambia (Rep. of)": the name before its qualifier
    if bare != raw and _known(bare):
        return _known(bare)
    close = difflib.get_close_matches(key, _suggestible(), n=1, cutoff=_SUGGEST_CUTOFF)
    return names[close[0]] if close else None


def _code(raw: str) -> str | None:
    """The ISO3 of an alpha-3, alpha-2 (any case) or numeric code, or None if `raw` is not one."""
    if raw.isascii() and raw.isalpha() and len(raw) in (2, 3):
        return _codes().get(raw.upper())
    if raw.isascii() and raw.isdigit() and len(raw) <= 3:
        return _codes().get(raw.zfill(3))
    return None


@cache
def _codes() -> dict[str, str]:
    codes: dict[str, str] = {}
    for country in pycountry.countries:
        codes[country.alpha_3] = country.alpha_3
        codes[country.alpha_2] = country.alpha_3
        codes[country.numeric] = country.alpha_3
    for alpha_3, (alpha_2, _name) in EXTRA_COUNTRIES.items():
        codes[alpha_3] = alpha_3
        if alpha_2:
            codes[alpha_2] = alpha_3
    codes["UK"] = "GBR"  # not ISO (that is GB), but what everyone writes
    return codes


def _variants(name: str) -> list[str]:
    """A pycountry name and the forms people derive from it: "Korea, Republic of" also gives
    "Republic of Korea" and "Korea, Republic"; "Holy See (Vatican City State)" also gives "Holy See"."""
    forms = [name]
    bare = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if bare != name:
        forms.append(bare)
    if ", " in name:
        head, tail = name.split(", ", 1)
        forms.append(f"{tail} {head}")
        for suffix in (" of the", " of"):
            if tail.endswith(suffix):
                forms.append(f"{head}, {tail.removesuffix(suffix)}")
                break
    return forms


@cache
def _names() -> dict[str, str]:
    """Normalised name -> ISO3. Later sources only fill gaps; the alias table has the last word."""
    names: dict[str, str] = {}

    def add(name: str, iso3: str, *, override: bool = False) -> None:
        key = normalise(name)
        if key and (override or key not in names):
            names[key] = iso3

    for field in ("name", "official_name", "common_name"):
        for country in pycountry.countries:
            value = getattr(country, field, None)
            if value:
                for form in _variants(value):
                    add(form, country.alpha_3)
    for old in pycountry.historic_countries:
        successors = HISTORIC_SUCCESSORS.get(old.alpha_3, ())
        if len(successors) == 1:
            for form in _historic_forms(old.name):
                add(form, successors[0])
    for code, aliases in HISTORIC_ALIASES.items():
        successors = HISTORIC_SUCCESSORS[code]
        if len(successors) == 1:
            for alias in aliases:
                add(alias, successors[0])
    for iso3, (_alpha_2, name) in EXTRA_COUNTRIES.items():
        add(name, iso3)
    for iso3, aliases in ALIASES.items():
        for alias in aliases:
            add(alias, iso3, override=True)
    for key in (*_ambiguous(), *_dissolved(), *MISSING):
        names.pop(key, None)
    return names


def _historic_forms(name: str) -> list[str]:
    """pycountry's historic names read "Zaire, Republic of": the name before the comma is the common one."""
    return [*_variants(name), name.split(",")[0]]


@cache
def _ambiguous() -> dict[str, tuple[str, ...]]:
    return {normalise(name): codes for name, codes in AMBIGUOUS.items()}


@cache
def _dissolved() -> dict[str, tuple[str, ...]]:
    dissolved: dict[str, tuple[str, ...]] = {}
    for old in pycountry.historic_countries:
        successors = HISTORIC_SUCCESSORS.get(old.alpha_3, ())
        if len(successors) > 1:
            for form in _historic_forms(old.name):
                dissolved[normalise(form)] = successors
    for code, aliases in HISTORIC_ALIASES.items():
        successors = HISTORIC_SUCCESSORS[code]
        if len(successors) > 1:
            for alias in aliases:
                dissolved[normalise(alias)] = successors
    return dissolved


@cache
def _suggestible() -> list[str]:
    """Names worth suggesting: long enough that a close match means something."""
    return sorted(key for key in _names() if len(key) >= 4)


@cache
def _display_names() -> dict[str, str]:
    display = {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    display.update({iso3: name for iso3, (_alpha_2, name) in EXTRA_COUNTRIES.items()})
    display.update(DISPLAY_NAMES)
    return display
