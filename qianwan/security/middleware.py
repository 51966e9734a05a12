"""Refuse NUL characters in any request input with a 400, before a view sees them.

PostgreSQL text cannot hold U+0000 (psycopg2 raises ValueError on it), so a NUL in a query string,
a form field or a JSON string would otherwise surface as a 500 wherever the value reaches a query.
No legitimate input of this platform contains one; files in multipart uploads are not inspected.
"""

import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

# a JSON "\u0000" escape that is not itself an escaped backslash ("\\u0000" is the text \u0000)
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.I)


def _has_nul(request) -> bool:
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in request.path or "\x00" in query or "%00" in query:
        return True
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return False
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return any("\x00" in text for key, values in request.POST.lists() for text in [key, *values])
    body = request.body
    if b"\x00" in body:
        return True
    if "json" in content_type:
        return bool(_JSON_NUL.search(body))
    return b"%00" in body and content_type.startswith("application/x-www-form-urlencoded")


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("请求中含有不允许的空字符（NUL, \\u0000），请删除后重试。")
            if request.path.startswith("/api/"):
                from qianwan.api.exceptions import error_body

                return JsonResponse(error_body("invalid", message, {}), status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
