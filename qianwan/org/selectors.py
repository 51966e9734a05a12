"""Reads about the organisation: stations, who is on duty, who to notify."""

import math
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from qianwan import refcache

from .choices import Role
from .models import DutyRoster, Station, User
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


def duty_leaders(*, station: Station | None, at: datetime) -> list[User]:
    """Duty leaders of ``station`` at ``at`` (station None = the sub-bureau command centre).

    Falls back to the station's leaders (or the bureau leaders) when the roster has no entry, so a
    reminder is never sent to nobody. Read from the roster kept per process (qianwan/refcache.py).
    """
    station_id = station.pk if station else None
    read_at, rows = _roster_ahead(station_id)
    if at < read_at:  # an earlier instant than the kept roster covers: ask the database
        rows = _roster_rows(station_id, starts_by=at, ends_after=at)
    leaders = [r.leader for r in rows if r.starts_at <= at < r.ends_at]
    return leaders or list(_leaders_by_role(station_id))


def _roster_rows(station_id: int | None, *, ends_after: datetime, starts_by: datetime | None = None):
    rows = DutyRoster.objects.filter(ends_at__gt=ends_after, leader__is_active=True)
    if starts_by is not None:
        rows = rows.filter(starts_at__lte=starts_by)
    rows = rows.filter(station_id=station_id) if station_id else rows.filter(station__isnull=True)
    return list(rows.select_related("leader"))


@refcache.cached
def _roster_ahead(station_id: int | None) -> tuple[datetime, list[DutyRoster]]:
    """The station's roster entries from a day before it was read on (current and planned), and the
    instant from which they are complete (a day back: timers and acknowledgements ask about moments
    just past)."""
    since = timezone.now() - timedelta(days=1)
    return since, _roster_rows(station_id, ends_after=since)


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


def nearest_station(*, lat: float | None, lon: float | None) -> Station | None:
    """The active station closest to a WGS84 point (None when there is no point or no located station)."""
    if lat is None or lon is None:
        return None
    stations = Station.objects.filter(is_active=True, lat__isnull=False, lon__isnull=False)
    return min(stations, key=lambda s: _haversine_km(lat, lon, s.lat, s.lon), default=None)
