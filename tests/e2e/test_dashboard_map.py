"""Browser (issue 19 item 6): the dashboard map shows a station leader's open incidents, overdue
hazards and hot dispute blocks (named on the map, with a legend), clustered where dense; a click on a
marker opens its record, a click on a block its filtered dispute list, the links beside the map the
filtered lists. Another station's records are not on it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.choices import Role
from tests.disputes.factories import make_block, make_dispute
from tests.e2e.conftest import artifact
from tests.incidents.factories import make_incident
from tests.risks.factories import make_hazard

pytestmark = pytest.mark.django_db(transaction=True)
FAR = (30.3000, 121.2500)


@pytest.fixture
def mapped(make_user, station, other_station):
    ads = make_user(Role.OFFICER, username="map-ads")
    css = make_user(Role.OFFICER, station_=other_station, username="map-css")
    now = timezone.now()
    late = make_incident(station, ads, received_at=now - timedelta(minutes=20), lat=FAR[0], lon=FAR[1])
    # a crowd of calls at one corner: drawn as a cluster
    for i in range(12):
        make_incident(station, ads, received_at=now, lat=30.26 + i * 0.0001, lon=121.20)
    make_incident(other_station, css, received_at=now, lat=30.25, lon=121.13)
    overdue = make_hazard(station, ads, found_days_ago=40, rectify_in_days=-3, title="仓库堆放杂物")
    make_hazard(other_station, css, found_days_ago=40, rectify_in_days=-3, lat=30.25, lon=121.13)
    block = make_block(station, name="兴业路片区")
    make_dispute(station, ads)
    make_user(Role.STATION_LEADER, username="zhao")
    return {"late": late, "overdue": overdue, "block": block}


def _map_ready(page):
    the_map = page.locator("#dashboard-map")
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"), timeout=20000)
    return the_map


def test_dashboard_map_drill_down(page, login, mapped):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, "zhao")
    page.goto("/dashboard/")
    the_map = _map_ready(page)
    assert the_map.get_attribute("data-loaded") == "15"  # 13 calls + 1 hazard + 1 block, none of CSS
    control = page.locator(".leaflet-control-layers")
    expect(control).to_contain_text("处置中警情 (12)")
    expect(control).to_contain_text("处置中警情：有环节超时 (1)")
    expect(control).to_contain_text("逾期未整改隐患 (1)")
    expect(control).to_contain_text("纠纷热点片区（近30天） (1)")
    legend = page.locator(".qw-legend")
    for label in ("处置中警情", "处置中警情：有环节超时", "逾期未整改隐患", "纠纷热点片区（近30天前10）"):
        expect(legend).to_contain_text(label)
    expect(page.locator("#dashboard-map .leaflet-tooltip.qw-tag", has_text="兴业路片区")).to_be_visible()
    expect(page.locator("#dashboard-map .marker-cluster").first).to_be_visible()
    page.screenshot(path=artifact("i19-dashboard-map.png"), full_page=True)

    # the overdue call: zoomed to street level, a click on its red marker opens the record
    page.evaluate(
        f"() => document.querySelector('#dashboard-map').qwMap.map.setView([{FAR[0]}, {FAR[1]}], 18, {{animate: false}})"
    )
    marker = page.locator("#dashboard-map path.qw-layer-incidents_breached")
    expect(marker).to_have_count(1)
    assert marker.get_attribute("stroke") == "#b42318"
    marker.click()
    expect(page.locator(".qw-popup")).to_contain_text(mapped["late"].number)
    # dispatched on the link: the popup may still be panning into view, or lie under the sticky header
    page.locator(".qw-popup-open").dispatch_event("click")
    expect(page).to_have_url(re.compile(rf"/incidents/{mapped['late'].pk}/$"))

    # the hot block: a click on its area opens the block's dispute list
    page.goto("/dashboard/")
    _map_ready(page).scroll_into_view_if_needed()
    page.evaluate(
        "() => { var s = document.querySelector('#dashboard-map').qwMap;"
        " s.map.fitBounds(s.groups.hot_blocks.getBounds(), {animate: false}); }"
    )
    area = page.locator("#dashboard-map path.qw-layer-hot_blocks").first
    # the click is dispatched on the area itself: a marker inside it (the overdue hazard) may lie over
    # the area's centre
    area.dispatch_event("click")
    expect(page.locator(".qw-popup")).to_contain_text("纠纷 1 起")
    # dispatched on the link: the popup may still be panning into view, or lie under the sticky header
    page.locator(".qw-popup-open").dispatch_event("click")
    expect(page).to_have_url(re.compile(rf"/disputes/\?block={mapped['block'].pk}$"))

    # the filtered list beside the map
    page.goto("/dashboard/")
    page.locator("[data-map-link]", has_text="逾期未整改隐患列表").click()
    # a drill-down counts exactly
    expect(page).to_have_url(re.compile(r"/risks/\?overdue=true&station=ADS&count=exact$"))
    expect(page.locator("main")).to_contain_text("仓库堆放杂物")
    assert errors == []
    assert page.external_requests == []
