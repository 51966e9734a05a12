"""Browser tests of the police–enterprise–community pages: the liaison journey and the Excel import."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enterprises.choices import RequestStatus
from enterprises.models import Enterprise, ServiceRequest
from qianwan.org.choices import Role
from tests.e2e.conftest import artifact, new_page
from tests.enterprises.factories import EnterpriseFactory, ServiceRequestFactory, ServiceTypeFactory, uscc
from tests.enterprises.test_registry import workbook

pytestmark = pytest.mark.django_db(transaction=True)


def test_liaison_journey_moves_the_satisfaction_kpi(page, login, browser, live_server, make_user, station):
    ServiceTypeFactory(code="talent-screening", name="人才入职审查", order=1)
    ServiceTypeFactory(code="area-patrol", name="片区安保大巡防", order=2)
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    liaison = make_user(Role.LIAISON, username="fotile", full_name="方太联络员")
    # this month so far: 3 satisfied of 4 feedbacks (too few to show a rate)
    other = EnterpriseFactory(station=station)
    now = timezone.now()
    for satisfied in (True, True, True, False):
        ServiceRequestFactory(
            enterprise=other,
            status=RequestStatus.CLOSED,
            satisfied=satisfied,
            score=5 if satisfied else 2,
            requested_at=now - timedelta(minutes=30),
            first_visit_at=now - timedelta(minutes=20),
            feedback_at=now - timedelta(minutes=10),
        )

    officer_page = login(new_page(browser, live_server), "wang")
    officer_page.goto("/enterprises/")
    expect(officer_page.locator("[data-kpi=satisfaction-counts]")).to_contain_text("3 / 4")
    # below 5: the counts, no percentage
    expect(officer_page.locator("[data-kpi=satisfaction]")).to_have_text("3 / 4")

    # 1. the liaison requests a service in the portal
    login(page, "fotile")
    page.goto("/enterprises/")
    expect(page.locator("h1.page-title")).to_contain_text(liaison.enterprise.name)
    page.screenshot(path=artifact("enterprises-liaison-portal.png"), full_page=True)
    page.click("[data-testid=request-new]")
    page.select_option("#id_service_type", label="人才入职审查")
    page.fill("#id_description", "新招一线员工20人，请协助入职审查")
    page.click("button[type=submit]:has-text('提交需求')")
    expect(page.locator(".msg-success")).to_contain_text("服务需求已提交")
    expect(page.locator("[data-request-status]")).to_have_text("待分派")
    request = ServiceRequest.objects.get(enterprise=liaison.enterprise)
    page.screenshot(path=artifact("enterprises-liaison-request.png"), full_page=True)

    # 2. an officer records the visit
    officer_page.goto(f"/enterprises/requests/{request.pk}/")
    officer_page.fill("form[data-form=visit] #id_summary", "上门核查20名新员工信息，反馈审查结果")
    officer_page.click("form[data-form=visit] button[type=submit]")
    expect(officer_page.locator(".msg-success")).to_contain_text("服务记录已登记")
    expect(officer_page.locator("[data-request-status]")).to_have_text("已服务待评价")
    officer_page.screenshot(path=artifact("enterprises-officer-visit.png"), full_page=True)

    # 3. the liaison rates it (once)
    page.reload()
    page.check("form[data-form=feedback] input[name=satisfied][value='1']")
    page.select_option("form[data-form=feedback] #id_score", "5")
    page.fill("form[data-form=feedback] #id_comment", "民警响应很快")
    page.click("form[data-form=feedback] button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("感谢您的评价")
    expect(page.locator("[data-feedback]")).to_contain_text("满意")
    expect(page.locator("form[data-form=feedback]")).to_have_count(0)
    page.screenshot(path=artifact("enterprises-liaison-feedback.png"), full_page=True)

    # 4. the satisfaction KPI moves: 4 of 5, now enough to show the rate
    officer_page.goto("/enterprises/")
    expect(officer_page.locator("[data-kpi=satisfaction-counts]")).to_contain_text("4 / 5")
    expect(officer_page.locator("[data-kpi=satisfaction]")).to_have_text("80.0%")
    officer_page.screenshot(path=artifact("enterprises-kpi.png"), full_page=True)
    assert page.external_requests == [] and officer_page.external_requests == []
    officer_page.context.close()


def test_liaison_cannot_open_another_enterprises_request(page, login, make_user, station):
    make_user(Role.LIAISON, username="fotile")
    foreign = ServiceRequestFactory(enterprise=EnterpriseFactory(station=station))
    login(page, "fotile")
    response = page.goto(f"/enterprises/requests/{foreign.pk}/")
    assert response.status == 404


def _xlsx(tmp_path, rows, name):
    path = tmp_path / name
    path.write_bytes(workbook(rows).read())
    return str(path)


def test_import_with_bad_rows_shows_the_error_report_and_imports_nothing(
    page, login, make_user, station, tmp_path
):
    make_user(Role.OFFICER, username="wang")
    login(page, "wang")
    good = ["甲公司", "企业", uscc(501), "ADS", "", "", "", "", "否", 10, "", ""]
    bad = [
        "乙公司",
        "企业",
        uscc(502)[:17] + ("0" if uscc(502)[17] != "0" else "1"),
        "ADS",
        "",
        "",
        "",
        "",
        "否",
        10,
        "",
        "",
    ]
    page.goto("/enterprises/registry/import/")
    page.set_input_files("#id_file", _xlsx(tmp_path, [good, bad], "bad.xlsx"))
    page.click("button[type=submit]:has-text('上传并校验')")
    expect(page.locator("[data-import-status]")).to_have_text("有错误，未导入")
    expect(page.locator("[data-import-percent]")).to_have_text("100%")
    expect(page.locator("[data-import-errors]")).to_contain_text("校验位错误")
    expect(page.locator("[data-import-errors] tbody tr")).to_have_count(1)
    page.screenshot(path=artifact("enterprises-import-errors.png"), full_page=True)
    assert not Enterprise.objects.filter(name__in=["甲公司", "乙公司"]).exists()

    page.goto("/enterprises/registry/import/")
    page.set_input_files("#id_file", _xlsx(tmp_path, [good], "good.xlsx"))
    page.click("button[type=submit]:has-text('上传并校验')")
    expect(page.locator("[data-import-status]")).to_have_text("已导入")
    expect(page.locator("progress[data-import-progress]")).to_have_attribute("value", "100")
    assert Enterprise.objects.filter(name="甲公司").exists()
