"""Reads about the organisation: stations, who is on duty, who to notify."""

import math
from datetime import datetime, timedelta

import shapely
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import geo, refcache
from qianwan.kpi import local_tz

from .choices import DutyPost, Role, RoutedBy
from .models import DutyRoster, DutyRotation, DutyRotationMember, Station, User
from .scopes import scope_queryset


def station_list(*, user) -> QuerySet[Station]:
    """Stations are reference data every signed-in staff member may read."""
    return Station.objects.all()


def stations_in_scope(*, user) -> QuerySet[Station]:
    """The stations whose records ``user`` may see and act for: their own for station roles, every
    one for the sub-bureau's roles (what a station choice or a station filter may offer)."""
    return scope_queryset(Station.objects.all(), user, station_field="pk")


@refcache.cached
def station_by_code(code: str) -> Station | None:
    """The station with ``code`` (None if there is none), kept per process (qianwan/refcache.py)."""
    return Station.objects.filter(code=code).first()


def on_duty(*, station: Station | None, at: datetime, post: str = DutyPost.LEADER) -> list[User]:
    """Who the rota puts on duty at ``at`` for ``post`` (station None = the sub-bureau command centre):
    the one-off entries covering ``at`` when there are any (overrides and swaps), else the people the
    repeating rotations give. An empty list means nobody: see ``duty_leaders`` for the fall-back.

    Read from the rota kept per process (qianwan/refcache.py)."""
    station_id = station.pk if station else None
    read_at, rows, rotations = _duty_ahead(station_id)
    if at < read_at:  # an earlier instant than the kept roster covers: ask the database
        rows = _roster_rows(station_id, starts_by=at, ends_after=at)
    explicit = _unique(r.leader for r in rows if r.post == post and r.starts_at <= at < r.ends_at)
    if explicit:
        return explicit
    return _unique(
        member
        for rotation, members in rotations
        if rotation.post == post
        for member in [_rotation_holder(rotation, members, at)]
        if member is not None
    )


def duty_leaders(*, station: Station | None, at: datetime) -> list[User]:
    """Duty leaders of ``station`` at ``at`` (station None = the sub-bureau command centre).

    Falls back to the station's leaders (or the bureau leaders) when the rota has nobody, so a
    reminder is never sent to nobody (the duty board warns of the gap: ``duty_now``)."""
    return on_duty(station=station, at=at) or list(_leaders_by_role(station.pk if station else None))


def _unique(users) -> list[User]:
    return list({u.pk: u for u in users}.values())


def _roster_rows(station_id: int | None, *, ends_after: datetime, starts_by: datetime | None = None):
    rows = DutyRoster.objects.filter(ends_at__gt=ends_after, leader__is_active=True)
    if starts_by is not None:
        rows = rows.filter(starts_at__lte=starts_by)
    rows = rows.filter(station_id=station_id) if station_id else rows.filter(station__isnull=True)
    return list(rows.select_related("leader"))


def _rotation_rows(station_id: int | None) -> list[tuple[DutyRotation, tuple[User, ...]]]:
    """The station's rotations with their active members in order, in one query."""
    members = DutyRotationMember.objects.filter(user__is_active=True).select_related("rotation", "user")
    members = (
        members.filter(rotation__station_id=station_id)
        if station_id
        else members.filter(rotation__station__isnull=True)
    )
    grouped: dict[int, tuple[DutyRotation, list[User]]] = {}
    for m in members.order_by("rotation_id", "position"):
        grouped.setdefault(m.rotation_id, (m.rotation, []))[1].append(m.user)
    return [(rotation, tuple(users)) for rotation, users in grouped.values()]


@refcache.cached
def _duty_ahead(station_id: int | None):
    """The station's one-off entries from a day before it was read on (current and planned), the
    instant from which they are complete (a day back: timers and acknowledgements ask about moments
    just past), and its rotations."""
    since = timezone.now() - timedelta(days=1)
    return since, _roster_rows(station_id, ends_after=since), _rotation_rows(station_id)


def rotation_shift_at(rotation: DutyRotation, at: datetime) -> tuple[int, datetime, datetime] | None:
    """The rotation's shift covering ``at``: (number k, start, end), or None. Shifts never overlap
    their own rotation (a shift is at most one period long), so at most one covers."""
    tz = local_tz()
    local_day = timezone.localtime(at, tz).date()
    first = (local_day - rotation.starts_on).days // rotation.period_days
    for k in (first, first - 1):
        if k < 0:
            continue
        start, end = rotation_shift(rotation, k)
        if rotation.ends_on and start.date() > rotation.ends_on:
            continue
        if start <= at < end:
            return k, start, end
    return None


