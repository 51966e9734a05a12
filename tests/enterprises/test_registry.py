"""Registry: credit-code validation, scope, and the all-or-nothing Excel import with progress."""

from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enterprises import services
from enterprises.choices import ImportStatus
from enterprises.models import Enterprise, ImportJob
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from tests.errors import error_fields
from tests.factories import enterprise_for

from .factories import EnterpriseFactory, uscc

HEADER = [
    "名称*",
    "类型",
    "统一社会信用代码",
    "派出所代码",
    "地址",
    "纬度",
    "经度",
    "行业",
    "规上企业",
    "员工数",
    "联系人",
    "联系电话",
]


def workbook(rows, header=HEADER) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("企业名录.xlsx", buffer.getvalue(), content_type="application/octet-stream")


def good_row(n, station="ADS"):
    return [
        f"导入企业{n}",
        "企业",
        uscc(900 + n),
        station,
        "地址",
        30.3,
        121.2,
        "制造业",
        "是",
        100,
        "张三",
        "13800000000",
    ]


class TestCreditCode:
    def test_bad_check_character_is_400_with_message(self, api_as, officer, station):
        code = uscc(1)
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        response = api_as(officer).post(
            "/api/v1/enterprises/", {"name": "甲公司", "credit_code": wrong, "station": "ADS"}, format="json"
        )
        assert response.status_code == 400
        assert "校验位" in error_fields(response)["credit_code"][0]
        assert not Enterprise.objects.filter(name="甲公司").exists()

    def test_bad_format_is_400(self, api_as, officer, station):
        response = api_as(officer).post(
            "/api/v1/enterprises/",
            {"name": "甲公司", "credit_code": "91330282IOSVZ0000X", "station": "ADS"},
            format="json",
        )
        assert response.status_code == 400
        assert "18位" in error_fields(response)["credit_code"][0]

    def test_enterprise_needs_a_code_but_a_shop_does_not(self, api_as, officer, station):
        client = api_as(officer)
        assert (
            client.post(
                "/api/v1/enterprises/", {"name": "甲公司", "station": "ADS"}, format="json"
            ).status_code
            == 400
        )
        shop = client.post(
            "/api/v1/enterprises/", {"name": "阿华面馆", "kind": "shop", "station": "ADS"}, format="json"
        )
        assert shop.status_code == 201, shop.content
        assert shop.json()["credit_code"] is None
        second = client.post(
            "/api/v1/enterprises/", {"name": "小店", "kind": "shop", "station": "ADS"}, format="json"
        )
        assert second.status_code == 201  # many shops without a code under the unique index

    def test_good_code_lowercase_is_normalised_and_audited(self, api_as, officer, station):
        response = api_as(officer).post(
            "/api/v1/enterprises/",
            {
                "name": "甲公司",
                "credit_code": uscc(2).lower(),
                "station": "ADS",
                "contact_phone": "13800000000",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["credit_code"] == uscc(2)
        assert AuditEntry.objects.filter(
            action="enterprise.create", object_id=str(response.json()["id"])
        ).exists()

    def test_duplicate_code_is_400(self, api_as, officer, station):
        EnterpriseFactory(station=station, credit_code=uscc(3))
        response = api_as(officer).post(
            "/api/v1/enterprises/",
            {"name": "乙公司", "credit_code": uscc(3), "station": "ADS"},
            format="json",
        )
        assert response.status_code == 400
        assert "credit_code" in error_fields(response)

    def test_officer_cannot_register_for_another_station(self, api_as, officer, other_station):
        response = api_as(officer).post(
            "/api/v1/enterprises/",
            {"name": "乙公司", "credit_code": uscc(4), "station": "CSS"},
            format="json",
        )
        assert response.status_code == 403


class TestScope:
    def test_liaison_sees_only_their_enterprise(self, api_as, make_user, station, other_station):
        mine = enterprise_for(station)
        EnterpriseFactory(station=station)
        EnterpriseFactory(station=other_station)
        liaison = make_user(Role.LIAISON, username="lia")
        client = api_as(liaison)
        assert [e["id"] for e in client.get("/api/v1/enterprises/").json()["results"]] == [mine.pk]
        other = EnterpriseFactory(station=station)
        assert client.get(f"/api/v1/enterprises/{other.pk}/").status_code == 404

    def test_filters(self, api_as, officer, station):
        EnterpriseFactory(station=station, name="大厂", is_above_size=True)
        EnterpriseFactory(station=station, name="小厂", is_above_size=False)
        rows = api_as(officer).get("/api/v1/enterprises/?is_above_size=true&q=厂").json()["results"]
        assert [r["name"] for r in rows] == ["大厂"]


@pytest.mark.django_db(transaction=False)
class TestImport:
    def upload(self, client, rows, **extra):
        return client.post(
            "/api/v1/enterprise-imports/", {"file": workbook(rows), **extra}, format="multipart"
        )

    def test_good_file_imports_every_row(self, api_as, officer, station, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.upload(api_as(officer), [good_row(1), good_row(2), good_row(3, station="")])
        assert response.status_code == 202, response.content
        job = ImportJob.objects.get(pk=response.json()["id"])
        assert job.status == ImportStatus.SUCCEEDED
        assert (job.total_rows, job.processed_rows, job.created_count, job.percent) == (3, 3, 3, 100)
        assert Enterprise.objects.filter(name__startswith="导入企业", station=station).count() == 3
        detail = api_as(officer).get(f"/api/v1/enterprise-imports/{job.pk}/").json()
        assert detail["percent"] == 100 and detail["is_finished"] is True

    def test_bad_rows_import_nothing_and_are_reported_row_by_row(
        self, api_as, officer, station, other_station, django_capture_on_commit_callbacks
    ):
        bad_code = good_row(5)
        bad_code[2] = bad_code[2][:17] + ("0" if bad_code[2][17] != "0" else "1")
        duplicate = good_row(6)
        duplicate[0] = "重复企业"
        other_station_row = good_row(7, station="CSS")
        bad_phone = good_row(8)
        bad_phone[11] = "12345"
        rows = [
            good_row(4),
            bad_code,
            good_row(6),
            duplicate,
            other_station_row,
            bad_phone,
            ["", "商铺", "", "", "", "", "", "", "否", "x"],
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = self.upload(api_as(officer), rows)
        job = ImportJob.objects.get(pk=response.json()["id"])
        assert job.status == ImportStatus.FAILED
        assert job.created_count == 0
        assert not Enterprise.objects.filter(name__startswith="导入企业").exists()
        assert not Enterprise.objects.filter(name="重复企业").exists()
        by_row = {}
        for error in job.errors:
            by_row.setdefault(error["row"], []).append((error["column"], error["message"]))
        assert set(by_row) == {3, 5, 6, 7, 8}
        assert by_row[3] == [("统一社会信用代码", "统一社会信用代码校验位错误，请核对后重新输入。")]
        assert "与第 4 行重复" in by_row[5][0][1]
        assert by_row[6][0][0] == "派出所代码" and "本所" in by_row[6][0][1]
        assert by_row[7][0][0] == "联系电话"
        assert {c for c, _m in by_row[8]} == {"名称", "员工数"}
        assert job.total_rows == 7 and job.processed_rows == 7

    def test_existing_code_is_an_error(self, api_as, officer, station, django_capture_on_commit_callbacks):
        row = good_row(9)
        EnterpriseFactory(station=station, credit_code=row[2])
        with django_capture_on_commit_callbacks(execute=True):
            response = self.upload(api_as(officer), [row])
        job = ImportJob.objects.get(pk=response.json()["id"])
        assert job.status == ImportStatus.FAILED
        assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "统一社会信用代码"

    def test_not_an_excel_file_is_400(self, api_as, officer, station):
        fake = SimpleUploadedFile("list.xlsx", b"name,code\n", content_type="text/csv")
        response = api_as(officer).post("/api/v1/enterprise-imports/", {"file": fake}, format="multipart")
        assert response.status_code == 400
        assert "xlsx" in error_fields(response)["file"][0]
        csv = SimpleUploadedFile("list.csv", b"x", content_type="text/csv")
        assert (
            api_as(officer).post("/api/v1/enterprise-imports/", {"file": csv}, format="multipart").status_code
            == 400
        )
        assert not ImportJob.objects.exists()

    def test_missing_header_fails_with_a_message(
        self, api_as, officer, station, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_as(officer).post(
                "/api/v1/enterprise-imports/", {"file": workbook([["x"]], header=["foo"])}, format="multipart"
            )
        job = ImportJob.objects.get(pk=response.json()["id"])
        assert job.status == ImportStatus.FAILED
        assert "名称" in job.errors[0]["message"]

    def test_run_is_idempotent(self, officer, station, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.import_job_create(actor=officer, file=workbook([good_row(10)]))
        assert services.import_job_run(job.pk) is None  # already done: a second run does nothing
        assert Enterprise.objects.filter(name="导入企业10").count() == 1

    def test_bureau_needs_a_station_code_or_default(
        self, api_as, bureau, station, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.upload(api_as(bureau), [good_row(11, station="")])
        job = ImportJob.objects.get(pk=response.json()["id"])
        assert job.status == ImportStatus.FAILED and job.errors[0]["column"] == "派出所代码"
        with django_capture_on_commit_callbacks(execute=True):
            response = self.upload(api_as(bureau), [good_row(11, station="")], station="ADS")
        assert ImportJob.objects.get(pk=response.json()["id"]).status == ImportStatus.SUCCEEDED

    def test_pages_upload_progress_and_template(
        self, client, officer, station, django_capture_on_commit_callbacks
    ):
        client.force_login(officer)
        assert client.get("/enterprises/registry/import/").status_code == 200
        template = client.get("/enterprises/registry/import/template.xlsx")
        assert template.status_code == 200
        header = [c.value for c in openpyxl.load_workbook(BytesIO(template.content)).active[1]]
        assert header[0] == "名称*"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/enterprises/registry/import/", {"file": workbook([good_row(12)])})
        assert response.status_code == 302
        job = ImportJob.objects.get()
        page = client.get(response["Location"])
        assert page.status_code == 200 and "data-import-progress" in page.content.decode()
        status = client.get(f"/enterprises/registry/import/{job.pk}/status.json").json()
        assert status["status"] == "succeeded" and status["percent"] == 100

    def test_progress_is_committed_while_validating(self, officer, station):
        """The poller reads progress from other connections: rows checked are updated as the task goes."""
        from enterprises import importer

        job = ImportJob(created_by=officer, station=station, original_name="x.xlsx")
        job.file.save("x.xlsx", workbook([good_row(i) for i in range(60)]), save=False)
        job.save()
        candidates, errors = importer.validate_workbook(job)
        job.refresh_from_db()
        assert (len(candidates), errors, job.total_rows, job.processed_rows) == (60, [], 60, 60)
        assert job.percent == 99  # finished only once the job says so


def test_officer_cannot_move_an_enterprise_to_another_station(api_as, officer, station, other_station):
    enterprise = EnterpriseFactory(station=station)
    response = api_as(officer).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"station": "CSS"}, format="json"
    )
    assert response.status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.station == station
    ok = api_as(officer).patch(f"/api/v1/enterprises/{enterprise.pk}/", {"employee_count": 7}, format="json")
    assert ok.status_code == 200 and ok.json()["employee_count"] == 7
    assert AuditEntry.objects.filter(action="enterprise.update", object_id=str(enterprise.pk)).exists()
