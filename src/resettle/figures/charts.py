"""Plotly figures as pure functions of tidy frames: no I/O, the look of theme.py on every one.

Every figure goes through `theme.finish`: a title, axis titles with their units, and a caption under the
plot with the as-of date and the sources. Stocks (people in the camp) and flows (people who left) are
named as such on their axes, so nobody adds one to the other.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from resettle.compute import ranking
from resettle.compute.composition import AGE_BANDS, CHILD_BANDS, SEXES, Composition, share
from resettle.domain.records import TRANSFER_STAGES
from resettle.figures.theme import (
    BAND,
    CAUSE_COLOURS,
    COUNT_MARKER,
    INCIDENT,
    NEUTRAL,
    OTHER,
    OTHER_COLOUR,
    OUTCOME_COLOURS,
    OUTCOME_LABELS,
    country_colour,
    country_label,
    finish,
)


def _with_others(frame: pd.DataFrame, colours: dict[str, str] | None, keys: list[str], value: str) -> pd.DataFrame:
    """The countries that have no colour of their own (beyond the palette) summed as one, OTHER."""
    if colours is None or frame.empty:
        return frame
    grey = [c for c in frame["host_country"].unique() if colours.get(c) == OTHER_COLOUR]
    if not grey:
        return frame
    merged = frame.assign(host_country=frame["host_country"].where(~frame["host_country"].isin(grey), OTHER))
    return merged.groupby([*keys, "host_country"], as_index=False, sort=False)[value].sum()


def _countries_by_total(frame: pd.DataFrame, value: str, *, last: bool = False) -> list[str]:
    """Host countries, the largest first (by their sum, or by their last value for a cumulative series)."""
    if frame.empty:
        return []
    grouped = frame.groupby("host_country")[value]
    totals = (grouped.last() if last else grouped.sum()).sort_index()
    top, _ = ranking.largest(None, totals.to_numpy())
    return list(totals.index[top])


def _monthly_steps(fig: go.Figure, frame: pd.DataFrame, group: str, order: list[str], value: str,
                   colours: dict[str, str], labels: dict[str, str]) -> None:
    """A flow per month stacked by `group` (in `order`), as filled steps: each month a flat block from its
    first day to its last, like a bar without a gap, one SVG path per group. (As bars, a bar per month and
    group: 2,040 of them at the benchmark data took a browser about a second to draw, twice over.)

    Every month from the first to the last has a point, empty where the group has no row (no departure,
    or a cell a public page leaves out): it is drawn at zero (a step would otherwise run on over a missing
    month) and a hover names no figure for it. Each month's point sits in its middle, so a hover reads the
    month under the pointer; the first and the last month's value is repeated on that month's first and
    last day, so their blocks are whole (a hover there reads the same month and value). `frame`: month
    ('YYYY-MM-01'), `group`, `value`."""
    starts = pd.date_range(frame["month"].min(), frame["month"].max(), freq="MS")
    ends = starts + pd.offsets.MonthBegin(1)
    middles = starts + (ends - starts) / 2
    x = [starts[0].strftime("%Y-%m-%d"), *middles.strftime("%Y-%m-%d %H:%M"),
         (ends[-1] - pd.Timedelta(days=1)).strftime("%Y-%m-%d")]
    table = frame.groupby([pd.to_datetime(frame["month"]), group])[value].sum().unstack(group)
    table = table.reindex(index=starts)
    for key in order:
        y = [None if pd.isna(v) else int(v) for v in table[key]]
        fig.add_trace(go.Scatter(x=x, y=[y[0], *y, y[-1]], name=labels[key], legendgroup=key, mode="lines",
                                 stackgroup="months", stackgaps="infer zero",
                                 line={"shape": "hvh", "width": 0.5, "color": colours[key]},
                                 fillcolor=colours[key], hovertemplate=f"{labels[key]}: %{{y:,}}<extra></extra>"))
    fig.update_xaxes(hoverformat="%b %Y")


def _x_range(fig: go.Figure, x_range: tuple[str, str] | None) -> None:
    """Show the dates of the range, with a little room at each end so markers on its edges show whole."""
    if x_range and all(x_range):
        start, end = pd.Timestamp(x_range[0]), pd.Timestamp(x_range[1])
        pad = max((end - start) * 0.015, pd.Timedelta(days=1))
        fig.update_xaxes(range=[(start - pad).isoformat(), (end + pad).isoformat()])


# ---------------------------------------------------------------- overview


def remaining_population(estimate: pd.DataFrame, counts: pd.DataFrame, as_of: str | None,
                         sources: list[str], *, incidents: pd.DataFrame | None = None,
                         projection: dict | None = None, x_range: tuple[str, str] | None = None) -> go.Figure:
    """Residents over time: the estimate (a stock, a step line), each reported count with its source, the
    range where sources disagree, incidents on the line, and the projection to completion.

    `estimate`: date, residents. `counts`: site, date, source, residents, low, high, sources (per row of
    series.count_points). `incidents`: date, site, incident_type, killed, wounded, hostages.
    `projection`: from (date), residents, to (date), recent (departures in the 90 days before `from`)."""
    fig = go.Figure()
    if not counts.empty:
        for site in sorted(set(counts.loc[counts["sources"] > 1, "site"])):
            # Over all counts of a site that has a disagreement: the band is as wide as the sources differ,
            # and closes where one source reports alone.
            span = counts[counts["site"] == site].drop_duplicates("date").sort_values("date")
            first = not any(t.legendgroup == "range" for t in fig.data)
            fig.add_trace(go.Scatter(x=span["date"], y=span["low"], mode="lines", line={"width": 0},
                                     legendgroup="range", showlegend=False, hoverinfo="skip", name=f"{site} low"))
            fig.add_trace(go.Scatter(x=span["date"], y=span["high"], mode="lines", line={"width": 0},
                                     fill="tonexty", fillcolor=BAND, legendgroup="range", showlegend=first,
                                     name="Range between sources", hoverinfo="skip"))
    if not estimate.empty:
        fig.add_trace(go.Scatter(x=estimate["date"], y=estimate["residents"], name="Residents (estimate)",
                                 mode="lines", line={"shape": "hv", "color": NEUTRAL, "width": 2.5},
                                 hovertemplate="%{y:,} people<extra>estimate</extra>"))
    if not counts.empty:
        fig.add_trace(go.Scatter(
            x=counts["date"], y=counts["residents"], name="Reported count (census)", mode="markers",
            marker={"color": COUNT_MARKER, "size": 8, "symbol": "circle-open", "line": {"width": 2}},
            customdata=counts[["source", "site"]].to_numpy(),
            hovertemplate="%{y:,} people, %{customdata[1]}<br>%{customdata[0]}<extra>count</extra>",
        ))
    if incidents is not None and not incidents.empty and not estimate.empty:
        fig.add_trace(_incident_markers(estimate, incidents))
    if projection and projection.get("to"):
        fig.add_trace(go.Scatter(
            x=[projection["from"], projection["to"]], y=[projection["residents"], 0], mode="lines",
            name="Projection (last 90 days' pace)", line={"dash": "dash", "color": NEUTRAL, "width": 2},
            hovertemplate="%{x}: %{y:,} people<extra>projection</extra>",
        ))
        # Above the dashed line: at the completion date, level with the residents where the line starts.
        fig.add_annotation(
            x=projection["to"], y=projection["residents"], showarrow=False, xanchor="right", yanchor="bottom",
            font={"size": 11, "color": NEUTRAL}, bgcolor="rgba(255,255,255,0.8)",
            text=(f"Empty by {projection['to']} if departures keep the pace of the last 90 days "
                  f"({projection['recent']:,} people)"),
        )
    if x_range and projection and projection.get("to"):
        x_range = (x_range[0], max(x_range[1], projection["to"]))
    _x_range(fig, x_range)
    return finish(fig, "Remaining population", "People in the camp (stock)", as_of, sources)


def _incident_markers(estimate: pd.DataFrame, incidents: pd.DataFrame) -> go.Scatter:
    """Incidents placed on the estimate line (its value on the incident's date), sized by casualties."""
    line = estimate.assign(date=pd.to_datetime(estimate["date"])).sort_values("date")
    events = incidents.assign(when=pd.to_datetime(incidents["date"])).sort_values("when")
    placed = pd.merge_asof(events, line.rename(columns={"date": "when"}), on="when", direction="backward")
    placed["residents"] = placed["residents"].fillna(line["residents"].iloc[0])
    casualties = placed["killed"].fillna(0) + placed["wounded"].fillna(0)
    sizes = [min(30, 8 + 2 * math.sqrt(c)) for c in casualties]

    def figure(v) -> str:
        return "not reported" if pd.isna(v) else f"{int(v):,}"

    text = [f"{r.site}: {str(r.incident_type or 'incident').replace('_', ' ')}<br>killed {figure(r.killed)}, "
            f"wounded {figure(r.wounded)}, hostages {figure(r.hostages)}" for r in placed.itertuples()]
    return go.Scatter(x=placed["date"], y=placed["residents"], mode="markers", name="Incident (killed, wounded)",
                      marker={"symbol": "triangle-down", "color": INCIDENT, "size": sizes,
                              "line": {"color": "white", "width": 1}},
                      text=text, hovertemplate="%{text}<extra>incident</extra>")


def cumulative_relocations(cumulative: pd.DataFrame, pledges: pd.DataFrame, baseline: int | None,
                           as_of: str | None, sources: list[str], *, x_range: tuple[str, str] | None = None,
                           colours: dict[str, str] | None = None) -> go.Figure:
    """Cumulative departures stacked by host country, against the baseline population and the places
    pledged. `cumulative`: date, host_country, people (cumulative). `pledges`: date, places (cumulative)."""
    fig = go.Figure()
    cumulative = _with_others(cumulative, colours, ["date"], "people")
    for code in _countries_by_total(cumulative, "people", last=True):
        rows = cumulative[cumulative["host_country"] == code]
        colour = country_colour(code, colours)
        fig.add_trace(go.Scatter(x=rows["date"], y=rows["people"], name=country_label(code), legendgroup=code,
                                 stackgroup="relocated", mode="lines",
                                 line={"shape": "hv", "width": 0.5, "color": colour}, fillcolor=colour,
                                 hovertemplate=f"{country_label(code)}: %{{y:,}}<extra></extra>"))
    if not pledges.empty:
        fig.add_trace(go.Scatter(x=pledges["date"], y=pledges["places"], name="Places pledged (cumulative)",
                                 mode="lines", line={"shape": "hv", "dash": "dash", "color": "#000000", "width": 2},
                                 hovertemplate="pledged: %{y:,}<extra></extra>"))
    if baseline:
        dates = [*cumulative["date"], *pledges["date"]] if not pledges.empty else list(cumulative["date"])
        if x_range and all(x_range):
            dates += list(x_range)
        if dates:
            fig.add_trace(go.Scatter(x=[min(dates), max(dates)], y=[baseline, baseline], mode="lines",
                                     name="Baseline population (first count)",
                                     line={"dash": "dot", "color": NEUTRAL, "width": 2},
                                     hovertemplate="baseline: %{y:,}<extra></extra>"))
    _x_range(fig, x_range)
    return finish(fig, "Relocated, by host country (cumulative)", "People relocated (cumulative departures)",
                  as_of, sources)


# ---------------------------------------------------------------- relocation


def departures_per_month(frame: pd.DataFrame, as_of: str | None, sources: list[str], *,
                         colours: dict[str, str] | None = None) -> go.Figure:
    """Departed people per month stacked by host country (as steps, _monthly_steps). `frame`: month,
    host_country, people."""
    fig = go.Figure()
    frame = _with_others(frame, colours, ["month"], "people")
    order = _countries_by_total(frame, "people")
    if order:
        _monthly_steps(fig, frame, "host_country", order, "people", {c: country_colour(c, colours) for c in order},
                       {c: country_label(c) for c in order})
    months = frame["month"].nunique()
    fig.update_xaxes(dtick="M6" if months > 30 else "M3" if months > 12 else "M1", tickformat="%b %Y")
    return finish(fig, "Departures per month, by host country", "People departed per month (flow)", as_of,
                  sources, x_title="Month")


def pledged_vs_departed(frame: pd.DataFrame, as_of: str | None, sources: list[str], *,
                        colours: dict[str, str] | None = None) -> go.Figure:
    """Per host country (one row each, the largest on top): places pledged (outlined) against people departed
    (filled), in the country's colour, each bar labelled with its figure. `frame`: host_country, pledged,
    departed."""
    codes = list(frame["host_country"])
    names = [country_label(c) for c in codes]
    fills = [country_colour(c, colours) for c in codes]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=frame["departed"], name="Departed", orientation="h", marker={"color": fills},
                         customdata=codes, text=[f"{v:,}" for v in frame["departed"]], textposition="outside",
                         cliponaxis=False, hovertemplate="departed: %{x:,}<extra></extra>"))
    fig.add_trace(go.Bar(y=names, x=frame["pledged"], name="Places pledged", orientation="h",
                         marker={"color": "rgba(255,255,255,0)", "line": {"color": fills, "width": 1.5},
                                 "pattern": {"shape": "/", "fgcolor": fills, "size": 6}},
                         customdata=codes, text=[f"{v:,} pledged" if v else "" for v in frame["pledged"]],
                         textposition="outside", cliponaxis=False, hovertemplate="pledged: %{x:,}<extra></extra>"))
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig = finish(fig, "Departed and pledged, by host country", "Host country", as_of, sources,
                 x_title="People departed / places pledged")
    fig.update_layout(hovermode="y unified", height=max(fig.layout.height, 200 + 46 * len(codes)))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(names)), rangemode="normal")
    _room_for_labels(fig, max([*frame["departed"], *frame["pledged"], 0]))
    return fig


