"""The clocks' timers, one step at a time with frozen time: warn → breach → escalate, exactly once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from incidents import services
from incidents.models import Incident, IncidentEvent, SlaClock
from qianwan.notify.models import InboxItem, Notification
from qianwan.notify.services import inbox_acknowledge
from qianwan.org.models import DutyRoster
from tests.incidents.factories import make_incident, record
from tests.race import race

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


def clock(incident, stage="dispatch"):
    return SlaClock.objects.get(incident=incident, stage=stage)


def recipients(key):
    return set(InboxItem.objects.filter(notification__key=key).values_list("recipient__username", flat=True))


@pytest.mark.django_db
def test_warn_breach_escalate_each_once(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    c = clock(incident)
    assert c.next_fire_at == T0 + timedelta(seconds=45) and c.task_id
    # the new-incident notice goes to the duty leader, acknowledgeable
    assert recipients(f"incident:{incident.pk}:leader") == {"leader"}

    time_machine.move_to(T0 + timedelta(seconds=44), tick=False)
    assert services.clock_fire(clock_id=c.pk, task_id=c.task_id) == []  # not due yet

    time_machine.move_to(T0 + timedelta(seconds=45), tick=False)
    assert services.clock_fire(clock_id=c.pk, task_id=c.task_id) == ["warn"]
    assert recipients(f"clock:{c.pk}:warn") == {"officer"}
    old_task = c.task_id
    c.refresh_from_db()
    assert c.warned_at == T0 + timedelta(seconds=45) and c.next_fire_at == T0 + timedelta(seconds=60)
    assert c.task_id and c.task_id != old_task

    time_machine.move_to(T0 + timedelta(seconds=60), tick=False)
    assert services.clock_fire(clock_id=c.pk, task_id=old_task) == []  # a stale task does nothing
    assert services.clock_fire(clock_id=c.pk, task_id=c.task_id) == ["breach"]
    breach = Notification.objects.get(key=f"clock:{c.pk}:breach")
    assert breach.ack_action == "incidents.leader_ack" and breach.level == "breach"
    assert recipients(breach.key) == {"leader"}
    c.refresh_from_db()
    assert c.met is False and c.breached_at == T0 + timedelta(seconds=60)
    assert Incident.objects.get(pk=incident.pk).dispatch_met is False
    assert c.next_fire_at == T0 + timedelta(seconds=180)  # breach + 120 s

    # the incident's one timer fires every step due across its clocks: here the dispatch escalation
    # and the breaches of the 2- and 3-minute clocks (too late for their warnings)
    time_machine.move_to(T0 + timedelta(seconds=180), tick=False)
    assert services.clock_fire(clock_id=c.pk, task_id=c.task_id) == ["escalate", "breach", "breach"]
    assert recipients(f"clock:{c.pk}:escalate") == {"bureau"}
    c.refresh_from_db()
    assert c.escalated_at and c.next_fire_at is None and c.task_id == ""
    assert services.clock_fire(clock_id=c.pk, task_id=None) == []
    assert Notification.objects.filter(key__startswith=f"clock:{c.pk}:").count() == 3


@pytest.mark.django_db
def test_clock_done_before_its_timer_sends_nothing(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    c = clock(incident)
    task = c.task_id
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    record(incident, "dispatched", after=30)
    # the incident's timer, armed for the dispatch warning, finds it done: it warns nobody and
    # re-arms for the next clock's step (the video warning at 105 s)
    time_machine.move_to(T0 + timedelta(seconds=45), tick=False)
    assert services.clock_fire(clock_id=c.pk, task_id=task) == []
    video = clock(incident, "video_supervision")
    assert video.next_fire_at == T0 + timedelta(seconds=105) and video.task_id not in ("", task)
    assert services.clock_fire(clock_id=c.pk, task_id=task) == []  # now stale
    time_machine.move_to(T0 + timedelta(seconds=300), tick=False)
    services.clocks_sweep()
    assert Notification.objects.filter(key=f"clock:{video.pk}:breach").exists()
    assert not Notification.objects.filter(key__startswith=f"clock:{c.pk}:").exists()
    c.refresh_from_db()
    assert c.met is True and c.next_fire_at is None


@pytest.mark.django_db
def test_lost_eta_task_is_recovered_by_the_sweep(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)  # no task ever runs (on-commit never fired)
    c = clock(incident)
    time_machine.move_to(T0 + timedelta(seconds=46), tick=False)
    assert services.clocks_sweep() == 0  # within the grace period the ETA task has the first go
    time_machine.move_to(T0 + timedelta(seconds=48), tick=False)
    assert services.clocks_sweep() == 1
    assert recipients(f"clock:{c.pk}:warn") == {"officer"}
    assert services.clocks_sweep() == 0
    # the sweep jumps straight to what is due: a broker down for minutes gives breach, no late warning
    time_machine.move_to(T0 + timedelta(seconds=130), tick=False)
    services.clocks_sweep()
    video = clock(incident, "video_supervision")
    assert Notification.objects.filter(key=f"clock:{c.pk}:breach").exists()
    assert Notification.objects.filter(key=f"clock:{video.pk}:breach").exists()
    assert not Notification.objects.filter(key=f"clock:{video.pk}:warn").exists()


@pytest.mark.django_db
def test_closed_incident_stops_reminders(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    time_machine.move_to(T0 + timedelta(seconds=20), tick=False)
    record(incident, "closed", after=20, note="报警人称已解决")
    time_machine.move_to(T0 + timedelta(seconds=900), tick=False)
    assert services.clocks_sweep() == 0
    assert not Notification.objects.filter(key__startswith="clock:").exists()
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.arrival_met is False  # never done: a miss


@pytest.mark.django_db
def test_diverted_incident_stops_reminders(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0, category="non_police")
    time_machine.move_to(T0 + timedelta(seconds=20), tick=False)
    record(incident, "diverted", after=20, target="12345")
    time_machine.move_to(T0 + timedelta(seconds=900), tick=False)
    assert services.clocks_sweep() == 0
    assert not SlaClock.objects.filter(incident=incident, not_needed=False).exists()
    incident.refresh_from_db()
    assert incident.arrival_met is None


@pytest.mark.django_db
def test_eta_tasks_are_queued_on_commit_with_the_stored_id(
    time_machine, officer, on_duty, station, django_capture_on_commit_callbacks
):
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident = make_incident(station, officer, received_at=T0)
    # one ETA task for the incident's four clocks (+ none for channels: no channel configured), at its
    # first step; the eager task, run before its time, does nothing
    assert len(callbacks) == 1
    clocks = SlaClock.objects.filter(incident=incident)
    assert {c.task_id for c in clocks} == {clocks[0].task_id} and clocks[0].task_id
    assert min(c.next_fire_at for c in clocks) == T0 + timedelta(seconds=45)
    assert clocks.filter(warned_at__isnull=True).count() == 4


@pytest.mark.django_db
def test_leader_acknowledgement_records_leader_notified(time_machine, api_as, officer, on_duty, station):
    leader, _ = on_duty
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    item = InboxItem.objects.get(notification__key=f"incident:{incident.pk}:leader", recipient=leader)
    time_machine.move_to(T0 + timedelta(seconds=95), tick=False)
    response = api_as(leader).post(f"/api/v1/notifications/{item.pk}/ack/")
    assert response.status_code == 200, response.content
    event = IncidentEvent.objects.get(incident=incident, kind="leader_notified")
    assert event.at == T0 + timedelta(seconds=95) and event.actor == leader
    c = clock(incident, "leader_notified")
    assert c.done_at == event.at and c.met is True
    # a later acknowledgement (the breach notice of another stage) does not record it twice
    time_machine.move_to(T0 + timedelta(seconds=61), tick=False)
    services.clocks_sweep(grace_seconds=0)
    breach_item = InboxItem.objects.get(
        notification__key=f"clock:{clock(incident).pk}:breach", recipient=leader
    )
    time_machine.move_to(T0 + timedelta(seconds=100), tick=False)
    assert api_as(leader).post(f"/api/v1/notifications/{breach_item.pk}/ack/").status_code == 200
    assert IncidentEvent.objects.filter(incident=incident, kind="leader_notified").count() == 1


@pytest.mark.django_db
def test_ack_after_close_changes_nothing(time_machine, officer, on_duty, station):
    leader, _ = on_duty
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    record(incident, "closed", after=10)
    item = InboxItem.objects.get(notification__key=f"incident:{incident.pk}:leader", recipient=leader)
    inbox_acknowledge(user=leader, item=item, at=T0 + timedelta(seconds=30))
    assert not IncidentEvent.objects.filter(incident=incident, kind="leader_notified").exists()


@pytest.mark.django_db(transaction=True)
def test_two_racing_sweeps_send_one_notification(time_machine, officer, on_duty, station):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    time_machine.move_to(T0, tick=False)
    incidents = [make_incident(station, received_at=T0) for _ in range(5)]
    time_machine.move_to(T0 + timedelta(seconds=50), tick=False)
    results, _ = race(services.clocks_sweep)
    assert sum(results) == 5  # each clock fired by exactly one of the two sweeps
    for incident in incidents:
        key = f"clock:{clock(incident).pk}:warn"
        assert Notification.objects.filter(key=key).count() == 1
        assert InboxItem.objects.filter(notification__key=key).count() == 1


@pytest.mark.django_db(transaction=True)
def test_task_and_sweep_racing_on_one_clock_send_one_notification(time_machine, officer, on_duty, station):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    c = clock(incident)
    time_machine.move_to(T0 + timedelta(seconds=61), tick=False)
    results, _ = race(
        lambda: services.clock_fire(clock_id=c.pk, task_id=c.task_id) or services.clocks_sweep(), n=2
    )
    assert Notification.objects.filter(key=f"clock:{c.pk}:breach").count() == 1
    assert Notification.objects.filter(key=f"clock:{c.pk}:warn").count() == 0  # too late to warn
    assert results
