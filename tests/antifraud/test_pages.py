from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from antifraud import services
from antifraud.models import Employee, Pairing, StudySession
from tests.factories import enterprise_for

from .factories import EmployeeFactory, EnterpriseFactory, FraudCaseFactory, StandardFactory, WorkClassFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_liaison_portal_pages_render(liaison, ent):
    wc = WorkClassFactory(enterprise=ent, name="总装一班")
    EmployeeFactory(work_class=wc, phone="13812345678")
    c = client_for(liaison)
    assert c.get("/antifraud/").url == f"/antifraud/enterprises/{ent.pk}/"
    page = c.get(f"/antifraud/enterprises/{ent.pk}/").content.decode()
    assert "总装一班" in page and "138****5678" in page and "13812345678" not in page
    for path in ("sessions", "scoring", "letters"):
        assert c.get(f"/antifraud/enterprises/{ent.pk}/{path}/").status_code == 200
    assert c.get("/antifraud/cases/").status_code == 200


def test_liaison_reaching_another_enterprise_gets_404(liaison, station, other_station):
    other = enterprise_for(other_station)
    same_station = EnterpriseFactory(station=station)
    wc = WorkClassFactory(enterprise=other)
    c = client_for(liaison)
    for target in (other, same_station):
        for path in ("", "sessions/", "scoring/", "letters/"):
            assert c.get(f"/antifraud/enterprises/{target.pk}/{path}").status_code == 404
    assert c.get(f"/antifraud/enterprises/{other.pk}/classes/{wc.pk}/").status_code == 404
    assert (
        c.post(f"/antifraud/enterprises/{other.pk}/", {"form": "class", "class-name": "x"}).status_code == 404
    )
    assert c.get("/antifraud/ranking/").status_code == 403
    assert c.get("/antifraud/victims/").status_code == 403


def test_officer_sees_station_enterprises_only(officer, station, other_station):
    mine = EnterpriseFactory(station=station, name="本所企业")
    EnterpriseFactory(station=other_station, name="外所企业")
    c = client_for(officer)
    page = c.get("/antifraud/station/").content.decode()
    assert "本所企业" in page and "外所企业" not in page
    assert c.get(f"/antifraud/enterprises/{mine.pk}/").status_code == 200
    for path in ("ranking/", "letters/missing/", "notices/", "victims/", "cases/"):
        assert c.get(f"/antifraud/{path}").status_code == 200, path


def test_bureau_ranking_page(bureau, ent):
    assert client_for(bureau).get("/antifraud/ranking/?month=2026-05").status_code == 200


