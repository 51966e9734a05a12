"""Battle map in a real browser, offline: the demo data's markers show, layers toggle, clicks open the record."""

import re

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.demo import DEMO_PASSWORD
from risks.models import Hazard, RiskPoint
from tests.e2e.conftest import artifact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings):
    settings.MAP_TILE_URL = ""  # a closed network with no tile server: outline on a plain background
    from enterprises import demo as enterprises_demo
    from qianwan.org import demo as org_demo
    from risks import demo as risks_demo

    for module in (org_demo, enterprises_demo, risks_demo):
        with transaction.atomic():
            module.load()


def test_map_shows_demo_markers_offline(page, login, demo):
    login(page, "officer", DEMO_PASSWORD)
    page.goto("/risks/map/")
    the_map = page.locator("[data-qw-map]")
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^\d+$"), timeout=20000)

    ads = Hazard.objects.filter(station__code="ADS", lat__isnull=False)
    open_count = ads.filter(status__in=["open", "reopened"]).count()
    rectified_count = ads.filter(status="rectified").count()
    assert open_count > 0 and rectified_count > 0
    # open + overdue hazards are drawn (as circle markers, or counted in a cluster where they crowd;
    # closed ones are a layer switched off by default)
    control = page.locator(".leaflet-control-layers")
    overdue_count = ads.filter(status__in=["open", "reopened"], rectify_by__lt=timezone.now()).count()
    expect(control).to_contain_text(f"隐患：逾期未整改 ({overdue_count})")
    expect(control).to_contain_text(f"隐患：待整改 ({open_count - overdue_count})")
    expect(control).to_contain_text(f"隐患：已整改待销号 ({rectified_count})")
    expect(page.locator(".qw-layer-stations")).to_have_count(5)
    expect(page.locator(".qw-layer-risk_points")).to_have_count(
        RiskPoint.objects.filter(station__code="ADS").exclude(status="dismissed").count()
    )
    expect(page.locator("path.qw-layer-district")).to_have_count(1)  # the outline without tiles
    expect(page.locator(".leaflet-control-layers")).to_contain_text("隐患：待整改")
    page.screenshot(path=artifact("risks-map.png"))

    # switch the closed layer on: its markers appear
    page.get_by_text(re.compile(r"隐患：已销号")).click()
    closed = ads.filter(status="closed").count()
    expect(page.locator(".qw-layer-hazard_closed, .marker-cluster")).not_to_have_count(0)
    expect(control).to_contain_text(f"隐患：已销号 ({closed})")

    # click a marker (zooming into clusters until single markers show), follow the popup to the record
    page.get_by_text(re.compile(r"隐患：已销号")).click()
    # zoomed in to street level, clustering stops: click a single marker in view
    page.evaluate(
        "() => { var s = document.querySelector('[data-qw-map]').qwMap; var f = s.groups.hazard_open || s.groups.hazard_overdue;"
        " s.map.setView(f.getLayers()[0].getLatLng(), 18, { animate: false }); }"
    )
    single = page.locator("path.qw-layer-hazard_overdue, path.qw-layer-hazard_open")
    expect(single.first).to_be_visible()
    # a marker may lie under another (a risk point, a neighbour, the layer control), so the click is
    # dispatched on the marker's own element rather than at screen coordinates: Leaflet finds the layer
    # from the event's target, exactly as for a tap, and opens its popup
    link = page.locator(".qw-popup-open")
    markers = single.element_handles()
    assert markers, "no single hazard marker drawn"
    for marker in markers[:8]:
        marker.dispatch_event("click")
        try:
            expect(link).to_be_visible(timeout=2000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/risks/hazards/\d+/$"))
    expect(page.locator("h1.page-title")).to_be_visible()
    assert page.external_requests == []


def test_bureau_sees_every_station_and_level_filter(page, login, demo):
    login(page, "bureau", DEMO_PASSWORD)
    page.goto("/risks/map/?level=major")
    expect(page.locator("[data-qw-map]")).to_have_attribute(
        "data-loaded", re.compile(r"^\d+$"), timeout=20000
    )
    majors = Hazard.objects.filter(level="major", status__in=["open", "reopened", "rectified"]).count()
    expect(page.locator("[data-qw-map]")).to_have_attribute("data-hazards", str(majors))
    page.screenshot(path=artifact("risks-map-bureau-major.png"))
    assert page.external_requests == []
