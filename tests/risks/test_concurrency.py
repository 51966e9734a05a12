"""The overdue sweep when two workers run it at once: every reminder still goes out exactly once."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from qianwan.notify.models import InboxItem, Notification
from risks import services, tasks
from tests.race import race

from .factories import make_hazard

pytestmark = pytest.mark.django_db(transaction=True)


def overdue_hazards(officer, n):
    now = timezone.now()
    return [
        make_hazard(
            officer.station, officer, found_at=now - timedelta(days=10), rectify_by=now - timedelta(hours=1)
        )
        for _ in range(n)
    ]


def test_two_concurrent_sweeps_send_each_reminder_once(officer, leader):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL")
    overdue_hazards(officer, 30)
    results, _ = race(lambda: services.hazard_reminders_sweep(now=timezone.now()))
    assert sum(results) == 30
    assert Notification.objects.filter(kind="risks.hazard.overdue").count() == 30
    assert Notification.objects.filter(kind="risks.hazard.overdue_leader").count() == 30
    assert InboxItem.objects.filter(recipient=leader).count() == 30


def test_two_concurrent_hand_overs_write_one_event(officer):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from qianwan.errors import StateConflict
    from qianwan.exchange.models import OutboundEvent, Partner

    Partner.objects.get_or_create(code="grid", defaults={"name": "基层治理四平台"})
    (hazard,) = overdue_hazards(officer, 1)
    done, conflicts = race(
        lambda: services.hazard_hand_over(actor=officer, hazard=hazard, note="并发提交"),
        expected=(StateConflict,),
    )
    assert len(done) == 1 and len(conflicts) == 1
    assert OutboundEvent.objects.filter(source_id=str(hazard.pk), kind="hazard").count() == 1


@pytest.mark.integration
def test_real_worker_runs_the_sweep_twice_and_reminds_once(celery_worker_proc, officer, leader):
    (hazard,) = overdue_hazards(officer, 1)
    tasks.hazard_reminders_sweep.delay()
    tasks.hazard_reminders_sweep.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and celery_worker_proc.log().count("succeeded") < 2:
        time.sleep(0.2)
    log = celery_worker_proc.log()
    assert log.count("risks.tasks.hazard_reminders_sweep") >= 2 and log.count("succeeded") >= 2, log[-2000:]
    notes = Notification.objects.filter(key__startswith=f"risks.hazard:{hazard.pk}:")
    assert sorted(notes.values_list("kind", flat=True)) == [
        "risks.hazard.overdue",
        "risks.hazard.overdue_leader",
    ]
