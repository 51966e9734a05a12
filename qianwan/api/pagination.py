from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


def page_size_param(request, *, default: int, maximum: int = 500) -> int:
    """``?page_size=`` as a whole number from 1 to ``maximum`` (else 400 ``page_size_invalid``)."""
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        message = _("page_size 须为 1 到 %(max)s 之间的整数。") % {"max": maximum}
        raise exceptions.ValidationError({"page_size": [message]}, code="page_size_invalid")
    return size


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` with `?page_size=` 1–500 (else 400, the contract)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        return page_size_param(request, default=self.page_size, maximum=self.max_page_size)
