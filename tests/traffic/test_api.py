"""Endpoint access for every traffic endpoint (401 / 403 / 404 by role and scope) and list query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.access import EndpointAccess
from traffic.tasks import incident_alert_sweep

from .factories import (
    grid_cell,
    make_accident,
    make_asset,
    make_joint,
    make_patrol,
    make_shift,
    make_zone,
    team_with_members,
)

pytestmark = pytest.mark.django_db

STAFF = {"officer", "station_leader", "bureau_leader", "admin"}
LEADERS = {"station_leader", "bureau_leader", "admin"}
BUREAU = {"bureau_leader", "admin"}


def zone_of(station):
    """ADS works zone Z11 (row 1, col 1); any other station a zone of its own in row 0, col 0."""
    if station.code == "ADS":
        return make_zone("Z11", 1, 1, stations=[station])
    return make_zone("Z00", 0, 0, stations=[station])


def point_of(station):
    return (30.2826, 121.1862) if station.code == "ADS" else (30.2488, 121.1315)


class ReferenceData:
    """Zones, teams and members are the district's shared picture: every staff member reads them."""

    def test_other_station_gets_404(self):
        pytest.skip("reference data: readable by every staff member whatever their station")


# ---------------------------------------------------------------- zones


class TestZoneList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/zones/"


class TestZoneCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = BUREAU

    def url(self, record):
        return "/api/v1/traffic/zones/"

    def payload(self, record):
        return {"code": "ZNEW", "name": "新巡区", "polygon": grid_cell(2, 2), "stations": ["ADS"]}


