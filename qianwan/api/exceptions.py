"""The contract's error shapes: 400 `{"field": [...]}` / `{"detail": ...}`, 403, 404, 409."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, connections
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from qianwan.errors import StateConflict


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "记录当前状态不允许此操作。"
    default_code = "conflict"


def validation_error_payload(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            ("detail" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    messages = [str(m) for m in exc.messages]
    return {"detail": messages[0] if len(messages) == 1 else messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        # a value the database cannot hold that validation let through (e.g. a UTC offset beyond
        # ±15:59 in a datetime filter): the caller's input, so 400 rather than 500; the failed
        # statement leaves the enclosing atomic block unusable, so it is rolled back
        for conn in connections.all(initialized_only=True):
            if conn.in_atomic_block:
                conn.set_rollback(True)
        return Response(
            {"detail": "请求中的某个值超出了数据库允许的范围（如日期、时区偏移或数字），请检查后重试。"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, StateConflict):
        # the stable code rides along until the shared {"code","message","fields"} body lands
        response = drf_exception_handler(Conflict(exc.message, code=exc.code), context)
        response.data = {"detail": exc.message, "code": exc.code}
        return response
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到该记录。")
    return drf_exception_handler(exc, context)