def rotation_shift(rotation: DutyRotation, k: int) -> tuple[datetime, datetime]:
    """Start and end of shift number ``k`` (local wall-clock time of the station)."""
    day = rotation.starts_on + timedelta(days=k * rotation.period_days)
    start = datetime.combine(day, rotation.shift_start, tzinfo=local_tz())
    return start, start + timedelta(hours=rotation.shift_hours)


def _rotation_holder(rotation: DutyRotation, members: tuple[User, ...], at: datetime) -> User | None:
    if not members:
        return None
    shift = rotation_shift_at(rotation, at)
    return members[shift[0] % len(members)] if shift else None


@refcache.cached
def _leaders_by_role(station_id: int | None) -> tuple[User, ...]:
    if station_id is None:
        return tuple(User.objects.filter(role=Role.BUREAU_LEADER, is_active=True))
    return tuple(User.objects.filter(role=Role.STATION_LEADER, station_id=station_id, is_active=True))


def station_users(*, station: Station, roles=(Role.OFFICER,)) -> QuerySet[User]:
    return User.objects.filter(station=station, role__in=roles, is_active=True)


def users_with_role(*roles) -> QuerySet[User]:
    return User.objects.filter(role__in=roles, is_active=True)


def _haversine_km(lat1, lon1, lat2, lon2) -> float:
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = rlat2 - rlat1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@refcache.cached
def _routing_table() -> tuple:
    """Every active station with its boundary as a prepared shapely geometry (None without one) and
    that geometry's bounds: read and prepared once per process, dropped with the reference data
    whenever a station is saved (qianwan/refcache.py watches Station)."""
    rows = []
    for station in Station.objects.filter(is_active=True).order_by("code"):
        geometry, bounds = None, None
        if station.boundary:
            geometry = geo.geometry_of(station.boundary)
            shapely.prepare(geometry)
            bounds = geometry.bounds
        rows.append((station, geometry, bounds))
    return tuple(rows)


def _nearest(rows, lat: float, lon: float) -> Station | None:
    located = [station for station, _g, _b in rows if station.lat is not None and station.lon is not None]
    return min(located, key=lambda s: _haversine_km(lat, lon, s.lat, s.lon), default=None)


def route_point(*, lat: float | None, lon: float | None) -> tuple[Station | None, str]:
    """The station a WGS84 point belongs to and why: the active station whose boundary contains it
    (``boundary``; a point on a shared border goes to the lower code), else — outside every boundary —
    the station with the nearest headquarters (``nearest``); ``(None, "")`` without a point or a
    located station. No query once the process's reference data is warm."""
    if lat is None or lon is None:
        return None, ""
    rows = _routing_table()
    for station, geometry, bounds in rows:
        if geometry is None or not (bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]):
            continue
        if geo.contains(geometry, lat, lon):
            return station, RoutedBy.BOUNDARY
    station = _nearest(rows, lat, lon)
    return station, (RoutedBy.NEAREST if station else "")


def nearest_station(*, lat: float | None, lon: float | None) -> Station | None:
    """The active station closest to a WGS84 point (None when there is no point or no located station)."""
    if lat is None or lon is None:
        return None
    return _nearest(_routing_table(), lat, lon)


def boundary_clashes(geometry, *, exclude_pk=None) -> list[Station]:
    """Active stations whose boundary meaningfully overlaps ``geometry`` (shared borders are fine) —
    the same check as between patrol zones (qianwan/geo.py)."""
    others = (
        (station, geo.geometry_of(station.boundary))
        for station in Station.objects.filter(is_active=True, boundary__isnull=False).order_by("code")
        if station.pk != exclude_pk
    )
    return geo.overlapping(geometry, others)


# ---------------------------------------------------------------------------------------------------
# The rota pages


def can_keep_rota(user, station: Station | None) -> bool:
    """Station leaders keep their own station's rota; bureau leaders and admins every station's and the
    command centre's."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role in (Role.BUREAU_LEADER, Role.ADMIN):
        return True
    return user.role == Role.STATION_LEADER and station is not None and station.pk == user.station_id


def rota_people(*, station: Station | None) -> QuerySet[User]:
    """Who may be put on a rota: the station's officers and leaders, or for the command centre the
    sub-bureau's leaders and admins."""
    if station is None:
        return User.objects.filter(role__in=[Role.BUREAU_LEADER, Role.ADMIN], is_active=True).order_by(
            "username"
        )
    return User.objects.filter(
        station=station, role__in=[Role.OFFICER, Role.STATION_LEADER], is_active=True
    ).order_by("role", "username")


