"""Reads about the organisation: stations, who is on duty, who to notify."""

import math
from datetime import datetime

from django.db.models import QuerySet

from .choices import Role
from .models import DutyRoster, Station, User


def station_list(*, user) -> QuerySet[Station]:
    """Stations are reference data every signed-in staff member may read."""
    return Station.objects.all()


def duty_leaders(*, station: Station | None, at: datetime) -> list[User]:
    """Duty leaders of ``station`` at ``at`` (station None = the sub-bureau command centre).

    Falls back to the station's leaders (or the bureau leaders) when the roster has no entry, so a
    reminder is never sent to nobody.
    """
    rosters = DutyRoster.objects.filter(starts_at__lte=at, ends_at__gt=at, leader__is_active=True)
    rosters = rosters.filter(station=station) if station else rosters.filter(station__isnull=True)
    leaders = [r.leader for r in rosters.select_related("leader")]
    if leaders:
        return leaders
    if station is None:
        return list(User.objects.filter(role=Role.BUREAU_LEADER, is_active=True))
    return list(User.objects.filter(role=Role.STATION_LEADER, station=station, is_active=True))


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
