"""No HTML from data in scripts (issue 16, item 5): names stored with markup show as text in map
tooltips, popups and chart labels; no element is created from them and nothing of theirs runs.

Every mapped name gets its own marker class, so a failure says which one turned into markup."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.choices import Role
from tests.incidents.factories import make_incident
from tests.risks.factories import make_hazard, make_risk_point
from tests.traffic.factories import make_accident, make_asset, make_shift, make_zone, team_with_members

pytestmark = pytest.mark.django_db(transaction=True)


def payload(where: str) -> str:
    """Markup that would create an <img data-w=WHERE> (and run its onerror) if inserted as HTML;
    short enough for a 100-character name."""
    return f"{where}<img src=x class=xss data-w={where} onerror=window.xr=1>"


OPEN_ALL = """
(selector) => {
  const el = document.querySelector(selector);
  const groups = el.qwMap.groups;
  let n = 0;
  Object.keys(groups).forEach((id) => groups[id].eachLayer((layer) => {
    if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); n += 1; }
    if (layer.getPopup && layer.getPopup()) { layer.openPopup(); n += 1; }
  }));
  return n;
}
"""

FOUND = """
() => ({
  created: Array.from(document.querySelectorAll('img[src="x"], .xss')).map((e) => e.dataset.w || e.outerHTML),
  ran: window.xr || null,
  text: document.body.innerText,
})
"""


@pytest.fixture
def seeded(settings, station, make_user):
    settings.MAP_TILE_URL = ""
    # plotly turns <b>, <a href> in labels into SVG markup: the station name carries both too
    station.name = payload("station") + "<b>粗</b><a href=//evil.example/>链</a>"
    station.save()
    officer = make_user(Role.OFFICER, username="wang")
    make_user(Role.BUREAU_LEADER, username="bureau")
    make_hazard(station, officer, title=payload("hazard"))
    make_risk_point(station, name=payload("riskpoint"), lat=30.283, lon=121.187)
    zone = make_zone("TZX", 1, 1, stations=[station], name=payload("zone"))
    make_shift(zone, team_with_members(station, n=1, name=payload("team")))
    make_asset(name=payload("asset"), lat=30.2827, lon=121.1863)
    make_accident(station, address=payload("accident"))
    make_incident(station, received_at=timezone.now() - timedelta(hours=3))  # the station has a bar
    return officer


def test_risks_map_shows_names_as_text(page, login, seeded):
    login(page, "wang")
    page.goto("/risks/map/")
    selector = "[data-qw-map]"
    the_map = page.locator(selector)
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^[1-9]\d*$"), timeout=20000)
    page.evaluate(OPEN_ALL, selector)
    found = page.evaluate(FOUND)
    assert found["created"] == [] and found["ran"] is None, found
    # a tooltip and a popup carry the hazard title literally
    tooltip_texts = page.locator(".leaflet-tooltip").all_inner_texts()
    assert any(payload("hazard") in t for t in tooltip_texts), tooltip_texts
    assert any(payload("riskpoint") in t for t in tooltip_texts), tooltip_texts
    assert any(payload("station") in t for t in tooltip_texts), tooltip_texts


def test_traffic_map_shows_names_as_text(page, login, seeded):
    login(page, "wang")
    page.goto("/traffic/")
    selector = "#traffic-map"
    the_map = page.locator(selector)
    expect(the_map).to_have_attribute("data-loaded", re.compile(r"^[1-9]\d*$"), timeout=20000)
    page.evaluate(OPEN_ALL, selector)
    found = page.evaluate(FOUND)
    assert found["created"] == [] and found["ran"] is None, found
    texts = " ".join(page.locator(".leaflet-tooltip, .leaflet-popup-content").all_inner_texts())
    for where in ("zone", "team", "asset", "accident"):
        assert payload(where) in texts, (where, texts)


def test_dashboard_chart_labels_are_text(page, login, seeded):
    """Station names label the bureau dashboard's bars (plotly renders a subset of HTML in labels)."""
    login(page, "bureau")
    page.goto("/dashboard/")
    expect(page.locator("#chart-stations")).to_have_attribute("data-rendered", "1", timeout=20000)
    found = page.evaluate(FOUND)
    assert found["created"] == [] and found["ran"] is None, found
    labels = " ".join(page.locator("#chart-stations text").all_text_contents())
    assert payload("station") + "<b>粗</b><a href=//evil.example/>链</a>" in labels, labels
    assert page.locator("#chart-stations a").count() == 0
    assert page.locator("#chart-stations tspan[style*='bold']").count() == 0
