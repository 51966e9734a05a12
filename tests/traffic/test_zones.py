import pytest

from tests.errors import error_fields
from traffic import selectors, services
from traffic.models import PatrolZone

from .factories import grid_cell, make_zone, square

pytestmark = pytest.mark.django_db

BAD_POLYGONS = [
    ("not geojson", "GeoJSON"),
    ({"type": "Point", "coordinates": [121.2, 30.3]}, "Polygon"),
    ({"type": "Polygon", "coordinates": [[[121.1, 30.2], [121.2, 30.2], [121.2, 30.3]]]}, "4"),
    (
        {"type": "Polygon", "coordinates": [[[121.1, 30.2], [121.2, 30.2], [121.2, 30.3], [121.1, 30.3]]]},
        "闭合",
    ),
    (
        {"type": "Polygon", "coordinates": [[[30.2, 121.1], [30.2, 121.2], [30.3, 121.2], [30.2, 121.1]]]},
        "经度, 纬度",
    ),
    (  # a bow-tie: self-intersecting
        {
            "type": "Polygon",
            "coordinates": [[[121.1, 30.2], [121.2, 30.3], [121.2, 30.2], [121.1, 30.3], [121.1, 30.2]]],
        },
        "自相交",
    ),
    ({"type": "Polygon", "coordinates": [[["a", 30.2], [121.2, 30.2], [121.2, 30.3], ["a", 30.2]]]}, "数字"),
    (
        {"type": "Polygon", "coordinates": [[[121.1, 30.2], [121.2, 30.2], [121.3, 30.2], [121.1, 30.2]]]},
        "有效",
    ),
]


@pytest.mark.parametrize("polygon,hint", BAD_POLYGONS)
def test_invalid_polygon_is_refused_with_a_clear_message(polygon, hint):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.zone_create(actor=None, code="ZBAD", name="坏巡区", polygon=polygon)
    assert any(hint in m for m in exc.value.message_dict["polygon"]), exc.value.message_dict
    assert not PatrolZone.objects.exists()


@pytest.mark.parametrize("polygon,hint", BAD_POLYGONS[:6])
def test_invalid_polygon_via_api_is_400(api_as, bureau, polygon, hint):
    response = api_as(bureau).post(
        "/api/v1/traffic/zones/", {"code": "ZBAD", "name": "坏巡区", "polygon": polygon}, format="json"
    )
    assert response.status_code == 400, response.content
    assert hint in str(error_fields(response)["polygon"])


def test_overlapping_zone_is_refused(station):
    make_zone("Z11", 1, 1)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.zone_create(
            actor=None, code="Z99", name="重叠", polygon=square(30.29, 121.15, 30.31, 121.20)
        )
    assert "Z11" in str(exc.value.message_dict["polygon"])
    # sharing an edge is fine
    make_zone("Z12", 1, 2)


def test_point_in_zone_and_outside_every_zone(station):
    zone = make_zone("Z11", 1, 1)
    assert selectors.zone_for_point(lat=30.2826, lon=121.1862) == zone  # ADS
    assert selectors.zone_for_point(lat=31.5, lon=121.1862) is None
    assert selectors.zone_for_point(lat=None, lon=None) is None


def test_point_on_shared_border_goes_to_lower_code(station):
    a = make_zone("Z10", 1, 0)
    make_zone("Z11", 1, 1)
    border_lon = grid_cell(1, 0)["coordinates"][0][1][0]
    assert selectors.zone_for_point(lat=30.30, lon=border_lon) == a


def test_stations_default_to_those_inside(station, other_station):
    zone = make_zone("Z11", 1, 1)
    assert list(zone.stations.values_list("code", flat=True)) == ["ADS"]


def test_feature_wrapper_is_accepted(station):
    zone = services.zone_create(
        actor=None,
        code="ZF",
        name="F",
        polygon={"type": "Feature", "geometry": grid_cell(0, 0), "properties": {}},
    )
    assert zone.polygon["type"] == "Polygon"


def test_locate_endpoint_outside_every_zone(api_as, officer, station):
    make_zone("Z11", 1, 1)
    body = api_as(officer).get("/api/v1/traffic/zones/locate/?lat=31.9&lon=121.2").json()
    assert body["inside"] is False and body["zone"] is None and "不在任何巡区" in body["message"]
    body = api_as(officer).get("/api/v1/traffic/zones/locate/?lat=30.2826&lon=121.1862").json()
    assert body["inside"] is True and body["zone"]["code"] == "Z11"
    assert api_as(officer).get("/api/v1/traffic/zones/locate/?lat=200&lon=121").status_code == 400


def test_zone_update_changes_polygon_and_audits(api_as, bureau, station):
    make_zone("Z11", 1, 1)
    response = api_as(bureau).patch(
        "/api/v1/traffic/zones/Z11/", {"name": "庵东巡区", "polygon": grid_cell(2, 2)}, format="json"
    )
    assert response.status_code == 200, response.content
    assert selectors.zone_for_point(lat=30.2826, lon=121.1862) is None
    from qianwan.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="traffic.zone.update").exists()
