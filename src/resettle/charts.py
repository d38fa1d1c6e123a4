"""Plotly figures as pure functions of tidy frames: no I/O, one template, one colour per host country."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# Okabe-Ito, then Paul Tol's muted scheme: colour-blind-safe, and a country keeps its colour everywhere.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#332288",
           "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
NEUTRAL = "#444444"
TEMPLATE = "plotly_white"


def country_colour(iso3: str) -> str:
    """A stable colour for a host country: the same code always gets the same colour, on every chart."""
    fixed = {"ALB": "#0072B2", "DEU": "#E69F00", "FIN": "#56B4E9", "ITA": "#009E73", "NLD": "#D55E00",
             "DNK": "#CC79A7", "NOR": "#332288", "IRL": "#44AA99", "GBR": "#882255", "USA": "#999933",
             "ROU": "#DDCC77", "IRQ": "#888888"}
    if iso3 in fixed:
        return fixed[iso3]
    return PALETTE[sum(ord(c) * (i + 1) for i, c in enumerate(iso3 or "")) % len(PALETTE)]


def _caption(as_of: str | None, sources: list[str]) -> str:
    listed = "; ".join(sources[:4]) + (f"; and {len(sources) - 4} more" if len(sources) > 4 else "")
    return f"Data as of {as_of or 'n/a'}. Sources: {listed or 'none'}."


def finish(fig: go.Figure, title: str, y_title: str, as_of: str | None, sources: list[str]) -> go.Figure:
    """Title, units, as-of date and sources on every figure."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left"},
        yaxis_title=y_title,
        margin={"l": 60, "r": 20, "t": 60, "b": 90},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        hovermode="x unified",
        font={"family": "sans-serif"},
    )
    fig.add_annotation(text=_caption(as_of, sources), xref="paper", yref="paper", x=0, y=-0.32,
                       showarrow=False, font={"size": 10, "color": "#555"}, xanchor="left", align="left")
    return fig


def remaining_population(estimate: pd.DataFrame, counts: pd.DataFrame, as_of: str | None,
                         sources: list[str]) -> go.Figure:
    """Residents over time: the estimate (a stock, a step line) and each reported count with its source."""
    fig = go.Figure()
    if not estimate.empty:
        fig.add_trace(go.Scatter(x=estimate["date"], y=estimate["residents"], name="Residents (estimate)",
                                 mode="lines", line={"shape": "hv", "color": NEUTRAL, "width": 2.5},
                                 hovertemplate="%{y:,} people<extra>estimate</extra>"))
    if not counts.empty:
        fig.add_trace(go.Scatter(
            x=counts["date"], y=counts["residents"], name="Reported count (census)", mode="markers",
            marker={"color": "#0072B2", "size": 8, "symbol": "circle-open", "line": {"width": 2}},
            customdata=counts[["source", "site"]].to_numpy(),
            hovertemplate="%{y:,} people, %{customdata[1]}<br>%{customdata[0]}<extra>count</extra>",
        ))
    return finish(fig, "Remaining population", "People in the camp (stock)", as_of, sources)
