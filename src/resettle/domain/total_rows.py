"""Rows that sum other rows, as publishers label them: total and subtotal words, and the aggregates of
statistical tables (World, continents and regions, income and lending groups) by name and by code.

Data, not detection: the import (ingest/totals.py) decides which rows these make totals. Cells are
compared whole, after `normalise` (case, accents and punctuation ignored): "All Saints" is no "all",
"South Africa" no "Southern Africa", "Central African Republic" no region.
"""

from __future__ import annotations

import re
import unicodedata

# Labels of a row that sums others, in English and French, whole cells.
TOTAL_WORDS = frozenset({
    "total", "totals", "sub total", "subtotal", "subtotals", "sub totals", "grand total", "grand totals",
    "total general", "sous total", "sous totaux", "totaux", "total generale", "all", "overall", "sum",
    "all countries", "all origins", "all nationalities", "all sites", "all camps", "all locations",
    "all regions", "total all", "total for all", "total overall",
})
# Words that open or close a group's total: "Total Africa", "Africa total", "Sous-total Afrique".
_TOTAL_PREFIXES = ("total ", "totals ", "subtotal ", "sub total ", "grand total ", "sous total ", "total general ")
_TOTAL_SUFFIXES = (" total", " totals", " subtotal", " sub total", " sous total")

# The World Bank's aggregates (World Development Indicators), by three-letter code: regions, income and
# lending groups, demographic and other groupings; with the older and newer ones a download may carry.
WORLD_BANK_CODES = frozenset({
    "AFE", "AFR", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS", "HIC",
    "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC", "LMY", "LTE", "MEA",
    "MIC", "MNA", "NAC", "NOC", "OEC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA", "SSF", "SST", "TEA",
    "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD", "XZN",
})
# The same aggregates by the World Bank's two-character codes (API and older downloads).
WORLD_BANK_SHORT_CODES = frozenset({
    "1A", "1W", "4E", "7E", "8S", "B8", "EU", "F1", "JG", "OE", "S1", "S2", "S3", "S4", "T2", "T3", "T4", "T5",
    "T6", "T7", "V1", "V2", "V3", "V4", "XC", "XD", "XE", "XF", "XG", "XH", "XI", "XJ", "XL", "XM", "XN", "XO",
    "XP", "XQ", "XT", "XU", "XY", "Z4", "Z7", "ZF", "ZG", "ZH", "ZI", "ZJ", "ZQ", "ZT",
})
WORLD_BANK_NAMES = (
    "World", "Arab World", "Central Europe and the Baltics", "Caribbean small states",
    "East Asia & Pacific (excluding high income)", "Early-demographic dividend", "East Asia & Pacific",
    "Europe & Central Asia (excluding high income)", "Europe & Central Asia", "Euro area", "European Union",
    "Fragile and conflict affected situations", "High income", "Heavily indebted poor countries (HIPC)",
    "IBRD only", "IDA & IBRD total", "IDA total", "IDA blend", "IDA only", "Not classified",
    "Latin America & Caribbean (excluding high income)", "Latin America & Caribbean",
    "Least developed countries: UN classification", "Low income", "Lower middle income", "Low & middle income",
    "Late-demographic dividend", "Middle East & North Africa", "Middle income",
    "Middle East & North Africa (excluding high income)", "North America", "OECD members", "Other small states",
    "Pre-demographic dividend", "Pacific island small states", "Post-demographic dividend", "South Asia",
    "Sub-Saharan Africa (excluding high income)", "Sub-Saharan Africa", "Small states",
    "East Asia & Pacific (IDA & IBRD countries)", "Europe & Central Asia (IDA & IBRD countries)",
    "Latin America & the Caribbean (IDA & IBRD countries)", "Middle East & North Africa (IDA & IBRD countries)",
    "South Asia (IDA & IBRD)", "Sub-Saharan Africa (IDA & IBRD countries)", "Upper middle income",
    "Africa Eastern and Southern", "Africa Western and Central", "High income: OECD", "High income: nonOECD",
    "Fragile and conflict affected situations", "Fragile and conflict-affected situations",
)
# UN M49 regions and groupings, and UNHCR's regions (names). Left out: "Micronesia" (also a country's short
# name), and "Sahel", "Great Lakes" or "Horn of Africa", which are also the names of provinces and regions
# inside countries (Burkina Faso's Sahel region).
M49_NAMES = (
    "World", "Africa", "Northern Africa", "Sub-Saharan Africa", "Eastern Africa", "Middle Africa",
    "Southern Africa", "Western Africa", "Americas", "Latin America and the Caribbean", "Caribbean",
    "Central America", "South America", "Northern America", "Asia", "Central Asia", "Eastern Asia",
    "South-eastern Asia", "Southern Asia", "Western Asia", "Europe", "Eastern Europe", "Northern Europe",
    "Southern Europe", "Western Europe", "Oceania", "Australia and New Zealand", "Melanesia", "Polynesia",
    "Least Developed Countries", "Least Developed Countries (LDC)", "Land Locked Developing Countries (LLDC)",
    "Landlocked developing countries", "Small Island Developing States (SIDS)", "Small island developing States",
    "Developed regions", "Developing regions", "More developed regions", "Less developed regions",
    "Least developed countries", "North America", "Latin America", "Middle East", "Asia and the Pacific",
    "Asia-Pacific", "Asia Pacific", "Europe and Central Asia", "Middle East and North Africa", "MENA",
    "East and Horn of Africa", "East and Horn of Africa and the Great Lakes", "West and Central Africa",
    "Southern Africa region", "European Union (EU)", "EU-27", "EU27",
    # The US State Department's refugee arrival reports (by region of nationality) and UNHCR's bureaus
    "East Asia", "South Asia", "Near East", "Near East/South Asia", "Latin America/Caribbean",
    "Latin America and Caribbean", "The Americas", "Asia and Pacific", "East Asia and Pacific",
    "East Asia and the Pacific", "Eastern and Southern Africa", "North Africa", "West Africa", "East Africa",
    "Central Africa", "Western Hemisphere", "Europe and Eurasia",
    # French, as UNHCR and OCHA publish them
    "Monde", "Afrique", "Amériques", "Asie", "Océanie", "Afrique du Nord", "Afrique subsaharienne",
    "Afrique de l'Ouest", "Afrique de l'Est", "Afrique centrale", "Afrique australe", "Amérique latine",
    "Amérique du Nord", "Moyen-Orient", "Union européenne",
)
# M49 numeric codes of the regions (World 001, Africa 002, ...): no country has one of these.
M49_CODES = frozenset({
    "001", "002", "005", "009", "011", "013", "014", "015", "017", "018", "019", "021", "029", "030", "034",
    "035", "039", "053", "054", "057", "061", "142", "143", "145", "150", "151", "154", "155", "202", "419",
})


