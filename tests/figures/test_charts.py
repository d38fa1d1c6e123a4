"""Every chart builder on small hand-made frames: the data in the figure, its names, colours and labels."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from resettle.figures import charts, theme


def trace(fig, name: str):
    hits = [t for t in fig.data if t.name == name]
    assert hits, f"no trace {name!r}: {[t.name for t in fig.data]}"
    return hits[0]


def values(seq) -> list:
    """A trace's array as plain Python values (None for a missing number)."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in list(seq)]


def by_month(t) -> dict[str, int | None]:
    """A monthly step trace's value of each month ('YYYY-MM'), its points of a month checked to agree (the
    first and last month have a point on their edge too); None where the month has no figure."""
    out: dict[str, int | None] = {}
    for x, y in zip(t.x, values(t.y), strict=True):
        month = str(x)[:7]
        assert out.get(month, y) == y, (t.name, month, out[month], y)
        out[month] = y
    return out


def caption_of(fig) -> str:
    return next(a.text for a in fig.layout.annotations if a.text.startswith("Data as of"))


DEPARTURES = pd.DataFrame({"month": ["2020-02-01", "2020-03-01", "2020-03-01", "2020-05-01"],
                           "host_country": ["ALB", "ALB", "DEU", "ALB"], "people": [50, 20, 40, 100]})
CUMULATIVE = pd.DataFrame({"date": ["2020-02-15", "2020-02-15", "2020-03-10", "2020-03-10"],
                           "host_country": ["ALB", "DEU", "ALB", "DEU"], "people": [50, 0, 50, 40]})
PLEDGES = pd.DataFrame({"date": ["2020-01-15", "2020-02-01"], "places": [300, 400]})
PLEDGED = pd.DataFrame({"host_country": ["ALB", "FIN", "DEU"], "pledged": [300, 0, 100], "departed": [170, 80, 40]})
STAGES = pd.DataFrame({"stage": ["submitted", "departed", "departed"], "host_country": ["ALB", "ALB", "DEU"],
                       "transfers": [1, 3, 1], "people": [30, 170, 40]})


def test_country_colours_are_stable_and_from_the_palette():
    assert theme.country_colour("ALB") == "#0072B2"
    assert theme.country_colour("XYZ") == theme.country_colour("XYZ")
    assert theme.country_colour("XYZ") in theme.PALETTE
    assert theme.country_label("DEU") == "Germany"


def test_a_country_keeps_its_colour_on_every_chart():
    figures = [charts.departures_per_month(DEPARTURES, "2020-07-01", []),
               charts.cumulative_relocations(CUMULATIVE, PLEDGES, 1000, "2020-07-01", []),
               charts.stages(STAGES, "2020-07-01", [])]
    for code, name in (("ALB", "Albania"), ("DEU", "Germany")):
        colours = {trace(f, name).marker.color or trace(f, name).line.color for f in figures}
        assert colours == {theme.country_colour(code)}, (name, colours)
    pledged = charts.pledged_vs_departed(PLEDGED, "2020-07-01", [])
    bars = trace(pledged, "Departed")
    assert dict(zip(bars.y, bars.marker.color, strict=True))["Germany"] == theme.country_colour("DEU")


def test_every_chart_has_title_axis_units_as_of_and_sources():
    fig = charts.departures_per_month(DEPARTURES, "2020-07-01", ["UNHCR", "IOM"])
    assert fig.layout.title.text == "Departures per month, by host country"
    assert fig.layout.yaxis.title.text == "People departed per month (flow)"
    assert fig.layout.xaxis.title.text == "Month"
    assert caption_of(fig) == "Data as of 2020-07-01. Sources: UNHCR<br>IOM"


def test_the_caption_shortens_long_and_many_sources():
    sources = ["A" * 100, "B", "C", "D", "E"]
    text = theme.caption("2020-07-01", sources)
    assert "A" * 69 + "…" in text and "A" * 70 not in text
    assert text.endswith("and 2 more sources (see the Data page)")
    assert theme.caption(None, []) == "Data as of n/a. Sources: none"


def test_the_figure_grows_with_its_legend():
    many = pd.DataFrame({"month": ["2020-01-01"] * 30, "host_country": [f"X{i:02d}" for i in range(30)],
                         "people": list(range(1, 31))})
    assert charts.departures_per_month(many, "2020-07-01", []).layout.height > \
        charts.departures_per_month(DEPARTURES, "2020-07-01", []).layout.height


