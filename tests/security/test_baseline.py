"""The security baseline: CSP without inline code, framing refused, production cookies and HSTS,
password validators, login lockout, and no inline script/style in any template."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from qianwan.security.csp import inline_hashes, url_origin

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_strict(header: str):
    policy = _directives(header)
    for directive in ("script-src", "style-src", "default-src"):
        assert directive in policy, header
        assert "'unsafe-inline'" not in policy[directive] and "'unsafe-eval'" not in policy[directive], header
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/notifications/", "/healthz"])
def test_pages_carry_strict_csp_and_deny_framing(client, officer, path):
    if path != "/accounts/login/":
        client.force_login(officer)
    response = client.get(path)
    assert response.status_code == 200
    _assert_strict(response["Content-Security-Policy"])
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_api_responses_carry_csp_too(api_as, officer, station):
    response = api_as(officer).get("/api/v1/stations/")
    assert response.status_code == 200
    _assert_strict(response["Content-Security-Policy"])


def test_swagger_ui_has_no_inline_script_and_only_its_own_style_hash(client, officer):
    client.force_login(officer)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script on /api/docs/"
    policy = _directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-inline'" not in policy["script-src"]
    hashes = inline_hashes(html, "style")
    assert hashes and set(hashes) <= set(policy["style-src"])
    assert policy["style-src"] == ["'self'", *hashes]  # nothing else loosened
    # the initialiser is served as a same-origin script
    script = re.search(r'<script src="([^"]*\?[^"]*script[^"]*)"', html).group(1).replace("&amp;", "&")
    js = client.get(script)
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()
    # any other page keeps the strict style-src
    assert _directives(client.get("/")["Content-Security-Policy"])["style-src"] == ["'self'"]


def test_tile_server_origin_for_img_src():
    assert url_origin("") == []
    assert url_origin("https://tiles.police.local/{z}/{x}/{y}.png") == ["https://tiles.police.local"]
    assert url_origin("http://{s}.tiles.local:8080/{z}/{x}/{y}.png") == ["http://*.tiles.local:8080"]
    assert url_origin("not a url") == []


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("qianwan/*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
JS_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.I)


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from sorted(folder.rglob("*.html"))


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    for path in _templates():
        # template comments are not output; blank them out but keep line numbers
        text = re.sub(
            r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
            lambda m: re.sub(r"[^\n]", " ", m.group(0)),
            path.read_text(errors="replace"),
            flags=re.S,
        )
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("style attribute", INLINE_STYLE_ATTR),
            ("<style> block", STYLE_BLOCK),
            ("on* handler", EVENT_HANDLER),
            ("javascript: URL", JS_URL),
        ]:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not offenders, "CSP forbids these (put JS in static/<app>/*.js, CSS in a file):\n" + "\n".join(
        offenders
    )


def _in_production(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter under the production settings; the lines it printed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qianwan.settings.production",
        "DJANGO_SECRET_KEY": "a-very-long-and-random-production-secret-key-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "qianwan.police.example",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def test_production_settings_are_secure():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, "
        "'csp.middleware.CSPMiddleware' in s.MIDDLEWARE, "
        "'django.middleware.csrf.CsrfViewMiddleware' in s.MIDDLEWARE, len(s.AUTH_PASSWORD_VALIDATORS)]))"
    )
    output = _in_production(code)
    debug, session_secure, csrf_secure, httponly, hsts, subdomains, redirect, xfo, csp, csrf, validators = (
        json.loads(output[-1])
    )
    assert debug is False and session_secure and csrf_secure and httponly
    assert hsts >= 31536000 and subdomains and redirect and xfo == "DENY" and csp and csrf
    assert validators >= 4


def test_production_https_redirect_and_hsts_header():
    """Through the real middleware stack: http → https redirect; https answers carry HSTS."""
    code = (
        "import django; django.setup(); from django.test import Client; c = Client();"
        "r = c.get('/healthz', HTTP_HOST='qianwan.police.example');"
        "print(r.status_code, r.headers.get('Location'));"
        "r = c.get('/healthz', HTTP_HOST='qianwan.police.example', HTTP_X_FORWARDED_PROTO='https');"
        "print(r.status_code, r.headers.get('Strict-Transport-Security'))"
    )
    lines = _in_production(code)[-2:]
    assert lines[0] == "301 https://qianwan.police.example/healthz"
    assert lines[1].startswith(("200 max-age=31536000", "503 max-age=31536000")), lines
    assert "includeSubDomains" in lines[1]


@pytest.mark.parametrize(
    "password,reason",
    [("Ab1-short", "太短|short"), ("password1234", "常见|common"), ("8472910374651", "数字|numeric")],
)
def test_password_validators_refuse_weak_passwords(make_user, password, reason):
    user = make_user("officer", username="zhangwei")
    with pytest.raises(ValidationError, match=reason):
        validate_password(password, user)


def test_password_similar_to_username_is_refused(make_user):
    user = make_user("officer", username="zhangweiming")
    with pytest.raises(ValidationError):
        validate_password("zhangweiming1", user)
    validate_password("Qianwan-duty-2026!", user)  # a decent one passes


def test_admin_set_password_form_enforces_validators(officer):
    """The only place a password is set in the app is the admin; its form runs the validators."""
    from django.contrib.auth.forms import AdminPasswordChangeForm

    form = AdminPasswordChangeForm(officer, {"password1": "12345678", "password2": "12345678"})
    assert not form.is_valid()
    form = AdminPasswordChangeForm(
        officer, {"password1": "Qianwan-duty-2026!", "password2": "Qianwan-duty-2026!"}
    )
    assert form.is_valid(), form.errors


def _fail(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)


def test_lockout_is_per_username_and_ip(client, officer, make_user):
    make_user("officer", username="officer2")
    _fail(client, "officer", 5)
    locked = client.post(
        "/accounts/login/", {"username": "officer", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.1"
    )
    assert locked.status_code == 429
    # another user from the same address, and the same user from another address, may log in
    ok = client.post(
        "/accounts/login/", {"username": "officer2", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.1"
    )
    assert ok.status_code == 302
    client.logout()
    ok = client.post(
        "/accounts/login/", {"username": "officer", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.2"
    )
    assert ok.status_code == 302


def test_lockout_expires_after_cooloff(client, officer, settings):
    _fail(client, "officer", 5)
    assert (
        client.post(
            "/accounts/login/", {"username": "officer", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.1"
        ).status_code
        == 429
    )
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = client.post(
            "/accounts/login/", {"username": "officer", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.1"
        )
        assert response.status_code == 302


def test_success_resets_the_failure_count(client, officer):
    _fail(client, "officer", 4)
    assert (
        client.post(
            "/accounts/login/", {"username": "officer", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.1"
        ).status_code
        == 302
    )
    client.logout()
    _fail(client, "officer", 4)
    response = client.post(
        "/accounts/login/", {"username": "officer", "password": "Test-pass-2026"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302


def test_locked_user_token_still_needs_to_be_valid(client, officer, api_as, station):
    """A lockout is about guessing passwords; an already issued valid token keeps working, a wrong one
    never does (tokens are 401 without telling whether the user exists)."""
    _fail(client, "officer", 5)
    assert api_as(officer).get("/api/v1/stations/").status_code == 200
    from rest_framework.test import APIClient

    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "x" * 40)
    response = bad.get("/api/v1/stations/")
    assert response.status_code == 401 and "officer" not in response.content.decode()


def test_session_and_csrf_cookies_flags(client, officer):
    response = client.post("/accounts/login/", {"username": "officer", "password": "Test-pass-2026"})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def test_logout_requires_post_and_csrf(officer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 403  # no CSRF token
    assert client.get("/").status_code == 200  # still logged in


@pytest.mark.django_db
def test_csrf_cookie_is_http_only(client):
    """The `make scan` (wapiti cookieflags) finding: the CSRF cookie is not readable by scripts."""
    response = client.get("/accounts/login/")
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
