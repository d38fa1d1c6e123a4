"""The record kinds of DOMAIN.md and their fields: one place that says what each column is.

The schema, the importer, the column mapper and the HXL export all read these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TRANSFER_TYPES = ("relocation", "resettlement", "family_reunification", "repatriation", "other")
TRANSFER_STAGES = ("submitted", "accepted", "departed")
MEDEVAC_REASONS = ("injury", "illness", "other")
MEDEVAC_OUTCOMES = ("returned", "died", "transferred_abroad", "pending", "denied")
SITE_TYPES = ("camp", "settlement", "transit_centre", "urban", "other")

# Field types: text, date, count (whole number >= 0), country (stored ISO3), enum, real.


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    hxl: str = ""
    synonyms: tuple[str, ...] = ()
    future_ok: bool = False  # dates: may lie in the future (planned transfers, pledges)


@dataclass(frozen=True)
class Kind:
    """One record kind: its CLI name, its table and its importable fields."""

    name: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()  # fields that identify a record to update in place (case_id, site name)
    has_site: bool = True
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]


SOURCE = Field("source", "text", hxl="#meta+source", synonyms=("reported by", "reporting organisation", "org", "organisation", "organization"))

SITES = Kind(
    "sites",
    "sites",
    (
        Field("name", "text", required=True, hxl="#loc+camp+name", synonyms=("site", "camp", "site name", "camp name", "location")),
        Field("country", "country", hxl="#country+code", synonyms=("country code", "iso3", "admin0pcode", "country of location")),
        Field("type", "enum", choices=SITE_TYPES, synonyms=("site type", "camp type")),
        Field("opened", "date", hxl="#date+start", synonyms=("open date", "opening date", "established")),
        Field("closed", "date", hxl="#date+end", synonyms=("close date", "closing date")),
        Field("capacity", "count", hxl="#capacity", synonyms=("max capacity",)),
        Field("lat", "real", hxl="#geo+lat", synonyms=("latitude",)),
        Field("lon", "real", hxl="#geo+lon", synonyms=("longitude", "lng", "long")),
        SOURCE,
    ),
    key=("name",),
    has_site=False,
)

AGE_BANDS = ("age_0_4", "age_5_11", "age_12_17", "age_18_59", "age_60_plus")

POPULATION = Kind(
    "population",
    "population_counts",
    (
        Field("site", "text", required=True, hxl="#loc+camp+name", synonyms=("camp", "site name", "camp name", "location", "operation")),
        Field("date", "date", required=True, hxl="#date+reported", synonyms=("reporting date", "reportingdate", "date reported", "as of", "census date", "count date")),
        Field("residents", "count", required=True, hxl="#population", synonyms=("population", "individuals", "persons", "people", "total", "head count", "headcount", "total population", "idps", "refugees", "numpresentidpind")),
        Field("origin_country", "country", hxl="#country+code+origin", synonyms=("origin", "country of origin", "nationality", "country of origin iso", "origin iso")),
        Field("female", "count", hxl="#affected+f", synonyms=("women", "females")),
        Field("male", "count", hxl="#affected+m", synonyms=("men", "males")),
        Field("children", "count", hxl="#affected+children", synonyms=("minors", "under 18")),
        Field("age_0_4", "count", hxl="#affected+age0_4", synonyms=("0-4", "age 0-4")),
        Field("age_5_11", "count", hxl="#affected+age5_11", synonyms=("5-11", "age 5-11")),
        Field("age_12_17", "count", hxl="#affected+age12_17", synonyms=("12-17", "age 12-17")),
        Field("age_18_59", "count", hxl="#affected+age18_59", synonyms=("18-59", "age 18-59")),
        Field("age_60_plus", "count", hxl="#affected+age60plus", synonyms=("60+", "age 60+", "60 plus")),
        SOURCE,
    ),
)

TRANSFERS = Kind(
    "transfers",
    "transfers",
    (
        Field("site", "text", required=True, hxl="#loc+camp+name", synonyms=("camp", "site name", "camp name", "from", "departure site", "location")),
        Field("date", "date", required=True, hxl="#date+occurred", future_ok=True, synonyms=("departure date", "date of departure", "travel date", "departed", "flight date")),
        Field("host_country", "country", required=True, hxl="#country+code+dest", synonyms=("host", "destination", "destination country", "country of asylum", "country of asylum (iso)", "receiving country", "resettlement country", "host country iso", "to")),
        Field("people", "count", required=True, hxl="#affected+refugees", synonyms=("persons", "individuals", "number", "number of people", "residents", "refugees", "departures", "count", "total", "pax")),
        Field("transfer_type", "enum", choices=TRANSFER_TYPES, hxl="#status+type", synonyms=("type", "solution", "transfer type")),
        Field("stage", "enum", choices=TRANSFER_STAGES, default="departed", hxl="#status", synonyms=("status", "case status")),
        Field("case_id", "text", hxl="#case+id", synonyms=("case", "case number", "case no", "file number", "case ref")),
        Field("origin_country", "country", hxl="#country+code+origin", synonyms=("origin", "country of origin", "nationality")),
        SOURCE,
    ),
    key=("case_id",),
)

MEDEVACS = Kind(
    "medevacs",
    "medical_evacuations",
    (
        Field("site", "text", required=True, hxl="#loc+camp+name", synonyms=("camp", "site name", "camp name", "location")),
        Field("date", "date", hxl="#date+occurred", synonyms=("evacuation date", "date evacuated", "evacuated")),
        Field("request_date", "date", hxl="#date+requested", synonyms=("requested", "date requested", "request")),
        Field("patients", "count", required=True, hxl="#affected+patients", synonyms=("people", "persons", "number of patients", "cases", "individuals")),
        Field("destination", "text", hxl="#loc+dest+name", synonyms=("hospital", "facility", "destination facility")),
        Field("reason", "enum", choices=MEDEVAC_REASONS, hxl="#cause", synonyms=("cause",)),
        Field("outcome", "enum", choices=MEDEVAC_OUTCOMES, hxl="#status+outcome", synonyms=("result", "status")),
        SOURCE,
    ),
)

INCIDENTS = Kind(
    "incidents",
    "incidents",
    (
        Field("site", "text", required=True, hxl="#loc+camp+name", synonyms=("camp", "site name", "camp name", "location", "place")),
        Field("date", "date", required=True, hxl="#date+occurred", synonyms=("event date", "incident date", "date of incident")),
        Field("incident_type", "text", hxl="#event+type", synonyms=("type", "event type", "event_type", "category")),
        Field("killed", "count", hxl="#affected+killed", synonyms=("deaths", "dead", "fatalities")),
        Field("wounded", "count", hxl="#affected+injured", synonyms=("injured", "injuries")),
        Field("hostages", "count", hxl="#affected+hostages", synonyms=("abducted", "taken hostage")),
        Field("description", "text", hxl="#description", synonyms=("notes", "details", "summary", "narrative")),
        SOURCE,
    ),
)

PLEDGES = Kind(
    "pledges",
    "pledges",
    (
        Field("host_country", "country", required=True, hxl="#country+code+dest", synonyms=("host", "country", "pledging country", "donor country")),
        Field("date", "date", required=True, hxl="#date+reported", synonyms=("pledge date", "date pledged")),
        Field("places", "count", required=True, hxl="#capacity+places", synonyms=("pledged places", "places offered", "quota", "people", "persons")),
        SOURCE,
    ),
    has_site=False,
)

KINDS: dict[str, Kind] = {k.name: k for k in (SITES, POPULATION, TRANSFERS, MEDEVACS, INCIDENTS, PLEDGES)}