def test_departures_per_month_stacks_countries_largest_first():
    fig = charts.departures_per_month(DEPARTURES, "2020-07-01", [])
    assert [t.name for t in fig.data] == ["Albania", "Germany"]  # 170 before 40
    # Every month from the first to the last, April (no departure) too: no figure, drawn at zero.
    assert by_month(trace(fig, "Albania")) == {"2020-02": 50, "2020-03": 20, "2020-04": None, "2020-05": 100}
    assert by_month(trace(fig, "Germany")) == {"2020-02": None, "2020-03": 40, "2020-04": None, "2020-05": None}
    for t in fig.data:
        assert (t.stackgroup, t.stackgaps, t.line.shape) == ("months", "infer zero", "hvh")
    # A point in the middle of each month, and the whole first and last month: from 1 February to 31 May.
    assert list(fig.data[0].x) == ["2020-02-01", "2020-02-15 12:00", "2020-03-16 12:00", "2020-04-16 00:00",
                                   "2020-05-16 12:00", "2020-05-31"]
    assert fig.layout.xaxis.hoverformat == "%b %Y"


def test_a_monthly_step_chart_adds_up_to_its_rows():
    frame = pd.DataFrame({"month": ["2019-11-01", "2020-01-01", "2020-01-01", "2020-03-01"],
                          "host_country": ["DEU", "ALB", "ALB", "DEU"], "people": [7, 3, 4, 9]})
    fig = charts.departures_per_month(frame, "2020-07-01", [])
    shown = {t.name: by_month(t) for t in fig.data}
    assert shown["Albania"]["2020-01"] == 7  # two rows of one month add up
    assert sum(v or 0 for months in shown.values() for v in months.values()) == int(frame["people"].sum())
    assert list(shown["Germany"]) == ["2019-11", "2019-12", "2020-01", "2020-02", "2020-03"]


def test_cumulative_relocations_against_baseline_and_pledges():
    fig = charts.cumulative_relocations(CUMULATIVE, PLEDGES, 1000, "2020-07-01", [],
                                        x_range=("2020-01-01", "2020-07-01"))
    assert [t.name for t in fig.data] == ["Albania", "Germany", "Places pledged (cumulative)",
                                          "Baseline population (first count)"]
    assert values(trace(fig, "Germany").y) == [0, 40]
    assert {trace(fig, "Albania").stackgroup, trace(fig, "Germany").stackgroup} == {"relocated"}
    assert values(trace(fig, "Places pledged (cumulative)").y) == [300, 400]
    baseline = trace(fig, "Baseline population (first count)")
    assert values(baseline.y) == [1000, 1000] and list(baseline.x) == ["2020-01-01", "2020-07-01"]
    assert fig.layout.yaxis.title.text == "People relocated (cumulative departures)"


def test_pledged_vs_departed_one_row_per_country():
    fig = charts.pledged_vs_departed(PLEDGED, "2020-07-01", [])
    departed, pledged = trace(fig, "Departed"), trace(fig, "Places pledged")
    assert list(departed.y) == ["Albania", "Finland", "Germany"] and values(departed.x) == [170, 80, 40]
    assert values(pledged.x) == [300, 0, 100]
    assert list(pledged.text) == ["300 pledged", "", "100 pledged"]  # no label for nothing pledged
    assert list(pledged.marker.line.color) == [theme.country_colour(c) for c in ("ALB", "FIN", "DEU")]
    assert list(fig.layout.yaxis.categoryarray) == ["Germany", "Finland", "Albania"]  # the largest on top
    assert fig.layout.xaxis.range[1] > 300  # room for the labels


def test_stages_in_their_order_with_totals():
    fig = charts.stages(STAGES, "2020-07-01", [])
    assert values(trace(fig, "Albania").x) == [30, 170] and list(trace(fig, "Albania").y) == ["submitted", "departed"]
    total = trace(fig, "total")
    assert list(total.y) == ["submitted", "departed"] and list(total.text) == ["  30 people", "  210 people"]
    assert list(fig.layout.yaxis.categoryarray) == ["departed", "submitted"]


ESTIMATE = pd.DataFrame({"date": ["2020-01-01", "2020-02-15", "2020-04-01", "2020-07-01"],
                         "residents": [1000, 950, 890, 700]})
COUNTS = pd.DataFrame({"site": ["Alpha"] * 4, "date": ["2020-01-01", "2020-04-01", "2020-04-01", "2020-07-01"],
                       "source": ["UNHCR", "UNHCR", "NGO", "UNHCR"], "residents": [1000, 900, 880, 700],
                       "headline": [1000, 890, 890, 700], "low": [1000, 880, 880, 700],
                       "high": [1000, 900, 900, 700], "sources": [1, 2, 2, 1]})
INCIDENTS = pd.DataFrame({"date": ["2020-03-20"], "site": ["Alpha"], "incident_type": ["rocket_attack"],
                          "killed": [5.0], "wounded": [12.0], "hostages": [float("nan")],
                          "description": ["Rockets"], "source": ["UNHCR"]})


