"""The ledger in a browser: record, attach a photo, rectify, and close out by a second person."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.choices import Role
from risks.models import Hazard
from tests.e2e.conftest import artifact
from tests.risks.factories import PNG, make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def test_record_rectify_and_close_by_second_person(page, login, make_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    make_user(Role.OFFICER, username="li", full_name="李晓峰")
    login(page, "wang")
    page.goto("/risks/")
    page.click("text=登记隐患")
    page.fill("#id_title", "出租房楼道电动车充电")
    page.select_option("#id_category", "fire")
    page.select_option("#id_level", "high")
    page.fill("#id_address", "庵东镇振兴路66号")
    page.fill("#id_lat", "30.2831")
    page.fill("#id_lon", "121.1902")
    page.fill("#id_rectify_by", (timezone.localdate() + timedelta(days=5)).isoformat())
    page.fill("#id_responsible_party", "房东 王某")
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/risks/hazards/\d+/$"))
    expect(page.locator("h1.page-title")).to_contain_text("待整改")
    photo = tmp_path / "scene.png"
    photo.write_bytes(PNG)
    page.set_input_files("#id_evidence-file", str(photo))
    page.click("text=上传")
    expect(page.locator(".msg-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("scene.png")
    page.fill("#id_rectify-note", "已拆除飞线，设置集中充电点")
    page.click("text=确认已整改")
    expect(page.locator("h1.page-title")).to_contain_text("已整改待销号")
    expect(page.locator("main")).to_contain_text("另一人核对")
    page.screenshot(path=artifact("risks-hazard-rectified.png"), full_page=True)
    url = page.url

    page.context.clear_cookies()
    login(page, "li")
    page.goto(url)
    page.fill("#id_close-note", "现场复核无误")
    page.click("text=核对无误，销号")
    # 销号 cannot be undone: the page asks first
    page.click("dialog.confirm-dialog [data-confirm-ok]")
    expect(page.locator("h1.page-title")).to_contain_text("已销号")
    hazard = Hazard.objects.get()
    from risks.selectors import hazard_evidence as evidence_of

    assert (
        hazard.status == "closed" and hazard.closed_by.username == "li" and evidence_of(hazard).count() == 1
    )
    page.screenshot(path=artifact("risks-hazard-closed.png"), full_page=True)
    page.goto("/risks/reconciliation/")
    expect(page.locator("#by-station")).to_contain_text("1/1")
    page.screenshot(path=artifact("risks-reconciliation.png"), full_page=True)
    assert page.external_requests == []


def test_campaign_and_warning_pages(page, login, make_user):
    make_user(Role.STATION_LEADER, username="zhang", full_name="张海涛")
    make_campaign(name="夏季治安巡防集中统一行动")
    login(page, "zhang")
    page.goto("/risks/campaigns/")
    page.click("text=夏季治安巡防集中统一行动")
    page.click("text=登记场所检查")
    page.fill("#id_inspection-venue_name", "星光KTV")
    page.select_option("#id_inspection-venue_type", "entertainment")
    page.fill("#id_inspection-inspected_on", timezone.localdate().isoformat())
    page.fill("#id_inspection-problems", "安全出口堵塞\n灭火器过期")
    page.locator("form:has(#id_inspection-venue_name) button[type=submit]").click()
    expect(page.locator(".msg-success")).to_be_visible()
    expect(page.locator("[data-k=venues_inspected]").first).to_have_text("1")
    page.locator("text=现场整改").first.click()
    expect(page.locator("[data-k=problems_rectified]").first).to_have_text("1")
    page.screenshot(path=artifact("risks-campaign.png"), full_page=True)
    page.goto("/risks/warning/")
    page.get_by_role("button", name="计算热点").click()
    expect(page.locator(".msg-success")).to_contain_text("热点分析完成")
    page.screenshot(path=artifact("risks-warning.png"), full_page=True)
    assert page.external_requests == []
