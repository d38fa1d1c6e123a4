"""The record kinds of DOMAIN.md and their fields: one place that says what each column is.

The schema, the importer, the column mapper, the pages and the HXL export all read these definitions:
a kind's table, its label, its fields with their types, HXL hashtags and synonyms; the stages of a
transfer (only `departed` counts as relocated).
"""

from __future__ import annotations

from dataclasses import dataclass

TRANSFER_TYPES = ("relocation", "resettlement", "family_reunification", "repatriation", "other")
TRANSFER_STAGES = ("submitted", "accepted", "departed")  # in the order a case goes through them
MEDEVAC_REASONS = ("injury", "illness", "other")
MEDEVAC_OUTCOMES = ("returned", "died", "transferred_abroad", "pending", "denied")
MEDEVAC_NO_OUTCOME = "not recorded"  # how a medical evacuation without an outcome is counted and shown
SITE_TYPES = ("camp", "settlement", "transit_centre", "urban", "other")

# Field types: text, date, count (whole number >= 0), country (stored ISO3), enum, real.


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    hxl: tuple[str, ...] = ()  # HXL hashtags that name this field, the usual one first
    synonyms: tuple[str, ...] = ()
    future_ok: bool = False  # dates: may lie in the future (planned transfers, pledges)


@dataclass(frozen=True)
class Kind:
    """One record kind: its CLI name, its table, its label (as the pages and the briefing name it) and its
    importable fields."""

    name: str
    table: str
    label: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()  # fields that identify a record to update in place (case_id, site name)
    has_site: bool = True
    headcount: str | None = None  # the field that counts the people a row stands for (import reports)

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



# Synonyms are compared as mapping.forms makes them (case, punctuation and camelCase ignored), in
# the order given: the first one a file has wins. HXL hashtags match a column whose tag has at least
# their attributes; the most specific match wins (see mapping.resolve_columns).
SITE_HXL = ("#loc+camp+name", "#loc+name", "#adm2+name", "#adm1+name")
SITE_SYNONYMS = ("camp", "site name", "camp name", "camp site", "settlement", "settlement name", "location",
                 "location name", "place", "locality")
ORIGIN = Field(
    "origin_country", "country", hxl=("#country+code+origin", "#country+origin", "#country+name+origin"),
    synonyms=("origin", "country of origin", "origin country", "country of origin iso", "origin iso", "nationality",
              "citizenship", "coo", "coo name", "coo iso"),
)
SOURCE = Field(
    "source", "text", hxl=("#meta+source", "#org+reporting"),
    synonyms=("reported by", "reporting organisation", "reporting organization", "reporting org", "data source",
              "source name", "org", "organisation", "organization"),
)

SITES = Kind(
    "sites",
    "sites",
    "Sites",
    (
        Field("name", "text", required=True, hxl=SITE_HXL, synonyms=("site", *SITE_SYNONYMS)),
        Field("country", "country", hxl=("#country+code", "#country+name", "#country"),
              synonyms=("country code", "iso3", "admin0pcode", "admin0 pcode", "country of location", "country",
                        "country name", "admin0name")),
        Field("type", "enum", choices=SITE_TYPES, hxl=("#loc+type",), synonyms=("site type", "camp type")),
        Field("opened", "date", hxl=("#date+start",), synonyms=("open date", "opening date", "established", "date opened")),
        Field("closed", "date", hxl=("#date+end",), synonyms=("close date", "closing date", "date closed")),
        Field("capacity", "count", hxl=("#capacity",), synonyms=("max capacity", "maximum capacity")),
        Field("lat", "real", hxl=("#geo+lat",), synonyms=("latitude",)),
        Field("lon", "real", hxl=("#geo+lon",), synonyms=("longitude", "lng", "long")),
        SOURCE,
    ),
    key=("name",),
    has_site=False,
)

