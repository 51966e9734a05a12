"""Browser: an officer turns an incident into a dispute, resolves it, records two follow-ups and sees
it leave the follow-ups-due list."""

import pytest
from playwright.sync_api import expect

from disputes.models import Dispute
from qianwan.org.choices import Role
from tests.disputes.factories import make_block, make_incident
from tests.e2e.conftest import artifact

pytestmark = pytest.mark.django_db(transaction=True)


def test_incident_to_dispute_resolve_followups_leaves_due_list(page, login, make_user, station):
    officer = make_user(Role.OFFICER, username="wang", full_name="王建国")
    make_block(station, "兴业路片区", officer=officer)
    incident = make_incident(station, description="报警称楼上漏水，与邻居争吵", address="庵东镇兴业路18号")
    login(page, "wang")

    page.goto(f"/disputes/new/?incident={incident.pk}")
    expect(page.locator("main")).to_contain_text(incident.number)
    expect(page.locator("#id_summary")).to_have_value("报警称楼上漏水，与邻居争吵")
    page.select_option("#id_category", "neighbour")
    page.select_option("#id_risk_level", "low")
    page.fill("#id_party1_name", "张三")
    page.fill("#id_party1_phone", "13800001111")
    page.screenshot(path=artifact("disputes-create.png"), full_page=True)
    page.click("button:has-text('登记')")
    expect(page.locator(".msg-success")).to_contain_text("网格员—楼长联系机制")
    dispute = Dispute.objects.get(incident=incident)
    expect(page.locator("h1.page-title")).to_contain_text(dispute.number)
    expect(page.locator("main")).to_contain_text("兴业路片区")

    page.click("[data-resolve]")
    expect(page.locator("[data-status]")).to_have_text("已处置")

    page.goto("/disputes/followups/")
    expect(page.locator("[data-due-table]")).to_contain_text(dispute.number)
    page.screenshot(path=artifact("disputes-due-before.png"), full_page=True)

    page.goto(f"/disputes/{dispute.pk}/")
    for note in ("第一次回访：双方已和解", "第二次回访：无反复"):
        page.select_option("#fu_outcome", "stable")
        page.fill("#fu_note", note)
        page.click("button:has-text('记录回访')")
        expect(page.locator(".msg-success")).to_contain_text("回访已记录")
        expect(page.locator("[data-followups]")).to_contain_text(note)
    expect(page.locator("main")).to_contain_text("本月 2 / 2 次")
    page.screenshot(path=artifact("disputes-detail.png"), full_page=True)

    page.goto("/disputes/followups/")
    expect(page.locator("[data-due-table]")).not_to_contain_text(dispute.number)
    expect(page.locator("[data-due-table]")).to_contain_text("本月回访均已完成")
    page.screenshot(path=artifact("disputes-due-after.png"), full_page=True)

    page.goto("/disputes/analysis/")
    expect(page.locator("main")).to_contain_text("兴业路片区")
    page.screenshot(path=artifact("disputes-analysis.png"), full_page=True)
    assert page.external_requests == []
