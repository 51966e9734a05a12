"""Monthly reports: built by the task into a workbook, progress on the row, scoped download, beat sweep."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from incidents.generate import generate
from qianwan.dashboard import services
from qianwan.dashboard.choices import ReportStatus
from qianwan.dashboard.models import BUREAU, MonthlyReport

pytestmark = pytest.mark.django_db


def _last_month():
    today = timezone.localdate()
    first = today.replace(day=1)
    prev = first - timedelta(days=1)
    return prev.year, prev.month


def test_request_builds_workbook_and_print_page(client, bureau, django_capture_on_commit_callbacks):
    end = timezone.now()
    generate(n=300, start=end - timedelta(days=75), end=end, seed=5, chunk=5000)
    client.force_login(bureau)
    y, m = _last_month()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("dashboard:report_list"), {"month": f"{y:04d}-{m:02d}", "station": ""})
    report = MonthlyReport.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("dashboard:report_detail", args=[report.pk])
    assert report.status == ReportStatus.DONE and report.progress == 100 and report.scope_key == BUREAU
    status = client.get(reverse("dashboard:report_status", args=[report.pk])).json()
    assert status["done"] is True
    page = client.get(reverse("dashboard:report_detail", args=[report.pk]))
    assert page.status_code == 200 and "8分钟到场率" in page.content.decode()
    download = client.get(reverse("dashboard:report_download", args=[report.pk]))
    assert download.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert len(wb.sheetnames) >= 8  # summary + one per mechanism + trend
    sheet = wb[[n for n in wb.sheetnames if "快速反应" in n][0]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0]}
    arrival = rows["8分钟到场率"]
    assert arrival[3] is not None and arrival[4] and arrival[4] >= arrival[3]  # counts beside the rate
    # asking again does not build twice
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("dashboard:report_list"), {"month": f"{y:04d}-{m:02d}", "station": ""})
    assert MonthlyReport.objects.count() == 1 and not callbacks


def test_download_only_in_scope(
    client, bureau, leader, station, other_station, make_user, django_capture_on_commit_callbacks
):
    y, m = _last_month()
    with django_capture_on_commit_callbacks(execute=True):
        bureau_report = services.report_request(actor=bureau, year=y, month=m, station=None)
        other = services.report_request(actor=bureau, year=y, month=m, station=other_station)
        own = services.report_request(actor=leader, year=y, month=m, station=station)
    client.force_login(leader)
    assert client.get(reverse("dashboard:report_download", args=[own.pk])).status_code == 200
    assert client.get(reverse("dashboard:report_download", args=[other.pk])).status_code == 404
    assert client.get(reverse("dashboard:report_download", args=[bureau_report.pk])).status_code == 404
    assert client.get(reverse("dashboard:report_detail", args=[other.pk])).status_code == 404
    r = client.post(
        reverse("dashboard:report_list"), {"month": f"{y:04d}-{m:02d}", "station": other_station.code}
    )
    assert r.status_code == 403
    officer2 = make_user("officer", username="o2")
    client.force_login(officer2)
    assert client.get(reverse("dashboard:report_download", args=[own.pk])).status_code == 403


def test_bad_month_is_400(client, bureau, api_as):
    client.force_login(bureau)
    r = client.post(reverse("dashboard:report_list"), {"month": "2026-13"})
    assert r.status_code == 400 and "YYYY-MM" in r.content.decode()
    future = timezone.localdate() + timedelta(days=40)
    r = client.post(reverse("dashboard:report_list"), {"month": f"{future:%Y-%m}"})
    assert r.status_code == 400 and "未来" in r.content.decode()
    assert api_as(bureau).post("/api/v1/dashboard/reports/", {"month": "x"}, format="json").status_code == 400


def test_api_report_flow(api_as, bureau, leader, django_capture_on_commit_callbacks):
    y, m = _last_month()
    with django_capture_on_commit_callbacks(execute=True):
        r = api_as(bureau).post("/api/v1/dashboard/reports/", {"month": f"{y:04d}-{m:02d}"}, format="json")
    assert r.status_code == 202
    pk = r.json()["id"]
    detail = api_as(bureau).get(f"/api/v1/dashboard/reports/{pk}/").json()
    assert detail["status"] == "done" and detail["download_url"]
    assert api_as(leader).get(f"/api/v1/dashboard/reports/{pk}/").status_code == 404
    assert [row["id"] for row in api_as(bureau).get("/api/v1/dashboard/reports/").json()] == [pk]


def test_beat_builds_last_month_once(django_capture_on_commit_callbacks):
    with time_machine.travel("2026-06-01 01:00:00+08:00", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = services.reports_sweep()
        with django_capture_on_commit_callbacks(execute=True):
            second = services.reports_sweep()
    assert first["created"] == 1 and second["created"] == 0
    report = MonthlyReport.objects.get()
    assert (report.year, report.month, report.scope_key, report.status) == (
        2026,
        5,
        BUREAU,
        ReportStatus.DONE,
    )


def test_sweep_resends_lost_and_stale_builds(django_capture_on_commit_callbacks, bureau):
    y, m = _last_month()
    # the broker was down: the message was never sent (no on-commit execution)
    report = services.report_request(actor=bureau, year=y, month=m, station=None)
    assert report.status == ReportStatus.QUEUED
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            out = services.reports_sweep()
    report.refresh_from_db()
    assert out["requeued"] == 1 and report.status == ReportStatus.DONE
    # an outdated generation's message does nothing
    assert services.report_build(report_id=report.pk, generation=1) == "skipped"
