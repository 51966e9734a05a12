"""One error body for every API 4xx (api-contract.md, "Errors"): ``{"code", "message", "fields"}``.

``code`` is a stable snake_case name an integrator can branch on; ``message`` is text a person can act
on; ``fields`` (400 only) maps each bad input field to its messages. The codes live in ``ERROR_CODES``
below — adding a code is one line there (the README's API section lists them).

How an exception becomes a code:

- ``qianwan.errors.StateConflict`` → 409 with the exception's own ``code`` (default ``conflict``);
- a DRF exception raised with an explicit ``code=`` (e.g. ``PermissionDenied(msg, code="partner_missing")``,
  ``AuthenticationFailed(msg, code="token_expired")``) → that code;
- a DRF or Django ``ValidationError`` → ``invalid``, unless one of its messages carries a code that
  ``ERROR_CODES`` lists as a 400 (e.g. ``ValidationError(msg, code="unknown_parameter")``);
- otherwise the exception class's entry in ``_CODE_BY_EXCEPTION`` (401 → ``token_missing``, 404 →
  ``not_found``, 405 → ``method_not_allowed``, …).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, connections
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from qianwan.errors import StateConflict

# code → (HTTP status, what it means). One line per code; the README lists the same table.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid": (400, "bad input: see `fields` for the field(s) and their messages"),
    "invalid_body": (
        400,
        "the body is not a JSON object (malformed JSON, an array, null, a string, a number)",
    ),
    "unknown_parameter": (400, "a query parameter the endpoint does not document"),
    "page_size_invalid": (400, "`page_size` is not a whole number from 1 to 500"),
    "cursor_invalid": (
        400,
        "a `since` or `cursor` value this API did not issue, or a cursor of another list, filter, "
        "ordering or caller",
    ),
    "page_too_deep": (400, "`page` × `page_size` past the 10,000th record: follow the `next` cursor links"),
    "query_too_short": (
        400,
        "a search or type-ahead `q` shorter than 2 characters (a hint, not a table scan)",
    ),
    "reference_not_found": (400, "a referenced record that does not exist or is outside the caller's scope"),
    "token_missing": (401, "no credentials (no `Authorization: Token …` header and no session)"),
    "token_invalid": (401, "the token is unknown or malformed, or its user is deactivated"),
    "token_expired": (401, "the token is past its expiry time"),
    "token_revoked": (401, "the token was revoked"),
    "session_expired": (401, "a browser session past its idle timeout or absolute lifetime"),
    "forbidden": (403, "the caller's role may not do this (or a rule about who, e.g. a second person)"),
    "partner_missing": (403, "a grid_client account that belongs to no partner"),
    "csrf_failed": (403, "a browser session request without a valid CSRF token"),
    "not_found": (404, "no such record, or one outside the caller's scope; also unknown /api/v1/ paths"),
    "method_not_allowed": (405, "the path exists but not with this HTTP method"),
    "not_acceptable": (406, "the Accept header asks for a format the API does not serve"),
    "conflict": (409, "the record's state forbids the change (e.g. closing a closed item)"),
    "followups_required": (
        409,
        "closing a dispute needs its follow-up visits first, or a station leader's approval",
    ),
    "ack_conflict": (409, "a different ack after an outbound event's final ack (handled / rejected)"),
    "unsupported_media_type": (415, "the Content-Type is not one the endpoint accepts"),
}

# the code of each DRF exception class when it was raised without an explicit code
_CODE_BY_EXCEPTION: list[tuple[type, str]] = [
    (exceptions.NotAuthenticated, "token_missing"),
    (exceptions.AuthenticationFailed, "token_invalid"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.ParseError, "invalid_body"),
    (exceptions.ValidationError, "invalid"),
]

NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "__all__", "detail"}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("记录当前状态不允许此操作。")
    default_code = "conflict"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The contract's body; ``fields`` is present on 400s (``{}`` when no single field is to blame)."""
    body = {"code": code, "message": str(message)}
    if fields is not None:
        body["fields"] = fields
    return body


def _leaf_codes(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _leaf_codes(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _leaf_codes(value)
    else:
        yield getattr(detail, "code", None)


def _plain(detail):
    """ErrorDetail → str, recursively (the body is plain JSON)."""
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(v) for v in detail]
    return str(detail)


def _first_message(value) -> str:
    if isinstance(value, dict):
        for v in value.values():
            if msg := _first_message(v):
                return msg
        return ""
    if isinstance(value, list):
        for v in value:
            if msg := _first_message(v):
                return msg
        return ""
    return str(value)


def _validation_body(exc: exceptions.ValidationError | DjangoValidationError) -> dict:
    detail = as_serializer_error(exc)
    codes = [c for c in _leaf_codes(detail) if c]
    code = next((c for c in codes if ERROR_CODES.get(c, (0,))[0] == 400), "invalid")
    general = [m for key in NON_FIELD_KEYS for m in _plain(detail.get(key, []))]
    fields = {k: _plain(v) for k, v in detail.items() if k not in NON_FIELD_KEYS}
    parts = list(general)
    for name, messages in fields.items():
        parts.append(f"{name}：{_first_message(messages)}")
    message = "；".join(p for p in parts if p) or _("请求数据有误。")
    return error_body(code, message, fields)


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    explicit = codes if isinstance(codes, str) else None
    if explicit and explicit != exc.default_code:
        return explicit
    for cls, code in _CODE_BY_EXCEPTION:
        if isinstance(exc, cls):
            return code
    return explicit or "error"


def _message_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.NotAuthenticated):
        return _("未提供身份凭证：请在请求头中加入 “Authorization: Token <密钥>”。")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _("该地址不支持 %(method)s 方法。") % {"method": exc.args[0] if exc.args else ""}
    if isinstance(exc, exceptions.NotFound):
        return _("未找到该记录。") if str(exc.detail) in ("Not found.", "未找到。") else str(exc.detail)
    if isinstance(exc, exceptions.ParseError) and "JSON parse error" in str(exc.detail):
        return _("请求体不是合法的 JSON：%(error)s") % {"error": str(exc.detail).split(" - ", 1)[-1]}
    return _first_message(_plain(exc.detail)) or str(exc.default_detail)


def exception_handler(exc, context):
    if isinstance(exc, DataError):
        # a value the database cannot hold that validation let through (e.g. a UTC offset beyond
        # ±15:59 in a datetime filter): the caller's input, so 400 rather than 500; the failed
        # statement leaves the enclosing atomic block unusable, so it is rolled back
        for conn in connections.all(initialized_only=True):
            if conn.in_atomic_block:
                conn.set_rollback(True)
        message = _("请求中的某个值超出了数据库允许的范围（如日期、时区偏移或数字），请检查后重试。")
        return Response(error_body("invalid", message, {}), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StateConflict):
        return Response(error_body(exc.code or "conflict", exc.message), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a 500, logged as such
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    else:
        code = _code_of(exc)
        if code == "forbidden" and "CSRF" in str(exc.detail):
            code = "csrf_failed"
        fields = {} if response.status_code == 400 else None
        response.data = error_body(code, _message_of(exc), fields)
    return response