def _room_for_labels(fig: go.Figure, largest: float) -> None:
    """A horizontal value axis long enough for the labels written after the longest bar."""
    fig.update_xaxes(range=[0, max(largest, 1) * 1.22], separatethousands=True)


def stages(frame: pd.DataFrame, as_of: str | None, sources: list[str], *,
           colours: dict[str, str] | None = None) -> go.Figure:
    """People per stage of the transfer (submitted, accepted, departed), stacked by host country.
    `frame`: stage, host_country, people."""
    fig = go.Figure()
    present = [s for s in TRANSFER_STAGES if s in set(frame["stage"])]
    frame = _with_others(frame, colours, ["stage"], "people")
    for code in _countries_by_total(frame, "people"):
        rows = frame[frame["host_country"] == code]
        fig.add_trace(go.Bar(y=rows["stage"], x=rows["people"], orientation="h", name=country_label(code),
                             legendgroup=code, marker_color=country_colour(code, colours),
                             hovertemplate=f"{country_label(code)}: %{{x:,}}<extra></extra>"))
    totals = frame.groupby("stage")["people"].sum()
    fig.add_trace(go.Scatter(y=present, x=[int(totals[s]) for s in present], mode="text", showlegend=False,
                             text=[f"  {int(totals[s]):,} people" for s in present], textposition="middle right",
                             hoverinfo="skip", cliponaxis=False, name="total"))
    fig.update_layout(barmode="stack")
    fig = finish(fig, "Transfers by stage (each transfer's current stage)", "Stage", as_of, sources,
                 x_title="People")
    _room_for_labels(fig, max(totals.max() if len(totals) else 0, 0))
    fig.update_layout(hovermode="y unified")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(present)), rangemode="normal")
    return fig


