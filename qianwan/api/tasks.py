"""Celery tasks of the shared API/list layer: take ids, call the module that does the work."""

from celery import shared_task


@shared_task(name="qianwan.api.tasks.export_run", acks_late=True)
def export_run(job_id: int) -> None:
    """Write a large list export's file (qianwan/exports.py)."""
    from qianwan import exports

    exports.run(job_id)


@shared_task(name="qianwan.api.tasks.export_sweep")
def export_sweep() -> int:
    """Queue again export jobs whose task was never published (broker outage)."""
    from qianwan import exports

    return exports.sweep()
