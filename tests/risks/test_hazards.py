"""The hazard contract: create, rectify, close (second person, rectified only), reopen, list, KPI."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from risks.models import Hazard
from tests.errors import error_fields, error_message

from .factories import make_hazard

pytestmark = pytest.mark.django_db


def body(**overrides):
    data = {
        "title": "出租房电动车楼道充电",
        "category": "fire",
        "address": "庵东镇振兴路66号",
        "lat": 30.2831,
        "lon": 121.1902,
        "level": "high",
        "found_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "rectify_by": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "responsible_party": "房东 王某",
        "station": "ADS",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def officer2(make_user):
    return make_user(Role.OFFICER, username="officer2")


def test_create_is_201_open_with_number_and_audit(api_as, officer):
    response = api_as(officer).post("/api/v1/hazards/", body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "open" and data["station"] == "ADS" and data["level"] == "high"
    assert data["number"].startswith("YH-ADS-")
    assert data["recorded_by"] == officer.pk and data["overdue"] is False
    # a date deadline means the end of that local day
    assert data["rectify_by"].endswith("23:59:59+08:00")
    assert AuditEntry.objects.filter(action="risks.hazard.create", object_id=str(data["id"])).exists()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"level": "extreme"}, "level"),
        ({"level": ""}, "level"),
        ({"category": "aliens"}, "category"),
        ({"rectify_by": "next week"}, "rectify_by"),
        ({"title": ""}, "title"),
        ({"lat": 91}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"station": "NOPE"}, "station"),
        ({"found_at": (timezone.now() + timedelta(hours=1)).isoformat()}, "found_at"),
        ({"rectify_by": "2000-01-01"}, "rectify_by"),
    ],
)
def test_bad_input_is_400_with_field_and_nothing_written(api_as, officer, overrides, field):
    response = api_as(officer).post("/api/v1/hazards/", body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response), response.json()
    assert not Hazard.objects.exists()


def test_missing_rectify_by_is_400(api_as, officer):
    data = body()
    del data["rectify_by"]
    response = api_as(officer).post("/api/v1/hazards/", data, format="json")
    assert response.status_code == 400 and "rectify_by" in error_fields(response)


def test_officer_filing_for_another_station_is_403_even_with_bad_fields(api_as, officer, other_station):
    response = api_as(officer).post("/api/v1/hazards/", body(station="CSS", level="bogus"), format="json")
    assert response.status_code == 403


def test_officer_station_defaults_to_own(api_as, officer):
    response = api_as(officer).post("/api/v1/hazards/", body(station=None), format="json")
    assert response.status_code == 201 and response.json()["station"] == "ADS"


def test_rectify_then_close_by_second_person(api_as, officer, officer2):
    hazard = make_hazard(officer.station, officer)
    r = api_as(officer).post(f"/api/v1/hazards/{hazard.pk}/rectify/", {"note": "已拆除充电线"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "rectified"
    r = api_as(officer2).post(
        f"/api/v1/hazards/{hazard.pk}/close/", {"note": "", "at": timezone.now().isoformat()}, format="json"
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["status"] == "closed" and data["closed_by"] == officer2.pk
    actions = list(
        AuditEntry.objects.filter(object_id=str(hazard.pk), object_type="risks.hazard").values_list(
            "action", flat=True
        )
    )
    assert {"risks.hazard.create", "risks.hazard.rectify", "risks.hazard.close"} <= set(actions)
    close_row = AuditEntry.objects.get(action="risks.hazard.close", object_id=str(hazard.pk))
    assert close_row.before["status"] == "rectified" and close_row.after["status"] == "closed"


def test_close_without_rectify_is_409(api_as, officer, officer2):
    hazard = make_hazard(officer.station, officer)
    r = api_as(officer2).post(f"/api/v1/hazards/{hazard.pk}/close/", {}, format="json")
    assert r.status_code == 409
    assert "整改" in error_message(r)
    hazard.refresh_from_db()
    assert hazard.status == "open"


def test_close_by_recorder_is_403(api_as, officer):
    hazard = make_hazard(officer.station, officer, status="rectified")
    r = api_as(officer).post(f"/api/v1/hazards/{hazard.pk}/close/", {"note": "自己核对"}, format="json")
    assert r.status_code == 403
    assert "登记人" in error_message(r)
    hazard.refresh_from_db()
    assert hazard.status == "rectified"


def test_same_user_rule_wins_over_bad_input_and_state(api_as, officer):
    """The contract's order: 403 before 400 before 409."""
    hazard = make_hazard(officer.station, officer)  # open: would be 409
    r = api_as(officer).post(f"/api/v1/hazards/{hazard.pk}/close/", {"at": "yesterday"}, format="json")
    assert r.status_code == 403


