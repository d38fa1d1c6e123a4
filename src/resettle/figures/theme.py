"""The look every chart shares: one template, one colour per host country on every chart, the colours of
outcomes and causes, and `finish`, which gives each figure its title, axis titles with units, and the
caption under the plot with the as-of date and the sources.
"""

from __future__ import annotations

import plotly.graph_objects as go

from resettle.compute.incidents import DEATH_CAUSES
from resettle.domain.countries import country_name
from resettle.domain.records import MEDEVAC_NO_OUTCOME

# Okabe-Ito, then Paul Tol's muted scheme: colour-blind-safe, and a country keeps its colour everywhere.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#332288",
           "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
NEUTRAL = "#444444"
TEMPLATE = "plotly_white"
# Not host countries: colours outside the fixed country map (Paul Tol's high-contrast and vibrant sets).
INCIDENT = "#BB5566"
COUNT_MARKER = "#004488"
BAND = "rgba(0, 68, 136, 0.15)"
OUTCOME_COLOURS = {"returned": "#66CCEE", "transferred_abroad": "#004488", "died": "#000000",
                   "pending": "#DDAA33", "denied": "#BB5566", MEDEVAC_NO_OUTCOME: "#BBBBBB"}
OUTCOME_LABELS = {"returned": "Returned", "transferred_abroad": "Transferred abroad", "died": "Died",
                  "pending": "Pending", "denied": "Denied", MEDEVAC_NO_OUTCOME: "Outcome not recorded"}
CAUSE_COLOURS = {DEATH_CAUSES["incidents"]: INCIDENT, DEATH_CAUSES["medical"]: COUNT_MARKER}
CAPTION_SHIFT = -62  # pixels below the plot area: under the x-axis ticks and title
SOURCE_CHARS = 70


FIXED = {"ALB": "#0072B2", "DEU": "#E69F00", "FIN": "#56B4E9", "ITA": "#009E73", "NLD": "#D55E00",
         "DNK": "#CC79A7", "NOR": "#332288", "IRL": "#44AA99", "GBR": "#882255", "USA": "#999933",
         "ROU": "#DDCC77", "IRQ": "#888888"}
OTHER = "OTHER"  # the host countries beyond the palette, drawn together
OTHER_COLOUR = "#BBBBBB"


def country_colour(iso3: str, colours: dict[str, str] | None = None) -> str:
    """The colour of a host country: from `colours` (colour_map of the database's countries, so no two
    share one), else a fixed or hashed colour; the same code gets the same colour on every chart."""
    if colours is not None and iso3 in colours:
        return colours[iso3]
    if iso3 == OTHER:
        return OTHER_COLOUR
    if iso3 in FIXED:
        return FIXED[iso3]
    return PALETTE[sum(ord(c) * (i + 1) for i, c in enumerate(iso3 or "")) % len(PALETTE)]


def colour_map(ranked: list[str]) -> dict[str, str]:
    """A colour for every host country, the most important first (`ranked`): its fixed colour when it
    has one, else the next palette colour nobody has; past the palette, the grey of the other countries."""
    out: dict[str, str] = {}
    for code in ranked:
        if code in FIXED:
            out[code] = FIXED[code]
    free = [c for c in PALETTE if c not in out.values()]
    for code in ranked:
        if code not in out:
            out[code] = free.pop(0) if free else OTHER_COLOUR
    return out


def country_label(iso3: str) -> str:
    """A host country as a legend shows it: its short English name."""
    return "Other host countries" if iso3 == OTHER else country_name(iso3)


def _short(source: str) -> str:
    return source if len(source) <= SOURCE_CHARS else source[: SOURCE_CHARS - 1].rstrip() + "…"


def caption(as_of: str | None, sources: list[str]) -> str:
    """The line under every chart: the as-of date and the sources (the first three, then how many more)."""
    shown = [_short(s) for s in sources[:3]]
    more = f"<br>and {len(sources) - 3} more sources (see the Data page)" if len(sources) > 3 else ""
    listed = "<br>".join(shown) if shown else "none"
    return f"Data as of {as_of or 'n/a'}. Sources: {listed}{more}"


def finish(fig: go.Figure, title: str, y_title: str, as_of: str | None, sources: list[str],
           x_title: str = "Date") -> go.Figure:
    """Title, axis titles with units, and the as-of date and sources under the plot, on every figure."""
    lines = caption(as_of, sources).count("<br>") + 1
    bottom = 80 + 14 * lines
    # Tall enough for the legend (about 21 px an entry at this font size), so it never needs a scroll bar.
    # (A Sankey has no legend entry, nor these attributes.)
    entries = len({t.legendgroup or t.name for t in fig.data if getattr(t, "showlegend", False) is not False})
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        height=max(440 + 14 * lines, 60 + bottom + 21 * entries + 30),
        margin={"l": 70, "r": 20, "t": 60, "b": bottom},
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top",
                "font": {"size": 11}, "tracegroupgap": 2},
        hovermode="x unified",
        font={"family": "sans-serif"},
    )
    fig.update_yaxes(rangemode="tozero", separatethousands=True)
    fig.add_annotation(text=caption(as_of, sources), xref="paper", yref="paper", x=0, y=0, yanchor="top",
                       yshift=CAPTION_SHIFT, showarrow=False, font={"size": 10, "color": "#555"},
                       xanchor="left", align="left")
    return fig


def subtitle(fig: go.Figure, text: str | None) -> go.Figure:
    """A line under the title saying what a chart grouped or could not draw (nothing when `text` is empty):
    nothing is left out of a chart without a line on the chart itself."""
    if text:
        fig.update_layout(title_subtitle={"text": text, "font": {"size": 11, "color": "#555"}},
                          margin_t=max(fig.layout.margin.t or 0, 84))
    return fig


def no_axes(fig: go.Figure) -> go.Figure:
    """A map or flow diagram after `finish`: no cartesian axes, hover on the nearest item."""
    fig.update_layout(hovermode="closest", xaxis_visible=False, yaxis_visible=False)
    return fig
