"""The watchdog's decision (qianwan/watchdog.py): exit only when the heartbeat is stale while the
database and the broker answer, and never in a process younger than the limit."""

import os
import time

import pytest

from incidents.services import clocks_sweep
from qianwan import watchdog
from qianwan.notify.models import Heartbeat

pytestmark = pytest.mark.django_db


def _old(seconds: float) -> float:
    return time.monotonic() - seconds


def test_stale_heartbeat_with_broker_up_means_exit(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("no Redis configured")
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    reason = watchdog.verdict(started_monotonic=_old(100), max_age=60)
    assert reason and "missing" in reason  # never swept
    clocks_sweep()
    assert watchdog.verdict(started_monotonic=_old(100), max_age=60) is None  # fresh
    from datetime import timedelta

    from django.utils import timezone

    Heartbeat.objects.update(at=timezone.now() - timedelta(seconds=61))
    assert "61 s old" in watchdog.verdict(started_monotonic=_old(100), max_age=60)
    # a process younger than the limit waits for the sweep to have had its chance
    assert watchdog.verdict(started_monotonic=_old(10), max_age=60) is None


def test_broker_down_never_means_exit(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert watchdog.verdict(started_monotonic=_old(1000), max_age=60) is None
