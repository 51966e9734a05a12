from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from antifraud.models import Employee, RosterImport, WorkClass
from tests.errors import error_fields

pytestmark = pytest.mark.django_db
URL = "/api/v1/antifraud/roster-imports/"
HEADER = ["工号", "姓名", "手机号", "班组", "入职日期"]


def xlsx(rows, header=HEADER, name="roster.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(
        name, buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def upload(client, ent, file, capture):
    with capture(execute=True):
        response = client.post(URL, {"enterprise": ent.pk, "file": file}, format="multipart")
    assert response.status_code == 201, response.content
    return client.get(f"{URL}{response.json()['id']}/").json()


GOOD = [
    ["F001", "张伟", "13800000001", "一车间", "2024-03-01"],
    ["F002", "李娜", "13800000002", "一车间", None],
    ["", "王强", "13800000003", "二车间", "2025/1/5"],
]


def test_import_creates_then_reimport_updates(api_as, liaison, ent, django_capture_on_commit_callbacks):
    client = api_as(liaison)
    job = upload(client, ent, xlsx(GOOD), django_capture_on_commit_callbacks)
    assert job["status"] == "done" and job["progress"] == 100
    assert (job["created_count"], job["updated_count"], job["total_rows"]) == (3, 0, 3)
    assert set(WorkClass.objects.filter(enterprise=ent).values_list("name", flat=True)) == {
        "一车间",
        "二车间",
    }
    # re-import: F002 moves class, 王强 (no number: matched by phone) renamed, one new
    again = [
        ["F001", "张伟", "13800000001", "一车间", "2024-03-01"],
        ["F002", "李娜", "13800000002", "二车间", None],
        ["", "王小强", "13800000003", "二车间", None],
        ["F004", "赵敏", "", "一车间", None],
    ]
    job = upload(client, ent, xlsx(again), django_capture_on_commit_callbacks)
    assert job["status"] == "done" and (job["created_count"], job["updated_count"]) == (1, 3)
    assert Employee.objects.filter(enterprise=ent).count() == 4
    assert Employee.objects.get(number="F002").work_class.name == "二车间"
    assert Employee.objects.get(phone="13800000003").name == "王小强"
    listed = client.get("/api/v1/antifraud/employees/").json()["results"]
    assert all("****" in e["phone_masked"] or not e["phone_masked"] for e in listed)
    assert "phone" not in listed[0]


def test_bad_rows_give_a_row_by_row_report_and_write_nothing(
    api_as, liaison, ent, django_capture_on_commit_callbacks
):
    rows = [
        ["F001", "张伟", "13800000001", "一车间", "2024-03-01"],
        ["F002", "", "12345", "一车间", "明天"],
        ["F001", "重复", "13800000009", "一车间", None],
        ["", "无键", "", "一车间", None],
    ]
    job = upload(api_as(liaison), ent, xlsx(rows), django_capture_on_commit_callbacks)
    assert job["status"] == "failed"
    by_row = {}
    for e in job["errors"]:
        by_row.setdefault(e["row"], set()).add(e["field"])
    assert by_row == {3: {"姓名", "手机号", "入职日期"}, 4: {"工号"}, 5: {"工号"}}
    assert not Employee.objects.filter(enterprise=ent).exists()
    assert not WorkClass.objects.filter(enterprise=ent).exists()


def test_missing_name_column_and_not_excel(api_as, liaison, ent, django_capture_on_commit_callbacks):
    job = upload(api_as(liaison), ent, xlsx([["x"]], header=["foo"]), django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and "姓名" in job["errors"][0]["message"]
    fake = SimpleUploadedFile("roster.xlsx", b"not a zip at all")
    response = api_as(liaison).post(URL, {"enterprise": ent.pk, "file": fake}, format="multipart")
    assert response.status_code == 400 and "file" in error_fields(response)
    csv = SimpleUploadedFile("roster.csv", b"a,b")
    assert (
        api_as(liaison).post(URL, {"enterprise": ent.pk, "file": csv}, format="multipart").status_code == 400
    )
    assert RosterImport.objects.count() == 1


def test_liaison_cannot_import_into_another_enterprise(api_as, liaison, other_station):
    from tests.factories import enterprise_for

    other = enterprise_for(other_station)
    response = api_as(liaison).post(URL, {"enterprise": other.pk, "file": xlsx(GOOD)}, format="multipart")
    assert response.status_code == 400 and "enterprise" in error_fields(response)