def test_remaining_population_estimate_counts_and_band():
    fig = charts.remaining_population(ESTIMATE, COUNTS, "2020-07-01", ["UNHCR"])
    estimate = trace(fig, "Residents (estimate)")
    assert values(estimate.y) == [1000, 950, 890, 700] and estimate.line.shape == "hv"
    counts = trace(fig, "Reported count (census)")
    assert values(counts.y) == [1000, 900, 880, 700]
    assert [row[0] for row in counts.customdata] == ["UNHCR", "UNHCR", "NGO", "UNHCR"]  # the source on hover
    high = trace(fig, "Range between sources")
    low = trace(fig, "Alpha low")
    assert list(high.x) == ["2020-01-01", "2020-04-01", "2020-07-01"]
    assert values(high.y) == [1000, 900, 700] and values(low.y) == [1000, 880, 700]  # closes where one source
    assert high.fill == "tonexty"
    assert fig.layout.yaxis.title.text == "People in the camp (stock)"


def test_remaining_population_without_disagreement_has_no_band():
    fig = charts.remaining_population(ESTIMATE, COUNTS[COUNTS["source"] == "UNHCR"].assign(sources=1),
                                      "2020-07-01", [])
    assert "Range between sources" not in [t.name for t in fig.data]


def test_incidents_sit_on_the_estimate_line():
    fig = charts.remaining_population(ESTIMATE, COUNTS, "2020-07-01", [], incidents=INCIDENTS)
    markers = trace(fig, "Incident (killed, wounded)")
    assert list(markers.x) == ["2020-03-20"] and values(markers.y) == [950]  # the estimate since 02-15
    assert "killed 5, wounded 12, hostages not reported" in markers.text[0]
    assert markers.marker.size[0] == pytest.approx(8 + 2 * math.sqrt(17))


def test_the_projection_is_a_dashed_extension_with_its_method():
    projection = {"from": "2020-07-01", "residents": 700, "to": "2021-06-16", "recent": 180}
    fig = charts.remaining_population(ESTIMATE, COUNTS, "2020-07-01", [], projection=projection,
                                      x_range=("2020-01-01", "2020-07-01"))
    line = trace(fig, "Projection (last 90 days' pace)")
    assert list(line.x) == ["2020-07-01", "2021-06-16"] and values(line.y) == [700, 0]
    assert line.line.dash == "dash"
    method = [a.text for a in fig.layout.annotations if a.text.startswith("Empty by")]
    assert method == ["Empty by 2021-06-16 if departures keep the pace of the last 90 days (180 people)"]
    assert fig.layout.xaxis.range[1] > "2021-06-16"  # the range reaches the projected date
    no_projection = charts.remaining_population(ESTIMATE, COUNTS, "2020-07-01", [],
                                                projection={**projection, "to": None})
    assert "Projection (last 90 days' pace)" not in [t.name for t in no_projection.data]


def test_medevacs_per_month_by_outcome():
    frame = pd.DataFrame({"month": ["2020-05-01", "2020-06-01", "2020-06-01"],
                          "outcome": ["died", "denied", "returned"], "requests": [1, 1, 1], "patients": [1, 2, 1]})
    fig = charts.medevacs_per_month(frame, "2020-07-01", ["NGO"])
    assert [t.name for t in fig.data] == ["Returned", "Died", "Denied"]
    assert by_month(trace(fig, "Denied")) == {"2020-05": None, "2020-06": 2}
    assert by_month(trace(fig, "Died")) == {"2020-05": 1, "2020-06": None}
    assert trace(fig, "Died").line.color == trace(fig, "Died").fillcolor == theme.OUTCOME_COLOURS["died"]
    assert fig.layout.yaxis.title.text == "Patients per month"


def test_waiting_days_histogram_and_median():
    frame = pd.DataFrame({"waiting_days": [0, 3, 9, 30], "evacuations": [4, 1, 2, 1], "patients": [5, 1, 2, 1]})
    fig = charts.waiting_days(frame, 1.5, "2020-07-01", [])
    bars = fig.data[0]
    assert values(bars.x) == [0, 3, 9, 30] and values(bars.y) == [5, 1, 2, 1] and bars.histfunc == "sum"
    assert bars.xbins.size == 7
    assert fig.layout.shapes[0].x0 == 1.5
    assert "median per patient: 1.5 days" in fig.layout.title.text
    assert not charts.waiting_days(frame, None, "2020-07-01", []).layout.shapes