def rotations_of(*, station: Station | None) -> QuerySet[DutyRotation]:
    qs = DutyRotation.objects.prefetch_related("members__user")
    return qs.filter(station=station) if station else qs.filter(station__isnull=True)


def roster_entries(*, station: Station | None, since: datetime) -> QuerySet[DutyRoster]:
    qs = DutyRoster.objects.filter(ends_at__gt=since).select_related("leader").order_by("starts_at", "pk")
    return qs.filter(station=station) if station else qs.filter(station__isnull=True)


def rotation_shifts(*, rotations, start: datetime, end: datetime) -> list[dict]:
    """Every shift of ``rotations`` (with members prefetched) that overlaps [start, end)."""
    shifts = []
    for rotation in rotations:
        members = [m.user for m in rotation.members.all() if m.user.is_active]
        if not members:
            continue
        first = max(
            0,
            (timezone.localtime(start, local_tz()).date() - rotation.starts_on).days // rotation.period_days
            - 1,
        )
        k = first
        while True:
            s, e = rotation_shift(rotation, k)
            if s >= end or (rotation.ends_on and s.date() > rotation.ends_on):
                break
            if e > start:
                shifts.append(
                    {
                        "rotation": rotation,
                        "k": k,
                        "post": rotation.post,
                        "person": members[k % len(members)],
                        "start": s,
                        "end": e,
                        "source": rotation.name,
                    }
                )
            k += 1
    return shifts


def duty_schedule(*, station: Station | None, post: str, start: datetime, end: datetime) -> list[dict]:
    """The rota of one post over [start, end) as consecutive segments: who is on duty, from which
    source (one-off entries override the rotations), and whether the segment is a gap (nobody) or an
    overlap (two or more people of the same layer at once). Gaps and overlaps are shown, not refused."""
    explicit = [
        {"person": r.leader, "start": r.starts_at, "end": r.ends_at, "source": r.note or str(_("临时安排"))}
        for r in roster_entries(station=station, since=start).filter(post=post, starts_at__lt=end)
    ]
    rotation = [
        s
        for s in rotation_shifts(rotations=rotations_of(station=station), start=start, end=end)
        if s["post"] == post
    ]
    points = {start, end}
    for entry in explicit + rotation:
        points.update(p for p in (entry["start"], entry["end"]) if start < p < end)
    cuts = sorted(points)
    segments: list[dict] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        over = [e for e in explicit if e["start"] <= a and e["end"] >= b]
        layer, kind = (
            (over, "override")
            if over
            else ([e for e in rotation if e["start"] <= a and e["end"] >= b], "rotation")
        )
        people = _unique(e["person"] for e in layer)
        sources = sorted({e["source"] for e in layer})
        key = (tuple(p.pk for p in people), kind, tuple(sources))
        if segments and segments[-1]["key"] == key and segments[-1]["end"] == a:
            segments[-1]["end"] = b
            continue
        segments.append(
            {
                "key": key,
                "start": a,
                "end": b,
                "people": people,
                "kind": kind if people else "gap",
                "sources": sources,
                "gap": not people,
                "overlap": len(people) > 1,
            }
        )
    return segments


def duty_now(*, station: Station | None, at: datetime | None = None) -> dict:
    """The "now on duty" panel of one station (or the command centre): the duty leaders and on-duty
    officers the rota gives now, and, when no leader is on the rota, who the reminders fall back to."""
    at = at or timezone.now()
    leaders = on_duty(station=station, at=at, post=DutyPost.LEADER)
    return {
        "station": station,
        "leaders": leaders,
        "officers": on_duty(station=station, at=at, post=DutyPost.OFFICER),
        "gap": not leaders,
        "fallback": [] if leaders else list(_leaders_by_role(station.pk if station else None)),
    }


def duty_now_panel(*, user, station: Station | None = None, at: datetime | None = None) -> list[dict]:
    """The panel rows for ``user``: their own station (station roles), the chosen station, or every
    active station in scope and the command centre (sub-bureau roles)."""
    if station is not None:
        return [duty_now(station=station, at=at)]
    if user.role in (Role.OFFICER, Role.STATION_LEADER):
        return [duty_now(station=user.station, at=at)] if user.station_id else []
    if user.role not in (Role.BUREAU_LEADER, Role.ADMIN):
        return []
    rows = [duty_now(station=s, at=at) for s in stations_in_scope(user=user).filter(is_active=True)]
    return [duty_now(station=None, at=at), *rows]
