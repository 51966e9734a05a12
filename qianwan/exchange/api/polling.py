"""`?since=<cursor>` polling of the exchange lists and the exchange endpoints' parameter allowlist.

With ``since`` a list answers ``{"results": [...], "next_cursor": "..."}``: the events whose last
change number (``change_seq``, see ``qianwan.exchange.models.ChangeCounter``) is above the cursor,
ascending, at most ``page_size`` (default 100, max 500). ``since=`` (empty) starts at the beginning;
an empty ``results`` means caught up, and ``next_cursor`` is then the cursor given. Change numbers
become visible in commit order, so following ``next_cursor`` never skips an event; an event comes
back only after it changed again (acked, worked, …).
"""

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from qianwan.api.pagination import page_size_param

POLL_PAGE_SIZE = 100
POLL_MAX_PAGE_SIZE = 500
_CURSOR = re.compile(r"\d{1,18}")

# query parameters every exchange list accepts besides its filters; detail actions accept only format
LIST_PARAMS = frozenset({"page", "page_size", "since", "format", "cursor", "count"})
DETAIL_PARAMS = frozenset({"format"})

SINCE_PARAMETER = OpenApiParameter(
    "since",
    str,
    required=False,
    description=(
        "Poll by change: the `next_cursor` of the previous answer (empty to start at the beginning). "
        "The answer is then `{results, next_cursor}` in ascending order of last change, `page_size` "
        "default 100, max 500. Not with `page` or `cursor` (400)."
    ),
)


def refuse_unknown_parameters(request, allowed) -> None:
    """400 ``unknown_parameter`` for any query parameter the endpoint does not document."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        message = _("不支持的查询参数：%(names)s。可用参数：%(allowed)s") % {
            "names": "、".join(unknown),
            "allowed": "、".join(sorted(allowed)) or _("（无）"),
        }
        raise exceptions.ValidationError({name: [message] for name in unknown}, code="unknown_parameter")


def parse_since(raw: str) -> int:
    if raw == "":
        return 0
    if not _CURSOR.fullmatch(raw):
        raise exceptions.ValidationError(
            {"since": [_("since 游标无效：请使用上一次响应中的 next_cursor（或留空从头开始）。")]},
            code="cursor_invalid",
        )
    return int(raw)


def poll(view, request) -> Response:
    """The ``since`` answer of ``view``'s list (its scope and filters apply)."""
    clash = [name for name in ("page", "cursor", "count") if name in request.query_params]
    if clash:
        raise exceptions.ValidationError(
            {"since": [_("since 不能与 %(names)s 同时使用。") % {"names": "、".join(clash)}]}
        )
    after = parse_since(request.query_params["since"])
    size = page_size_param(request, default=POLL_PAGE_SIZE, maximum=POLL_MAX_PAGE_SIZE)
    queryset = view.filter_queryset(view.get_queryset()).filter(change_seq__gt=after)
    rows = list(queryset.order_by("change_seq")[:size])
    return Response(
        {
            "results": view.get_serializer(rows, many=True).data,
            "next_cursor": str(rows[-1].change_seq if rows else after),
        }
    )


def list_responses(item_serializer, name: str):
    """The list's two answers for the schema: the page (without ``since``) or the poll (with it)."""

    page = type(
        f"{name}PageSerializer",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(
                allow_null=True, help_text="Exact up to 10,000 matches, else null (`?count=exact` counts)"
            ),
            "count_at_least": serializers.IntegerField(
                required=False, help_text="Present only when `count` is null: 10000"
            ),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer(many=True),
            "__doc__": "A page of the list (without `since`).",
        },
    )
    polled = type(
        f"{name}PollSerializer",
        (serializers.Serializer,),
        {
            "results": item_serializer(many=True),
            "next_cursor": serializers.CharField(help_text="`since` for the next call"),
            "__doc__": "The answer with `?since=`: events changed after the cursor, oldest change first.",
        },
    )
    return {
        200: PolymorphicProxySerializer(
            component_name=f"{name}ListOrPoll",
            serializers=[page, polled],
            resource_type_field_name=None,
            many=False,  # the page is spelled out: no second pagination wrapper
        )
    }
