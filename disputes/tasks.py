from celery import shared_task

from . import services


@shared_task
def followup_sweep() -> dict:
    """Beat (hourly): remind officers of disputes behind their follow-ups; month-end report to leaders."""
    return services.followup_reminders_send()


@shared_task
def block_overdue_sweep() -> int:
    """Beat (daily): hot blocks unvisited past their station's threshold → their officer (or leaders)."""
    from . import patrols

    return patrols.overdue_sweep()