POPULATION = Kind(
    "population",
    "population_counts",
    "Population counts",
    (
        # A count of people in a country (a UNHCR or IOM export) is a count of that country as a site:
        # the country where they live, never their origin.
        Field("site", "text", required=True, hxl=SITE_HXL,
              synonyms=(*SITE_SYNONYMS, "operation", "country of asylum", "asylum country", "country of residence",
                        "host country", "country", "country name", "country of asylum iso", "coa", "coa name")),
        Field("date", "date", required=True, hxl=("#date+reported", "#date"),
              synonyms=("reporting date", "reportingdate", "date reported", "report date", "as of", "as of date",
                        "census date", "count date", "date of count", "survey date", "assessment date", "date of assessment", "reference period end",
                        "period end", "end date", "year", "years", "yr", "month", "period", "reporting period",
                        "fiscal year", "fy")),
        Field("residents", "count", required=True,
              hxl=("#population", "#affected+idps", "#affected+refugees", "#affected+displaced"),
              synonyms=("population", "total population", "individuals", "total individuals", "number of individuals",
                        "persons", "total persons", "number of persons", "people", "total", "head count", "headcount",
                        "idps", "idp individuals", "number of idps", "refugees and asylum seekers", "refugees",
                        "numpresentidpind")),
        ORIGIN,
        Field("female", "count", hxl=("#affected+f",), synonyms=("women", "females")),
        Field("male", "count", hxl=("#affected+m",), synonyms=("men", "males")),
        Field("children", "count", hxl=("#affected+children",), synonyms=("minors", "under 18")),
        Field("age_0_4", "count", hxl=("#affected+age0_4",), synonyms=("0-4", "age 0-4")),
        Field("age_5_11", "count", hxl=("#affected+age5_11",), synonyms=("5-11", "age 5-11")),
        Field("age_12_17", "count", hxl=("#affected+age12_17",), synonyms=("12-17", "age 12-17")),
        Field("age_18_59", "count", hxl=("#affected+age18_59",), synonyms=("18-59", "age 18-59")),
        Field("age_60_plus", "count", hxl=("#affected+age60plus",), synonyms=("60+", "age 60+", "60 plus")),
        SOURCE,
    ),
    headcount="residents",
)

TRANSFERS = Kind(
    "transfers",
    "transfers",
    "Transfers",
    (
        Field("site", "text", required=True, hxl=SITE_HXL,
              synonyms=(*SITE_SYNONYMS, "from", "departure site", "departure camp", "from site")),
        Field("date", "date", required=True, hxl=("#date+occurred", "#date+departed", "#date"), future_ok=True,
              synonyms=("departure date", "date of departure", "travel date", "departed", "date departed",
                        "flight date", "departure", "transfer date", "date of transfer", "reference period start",
                        "period start", "start date", "year", "years", "month", "period", "fiscal year", "fy",
                        "fiscal year of arrival")),
        Field("host_country", "country", required=True, hxl=("#country+code+dest", "#country+dest", "#country+name+dest"),
              # A resettlement export names the first asylum country too: the country of resettlement is the host.
              synonyms=("host country", "host", "destination", "destination country", "country of destination",
                        "resettlement country", "country of resettlement", "receiving country", "host country iso",
                        "country of resettlement iso", "country of asylum", "asylum country", "country of asylum iso",
                        "to", "coa", "coa iso")),
        Field("people", "count", required=True,
              hxl=("#affected+refugees", "#affected+departed", "#affected+relocated", "#population"),
              synonyms=("persons", "individuals", "number", "number of people", "number of persons",
                        "number of individuals", "people departed", "persons departed", "departures",
                        "total departures", "arrivals", "resettlement arrivals", "residents", "refugees", "count",
                        "total", "pax")),
        Field("transfer_type", "enum", choices=TRANSFER_TYPES, hxl=("#status+type",),
              synonyms=("type", "solution", "transfer type", "durable solution")),
        Field("stage", "enum", choices=TRANSFER_STAGES, default="departed", hxl=("#status",),
              synonyms=("status", "case status")),
        Field("case_id", "text", hxl=("#case+id",), synonyms=("case", "case number", "case no", "file number", "case ref")),
        ORIGIN,
        SOURCE,
    ),
    key=("case_id",),
    headcount="people",
)