def test_incidents_timeline_shows_every_incident():
    frame = pd.DataFrame({"date": ["2020-02-10", "2020-03-20"], "site": ["Beta", "Alpha"],
                          "incident_type": ["other", "rocket_attack"], "killed": [None, 5],
                          "wounded": [1, 12], "hostages": [None, 0], "description": ["", ""]})
    fig = charts.incidents_timeline(frame, "2020-07-01", [])
    assert values(trace(fig, "Killed").y) == [None, 5]
    assert values(trace(fig, "Wounded").y) == [1, 12]
    markers = trace(fig, "Incident")
    assert list(markers.x) == ["2020-02-10", "2020-03-20"] and list(markers.text) == ["Beta: other",
                                                                                      "Alpha: rocket attack"]


def test_cumulative_deaths_stacked_by_cause():
    frame = pd.DataFrame({"date": ["2020-03-20", "2020-03-20", "2020-05-10", "2020-05-10"],
                          "cause": ["Killed in incidents", "Died after a medical evacuation request"] * 2,
                          "deaths": [5, 0, 0, 1], "cumulative": [5, 0, 5, 1]})
    fig = charts.cumulative_deaths(frame, "2020-07-01", [])
    assert values(trace(fig, "Killed in incidents").y) == [5, 5]
    assert values(trace(fig, "Died after a medical evacuation request").y) == [0, 1]
    assert {t.stackgroup for t in fig.data} == {"deaths"}


def test_reconciliation_marks_the_discrepancies():
    frame = pd.DataFrame({"site": ["Alpha", "Alpha", "Beta"], "start": ["2020-01-01", "2020-04-01", "2020-01-01"],
                          "end": ["2020-04-01", "2020-07-01", "2020-03-01"], "unexplained_change": [-15, 0, 7]})
    fig = charts.reconciliation(frame, "2020-07-01", [])
    off = trace(fig, "Not explained by the flows")
    assert list(off.x) == ["2020-04-01", "2020-03-01"] and values(off.y) == [-15, 7]
    assert list(trace(fig, "Explained (zero)").x) == ["2020-07-01"]


@pytest.mark.parametrize("build", [
    lambda: charts.departures_per_month(DEPARTURES.iloc[0:0], None, []),
    lambda: charts.cumulative_relocations(CUMULATIVE.iloc[0:0], PLEDGES.iloc[0:0], None, None, []),
    lambda: charts.pledged_vs_departed(PLEDGED.iloc[0:0], None, []),
    lambda: charts.remaining_population(ESTIMATE.iloc[0:0], COUNTS.iloc[0:0], None, [],
                                        incidents=INCIDENTS.iloc[0:0]),
    lambda: charts.cumulative_deaths(pd.DataFrame(columns=["date", "cause", "deaths", "cumulative"]), None, []),
    lambda: charts.reconciliation(pd.DataFrame(columns=["site", "start", "end", "unexplained_change"]), None, []),
])
def test_empty_frames_give_an_empty_but_finished_figure(build):
    fig = build()
    assert fig.layout.title.text and caption_of(fig).startswith("Data as of n/a")


def test_the_colour_map_gives_every_country_its_own_colour():
    ranked = ["ALB", "AUS", "CAN", "DEU", "BEL"] + [f"X{i:02d}" for i in range(20)]
    colours = theme.colour_map(ranked)
    assert colours["ALB"] == "#0072B2" and colours["DEU"] == "#E69F00"  # the fixed colours stay
    own = [c for c in colours.values() if c != theme.OTHER_COLOUR]
    assert len(own) == len(set(own)) == len(theme.PALETTE)  # no two countries share a colour
    assert colours["AUS"] != colours["ALB"] and colours["BEL"] != colours["DEU"]
    assert colours["X19"] == theme.OTHER_COLOUR  # past the palette


def test_countries_beyond_the_palette_are_stacked_as_other():
    colours = {"ALB": "#0072B2", "DEU": "#E69F00", "NZL": theme.OTHER_COLOUR, "PER": theme.OTHER_COLOUR}
    frame = pd.DataFrame({"month": ["2020-01-01"] * 4 + ["2020-02-01"], "host_country": ["ALB", "DEU", "NZL", "PER", "NZL"],
                          "people": [10, 5, 2, 3, 4]})
    fig = charts.departures_per_month(frame, "2020-07-01", [], colours=colours)
    assert [t.name for t in fig.data] == ["Albania", "Other host countries", "Germany"]  # 10, 9, 5
    other = trace(fig, "Other host countries")
    assert by_month(other) == {"2020-01": 5, "2020-02": 4} and other.line.color == theme.OTHER_COLOUR
    cumulative = charts.cumulative_relocations(frame.rename(columns={"month": "date"}), PLEDGES.iloc[0:0], None,
                                               None, [], colours=colours)
    assert values(trace(cumulative, "Other host countries").y) == [5, 4]
