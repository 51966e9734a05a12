"""The standard-address register: import all or nothing (row and column named), station and block
derived from the point, the officers' page, the demo generator."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from places import services
from places.choices import ImportStatus
from places.models import AddressImportJob, StandardAddress
from qianwan.org.choices import Role
from tests.places.conftest import make_address

pytestmark = pytest.mark.django_db

HEADER = [
    "标准地址编码*",
    "区县",
    "街道/镇",
    "社区/村",
    "路/街巷*",
    "门牌号",
    "楼栋",
    "单元",
    "室",
    "纬度*",
    "经度*",
    "网格编码",
]


def workbook(rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("addresses.xlsx", out.getvalue())


def good(code, number="1"):
    return [
        code,
        "前湾新区",
        "庵东镇",
        "海塘村",
        "兴业路",
        number,
        "",
        "",
        "",
        30.2830,
        121.1870,
        "ADS-WG-01",
    ]


def run(actor, upload) -> AddressImportJob:
    job = services.import_job_create(actor=actor, file=upload)
    return services.import_job_run(job.pk) or AddressImportJob.objects.get(pk=job.pk)


def test_a_bad_row_imports_nothing_and_names_row_and_column(bounded, officer):
    bad = good("X003", "3")
    bad[9] = "北纬三十度"  # 纬度 not a number
    job = run(officer, workbook([good("X001"), good("X002", "2"), bad]))
    assert job.status == ImportStatus.FAILED
    assert StandardAddress.objects.count() == 0
    assert {"row": 4, "column": "纬度", "message": "应为数字。"} in job.errors


def test_a_duplicate_code_names_the_first_row(bounded, officer):
    job = run(officer, workbook([good("X001"), good("X001", "2")]))
    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["row"] == 3 and job.errors[0]["column"] == "标准地址编码"
    assert "第 2 行" in job.errors[0]["message"]


def test_a_good_file_imports_all_with_station_and_updates_by_code(bounded, officer):
    station, _other = bounded
    job = run(officer, workbook([good("X001"), good("X002", "2")]))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert job.created_count == 2 and job.percent == 100
    first = StandardAddress.objects.get(code="X001")
    assert first.text == "前湾新区庵东镇海塘村兴业路1号"
    assert first.station == station and first.grid == "ADS-WG-01"
    again = run(officer, workbook([good("X001", "9")]))
    assert again.updated_count == 1 and again.created_count == 0
    assert StandardAddress.objects.get(code="X001").number == "9"


def test_csv_is_accepted(bounded, officer):
    text = ",".join(h.replace("*", "") for h in HEADER) + "\n" + ",".join(str(v) for v in good("CSV1")) + "\n"
    job = run(officer, SimpleUploadedFile("a.csv", text.encode("utf-8-sig")))
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert StandardAddress.objects.filter(code="CSV1").exists()


def test_an_officer_imports_only_addresses_of_their_station(bounded, officer):
    outside = good("X009")
    outside[9], outside[10] = 30.2500, 121.1300  # in CSS
    job = run(officer, workbook([good("X001"), outside]))
    assert job.status == ImportStatus.FAILED
    assert StandardAddress.objects.count() == 0
    assert "X009" in job.errors[0]["message"]


def test_the_block_follows_from_the_point(bounded, leader):
    from disputes.services import block_save

    station, _other = bounded
    block = block_save(
        actor=leader,
        station=station,
        name="兴业路片区",
        polygon=[[30.282, 121.186], [30.282, 121.189], [30.285, 121.189], [30.285, 121.186]],
    )
    inside = make_address("B001")
    outside = make_address("B002", lat=30.2950, lon=121.1950)
    assert inside.block == block
    assert outside.block is None and outside.station == station


def test_the_officers_page_keeps_an_address_and_refuses_a_point_outside(bounded, client, officer):
    client.force_login(officer)
    data = {
        "code": "P001",
        "district": "前湾新区",
        "street": "庵东镇",
        "road": "兴业路",
        "number": "20",
        "lat": "30.2840",
        "lon": "121.1880",
        "grid": "",
        "is_active": "on",
    }
    assert client.post("/places/addresses/new/", data).status_code == 302
    assert StandardAddress.objects.get(code="P001").station.code == "ADS"
    outside = client.post("/places/addresses/new/", {**data, "code": "P002", "lat": "31.5", "lon": "122.5"})
    assert outside.status_code == 400
    assert "不在本分局辖区内" in outside.content.decode()
    assert not StandardAddress.objects.filter(code="P002").exists()


def test_the_demo_register_is_generated_for_the_stations(bounded):
    import random

    from places.generate import addresses_for

    station, _other = bounded
    rows = addresses_for(station, 300, random.Random(1))
    assert len(rows) == 300 and len({r.code for r in rows}) == 300
    assert all(station.boundary and services.in_district(r.lat, r.lon) for r in rows)


def test_liaison_may_not_import(bounded, make_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_job_create(actor=make_user(Role.LIAISON), file=workbook([good("X1")]))


def test_the_import_page_refuses_html_by_content(bounded, client, officer):
    client.force_login(officer)
    html = SimpleUploadedFile("addresses.csv", b"<html><script>alert(1)</script></html>", "text/csv")
    resp = client.post("/places/import/", {"file": html})
    assert resp.status_code == 400
    assert "按文件内容识别" in resp.content.decode()
    assert not AddressImportJob.objects.exists()


def test_the_import_page_queues_a_job_with_a_progress_bar(bounded, client, officer):
    client.force_login(officer)
    resp = client.post("/places/import/", {"file": workbook([good("W001")])})
    assert resp.status_code == 302
    job = AddressImportJob.objects.get()
    page = client.get(resp["Location"])
    assert "data-import-progress" in page.content.decode()
    status = client.get(f"/places/import/{job.pk}/status.json").json()
    assert set(status) >= {"status", "percent", "total_rows", "processed_rows"}


def test_matchaddresses_links_typed_text_later(bounded, station):
    from django.core.management import call_command

    from tests.incidents.factories import make_incident

    typed = make_incident(station, address="前湾新区庵东镇兴业路77号")
    other = make_incident(station, address="某个没登记的地方")
    address = make_address("M001", number="77")
    call_command("matchaddresses", stdout=io.StringIO())
    typed.refresh_from_db()
    other.refresh_from_db()
    assert typed.standard_address == address and other.standard_address is None
