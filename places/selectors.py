"""Reading places: address type-ahead (trigram on PostgreSQL, a plain match on SQLite), repeat calls,
and the one search box across modules, each within the caller's scope."""

import math
import re
from datetime import timedelta

from django.db import connection
from django.db.models import F, FloatField, Func, Q, QuerySet, Value
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from qianwan.org.choices import STAFF_ROLES
from qianwan.org.scopes import scope_queryset
from qianwan.validators import normalize_phone

from .models import AddressImportJob, StandardAddress

MIN_QUERY = 2
MAX_QUERY = 100
REPEAT_WINDOW = timedelta(hours=72)
REPEAT_RADIUS_M = 100.0
METRES_PER_DEGREE = 111_320.0


class QueryTooShort(ValueError):
    pass


def clean_query(raw) -> str:
    """The search text: control characters and NULs dropped, whitespace collapsed, at most 100
    characters; shorter than 2 characters → ``QueryTooShort`` (a hint, never a full-table scan)."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(raw or ""))
    text = " ".join(text.split())[:MAX_QUERY]
    if len(text.replace(" ", "")) < MIN_QUERY:
        raise QueryTooShort(_("请至少输入 2 个字符。"))
    return text


def _trigram() -> bool:
    return connection.vendor == "postgresql"


class Similarity(Func):
    function = "similarity"
    output_field = FloatField()


def address_list(*, user) -> QuerySet[StandardAddress]:
    """The register a user may read: the whole register for staff (it is the district's shared
    reference, like the stations), nothing for other roles."""
    qs = StandardAddress.objects.select_related("station", "block")
    return qs if getattr(user, "role", None) in STAFF_ROLES and user.is_active else qs.none()


CANDIDATES = 500  # matches ranked at most: a common word (a town's name) matches tens of thousands
TRIGRAM = 3  # pg_trgm indexes words of at least 3 characters


def _word_q(word: str, *, trigram: bool) -> Q:
    """One typed word. On PostgreSQL a word of 3+ characters is matched anywhere in the address (the
    trigram index); a shorter one (no trigram to look up) at the start of the road, community or street
    name, or of the code (btree prefix indexes): type-ahead users type the beginning of a name."""
    if not trigram or len(word) >= TRIGRAM:
        return Q(text__icontains=word)
    return (
        Q(road__startswith=word)
        | Q(community__startswith=word)
        | Q(street__startswith=word)
        | Q(code__startswith=word.upper())
    )


def address_matches(qs: QuerySet[StandardAddress], text: str, *, trigram: bool | None = None):
    """Addresses matching every word of ``text``, best match first. On PostgreSQL the candidates (at
    most 500, found through the trigram and prefix indexes) are ranked by trigram ``similarity()``;
    elsewhere (SQLite) a plain ``icontains`` match of every word, ranked by the shortest address."""
    trigram = _trigram() if trigram is None else trigram
    words = text.split()
    for word in words:
        qs = qs.filter(_word_q(word, trigram=trigram))
    if trigram:
        candidates = qs.order_by().values("pk")[:CANDIDATES]
        ranked = qs.model.objects.filter(pk__in=candidates).select_related("station", "block")
        return ranked.annotate(rank=Similarity(F("text"), Value(text))).order_by(
            "-rank", Length("text"), "id"
        )
    return qs.order_by(Length("text"), "text", "id")


def import_job_list(*, user) -> QuerySet[AddressImportJob]:
    qs = AddressImportJob.objects.select_related("created_by")
    if getattr(user, "role", None) not in STAFF_ROLES:
        return qs.none()
    if user.role in ("admin", "bureau_leader"):
        return qs
    return qs.filter(created_by=user)


# --- repeat calls --------------------------------------------------------------------------------------


def _distance_m(lat1, lon1, lat2, lon2) -> float:
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = rlat2 - rlat1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(a))


# the 100 m test's index on PostgreSQL (incidents migration 0017): a ~100 m grid cell of the point,
# then the time; a box of ±100 m lies in at most 3 × 3 cells (4 across in the far north)
NEARBY_CELL_SQL = 'floor({t}."lat" * 1000)::bigint * 1000000 + floor({t}."lon" * 1000)::bigint'


def _box(lat: float, lon: float) -> tuple[float, float]:
    dlat = REPEAT_RADIUS_M / METRES_PER_DEGREE
    return dlat, dlat / max(math.cos(math.radians(lat)), 0.01)


def repeat_arms(*, phone: str = "", standard_address_id=None, lat=None, lon=None) -> list[Q]:
    """The ways an earlier call can be repeated: the same normalised phone, the same standard address,
    or within 100 m (a bounding box; :func:`within_radius` keeps the ones really within 100 m)."""
    arms = []
    phone = normalize_phone(phone or "")
    if phone:
        arms.append(Q(caller_phone=phone))
    if standard_address_id:
        arms.append(Q(standard_address_id=standard_address_id))
    if lat is not None and lon is not None:
        dlat, dlon = _box(lat, lon)
        arms.append(Q(lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon)))
    return arms


def repeat_q(*, phone: str = "", standard_address_id=None, lat=None, lon=None) -> Q | None:
    """Any of :func:`repeat_arms`; None: nothing to match."""
    q = Q()
    for arm in repeat_arms(phone=phone, standard_address_id=standard_address_id, lat=lat, lon=lon):
        q |= arm
    return q or None


def _why(row, *, phone, standard_address_id, lat, lon) -> list[str]:
    reasons = []
    if phone and row.caller_phone == phone:
        reasons.append("phone")
    if standard_address_id and row.standard_address_id == standard_address_id:
        reasons.append("address")
    if lat is not None and row.lat is not None and row.lon is not None:
        if _distance_m(lat, lon, row.lat, row.lon) <= REPEAT_RADIUS_M:
            reasons.append("nearby")
    return reasons


def repeat_calls(
    qs, *, before, phone: str = "", standard_address_id=None, lat=None, lon=None, exclude_pk=None, limit=20
) -> list:
    """The incidents of ``qs`` received in the 72 hours before ``before`` that repeat a call, newest
    first, each with ``repeat_reasons`` (``phone``, ``address``, ``nearby``)."""
    q = repeat_q(phone=phone, standard_address_id=standard_address_id, lat=lat, lon=lon)
    if q is None:
        return []
    phone = normalize_phone(phone or "")
    rows = qs.filter(q, received_at__gte=before - REPEAT_WINDOW, received_at__lte=before)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    out = []
    for row in rows.order_by("-received_at", "-id")[: limit * 3]:
        row.repeat_reasons = _why(row, phone=phone, standard_address_id=standard_address_id, lat=lat, lon=lon)
        if row.repeat_reasons:
            out.append(row)
    return out[:limit]


def incident_repeats(incident, *, user, qs=None, limit=50) -> list:
    """An incident's repeats within the caller's scope (``GET /api/v1/incidents/{id}/repeats/``)."""
    from incidents.models import Incident

    qs = scope_queryset(qs if qs is not None else Incident.objects.select_related("station"), user)
    return repeat_calls(
        qs,
        before=incident.received_at,
        phone=incident.caller_phone,
        standard_address_id=incident.standard_address_id,
        lat=incident.lat,
        lon=incident.lon,
        exclude_pk=incident.pk,
        limit=limit,
    )


def repeat_count(*, received_at, phone="", standard_address_id=None, lat=None, lon=None) -> int:
    """How many earlier calls (any station) this call repeats — one query, stored on the incident at
    intake (the 重复报警 mark and the KPI count). The 100 m test is the bounding box here.

    On PostgreSQL the query is a union of one lookup per way, each on its own index, the 100 m arm
    cell by cell on its (grid cell, time) index (``NEARBY_CELL_SQL``): as one OR, or with the cells
    costed as one list, the planner read every call of the 72 hours (21,000 at 10M, 8 ms of each
    intake, against 0.1 ms). Written as SQL because it runs on every call taken; the table's name and
    the column expressions are constants, every value a parameter."""
    from incidents.models import Incident

    earliest = received_at - REPEAT_WINDOW
    if connection.vendor != "postgresql":
        q = repeat_q(phone=phone, standard_address_id=standard_address_id, lat=lat, lon=lon)
        if q is None:
            return 0
        return Incident.objects.filter(q, received_at__gte=earliest, received_at__lte=received_at).count()
    table = connection.ops.quote_name(Incident._meta.db_table)
    window = "received_at >= %s AND received_at <= %s"
    parts, params = [], []
    phone = normalize_phone(phone or "")
    if phone:
        parts.append(f"SELECT id FROM {table} WHERE caller_phone = %s AND {window}")  # noqa: S608
        params += [phone, earliest, received_at]
    if standard_address_id:
        parts.append(f"SELECT id FROM {table} WHERE standard_address_id = %s AND {window}")  # noqa: S608
        params += [standard_address_id, earliest, received_at]
    if lat is not None and lon is not None:
        dlat, dlon = _box(lat, lon)
        cells = [
            a * 1_000_000 + b
            for a in range(math.floor((lat - dlat) * 1000), math.floor((lat + dlat) * 1000) + 1)
            for b in range(math.floor((lon - dlon) * 1000), math.floor((lon + dlon) * 1000) + 1)
        ]
        # OFFSET 0 keeps the subquery per cell (flattened, the planner went back to the time index)
        parts.append(
            f"SELECT i.id FROM unnest(%s::bigint[]) AS c(cell) CROSS JOIN LATERAL (SELECT id FROM {table} "  # noqa: S608
            f"WHERE ({NEARBY_CELL_SQL.format(t=table)}) = c.cell AND {window} "
            "AND lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s OFFSET 0) AS i"
        )
        params += [cells, earliest, received_at, lat - dlat, lat + dlat, lon - dlon, lon + dlon]
    if not parts:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({' UNION '.join(parts)}) AS repeats", params)  # noqa: S608
        return cursor.fetchone()[0]
