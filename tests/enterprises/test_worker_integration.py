"""The Excel import on a real Celery worker and Redis: the page's poll sees the job progress and finish."""

import time

import pytest

from enterprises.choices import ImportStatus
from enterprises.models import Enterprise, ImportJob

from .test_registry import good_row, workbook

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_imports_and_reports_progress(celery_worker_proc, api_as, officer, station, client):
    response = api_as(officer).post(
        "/api/v1/enterprise-imports/",
        {"file": workbook([good_row(i) for i in range(300)])},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    client.force_login(officer)
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"/enterprises/registry/import/{job_id}/status.json").json()
        seen.append(status["percent"])
        if status["is_finished"]:
            break
        time.sleep(0.05)
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == ImportStatus.SUCCEEDED, (job.errors, celery_worker_proc.log()[-2000:])
    assert (job.total_rows, job.created_count) == (300, 300)
    assert Enterprise.objects.filter(name__startswith="导入企业").count() == 300
    assert seen == sorted(seen) and seen[-1] == 100  # the bar only moves forward
