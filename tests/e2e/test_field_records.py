"""Browser (issue 22): dispatch two officers to a call from the duty board, see them on the call and on
the station's "out now" list."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.choices import Role
from tests.e2e.conftest import artifact
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_dispatch_two_officers_from_the_board(page, login, make_user, station):
    make_user(Role.STATION_LEADER, username="duty", full_name="值班所长")
    make_user(Role.OFFICER, username="zhao", full_name="赵一")
    make_user(Role.OFFICER, username="qian", full_name="钱二")
    make_user(Role.OFFICER, username="sun", full_name="孙三")
    incident = make_incident(station, received_at=timezone.now() - timedelta(seconds=20))
    login(page, "duty")
    page.goto("/incidents/board/")
    row = page.locator(f'[data-incident="{incident.pk}"]')
    picker = row.locator("[data-officer-picker]")
    picker.locator("summary").click()
    picker.get_by_label("赵一").check()
    picker.get_by_label("钱二").check()
    picker.locator('input[name="unit"]').fill("巡逻1组")
    row.locator("[data-step=dispatched]").click()
    expect(page.locator(".msg-success")).to_contain_text("已记录")
    row = page.locator(f'[data-incident="{incident.pk}"]')
    expect(row.locator("[data-call-officers]")).to_contain_text("赵一")
    expect(row.locator("[data-call-officers]")).to_contain_text("钱二")
    expect(row.locator("[data-call-officers]")).not_to_contain_text("孙三")
    page.screenshot(path=artifact("field-board-officers.png"), full_page=True)

    page.goto(f"/incidents/{incident.pk}/")
    expect(page.locator('[data-officer="zhao"]')).to_contain_text("已派出")
    expect(page.locator('[data-officer="qian"]')).to_be_visible()

    page.goto("/incidents/out-now/")
    out = page.locator("[data-out-now]")
    expect(out.locator('[data-out="zhao"]')).to_contain_text(incident.number)
    expect(out.locator('[data-out="qian"]')).to_contain_text(incident.number)
    expect(out.locator('[data-out="sun"]')).to_have_count(0)
    expect(page.locator('[data-call-counts] [data-person="zhao"] td').nth(1)).to_have_text("1")
    page.screenshot(path=artifact("field-out-now.png"), full_page=True)
