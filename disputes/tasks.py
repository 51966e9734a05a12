from celery import shared_task

from . import services


@shared_task
def followup_sweep() -> dict:
    """Beat (hourly): remind officers of disputes behind their follow-ups; month-end report to leaders."""
    return services.followup_reminders_send()
