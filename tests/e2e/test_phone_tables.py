"""Issue 19 item 8 at 390 px: the liaison's request table and the officers' main lists are usable on a
phone: the page itself never scrolls sideways, each wide table scrolls inside its own box, and its
first link is reachable."""

import pytest
from playwright.sync_api import expect

from qianwan.org.choices import Role
from tests.disputes.factories import make_dispute
from tests.e2e.conftest import artifact
from tests.enterprises.factories import ServiceRequestFactory
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db(transaction=True)


def _phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url
    )
    context.set_default_timeout(15000)
    return context.new_page()


def _usable(page, name):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name}: the page scrolls sideways"
    tables = page.locator("main table")
    assert tables.count() > 0, name
    for i in range(tables.count()):
        # a table wider than the phone lives in a box that scrolls (a .table-wrap or the table itself)
        scrolls = tables.nth(i).evaluate(
            """t => { const box = t.closest('.table-wrap') || t;
                      return box.getBoundingClientRect().right <= 391
                          && (box.scrollWidth <= box.clientWidth + 1
                              || ['auto', 'scroll'].includes(getComputedStyle(box).overflowX)); }"""
        )
        assert scrolls, f"{name}: table {i} runs off the screen"
    page.screenshot(path=artifact(f"i19-390-{name}.png"), full_page=True)


def test_liaison_request_table_usable_at_390px(browser, live_server, login, make_user):
    liaison = make_user(Role.LIAISON, username="lian")
    request = ServiceRequestFactory(enterprise=liaison.enterprise, description="夜间巡逻需求")
    page = _phone(browser, live_server)
    try:
        login(page, "lian")
        for path, name in (("/enterprises/", "portal"), ("/enterprises/requests/", "requests")):
            page.goto(path)
            _usable(page, name)
        link = page.locator(f"main a[href='/enterprises/requests/{request.pk}/']").first
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        link.click()
        expect(page).to_have_url(f"{live_server.url}/enterprises/requests/{request.pk}/")
    finally:
        page.context.close()


def test_officer_lists_usable_at_390px(browser, live_server, login, make_user, station):
    officer = make_user(Role.OFFICER, username="wang")
    make_incident(station, officer)
    make_dispute(station, officer)
    page = _phone(browser, live_server)
    try:
        login(page, "wang")
        for path, name in (
            ("/incidents/list/", "incidents"),
            ("/disputes/", "disputes"),
            ("/risks/", "risks"),
        ):
            page.goto(path)
            _usable(page, name)
    finally:
        page.context.close()
