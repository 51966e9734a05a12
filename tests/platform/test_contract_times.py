"""Times an integrator sends and receives (api-contract.md "General"/"Errors"): bounded input, compared
at whole seconds, +08:00 in exchange payloads; list shapes and nullable fields as the schema says."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from qianwan.exchange import services as exchange_services
from qianwan.exchange.choices import OutboundKind
from qianwan.exchange.models import OutboundEvent
from tests.disputes.factories import handled_dispute
from tests.errors import error_code, error_fields
from tests.incidents.factories import make_incident, record
from tests.risks.factories import make_hazard, make_hotspot_run

pytestmark = pytest.mark.django_db

LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def _local_iso(dt) -> str:
    return timezone.localtime(dt).replace(microsecond=0).isoformat()


@pytest.mark.parametrize(
    "at,ok",
    [
        ("1999-12-31T23:59:59+08:00", False),
        ("1990-01-01T00:00:00+08:00", False),
        ("2000-01-01T08:00:00+08:00", True),
        (lambda: timezone.now() + timedelta(days=1, minutes=5), False),
        (lambda: timezone.now() + timedelta(days=400), False),
        (lambda: timezone.now() + timedelta(hours=23), True),
    ],
)
def test_ack_at_between_2000_and_a_day_ahead(api_as, grid, station, at, ok):
    event = exchange_services.outbound_create(
        actor=None, target="grid", kind=OutboundKind.OTHER, title="t", station=station
    )
    value = at() if callable(at) else at
    value = value if isinstance(value, str) else timezone.localtime(value).isoformat()
    response = api_as(grid).post(
        f"/api/v1/exchange/outbound/{event.pk}/ack/", {"status": "accepted", "at": value}, format="json"
    )
    if ok:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 400 and "at" in error_fields(response), response.json()
        assert error_code(response) == "invalid"
        event.refresh_from_db()
        assert event.status == "pending"


@pytest.mark.parametrize("occurred_at", ["1990-06-01T08:00:00+08:00", "2999-01-01T00:00:00+08:00"])
def test_inbound_occurred_at_bounds(api_as, grid, station, occurred_at):
    body = {
        "external_id": "T-1",
        "source": "grid",
        "category": "dispute",
        "title": "t",
        "occurred_at": occurred_at,
    }
    response = api_as(grid).post("/api/v1/exchange/inbound/", body, format="json")
    assert response.status_code == 400 and "occurred_at" in error_fields(response)


def test_followup_in_the_same_second_as_the_dispute_is_accepted(api_as, officer, station):
    """The dispute's time carries microseconds, the input is to the second: same second → accepted."""
    dispute = handled_dispute(station, officer)
    dispute.__class__.objects.filter(pk=dispute.pk).update(
        occurred_at=dispute.occurred_at.replace(microsecond=987654)
    )
    dispute.refresh_from_db()
    same_second = _local_iso(dispute.occurred_at)
    response = api_as(officer).post(
        f"/api/v1/disputes/{dispute.pk}/followups/",
        {"at": same_second, "outcome": "stable", "note": "回访"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    a_second_before = _local_iso(dispute.occurred_at - timedelta(seconds=1))
    response = api_as(officer).post(
        f"/api/v1/disputes/{dispute.pk}/followups/",
        {"at": a_second_before, "outcome": "stable"},
        format="json",
    )
    assert response.status_code == 400 and "at" in error_fields(response)


def test_incident_event_in_the_same_second_as_receipt_is_accepted(api_as, officer, station):
    incident = make_incident(
        station, received_at=timezone.now().replace(microsecond=654321) - timedelta(minutes=1)
    )
    response = api_as(officer).post(
        f"/api/v1/incidents/{incident.pk}/events/",
        {"kind": "dispatched", "at": _local_iso(incident.received_at)},
        format="json",
    )
    assert response.status_code == 201, response.json()


def _times(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _times(v)
    elif isinstance(value, list):
        for v in value:
            yield from _times(v)
    elif isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        yield value


def test_every_time_in_an_exchange_payload_is_local(api_as, officer, bureau, station):
    incident = make_incident(station, caller_phone="13800001234")
    record(incident, "diverted", actor=officer, after=30, target="12345")
    event = OutboundEvent.objects.get(source_type="incidents.incident", source_id=str(incident.pk))
    exchange_services.outbound_ack(actor=None, event=event, status="accepted", at=timezone.now())
    body = api_as(bureau).get(f"/api/v1/exchange/outbound/{event.pk}/").json()
    times = list(_times(body))
    assert len(times) >= 3 and body["payload"]["received_at"] in times
    assert all(LOCAL.match(t) for t in times), times
    # datetimes handed to the outbox are stored as local ISO text too
    other = exchange_services.outbound_create(
        actor=None,
        target="grid",
        kind=OutboundKind.OTHER,
        title="t",
        station=station,
        payload={"at": timezone.now(), "nested": [{"when": timezone.now()}]},
    )
    assert all(LOCAL.match(t) for t in _times(other.payload))


def _schema(api_as, user):
    return api_as(user).get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_the_three_bare_lists_are_documented_as_arrays(api_as, officer, bureau, station):
    dispute = handled_dispute(station, officer)
    hazard = make_hazard(station, officer)
    run = make_hotspot_run()
    schema = _schema(api_as, bureau)
    for template, pk in (
        ("/api/v1/disputes/{id}/followups/", dispute.pk),
        ("/api/v1/hazards/{id}/evidence/", hazard.pk),
        ("/api/v1/hotspot-runs/{id}/cells/", run.pk),
    ):
        documented = schema["paths"][template]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
        assert documented["type"] == "array", (template, documented)
        response = api_as(bureau).get(template.replace("{id}", str(pk)))
        assert response.status_code == 200 and isinstance(response.json(), list), template


def test_station_is_nullable_where_it_can_be_null(api_as, grid, bureau, station):
    body = {"external_id": "NOLOC-1", "source": "grid", "category": "dispute", "title": "无坐标"}
    created = api_as(grid).post("/api/v1/exchange/inbound/", body, format="json").json()
    assert created["station"] is None
    schemas = _schema(api_as, bureau)["components"]["schemas"]
    for name in ("InboundEvent", "OutboundEvent"):
        assert schemas[name]["properties"]["station"].get("nullable") is True, name
