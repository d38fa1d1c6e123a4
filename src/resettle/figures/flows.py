"""Where people went: the flow of departed people from each site to each host country, as a Sankey diagram.

The largest sites and host countries are named; the rest are drawn together as "Other sites" and "Other
host countries", and the chart says how many it grouped. A host country keeps its colour (theme.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from resettle.compute import ranking
from resettle.figures.theme import (
    OTHER,
    OTHER_COLOUR,
    country_colour,
    country_label,
    finish,
    no_axes,
    subtitle,
)

SITES_SHOWN = 8
COUNTRIES_SHOWN = 8
SITE_COLOUR = "#7f8a96"
OTHER_SITES = "Other sites"


@dataclass(frozen=True)
class Grouped:
    """The flows after grouping: `links` (site, host_country, people; OTHER_SITES and theme.OTHER stand for
    the groups), the sites and host countries in the order drawn (largest first, groups last), and what
    went into each group."""

    links: pd.DataFrame
    sites: list[str]
    countries: list[str]
    other_sites: list[str]
    other_countries: list[str]


def _named(totals: pd.Series, n: int, grey: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """The `n` largest (by total, names breaking ties) and the rest; a group of one is named instead,
    and the `grey` items (host countries without a colour of their own) always go to the rest."""
    totals = totals.sort_index()
    order, _ = ranking.largest(None, totals.to_numpy())
    ranked = [totals.index[i] for i in order]
    named = [k for k in ranked if k not in grey][:n]
    rest = [k for k in ranked if k not in named]
    if len(rest) == 1 and rest[0] not in grey:
        named, rest = named + rest, []
    return named, rest


def group_flows(frame: pd.DataFrame, colours: dict[str, str] | None = None, *, sites_shown: int = SITES_SHOWN,
                countries_shown: int = COUNTRIES_SHOWN) -> Grouped:
    """The flows (site, host_country, people) with the smaller sites and host countries grouped."""
    if frame.empty:
        return Grouped(pd.DataFrame(columns=["site", "host_country", "people"]), [], [], [], [])
    grey = {c for c in frame["host_country"].unique() if colours is not None and colours.get(c) == OTHER_COLOUR}
    sites, other_sites = _named(frame.groupby("site")["people"].sum(), sites_shown)
    countries, other_countries = _named(frame.groupby("host_country")["people"].sum(), countries_shown, grey)
    links = frame.assign(
        site=frame["site"].where(frame["site"].isin(sites), OTHER_SITES),
        host_country=frame["host_country"].where(frame["host_country"].isin(countries), OTHER),
    ).groupby(["site", "host_country"], as_index=False, sort=False)["people"].sum()
    return Grouped(links, sites + ([OTHER_SITES] if other_sites else []),
                   countries + ([OTHER] if other_countries else []), other_sites, other_countries)


def _rgba(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def where_people_went(frame: pd.DataFrame, as_of: str | None, sources: list[str], *,
                      colours: dict[str, str] | None = None, sites_shown: int = SITES_SHOWN,
                      countries_shown: int = COUNTRIES_SHOWN) -> go.Figure:
    """Departed people from each site (left) to each host country (right) up to D, each band as wide as
    its people; the `sites_shown` and `countries_shown` largest named, the rest grouped. `frame`: site,
    host_country, people (compute.relocation.departures_by_site_and_country)."""
    g = group_flows(frame, colours, sites_shown=sites_shown, countries_shown=countries_shown)
    site_totals = g.links.groupby("site")["people"].sum()
    country_totals = g.links.groupby("host_country")["people"].sum()

    def site_name(s: str) -> str:
        return f"{OTHER_SITES} ({len(g.other_sites):,})" if s == OTHER_SITES else s

    def country_name(c: str) -> str:
        return f"Other host countries ({len(g.other_countries):,})" if c == OTHER else country_label(c)

    labels = ([f"{site_name(s)}: {int(site_totals[s]):,}" for s in g.sites]
              + [f"{country_name(c)}: {int(country_totals[c]):,}" for c in g.countries])
    node_colours = [SITE_COLOUR] * len(g.sites) + [country_colour(c, colours) for c in g.countries]
    site_at = {s: i for i, s in enumerate(g.sites)}
    country_at = {c: len(g.sites) + i for i, c in enumerate(g.countries)}
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=",d", valuesuffix=" people",
        node={"label": labels, "color": node_colours, "pad": 14, "thickness": 18,
              "line": {"color": "white", "width": 0.5},
              "hovertemplate": "%{label}<extra></extra>"},
        link={"source": [site_at[s] for s in g.links["site"]],
              "target": [country_at[c] for c in g.links["host_country"]],
              "value": [int(v) for v in g.links["people"]],
              "color": [_rgba(country_colour(c, colours), 0.45) for c in g.links["host_country"]],
              "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,d} people<extra></extra>"},
    ))
    fig = finish(fig, f"Where people went: departures from each site to each host country, up to {as_of or 'n/a'}",
                 "", as_of, sources, x_title="")
    grouped = []
    if g.other_sites:
        grouped.append(f"{len(g.other_sites):,} smaller sites as \u201c{OTHER_SITES}\u201d")
    if g.other_countries:
        grouped.append(f"{len(g.other_countries):,} smaller host countries as \u201cOther host countries\u201d")
    subtitle(fig, ("Grouped: " + " and ".join(grouped) + ". Band width: people departed.") if grouped else
             "Band width: people departed.")
    fig.update_layout(height=max(fig.layout.height, 120 + 34 * max(len(g.sites), len(g.countries))))
    return no_axes(fig)
