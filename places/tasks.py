"""Celery tasks of the places app: take ids, call a service."""

from celery import shared_task

from . import services


@shared_task(name="places.tasks.import_run", acks_late=True)
def import_run(job_id: int) -> None:
    """Validate and (all or nothing) import an uploaded standard-address register."""
    services.import_job_run(job_id)


@shared_task(name="places.tasks.import_sweep")
def import_sweep() -> int:
    return services.import_jobs_sweep()
