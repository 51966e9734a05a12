"""Celery tasks of the anti-fraud app: take ids, call a service."""

from celery import shared_task

from . import services


@shared_task
def roster_import_run(import_id: int) -> str:
    """Run one roster import (validate all rows, then write all or nothing)."""
    return services.roster_import_run(import_id).status


@shared_task
def rounds_sweep() -> dict:
    """Beat, hourly: open this month's cross-evaluation round (idempotent) and send due reminders."""
    return services.rounds_sweep()


@shared_task
def letters_missing_sweep() -> int:
    """Beat, daily: monthly reminder to each station about above-size enterprises without a letter."""
    return services.letters_missing_remind()
