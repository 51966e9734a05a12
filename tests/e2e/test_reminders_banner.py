"""Browser: the duty board's red "reminders not running" banner appears and disappears by itself as the
beat sweep's heartbeat goes stale and comes back (the board polls every 3 s)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.services import clocks_sweep
from qianwan.notify.models import Heartbeat
from qianwan.org.choices import Role
from tests.e2e.conftest import artifact

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_board_banner_appears_while_reminders_are_stale_and_goes_away(page, login, make_user):
    make_user(Role.OFFICER, username="banner-officer")
    clocks_sweep()  # fresh heartbeat
    login(page, "banner-officer")
    page.goto("/incidents/board/")
    banner = page.locator("[data-reminders-banner]")
    expect(banner).to_be_hidden()

    Heartbeat.objects.update(at=timezone.now() - timedelta(seconds=90))  # the sweep stopped
    expect(banner).to_be_visible(timeout=10000)
    expect(banner).to_contain_text("超时提醒未在运行")
    page.screenshot(path=artifact("board-reminders-stale.png"), full_page=True)

    clocks_sweep()  # the sweep runs again
    expect(banner).to_be_hidden(timeout=10000)
