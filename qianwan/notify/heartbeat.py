"""Whether the reminders are running: the age of the beat sweep's heartbeat (a database row, written by
``incidents.services.clocks_sweep`` every ``CLOCKS_SWEEP_SECONDS``). Read by /healthz, the duty board's
banner, ``manage.py workerhealth`` (the containers' healthchecks) and the processes' watchdog."""

from django.conf import settings
from django.utils import timezone

from .models import Heartbeat

CLOCKS_SWEEP_HEARTBEAT = "incidents.clocks_sweep"


def heartbeat_age(name: str = CLOCKS_SWEEP_HEARTBEAT, now=None) -> float | None:
    """Seconds since ``name`` last ran, or None if it never did."""
    at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
    if at is None:
        return None
    return ((now or timezone.now()) - at).total_seconds()


def worker_status(now=None, max_age: float | None = None) -> str:
    """``"ok"`` when the sweep ran within ``max_age`` seconds (WORKER_STALE_SECONDS, 60), else ``"stale"``."""
    age = heartbeat_age(now=now)
    limit = settings.WORKER_STALE_SECONDS if max_age is None else max_age
    return "ok" if age is not None and age <= limit else "stale"
