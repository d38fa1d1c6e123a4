"""The maps and the flow diagram on small hand-made frames: what each draws, what it groups or cannot
place and says so, and the shipped outlines they are drawn on."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from resettle.figures import flows, geo, maps, theme

SOURCES = ["UNHCR", "IOM"]
SITES = pd.DataFrame({
    "name": ["Camp A", "Camp B", "Camp C", "Camp D"],
    "lat": [33.3, 36.2, None, 31.0],
    "lon": [44.4, 43.9, 45.0, None],
    "residents_now": [1200, 300, 50, 10],
    "pct_relocated": [40.0, None, 10.0, 0.0],
})


def caption_of(fig) -> str:
    return next(a.text for a in fig.layout.annotations if a.text.startswith("Data as of"))


# ---------------------------------------------------------------- the outlines


def test_the_outlines_are_shipped_and_name_countries_by_iso3():
    data = json.loads(geo.outlines_text())
    assert set(data["objects"]) >= {"countries", "land", "coastlines"}
    countries = geo.outline_countries()
    assert len(countries) == 174
    assert {"ALB", "DEU", "IRQ", "USA", "SYR", "AFG"} <= countries
    assert "MLT" not in countries and "SGP" not in countries  # too small for 1:110m
    assert geo.outlines_path().name == f"{geo.TOPOJSON_NAME}.json"
    assert (geo.outlines_path().parent / "NOTICE.md").read_text(encoding="utf-8").count("Natural Earth") >= 2


def test_the_register_script_holds_the_whole_file_under_plotlys_name():
    script = geo.register_script()
    assert "window.PlotlyGeoAssets.topojson[\"world_110m\"] = " in script
    body = script.split('window.PlotlyGeoAssets.topojson["world_110m"] = ', 1)[1].rstrip(";")
    assert json.loads(body.replace("<\\/", "</")) == json.loads(geo.outlines_text())
    assert "http" not in script.split("=", 1)[0]


# ---------------------------------------------------------------- the sites


def test_the_sites_map_places_sites_sized_by_residents_and_coloured_by_pct():
    fig = maps.sites_map(SITES, "2020-05-01", SOURCES)
    coloured = next(t for t in fig.data if t.name == "Sites")
    grey = next(t for t in fig.data if t.name == "Sites, % relocated not known")
    assert list(coloured.text) == ["Camp A"] and list(grey.text) == ["Camp B"]
    assert list(coloured.lat) == [33.3] and list(coloured.lon) == [44.4]
    assert list(coloured.marker.color) == [40.0] and (coloured.marker.cmin, coloured.marker.cmax) == (0, 100)
    assert list(coloured.marker.size) == [1200.0] and list(grey.marker.size) == [300.0]
    # Area by residents: the largest site's circle is SITE_MARKER_PX across.
    assert coloured.marker.sizemode == "area"
    assert coloured.marker.sizeref == pytest.approx(2 * 1200 / maps.SITE_MARKER_PX ** 2)
    assert coloured.marker.colorbar.title.text == "Relocated<br>(% of baseline)"
    assert grey.marker.color == "#999999"
    assert list(coloured.customdata[0]) == ["residents now: 1,200", "relocated: 40.0 % of baseline"]
    assert list(grey.customdata[0]) == ["residents now: 300", "relocated: not known"]
    assert fig.layout.geo.resolution == geo.RESOLUTION and fig.layout.geo.scope == "world"
    assert "Data as of 2020-05-01. Sources: UNHCR<br>IOM" == caption_of(fig)


def test_sites_without_coordinates_are_listed_on_the_map_and_for_the_page():
    assert maps.unplaced_sites(SITES) == ["Camp C", "Camp D"]
    fig = maps.sites_map(SITES, "2020-05-01", SOURCES)
    assert fig.layout.title.subtitle.text == ("2 sites without coordinates not on the map: Camp C, Camp D; "
                                              "grey: % relocated not known (1 site)")
    drawn = [n for t in fig.data for n in t.text]
    assert sorted(drawn) == ["Camp A", "Camp B"]


def test_the_sites_map_frames_the_sites():
    fig = maps.sites_map(SITES, "2020-05-01", SOURCES)
    lon, lat = list(fig.layout.geo.lonaxis.range), list(fig.layout.geo.lataxis.range)
    assert lon[0] < 43.9 and lon[1] > 44.4 and lon[1] - lon[0] >= 30
    assert lat[0] < 33.3 and lat[1] > 36.2 and lat[1] - lat[0] >= 30


def test_a_sites_map_of_no_site_with_coordinates_says_so():
    table = SITES.assign(lat=None)
    fig = maps.sites_map(table, "2020-05-01", SOURCES)
    assert not fig.data
    assert fig.layout.title.subtitle.text.startswith("4 sites without coordinates not on the map: Camp A, Camp B")
    assert maps.sites_map(SITES.iloc[:0], None, []).layout.title.subtitle.text is None
    placed = maps.sites_map(SITES.iloc[[0, 1]], None, [])
    assert placed.layout.title.subtitle.text == "Grey: % relocated not known (1 site)"
    assert maps.sites_map(SITES.iloc[[0]], None, []).layout.title.subtitle.text is None


# ---------------------------------------------------------------- departures by host country

BY_COUNTRY = pd.DataFrame({"host_country": ["ALB", "DEU", "MLT", "FIN", "ALB"], "people": [2000, 100, 7, 3, 641]})


def test_the_world_map_shades_each_country_by_its_people():
    fig = maps.departures_map(BY_COUNTRY, "2016-09-09", SOURCES)
    base, shaded = fig.data
    assert sorted(base.locations) == sorted(geo.outline_countries()) and set(base.z) == {0}
    assert base.hoverinfo == "skip" and base.showscale is False
    z = dict(zip(shaded.locations, shaded.z, strict=True))
    assert z == pytest.approx({"ALB": math.log10(2641), "DEU": 2.0, "FIN": math.log10(3)})
    people = {row[0]: row[1] for row in shaded.customdata}
    assert people == {"Albania": 2641, "Germany": 100, "Finland": 3}
    assert shaded.locationmode == "ISO-3" and (shaded.zmin, shaded.zmax) == (0, 4)
    assert list(shaded.colorbar.ticktext) == ["1", "10", "100", "1,000", "10,000"]
    assert "%{customdata[1]:,} people departed" in shaded.hovertemplate
    assert fig.layout.title.text == "Where people went: departed up to 2016-09-09, by host country"


def test_a_country_without_an_outline_is_named_with_its_people():
    fig = maps.departures_map(BY_COUNTRY, "2016-09-09", SOURCES)
    assert fig.layout.title.subtitle.text == "Not on the map (no outline at this scale): Malta (7 people)"
    assert "MLT" not in list(fig.data[1].locations)
    clean = maps.departures_map(BY_COUNTRY[BY_COUNTRY["host_country"] != "MLT"], "2016-09-09", SOURCES)
    assert clean.layout.title.subtitle.text is None


# ---------------------------------------------------------------- where people went

FLOWS = pd.DataFrame({
    "site": ["Liberty", "Liberty", "Liberty", "Ashraf", "Tiny", "Small", "Liberty"],
    "host_country": ["ALB", "DEU", "FIN", "IRQ", "ALB", "DEU", "USA"],
    "people": [2641, 105, 30, 42, 3, 5, 10],
})


def link_sum(fig) -> int:
    return sum(fig.data[0].link.value)


def test_the_sankey_carries_every_departure_once():
    fig = flows.where_people_went(FLOWS, "2016-09-09", SOURCES)
    assert link_sum(fig) == int(FLOWS["people"].sum()) == 2836
    labels = list(fig.data[0].node.label)
    assert labels == ["Liberty: 2,786", "Ashraf: 42", "Small: 5", "Tiny: 3",
                      "Albania: 2,644", "Germany: 110", "Iraq: 42", "Finland: 30", "United States: 10"]
    link = fig.data[0].link
    pairs = {(labels[s].split(":")[0], labels[t].split(":")[0]): v
             for s, t, v in zip(link.source, link.target, link.value, strict=True)}
    assert pairs[("Liberty", "Albania")] == 2641 and pairs[("Tiny", "Albania")] == 3
    assert fig.layout.title.subtitle.text == "Band width: people departed."  # nothing grouped


def test_the_sankey_groups_the_smaller_sites_and_countries_and_counts_them():
    grouped = flows.group_flows(FLOWS, sites_shown=2, countries_shown=2)
    assert grouped.sites == ["Liberty", "Ashraf", flows.OTHER_SITES]
    assert grouped.other_sites == ["Small", "Tiny"]
    assert grouped.countries == ["ALB", "DEU", theme.OTHER] and grouped.other_countries == ["IRQ", "FIN", "USA"]
    assert int(grouped.links["people"].sum()) == 2836
    other = grouped.links[(grouped.links["site"] == flows.OTHER_SITES)].set_index("host_country")["people"]
    assert other.to_dict() == {"ALB": 3, "DEU": 5}

    fig = flows.where_people_went(FLOWS, "2016-09-09", SOURCES, colours=None)
    small = flows.group_flows(FLOWS, sites_shown=1, countries_shown=1)
    assert small.other_sites == ["Ashraf", "Small", "Tiny"] and len(small.other_countries) == 4
    with_groups = flows.where_people_went(FLOWS, "2016-09-09", SOURCES, sites_shown=2, countries_shown=2)
    assert "Other sites (2): 8" in list(with_groups.data[0].node.label)
    assert "Other host countries (3): 82" in list(with_groups.data[0].node.label)
    assert with_groups.layout.title.subtitle.text == (
        "Grouped: 2 smaller sites as \u201cOther sites\u201d and 3 smaller host countries as "
        "\u201cOther host countries\u201d. Band width: people departed.")
    assert link_sum(with_groups) == link_sum(fig) == 2836


def test_a_group_of_one_is_named_instead():
    grouped = flows.group_flows(FLOWS, sites_shown=3, countries_shown=4)
    assert grouped.other_sites == [] and grouped.sites == ["Liberty", "Ashraf", "Small", "Tiny"]
    assert grouped.other_countries == [] and len(grouped.countries) == 5


def test_host_countries_keep_their_colour_and_grey_ones_are_grouped():
    colours = theme.colour_map(["ALB", "DEU", "IRQ", "FIN", "USA"])
    colours["USA"] = theme.OTHER_COLOUR  # as if beyond the palette
    fig = flows.where_people_went(FLOWS, "2016-09-09", SOURCES, colours=colours)
    node = fig.data[0].node
    colour_of = dict(zip([label.split(":")[0] for label in node.label], node.color, strict=True))
    assert colour_of["Albania"] == theme.country_colour("ALB", colours) == "#0072B2"
    assert colour_of["Germany"] == theme.country_colour("DEU", colours)
    assert colour_of["Other host countries (1)"] == theme.OTHER_COLOUR
    assert "United States" not in colour_of
    assert link_sum(fig) == 2836


def test_no_flow_gives_an_empty_but_finished_diagram():
    fig = flows.where_people_went(FLOWS.iloc[:0], "2016-09-09", SOURCES)
    assert link_sum(fig) == 0 and fig.layout.title.text.startswith("Where people went")


def test_an_emptied_camp_is_still_drawn():
    # Residents now 0 (every resident relocated) or not known: plotly.js gives a size of 0 no radius at all,
    # so the map would show nothing where the camp is.
    emptied = pd.DataFrame({"name": ["Camp Liberty", "Camp Ashraf"], "lat": [33.28, 33.63], "lon": [44.23, 44.83],
                            "residents_now": pd.array([0, None], dtype="Int64"), "pct_relocated": [93.3, 41.6]})
    fig = maps.sites_map(emptied, "2016-09-09", SOURCES)
    [sites] = fig.data
    assert sorted(sites.text) == ["Camp Ashraf", "Camp Liberty"]
    assert all(0 < size <= maps.SMALLEST for size in sites.marker.size) and sites.marker.sizemin == 5
