"""The one place that knows who may see what.

Every queryset a user reads starts here. Roles with no scope on a kind of record get an empty
queryset, so that an out-of-scope record answers 404 exactly like a missing one.
"""

from django.db.models import QuerySet

from .choices import Role


def scope_queryset(
    qs: QuerySet,
    user,
    *,
    station_field: str | None = "station",
    enterprise_field: str | None = None,
    grid_client: bool = False,
) -> QuerySet:
    """Restrict ``qs`` to what ``user`` may see.

    ``station_field``: lookup to the record's station (officers and station leaders see their own).
    ``enterprise_field``: lookup to the record's enterprise (liaisons see their own; none if unset).
    ``grid_client``: whether the partner-system role sees these records at all.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    role = user.role
    if role in (Role.ADMIN, Role.BUREAU_LEADER):
        return qs
    if role in (Role.OFFICER, Role.STATION_LEADER):
        if station_field is None or user.station_id is None:
            return qs.none()
        return qs.filter(**{station_field: user.station_id})
    if role == Role.LIAISON:
        if enterprise_field is None or user.enterprise_id is None:
            return qs.none()
        return qs.filter(**{enterprise_field: user.enterprise_id})
    if role == Role.GRID_CLIENT and grid_client:
        return qs
    return qs.none()


def can_act_for_station(user, station) -> bool:
    """Whether ``user`` may create or change records belonging to ``station``."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in (Role.ADMIN, Role.BUREAU_LEADER):
        return True
    if user.role in (Role.OFFICER, Role.STATION_LEADER):
        station_id = getattr(station, "pk", station)
        return station_id is not None and station_id == user.station_id
    return False


def can_act_for_enterprise(user, enterprise) -> bool:
    """Whether ``user`` may create or change records of ``enterprise`` (liaisons: their own only)."""
    if not getattr(user, "is_authenticated", False):
        return False
    enterprise_id = getattr(enterprise, "pk", enterprise)
    if user.role == Role.LIAISON:
        return enterprise_id is not None and enterprise_id == user.enterprise_id
    if user.role in (Role.ADMIN, Role.BUREAU_LEADER):
        return True
    if user.role in (Role.OFFICER, Role.STATION_LEADER):
        station_id = getattr(enterprise, "station_id", None)
        return station_id is not None and station_id == user.station_id
    return False
