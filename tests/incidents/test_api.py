"""The contract's incident endpoints: fields, rules and every error code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, SlaPolicy
from qianwan.audit.models import AuditEntry
from qianwan.exchange.models import OutboundEvent, Partner
from qianwan.org.choices import Role
from tests.access import EndpointAccess
from tests.errors import error_fields
from tests.incidents.factories import make_incident, payload, record

pytestmark = pytest.mark.django_db

STAFF = {"officer", "station_leader", "bureau_leader", "admin"}


# ------------------------------------------------------------------------------------- access


class TestIncidentList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/incidents/"


class TestIncidentCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/incidents/"

    def payload(self, record):
        return payload()


class TestIncidentRetrieve(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return make_incident(station)

    def url(self, record):
        return f"/api/v1/incidents/{record.pk}/"


class TestIncidentEvents(EndpointAccess):
    method = "post"
    allowed_roles = STAFF

    def make_record(self, station):
        return make_incident(station)

    def url(self, record):
        return f"/api/v1/incidents/{record.pk}/events/"

    def payload(self, record):
        return {"kind": "dispatched", "at": (record.received_at + timedelta(seconds=30)).isoformat()}


class TestDispatchKpi(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/kpis/dispatch/?from=2026-01-01&to=2026-12-31"


class TestIncidentTrend(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return "/api/v1/kpis/incident-trend/?months=12"


# ------------------------------------------------------------------------------------- create


def test_create_returns_incident_with_number_status_and_sla(api_as, officer):
    response = api_as(officer).post("/api/v1/incidents/", payload(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"] and data["number"].startswith("J") and data["status"] == "open"
    assert [s["stage"] for s in data["sla"]] == [
        "dispatch",
        "video_supervision",
        "leader_notified",
        "arrival",
    ]
    assert [s["limit_seconds"] for s in data["sla"]] == [60, 120, 180, 480]
    assert all(s["met"] is None and s["overdue"] is False for s in data["sla"])
    incident = Incident.objects.get(pk=data["id"])
    assert incident.clocks.count() == 4 and incident.sla_snapshot["limits"]["arrival"] == 480
    assert AuditEntry.objects.filter(action="incident.create", object_id=str(incident.pk)).exists()


@pytest.mark.parametrize(
    "over, field",
    [
        ({"received_at": None}, "received_at"),
        ({"received_at": "not a time"}, "received_at"),
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"category": "alien"}, "category"),
        ({"station": "NOPE"}, "station"),
        ({"caller_phone": "call me"}, "caller_phone"),
    ],
)
def test_create_bad_input_is_400_with_field(api_as, officer, over, field):
    body = payload(**over)
    if over.get("received_at", "") is None:
        body.pop("received_at")
    response = api_as(officer).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response)
    assert not Incident.objects.exists()


def test_received_at_more_than_five_minutes_ahead_is_400(api_as, officer):
    client = api_as(officer)
    late = timezone.now() + timedelta(minutes=5, seconds=30)
    assert (
        client.post("/api/v1/incidents/", payload(received_at=late.isoformat()), format="json").status_code
        == 400
    )
    ok = timezone.now() + timedelta(minutes=4)
    assert (
        client.post("/api/v1/incidents/", payload(received_at=ok.isoformat()), format="json").status_code
        == 201
    )


def test_officer_may_not_file_for_another_station_even_with_bad_fields(api_as, officer, other_station):
    response = api_as(officer).post("/api/v1/incidents/", payload(station="CSS", lat=500), format="json")
    assert response.status_code == 403


def test_bureau_leader_files_for_any_station_and_sees_masked_phone(api_as, bureau, other_station):
    response = api_as(bureau).post("/api/v1/incidents/", payload(station="CSS"), format="json")
    assert response.status_code == 201
    assert response.json()["station"] == "CSS"
    assert response.json()["caller_phone"] == "138****0000"


def test_officer_sees_full_phone(api_as, officer):
    incident = make_incident(officer.station)
    data = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert data["caller_phone"] == "13800001234"


def test_policy_is_frozen_at_receipt(api_as, officer):
    incident = make_incident(officer.station)
    SlaPolicy.objects.filter(category="").update(arrival_seconds=900)
    data = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert data["sla"][3]["limit_seconds"] == 480
    later = make_incident(officer.station)
    assert api_as(officer).get(f"/api/v1/incidents/{later.pk}/").json()["sla"][3]["limit_seconds"] == 900


def test_category_policy_applies(api_as, officer):
    SlaPolicy.objects.create(category="traffic", arrival_seconds=600)
    incident = make_incident(officer.station, category="traffic")
    data = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert [s["limit_seconds"] for s in data["sla"]] == [60, 120, 180, 600]


# ------------------------------------------------------------------------------------- events


def post_event(client, incident, kind, after=30, **extra):
    body = {"kind": kind, "at": (incident.received_at + timedelta(seconds=after)).isoformat(), **extra}
    return client.post(f"/api/v1/incidents/{incident.pk}/events/", body, format="json")


def test_event_recorded_and_clock_met(api_as, officer):
    incident = make_incident(officer.station)
    response = post_event(api_as(officer), incident, "dispatched", after=42, note="")
    assert response.status_code == 201, response.content
    sla = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()["sla"][0]
    assert sla["elapsed_seconds"] == 42 and sla["met"] is True and sla["overdue"] is False


def test_each_kind_once_second_is_409(api_as, officer):
    incident = make_incident(officer.station)
    client = api_as(officer)
    assert post_event(client, incident, "dispatched").status_code == 201
    assert post_event(client, incident, "dispatched", after=50).status_code == 409


@pytest.mark.parametrize("kind", ["video_supervised", "leader_notified", "closed"])
def test_other_kinds_once(api_as, officer, kind):
    incident = make_incident(officer.station)
    client = api_as(officer)
    assert post_event(client, incident, kind).status_code == 201
    assert post_event(client, incident, kind, after=40).status_code == 409


def test_at_before_received_is_400(api_as, officer):
    incident = make_incident(officer.station)
    response = post_event(api_as(officer), incident, "dispatched", after=-1)
    assert response.status_code == 400 and "at" in error_fields(response)


def test_at_too_far_in_future_is_400(api_as, officer):
    incident = make_incident(officer.station)
    at = timezone.now() + timedelta(minutes=6)
    response = api_as(officer).post(
        f"/api/v1/incidents/{incident.pk}/events/",
        {"kind": "dispatched", "at": at.isoformat()},
        format="json",
    )
    assert response.status_code == 400 and "at" in error_fields(response)


def test_unknown_kind_and_missing_at_are_400(api_as, officer):
    incident = make_incident(officer.station)
    client = api_as(officer)
    assert (
        client.post(
            f"/api/v1/incidents/{incident.pk}/events/",
            {"kind": "teleported", "at": incident.received_at.isoformat()},
            format="json",
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/api/v1/incidents/{incident.pk}/events/", {"kind": "dispatched"}, format="json"
        ).status_code
        == 400
    )


def test_400_wins_over_409(api_as, officer):
    incident = make_incident(officer.station)
    client = api_as(officer)
    post_event(client, incident, "dispatched")
    assert post_event(client, incident, "dispatched", after=-5).status_code == 400


def test_arrived_needs_dispatched_409(api_as, officer):
    incident = make_incident(officer.station)
    client = api_as(officer)
    assert post_event(client, incident, "arrived", after=100).status_code == 409
    post_event(client, incident, "dispatched", after=20)
    assert post_event(client, incident, "arrived", after=100).status_code == 201


@pytest.mark.parametrize("final", ["closed", "diverted"])
def test_nothing_after_closed_or_diverted(api_as, officer, final):
    incident = make_incident(officer.station)
    client = api_as(officer)
    extra = {"target": "12345"} if final == "diverted" else {}
    assert post_event(client, incident, final, **extra).status_code == 201
    assert post_event(client, incident, "dispatched", after=40).status_code == 409
    other = "closed" if final == "diverted" else "diverted"
    assert post_event(client, incident, other, after=40, target="12345").status_code == 409


def test_other_station_event_is_404(api_as, officer, other_station):
    incident = make_incident(other_station)
    assert post_event(api_as(officer), incident, "dispatched").status_code == 404


def test_diverted_needs_configured_hotline_target(api_as, officer):
    incident = make_incident(officer.station, category="non_police")
    client = api_as(officer)
    assert post_event(client, incident, "diverted").status_code == 400
    assert post_event(client, incident, "diverted", target="grid").status_code == 400  # not a hotline
    assert post_event(client, incident, "diverted", target="99999").status_code == 400
    Partner.objects.filter(code="12345").update(enabled=False)
    assert post_event(client, incident, "diverted", target="12345").status_code == 400
    assert not OutboundEvent.objects.exists()


def test_diversion_creates_outbound_and_ack_shows_on_incident(api_as, officer, grid, make_user):
    incident = make_incident(officer.station, category="non_police")
    client = api_as(officer)
    post_event(client, incident, "dispatched", after=20)
    assert (
        post_event(client, incident, "diverted", after=60, target="12345", note="路灯损坏").status_code == 201
    )
    outbound = OutboundEvent.objects.get(source_type="incidents.incident", source_id=str(incident.pk))
    assert outbound.target == "12345" and outbound.kind == "diversion"
    assert outbound.payload["incident_number"] == incident.number
    # only the partner the event is addressed to may ack it: the grid platform's token gets 404
    url = f"/api/v1/exchange/outbound/{outbound.pk}/ack/"
    assert api_as(grid).post(url, {"status": "handled"}, format="json").status_code == 404
    hotline = make_user(Role.GRID_CLIENT, username="hotline-bridge", partner="12345")
    ack = api_as(hotline).post(url, {"status": "handled", "note": "已修复"}, format="json")
    assert ack.status_code == 200, ack.content
    data = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert data["status"] == "diverted"
    assert data["outbound"][0]["status"] == "handled" and data["outbound"][0]["ack_note"] == "已修复"
    sla = {s["stage"]: s for s in data["sla"]}
    assert sla["dispatch"]["met"] is True
    for stage in ("video_supervision", "leader_notified", "arrival"):
        assert sla[stage]["met"] is None and sla[stage]["overdue"] is False and sla[stage]["not_needed"]


def test_grid_partner_target_is_a_hotline_when_configured(api_as, officer):
    Partner.objects.create(code="12319", name="城建热线", is_hotline=True)
    incident = make_incident(officer.station, category="non_police")
    assert post_event(api_as(officer), incident, "diverted", target="12319").status_code == 201


def test_correction_supersedes_and_keeps_old_row(api_as, officer):
    incident = make_incident(officer.station)
    client = api_as(officer)
    first = post_event(client, incident, "dispatched", after=70).json()
    assert client.get(f"/api/v1/incidents/{incident.pk}/").json()["sla"][0]["met"] is False
    fixed = post_event(client, incident, "dispatched", after=50, supersedes=first["id"], note="更正录入错误")
    assert fixed.status_code == 201, fixed.content
    data = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert data["sla"][0]["elapsed_seconds"] == 50 and data["sla"][0]["met"] is True
    events = {e["id"]: e for e in data["events"]}
    assert (
        events[first["id"]]["superseded"] is True and events[fixed.json()["id"]]["supersedes"] == first["id"]
    )
    assert IncidentEvent.objects.filter(incident=incident).count() == 2
    # the corrected row may not be corrected again (correct the latest instead)
    assert post_event(client, incident, "dispatched", after=40, supersedes=first["id"]).status_code == 409
    # a correction must match the kind and belong to the incident
    assert post_event(client, incident, "arrived", after=40, supersedes=fixed.json()["id"]).status_code == 400
    assert post_event(client, incident, "dispatched", after=40, supersedes=999999).status_code == 400


# ------------------------------------------------------------------------------------- sla semantics


def test_sla_met_and_overdue_rules(api_as, officer, time_machine):
    start = timezone.now().replace(microsecond=0)
    time_machine.move_to(start, tick=False)
    incident = make_incident(officer.station, received_at=start)
    client = api_as(officer)
    record(incident, "dispatched", after=75)  # done late
    time_machine.move_to(start + timedelta(seconds=130), tick=False)
    sla = {s["stage"]: s for s in client.get(f"/api/v1/incidents/{incident.pk}/").json()["sla"]}
    assert sla["dispatch"]["met"] is False and sla["dispatch"]["overdue"] is False
    assert sla["video_supervision"]["met"] is False and sla["video_supervision"]["overdue"] is True
    assert sla["leader_notified"]["met"] is None and sla["leader_notified"]["overdue"] is False
    assert sla["arrival"]["met"] is None
    time_machine.move_to(start + timedelta(seconds=180), tick=False)
    sla = {s["stage"]: s for s in client.get(f"/api/v1/incidents/{incident.pk}/").json()["sla"]}
    assert sla["leader_notified"]["met"] is None  # exactly at the deadline: not yet missed


def test_elapsed_exactly_at_limit_is_met(api_as, officer):
    incident = make_incident(officer.station, received_at=timezone.now() - timedelta(seconds=500))
    record(incident, "dispatched", after=60)
    record(incident, "arrived", after=480)
    sla = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()["sla"]
    assert sla[0]["met"] is True and sla[3]["met"] is True and sla[3]["elapsed_seconds"] == 480


# ------------------------------------------------------------------------------------- list, filters


def test_list_filters(api_as, officer, bureau, other_station):
    now = timezone.now()
    a = make_incident(officer.station, received_at=now - timedelta(days=3), category="traffic")
    record(a, "dispatched", after=30)
    record(a, "video_supervised", after=60)
    record(a, "leader_notified", after=100)
    record(a, "arrived", after=300)
    b = make_incident(officer.station, received_at=now - timedelta(days=1))
    record(b, "dispatched", after=90)  # late → breached
    c = make_incident(other_station, received_at=now - timedelta(hours=1))
    client = api_as(bureau)

    def ids(query):
        response = client.get(f"/api/v1/incidents/?{query}")
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids("station=CSS") == {c.pk}
    assert ids("category=traffic") == {a.pk}
    assert ids("sla_breached=true") == {b.pk, c.pk}  # b late, c overdue and never dispatched
    fresh = make_incident(officer.station)
    assert ids("sla_breached=false") == {a.pk, fresh.pk}
    assert ids(f"received_after={timezone.localdate(now - timedelta(days=2)).isoformat()}") == {
        b.pk,
        c.pk,
        fresh.pk,
    }
    assert a.pk in ids(f"received_before={timezone.localdate(now - timedelta(days=3)).isoformat()}")
    assert ids("status=open") == {a.pk, b.pk, c.pk, fresh.pk}
    assert client.get("/api/v1/incidents/?received_after=yesterday").status_code == 400
    assert client.get("/api/v1/incidents/?sla_breached=maybe").status_code in (200, 400)
    # officers see their station only
    assert c.pk not in {r["id"] for r in api_as(officer).get("/api/v1/incidents/").json()["results"]}


def test_received_after_takes_a_datetime(api_as, bureau, station):
    now = timezone.now().replace(microsecond=0)
    old = make_incident(station, received_at=now - timedelta(hours=2))
    new = make_incident(station, received_at=now - timedelta(minutes=5))
    since = (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    results = api_as(bureau).get("/api/v1/incidents/", {"received_after": since}).json()["results"]
    assert {r["id"] for r in results} == {new.pk} and old.pk


def test_list_query_count_does_not_grow(api_as, bureau, station, django_assert_max_num_queries):
    client = api_as(bureau)
    for _ in range(3):
        record(make_incident(station), "dispatched", after=10)
    with django_assert_max_num_queries(12) as small:
        client.get("/api/v1/incidents/?page_size=500")
    for _ in range(12):
        record(make_incident(station), "dispatched", after=10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/incidents/?page_size=500")
    assert response.json()["count"] == 15


def test_role_without_scope_sees_nothing(api_as, make_user, station):
    make_incident(station)
    grid = make_user(Role.GRID_CLIENT, username="g2")
    assert api_as(grid).get("/api/v1/incidents/").status_code == 403


def test_accept_inbound_event_as_incident_through_the_api(api_as, officer, make_user, station, other_station):
    from qianwan.exchange import services as exchange_services
    from qianwan.exchange.models import InboundEvent
    from tests.errors import error_code

    event, _ = exchange_services.inbound_receive(
        actor=None,
        data={
            "external_id": "GRID-API-1",
            "source": "grid",
            "category": "dispute",
            "title": "楼道堆物",
            "address": "兴业路2号",
            "lat": station.lat,
            "lon": station.lon,
        },
    )
    url = "/api/v1/incidents/from-inbound/"
    # another station's officer cannot see the event: refused like an unknown one, nothing written
    outsider = api_as(make_user(Role.OFFICER, station_=other_station, username="css-officer"))
    refused = outsider.post(url, {"inbound": event.pk, "category": "dispute"}, format="json")
    assert refused.status_code == 400 and "inbound" in error_fields(refused)
    bad = api_as(officer).post(url, {"inbound": event.pk, "category": "nope"}, format="json")
    assert bad.status_code == 400 and "category" in error_fields(bad)
    assert not Incident.objects.exists()

    ok = api_as(officer).post(url, {"inbound": event.pk, "category": "dispute"}, format="json")
    assert ok.status_code == 201, ok.json()
    incident = Incident.objects.get()
    assert ok.json()["id"] == incident.pk and incident.source_inbound_id == event.pk
    assert incident.address == "兴业路2号" and incident.station == station
    event = InboundEvent.objects.get(pk=event.pk)
    assert event.status == "accepted" and event.result_id == str(incident.pk)
    assert OutboundEvent.objects.filter(
        kind="inbound_status", target="grid", source_id=str(event.pk)
    ).exists()
    again = api_as(officer).post(url, {"inbound": event.pk, "category": "dispute"}, format="json")
    assert again.status_code == 409 and error_code(again) == "conflict"
    assert Incident.objects.count() == 1
