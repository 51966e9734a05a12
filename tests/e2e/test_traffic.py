"""Browser: a leader schedules a shift, an officer records an accident in the zone, the map shows it
and the team on duty is notified."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.choices import Role
from tests.e2e.conftest import artifact
from tests.traffic.factories import make_zone, team_with_members
from traffic.models import Accident

pytestmark = pytest.mark.django_db(transaction=True)

DT = "%Y-%m-%dT%H:%M"


def test_schedule_shift_record_accident_see_it_on_map_and_team_notified(page, login, make_user, station):
    zone = make_zone("TZ5", 1, 1, stations=[station], name="庵东中心巡区")
    team = team_with_members(station, n=2, name="庵东中心巡区甲班")
    member = team.members.select_related("user").first()
    make_user(Role.STATION_LEADER, username="lead", full_name="张所长")
    make_user(Role.OFFICER, username="wang", full_name="王建国")

    # 1. the leader schedules the shift on the roster calendar
    login(page, "lead")
    page.goto("/traffic/roster/")
    start = timezone.localtime(timezone.now() - timedelta(minutes=30))
    page.select_option("#id_zone", str(zone.pk))
    page.select_option("#id_team", str(team.pk))
    page.fill("#id_starts_at", start.strftime(DT))
    page.fill("#id_ends_at", (start + timedelta(hours=8)).strftime(DT))
    page.click("text=保存班次")
    expect(page.locator(".msg-success")).to_contain_text("已排班")
    expect(page.locator("#roster")).to_contain_text("庵东中心巡区甲班")
    page.screenshot(path=artifact("traffic-roster.png"), full_page=True)
    page.click("button:has-text('退出')")

    # 2. an officer records an accident inside the zone
    login(page, "wang")
    page.goto("/traffic/accidents/new/")
    page.fill("#id_occurred_at", timezone.localtime(timezone.now() - timedelta(minutes=10)).strftime(DT))
    page.fill("#id_address", "兴业路与滨海大道交叉口")
    page.fill("#id_lat", "30.2826")
    page.fill("#id_lon", "121.1862")
    page.fill("#id_injured", "1")
    page.press("#id_lon", "Enter")
    expect(page.locator(".msg-success")).to_contain_text("庵东中心巡区")
    accident = Accident.objects.get()
    expect(page.locator("#accident-facts")).to_contain_text("庵东中心巡区甲班")
    expect(page.locator("#accident-notices")).to_contain_text(
        member.name if not member.user else member.user.display_name
    )

    # 3. the map shows the zone with the team on duty and the accident
    page.goto("/traffic/")
    expect(page.locator("#traffic-map")).to_have_attribute("data-loaded", re.compile(r"^[1-9]"))
    expect(page.locator("path.qw-layer-accidents")).to_have_count(1)
    expect(page.locator("path.qw-layer-zones")).to_have_count(1)
    page.locator("path.qw-layer-accidents").hover()
    expect(page.locator(".leaflet-tooltip:not(.qw-tag)")).to_contain_text(accident.number)
    expect(page.locator("#duty-board")).to_contain_text("庵东中心巡区甲班")
    expect(page.locator("#recent-accidents")).to_contain_text(accident.number)
    page.screenshot(path=artifact("traffic-map.png"), full_page=True)
    page.click("button:has-text('退出')")

    # 4. a member of the team on duty has it in the inbox
    login(page, member.user.username)
    expect(page.locator("[data-unread-badge]")).to_have_text("1")
    page.click(".inbox-link")
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.locator("table")).to_contain_text(accident.number)
    page.screenshot(path=artifact("traffic-team-inbox.png"), full_page=True)
    assert page.external_requests == []
