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
    from datetime import timedelta

    from django.utils import timezone

    from .choices import ImportStatus
    from .models import ImportJob

    stale = timezone.now() - timedelta(minutes=1)
    ids = list(
        ImportJob.objects.filter(status=ImportStatus.PENDING, created_at__lt=stale).values_list(
            "pk", flat=True
        )[:20]
    )
    for job_id in ids:
        services.import_job_run(job_id)
    # a worker killed mid-validation leaves a job "running": nothing was written (the write is one
    # transaction), so it is safe to tell the user to upload again
    ImportJob.objects.filter(
        status=ImportStatus.RUNNING, started_at__lt=timezone.now() - timedelta(minutes=15)
    ).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        errors=[{"row": None, "column": "", "message": "导入中断，未导入任何企业，请重新上传。"}],
    )
    return len(ids)
