"""Issue 19 item 6: the dashboard map's data (/dashboard/map.json): open incidents (red when a stage is
past its limit), overdue hazards and the hottest dispute blocks, in the viewer's scope, each feature
linking to its record or filtered list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qianwan.org.choices import Role
from tests.disputes.factories import make_block, make_dispute
from tests.incidents.factories import make_incident
from tests.risks.factories import make_hazard

FAR = (30.3000, 121.2500)  # away from the block, so an incident is not mistaken for the block's


@pytest.fixture
def mapped(make_user, station, other_station):
    ads = make_user(Role.OFFICER, username="map-ads")
    css = make_user(Role.OFFICER, station_=other_station, username="map-css")
    now = timezone.now()
    late = make_incident(station, ads, received_at=now - timedelta(minutes=20), lat=FAR[0], lon=FAR[1])
    fresh = make_incident(station, ads, received_at=now, lat=FAR[0] + 0.01, lon=FAR[1])
    closed_elsewhere = make_incident(other_station, css, received_at=now, lat=30.25, lon=121.13)
    overdue = make_hazard(station, ads, found_days_ago=40, rectify_in_days=-3, title="仓库堆放杂物")
    on_time = make_hazard(station, ads, title="电线私拉")
    overdue_css = make_hazard(
        other_station, css, found_days_ago=40, rectify_in_days=-3, lat=30.25, lon=121.13
    )
    block = make_block(station, name="兴业路片区")
    make_block(station, name="冷清片区", points=((30.35, 121.30),))  # no dispute: not hot
    make_dispute(station, ads)
    return {
        "late": late,
        "fresh": fresh,
        "elsewhere": closed_elsewhere,
        "overdue": overdue,
        "on_time": on_time,
        "overdue_css": overdue_css,
        "block": block,
    }


def _layers(client):
    response = client.get("/dashboard/map.json")
    assert response.status_code == 200, response.content
    out: dict = {}
    for feature in response.json()["features"]:
        out.setdefault(feature["properties"]["layer"], []).append(feature["properties"])
    return response.json(), out


def test_station_leader_sees_own_station_only_with_links(client, make_user, mapped):
    client.force_login(make_user(Role.STATION_LEADER, username="map-leader"))
    data, layers = _layers(client)
    assert {x["id"] for x in data["layers"]} == {
        "incidents_breached",
        "incidents_open",
        "hazard_overdue",
        "hot_blocks",
    }
    assert {x["label"] for x in data["legend"]} >= {"处置中警情", "处置中警情：有环节超时", "逾期未整改隐患"}
    assert [p["url"] for p in layers["incidents_breached"]] == [f"/incidents/{mapped['late'].pk}/"]
    assert [p["url"] for p in layers["incidents_open"]] == [f"/incidents/{mapped['fresh'].pk}/"]
    assert layers["incidents_breached"][0]["color"] == "#b42318"
    assert [p["url"] for p in layers["hazard_overdue"]] == [f"/risks/hazards/{mapped['overdue'].pk}/"]
    assert layers["hazard_overdue"][0]["color"] == "#b42318"
    assert [p["url"] for p in layers["hot_blocks"]] == [f"/disputes/?block={mapped['block'].pk}"]
    assert layers["hot_blocks"][0]["tag"] == "兴业路片区"
    assert "纠纷 1 起" in layers["hot_blocks"][0]["detail"]


def test_bureau_sees_every_station_or_the_one_picked(client, bureau, mapped, other_station):
    client.force_login(bureau)
    _, layers = _layers(client)
    assert len(layers["hazard_overdue"]) == 2
    assert len(layers["incidents_open"]) == 2  # the fresh ADS call and the CSS one
    response = client.get("/dashboard/map.json", {"station": other_station.code})
    urls = {f["properties"]["url"] for f in response.json()["features"]}
    assert urls == {f"/incidents/{mapped['elsewhere'].pk}/", f"/risks/hazards/{mapped['overdue_css'].pk}/"}


def test_bad_or_foreign_station_and_wrong_role(client, make_user, officer, mapped, other_station):
    client.force_login(make_user(Role.BUREAU_LEADER, username="map-bureau"))
    response = client.get("/dashboard/map.json", {"station": "NOPE"})
    assert response.status_code == 400 and "NOPE" in response.json()["station"][0]
    client.force_login(make_user(Role.STATION_LEADER, username="map-leader"))
    assert client.get("/dashboard/map.json", {"station": other_station.code}).status_code == 403
    client.force_login(officer)
    assert client.get("/dashboard/map.json").status_code == 403
