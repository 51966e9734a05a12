"""Browser (issue 19, item 6): maps people can read — zones and hot blocks named on the map (as
text, never HTML), a legend for every marker colour, and the map opening fitted to the data."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from qianwan.org.choices import Role
from qianwan.org.demo import DEMO_PASSWORD
from tests.e2e.conftest import artifact
from tests.traffic.factories import make_accident, make_asset, make_zone

pytestmark = pytest.mark.django_db(transaction=True)


def test_traffic_zones_named_and_every_colour_in_the_legend(page, login, make_user, station, settings):
    settings.MAP_TILE_URL = ""
    make_zone("TZ1", 1, 1, stations=[station], name="庵东中心巡区")
    make_zone("TZ2", 1, 2, stations=[station], name="<b>滨海</b>巡区")  # a name is text, not markup
    make_asset(kind="camera")
    make_accident(station)
    make_user(Role.STATION_LEADER, username="lead")
    login(page, "lead")
    page.goto("/traffic/")
    expect(page.locator("#traffic-map")).to_have_attribute("data-loaded", re.compile(r"^[1-9]"))
    tags = page.locator("#traffic-map .leaflet-tooltip.qw-tag")
    expect(tags).to_have_count(2)
    expect(tags).to_contain_text(["庵东中心巡区", "<b>滨海</b>巡区"], ignore_case=False)
    expect(page.locator("#traffic-map .leaflet-tooltip b")).to_have_count(0)
    legend = page.locator("#traffic-map .qw-legend")
    for label in (
        "巡区：有在岗队伍",
        "巡区：无在岗队伍",
        "监控摄像头",
        "雷达测速提示屏",
        "警务岗亭",
        "事故：有死亡",
        "事故：其他",
        "空心：已结案",
    ):
        expect(legend).to_contain_text(label)
    # each colour drawn on the map has its swatch in the legend
    swatches = {
        page.evaluate("(el) => getComputedStyle(el).borderTopColor", el)
        for el in legend.locator(".qw-swatch").element_handles()
    }
    drawn = {
        page.evaluate("(el) => getComputedStyle(el).stroke", el)
        for el in page.locator(
            "#traffic-map path.qw-layer-zones, #traffic-map path.qw-layer-accidents"
        ).element_handles()
    }
    assert drawn and drawn <= swatches, (drawn, swatches)
    page.screenshot(path=artifact("traffic-map-labels.png"))


@pytest.fixture
def demo(settings):
    settings.MAP_TILE_URL = ""
    from enterprises import demo as enterprises_demo
    from qianwan.org import demo as org_demo
    from risks import demo as risks_demo

    for module in (org_demo, enterprises_demo, risks_demo):
        with transaction.atomic():
            module.load()


def test_battle_map_legend_and_fit(page, login, demo):
    login(page, "bureau", DEMO_PASSWORD)
    page.goto("/risks/map/")
    the_map = page.locator("[data-qw-map]")
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"), timeout=20000)
    legend = page.locator("#battle-map .qw-legend")
    for label in (
        "隐患：低",
        "隐患：中",
        "隐患：高",
        "隐患：重大",
        "空心：已销号",
        "风险点：已确认",
        "风险点：候选",
        "热点网格：新出现",
        "派出所",
        "聚合点",
    ):
        expect(legend).to_contain_text(label)
    swatches = {
        page.evaluate("(el) => getComputedStyle(el).borderTopColor", el)
        for el in legend.locator(".qw-swatch:not(.qw-swatch-station)").element_handles()
    }
    drawn = {
        page.evaluate("(el) => getComputedStyle(el).stroke", el)
        for el in page.locator("#battle-map path[class*='qw-layer-hazard']").element_handles()
    }
    assert drawn and drawn <= swatches, (drawn, swatches)
    # opened fitted to the data: the markers spread over most of the frame, not a third of it
    frame = the_map.bounding_box()
    marks = page.locator("#battle-map path[class*='qw-layer-hazard'], #battle-map .marker-cluster")
    boxes = [b for b in (el.bounding_box() for el in marks.element_handles()) if b]
    left = min(b["x"] for b in boxes)
    right = max(b["x"] + b["width"] for b in boxes)
    top = min(b["y"] for b in boxes)
    bottom = max(b["y"] + b["height"] for b in boxes)
    share = max((right - left) / frame["width"], (bottom - top) / frame["height"])
    assert share >= 0.7, share
    assert left >= frame["x"] - 1 and right <= frame["x"] + frame["width"] + 1
    page.screenshot(path=artifact("risks-map-legend.png"))


def test_battle_map_clusters_dense_hazards(page, login, demo):
    """Hundreds of overlapping markers become clusters whose numbers add up to the hazards drawn; a
    click on a cluster zooms in and splits it."""
    login(page, "bureau", DEMO_PASSWORD)
    page.goto("/risks/map/")
    the_map = page.locator("#battle-map")
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"), timeout=20000)
    hazards = int(the_map.get_attribute("data-hazards"))
    assert hazards > 50
    clusters = page.locator("#battle-map .marker-cluster")
    expect(clusters.first).to_be_visible()
    in_clusters = sum(int(t) for t in clusters.all_inner_texts())
    single = page.locator("#battle-map path[class*='qw-layer-hazard']").count()
    assert in_clusters + single == hazards, (in_clusters, single, hazards)
    assert clusters.count() + single < hazards / 2  # far fewer things to look at than hazards
    page.screenshot(path=artifact("risks-map-clusters.png"))
    biggest = max(range(clusters.count()), key=lambda i: int(clusters.nth(i).inner_text()))
    clusters.nth(biggest).click()
    expect(page.locator("#battle-map path[class*='qw-layer-hazard']")).not_to_have_count(single)
    assert page.external_requests == []
