"""The error body of every API 4xx (api-contract.md "Errors"): each code from a real request, the
schema documenting 4xx on every operation, non-object bodies, and paths without their trailing slash."""

import json
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from qianwan.api.exceptions import ERROR_CODES
from qianwan.exchange import services as exchange_services
from qianwan.exchange.choices import OutboundKind
from qianwan.org import services as org_services
from qianwan.org.models import ApiToken
from tests.errors import error_code, error_fields, error_message

pytestmark = pytest.mark.django_db

INBOUND = {
    "external_id": "GRID-E-1",
    "source": "grid",
    "category": "dispute",
    "title": "楼道堆物",
    "lat": 30.283,
    "lon": 121.187,
}


def _key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _outbound(station):
    return exchange_services.outbound_create(
        actor=None, target="grid", kind=OutboundKind.HAZARD, title="隐患移交", station=station
    )


def _token_missing(ctx):
    return APIClient().get("/api/v1/stations/")


def _token_invalid(ctx):
    return _key_client("not-a-real-key").get("/api/v1/stations/")


def _token_expired(ctx):
    token, key = org_services.token_create(actor=None, user=ctx["officer"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return _key_client(key).get("/api/v1/stations/")


def _token_revoked(ctx):
    token, key = org_services.token_create(actor=None, user=ctx["officer"])
    org_services.token_revoke(actor=None, token=token)
    return _key_client(key).get("/api/v1/stations/")


def _forbidden(ctx):
    return ctx["api_as"](ctx["officer"]).post(
        "/api/v1/stations/", {"code": "NEW", "name": "新所"}, format="json"
    )


def _csrf_failed(ctx):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(ctx["admin"])
    return client.post("/api/v1/stations/", {"code": "NEW", "name": "新所"}, format="json")


def _not_found(ctx):
    return ctx["api_as"](ctx["admin"]).get("/api/v1/exchange/outbound/999999/")


def _invalid(ctx):
    return ctx["api_as"](ctx["admin"]).post("/api/v1/stations/", {"name": "无代码"}, format="json")


def _invalid_body(ctx):
    return ctx["api_as"](ctx["admin"]).post("/api/v1/exchange/inbound/", [INBOUND], format="json")


def _page_size_invalid(ctx):
    return ctx["api_as"](ctx["admin"]).get("/api/v1/stations/?page_size=501")


def _conflict(ctx):
    client = ctx["api_as"](ctx["admin"])
    event = client.post("/api/v1/exchange/inbound/", INBOUND, format="json").json()
    url = f"/api/v1/exchange/inbound/{event['id']}/handle/"
    assert client.post(url, {"note": "已处理"}, format="json").status_code == 200
    return client.post(url, {"note": "再处理"}, format="json")


def _ack_conflict(ctx):
    event = _outbound(ctx["station"])
    client = ctx["api_as"](ctx["admin"])
    url = f"/api/v1/exchange/outbound/{event.pk}/ack/"
    assert client.post(url, {"status": "handled"}, format="json").status_code == 200
    return client.post(url, {"status": "rejected", "note": "不属实"}, format="json")


def _method_not_allowed(ctx):
    return ctx["api_as"](ctx["admin"]).delete("/api/v1/stations/")


def _not_acceptable(ctx):
    return ctx["api_as"](ctx["admin"]).get("/api/v1/stations/", HTTP_ACCEPT="text/html")


def _unsupported_media_type(ctx):
    return ctx["api_as"](ctx["admin"]).post("/api/v1/stations/", "code=X", content_type="text/plain")


def _partner_missing(ctx):
    from qianwan.org.choices import Role

    lonely = ctx["make_user"](Role.GRID_CLIENT, username="no-partner", partner=None)
    return ctx["api_as"](lonely).get("/api/v1/exchange/outbound/")


def _unknown_parameter(ctx):
    return ctx["api_as"](ctx["admin"]).get("/api/v1/exchange/outbound/?created_after=2030-01-01")


def _cursor_invalid(ctx):
    return ctx["api_as"](ctx["admin"]).get("/api/v1/exchange/outbound/?since=not-a-cursor")


def _page_too_deep(ctx):
    return ctx["api_as"](ctx["admin"]).get("/api/v1/incidents/?page=201&page_size=50")


def _reference_not_found(ctx):
    body = {
        "station": ctx["station"].code,
        "address": "前湾路1号",
        "category": "neighbour",
        "risk_level": "low",
        "summary": "邻里噪音",
        "incident": 999999,
    }
    return ctx["api_as"](ctx["officer"]).post("/api/v1/disputes/", body, format="json")


def _query_too_short(ctx):
    return ctx["api_as"](ctx["officer"]).get("/api/v1/search/?q=a")


def _session_expired(ctx):
    from qianwan.security import sessions

    client = APIClient()
    client.force_login(ctx["officer"])
    session = client.session
    long_ago = int(time.time()) - 30 * 3600
    session[sessions.STARTED] = session[sessions.SEEN] = long_ago
    session.save()
    return client.get("/api/v1/stations/")


def _followups_required(ctx):
    from tests.disputes.factories import handled_dispute

    dispute = handled_dispute(ctx["station"], ctx["officer"])
    return ctx["api_as"](ctx["officer"]).post(f"/api/v1/disputes/{dispute.pk}/close/", {}, format="json")


CASES = {
    "followups_required": _followups_required,
    "reference_not_found": _reference_not_found,
    "query_too_short": _query_too_short,
    "session_expired": _session_expired,
    "token_missing": _token_missing,
    "token_invalid": _token_invalid,
    "token_expired": _token_expired,
    "token_revoked": _token_revoked,
    "forbidden": _forbidden,
    "csrf_failed": _csrf_failed,
    "not_found": _not_found,
    "invalid": _invalid,
    "invalid_body": _invalid_body,
    "page_size_invalid": _page_size_invalid,
    "conflict": _conflict,
    "ack_conflict": _ack_conflict,
    "method_not_allowed": _method_not_allowed,
    "not_acceptable": _not_acceptable,
    "unsupported_media_type": _unsupported_media_type,
    "partner_missing": _partner_missing,
    "unknown_parameter": _unknown_parameter,
    "cursor_invalid": _cursor_invalid,
    "page_too_deep": _page_too_deep,
}


@pytest.fixture
def ctx(api_as, officer, admin_user, station, make_user):
    return {
        "api_as": api_as,
        "officer": officer,
        "admin": admin_user,
        "station": station,
        "make_user": make_user,
    }


def test_every_code_has_a_case():
    assert set(ERROR_CODES) == set(CASES)


@pytest.mark.parametrize("code", list(CASES))
def test_each_code_from_a_real_request(ctx, code):
    response = CASES[code](ctx)
    expected_status = ERROR_CODES[code][0]
    body = response.json()
    assert response.status_code == expected_status, body
    assert error_code(response) == code and body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    assert set(body) <= {"code", "message", "fields"}
    if expected_status == 400:
        assert isinstance(body["fields"], dict)
    else:
        assert "fields" not in body


def test_bad_input_names_its_fields(api_as, admin_user, station):
    response = api_as(admin_user).post("/api/v1/stations/", {"code": "", "name": ""}, format="json")
    assert response.status_code == 400 and error_code(response) == "invalid"
    fields = error_fields(response)
    assert set(fields) == {"code", "name"} and all(isinstance(m, list) and m for m in fields.values())
    assert "code" in error_message(response) and "name" in error_message(response)


def test_state_conflict_code_reaches_the_body(rf):
    """A service's ``StateConflict(msg, code=...)`` is the body's code (e.g. ``followups_required``)."""
    from qianwan.api.exceptions import exception_handler
    from qianwan.errors import StateConflict

    response = exception_handler(StateConflict("还需两次回访。", code="followups_required"), {})
    assert response.status_code == 409
    assert response.data == {"code": "followups_required", "message": "还需两次回访。"}


def test_django_validation_error_code_from_the_table(rf):
    from django.core.exceptions import ValidationError

    from qianwan.api.exceptions import exception_handler

    tabled = exception_handler(ValidationError("未知参数 x", code="unknown_parameter"), {})
    assert tabled.status_code == 400 and tabled.data["code"] == "unknown_parameter"
    generic = exception_handler(ValidationError({"at": ["太早"]}, code="min_value"), {})
    assert generic.data == {"code": "invalid", "message": "at：太早", "fields": {"at": ["太早"]}}


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/nope", "/api/v1/exchange/nope/1/"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_are_json_404(api_as, admin_user, path, method):
    response = getattr(api_as(admin_user), method)(path)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert error_code(response) == "not_found"


def test_unknown_api_path_anonymous_is_401():
    response = APIClient().get("/api/v1/nope/")
    assert response.status_code == 401 and error_code(response) == "token_missing"


def _schema(api_as, admin_user) -> dict:
    response = api_as(admin_user).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_its_4xx(api_as, admin_user):
    schema = _schema(api_as, admin_user)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message"] and set(error["properties"]) == {
        "code",
        "message",
        "fields",
    }
    for code in ERROR_CODES:
        assert f"`{code}`" in error["properties"]["code"]["description"]
    operations = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations += 1
            responses = operation["responses"]
            errors = {s for s in responses if s.startswith("4")}
            assert {"401", "403"} <= errors, (method, path)
            if method != "get":
                assert "400" in errors, (method, path)
            if "{" in path:
                assert "404" in errors, (method, path)
            if method == "post" and "{" in path:
                assert "409" in errors, (method, path)
            for status in errors:
                content = responses[status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert operations > 150


def _body_operations(schema):
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item:
                yield method, path


def _concrete(path: str, pk: int) -> str:
    import re

    return re.sub(r"\{[^}]+\}", str(pk), path)


@pytest.mark.parametrize("body", ["[]", "[{}]", "null", '"text"', "42", "true"])
def test_non_object_bodies_are_400_on_every_write_endpoint(api_as, admin_user, station, body):
    """Every POST/PUT/PATCH of the schema, with an id that exists for some record (1) and one that
    exists for none: a body that is not a JSON object is 400 ``invalid_body`` or 404, never a 500."""
    client = api_as(admin_user)
    schema = _schema(api_as, admin_user)
    seen = 0
    for method, path in _body_operations(schema):
        seen += 1
        response = getattr(client, method)(_concrete(path, 1), body, content_type="application/json")
        assert response.status_code < 500, (method, path, response.status_code)
        if "{" not in path:
            assert response.status_code == 400, (method, path, response.content[:200])
            assert error_code(response) == "invalid_body", (method, path, response.json())
        else:
            assert response.status_code in (400, 404), (method, path, response.status_code)
            assert error_code(response) in ("invalid_body", "not_found"), (method, path, response.json())
    assert seen > 50


def test_non_object_body_on_an_existing_record_is_400(api_as, admin_user, station):
    client = api_as(admin_user)
    event = _outbound(station)
    for body in ("[]", "null", "1"):
        response = client.post(
            f"/api/v1/exchange/outbound/{event.pk}/ack/", body, content_type="application/json"
        )
        assert response.status_code == 400 and error_code(response) == "invalid_body"
    # an action that reads no body refuses one that is not an object too
    created = client.post("/api/v1/exchange/inbound/", INBOUND, format="json").json()
    response = client.post(
        f"/api/v1/exchange/inbound/{created['id']}/handle/", "[1]", content_type="application/json"
    )
    assert response.status_code == 400 and error_code(response) == "invalid_body"


def test_malformed_json_is_invalid_body(api_as, admin_user, station):
    response = api_as(admin_user).post("/api/v1/stations/", "{not json", content_type="application/json")
    assert response.status_code == 400 and error_code(response) == "invalid_body"


@pytest.mark.parametrize("settings_module", ["local", "production"])
def test_write_without_trailing_slash_works_like_with_it(api_as, admin_user, grid, station, settings_module):
    overrides = {"DEBUG": settings_module == "local", "APPEND_SLASH": True}
    if settings_module == "production":
        overrides.update(SECURE_SSL_REDIRECT=False)
    client = api_as(admin_user)
    with override_settings(**overrides):
        created = client.post("/api/v1/exchange/inbound", INBOUND, format="json")
        assert created.status_code == 201, created.content
        again = client.post("/api/v1/exchange/inbound", INBOUND, format="json")
        assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
        pk = created.json()["id"]
        handled = client.post(f"/api/v1/exchange/inbound/{pk}/handle", {"note": "已处理"}, format="json")
        assert handled.status_code == 200 and handled.json()["status"] == "handled"
        station_code = client.patch(
            "/api/v1/stations/ADS", json.dumps({"name": "庵东所"}), content_type="application/json"
        )
        assert station_code.status_code in (200, 405), station_code.content
        assert client.get("/api/v1/exchange/inbound").status_code == 200
        missing = client.get("/api/v1/exchange/inbound/999999")
        assert missing.status_code == 404 and error_code(missing) == "not_found"
        wrong = client.delete("/api/v1/exchange/inbound")
        assert wrong.status_code == 405 and error_code(wrong) == "method_not_allowed"


def test_readme_lists_every_code():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code, (status, _meaning) in ERROR_CODES.items():
        assert f"| `{code}` | {status} |" in readme, code