# ---------------------------------------------------------------- medical access


def medevacs_per_month(frame: pd.DataFrame, as_of: str | None, sources: list[str]) -> go.Figure:
    """Patients per month stacked by outcome (as steps, _monthly_steps). `frame`: month, outcome, patients."""
    fig = go.Figure()
    order = [o for o in OUTCOME_COLOURS if o in set(frame["outcome"])]
    order += sorted(set(frame["outcome"]) - set(order))
    if order:
        _monthly_steps(fig, frame, "outcome", order, "patients",
                       {o: OUTCOME_COLOURS.get(o, NEUTRAL) for o in order}, {o: OUTCOME_LABELS.get(o, o) for o in order})
    return finish(fig, "Medical evacuation requests per month, by outcome (evacuation date, else request date)",
                  "Patients per month", as_of, sources, x_title="Month")


def waiting_days(frame: pd.DataFrame, median: float | None, as_of: str | None, sources: list[str],
                 bin_days: int = 7) -> go.Figure:
    """Patients by days waited from request to evacuation, in bins of `bin_days`, with the median marked.
    `frame`: waiting_days, patients."""
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=frame["waiting_days"], y=frame["patients"], histfunc="sum", name="Patients",
                               xbins={"start": 0, "size": bin_days}, marker_color=COUNT_MARKER,
                               hovertemplate="%{x} days: %{y:,} patients<extra></extra>"))
    title = "Waiting time from request to evacuation"
    if median is not None:
        fig.add_vline(x=median, line={"dash": "dash", "color": INCIDENT, "width": 2})
        title += f" (median per patient: {median:g} days, dashed line)"
    fig = finish(fig, title, f"Patients (per {bin_days}-day bin)", as_of, sources,
                 x_title="Days from request to evacuation")
    fig.update_layout(hovermode="closest", showlegend=False, bargap=0.05)
    return fig


