"""The patrol form in a browser: choosing a campaign, team and start time whose station and day already
have a typed tally (手工录入) shows the warning before anything is saved (issue 22, item 3)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qianwan.org.choices import Role
from risks import services
from tests.risks.factories import make_campaign
from tests.traffic.factories import make_zone, team_with_members
from traffic.models import Patrol

pytestmark = pytest.mark.django_db(transaction=True)


def test_typed_tally_warning_before_saving(page, login, make_user, station):
    officer = make_user(Role.OFFICER, station_=station, username="zhao", full_name="赵敏")
    campaign = make_campaign()
    make_zone(stations=[station])
    team = team_with_members(station)
    start = timezone.localtime(timezone.now() - timedelta(hours=2))
    services.violations_record(actor=officer, campaign=campaign, station=station, date=start.date(), count=9)
    login(page, "zhao")
    page.goto("/traffic/patrols/new/")
    note = page.locator("[data-typed-tally]")
    expect(note).to_be_hidden()
    page.select_option("#id_team", str(team.pk))
    page.fill("#id_started_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_campaign", str(campaign.pk))
    expect(note).to_be_visible()
    expect(note).to_contain_text("已有手工录入的违法统计（9 起）")
    assert not Patrol.objects.exists()
    # another day: the warning goes away
    page.fill("#id_started_at", (start - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_started_at").dispatch_event("change")
    expect(note).to_be_hidden()