def test_bad_at_is_400_before_state_409(api_as, officer, officer2):
    hazard = make_hazard(officer.station, officer)
    r = api_as(officer2).post(f"/api/v1/hazards/{hazard.pk}/close/", {"at": "not-a-time"}, format="json")
    assert r.status_code == 400 and "at" in error_fields(r)


def test_closing_a_closed_hazard_is_409(api_as, officer, officer2):
    hazard = make_hazard(officer.station, officer, status="closed")
    r = api_as(officer2).post(f"/api/v1/hazards/{hazard.pk}/close/", {}, format="json")
    assert r.status_code == 409


def test_rectify_twice_is_409_and_future_at_is_400(api_as, officer):
    hazard = make_hazard(officer.station, officer)
    client = api_as(officer)
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert (
        client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {"at": future}, format="json").status_code == 400
    )
    assert client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {}, format="json").status_code == 200
    assert client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {}, format="json").status_code == 409


def test_close_at_before_rectified_is_400(api_as, officer, officer2):
    hazard = make_hazard(officer.station, officer, status="rectified")
    early = (hazard.rectified_at - timedelta(hours=1)).isoformat()
    r = api_as(officer2).post(f"/api/v1/hazards/{hazard.pk}/close/", {"at": early}, format="json")
    assert r.status_code == 400 and "at" in error_fields(r)


def test_other_station_hazard_is_404_for_every_action(api_as, officer, other_station, make_user):
    other_officer = make_user(Role.OFFICER, station_=other_station, username="css-officer")
    hazard = make_hazard(other_station, other_officer, status="rectified")
    client = api_as(officer)
    for suffix in ("", "rectify/", "close/", "reopen/", "evidence/"):
        method = client.get if suffix in ("", "evidence/") else client.post
        assert method(f"/api/v1/hazards/{hazard.pk}/{suffix}", format="json").status_code == 404, suffix


