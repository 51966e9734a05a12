"""Station jurisdictions: boundary polygons (validated, no overlaps), routing of inbound events and new
incidents by point-in-polygon (nearest headquarters only outside every boundary, the reason recorded)
and the routing table kept per process (qianwan/refcache.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from shapely.geometry import Point, shape

from incidents.models import Incident
from qianwan import refcache
from qianwan.audit.models import AuditEntry
from qianwan.exchange.models import InboundEvent
from qianwan.org import demo, selectors, services
from qianwan.org.models import Station
from tests.access import EndpointAccess
from tests.errors import error_fields
from tests.incidents.factories import payload

pytestmark = pytest.mark.django_db

# ADS headquarters 30.2826 N 121.1862 E, CSS 30.2488 N 121.1315 E (tests/conftest.py)
NEAR_ADS = (30.2800, 121.1800)  # ≈ 0.7 km from ADS's HQ, ≈ 5.7 km from CSS's
FAR_AWAY = (30.2300, 121.1000)  # south-west of CSS, outside both boundaries below


def box(lon0, lat0, lon1, lat1) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


# CSS's jurisdiction reaches east to cover NEAR_ADS; ADS's lies further east (sharing the edge 121.183)
CSS_AREA = box(121.120, 30.240, 121.183, 30.290)
ADS_AREA = box(121.183, 30.240, 121.230, 30.300)


def set_boundary(station, area):
    station.boundary = area
    services.check_boundary(station)
    station.save()


def patch_boundary(client, code, boundary):
    return client.patch(f"/api/v1/stations/{code}/", {"boundary": boundary}, format="json")


def inbound(client, external_id, lat, lon):
    body = {
        "external_id": external_id,
        "source": "grid",
        "category": "dispute",
        "title": "t",
        "lat": lat,
        "lon": lon,
    }
    response = client.post("/api/v1/exchange/inbound/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --------------------------------------------------------------------------------- routing


def test_point_inside_a_boundary_goes_to_that_station_even_if_another_hq_is_nearer(
    api_as, grid, bureau, station, other_station, client, make_user
):
    officer_css = make_user("officer", username="officer-css", station_=other_station)
    set_boundary(other_station, CSS_AREA)
    set_boundary(station, ADS_AREA)
    assert selectors.nearest_station(lat=NEAR_ADS[0], lon=NEAR_ADS[1]) == station  # the old rule's answer

    event = inbound(api_as(grid), "G-IN-1", *NEAR_ADS)
    assert (event["station"], event["routed_by"]) == ("CSS", "boundary")
    assert InboundEvent.objects.get(pk=event["id"]).routed_by == "boundary"

    api = api_as(bureau)
    body = {k: v for k, v in payload(lat=NEAR_ADS[0], lon=NEAR_ADS[1]).items() if k != "station"}
    response = api.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["station"], response.json()["routed_by"]) == ("CSS", "boundary")
    incident = Incident.objects.get(pk=response.json()["id"])
    assert (incident.station, incident.routed_by) == (other_station, "boundary")
    assert api.get(f"/api/v1/incidents/{incident.pk}/").json()["routed_by"] == "boundary"
    client.force_login(bureau)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "分派依据：辖区范围" in page
    client.force_login(officer_css)
    page = client.get(f"/exchange/inbound/{event['id']}/").content.decode()
    assert "分派依据：辖区范围" in page


def test_outside_every_boundary_the_nearest_hq_with_the_reason(api_as, grid, bureau, station, other_station):
    set_boundary(station, ADS_AREA)
    event = inbound(api_as(grid), "G-OUT-1", *FAR_AWAY)
    assert (event["station"], event["routed_by"]) == ("CSS", "nearest")
    body = {k: v for k, v in payload(lat=FAR_AWAY[0], lon=FAR_AWAY[1]).items() if k != "station"}
    response = api_as(bureau).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["station"], response.json()["routed_by"]) == ("CSS", "nearest")


def test_a_named_station_is_given_and_no_point_no_station(api_as, grid, bureau, station, other_station):
    set_boundary(other_station, CSS_AREA)
    response = api_as(bureau).post(
        "/api/v1/incidents/", payload(station="ADS", lat=NEAR_ADS[0], lon=NEAR_ADS[1]), format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["station"], response.json()["routed_by"]) == ("ADS", "given")

    body = {k: v for k, v in payload(lat=None, lon=None).items() if k != "station"}
    response = api_as(bureau).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400 and "station" in error_fields(response)
    assert not Incident.objects.filter(routed_by="").exists()

    no_point = {"external_id": "G-NP", "source": "grid", "category": "dispute", "title": "t"}
    event = api_as(grid).post("/api/v1/exchange/inbound/", no_point, format="json").json()
    assert (event["station"], event["routed_by"]) == (None, "")


def test_an_officer_cannot_take_a_call_routed_to_another_station(api_as, officer, station, other_station):
    set_boundary(other_station, CSS_AREA)
    body = {k: v for k, v in payload(lat=NEAR_ADS[0], lon=NEAR_ADS[1]).items() if k != "station"}
    response = api_as(officer).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 403, response.content
    assert not Incident.objects.exists()


# --------------------------------------------------------------------------------- setting a boundary


class TestStationBoundaryPatch(EndpointAccess):
    method = "patch"
    allowed_roles = {"admin"}

    def make_record(self, station):
        return station

    def url(self, record):
        return f"/api/v1/stations/{record.code}/"

    def payload(self, record):
        return {"boundary": ADS_AREA}

    def test_other_station_gets_404(self):
        pytest.skip("stations are reference data every staff member reads: no station scope")


def test_admin_sets_a_boundary_with_an_audit_row(api_as, admin_user, station):
    response = patch_boundary(api_as(admin_user), "ADS", ADS_AREA)
    assert response.status_code == 200, response.content
    assert response.json()["boundary"] == ADS_AREA
    station.refresh_from_db()
    assert station.boundary == ADS_AREA
    entry = AuditEntry.objects.get(action="station.boundary", object_id=str(station.pk))
    assert entry.before == {"boundary": None} and entry.after == {"boundary": ADS_AREA}
    assert api_as(admin_user).get("/api/v1/stations/ADS/").json()["boundary"] == ADS_AREA
    response = patch_boundary(api_as(admin_user), "ADS", None)
    assert response.status_code == 200 and response.json()["boundary"] is None


def test_an_overlap_is_refused_naming_boundary(api_as, admin_user, station, other_station):
    set_boundary(other_station, CSS_AREA)
    overlapping = box(121.170, 30.240, 121.230, 30.300)  # 121.170–121.183 lies inside CSS's
    response = patch_boundary(api_as(admin_user), "ADS", overlapping)
    assert response.status_code == 400, response.content
    assert "CSS" in " ".join(error_fields(response)["boundary"])
    station.refresh_from_db()
    assert station.boundary is None
    # a shared edge is not an overlap; an inactive station's boundary does not count
    assert patch_boundary(api_as(admin_user), "ADS", ADS_AREA).status_code == 200
    Station.objects.filter(pk=other_station.pk).update(is_active=False)
    assert patch_boundary(api_as(admin_user), "ADS", overlapping).status_code == 200
    # creating a station with an overlapping boundary is refused too
    response = api_as(admin_user).post(
        "/api/v1/stations/", {"code": "NEW", "name": "新站", "boundary": ADS_AREA}, format="json"
    )
    assert response.status_code == 400 and "boundary" in error_fields(response)
    assert not Station.objects.filter(code="NEW").exists()


@pytest.mark.parametrize(
    "boundary",
    [
        "not geojson",
        [1, 2],
        {"type": "Point", "coordinates": [121.18, 30.28]},
        {"type": "Polygon", "coordinates": [[[121.18, 30.28], [121.19, 30.28], [121.19, 30.29]]]},  # too few
        {
            "type": "Polygon",
            "coordinates": [[[121.18, 30.28], [121.19, 30.28], [121.19, 30.29], [121.18, 30.29]]],
        },
        box(30.24, 121.12, 30.29, 121.18),  # [lat, lon] swapped: latitude 121 is out of range
        # a bow-tie (self-intersecting)
        {
            "type": "Polygon",
            "coordinates": [
                [[121.18, 30.28], [121.19, 30.29], [121.19, 30.28], [121.18, 30.29], [121.18, 30.28]]
            ],
        },
        {"type": "MultiPolygon", "coordinates": []},
    ],
)
def test_invalid_geojson_is_refused_naming_boundary(api_as, admin_user, station, boundary):
    response = patch_boundary(api_as(admin_user), "ADS", boundary)
    assert response.status_code == 400, response.content
    assert error_fields(response)["boundary"]
    station.refresh_from_db()
    assert station.boundary is None


def test_a_multipolygon_is_accepted(api_as, admin_user, station):
    area = {
        "type": "MultiPolygon",
        "coordinates": [ADS_AREA["coordinates"], box(121.30, 30.30, 121.31, 30.31)["coordinates"]],
    }
    assert patch_boundary(api_as(admin_user), "ADS", area).status_code == 200
    assert selectors.route_point(lat=30.305, lon=121.305) == (station, "boundary")


def test_the_admin_form_refuses_an_overlap(client, admin_user, station, other_station):
    set_boundary(other_station, CSS_AREA)
    client.force_login(admin_user)
    response = client.post(
        f"/admin/org/station/{station.pk}/change/",
        {
            "code": "ADS",
            "name": station.name,
            "address": "",
            "lat": station.lat,
            "lon": station.lon,
            "boundary": '{"type": "Polygon", "coordinates": [[[121.17, 30.24], [121.23, 30.24], [121.23, 30.3], [121.17, 30.3], [121.17, 30.24]]]}',
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "CSS" in response.content.decode()
    station.refresh_from_db()
    assert station.boundary is None


# --------------------------------------------------------------------------------- the per-process table


def test_routing_is_cached_per_process_and_dropped_when_a_station_changes(
    admin_user, station, other_station, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        set_boundary(other_station, CSS_AREA)
    assert selectors.route_point(lat=NEAR_ADS[0], lon=NEAR_ADS[1]) == (other_station, "boundary")
    with CaptureQueriesContext(connection) as warm:
        for lat, lon in [NEAR_ADS, FAR_AWAY, (30.30, 121.20)]:
            selectors.route_point(lat=lat, lon=lon)
    assert len(warm.captured_queries) == 0, warm.captured_queries

    with django_capture_on_commit_callbacks(execute=True):  # as if committed: the version is published
        services.station_set_boundary(actor=admin_user, station=other_station, boundary=None)
    with CaptureQueriesContext(connection) as cold:
        assert selectors.route_point(lat=NEAR_ADS[0], lon=NEAR_ADS[1]) == (station, "nearest")
    assert len(cold.captured_queries) == 1  # the table is read again, once


def test_intake_routed_by_boundary_runs_as_many_queries_as_a_named_station(
    api_as, bureau, station, other_station
):
    set_boundary(other_station, CSS_AREA)
    refcache.reset()  # as after the commit: the test's write is no longer pending
    client = api_as(bureau)
    routed = {k: v for k, v in payload(lat=NEAR_ADS[0], lon=NEAR_ADS[1]).items() if k != "station"}
    named = payload(station="CSS", lat=NEAR_ADS[0], lon=NEAR_ADS[1])
    for body in (routed, named):  # warm: the token, the station, the routing table, the policy …
        assert client.post("/api/v1/incidents/", body, format="json").status_code == 201
    counts = {}
    for label, body in (("routed", routed), ("named", named)):
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/incidents/", body, format="json")
        assert response.status_code == 201, response.content
        counts[label] = len(queries.captured_queries)
    assert counts["routed"] == counts["named"], counts


# --------------------------------------------------------------------------------- demo data


def test_demo_boundaries_tile_the_district_without_overlap():
    areas = {code: shape(geojson) for code, geojson in demo.boundaries().items()}
    district = shape(box(*demo.DISTRICT))
    assert abs(sum(a.area for a in areas.values()) - district.area) < 1e-9
    codes = list(areas)
    for i, a in enumerate(codes):
        assert areas[a].is_valid
        for b in codes[i + 1 :]:
            assert areas[a].intersection(areas[b]).area < 1e-12, (a, b)
    for code, _name, _address, lat, lon in demo.STATIONS:
        assert areas[code].covers(Point(lon, lat)), code


def test_loaddemo_sets_the_boundaries_and_routes_by_them():
    demo.load()
    stations = {s.code: s for s in Station.objects.filter(code__in=[s[0] for s in demo.STATIONS])}
    assert all(s.boundary for s in stations.values())
    refcache.reset()
    for code, _name, _address, lat, lon in demo.STATIONS:
        assert selectors.route_point(lat=lat + 0.001, lon=lon) == (stations[code], "boundary")


def test_the_call_form_of_the_command_centre_may_leave_the_station_to_the_boundaries(
    client, bureau, station, other_station
):
    set_boundary(other_station, CSS_AREA)
    client.force_login(bureau)
    form = {
        "caller_phone": "13800001234",
        "category": "dispute",
        "address": "庵东镇",
        "description": "吵架",
        "received_at": timezone.localtime().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S"),
        "station": "",
        "lat": NEAR_ADS[0],
        "lon": NEAR_ADS[1],
    }
    response = client.post("/incidents/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert (incident.station, incident.routed_by) == (other_station, "boundary")
    # no point and no station: the form again, the error on the station
    response = client.post("/incidents/new/", {**form, "lat": "", "lon": ""})
    assert response.status_code == 400
    assert "请指定派出所" in response.content.decode()
    assert Incident.objects.count() == 1
