"""Celery tasks of the dashboard: take ids, call the service."""

from celery import shared_task

from . import services


# a district-scale month takes longer than the default 60 s soft limit
@shared_task(soft_time_limit=900, time_limit=960)
def report_build(report_id: int, generation: int) -> str:
    """Build one generation of a monthly report (a duplicate or outdated message does nothing)."""
    return services.report_build(report_id=report_id, generation=generation)


@shared_task
def reports_sweep() -> dict:
    """Beat: last month's sub-bureau report on the 1st (or the first run after); resend lost builds."""
    return services.reports_sweep()
