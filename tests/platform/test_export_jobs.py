"""Exports at scale (issue 21, qianwan/exports.py): above EXPORT_ASYNC_ROWS the list's export is a
background job with progress and a download link, only for the person who asked; beyond Excel's row
limit the file is CSV, with formula-like text defused."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from openpyxl import load_workbook

from incidents.models import Incident
from qianwan import exports
from qianwan.api.models import ExportJob, ExportStatus
from qianwan.api.tasks import export_run
from qianwan.org.choices import Role

pytestmark = pytest.mark.django_db

LIST = "/incidents/list/"


@pytest.fixture
def rows(station, other_station):
    now = timezone.now()
    made = [
        Incident(
            number=f"E{i:04d}",
            station=station if i < 8 else other_station,
            category="help",
            received_at=now - timedelta(hours=i),
            address='=HYPERLINK("http://evil.example")' if i == 0 else "前湾路",
        )
        for i in range(10)
    ]
    return Incident.objects.bulk_create(made)


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


@override_settings(EXPORT_ASYNC_ROWS=5)
def test_a_large_export_runs_as_a_job_with_progress_and_a_download(
    make_user, rows, django_capture_on_commit_callbacks
):
    leader = make_user(Role.BUREAU_LEADER, username="bl")
    browser = _browser(leader)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser.get(f"{LIST}?export=xlsx&station=ADS")
    assert response.status_code == 302 and len(callbacks) == 1  # the task is queued after commit
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert job.status == ExportStatus.PENDING and "station=ADS" in job.query
    page = browser.get(response["Location"])
    assert page.status_code == 200 and "导出进度" in page.content.decode()
    assert browser.get(f"/exports/{job.pk}/download/").status_code == 404  # not done yet

    export_run(job.pk)  # what the worker runs
    export_run(job.pk)  # a second delivery does nothing
    status = browser.get(f"/exports/{job.pk}/status.json").json()
    assert status["status"] == "done" and status["percent"] == 100 and status["total_rows"] == 8
    assert "下载文件" in browser.get(f"/exports/{job.pk}/").content.decode()
    download = browser.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    values = list(sheet.values)
    assert len(values) == 1 + 8 and values[0][0] == "警情编号"
    assert {v[0] for v in values[1:]} == {f"E{i:04d}" for i in range(8)}  # the filter holds
    assert values[-1][5] == "前湾路" and any(v[5].startswith("=HYPERLINK") for v in values[1:])
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # text, not a formula

    # another person (even a bureau leader) cannot see or fetch it
    other = _browser(make_user(Role.BUREAU_LEADER, username="bl2"))
    for suffix in ("", "status.json", "download/"):
        assert other.get(f"/exports/{job.pk}/{suffix}").status_code == 404


@override_settings(EXPORT_ASYNC_ROWS=5)
def test_beyond_excels_row_limit_the_file_is_csv(make_user, rows, monkeypatch):
    monkeypatch.setattr(exports, "EXCEL_MAX_DATA_ROWS", 3)
    leader = make_user(Role.BUREAU_LEADER, username="bl")
    browser = _browser(leader)
    browser.get(f"{LIST}?export=xlsx&period=all")
    job = ExportJob.objects.get()
    export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.file_format == "csv" and job.done_rows == 10
    body = b"".join(browser.get(f"/exports/{job.pk}/download/").streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert len(table) == 11 and table[0][0] == "警情编号"
    addresses = {r[5] for r in table[1:]}
    assert '\'=HYPERLINK("http://evil.example")' in addresses  # a spreadsheet will not run it


def test_a_small_export_is_the_file_at_once(make_user, rows):
    browser = _browser(make_user(Role.BUREAU_LEADER, username="bl"))
    response = browser.get(f"{LIST}?export=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert not ExportJob.objects.exists()
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 1 + 10


@override_settings(EXPORT_ASYNC_ROWS=5)
def test_a_job_with_bad_input_fails_with_its_reason(make_user, rows):
    leader = make_user(Role.BUREAU_LEADER, username="bl")
    job = ExportJob.objects.create(
        user=leader, name="incidents.views.LIST_EXPORT", path=LIST, query="received_after=not-a-date"
    )
    with pytest.raises(ValueError):
        export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error
    assert "导出失败" in _browser(leader).get(f"/exports/{job.pk}/").content.decode()


def test_the_sweep_requeues_unpublished_jobs_and_fails_abandoned_ones(make_user, settings):
    from datetime import timedelta

    from qianwan.api.tasks import export_sweep

    leader = make_user(Role.BUREAU_LEADER, username="bl")
    fresh = ExportJob.objects.create(user=leader, name="incidents.views.LIST_EXPORT", path=LIST)
    lost = ExportJob.objects.create(user=leader, name="incidents.views.LIST_EXPORT", path=LIST)
    abandoned = ExportJob.objects.create(
        user=leader, name="incidents.views.LIST_EXPORT", path=LIST, status=ExportStatus.RUNNING
    )
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    ExportJob.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert export_sweep() == 1  # the lost one only; the fresh one's task may still be on its way
    abandoned.refresh_from_db()
    fresh.refresh_from_db()
    assert abandoned.status == ExportStatus.FAILED and fresh.status == ExportStatus.PENDING
    assert settings.CELERY_BEAT_SCHEDULE["exports-sweep"]["task"] == "qianwan.api.tasks.export_sweep"


@override_settings(EXPORT_ASYNC_ROWS=1)
def test_the_dispute_ledger_exports_through_the_same_job(make_user, officer, station):
    from tests.disputes.factories import make_dispute

    for _ in range(2):
        make_dispute(station, officer)
    browser = _browser(officer)
    response = browser.get("/disputes/?export=xlsx&category=neighbour")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.name == "disputes.views.LIST_EXPORT" and job.user == officer
    export_run(job.pk)
    sheet = load_workbook(
        io.BytesIO(b"".join(browser.get(f"/exports/{job.pk}/download/").streaming_content))
    ).active
    assert sheet.max_row == 1 + 2 and sheet.cell(1, 1).value == "纠纷编号"