def test_session_form_and_scoring_form_on_pages(liaison, ent):
    StandardFactory()
    one, two = WorkClassFactory(enterprise=ent, name="一班"), WorkClassFactory(enterprise=ent, name="二班")
    people = [EmployeeFactory(work_class=one) for _ in range(2)]
    case = FraudCaseFactory()
    c = client_for(liaison)
    with time_machine.travel(date(2026, 5, 15)):
        services.round_open(month=date(2026, 5, 1))
        response = c.post(
            f"/antifraud/enterprises/{ent.pk}/sessions/",
            {
                "class": one.pk,
                "held_on": "2026-05-14",
                "kind": "class_study",
                "case": case.pk,
                "attendees": [p.pk for p in people],
                "notes": "学习",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        assert StudySession.objects.get().attendees.count() == 2
        pairing = Pairing.objects.get(evaluator=one)
        criteria = list(pairing.round.standard.criteria.all())
        data = {"pairing": pairing.pk, **{f"p{pairing.pk}-c{k.pk}": "5" for k in criteria}}
        data[f"p{pairing.pk}-c{criteria[2].pk}"] = "99"  # above the max of 5
        page = c.post(f"/antifraud/enterprises/{ent.pk}/scoring/", data)
        assert page.status_code == 400 and "5" in page.content.decode()
        pairing.refresh_from_db()
        assert pairing.total is None
        data[f"p{pairing.pk}-c{criteria[2].pk}"] = "5"
        assert c.post(f"/antifraud/enterprises/{ent.pk}/scoring/", data).status_code == 302
        pairing.refresh_from_db()
        assert pairing.total is not None and pairing.evaluated == two
        page = c.get(f"/antifraud/enterprises/{ent.pk}/scoring/").content.decode()
        assert "二班" in page


def test_roster_upload_page_shows_progress_and_errors(liaison, ent, django_capture_on_commit_callbacks):
    wb = Workbook()
    wb.active.append(["工号", "姓名", "手机号", "班组"])
    wb.active.append(["A1", "张三", "1380000", "一班"])
    buf = BytesIO()
    wb.save(buf)
    c = client_for(liaison)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            f"/antifraud/enterprises/{ent.pk}/",
            {"form": "upload", "file": SimpleUploadedFile("r.xlsx", buf.getvalue())},
        )
    assert response.status_code == 302
    page = c.get(response.url).content.decode()
    assert "data-import-url" in page and "手机号" in page and "未导入任何一行" in page
    job_url = page.split('data-import-url="')[1].split('"')[0]
    status = c.get(job_url).json()
    assert status["status"] == "failed" and status["errors"][0]["row"] == 2
    assert not Employee.objects.exists()


def test_workbench_panels(liaison, officer, ent):
    from antifraud.selectors import workbench_panel

    StandardFactory()
    WorkClassFactory(enterprise=ent)
    WorkClassFactory(enterprise=ent)
    services.round_open(month=services.today_local())
    panel = workbench_panel(user=liaison)
    assert len(panel["rows"]) == 2 and panel["url"].endswith("/scoring/")
    panel = workbench_panel(user=officer)
    assert [r["label"] for r in panel["rows"]] == [ent.name]  # above size, no letter
    assert client_for(liaison).get("/").status_code == 200


def test_standards_page_publishes_a_new_version(bureau, liaison):
    StandardFactory(version=1, effective_from=date(2026, 1, 1))
    assert "学习开展" in client_for(liaison).get("/antifraud/standards/").content.decode()
    c = client_for(bureau)
    assert c.get("/antifraud/standards/").status_code == 200
    data = {
        "name": "新标准",
        "effective_from": "2027-02",
        "c-TOTAL_FORMS": "2",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "1",
        "c-MAX_NUM_FORMS": "20",
        "c-0-name": "学习",
        "c-0-weight": "60",
        "c-0-max_score": "10",
        "c-1-name": "",
        "c-1-weight": "",
        "c-1-max_score": "",
    }
    assert c.post("/antifraud/standards/", data).status_code == 302
    from antifraud.models import ScoringStandard

    latest = ScoringStandard.objects.get(version=2)
    assert latest.effective_from == date(2027, 2, 1) and latest.criteria.count() == 1
    data["c-0-weight"] = "0"
    data["effective_from"] = "2027-03"
    page = c.post("/antifraud/standards/", data)
    assert page.status_code == 400 and ScoringStandard.objects.count() == 2


def test_letter_file_served_in_scope_and_missing_file_is_404(liaison, ent, other_station):
    from antifraud.models import ResponsibilityLetter

    c = client_for(liaison)
    response = c.post(
        f"/antifraud/enterprises/{ent.pk}/letters/",
        {
            "signatory": "甲",
            "signed_on": "2026-01-01",
            "valid_until": "2026-12-31",
            "file": SimpleUploadedFile("l.pdf", b"%PDF-1.4 test"),
        },
    )
    assert response.status_code == 302
    letter = ResponsibilityLetter.objects.get()
    assert c.get(f"/antifraud/enterprises/{ent.pk}/letters/{letter.pk}/file/").status_code == 200
    gone = ResponsibilityLetter.objects.create(
        enterprise=ent,
        signatory="乙",
        signed_on=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        file="nope.pdf",
    )
    assert c.get(f"/antifraud/enterprises/{ent.pk}/letters/{gone.pk}/file/").status_code == 404
    other = enterprise_for(other_station)
    assert c.get(f"/antifraud/enterprises/{other.pk}/letters/{letter.pk}/file/").status_code == 404


# --- bad filter input: a 400 page with the errors, no rows or figures --------------------------------


def test_station_page_bad_filter_is_400_without_rows(officer, bureau, station, other_station):
    EnterpriseFactory(station=station, name="本所企业")
    EnterpriseFactory(station=other_station, name="外所企业")
    c = client_for(officer)
    ok = c.get("/antifraud/station/", {"month": "2026-05", "station": station.code})
    assert ok.status_code == 200 and "本所企业" in ok.content.decode()
    for query, message in (
        ({"month": "2026-13"}, "月份格式应为 YYYY-MM，例如 2026-05。"),
        ({"month": "May"}, "月份格式应为 YYYY-MM，例如 2026-05。"),
        ({"station": other_station.code}, f"派出所代码“{other_station.code}”不存在或不在您的管辖范围内。"),
    ):
        response = c.get("/antifraud/station/", query)
        html = response.content.decode()
        assert response.status_code == 400 and message in html, query
        assert "本所企业" not in html and "外所企业" not in html and "请先更正上面的筛选条件。" in html
    c = client_for(bureau)
    assert "外所企业" in c.get("/antifraud/station/", {"station": other_station.code}).content.decode()
    response = c.get("/antifraud/station/", {"station": "NOPE"})
    assert response.status_code == 400 and "派出所代码“NOPE”" in response.content.decode()


def test_ranking_bad_filter_is_400_without_figures(officer, bureau, other_station):
    for user, query, message in (
        (bureau, {"month": "2026-5-1"}, "月份格式应为 YYYY-MM"),
        (bureau, {"station": "NOPE"}, "派出所代码“NOPE”不存在或不在您的管辖范围内。"),
        (officer, {"station": other_station.code}, f"派出所代码“{other_station.code}”"),
    ):
        c = client_for(user)
        assert c.get("/antifraud/ranking/", {"month": "2026-05"}).status_code == 200
        response = c.get("/antifraud/ranking/", query)
        html = response.content.decode()
        assert response.status_code == 400 and message in html, query
        assert "data-enterprise-ranking" not in html and "data-class-ranking" not in html, query


def test_scoring_bad_month_is_400_without_results(liaison, ent):
    c = client_for(liaison)
    assert c.get(f"/antifraud/enterprises/{ent.pk}/scoring/", {"month": "2026-05"}).status_code == 200
    response = c.get(f"/antifraud/enterprises/{ent.pk}/scoring/", {"month": "2026-00"})
    html = response.content.decode()
    assert response.status_code == 400 and "月份格式应为 YYYY-MM，例如 2026-05。" in html
    assert "data-ranking" not in html and "本月互评尚未开启" not in html
