"""Sessions on shared station PCs (issue 16, "also to decide"): 2 h idle timeout, 12 h absolute
lifetime, background polling is not activity, an expired poll answers 401 session_expired."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from qianwan.security.sessions import SEEN, STARTED

pytestmark = pytest.mark.django_db

BG = {"HTTP_X_QIANWAN_BACKGROUND": "1"}


def _shift(client, *, started=0, seen=0):
    """Move the session's sign-in and last-activity times ``started``/``seen`` seconds back."""
    session = client.session
    session[STARTED] -= started
    session[SEEN] -= seen
    session.save()


@pytest.fixture
def signed_in(client, officer):
    client.force_login(officer)
    return client


def test_defaults():
    assert settings.SESSION_IDLE_TIMEOUT == 2 * 3600
    assert settings.SESSION_ABSOLUTE_LIFETIME == 12 * 3600
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_ABSOLUTE_LIFETIME


def test_idle_session_is_signed_out(signed_in):
    assert signed_in.get(reverse("incidents:board")).status_code == 200
    _shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT + 1)
    response = signed_in.get(reverse("incidents:board"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not signed_in.get(reverse("incidents:board")).wsgi_request.user.is_authenticated


def test_activity_keeps_the_session(signed_in):
    _shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT - 60)
    assert signed_in.get(reverse("incidents:board")).status_code == 200  # activity: seen is now
    assert signed_in.session[SEEN] >= int(time.time()) - 5
    _shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT - 60)
    assert signed_in.get(reverse("incidents:board")).status_code == 200


def test_background_polling_is_not_activity(signed_in):
    _shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT - 60)
    before = signed_in.session[SEEN]
    poll = signed_in.get(reverse("incidents:board_data"), **BG)
    assert poll.status_code == 200 and "incidents" in poll.json()
    assert signed_in.session[SEEN] == before  # the poll did not refresh the session
    _shift(signed_in, seen=120)
    expired = signed_in.get(reverse("incidents:board_data"), **BG)
    assert expired.status_code == 401 and expired.json()["code"] == "session_expired"
    assert "incidents" not in expired.json()  # no stale data
    assert signed_in.get(reverse("incidents:board")).status_code == 302  # and signed out


def test_absolute_lifetime_ends_an_active_session(signed_in):
    _shift(signed_in, started=settings.SESSION_ABSOLUTE_LIFETIME + 1)  # active a moment ago
    response = signed_in.get(reverse("incidents:board"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_browser_api_call_after_expiry_is_401(signed_in):
    _shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT + 1)
    response = signed_in.get("/api/v1/incidents/")
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_board_page_carries_the_sign_in_prompt(signed_in):
    html = signed_in.get(reverse("incidents:board")).content.decode()
    assert "data-i18n-expired" in html and f'data-login-url="{reverse("login")}"' in html
