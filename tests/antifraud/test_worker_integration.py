"""A roster import run by a real Celery worker on Redis; the API shows its progress until done."""

import time

import pytest

from antifraud.models import Employee

from .test_roster import GOOD, URL, xlsx

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_real_worker_runs_the_import_and_progress_reaches_100(celery_worker_proc, api_as, liaison, ent):
    client = api_as(liaison)
    response = client.post(URL, {"enterprise": ent.pk, "file": xlsx(GOOD)}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["status"] in ("pending", "validating", "writing", "done")
    job_url = f"{URL}{response.json()['id']}/"
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        job = client.get(job_url).json()
        seen.append(job["status"])
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "done", (job, celery_worker_proc.log()[-2000:])
    assert job["progress"] == 100 and job["created_count"] == 3
    assert Employee.objects.filter(enterprise=ent).count() == 3
