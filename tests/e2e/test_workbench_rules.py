"""Issue 19 in a browser: closed loops enforced (a dispute's close needs follow-ups or a leader's
approval; irreversible steps ask first), junk input refused with every error at once, overdue in red,
Chinese labels after a schema request and for an en-US browser, Chinese 403/404 pages, /api/docs/
sends a person to the login page, and the duty board usable on a 390 px phone."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from playwright.sync_api import expect

from disputes import services as dispute_services
from disputes.models import Dispute
from incidents import services as incident_services
from incidents.models import Incident, IncidentEvent
from qianwan.errors import StateConflict
from qianwan.org.choices import Role
from risks.models import Hazard
from tests.disputes.factories import handled_dispute
from tests.e2e.conftest import artifact, new_page
from tests.risks.factories import make_hazard

pytestmark = pytest.mark.django_db(transaction=True)
RED = "rgb(180, 35, 24)"


def _arrived_incident(officer, *, minutes_ago=20) -> Incident:
    """An incident received ``minutes_ago`` with every stage done: its next step is 办结."""
    incident = incident_services.incident_create(
        actor=officer,
        station=officer.station,
        category="dispute",
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
        address="兴业路1号",
    )
    for kind in ("dispatched", "video_supervised", "leader_notified", "arrived"):
        try:
            incident_services.incident_record_event(
                actor=officer, incident=incident, kind=kind, at=timezone.now()
            )
        except (ValidationError, StateConflict):
            pass  # a stage this category does not need
    return incident


def test_dispute_close_refused_without_followups_then_approved_by_leader(
    page, browser, live_server, login, make_user
):
    officer = make_user(Role.OFFICER, username="wang", full_name="王建国")
    make_user(Role.STATION_LEADER, username="zhao", full_name="赵所长")
    dispute = handled_dispute(officer.station, officer)
    login(page, "wang")
    page.goto(f"/disputes/{dispute.pk}/")
    expect(page.locator("[data-close-followups]")).to_contain_text("处置后已回访 0 / 2 次")
    expect(page.locator("[data-close-followups]")).to_contain_text("须由所领导填写理由批准")
    expect(page.locator("[data-close]")).to_have_count(0)
    # the service refuses a hand-made POST too (the page's token, the page's form action)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    refused = page.request.post(
        f"/disputes/{dispute.pk}/close/",
        form={"csrfmiddlewaretoken": token, "note": ""},
        headers={"Referer": live_server.url + f"/disputes/{dispute.pk}/"},
    )
    assert refused.ok and "结案至少需要 2 次回访" in refused.text()
    assert Dispute.objects.get(pk=dispute.pk).status == "handled"
    page.screenshot(path=artifact("i19-dispute-close-refused.png"), full_page=True)

    leader_page = new_page(browser, live_server)
    try:
        login(leader_page, "zhao")
        leader_page.goto(f"/disputes/{dispute.pk}/")
        leader_page.click("[data-close-approve]")
        dialog = leader_page.locator("dialog.confirm-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("回访次数不足")
        dialog.locator("[data-confirm-ok]").click()  # no reason: refused in the dialog
        expect(dialog.locator("[data-confirm-error]")).to_have_text("请填写理由。")
        assert Dispute.objects.get(pk=dispute.pk).status == "handled"
        dialog.locator("textarea").fill("当事双方已签调解协议并搬离辖区，无法继续回访")
        leader_page.screenshot(path=artifact("i19-dispute-leader-approval.png"), full_page=True)
        dialog.locator("[data-confirm-ok]").click()
        expect(leader_page.locator(".msg-success")).to_contain_text("已结案")
        expect(leader_page.locator("[data-status]")).to_have_text("已结案")
        expect(leader_page.locator("[data-close-approval]")).to_contain_text("赵所长")
        expect(leader_page.locator("[data-close-approval]")).to_contain_text("搬离辖区")
        expect(leader_page.locator(".timeline")).to_contain_text("领导批准结案")
    finally:
        leader_page.context.close()
    closed = Dispute.objects.get(pk=dispute.pk)
    assert closed.status == "closed" and closed.close_approval_reason.startswith("当事双方")


def test_confirmation_asked_on_close_steps(page, login, make_user):
    officer = make_user(Role.OFFICER, username="wang", full_name="王建国")
    other = make_user(Role.OFFICER, username="li", full_name="李警官")
    incident = _arrived_incident(officer)
    dispute = handled_dispute(officer.station, officer)
    for _visit in range(2):
        dispute_services.followup_record(actor=officer, dispute=dispute, outcome="stable")
    hazard = make_hazard(officer.station, other, status="rectified")
    login(page, "wang")

    # 办结 on the duty board: asked first; 取消 records nothing
    page.goto("/incidents/board/")
    step = page.locator(f'[data-incident="{incident.pk}"] [data-step="closed"]')
    step.click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("确定办结该警情")
    dialog.locator("[data-confirm-cancel]").click()
    expect(dialog).to_be_hidden()
    assert Incident.objects.get(pk=incident.pk).status == "open"
    step.click()
    dialog.locator("[data-confirm-ok]").click()
    expect(page.locator(".msg-success")).to_be_visible()
    assert Incident.objects.get(pk=incident.pk).status == "closed"

    # 结案 of a dispute with its two follow-ups: asked first
    page.goto(f"/disputes/{dispute.pk}/")
    page.click("[data-close]")
    expect(dialog).to_contain_text("确定结案")
    dialog.locator("[data-confirm-cancel]").click()
    assert Dispute.objects.get(pk=dispute.pk).status == "handled"
    page.click("[data-close]")
    dialog.locator("[data-confirm-ok]").click()
    expect(page.locator("[data-status]")).to_have_text("已结案")

    # 销号 of a rectified hazard (by someone other than who recorded it): asked first
    page.goto(f"/risks/hazards/{hazard.pk}/")
    page.click("button:has-text('核对无误，销号')")
    expect(dialog).to_contain_text("确定销号")
    dialog.locator("[data-confirm-cancel]").click()
    assert Hazard.objects.get(pk=hazard.pk).status == "rectified"
    page.click("button:has-text('核对无误，销号')")
    dialog.locator("[data-confirm-ok]").click()
    expect(page.locator("main")).to_contain_text("已销号")
    assert Hazard.objects.get(pk=hazard.pk).status == "closed"


def test_junk_phone_refused_with_every_error_at_once(page, login, make_user):
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    login(page, "wang")
    page.goto("/incidents/new/")
    expect(page.locator("#id_category")).to_have_value("")  # no preselected 刑事
    page.fill("#id_caller_phone", "abc123")
    page.press("#id_caller_phone", "Enter")
    errors = page.locator(".error")
    expect(page.locator("main")).to_contain_text("电话号码格式不正确")
    expect(page.locator("main")).to_contain_text("请选择警情类别")
    expect(page.locator("main")).to_contain_text("该字段是必填项")  # the address
    assert errors.count() >= 3
    expect(page.locator("#id_caller_phone")).to_have_value("abc123")  # what was typed is kept
    page.screenshot(path=artifact("i19-call-form-errors.png"), full_page=True)
    assert not Incident.objects.exists()


def test_overdue_is_red_on_the_workbench(page, login, make_user):
    officer = make_user(Role.OFFICER, username="wang", full_name="王建国")
    incident_services.incident_create(
        actor=officer, station=officer.station, category="dispute",
        received_at=timezone.now() - timedelta(minutes=30), address="兴业路1号",
    )  # fmt: skip
    make_hazard(officer.station, officer, found_days_ago=30, rectify_in_days=-3)
    login(page, "wang")
    page.goto("/")
    overdue = page.locator("[data-overdue]")
    expect(overdue.first).to_be_visible()
    texts = overdue.all_inner_texts()
    assert any("✗ 已超时" in t for t in texts) and any("✗ 已逾期" in t for t in texts), texts
    for i in range(overdue.count()):
        assert overdue.nth(i).evaluate("e => getComputedStyle(e).color") == RED
    page.screenshot(path=artifact("i19-workbench-overdue.png"), full_page=True)


def test_labels_chinese_after_schema_request_and_for_an_en_us_browser(browser, live_server, login, make_user):
    make_user(Role.ADMIN, username="root", full_name="管理员")
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="en-US", base_url=live_server.url
    )
    page = context.new_page()
    try:
        login(page, "root")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        assert page.request.get("/api/schema/").ok
        page.goto("/exchange/inbound/")
        expect(page.locator("label[for=id_status]")).to_have_text("状态")
        expect(page.locator("label[for=id_source]")).to_have_text("来源")
        expect(page.locator("#id_status option").first).to_have_text("全部")
        page.goto("/disputes/")
        options = page.locator("#id_o option").all_inner_texts()
        assert "发生时间（从晚到早）" in options and not any("descending" in o for o in options), options
        page.screenshot(path=artifact("i19-en-us-browser-chinese.png"), full_page=True)
        # the switch still gives English to whoever picks it
        page.click(".lang-switch button")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()


def test_chinese_403_and_404_pages_with_a_way_back(page, login, make_user):
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    login(page, "wang")
    response = page.goto("/audit/")
    assert response.status == 403
    expect(page.locator("[data-error='403']")).to_contain_text("无权访问")
    expect(page.locator("[data-error='403'] a:has-text('返回工作台')")).to_be_visible()
    response = page.goto("/disputes/99999999/")
    assert response.status == 404
    expect(page.locator("[data-error='404']")).to_contain_text("页面不存在")
    page.screenshot(path=artifact("i19-404.png"), full_page=True)
    page.click("[data-error='404'] button:has-text('返回上一页')")
    page.wait_for_url("**/audit/")
    page.goto("/disputes/99999999/")
    page.click("text=返回工作台")
    page.wait_for_url(
        lambda url: (
            url.rstrip("/") == page.context.pages[0].url.split("/disputes")[0].rstrip("/")
            or url.endswith("/")
        )
    )


def test_api_docs_redirect_to_login_without_a_session(page, login, make_user, live_server):
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    page.goto("/api/docs/")
    assert "/accounts/login/" in page.url and "next=/api/docs/" in page.url
    expect(page.locator("#id_username")).to_be_visible()
    page.fill("#id_username", "wang")
    page.fill("#id_password", "Test-pass-2026")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/api/docs/")
    expect(page.locator("#swagger-ui")).to_be_attached()


def test_duty_board_usable_at_390px(browser, live_server, login, make_user):
    officer = make_user(Role.OFFICER, username="wang", full_name="王建国")
    incident = incident_services.incident_create(
        actor=officer,
        station=officer.station,
        category="dispute",
        received_at=timezone.now(),
        address="兴业路1号",
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    try:
        login(page, "wang")
        page.goto("/incidents/board/")
        button = page.locator(f'[data-incident="{incident.pk}"] [data-step]')
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=artifact("i19-board-390.png"), full_page=True)
        button.click()
        expect(page.locator(".msg-success")).to_be_visible()
        expect(page.locator(".msg-success")).to_contain_text("已记录")
        assert IncidentEvent.objects.filter(incident_id=incident.pk).count() == 1
        for url in ("/incidents/list/", "/disputes/", "/risks/", "/exchange/inbound/", "/audit/"):
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (url, width)
    finally:
        context.close()
