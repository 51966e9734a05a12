"""A real Celery worker on real Redis runs the incident → team sweep twice: the team is told once."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from qianwan.notify.models import InboxItem, Notification
from traffic.models import IncidentAlert
from traffic.tasks import incident_alert_sweep

from .factories import make_shift, make_zone, team_with_members
from .test_incident_sweep import incident

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_sweeps_route_a_traffic_call_exactly_once(celery_worker_proc, station):
    zone = make_zone()
    team = team_with_members(station, n=2)
    make_shift(zone, team, start=timezone.now() - timedelta(hours=1))
    call = incident(station)
    incident_alert_sweep.delay()
    incident_alert_sweep.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and celery_worker_proc.log().count("succeeded") < 2:
        time.sleep(0.2)
    log = celery_worker_proc.log()
    assert log.count("traffic.tasks.incident_alert_sweep") >= 2 and log.count("succeeded") >= 2, log[-2000:]
    assert IncidentAlert.objects.filter(incident=call).count() == 1
    notification = Notification.objects.get(kind="traffic.incident_team")
    assert notification.key == f"traffic:incident:{call.pk}:team"
    assert InboxItem.objects.filter(notification=notification).count() == 2
