"""Celery jobs of the risks app: take ids or plain values, call a service, nothing else."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="risks.tasks.hazard_reminders_sweep")
def hazard_reminders_sweep() -> int:
    """Beat (every few minutes): send due-soon / overdue reminders of hazards whose time has come."""
    return services.hazard_reminders_sweep()


@shared_task(name="risks.tasks.hotspots_weekly")
def hotspots_weekly(days: int = 28) -> list[int]:
    """Beat (weekly): hotspots of every incident category for the ``days`` days up to yesterday."""
    from incidents.models import Incident

    period_end = timezone.localdate() - timedelta(days=1)
    return [
        services.hotspot_run_compute(category=category, period_end=period_end, days=days).pk
        for category, _label in Incident._meta.get_field("category").choices
    ]


@shared_task(name="risks.tasks.hotspot_run")
def hotspot_run(category: str, period_end: str, days: int = 28, force: bool = False) -> int:
    """Compute one category's hotspots (on demand from the page, or from the weekly job)."""
    run = services.hotspot_run_compute(
        category=category, period_end=date.fromisoformat(period_end), days=days, force=force
    )
    return run.pk
