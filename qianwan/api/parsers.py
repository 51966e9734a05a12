"""The API's JSON parser: the body of a JSON request must be an object (api-contract.md, "Errors")."""

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

BODY_METHODS = ("POST", "PUT", "PATCH")


def refuse_non_object(data) -> None:
    """400 ``invalid_body`` unless ``data`` is a JSON object (or form data, or no body at all)."""
    if not isinstance(data, dict | QueryDict):
        raise exceptions.ParseError(
            _("请求体必须是 JSON 对象（{…}），收到的是%(kind)s。") % {"kind": _json_kind(data)},
            code="invalid_body",
        )


def _json_kind(data) -> str:
    if data is None:
        return "null"
    if isinstance(data, list):
        return _("数组")
    if isinstance(data, str):
        return _("字符串")
    if isinstance(data, bool):
        return _("布尔值")
    return _("数字")


class JSONObjectParser(parsers.JSONParser):
    """``JSONParser`` that refuses a top-level array, null, string or number with 400 ``invalid_body``."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_non_object(data)
        return data
