"""The import sweep recovers jobs whose task never reached the broker, and stuck jobs; frozen time."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from enterprises import tasks
from enterprises.choices import ImportStatus
from enterprises.models import Enterprise, ImportJob

from .test_registry import good_row, workbook


def _job(officer, rows):
    job = ImportJob(created_by=officer, station=officer.station, original_name="x.xlsx")
    job.file.save("x.xlsx", workbook(rows), save=False)
    job.save()
    return job


def test_sweep_runs_pending_jobs_older_than_a_minute(officer, station):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        job = _job(officer, [good_row(1)])  # as if the broker had been down: never published
        assert tasks.import_sweep() == 0  # too fresh: its task may still be on its way
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert tasks.import_sweep() == 1
        assert tasks.import_sweep() == 0  # once only
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and Enterprise.objects.filter(name="导入企业1").count() == 1


def test_sweep_fails_jobs_stuck_running(officer, station):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        job = _job(officer, [good_row(2)])
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, started_at=start)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        tasks.import_sweep()
        job.refresh_from_db()
        assert job.status == ImportStatus.RUNNING
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        tasks.import_sweep()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "重新上传" in job.errors[0]["message"]
    assert not Enterprise.objects.filter(name="导入企业2").exists()
