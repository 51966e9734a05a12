"""The last route under /api/v1/: unknown paths answer a JSON 404, and a path written without its
trailing slash is served by the view of the path with it (any method, no redirect).

Django's APPEND_SLASH would instead redirect (301, which clients follow as a GET and so lose a POST)
or, with DEBUG on, raise for a POST (500). Because this route matches every path under /api/v1/,
CommonMiddleware never sees an unresolvable path there and never redirects.
"""

from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

FALLBACK_NAME = "api-fallback"


def _with_slash(request):
    if request.path_info.endswith("/"):
        return None
    try:
        match = resolve(request.path_info + "/")
    except Resolver404:
        return None
    return None if match.url_name == FALLBACK_NAME else match


class ApiFallbackView(APIView):
    """Answers 401 to anonymous callers (the contract's order) and 404 ``not_found`` to others."""

    permission_classes = [IsAuthenticated]
    schema = None  # not an operation of the API

    def dispatch(self, request, *args, **kwargs):
        match = _with_slash(request)
        if match is not None:
            request.path_info += "/"
            request.path += "/"
            request.resolver_match = match
            return match.func(request, *match.args, **match.kwargs)
        return super().dispatch(request, *args, **kwargs)

    def _not_found(self, request, *args, **kwargs):
        raise exceptions.NotFound(_("没有这个接口：%(path)s") % {"path": request.path})

    get = post = put = patch = delete = head = options = _not_found
