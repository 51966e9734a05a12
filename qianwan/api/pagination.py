"""The API's one pagination class (api-contract.md, "Lists are paginated").

Body: ``{"count": N|null, "next": url|null, "previous": url|null, "results": [...]}``.

- **Bounded counts.** ``count`` is exact while at most ``COUNT_LIMIT`` (10,000) records match; above
  that it is ``null`` and the body adds ``"count_at_least": 10000`` (counting 10 million rows costs
  more than the page). ``?count=exact`` always counts.
- **Cursor pages.** A list whose ordering is made of model fields is paged by a keyset cursor
  (``?cursor=``): the ordering plus ``pk`` as a unique tie-break, the last row's values signed with
  Django's signing and bound to the list's path, its filters, its ordering and the caller. Following
  ``next`` yields every record that matched at the start once, in order, whatever is written meanwhile,
  and a deep page costs what page one costs. ``next`` and ``previous`` are cursor links.
- ``?page=N`` keeps working while ``N × page_size ≤ 10,000`` (else 400 ``page_too_deep``); a list
  whose ordering is not keyset-able (a related model's ordering, an expression) pages by number only.
- ``?page_size=`` 1–500, else 400 ``page_size_invalid``; a cursor that was tampered with, truncated or
  issued for another list, filter, ordering or caller → 400 ``cursor_invalid``.

Views that page by hand (HTML lists) use :func:`keyset_page` and :func:`bounded_count` directly.
"""

import datetime
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

COUNT_LIMIT = 10_000
MAX_PAGE_SIZE = 500
CURSOR_SALT = "qianwan.api.pagination.cursor"
# query parameters that move through a list rather than filter it (not part of a cursor's binding)
NAVIGATION_PARAMS = frozenset({"cursor", "page", "page_size", "count", "format"})