def test_reopen_closed_then_work_again(api_as, officer, officer2):
    hazard = make_hazard(officer.station, officer, status="closed")
    client = api_as(officer2)
    assert client.post(f"/api/v1/hazards/{hazard.pk}/reopen/", {}, format="json").status_code == 400
    new_deadline = (timezone.localdate() + timedelta(days=5)).isoformat()
    r = client.post(
        f"/api/v1/hazards/{hazard.pk}/reopen/",
        {"reason": "回访发现复燃", "rectify_by": new_deadline},
        format="json",
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["status"] == "reopened" and data["reopen_count"] == 1 and data["closed_at"] is None
    assert data["rectify_by"].startswith(new_deadline)
    assert (
        client.post(f"/api/v1/hazards/{hazard.pk}/reopen/", {"reason": "x"}, format="json").status_code == 409
    )
    assert client.post(f"/api/v1/hazards/{hazard.pk}/rectify/", {}, format="json").status_code == 200
    assert AuditEntry.objects.filter(action="risks.hazard.reopen", object_id=str(hazard.pk)).exists()


def test_list_filters_and_unknown_level(api_as, officer, officer2, other_station, make_user):
    station = officer.station
    make_hazard(station, officer, level="low")
    make_hazard(station, officer, level="major", found_days_ago=30, rectify_in_days=-3)  # overdue
    make_hazard(station, officer, level="high", status="closed")
    other = make_user(Role.OFFICER, station_=other_station, username="css1")
    make_hazard(other_station, other, level="major")
    client = api_as(officer)
    r = client.get("/api/v1/hazards/")
    assert r.status_code == 200 and r.json()["count"] == 3  # own station only
    assert client.get("/api/v1/hazards/?level=major").json()["count"] == 1
    overdue = client.get("/api/v1/hazards/?overdue=true").json()
    assert overdue["count"] == 1 and overdue["results"][0]["overdue"] is True
    assert client.get("/api/v1/hazards/?status=closed").json()["count"] == 1
    assert client.get("/api/v1/hazards/?level=extreme").status_code == 400
    assert client.get("/api/v1/hazards/?status=finished").status_code == 400


def test_bureau_sees_all_and_filters_by_station(api_as, bureau, officer, other_station, make_user):
    make_hazard(officer.station, officer)
    make_hazard(other_station, make_user(Role.OFFICER, station_=other_station, username="css2"))
    client = api_as(bureau)
    assert client.get("/api/v1/hazards/").json()["count"] == 2
    assert client.get("/api/v1/hazards/?station=CSS").json()["count"] == 1


def test_list_query_count_does_not_grow(api_as, officer, django_assert_max_num_queries):
    client = api_as(officer)
    for _ in range(3):
        make_hazard(officer.station, officer)
    with django_assert_max_num_queries(8) as ctx:
        client.get("/api/v1/hazards/")
    few = len(ctx.captured_queries)
    for _ in range(12):
        make_hazard(officer.station, officer, status="closed")
    with django_assert_max_num_queries(few):
        assert client.get("/api/v1/hazards/").json()["count"] == 15


# --------------------------------------------------------------------------- KPI


def test_kpi_is_a_cohort(api_as, officer, officer2, bureau, other_station, make_user):
    station = officer.station
    make_hazard(station, officer, status="closed", found_days_ago=3)
    make_hazard(station, officer, status="rectified", found_days_ago=3)
    make_hazard(station, officer, found_days_ago=3, rectify_in_days=-1)  # overdue
    make_hazard(station, officer, found_days_ago=200, rectify_in_days=-150)  # outside the period
    make_hazard(
        other_station,
        make_user(Role.OFFICER, station_=other_station, username="css3"),
        status="closed",
        found_days_ago=3,
    )
    today = timezone.localdate()
    since = today - timedelta(days=30)
    r = api_as(officer).get(f"/api/v1/kpis/hazards/?from={since}&to={today}")
    assert r.status_code == 200
    assert r.json() == {"found": 3, "closed": 1, "close_rate": pytest.approx(1 / 3), "overdue": 1}
    all_stations = api_as(bureau).get(f"/api/v1/kpis/hazards/?from={since}&to={today}").json()
    assert all_stations["found"] == 4 and all_stations["closed"] == 2
    css = api_as(bureau).get(f"/api/v1/kpis/hazards/?from={since}&to={today}&station=CSS").json()
    assert css == {"found": 1, "closed": 1, "close_rate": 1.0, "overdue": 0}


def test_kpi_empty_period_rate_is_null_and_bad_params(api_as, officer, other_station):
    client = api_as(officer)
    r = client.get("/api/v1/kpis/hazards/?from=2020-01-01&to=2020-01-31")
    assert r.json() == {"found": 0, "closed": 0, "close_rate": None, "overdue": 0}
    assert client.get("/api/v1/kpis/hazards/?to=2020-01-31").status_code == 400
    assert client.get("/api/v1/kpis/hazards/?from=2020-02-01&to=2020-01-31").status_code == 400
    assert client.get("/api/v1/kpis/hazards/?from=2020-01-01&to=2020-01-31&station=CSS").status_code == 403


def test_hand_over_to_the_grid_platform(api_as, officer):
    from qianwan.exchange.models import OutboundEvent, Partner

    hazard = make_hazard(officer.station, officer)
    client = api_as(officer)
    url = f"/api/v1/hazards/{hazard.pk}/hand-over/"
    Partner.objects.filter(code="grid").delete()
    no_partner = client.post(url, {"note": "需属地政府协调"}, format="json")
    assert no_partner.status_code == 400 and "target" in error_fields(no_partner)
    Partner.objects.create(code="grid", name="基层治理四平台")
    r = client.post(url, {"note": "需属地政府协调"}, format="json")
    assert r.status_code == 201, r.content
    event = OutboundEvent.objects.get()
    assert (
        event.kind == "hazard"
        and event.payload["number"] == hazard.number
        and event.station == officer.station
    )
    assert AuditEntry.objects.filter(action="risks.hazard.hand_over", object_id=str(hazard.pk)).exists()
    closed = make_hazard(officer.station, officer, status="closed")
    assert client.post(f"/api/v1/hazards/{closed.pk}/hand-over/", {}, format="json").status_code == 409


def test_repeated_hand_over_is_409_until_the_partner_is_done(api_as, client, officer):
    from qianwan.exchange.models import OutboundEvent, Partner
    from qianwan.exchange.services import outbound_ack

    Partner.objects.get_or_create(code="grid", defaults={"name": "基层治理四平台"})
    hazard = make_hazard(officer.station, officer)
    api = api_as(officer)
    url = f"/api/v1/hazards/{hazard.pk}/hand-over/"
    assert api.post(url, {"note": "需属地政府协调"}, format="json").status_code == 201
    again = api.post(url, {"note": "需属地政府协调"}, format="json")
    assert again.status_code == 409, again.content
    assert "已移交" in again.content.decode()
    # the page's form submitted twice: the second shows the conflict on the form, writes nothing
    client.force_login(officer)
    page = client.post(f"/risks/hazards/{hazard.pk}/", {"step": "hand_over", "hand_over-note": ""})
    assert page.status_code == 400 and "已移交" in page.content.decode()
    assert OutboundEvent.objects.filter(source_id=str(hazard.pk), kind="hazard").count() == 1
    audits = AuditEntry.objects.filter(action="risks.hazard.hand_over", object_id=str(hazard.pk))
    assert audits.count() == 1
    # still 409 once the partner accepted it; once it rejected it, the hazard may be handed over again
    event = OutboundEvent.objects.get(source_id=str(hazard.pk), kind="hazard")
    outbound_ack(actor=None, event=event, status="accepted")
    assert api.post(url, {}, format="json").status_code == 409
    outbound_ack(actor=None, event=event, status="rejected")
    assert api.post(url, {}, format="json").status_code == 201
    assert OutboundEvent.objects.filter(source_id=str(hazard.pk), kind="hazard").count() == 2