def normalise(text: str) -> str:
    """A cell as these lists compare it: accents, case and punctuation ignored ("Sous-total" = "sous total")."""
    plain = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", plain).split())


_AGGREGATE_NAMES = frozenset(normalise(n) for n in (*WORLD_BANK_NAMES, *M49_NAMES))


def is_total_label(text: str) -> bool:
    """True for a label of a row that sums others: "Total", "Sub-total", "Grand Total", "All", "Total
    Africa", "Africa total", "Total général", "Sous-total"."""
    norm = normalise(text)
    if not norm:
        return False
    if norm in TOTAL_WORDS:
        return True
    return norm.startswith(_TOTAL_PREFIXES) or norm.endswith(_TOTAL_SUFFIXES)


def is_aggregate_name(text: str) -> bool:
    """True for the name of an aggregate of countries (World, a continent or region, an income group)."""
    return normalise(text) in _AGGREGATE_NAMES


def is_aggregate_code(text: str) -> bool:
    """True for an aggregate's code: the World Bank's (WLD, SSF, HIC; 1W, XD) or an M49 region's (001, 002)."""
    code = text.strip().upper()
    return code in WORLD_BANK_CODES or code in WORLD_BANK_SHORT_CODES or code in M49_CODES


def is_aggregate(text: str) -> bool:
    """An aggregate of countries by name or code."""
    return is_aggregate_code(text) or is_aggregate_name(text)