MEDEVACS = Kind(
    "medevacs",
    "medical_evacuations",
    "Medical evacuations",
    (
        Field("site", "text", required=True, hxl=SITE_HXL, synonyms=SITE_SYNONYMS),
        Field("date", "date", hxl=("#date+occurred", "#date+evacuated"),
              synonyms=("evacuation date", "date evacuated", "evacuated", "date of evacuation")),
        Field("request_date", "date", hxl=("#date+requested",),
              synonyms=("requested", "date requested", "request date", "request", "date of request")),
        Field("patients", "count", required=True, hxl=("#affected+patients",),
              synonyms=("people", "persons", "number of patients", "cases", "individuals")),
        Field("destination", "text", hxl=("#loc+dest+name",), synonyms=("hospital", "facility", "destination facility")),
        Field("reason", "enum", choices=MEDEVAC_REASONS, hxl=("#cause",), synonyms=("cause",)),
        Field("outcome", "enum", choices=MEDEVAC_OUTCOMES, hxl=("#status+outcome",), synonyms=("result", "status")),
        SOURCE,
    ),
    headcount="patients",
)

INCIDENTS = Kind(
    "incidents",
    "incidents",
    "Incidents",
    (
        Field("site", "text", required=True, hxl=SITE_HXL,
              synonyms=(*SITE_SYNONYMS, "admin2", "admin1", "country", "location code")),
        Field("date", "date", required=True, hxl=("#date+occurred", "#date+start", "#date"),
              synonyms=("event date", "incident date", "date of incident", "date of event", "reference period start",
                        "period start", "start date", "year", "years", "month", "period", "fiscal year", "fy",
                        "fiscal year of arrival")),
        Field("incident_type", "text", hxl=("#event+type",),
              synonyms=("type", "event type", "event_type", "category", "event category", "disorder type")),
        # How many events one row stands for (ACLED's monthly counts); empty for a row that is one event.
        Field("events", "count", hxl=("#event+num", "#event+count"),
              synonyms=("number of events", "event count", "events count", "count of events", "incidents",
                        "number of incidents")),
        Field("killed", "count", hxl=("#affected+killed", "#affected+dead"),
              synonyms=("deaths", "dead", "fatalities", "number killed", "persons killed", "people killed",
                        "total killed", "total fatalities", "total deaths", "total dead", "number of fatalities")),
        Field("wounded", "count", hxl=("#affected+injured", "#affected+wounded"),
              synonyms=("injured", "injuries", "number injured", "persons injured", "total wounded", "total injured",
                        "total injuries", "number wounded")),
        Field("hostages", "count", hxl=("#affected+hostages", "#affected+abducted"),
              synonyms=("abducted", "taken hostage", "kidnapped", "total kidnapped", "total abducted",
                        "total hostages", "kidnappings", "abductions", "number kidnapped", "number abducted")),
        Field("description", "text", hxl=("#description", "#meta+description"),
              synonyms=("notes", "details", "summary", "narrative", "comments")),
        SOURCE,
    ),
)

PLEDGES = Kind(
    "pledges",
    "pledges",
    "Pledges",
    (
        Field("host_country", "country", required=True, hxl=("#country+code+dest", "#country+dest", "#country+code"),
              synonyms=("host country", "host", "country", "pledging country", "donor country", "resettlement country",
                        "country of resettlement")),
        Field("date", "date", required=True, hxl=("#date+reported", "#date"),
              synonyms=("pledge date", "date pledged", "year", "years", "fiscal year", "fy")),
        Field("places", "count", required=True, hxl=("#capacity+places", "#capacity"),
              synonyms=("pledged places", "places offered", "quota", "pledges", "people", "persons", "number")),
        SOURCE,
    ),
    has_site=False,
    headcount="places",
)

KINDS: dict[str, Kind] = {k.name: k for k in (SITES, POPULATION, TRANSFERS, MEDEVACS, INCIDENTS, PLEDGES)}
