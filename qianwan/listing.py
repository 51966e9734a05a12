"""One list page for every module (issue 19 item 4, issue 21): filters, a default window, the table,
the export, and bounded pagination.

``render_list(request, template, filterset=..., window=..., export=...)`` is the whole of a list
view: bad filter input is the 400 page with the errors next to the fields and no rows (the export too);
when the URL names no period the list opens on its :class:`Window` (the filter bar shows it and offers
"全部时间", ``?period=all``); ``?export=xlsx`` hands the same rows to the view's export function;
otherwise a :class:`ListPage` of 50 rows: "共 1,234 条" while at most 10,000 match, "超过 10,000 条"
with a "精确计数" link (``?count=exact``) above that, keyset cursor links (``?cursor=``) to move on
— the same signed cursors as the API's (``qianwan.api.pagination``) — and ``?page=N`` up to the
10,000th row.

Templates include ``partials/list_window.html`` in the filter bar and ``partials/pagination.html``
below the table; ``page`` iterates like Django's ``Page``.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import BadRequest
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.api.pagination import (
    COUNT_LIMIT,
    CursorInvalid,
    bounded_count,
    cursor_binding,
    keyset,
    keyset_page,
    make_cursor,
    read_cursor,
)
from qianwan.exports import ListExport
from qianwan.exports import respond as respond_export
from qianwan.filtering import empty_page, filtered

PER_PAGE = 50
ALL_TIME = "all"


@dataclass(frozen=True)
class Window:
    """A list's default period: the last ``days`` days of ``field`` (plus the rows ``still_open``
    matches, whatever their age), applied only when none of ``period_params`` is in the URL and
    ``?period=all`` is not."""

    days: int
    field: str
    period_params: tuple[str, ...]
    still_open: Q | None = None
    label: str = ""

    def describe(self) -> str:
        if self.still_open is not None:
            return _("最近 %(days)s 天及全部未办结") % {"days": self.days}
        return _("最近 %(days)s 天") % {"days": self.days}


@dataclass
class WindowState:
    window: Window
    applied: bool
    all_time_query: str
    windowed_query: str
    text: str = field(default="")
    count_parts: list | None = None  # disjoint querysets whose counts add up to the list's


def window_applies(request, window: Window | None) -> bool:
    if window is None:
        return False
    if request.GET.get("period") == ALL_TIME:
        return False
    return not any(request.GET.get(name) for name in window.period_params)


def apply_window(request, queryset, window: Window | None):
    """``(queryset, state)``: the queryset narrowed to the window when the URL names no period."""
    if window is None:
        return queryset, None
    applied = window_applies(request, window)
    count_parts = None
    if applied:
        since = timezone.now() - timedelta(days=window.days)
        recent = Q(**{f"{window.field}__gte": since})
        condition = recent
        if window.still_open is not None:
            condition |= window.still_open
            # counted as two disjoint parts, each on its own index: counted as one, the OR made the
            # planner walk every row of a 10M table looking for the first 10,001 (820 ms)
            count_parts = [queryset.filter(recent), queryset.filter(window.still_open).exclude(recent)]
        queryset = queryset.filter(condition)
    query = request.GET.copy()
    for name in ("page", "cursor", "count", "export"):
        query.pop(name, None)
    all_time = query.copy()
    all_time["period"] = ALL_TIME
    windowed = query.copy()
    windowed.pop("period", None)
    for name in window.period_params:
        windowed.pop(name, None)
    state = WindowState(
        window=window,
        applied=applied,
        all_time_query=all_time.urlencode(),
        windowed_query=windowed.urlencode(),
        text=window.describe(),
        count_parts=count_parts,
    )
    return queryset, state


class ListPage:
    """One page of a list with a bounded count and cursor links; iterates like Django's ``Page``."""

    def __init__(self, request, queryset, *, per_page: int = PER_PAGE, count_parts=None):
        self.request = request
        params = request.GET
        self.exact = params.get("count") == "exact"
        keys = keyset(queryset)
        raw_cursor = params.get("cursor")
        self.number = None
        binding = None
        if keys is not None:
            binding = cursor_binding(path=request.path, params=params, keys=keys, user=request.user)
        if raw_cursor and keys is not None:
            try:
                values, backwards = read_cursor(raw_cursor, keys, binding)
            except CursorInvalid:
                raise BadRequest(_("翻页链接无效或已过期，请回到第一页重新翻页。")) from None
            rows, more = keyset_page(queryset, keys, size=per_page, values=values, backwards=backwards)
            self.has_next = more if not backwards else True
            self.has_previous = more if backwards else True
        else:
            try:
                number = max(1, int(params.get("page") or 1))
            except ValueError:
                number = 1
            number = min(number, COUNT_LIMIT // per_page)
            self.number = number
            if keys is not None:
                queryset = queryset.order_by(*[k.order_expression() for k in keys])
            start = (number - 1) * per_page
            rows = list(queryset[start : start + per_page + 1])
            self.has_next = len(rows) > per_page
            rows = rows[:per_page]
            self.has_previous = number > 1
            if self.has_next and keys is None and (number + 1) * per_page > COUNT_LIMIT:
                self.has_next = False
        self.object_list = rows
        self.keys, self.binding = keys, binding
        # always one counting query (bounded), so a page's queries do not depend on its rows
        self.count = _count(count_parts or [queryset], exact=self.exact)
        self.count_at_least = COUNT_LIMIT if self.count is None else None

    is_bounded = True

    @property
    def count_text(self) -> str:
        if self.count is None:
            return _("超过 %(n)s 条") % {"n": f"{COUNT_LIMIT:,}"}
        return _("共 %(n)s 条") % {"n": f"{self.count:,}"}

    # Page-like
    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __bool__(self):
        return bool(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    @property
    def paginator(self):
        return self

    @property
    def num_pages(self):
        return None

    # links
    def _query(self, **changes) -> str:
        query = self.request.GET.copy()
        for name in ("page", "cursor", "export"):
            query.pop(name, None)
        for name, value in changes.items():
            if value is None:
                query.pop(name, None)
            else:
                query[name] = value
        return "?" + query.urlencode()

    @property
    def next_url(self) -> str | None:
        if not self.has_next or not self.object_list:
            return None
        if self.keys is not None:
            return self._query(cursor=make_cursor(self.object_list[-1], self.keys, self.binding))
        return self._query(page=str(self.number + 1))

    @property
    def previous_url(self) -> str | None:
        if not self.has_previous:
            return None
        if self.number is not None:
            return self._query(page=str(self.number - 1) if self.number > 2 else None)
        if not self.object_list:
            return None
        return self._query(cursor=make_cursor(self.object_list[0], self.keys, self.binding, backwards=True))

    @property
    def exact_url(self) -> str:
        query = self.request.GET.copy()
        query.pop("export", None)
        query["count"] = "exact"
        return "?" + query.urlencode()

    @property
    def first_url(self) -> str:
        return self._query()


def _count(parts, *, exact: bool) -> int | None:
    """The bounded count of the union of disjoint querysets (None above ``COUNT_LIMIT``)."""
    total = 0
    for part in parts:
        n = bounded_count(part, exact=exact, limit=COUNT_LIMIT - total)
        if n is None:
            return None
        total += n
    return total


def list_page(request, queryset, *, per_page: int = PER_PAGE, window: WindowState | None = None) -> ListPage:
    return ListPage(request, queryset, per_page=per_page, count_parts=window.count_parts if window else None)


def page_context(request, queryset, *, window: Window | None = None, per_page: int = PER_PAGE) -> dict:
    """``page`` and ``window`` for a page that shows a list beside other things (no filter form):
    the rows narrowed to ``window`` when the URL names no period, one :class:`ListPage` of them."""
    queryset, state = apply_window(request, queryset, window)
    return {"page": list_page(request, queryset, per_page=per_page, window=state), "window": state}


def render_list(
    request,
    template: str,
    *,
    filterset,
    window: Window | None = None,
    export=None,
    context=None,
    station_fields=("station",),
    per_page: int = PER_PAGE,
    queryset=None,
):
    """The shared list view (module docstring). ``export(request, queryset)`` answers ``?export=xlsx``;
    ``context(page)`` adds what the template needs besides ``filter``, ``page`` and ``window``;
    ``queryset(qs)`` may reorder or decorate the filtered rows (a sort menu)."""
    qs = filtered(filterset, user=request.user, station_fields=station_fields)
    if qs is None:
        extra = context(None) if context else {}
        page = empty_page(filterset.queryset, per_page)
        return render(request, template, {"filter": filterset, "page": page, **extra}, status=400)
    if queryset is not None:
        qs = queryset(qs)
    qs, state = apply_window(request, qs, window)
    if export is not None and request.GET.get("export") == "xlsx":
        if isinstance(export, ListExport):
            return respond_export(request, export, qs)  # a file, or a background job above 100,000 rows
        return export(request, qs)
    page = list_page(request, qs, per_page=per_page, window=state)
    query = request.GET.copy()
    for name in ("page", "cursor", "count"):
        query.pop(name, None)
    query["export"] = "xlsx"
    extra = context(page) if context else {}
    return render(
        request,
        template,
        {"filter": filterset, "page": page, "window": state, "export_query": query.urlencode(), **extra},
    )
