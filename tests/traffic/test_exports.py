"""The traffic lists export through the shared export helper (qianwan/exports.py, issue 21 item 6):
the same rows as the page — its filters and its 30-day window — and above EXPORT_ASYNC_ROWS a
background job whose file keeps the filters and writes text as data."""

import io
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qianwan.api.models import ExportJob, ExportStatus
from qianwan.api.tasks import export_run

from .factories import make_accident, make_joint, make_patrol, make_zone, team_with_members

pytestmark = pytest.mark.django_db


def _sheet(content: bytes):
    return list(load_workbook(io.BytesIO(content)).active.values)


@override_settings(EXPORT_ASYNC_ROWS=2)
def test_a_large_accident_export_is_a_job_with_the_pages_rows(client, officer, station):
    now = timezone.now()
    for i in range(4):
        make_accident(
            station, occurred_at=now - timedelta(days=i), address=f"=CMD|{i}" if i == 0 else "滨海大道"
        )
    make_accident(station, occurred_at=now - timedelta(days=60), address="旧事故")  # outside the window
    client.force_login(officer)
    response = client.get(reverse("traffic:accident_list") + "?export=xlsx")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.total_rows == 4  # the 30-day window holds
    download = client.get(f"/exports/{job.pk}/download/")
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    values = list(book.active.values)
    assert values[0][0] == "事故编号" and values[0][8] == "受伤（人）"
    assert "旧事故" not in {v[4] for v in values[1:]}
    cell = next(c for row in book.active.iter_rows() for c in row if str(c.value).startswith("=CMD"))
    assert cell.data_type == "s"


def test_small_exports_follow_the_window_and_the_filters(client, officer, station):
    zone = make_zone()
    team = team_with_members(station)
    make_patrol(zone, team, findings="近期")
    old = timezone.now() - timedelta(days=45)
    make_patrol(zone, team, findings="旧巡逻", started_at=old, ended_at=old + timedelta(hours=1))
    make_joint(station, location="近期路口")
    make_joint(station, location="旧路口", date=timezone.localdate() - timedelta(days=45))
    client.force_login(officer)

    patrols = _sheet(client.get(reverse("traffic:patrol_list") + "?export=xlsx").content)
    assert [r[7] for r in patrols[1:]] == ["近期"] and patrols[0][5] == "出动警力（人）"
    everything = _sheet(client.get(reverse("traffic:patrol_list") + "?export=xlsx&period=all").content)
    assert sorted(r[7] for r in everything[1:]) == ["旧巡逻", "近期"]

    joints = _sheet(client.get(reverse("traffic:joint_list") + "?export=xlsx").content)
    assert [r[3] for r in joints[1:]] == ["近期路口"]
    page = client.get(reverse("traffic:joint_list")).content.decode()
    assert "近期路口" in page and "旧路口" not in page and "全部时间" in page
    assert not ExportJob.objects.exists()
