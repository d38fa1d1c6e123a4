"""The age-sex pyramid: female to the left, male to the right, age bands centred, the shares under the title,
and the sites' page data drawing it."""

from __future__ import annotations

import pandas as pd

from resettle.compute.composition import COLUMNS, Composition
from resettle.compute.scope import view_scope
from resettle.figures import charts, pages, registry
from resettle.store import db


def _comp(totals: dict, base: dict, children=None, over_60=None) -> Composition:
    fields = ("female", "male", "children", "age_0_4", "age_5_11", "age_12_17", "age_18_59", "age_60_plus")
    return Composition(pd.DataFrame([["A", "2021-06-30", ["UNHCR"], 1000, *[None] * 8]], columns=COLUMNS),
                       totals={f: totals.get(f) for f in fields}, base={f: base.get(f, 0) for f in fields},
                       children_share=children, over_60_share=over_60, sources=["UNHCR"],
                       dates=("2021-05-31", "2021-06-30"))


def test_pyramid_with_sex_and_age_bands():
    comp = _comp({"female": 520, "male": 480, "children": 400, "age_0_4": 100, "age_5_11": 150, "age_12_17": 150,
                  "age_18_59": 500, "age_60_plus": 100},
                 {f: 1000 for f in ("female", "male", "children", "age_0_4", "age_5_11", "age_12_17", "age_18_59",
                                    "age_60_plus")}, children=40.0, over_60=10.0)
    fig = charts.age_sex_pyramid(comp, "2021-07-01")
    female, male, bands = fig.data
    assert (female.name, list(female.x), list(female.y)) == ("Female", [-520], ["All ages"])
    assert (male.name, list(male.x)) == ("Male", [480])
    assert female.text == ("520 (52.0 %)",) and male.text == ("480 (48.0 %)",)
    assert list(bands.y) == ["0-4 years", "5-11 years", "12-17 years", "18-59 years", "60+ years"]
    assert list(bands.x) == [100, 150, 150, 500, 100]
    assert list(bands.base) == [-50, -75, -75, -250, -50]  # centred on zero
    assert fig.layout.title.text == "Residents by sex and age (latest counts with a breakdown, 2021-05-31 to 2021-06-30)"
    assert fig.layout.title.subtitle.text == ("Children (under 18): 40.0 % of 1,000 people counted; aged 60 and over: "
                                              "10.0 % of 1,000 people counted")
    assert list(fig.layout.yaxis.categoryarray) == ["All ages", "0-4 years", "5-11 years", "12-17 years",
                                                    "18-59 years", "60+ years"]
    # The axis reads as counts either side of zero, wide enough for the largest bar.
    ticks = list(fig.layout.xaxis.tickvals)
    assert ticks[0] == -ticks[-1] and ticks[-1] >= 520 and "0" in fig.layout.xaxis.ticktext
    assert all(not t.startswith("-") for t in fig.layout.xaxis.ticktext)
    assert "Data as of 2021-07-01. Sources: UNHCR" in fig.layout.annotations[0].text


def test_pyramid_with_sex_only_and_children_without_bands():
    comp = _comp({"female": 313, "male": 664}, {"female": 977, "male": 977})
    fig = charts.age_sex_pyramid(comp, "2016-09-09")
    assert [t.name for t in fig.data] == ["Female", "Male"]
    assert fig.layout.title.subtitle.text == "Children (under 18): not reported; aged 60 and over: not reported"
    comp = _comp({"female": 10, "male": 12, "children": 9}, {"female": 22, "male": 22, "children": 22},
                 children=40.9)
    fig = charts.age_sex_pyramid(comp, "2016-09-09")
    assert list(fig.data[2].y) == ["Under 18"] and list(fig.data[2].x) == [9]


def test_sample_sites_page_draws_the_pyramid_of_camp_liberty(sample_db):
    conn = db.connect(sample_db)
    try:
        data = pages.sites_data(conn, view_scope(conn))
        figs = registry.build_all(conn, view_scope(conn), ("sites",))
    finally:
        conn.close()
    assert registry.page("sites").charts == ("sites_map", "age_sex_pyramid")
    assert [p.path for p in registry.PAGES][:2] == ["overview", "sites"]
    assert list(figs) == ["sites_map", "age_sex_pyramid"]
    female, male = figs["age_sex_pyramid"].data
    # Camp Liberty's count of 2016-06-30 (the latest with a split): 313 women, 664 men.
    assert (list(female.x), list(male.x)) == ([-313], [664])
    assert data.composition.dates == ("2016-06-30", "2016-06-30")
