"""Per-stage drill-down (issue 19, item 7): ``?missed_stage=`` lists the incidents that missed that
stage — done after the limit or past the deadline and not done — on the API, the list page and the
dashboard's 超时明细 and chart links; the station filter is a select of the user's stations by name."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from qianwan.dashboard import selectors
from qianwan.dashboard.periods import parse_period
from tests.incidents.factories import make_incident, settled

pytestmark = pytest.mark.django_db

STAGES = ("dispatch", "video_supervision", "leader_notified", "arrival")


@pytest.fixture
def misses(officer, other_station):
    """One incident per kind of miss (received earlier today, so inside this month's period)."""
    now = timezone.now()
    start = max(now - timedelta(hours=2), timezone.localtime(now).replace(hour=0, minute=0, second=1))
    on_time = settled(officer.station, received_at=start, dispatch=30, video=60, leader=100, arrival=300)
    late_dispatch = settled(
        officer.station, received_at=start, dispatch=90, video=100, leader=150, arrival=400
    )
    late_arrival = settled(officer.station, received_at=start, dispatch=30, video=60, leader=100, arrival=700)
    # received 10 minutes ago and nothing done: every stage is past its deadline (a miss before the
    # timer records it)
    overdue = make_incident(other_station, received_at=now - timedelta(minutes=10))
    fresh = make_incident(officer.station, received_at=now)
    return {
        "on_time": on_time,
        "late_dispatch": late_dispatch,
        "late_arrival": late_arrival,
        "overdue": overdue,
        "fresh": fresh,
    }


EXPECTED = {
    "dispatch": {"late_dispatch", "overdue"},
    "video_supervision": {"overdue"},
    "leader_notified": {"overdue"},
    "arrival": {"late_arrival", "overdue"},
}


def test_api_missed_stage(api_as, bureau, misses):
    client = api_as(bureau)
    names = {incident.pk: name for name, incident in misses.items()}
    for stage in STAGES:
        response = client.get("/api/v1/incidents/", {"missed_stage": stage})
        assert response.status_code == 200, response.content
        assert {names[r["id"]] for r in response.json()["results"]} == EXPECTED[stage], stage
    response = client.get("/api/v1/incidents/", {"missed_stage": "coffee"})
    assert response.status_code == 400 and "missed_stage" in response.content.decode()


def test_list_page_missed_stage(client, bureau, misses):
    client.force_login(bureau)
    for stage in STAGES:
        html = client.get("/incidents/list/", {"missed_stage": stage}).content.decode()
        shown = {name for name, incident in misses.items() if incident.number in html}
        assert shown == EXPECTED[stage], stage
    response = client.get("/incidents/list/", {"missed_stage": "coffee"})
    html = response.content.decode()
    assert response.status_code == 400 and 'class="error" role="alert"' in html
    assert not any(incident.number in html for incident in misses.values())


def _card(figures, key):
    for section in figures["sections"]:
        for card in section["cards"]:
            if card["key"] == key:
                return card
    raise AssertionError(key)


def test_dashboard_miss_links_list_each_stage_misses(client, bureau, misses):
    """Each stage card's 超时明细 opens that stage's misses: as many rows as the card's 超时 + 未完成."""
    figures = selectors.figures(user=bureau, period=parse_period({}), station=None)
    client.force_login(bureau)
    urls = set()
    for key, stage in (
        ("dispatch", "dispatch"),
        ("video", "video_supervision"),
        ("leader", "leader_notified"),
        ("arrival", "arrival"),
    ):
        card = _card(figures, key)
        url = card["miss_url"]
        assert parse_qs(urlsplit(url).query)["missed_stage"] == [stage]
        urls.add(url)
        html = client.get(url).content.decode()
        shown = {name for name, incident in misses.items() if incident.number in html}
        assert shown == EXPECTED[stage], key
        late, missing = (int(n) for n in re.search(r"超时 (\d+) · 未完成 (\d+)", card["note"]).groups())
        assert late + missing == len(EXPECTED[stage]), key
    assert len(urls) == 4  # four different lists, not one any-breach list


def test_chart_data_carries_click_through_links(client, bureau, misses, station, other_station):
    charts = selectors.charts(user=bureau, period=parse_period({}), station=None)
    stations = charts["stations"]
    assert len(stations["urls"]) == len(stations["codes"]) == len(stations["arrival_miss_urls"])
    client.force_login(bureau)
    i = stations["codes"].index(station.code)
    query = parse_qs(urlsplit(stations["arrival_miss_urls"][i]).query)
    assert query["station"] == [station.code] and query["missed_stage"] == ["arrival"]
    html = client.get(stations["arrival_miss_urls"][i]).content.decode()
    assert misses["late_arrival"].number in html and misses["late_dispatch"].number not in html
    html = client.get(stations["urls"][i]).content.decode()
    assert misses["on_time"].number in html and misses["overdue"].number not in html
    assert len(charts["trend"]["urls"]) == len(charts["trend"]["months"])
    html = client.get(charts["trend"]["urls"][-1]).content.decode()
    assert all(incident.number in html for incident in misses.values())
    for stage, histogram in charts["stages"].items():
        assert parse_qs(urlsplit(histogram["missed_url"]).query)["missed_stage"] == [stage]
        assert "missed_stage" not in histogram["url"]


def test_station_filter_is_a_select_of_names_in_scope(client, officer, bureau, station, other_station):
    """The station filter lists station names (the user's scope) and keeps the code as the value."""
    make_incident(station)
    client.force_login(bureau)
    html = client.get("/incidents/list/").content.decode()
    select = re.search(r'<select name="station"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the station filter is not a select"
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))
    assert options[""] == "全部"
    assert options[station.code] == station.name and options[other_station.code] == other_station.name
    html = client.get("/incidents/list/", {"station": other_station.code}).content.decode()
    assert f'<option value="{other_station.code}" selected>{other_station.name}</option>' in html
    client.force_login(officer)
    html = client.get("/incidents/list/").content.decode()
    select = re.search(r'<select name="station"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert station.name in select and other_station.name not in select and other_station.code not in select
    # the incident date filters are date pickers
    assert re.search(r'<input type="date" name="received_after"', html)


@pytest.mark.parametrize(
    "url",
    [
        "/disputes/",
        "/risks/",
        "/traffic/joint-patrols/",
        "/traffic/accidents/",
        "/enterprises/registry/",
        "/enterprises/requests/",
        "/enterprises/visits/",
    ],
)
def test_station_filters_elsewhere_are_selects(client, bureau, station, url):
    client.force_login(bureau)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200, url
    assert re.search(r'<select name="station"', html), url
    assert f">{station.name}</option>" in html, url
