"""Issue 18, "both ways, to the end": a 12345 rejection of a diversion sends the incident back to its
station with restarted clocks; inbound events report their outcome; the sign-for deadline; triage."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents import services as incident_services
from incidents.models import Incident, IncidentEvent, SlaClock
from qianwan.exchange.models import OutboundEvent
from qianwan.notify.models import InboxItem
from qianwan.org.choices import Role
from qianwan.org.models import DutyRoster
from tests.conftest import token_client
from tests.errors import error_code, error_fields
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def on_duty(db, leader, bureau, station):
    DutyRoster.objects.create(
        station=station, leader=leader, starts_at=T0 - timedelta(hours=2), ends_at=T0 + timedelta(hours=22)
    )
    DutyRoster.objects.create(
        station=None, leader=bureau, starts_at=T0 - timedelta(hours=2), ends_at=T0 + timedelta(hours=22)
    )
    return leader, bureau


@pytest.fixture
def hotline(make_user):
    return token_client(make_user(Role.GRID_CLIENT, username="client-12345", partner="12345"))


def recipients(key_prefix):
    items = InboxItem.objects.filter(notification__key__startswith=key_prefix)
    return set(items.values_list("recipient__username", flat=True))


def _diverted(officer, station):
    incident = make_incident(station, officer, received_at=T0)
    record(incident, "dispatched", actor=officer, after=20)
    record(incident, "diverted", actor=officer, after=30, target="12345", note="属于市政设施报修")
    outbound = OutboundEvent.objects.get(source_type="incidents.incident", source_id=str(incident.pk))
    return incident, outbound


def _reject(hotline, outbound, at, note="属于警务事项，退回110"):
    return hotline.post(
        f"/api/v1/exchange/outbound/{outbound.pk}/ack/",
        {"status": "rejected", "note": note, "at": at.isoformat()},
        format="json",
    )


# ------------------------------------------------------------------------- diversion rejected


def test_rejected_diversion_returns_to_the_queue_with_restarted_clocks(
    time_machine, hotline, api_as, officer, leader, on_duty, station
):
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    incident, outbound = _diverted(officer, station)
    kpi_url = "/api/v1/kpis/dispatch/?from=2026-06-01&to=2026-06-01"
    assert api_as(leader).get(kpi_url).json()["diverted"] == 1

    time_machine.move_to(T0 + timedelta(seconds=100), tick=False)
    rejected_at = T0 + timedelta(seconds=90)
    response = _reject(hotline, outbound, rejected_at)
    assert response.status_code == 200 and response.json()["status"] == "rejected"

    # the timeline carries the rejection with the partner's note
    detail = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()
    last = IncidentEvent.objects.filter(incident=incident).order_by("-id").first()
    assert (
        last.kind == "diversion_rejected" and last.note == "属于警务事项，退回110" and last.at == rejected_at
    )
    assert detail["status"] == "open"
    # back in the station's queue, no longer counted as diverted
    incident.refresh_from_db()
    assert incident.status == "open" and incident.diverted_to == "" and incident.closed_at is None
    assert api_as(leader).get(kpi_url).json()["diverted"] == 0
    listed = api_as(officer).get("/api/v1/incidents/?status=open").json()
    assert incident.pk in [row["id"] for row in listed["results"]]
    # the stages not done restart from the rejection time; the one done keeps its time
    rows = {row["stage"]: row for row in detail["sla"]}
    assert rows["dispatch"]["restarted_at"] is None and rows["dispatch"]["met"] is True
    for stage, limit in (("video_supervision", 120), ("leader_notified", 180), ("arrival", 480)):
        row = rows[stage]
        assert row["restarted_at"] is not None, stage
        assert datetime.fromisoformat(row["restarted_at"]) == rejected_at
        assert datetime.fromisoformat(row["deadline"]) == rejected_at + timedelta(seconds=limit)
        assert row["not_needed"] is False and row["met"] is None and row["overdue"] is False
    # the station's duty leader is told (and only they)
    assert recipients(f"incident:{incident.pk}:diversion_rejected:") == {"leader"}

    # the restarted clock's own timer: it breaches 120 s after the rejection, as a new message
    video = SlaClock.objects.get(incident=incident, stage="video_supervision")
    assert video.next_fire_at == rejected_at + timedelta(seconds=105)  # warned 15 s early
    time_machine.move_to(rejected_at + timedelta(seconds=120), tick=False)
    fired = incident_services.clock_fire(clock_id=video.pk)
    assert "breach" in fired
    assert recipients(f"clock:{video.pk}:restart:") == {"leader"}

    # arriving measures from the restart: 200 s after the rejection is within the 480 s limit
    time_machine.move_to(rejected_at + timedelta(seconds=200), tick=False)
    arrived = api_as(officer).post(
        f"/api/v1/incidents/{incident.pk}/events/",
        {"kind": "arrived", "at": (rejected_at + timedelta(seconds=200)).isoformat()},
        format="json",
    )
    assert arrived.status_code == 201, arrived.json()
    arrival = {r["stage"]: r for r in api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()["sla"]}
    assert arrival["arrival"]["elapsed_seconds"] == 200 and arrival["arrival"]["met"] is True
    assert Incident.objects.get(pk=incident.pk).arrival_met is True


def test_after_a_rejection_the_incident_may_be_diverted_again(
    time_machine, hotline, api_as, officer, leader, on_duty, station
):
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    incident, outbound = _diverted(officer, station)
    url = f"/api/v1/incidents/{incident.pk}/events/"
    # nothing after `diverted` while it stands
    time_machine.move_to(T0 + timedelta(seconds=60), tick=False)
    blocked = api_as(officer).post(url, {"kind": "arrived", "at": T0.isoformat()}, format="json")
    assert blocked.status_code == 409
    again = {"kind": "diverted", "at": (T0 + timedelta(seconds=60)).isoformat(), "target": "12345"}
    assert api_as(officer).post(url, again, format="json").status_code == 409

    assert _reject(hotline, outbound, T0 + timedelta(seconds=50)).status_code == 200
    second = api_as(officer).post(url, again, format="json")
    assert second.status_code == 201, second.json()
    incident.refresh_from_db()
    assert incident.status == "diverted" and incident.diverted_to == "12345"
    outbounds = OutboundEvent.objects.filter(source_type="incidents.incident", source_id=str(incident.pk))
    assert outbounds.count() == 2
    new = outbounds.exclude(pk=outbound.pk).get()
    # the second diversion, rejected too, brings it back again
    time_machine.move_to(T0 + timedelta(seconds=80), tick=False)
    assert _reject(hotline, new, T0 + timedelta(seconds=70)).status_code == 200
    incident.refresh_from_db()
    assert incident.status == "open"
    kinds = list(
        IncidentEvent.objects.filter(incident=incident).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["dispatched", "diverted", "diversion_rejected", "diverted", "diversion_rejected"]
    # the leader hears of each rejection
    assert (
        InboxItem.objects.filter(
            notification__key__startswith=f"incident:{incident.pk}:diversion_rejected:", recipient=leader
        ).count()
        == 2
    )


def test_diversion_rejected_is_not_recorded_by_hand(time_machine, api_as, officer, station):
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    incident = make_incident(station, officer, received_at=T0)
    response = api_as(officer).post(
        f"/api/v1/incidents/{incident.pk}/events/",
        {"kind": "diversion_rejected", "at": T0.isoformat()},
        format="json",
    )
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert "kind" in error_fields(response)
    assert not IncidentEvent.objects.filter(incident=incident).exists()


def test_accepting_or_handling_a_diversion_changes_nothing(time_machine, hotline, officer, on_duty, station):
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    incident, outbound = _diverted(officer, station)
    ack = hotline.post(f"/api/v1/exchange/outbound/{outbound.pk}/ack/", {"status": "handled"}, format="json")
    assert ack.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "diverted"
    # a final ack cannot turn into a rejection later
    late = _reject(hotline, outbound, T0 + timedelta(seconds=40))
    assert late.status_code == 409 and error_code(late) == "ack_conflict"
    incident.refresh_from_db()
    assert incident.status == "diverted"
    assert not IncidentEvent.objects.filter(incident=incident, kind="diversion_rejected").exists()


# ------------------------------------------------------------------- inbound outcomes flow back


def _post_inbound(client, source, external_id, **kw):
    body = {
        "external_id": external_id,
        "source": source,
        "category": "dispute",
        "title": "楼道堆物引发纠纷",
        "lat": 30.283,
        "lon": 121.187,
        **kw,
    }
    response = client.post("/api/v1/exchange/inbound/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _status_feedback(client, external_id):
    """What the partner polls: the inbound_status events about ``external_id``, oldest first."""
    rows = client.get("/api/v1/exchange/outbound/?since=0").json()["results"]
    return [
        (row["payload"]["status"], row["payload"]["note"])
        for row in rows
        if row["kind"] == "inbound_status" and row["payload"]["external_id"] == external_id
    ]


@pytest.mark.parametrize("code", ["grid", "12345"])
def test_incident_closed_reports_handled_to_the_partner(make_user, api_as, officer, station, code):
    from django.test import Client

    partner = token_client(make_user(Role.GRID_CLIENT, username=f"client-{code}", partner=code))
    posted = _post_inbound(partner, code, f"{code}-H1")
    browser = Client()
    browser.force_login(officer)
    accepted = browser.post(f"/incidents/from-inbound/{posted['id']}/", {"category": "dispute"})
    assert accepted.status_code == 302
    incident = Incident.objects.get(source_inbound_id=posted["id"])
    assert _status_feedback(partner, f"{code}-H1") == [("accepted", f"已受理为警情 {incident.number}")]

    closed = api_as(officer).post(
        f"/api/v1/incidents/{incident.pk}/events/",
        {"kind": "closed", "at": incident.received_at.isoformat(), "note": "已调解"},
        format="json",
    )
    assert closed.status_code == 201, closed.json()
    assert _status_feedback(partner, f"{code}-H1") == [
        ("accepted", f"已受理为警情 {incident.number}"),
        ("handled", "已调解"),
    ]
    mine = partner.get(f"/api/v1/exchange/inbound/{posted['id']}/").json()
    assert mine["status"] == "handled"


def test_dispute_closed_reports_handled_to_the_partner(make_user, api_as, officer, station, settings):
    from disputes import services as dispute_services
    from qianwan.exchange.models import InboundEvent

    settings.DISPUTE_CLOSE_MIN_FOLLOWUPS = 0
    partner = token_client(make_user(Role.GRID_CLIENT, username="client-grid", partner="grid"))
    posted = _post_inbound(partner, "grid", "GRID-D1")
    event = InboundEvent.objects.get(pk=posted["id"])
    dispute = dispute_services.dispute_accept_inbound(
        actor=officer,
        event=event,
        station=station,
        category="neighbour",
        risk_level="low",
        summary="楼道堆物",
        address="兴业路18号",
        lat=30.283,
        lon=121.187,
        parties=[{"name": "张三", "phone": "13800001111"}],
    )
    dispute_services.dispute_resolve(actor=officer, dispute=dispute)
    assert [s for s, _n in _status_feedback(partner, "GRID-D1")] == ["accepted"]
    closed = api_as(officer).post(
        f"/api/v1/disputes/{dispute.pk}/close/", {"note": "双方和解"}, format="json"
    )
    assert closed.status_code == 200, closed.json()
    assert _status_feedback(partner, "GRID-D1")[-1] == ("handled", "双方和解")
    assert partner.get(f"/api/v1/exchange/inbound/{posted['id']}/").json()["status"] == "handled"


def test_police_rejection_reports_rejected_with_the_reason(make_user, api_as, officer, station):
    partner = token_client(make_user(Role.GRID_CLIENT, username="client-grid", partner="grid"))
    posted = _post_inbound(partner, "grid", "GRID-R1")
    url = f"/api/v1/exchange/inbound/{posted['id']}/reject/"
    no_reason = api_as(officer).post(url, {"note": " "}, format="json")
    assert no_reason.status_code == 400 and "note" in error_fields(no_reason)
    assert _status_feedback(partner, "GRID-R1") == []
    rejected = api_as(officer).post(url, {"note": "不属于公安管辖，请转城管"}, format="json")
    assert rejected.status_code == 200, rejected.json()
    assert _status_feedback(partner, "GRID-R1") == [("rejected", "不属于公安管辖，请转城管")]
    assert partner.get(f"/api/v1/exchange/inbound/{posted['id']}/").json()["status"] == "rejected"


def test_a_restarted_clock_warns_again_though_it_had_warned_before(
    time_machine, hotline, officer, leader, on_duty, station
):
    from qianwan.notify.models import Notification

    time_machine.move_to(T0 + timedelta(seconds=20), tick=False)
    incident = make_incident(station, officer, received_at=T0)
    record(incident, "dispatched", actor=officer, after=20)
    video = SlaClock.objects.get(incident=incident, stage="video_supervision")
    time_machine.move_to(T0 + timedelta(seconds=105), tick=False)
    assert incident_services.clock_fire(clock_id=video.pk) == ["warn"]
    time_machine.move_to(T0 + timedelta(seconds=110), tick=False)
    record(incident, "diverted", actor=officer, after=110, target="12345")
    outbound = OutboundEvent.objects.get(source_type="incidents.incident", source_id=str(incident.pk))
    time_machine.move_to(T0 + timedelta(seconds=170), tick=False)
    assert _reject(hotline, outbound, T0 + timedelta(seconds=170)).status_code == 200
    video.refresh_from_db()
    assert video.warned_at is None and video.next_fire_at == T0 + timedelta(seconds=170 + 105)
    time_machine.move_to(T0 + timedelta(seconds=170 + 105), tick=False)
    assert incident_services.clock_fire(clock_id=video.pk, task_id=video.task_id) == ["warn"]
    warnings = Notification.objects.filter(key__startswith=f"clock:{video.pk}:", key__endswith=":warn")
    assert warnings.count() == 2
    assert recipients(f"clock:{video.pk}:restart:") == {"officer"}


# -------------------------------------------------------------------------- sign-for deadline


def test_sign_for_deadline_reminds_the_duty_leaders_once(
    time_machine, make_user, api_as, officer, on_duty, station
):
    from qianwan.exchange import services as exchange_services
    from qianwan.exchange.models import InboundEvent
    from qianwan.notify.models import Notification

    partner = token_client(make_user(Role.GRID_CLIENT, username="client-grid", partner="grid"))
    time_machine.move_to(T0, tick=False)
    late = _post_inbound(partner, "grid", "GRID-S1")
    signed = _post_inbound(partner, "grid", "GRID-S2")
    nowhere = _post_inbound(partner, "grid", "GRID-S3", lat=None, lon=None)
    assert InboundEvent.objects.get(pk=late["id"]).sign_for_due_at == T0 + timedelta(minutes=30)
    seq = InboundEvent.objects.get(pk=late["id"]).change_seq

    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    accepted = api_as(officer).post(
        f"/api/v1/exchange/inbound/{signed['id']}/reject/", {"note": "重复来件"}, format="json"
    )
    assert accepted.status_code == 200

    time_machine.move_to(T0 + timedelta(minutes=29, seconds=59), tick=False)
    assert exchange_services.inbound_sign_for_sweep() == 0
    time_machine.move_to(T0 + timedelta(minutes=30), tick=False)
    assert exchange_services.inbound_sign_for_sweep() == 2
    # the station's duty leader for the located event; the command centre's for the one without a station
    assert recipients(f"exchange.inbound:{late['id']}:sign_for") == {"leader"}
    assert recipients(f"exchange.inbound:{nowhere['id']}:sign_for") == {"bureau"}
    assert not Notification.objects.filter(key=f"exchange.inbound:{signed['id']}:sign_for").exists()
    # once: later sweeps remind nobody again
    time_machine.move_to(T0 + timedelta(minutes=45), tick=False)
    assert exchange_services.inbound_sign_for_sweep() == 0
    assert Notification.objects.filter(key__endswith=":sign_for").count() == 2
    # a reminder is bookkeeping, not a change the partner polls for
    reminded = InboundEvent.objects.get(pk=late["id"])
    assert reminded.sign_for_reminded_at == T0 + timedelta(minutes=30) and reminded.change_seq == seq


def test_sign_for_minutes_is_a_setting(time_machine, make_user, station, settings):
    from qianwan.exchange import services as exchange_services
    from qianwan.exchange.models import InboundEvent

    settings.EXCHANGE_SIGN_FOR_MINUTES = 5
    partner = token_client(make_user(Role.GRID_CLIENT, username="client-12345", partner="12345"))
    time_machine.move_to(T0, tick=False)
    posted = _post_inbound(partner, "12345", "H-S1")
    assert InboundEvent.objects.get(pk=posted["id"]).sign_for_due_at == T0 + timedelta(minutes=5)
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    assert exchange_services.inbound_sign_for_sweep() == 1


def test_sign_for_sweep_is_on_the_beat():
    from django.conf import settings

    from qianwan.exchange import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["exchange-sign-for-sweep"]
    assert (
        entry["task"] == tasks.inbound_sign_for_sweep.name == "qianwan.exchange.tasks.inbound_sign_for_sweep"
    )
    assert settings.EXCHANGE_SIGN_FOR_MINUTES == 30


# ------------------------------------------------------------------------ bureau triage queue


def test_event_without_location_waits_in_the_bureau_triage_queue(
    make_user, api_as, officer, leader, bureau, station, other_station
):
    from qianwan.audit.models import AuditEntry

    partner = token_client(make_user(Role.GRID_CLIENT, username="client-grid", partner="grid"))
    posted = _post_inbound(partner, "grid", "GRID-T1", lat=None, lon=None)
    located = _post_inbound(partner, "grid", "GRID-T2")
    assert posted["station"] is None and located["station"] == "ADS"
    url = f"/api/v1/exchange/inbound/{posted['id']}/"
    # officers never see an unassigned event
    hidden = api_as(officer).get(url)
    assert hidden.status_code == 404 and error_code(hidden) == "not_found"
    assert posted["id"] not in [
        e["id"] for e in api_as(officer).get("/api/v1/exchange/inbound/").json()["results"]
    ]
    assert api_as(officer).post(f"{url}reject/", {"note": "x"}, format="json").status_code == 404
    # the bureau's queue: events without a station only
    queue = api_as(bureau).get("/api/v1/exchange/inbound/?triage=true").json()["results"]
    assert [e["id"] for e in queue] == [posted["id"]]

    # only the bureau assigns; a station that does not exist is a 400 on the field
    denied = api_as(leader).post(f"{url}assign/", {"station": "ADS"}, format="json")
    assert denied.status_code in (403, 404)
    unknown = api_as(bureau).post(f"{url}assign/", {"station": "NOPE"}, format="json")
    assert unknown.status_code == 400 and "station" in error_fields(unknown)
    assigned = api_as(bureau).post(f"{url}assign/", {"station": "ADS"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["station"] == "ADS"
    entry = AuditEntry.objects.get(action="exchange.inbound.assign")
    assert entry.actor_id == bureau.pk
    assert recipients(f"exchange.inbound:{posted['id']}:assigned:") == {"officer", "leader"}
    assert api_as(bureau).get("/api/v1/exchange/inbound/?triage=true").json()["results"] == []

    # now the station works it, and the outcome flows back to the partner; it cannot move it on
    assert api_as(officer).get(url).status_code == 200
    for user in (officer, leader):
        moved = api_as(user).post(f"{url}assign/", {"station": other_station.code}, format="json")
        assert moved.status_code == 403 and error_code(moved) == "forbidden", user.role
    assert api_as(officer).get(url).json()["station"] == "ADS"
    rejected = api_as(officer).post(f"{url}reject/", {"note": "非本所辖区事务"}, format="json")
    assert rejected.status_code == 200
    assert _status_feedback(partner, "GRID-T1") == [("rejected", "非本所辖区事务")]
    # once worked, it is no longer the triage's to move
    late = api_as(bureau).post(f"{url}assign/", {"station": "ADS"}, format="json")
    assert late.status_code == 409


def test_triage_page_assigns_a_station(make_user, officer, bureau, station, other_station):
    from django.test import Client

    from qianwan.exchange.models import InboundEvent

    partner = token_client(make_user(Role.GRID_CLIENT, username="client-12345", partner="12345"))
    posted = _post_inbound(partner, "12345", "H-T1", lat=None, lon=None, title="无位置的求助")
    chief, constable = Client(), Client()
    chief.force_login(bureau)
    constable.force_login(officer)
    detail = f"/exchange/inbound/{posted['id']}/"
    assert constable.get(detail).status_code == 404
    page = chief.get("/exchange/inbound/?triage=true")
    assert page.status_code == 200 and "无位置的求助" in page.content.decode()
    form = chief.get(detail)
    assert form.status_code == 200 and "分派派出所" in form.content.decode()
    # the officer cannot post the triage form
    assert constable.post(f"{detail}assign/", {"station": station.pk}).status_code in (403, 404)
    bad = chief.post(f"{detail}assign/", {"station": ""})
    assert bad.status_code == 400
    done = chief.post(f"{detail}assign/", {"station": station.pk})
    assert done.status_code == 302
    assert InboundEvent.objects.get(pk=posted["id"]).station_id == station.pk
    assert constable.get(detail).status_code == 200
