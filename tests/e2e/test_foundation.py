import re

import pytest
from playwright.sync_api import expect

from qianwan.notify.services import notification_send
from qianwan.org.choices import Role
from tests.e2e.conftest import artifact

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_loads_offline_with_chinese_ui(page):
    page.goto("/accounts/login/")
    expect(page.locator("h1")).to_have_text("前湾分局警务运行平台")
    expect(page.locator("label[for=id_username]")).to_contain_text("用户名")
    page.screenshot(path=artifact("login.png"))
    assert page.external_requests == []


def test_officer_logs_in_sees_workbench_and_inbox(page, login, make_user):
    officer = make_user(Role.OFFICER, username="wang", full_name="王建国")
    notification_send(
        key="e2e:hello", kind="test", title="请核查庵东镇兴业路警情", body="测试通知", recipients=[officer]
    )
    login(page, "wang")
    expect(page.locator("h1.page-title")).to_contain_text("王建国")
    expect(page.locator(".sidenav")).to_contain_text("工作台")
    badge = page.locator("[data-unread-badge]")
    expect(badge).to_have_text("1")
    expect(page.locator("main")).to_contain_text("请核查庵东镇兴业路警情")
    page.screenshot(path=artifact("workbench.png"), full_page=True)

    page.click(".inbox-link")
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.locator("table")).to_contain_text("请核查庵东镇兴业路警情")
    page.click("text=全部标为已读")
    expect(page.locator(".msg-success")).to_contain_text("1")
    expect(badge).to_have_text("0")
    page.screenshot(path=artifact("inbox.png"), full_page=True)
    assert page.external_requests == []


def test_wrong_password_shows_chinese_error_and_keeps_username(page, make_user):
    make_user(Role.OFFICER, username="li")
    page.goto("/accounts/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", "wrong-password")
    page.press("#id_password", "Enter")
    expect(page.locator(".form-errors")).to_contain_text("用户名或密码错误")
    expect(page.locator("#id_username")).to_have_value("li")


def test_english_switch(page, login, make_user):
    make_user(Role.OFFICER, username="en_user")
    login(page, "en_user")
    page.click("button[value=en]")
    expect(page.locator(".brand")).to_have_text("Qianwan Sub-bureau Operations Platform")
    page.click("button[value=zh-hans]")
    expect(page.locator(".brand")).to_have_text("前湾分局警务运行平台")


def test_phone_layout_has_menu_toggle(browser, live_server, make_user):
    make_user(Role.OFFICER, username="phone")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, locale="zh-CN"
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "phone")
    page.fill("#id_password", "Test-pass-2026")
    page.press("#id_password", "Enter")
    expect(page.locator(".sidenav")).to_be_hidden()
    page.click("[data-nav-toggle]")
    expect(page.locator(".sidenav")).to_be_visible()
    page.screenshot(path=artifact("phone.png"))
    context.close()
