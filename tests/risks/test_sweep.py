"""The overdue sweep, one step at a time with frozen time: before and after rectify_by, each once."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qianwan.kpi import local_tz
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from risks import services, tasks
from risks.choices import ReminderStage

from .factories import make_hazard

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=local_tz())
DEADLINE = datetime(2026, 6, 10, 23, 59, 59, tzinfo=local_tz())


@pytest.fixture
def hazard(officer, leader):
    with time_machine.travel(T0, tick=False):
        return make_hazard(officer.station, officer, found_at=T0 - timedelta(hours=1), rectify_by=DEADLINE)


def kinds():
    return sorted(Notification.objects.values_list("kind", flat=True))


def inbox(user):
    return sorted(InboxItem.objects.filter(recipient=user).values_list("notification__kind", flat=True))


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return tasks.hazard_reminders_sweep.delay().get()


def test_reminders_before_and_after_deadline_each_once(hazard, officer, leader):
    assert sweep_at(T0) == 0  # nothing due yet: the first reminder is 3 days before the deadline
    assert sweep_at(DEADLINE - timedelta(days=3, minutes=1)) == 0
    assert sweep_at(DEADLINE - timedelta(days=2)) == 1
    assert kinds() == ["risks.hazard.due_soon"]
    assert inbox(officer) == ["risks.hazard.due_soon"] and inbox(leader) == []
    assert sweep_at(DEADLINE - timedelta(days=1)) == 0  # not twice
    assert sweep_at(DEADLINE + timedelta(minutes=1)) == 1
    assert kinds() == ["risks.hazard.due_soon", "risks.hazard.overdue", "risks.hazard.overdue_leader"]
    assert inbox(officer) == ["risks.hazard.due_soon", "risks.hazard.overdue"]
    assert inbox(leader) == ["risks.hazard.overdue_leader"]
    assert sweep_at(DEADLINE + timedelta(days=5)) == 0
    assert Notification.objects.count() == 3
    hazard.refresh_from_db()
    assert hazard.next_reminder_at is None and hazard.reminder_stage == ReminderStage.OVERDUE


def test_late_first_sweep_sends_only_overdue(hazard, officer, leader):
    assert sweep_at(DEADLINE + timedelta(days=1)) == 1
    assert kinds() == ["risks.hazard.overdue", "risks.hazard.overdue_leader"]


def test_rectified_hazard_gets_no_reminder(hazard, officer):
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        services.hazard_rectify(actor=officer, hazard=hazard)
    assert sweep_at(DEADLINE + timedelta(days=1)) == 0
    assert Notification.objects.count() == 0


def test_reopen_arms_a_new_round(hazard, officer, make_user):
    other = make_user(Role.OFFICER, username="second")
    sweep_at(DEADLINE + timedelta(hours=1))
    assert Notification.objects.count() == 2
    with time_machine.travel(DEADLINE + timedelta(days=1), tick=False):
        services.hazard_rectify(actor=officer, hazard=hazard)
        services.hazard_close(actor=other, hazard=hazard)
        new_deadline = DEADLINE + timedelta(days=20)
        services.hazard_reopen(actor=other, hazard=hazard, reason="复发", rectify_by=new_deadline)
    assert sweep_at(new_deadline - timedelta(days=1)) == 1
    assert sweep_at(new_deadline + timedelta(hours=1)) == 1
    assert Notification.objects.count() == 5


def test_two_workers_and_repeated_calls_send_once(hazard, officer, leader):
    """Both 'workers' run the same function for the same due row: the lock + re-check under the lock
    (and, as a last line, the unique notification key) make the second a no-op."""
    moment = DEADLINE + timedelta(hours=2)
    with time_machine.travel(moment, tick=False):
        first = services.hazard_remind(hazard.pk, moment)
        second = services.hazard_remind(hazard.pk, moment)
        assert services.hazard_reminders_sweep(now=moment) == 0
    assert first == "overdue" and second is None
    assert Notification.objects.count() == 2
    assert InboxItem.objects.filter(recipient=leader).count() == 1


def test_sweep_uses_skip_locked_on_postgres(hazard):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is a PostgreSQL feature; SQLite serialises writers")
    moment = DEADLINE + timedelta(hours=2)
    with CaptureQueriesContext(connection) as ctx, time_machine.travel(moment, tick=False):
        services.hazard_remind(hazard.pk, moment)
    assert any("SKIP LOCKED" in q["sql"] for q in ctx.captured_queries)


def test_officer_without_responsible_falls_back_to_station_officers(officer, leader, make_user, bureau):
    with time_machine.travel(T0, tick=False):
        hazard = make_hazard(officer.station, bureau, found_at=T0 - timedelta(hours=1), rectify_by=DEADLINE)
    assert hazard.responsible_officer is None
    sweep_at(DEADLINE - timedelta(days=1))
    assert inbox(officer) == ["risks.hazard.due_soon"]
