import pytest

from qianwan.audit.models import AuditEntry
from qianwan.org.models import Station
from tests.access import EndpointAccess
from tests.errors import error_fields

pytestmark = pytest.mark.django_db


class TestStationList(EndpointAccess):
    detail = False
    allowed_roles = {"officer", "station_leader", "bureau_leader", "admin", "liaison"}

    def url(self, record):
        return "/api/v1/stations/"


class TestStationCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = {"admin"}

    def url(self, record):
        return "/api/v1/stations/"

    def payload(self, record):
        return {"code": "NEW", "name": "新站"}


def test_admin_creates_station_with_audit_row(api_as, admin_user):
    response = api_as(admin_user).post(
        "/api/v1/stations/", {"code": "ZXS", "name": "周巷派出所"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "ZXS"
    station = Station.objects.get(code="ZXS")
    entry = AuditEntry.objects.get(action="station.create", object_id=str(station.pk))
    assert entry.actor == admin_user and entry.after["name"] == "周巷派出所" and entry.request_id


def test_duplicate_code_is_400(api_as, admin_user, station):
    response = api_as(admin_user).post("/api/v1/stations/", {"code": "ADS", "name": "x"}, format="json")
    assert response.status_code == 400
    assert "code" in error_fields(response)


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"name": "无代码"}, "code"),
        ({"code": "ab", "name": "x"}, "code"),
        ({"code": "OK1"}, "name"),
        ({"code": "LAT", "name": "x", "lat": 99}, "lat"),
    ],
)
def test_bad_station_input_is_400(api_as, admin_user, payload, field):
    response = api_as(admin_user).post("/api/v1/stations/", payload, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)


def test_station_list_is_paginated(api_as, officer, station, other_station):
    body = api_as(officer).get("/api/v1/stations/?page_size=1").json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"] and body["previous"] is None
