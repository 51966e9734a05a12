"""One regression test per schemathesis finding (each was a 500)."""

import pytest

from tests.errors import error_message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dashboard/live/?station=%00ADS",  # qianwan/dashboard/periods.py resolve_station
        "/api/v1/incidents/?station=A%00",
        "/api/v1/stations/?x=%00",
    ],
)
def test_nul_in_query_is_400(api_as, admin_user, url):
    response = api_as(admin_user).get(url)
    assert response.status_code == 400 and "NUL" in error_message(response)


def test_nul_in_json_body_is_400(api_as, officer, station):
    response = api_as(officer).post(
        "/api/v1/incidents/",
        '{"station": "ADS", "description": "a\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code == 400 and "NUL" in error_message(response)
    # an escaped backslash followed by "u0000" is ordinary text, not a NUL
    ok = api_as(officer).post(
        "/api/v1/incidents/", '{"description": "C:\\\\u0000"}', content_type="application/json"
    )
    assert ok.status_code == 400 and "NUL" not in str(ok.json())


def test_nul_in_a_page_form_is_400(client, officer):
    client.force_login(officer)
    response = client.post("/notifications/read/", {"q": "a\x00b"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/incidents/?received_after=0058-06-14T05:20:38%2B20:08",
        "/api/v1/traffic/shifts/?starts_before=0400-03-22T07:41:02.620%2B23:24",
    ],
)
def test_datetime_offset_beyond_postgres_range_is_400(api_as, admin_user, url):
    response = api_as(admin_user).get(url)
    assert response.status_code == 400, response.content


def test_zone_create_with_is_active_is_not_a_500(api_as, admin_user, station):
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [[121.18, 30.28], [121.19, 30.28], [121.19, 30.29], [121.18, 30.29], [121.18, 30.28]]
        ],
    }
    response = api_as(admin_user).post(
        "/api/v1/traffic/zones/",
        {"code": "Z9", "name": "测试巡区", "polygon": polygon, "is_active": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is True


def test_refused_value_inside_a_transaction_leaves_it_usable(api_as, admin_user):
    """The 400 for a database-range error rolls back its atomic block (found by `make fuzz`: the
    next statement in the same transaction failed with 'current transaction is aborted')."""
    from django.db import transaction

    client = api_as(admin_user)
    with transaction.atomic():
        response = client.get("/api/v1/incidents/?received_after=0058-06-14T05:20:38%2B20:08")
    assert response.status_code == 400
    assert client.get("/api/v1/stations/").status_code == 200