# ---------------------------------------------------------------- incidents


def incidents_timeline(frame: pd.DataFrame, as_of: str | None, sources: list[str]) -> go.Figure:
    """Every incident on a time line, with its killed, wounded and hostages as bars (unreported figures
    show no bar; the marker at zero is there for every incident). `frame`: date, site, incident_type,
    killed, wounded, hostages, description."""
    fig = go.Figure()
    width = 12 * 86_400_000  # 12 days in ms: visible on a time line of years
    for column, colour, label in (("killed", INCIDENT, "Killed"), ("wounded", "#DDAA33", "Wounded"),
                                  ("hostages", "#004488", "Taken hostage")):
        fig.add_trace(go.Bar(x=frame["date"], y=frame[column], name=label, marker_color=colour, width=width,
                             hovertemplate=f"{label}: %{{y:,}}<extra></extra>"))
    text = [f"{r.site}: {str(r.incident_type or 'incident').replace('_', ' ')}" for r in frame.itertuples()]
    fig.add_trace(go.Scatter(x=frame["date"], y=[0] * len(frame), mode="markers", name="Incident",
                             marker={"symbol": "diamond", "size": 9, "color": NEUTRAL}, text=text,
                             hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(barmode="group", bargap=0)
    return finish(fig, "Incidents: killed, wounded and taken hostage", "People (per incident)", as_of, sources)


PERIOD_MS = {"week": 7 * 86_400_000, "month": "M1"}  # plotly's xperiod of a bar per week or month


def incidents_per_period(frame: pd.DataFrame, period: str, as_of: str | None, sources: list[str], *,
                         rows: int, limit: int) -> go.Figure:
    """Killed, wounded and taken hostage per week or per month, with the number of incidents of each on its
    own axis: the time line of `rows` incidents, more than `limit`, too many to draw one by one. `frame`:
    period (first day), incidents, killed, wounded, hostages."""
    fig = go.Figure()
    for column, colour, label in (("killed", INCIDENT, "Killed"), ("wounded", "#DDAA33", "Wounded"),
                                  ("hostages", "#004488", "Taken hostage")):
        fig.add_trace(go.Bar(x=frame["period"], y=frame[column], name=label, marker_color=colour,
                             xperiod=PERIOD_MS[period], xperiodalignment="middle",
                             hovertemplate=f"{label}: %{{y:,}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=frame["period"], y=frame["incidents"], name=f"Incidents per {period} (right axis)",
                             mode="lines+markers", yaxis="y2", xperiod=PERIOD_MS[period], xperiodalignment="middle",
                             line={"color": NEUTRAL, "width": 1.5}, marker={"size": 4},
                             hovertemplate="%{y:,} incidents<extra></extra>"))
    fig.update_layout(barmode="group", bargap=0.1)
    fig = finish(fig, f"Incidents per {period}: killed, wounded and taken hostage ({rows:,} incidents, more than "
                      f"{limit:,}: shown per {period})", f"People per {period}", as_of, sources,
                 x_title="Week (from Monday)" if period == "week" else "Month")
    fig.update_layout(yaxis2={"title": f"Incidents per {period}", "overlaying": "y", "side": "right",
                              "rangemode": "tozero", "showgrid": False, "separatethousands": True,
                              "tickmode": "auto", "tickformat": ",d"},
                      legend={"x": 1.08})
    return fig


def cumulative_deaths(frame: pd.DataFrame, as_of: str | None, sources: list[str], *,
                      x_range: tuple[str, str] | None = None) -> go.Figure:
    """Deaths recorded, cumulative, stacked by cause. `frame`: date, cause, cumulative."""
    fig = go.Figure()
    for cause in [c for c in CAUSE_COLOURS if c in set(frame["cause"])]:
        rows = frame[frame["cause"] == cause]
        fig.add_trace(go.Scatter(x=rows["date"], y=rows["cumulative"], name=cause, stackgroup="deaths",
                                 mode="lines", line={"shape": "hv", "width": 0.5, "color": CAUSE_COLOURS[cause]},
                                 fillcolor=CAUSE_COLOURS[cause], hovertemplate="%{y:,}<extra>" + cause + "</extra>"))
    _x_range(fig, x_range)
    return finish(fig, "Deaths recorded (cumulative)", "People (cumulative deaths)", as_of, sources)


# ---------------------------------------------------------------- reconciliation


def reconciliation(frame: pd.DataFrame, as_of: str | None, sources: list[str]) -> go.Figure:
    """The unexplained change of each interval between two counts, at the interval's end: a bar where the
    flows do not explain the change, a grey dot at zero where they do. `frame`: site, start, end,
    unexplained_change."""
    fig = go.Figure()
    off = frame[frame["unexplained_change"] != 0]
    even = frame[frame["unexplained_change"] == 0]
    fig.add_trace(go.Bar(x=off["end"], y=off["unexplained_change"], name="Not explained by the flows",
                         marker_color=INCIDENT, customdata=off[["site", "start"]].to_numpy(), width=10 * 86_400_000,
                         hovertemplate="%{customdata[0]}, %{customdata[1]} to %{x}: %{y:+,}<extra></extra>"))
    fig.add_trace(go.Scatter(x=even["end"], y=even["unexplained_change"], name="Explained (zero)", mode="markers",
                             marker={"color": "#999999", "size": 7}, customdata=even[["site", "start"]].to_numpy(),
                             hovertemplate="%{customdata[0]}, %{customdata[1]} to %{x}: 0<extra></extra>"))
    fig = finish(fig, "Unexplained change between consecutive counts",
                 "People (count change + departures + deaths)", as_of, sources, x_title="End of the interval")
    fig.update_yaxes(rangemode="normal", zeroline=True, zerolinecolor=NEUTRAL)
    fig.update_layout(hovermode="closest")
    return fig


# ---------------------------------------------------------------- sites

FEMALE = "#CC79A7"
MALE = "#0072B2"
BOTH_SEXES = "#888888"


def _symmetric_ticks(extent: float) -> tuple[list[float], list[str]]:
    """Tick positions either side of zero up to `extent`, labelled as positive counts (a pyramid's axis)."""
    extent = max(extent, 1)
    power = 10 ** math.floor(math.log10(extent))
    step = next(power * f for f in (0.2, 0.5, 1, 2, 5, 10) if extent / (power * f) <= 4)
    step = max(1, step)
    n = math.ceil(extent / step)
    values = [k * step for k in range(-n, n + 1)]
    return values, [f"{abs(v):,.0f}" for v in values]


def age_sex_pyramid(comp: Composition, as_of: str | None) -> go.Figure:
    """Residents by sex (female to the left, male to the right) and by age band (centred: the counts give
    age and sex apart, not age by sex), from each site's latest count with a breakdown (a
    composition.Composition), with the shares of children and of people over 60 under the title."""
    t = comp.totals
    fig = go.Figure()
    rows: list[str] = []
    extent = 0.0
    if t.get("female") is not None or t.get("male") is not None:
        rows.append("All ages")
        for (key, label), sign, colour in zip(SEXES, (-1, 1), (FEMALE, MALE), strict=True):
            value = t.get(key)
            if value is None:
                continue
            share = _percent_of(value, comp.base[key])
            fig.add_trace(go.Bar(y=["All ages"], x=[sign * value], orientation="h", name=label, marker_color=colour,
                                 text=[f"{value:,} ({share})"], textposition="auto", customdata=[value],
                                 hovertemplate=f"{label}: %{{customdata:,}} people ({share})<extra></extra>"))
            extent = max(extent, value)
    bands = [(key, label) for key, label in AGE_BANDS if t.get(key) is not None]
    if t.get("children") is not None and not any(key in CHILD_BANDS for key, _ in bands):
        bands.insert(0, ("children", "Under 18"))  # children counted without their age bands
    if bands:
        values = [t[key] for key, _ in bands]
        shares = [_percent_of(t[key], comp.base[key]) for key, _ in bands]
        labels = [label if key == "children" else f"{label} years" for key, label in bands]
        rows += labels
        fig.add_trace(go.Bar(y=labels, x=values, base=[-v / 2 for v in values], orientation="h",
                             name="Both sexes (age given without sex)", marker_color=BOTH_SEXES,
                             text=[f"{v:,} ({s})" for v, s in zip(values, shares, strict=True)], textposition="auto",
                             customdata=values,
                             hovertemplate="%{y}: %{customdata:,} people<extra></extra>"))
        extent = max(extent, max(values) / 2)
    dates = comp.dates or (as_of, as_of)
    when = dates[0] if dates[0] == dates[1] else f"{dates[0]} to {dates[1]}"
    fig.update_layout(barmode="overlay", bargap=0.25)
    fig = finish(fig, f"Residents by sex and age (latest counts with a breakdown, {when})", "Age", as_of,
                 comp.sources, x_title="People (stock: female to the left, male to the right)")
    ticks, text = _symmetric_ticks(extent)
    fig.update_xaxes(tickvals=ticks, ticktext=text, range=[ticks[0], ticks[-1]], zeroline=True,
                     zerolinecolor=NEUTRAL)
    fig.update_yaxes(categoryorder="array", categoryarray=rows, rangemode="normal")
    fig.update_layout(hovermode="closest", title_subtitle_text=_shares_line(comp),
                      title_subtitle_font={"size": 11, "color": "#555"})
    return fig


def _percent_of(part: int, whole: int) -> str:
    value = share(part, whole)
    return "share unknown" if value is None else f"{value:.1f} %"


def _shares_line(comp: Composition) -> str:
    """Children and people over 60 as shares of the residents of the counts that give them."""
    def share(value: float | None, key: str, label: str) -> str:
        if value is None:
            return f"{label}: not reported"
        return f"{label}: {value:.1f} % of {comp.base[key]:,} people counted"

    return (share(comp.children_share, "children", "Children (under 18)") + "; "
            + share(comp.over_60_share, "age_60_plus", "aged 60 and over"))