class TestZoneRetrieve(ReferenceData, EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return zone_of(station)

    def url(self, record):
        return f"/api/v1/traffic/zones/{record.code}/"


class TestZoneUpdate(ReferenceData, EndpointAccess):
    method = "patch"
    allowed_roles = BUREAU

    def make_record(self, station):
        return zone_of(station)

    def url(self, record):
        return f"/api/v1/traffic/zones/{record.code}/"

    def payload(self, record):
        return {"name": "改名"}


class TestZoneLocate(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def make_record(self, station):
        return zone_of(station)

    def url(self, record):
        return "/api/v1/traffic/zones/locate/?lat=30.2826&lon=121.1862"


class TestOnDuty(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def make_record(self, station):
        return zone_of(station)

    def url(self, record):
        return f"/api/v1/traffic/on-duty/?zone={record.code}"


# ---------------------------------------------------------------- teams, members, shifts


class TestTeamList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/teams/"


class TestTeamCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = LEADERS

    def url(self, record):
        return "/api/v1/traffic/teams/"

    def payload(self, record):
        return {"name": "庵东混编一队", "kind": "mixed", "station": "ADS"}


class TestTeamRetrieve(ReferenceData, EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return team_with_members(station, n=1)

    def url(self, record):
        return f"/api/v1/traffic/teams/{record.pk}/"


class TestMemberList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/members/"


class TestMemberCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = LEADERS

    def make_record(self, station):
        return team_with_members(station, n=1)

    def url(self, record):
        return "/api/v1/traffic/members/"

    def payload(self, record):
        return {"team": record.pk, "name": "赵辅警", "kind": "auxiliary"}


class TestMemberRetrieve(ReferenceData, EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return team_with_members(station, n=1).members.first()

    def url(self, record):
        return f"/api/v1/traffic/members/{record.pk}/"


class TestShiftList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/shifts/"


class TestShiftCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = LEADERS

    def make_record(self, station):
        return zone_of(station), team_with_members(station, n=1)

    def url(self, record):
        return "/api/v1/traffic/shifts/"

    def payload(self, record):
        zone, team = record
        start = timezone.now() + timedelta(hours=1)
        return {
            "zone": zone.code,
            "team": team.pk,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=8)).isoformat(),
        }


class TestShiftRetrieve(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return make_shift(zone_of(station), team_with_members(station, n=1))

    def url(self, record):
        return f"/api/v1/traffic/shifts/{record.pk}/"


class TestShiftDelete(EndpointAccess):
    method = "delete"
    allowed_roles = LEADERS

    def make_record(self, station):
        return make_shift(
            zone_of(station), team_with_members(station, n=1), start=timezone.now() + timedelta(hours=2)
        )

    def url(self, record):
        return f"/api/v1/traffic/shifts/{record.pk}/"


# ---------------------------------------------------------------- assets


class TestAssetList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/assets/"


class TestAssetCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def make_record(self, station):
        return zone_of(station)

    def url(self, record):
        return "/api/v1/traffic/assets/"

    def payload(self, record):
        return {
            "kind": "radar_sign",
            "code": "RS-01",
            "name": "测速屏",
            "road": "滨海大道",
            "lat": 30.2826,
            "lon": 121.1862,
        }


class _AssetDetail(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        zone_of(station)
        lat, lon = point_of(station)
        return make_asset(code=f"CAM-{station.code}", lat=lat, lon=lon)


class TestAssetRetrieve(_AssetDetail):
    def url(self, record):
        return f"/api/v1/traffic/assets/{record.pk}/"


class TestAssetUpdate(_AssetDetail):
    method = "patch"

    def url(self, record):
        return f"/api/v1/traffic/assets/{record.pk}/"

    def payload(self, record):
        return {"maintenance_status": "due"}


class TestAssetBeforeAfter(_AssetDetail):
    def url(self, record):
        return f"/api/v1/traffic/assets/{record.pk}/before-after/?radius_m=300&window_days=30"


# ---------------------------------------------------------------- patrols and joint patrols


class TestPatrolList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/patrols/"


class TestPatrolCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def make_record(self, station):
        return zone_of(station), team_with_members(station, n=1)

    def url(self, record):
        return "/api/v1/traffic/patrols/"

    def payload(self, record):
        zone, team = record
        start = timezone.now() - timedelta(hours=3)
        return {
            "team": team.pk,
            "zone": zone.code,
            "kind": "wrong_way",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(hours=2)).isoformat(),
            "violations": [{"type": "wrong_way", "count": 3}],
        }


class TestPatrolRetrieve(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return make_patrol(zone_of(station), team_with_members(station, n=1))

    def url(self, record):
        return f"/api/v1/traffic/patrols/{record.pk}/"


class TestJointPatrolList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/joint-patrols/"


class TestJointPatrolCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/joint-patrols/"

    def payload(self, record):
        return {
            "date": "2026-06-01",
            "station": "ADS",
            "organisers": "庵东派出所",
            "location": "方太路口",
            "grid_workers": 2,
            "volunteers": 3,
        }


class TestJointPatrolRetrieve(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return make_joint(station)

    def url(self, record):
        return f"/api/v1/traffic/joint-patrols/{record.pk}/"


# ---------------------------------------------------------------- accidents, alerts, KPIs


class TestAccidentList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/accidents/"


class TestAccidentCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/accidents/"

    def payload(self, record):
        return {
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "station": "ADS",
            "address": "兴业路口",
            "lat": 30.2826,
            "lon": 121.1862,
            "injured": 1,
        }


class _AccidentDetail(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        lat, lon = point_of(station)
        return make_accident(station, lat=lat, lon=lon)


class TestAccidentRetrieve(_AccidentDetail):
    def url(self, record):
        return f"/api/v1/traffic/accidents/{record.pk}/"


class TestAccidentUpdate(_AccidentDetail):
    method = "patch"

    def url(self, record):
        return f"/api/v1/traffic/accidents/{record.pk}/"

    def payload(self, record):
        return {"road": "滨海大道"}


class TestAccidentClose(_AccidentDetail):
    method = "post"

    def url(self, record):
        return f"/api/v1/traffic/accidents/{record.pk}/close/"

    def payload(self, record):
        return {"note": ""}


class TestIncidentAlertList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/incident-alerts/"


class TestIncidentAlertRetrieve(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        from .test_incident_sweep import incident

        call = incident(station, n=station.pk)
        incident_alert_sweep()
        return call.traffic_alert

    def url(self, record):
        return f"/api/v1/traffic/incident-alerts/{record.pk}/"


class TestHotspots(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/traffic/accident-hotspots/?from=2026-01-01&to=2026-12-31"


class TestTrafficKpis(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/kpis/traffic/?from=2026-01-01&to=2026-12-31"


# ---------------------------------------------------------------- query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


LISTS = [
    "/api/v1/traffic/zones/",
    "/api/v1/traffic/teams/",
    "/api/v1/traffic/members/",
    "/api/v1/traffic/shifts/",
    "/api/v1/traffic/assets/",
    "/api/v1/traffic/patrols/",
    "/api/v1/traffic/joint-patrols/",
    "/api/v1/traffic/accidents/",
    "/api/v1/traffic/incident-alerts/",
]


def _add_rows(station, n, offset):
    from .test_incident_sweep import incident

    zone = zone_of(station)
    for i in range(n):
        k = offset + i
        team = team_with_members(station, n=2)
        make_shift(zone, team, start=timezone.now() + timedelta(days=k + 1))
        make_asset(code=f"CAM-{k:03d}")
        make_patrol(zone, team, violations={"speeding": 1, "racing": 2})
        make_joint(station)
        make_accident(station, injured=1)
        incident(station, n=100 + k)
    make_zone(f"ZQ{offset}", 2, offset % 3, stations=[station]) if offset < 3 else None
    incident_alert_sweep()


@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_does_not_grow_with_rows(url, api_as, bureau, station):
    client = api_as(bureau)
    client.get(url)  # the token's last_used_at is written once a minute: not part of the list's cost
    _add_rows(station, 2, 0)
    few = _queries(client, url)
    _add_rows(station, 6, 2)
    many = _queries(client, url)
    assert many == few, (url, few, many)
    assert many <= 10


def test_kpi_and_hotspot_query_counts_are_bounded(api_as, bureau, station, django_assert_max_num_queries):
    client = api_as(bureau)
    _add_rows(station, 5, 0)
    with django_assert_max_num_queries(20):
        assert client.get("/api/v1/kpis/traffic/?from=2026-01-01&to=2026-12-31").status_code == 200
    with django_assert_max_num_queries(6):
        assert (
            client.get("/api/v1/traffic/accident-hotspots/?from=2026-01-01&to=2026-12-31").status_code == 200
        )


def test_schema_describes_every_traffic_endpoint(api_as, admin_user):
    import yaml

    response = api_as(admin_user).get("/api/schema/")
    assert response.status_code == 200
    paths = yaml.safe_load(response.content)["paths"]
    for path in [
        "/api/v1/traffic/zones/",
        "/api/v1/traffic/zones/locate/",
        "/api/v1/traffic/on-duty/",
        "/api/v1/traffic/shifts/{id}/",
        "/api/v1/traffic/assets/{id}/before-after/",
        "/api/v1/traffic/accidents/{id}/close/",
        "/api/v1/traffic/accident-hotspots/",
        "/api/v1/kpis/traffic/",
        "/api/v1/traffic/joint-patrols/",
        "/api/v1/traffic/incident-alerts/",
    ]:
        assert path in paths, path
