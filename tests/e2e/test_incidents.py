"""Browser: take a call by keyboard, watch the countdown turn amber then red, record steps with one
click; a station leader sees the 8-minute arrival rate on the station page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from qianwan.org.choices import Role
from tests.e2e.conftest import artifact
from tests.incidents.factories import settled

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_take_call_countdown_changes_colour_and_steps_are_recorded(page, login, make_user):
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    login(page, "wang")
    page.goto("/incidents/new/")
    # the phone field has focus: the whole form is filled with the keyboard, Enter submits
    expect(page.locator("#id_caller_phone")).to_be_focused()
    page.keyboard.type("13800001234")
    page.keyboard.press("Tab")
    page.select_option("#id_category", "dispute")
    page.keyboard.press("Tab")
    page.keyboard.type("庵东镇兴业路18号")
    page.keyboard.press("Tab")
    page.keyboard.type("邻里因停车位争吵")
    received = timezone.localtime(timezone.now() - timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#id_received_at", received)  # the call came in 50 s ago: 10 s left to dispatch
    page.focus("#id_description")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-success")).to_contain_text("已登记警情")
    incident = Incident.objects.get()
    expect(page.locator("h1.page-title")).to_contain_text(incident.number)
    expect(page.locator("a", has_text="转为纠纷")).to_have_attribute(
        "href", f"/disputes/new/?incident={incident.pk}"
    )

    page.goto("/incidents/board/")
    row = page.locator(f'[data-incident="{incident.pk}"]')
    dispatch = row.locator('[data-stage="dispatch"]')
    video = row.locator('[data-stage="video_supervision"]')
    expect(dispatch).to_have_class(re.compile(r"\bwarn\b"))
    expect(dispatch).to_contain_text("即将超时")
    expect(video).to_have_class(re.compile(r"\bok\b"))
    page.screenshot(path=artifact("incidents-board-amber.png"), full_page=True)
    expect(dispatch).to_have_class(re.compile(r"\bbad\b"), timeout=20000)
    expect(dispatch).to_contain_text("超时")
    page.screenshot(path=artifact("incidents-board-red.png"), full_page=True)

    row.locator("[data-step=dispatched]").click()
    expect(page.locator(".msg-success")).to_contain_text("已记录")
    row = page.locator(f'[data-incident="{incident.pk}"]')
    expect(row.locator('[data-stage="dispatch"]')).to_contain_text("超时完成")
    row.locator("[data-step=video_supervised]").click()
    row = page.locator(f'[data-incident="{incident.pk}"]')
    expect(row.locator('[data-stage="video_supervision"]')).to_have_class(re.compile(r"\bok\b"))
    expect(row.locator('[data-stage="video_supervision"]')).to_contain_text("用时")
    page.screenshot(path=artifact("incidents-board-steps.png"), full_page=True)

    page.goto(f"/incidents/{incident.pk}/")
    expect(page.locator('[data-event="dispatched"]')).to_contain_text("王建国")
    expect(page.locator('[data-clock="video_supervision"]')).to_contain_text("达标")
    page.screenshot(path=artifact("incidents-detail.png"), full_page=True)
    assert page.external_requests == []


def test_leader_sees_eight_minute_rate(page, login, make_user, station):
    make_user(Role.STATION_LEADER, username="zhang", full_name="张海涛")
    base = timezone.now() - timedelta(hours=1)
    if timezone.localtime(base).month != timezone.localtime().month:
        base = timezone.now()
    for i, arrival in enumerate([200, 300, 350, 420, 470, 600]):
        settled(
            station,
            received_at=base - timedelta(minutes=i),
            dispatch=30,
            video=60,
            leader=90,
            arrival=arrival,
        )
    login(page, "zhang")
    page.goto("/incidents/kpi/")
    card = page.locator('[data-kpi="arrival-rate-month"]')
    expect(card).to_contain_text("8分钟到场率")
    expect(card.locator(".value")).to_have_text("83.3%")
    expect(card).to_contain_text("5 / 6")
    page.screenshot(path=artifact("incidents-kpi.png"), full_page=True)
    assert page.external_requests == []
