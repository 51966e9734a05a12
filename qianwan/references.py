"""References to other records (a team, a user, an enterprise, an incident …) on the write side.

Every serializer field, form field and service that takes a reference resolves it through a *scope*:
a callable ``scope(user=actor) -> QuerySet`` of the records the actor may point at (in their scope
and of an allowed kind). A reference outside that queryset answers exactly like one that does not
exist: a 400 naming the field with :data:`NOT_FOUND` as its message, so nothing about other stations'
records (or which usernames exist) leaks through an error. ``station`` on create is not a reference
in this sense: acting for another station stays a 403 (api-contract.md, "Incidents").

- API: :class:`qianwan.api.fields.ScopedPrimaryKeyRelatedField` / ``ScopedSlugRelatedField``;
- pages: :class:`qianwan.forms.ScopedModelChoiceField` / ``ScopedModelMultipleChoiceField``;
- services: :func:`require_reference` (for callers that pass objects or ids without a field).
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from qianwan.org.choices import STATION_ROLES, Role
from qianwan.org.models import User
from qianwan.org.scopes import scope_queryset

# The one answer for a reference that does not exist or may not be used by the caller.
NOT_FOUND = _("“%(value)s”不存在或不可选。")
REFERENCE_CODE = "reference_not_found"

POLICE_ROLES = frozenset({Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER})


def not_found_message(value) -> str:
    return str(NOT_FOUND % {"value": value})


def not_found(field: str, value) -> ValidationError:
    """The ValidationError of an unknown or out-of-scope reference in ``field``."""
    return ValidationError({field: [not_found_message(value)]}, code=REFERENCE_CODE)


def require_reference(*, actor, field: str, obj, scope, value=None) -> None:
    """Service-level check: ``obj`` (a model instance, or several) must be in ``scope(user=actor)``.

    ``actor`` None is the system (tasks, demo data): no scope applies. ``value`` is what the caller
    typed (defaults to the primary key), echoed in the message as for a reference that does not exist.
    """
    if actor is None or obj is None:
        return
    objs = list(obj) if isinstance(obj, list | tuple | set | QuerySet) else [obj]
    if not objs:
        return
    allowed = set(scope(user=actor).filter(pk__in=[o.pk for o in objs]).values_list("pk", flat=True))
    for o in objs:
        if o.pk not in allowed:
            raise not_found(field, value if value is not None else o.pk)


# ---------------------------------------------------------------- common scopes


def police_users(*, user) -> QuerySet[User]:
    """Active police accounts ``user`` may name (as a team member, a responsible officer, an owner):
    their own station's officers and leaders for station roles; any police account for the
    sub-bureau's roles. Never a liaison, a partner system or an admin account."""
    qs = User.objects.filter(is_active=True, role__in=POLICE_ROLES)
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.role in (Role.ADMIN, Role.BUREAU_LEADER):
        return qs
    if user.role in STATION_ROLES and user.station_id:
        return qs.filter(station_id=user.station_id, role__in=STATION_ROLES)
    return qs.none()


def station_police(station) -> QuerySet[User]:
    """The active officers and leaders of ``station`` (a station record names only its own people)."""
    return User.objects.filter(is_active=True, role__in=STATION_ROLES, station=station)


def in_station_scope(model_qs: QuerySet, *, station_field: str = "station"):
    """A scope over ``model_qs`` by its station (officers: their own; the sub-bureau: all)."""

    def scope(*, user) -> QuerySet:
        return scope_queryset(model_qs, user, station_field=station_field)

    return scope