def page_size_param(request, *, default: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """``?page_size=`` as a whole number from 1 to ``maximum`` (else 400 ``page_size_invalid``)."""
    raw = (
        request.query_params.get("page_size")
        if hasattr(request, "query_params")
        else request.GET.get("page_size")
    )
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


# --- counting -------------------------------------------------------------------------------------


def bounded_count(queryset, *, exact: bool = False, limit: int = COUNT_LIMIT) -> int | None:
    """The number of rows, or None when more than ``limit`` match (unless ``exact``): the database
    stops after ``limit + 1`` rows instead of counting them all."""
    if not hasattr(queryset, "query"):  # a list a view built itself
        n = len(queryset)
        return n if exact or n <= limit else None
    if exact:
        return queryset.order_by().count()
    n = queryset.order_by()[: limit + 1].count()
    return n if n <= limit else None


# --- keyset ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One ordering term: a model field path, its direction and whether it can be NULL."""

    path: str
    descending: bool
    nullable: bool

    @property
    def spelled(self) -> str:
        return ("-" if self.descending else "") + self.path

    def order_expression(self):
        # NULLs where PostgreSQL puts them by default (last ascending, first descending), so that an
        # index on the field serves the order; spelled out so that every database agrees
        if not self.nullable:
            return F(self.path).desc() if self.descending else F(self.path).asc()
        if self.descending:
            return F(self.path).desc(nulls_first=True)
        return F(self.path).asc(nulls_last=True)

    def after(self, value) -> Q:
        """Rows whose value sorts strictly after ``value``."""
        nulls_last = not self.descending
        if value is None:
            return Q(**{f"{self.path}__isnull": False}) if not nulls_last else Q(pk__in=[])
        q = Q(**{f"{self.path}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and nulls_last:
            q |= Q(**{f"{self.path}__isnull": True})
        return q

    def equal(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.path}__isnull": True})
        return Q(**{self.path: value})

    def flipped(self) -> "Key":
        return Key(self.path, not self.descending, self.nullable)


def _field_for(model, path: str):
    """The concrete non-relational field at the end of ``path`` (``a__b__c``), else None."""
    parts = path.split("__")
    field = None
    nullable = False
    for i, part in enumerate(parts):
        if part == "pk":
            part = model._meta.pk.name
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation:
            if i == len(parts) - 1 or field.many_to_many or field.one_to_many:
                return None  # ordering by a relation means its model's ordering: not a key
            nullable = nullable or field.null
            model = field.related_model
            continue
        if not getattr(field, "concrete", False):
            return None
        nullable = nullable or field.null
    return field, nullable


def keyset(queryset) -> list[Key] | None:
    """The queryset's ordering as keys ending in a unique ``pk``, or None if it cannot be a keyset."""
    if not hasattr(queryset, "query"):
        return None
    query = queryset.query
    terms = list(query.order_by) or list(query.get_meta().ordering or [])
    if query.distinct_fields or query.combinator:
        return None
    keys: list[Key] = []
    model = queryset.model
    for term in terms:
        if isinstance(term, OrderBy) and isinstance(term.expression, F):
            path, descending = term.expression.name, term.descending
        elif isinstance(term, str) and term and term != "?":
            path, descending = term.lstrip("-"), term.startswith("-")
        else:
            return None
        if path in query.annotations:
            return None
        found = _field_for(model, path)
        if found is None:
            return None
        field, nullable = found
        if field.primary_key and "__" not in path:
            path = "pk"
        keys.append(Key(path, descending, nullable))
        if path == "pk":
            break
    if not keys or keys[-1].path != "pk":
        descending = keys[0].descending if keys else False
        keys.append(Key("pk", descending, False))
    return keys


def _value_of(row, path: str):
    value = row
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def _encode(value):
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, datetime.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"n": str(value)}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        kind, raw = next(iter(value.items()))
        if not isinstance(raw, str):
            raise ValueError(raw)
        parsed = {
            "t": parse_datetime,
            "d": parse_date,
            "n": decimal.Decimal,
            "u": uuid.UUID,
        }[kind](raw)
        if parsed is None:
            raise ValueError(raw)
        return parsed
    if isinstance(value, dict | list):
        raise ValueError(value)
    return value


def cursor_binding(*, path: str, params, keys: list[Key], user) -> str:
    """What a cursor is bound to: the list, its filters (every query parameter that is not navigation),
    its ordering and the caller."""
    filters = sorted(
        (name, sorted(params.getlist(name))) for name in params.keys() if name not in NAVIGATION_PARAMS
    )
    subject = json.dumps(
        [path, filters, [k.spelled for k in keys], getattr(user, "pk", None)], ensure_ascii=False
    )
    return hashlib.sha256(subject.encode()).hexdigest()[:24]


def make_cursor(row, keys: list[Key], binding: str, *, backwards: bool = False) -> str:
    values = [_encode(_value_of(row, k.path)) for k in keys]
    return signing.dumps({"b": binding, "v": values, "r": int(backwards)}, salt=CURSOR_SALT, compress=True)


class CursorInvalid(Exception):
    pass


def read_cursor(raw: str, keys: list[Key], binding: str) -> tuple[list, bool]:
    """The position and direction a cursor names; ``CursorInvalid`` for anything else."""
    try:
        data = signing.loads(raw, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise CursorInvalid from exc
    if not isinstance(data, dict) or data.get("b") != binding:
        raise CursorInvalid
    values = data.get("v")
    if not isinstance(values, list) or len(values) != len(keys) or data.get("r") not in (0, 1):
        raise CursorInvalid
    try:
        return [_decode(v) for v in values], bool(data["r"])
    except (ValueError, KeyError, decimal.InvalidOperation) as exc:
        raise CursorInvalid from exc


def after_position(keys: list[Key], values: list) -> Q:
    """Rows strictly after the position ``values`` in the order of ``keys`` (lexicographic)."""
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= prefix & key.after(value)
        prefix &= key.equal(value)
    first, value = keys[0], values[0]
    if not first.nullable and value is not None:
        # the same rows, plus a plain range on the leading key that an index can seek to: a deep page
        # then reads what page one reads instead of filtering every row before the position
        condition &= Q(**{f"{first.path}__{'lte' if first.descending else 'gte'}": value})
    return condition


def keyset_page(queryset, keys: list[Key], *, size: int, values=None, backwards: bool = False):
    """One page after (or, ``backwards``, before) the position ``values`` (None: from the start).

    Returns ``(rows, more)``: ``more`` says whether rows lie beyond the page in the walking direction."""
    walk = [k.flipped() for k in keys] if backwards else keys
    qs = queryset.order_by(*[k.order_expression() for k in walk])
    if values is not None:
        qs = qs.filter(after_position(walk, values))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    return rows, more


# --- the API's pagination class -------------------------------------------------------------------


def page_too_deep(size: int) -> exceptions.ValidationError:
    message = _(
        "page 只能翻到第 %(limit)s 条记录（当前每页 %(size)s 条，最多第 %(pages)s 页）；更深的页请沿响应中的 next 链接翻页。"
    ) % {"limit": f"{COUNT_LIMIT:,}", "size": size, "pages": COUNT_LIMIT // size}
    return exceptions.ValidationError({"page": [message]}, code="page_too_deep")


def cursor_invalid() -> exceptions.ValidationError:
    message = _(
        "cursor 无效：它被改动过，或属于另一个列表、筛选条件、排序或用户。请从第一页重新开始，沿 next 链接翻页。"
    )
    return exceptions.ValidationError({"cursor": [message]}, code="cursor_invalid")


def want_exact_count(params) -> bool:
    raw = params.get("count")
    if raw in (None, ""):
        return False
    if raw != "exact":
        raise exceptions.ValidationError({"count": [_("count 只能为 exact（精确计数）。")]})
    return True


def page_number(params, size: int) -> int:
    raw = params.get("page")
    if raw in (None, ""):
        return 1
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise exceptions.ValidationError({"page": [_("page 须为正整数。")]})
    if number * size > COUNT_LIMIT:
        raise page_too_deep(size)
    return number


class Pagination(BasePagination):
    """See the module docstring. The default pagination class of every API list."""

    page_size = 50
    max_page_size = MAX_PAGE_SIZE
    count_limit = COUNT_LIMIT

    def get_page_size(self, request):
        return page_size_param(request, default=self.page_size, maximum=self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        params = request.query_params
        size = self.get_page_size(request)
        exact = want_exact_count(params)
        raw_cursor = params.get("cursor")
        if raw_cursor is not None and params.get("page") not in (None, ""):
            raise exceptions.ValidationError({"cursor": [_("cursor 不能与 page 同时使用。")]})
        self.keys = keyset(queryset)
        self.binding = None
        if self.keys is not None:
            self.binding = cursor_binding(path=request.path, params=params, keys=self.keys, user=request.user)
        self.number = None
        if raw_cursor is not None:
            if self.keys is None:
                raise cursor_invalid()
            try:
                values, backwards = read_cursor(raw_cursor, self.keys, self.binding)
            except CursorInvalid:
                raise cursor_invalid() from None
            rows, more = keyset_page(queryset, self.keys, size=size, values=values, backwards=backwards)
            self.has_next = more if not backwards else True
            self.has_previous = more if backwards else True
        else:
            self.number = page_number(params, size)
            if self.keys is not None:
                queryset = queryset.order_by(*[k.order_expression() for k in self.keys])
            start = (self.number - 1) * size
            rows = list(queryset[start : start + size + 1])
            if not rows and self.number > 1:
                raise exceptions.NotFound(_("没有这一页。"))
            self.has_next = len(rows) > size
            rows = rows[:size]
            self.has_previous = self.number > 1
            if self.has_next and (self.number + 1) * size > COUNT_LIMIT and self.keys is None:
                self.has_next = False  # no deeper page by number; keyset-less lists end here
        # always one counting query (bounded), so a list's queries do not depend on its rows
        self.count = bounded_count(queryset, exact=exact, limit=self.count_limit)
        self.rows = rows
        return rows

    # links

    def _url(self):
        return self.request.build_absolute_uri()

    def _cursor_link(self, row, *, backwards: bool) -> str:
        url = remove_query_param(self._url(), "page")
        cursor = make_cursor(row, self.keys, self.binding, backwards=backwards)
        return replace_query_param(url, "cursor", cursor)

    def get_next_link(self):
        if not self.has_next or not self.rows:
            return None
        if self.keys is not None:
            return self._cursor_link(self.rows[-1], backwards=False)
        return replace_query_param(self._url(), "page", self.number + 1)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if self.number is not None:  # reached by number: the page before, by number
            url = remove_query_param(self._url(), "cursor")
            if self.number == 2:
                return remove_query_param(url, "page")
            return replace_query_param(url, "page", self.number - 1)
        if not self.rows:
            return None
        return self._cursor_link(self.rows[0], backwards=True)

    def get_paginated_response(self, data):
        body = {"count": self.count}
        if self.count is None:
            body["count_at_least"] = self.count_limit
        body.update(next=self.get_next_link(), previous=self.get_previous_link(), results=data)
        return Response(body)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "example": 123,
                    "description": (
                        f"Exact while at most {COUNT_LIMIT:,} records match; above that null (then "
                        "`count_at_least` is present). `?count=exact` always counts."
                    ),
                },
                "count_at_least": {
                    "type": "integer",
                    "example": COUNT_LIMIT,
                    "description": f"Present only when `count` is null: at least {COUNT_LIMIT:,} records match.",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page: an opaque `cursor` link on time-ordered lists.",
                    "example": "https://example.org/api/v1/incidents/?cursor=eyJi…",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://example.org/api/v1/incidents/?page=3",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": f"Page number, while page × page_size ≤ {COUNT_LIMIT:,} (else 400 `page_too_deep`).",
                "schema": {"type": "integer"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Records per page, 1–{MAX_PAGE_SIZE} (else 400 `page_size_invalid`).",
                "schema": {"type": "integer"},
            },
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next`/`previous` link (400 `cursor_invalid` if altered).",
                "schema": {"type": "string"},
            },
            {
                "name": "count",
                "required": False,
                "in": "query",
                "description": f"`exact`: count every match (else the count stops at {COUNT_LIMIT:,}).",
                "schema": {"type": "string", "enum": ["exact"]},
            },
        ]
