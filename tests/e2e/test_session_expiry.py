"""Browser: a duty board left open past the idle timeout stops showing incidents and offers a
sign-in link (issue 16: an expired board shows a re-login prompt rather than stale data)."""

from importlib import import_module

import pytest
from django.conf import settings
from playwright.sync_api import expect

from qianwan.org.choices import Role
from qianwan.security.sessions import SEEN
from tests.e2e.conftest import artifact
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_expired_board_shows_sign_in_prompt_not_stale_data(page, login, make_user, station):
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    incident = make_incident(station, address="庵东镇兴业路18号")
    login(page, "wang")
    page.goto("/incidents/board/")
    expect(page.locator("[data-board-rows]")).to_contain_text(incident.number)
    # the board keeps polling; it is not activity, and the idle timeout passes
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    store[SEEN] = store[SEEN] - settings.SESSION_IDLE_TIMEOUT - 60
    store.save()
    prompt = page.locator("[data-board-expired]")
    expect(prompt).to_be_visible(timeout=10000)
    expect(prompt.locator("a")).to_have_attribute("href", "/accounts/login/?next=%2Fincidents%2Fboard%2F")
    expect(page.locator("[data-board-rows]")).not_to_contain_text(incident.number)
    page.screenshot(path=artifact("incidents-board-expired.png"), full_page=True)
