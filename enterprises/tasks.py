"""Celery tasks of the enterprises app: take ids, call a service."""

from celery import shared_task

from . import services


@shared_task(name="enterprises.tasks.import_run", acks_late=True)
def import_run(job_id: int) -> None:
    """Validate and (all or nothing) import an uploaded registry workbook."""
    services.import_job_run(job_id)


@shared_task(name="enterprises.tasks.import_sweep")
def import_sweep() -> int:
    """Run import jobs whose task was never published (broker outage); idempotent per job."""
    return services.import_jobs_sweep()
