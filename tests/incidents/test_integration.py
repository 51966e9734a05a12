"""A real Celery worker on real Redis fires a clock's reminder end to end (ETA task, stored task id)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import SlaClock
from qianwan.notify.models import InboxItem, Notification

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_fires_the_warning_once(celery_worker_proc, officer, station):
    # received 42 s ago: the dispatch warning (60 s − 15 s) is due in about 3 s
    received = timezone.now() - timedelta(seconds=42)
    incident = services.incident_create(
        actor=officer, station=station, category="dispute", received_at=received, address="兴业路1号"
    )
    clock = SlaClock.objects.get(incident=incident, stage="dispatch")
    assert clock.task_id and clock.next_fire_at == clock.warn_at
    first_task = clock.task_id
    key = f"clock:{clock.pk}:warn"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Notification.objects.filter(key=key).exists():
        time.sleep(0.2)
    notification = Notification.objects.filter(key=key).first()
    assert notification is not None, celery_worker_proc.log()[-3000:]
    lateness = (notification.created_at - clock.warn_at).total_seconds()
    assert 0 <= lateness < 10, lateness  # generous: CI machines are shared
    assert InboxItem.objects.filter(notification=notification, recipient=officer).exists()
    clock.refresh_from_db()
    assert clock.warned_at is not None and clock.next_fire_at == clock.deadline
    # the re-armed task (breach at the deadline) carries the new id stored on the row
    assert clock.task_id and clock.task_id != first_task
