from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from qianwan.org import services
from qianwan.org.models import ApiToken, User, hash_token
from tests.errors import error_message

pytestmark = pytest.mark.django_db


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_is_stored_hashed_and_works(officer, station):
    token, key = services.token_create(actor=None, user=officer)
    assert key not in {token.key_hash, token.prefix} and token.key_hash == hash_token(key)
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert _client(key).get("/api/v1/stations/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_401(officer, station):
    token, key = services.token_create(actor=None, user=officer)
    services.token_revoke(actor=None, token=token)
    response = _client(key).get("/api/v1/stations/")
    assert response.status_code == 401 and "吊销" in error_message(response)


def test_expired_token_is_401(officer, station):
    token, key = services.token_create(
        actor=None, user=officer, expires_at=timezone.now() + timedelta(days=1)
    )
    assert _client(key).get("/api/v1/stations/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert _client(key).get("/api/v1/stations/").status_code == 401


def test_inactive_user_token_is_401(officer, station):
    _, key = services.token_create(actor=None, user=officer)
    officer.is_active = False
    officer.save()
    assert _client(key).get("/api/v1/stations/").status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token a b", "Bearer abc", "Token \u00e9\u00e9"])
def test_malformed_headers_are_401(header, station):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    assert client.get("/api/v1/stations/").status_code == 401


def test_apitoken_command_creates_user_with_role_and_prints_token_last(station):
    out = StringIO()
    call_command("apitoken", "gridbot", "--role", "grid_client", "--partner", "grid", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    user = User.objects.get(username="gridbot")
    assert user.role == "grid_client" and ApiToken.objects.get(user=user).key_hash == hash_token(key)
    out = StringIO()
    call_command("apitoken", "ads-officer", "--role", "officer", "--station", "ADS", stdout=out)
    assert User.objects.get(username="ads-officer").station == station
    # running it again gives the existing user a new role and a second token
    call_command("apitoken", "gridbot", "--role", "admin", stdout=StringIO())
    assert (
        User.objects.get(username="gridbot").role == "admin"
        and ApiToken.objects.filter(user=user).count() == 2
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["x", "--role", "officer"], "派出所"),
        (["x", "--role", "officer", "--station", "NOPE"], "Unknown station"),
        (["x", "--role", "liaison"], "企业"),
        (["x", "--role", "liaison", "--enterprise", "999"], "Unknown enterprise"),
        (["x", "--role", "admin", "--expires-days", "0"], "positive"),
        (["x", "--role", "grid_client"], "--partner"),
        (["x", "--role", "officer", "--station", "ADS", "--partner", "grid"], "only for"),
        (["x", "--role", "grid_client", "--partner", "Not A Code!"], "对接平台代码"),
    ],
)
def test_apitoken_command_errors(args, message, station):
    with pytest.raises(CommandError, match=message):
        call_command("apitoken", *args, stdout=StringIO())
    assert not User.objects.filter(username="x").exists()


def test_login_lockout_after_five_failures(client, officer, settings):
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "officer", "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post("/accounts/login/", {"username": "officer", "password": "Test-pass-2026"})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


def test_login_succeeds_with_right_password(client, officer):
    response = client.post("/accounts/login/", {"username": "officer", "password": "Test-pass-2026"})
    assert response.status_code == 302 and response["Location"] == "/"
