"""Writes about the organisation: stations, users provisioning, API tokens."""

import secrets
from datetime import date, datetime
from datetime import time as dt_time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import geo
from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict

from . import selectors
from .choices import STATION_ROLES, Role
from .models import ApiToken, DutyRoster, DutyRotation, DutyRotationMember, Station, User, hash_token


def check_boundary(station: Station) -> None:
    """Validate ``station.boundary`` in place (GeoJSON Polygon/MultiPolygon in WGS84) and refuse an
    overlap with another active station's boundary: ``ValidationError`` naming ``boundary``."""
    if station.boundary is None:
        return
    try:
        station.boundary = geo.validate_polygon(station.boundary)
    except ValidationError as exc:
        raise ValidationError({"boundary": exc.messages}) from exc
    if not station.is_active:
        return
    clashes = selectors.boundary_clashes(geo.geometry_of(station.boundary), exclude_pk=station.pk)
    if clashes:
        raise ValidationError(
            {
                "boundary": [
                    _("辖区范围与其他派出所的辖区重叠：%(codes)s。辖区之间不能重叠。")
                    % {"codes": "、".join(s.code for s in clashes)}
                ]
            }
        )


def _lock_boundaries() -> None:
    """Serialise boundary writes: two concurrent edits cannot each miss the other's overlap."""
    list(Station.objects.select_for_update().filter(is_active=True).values_list("pk", flat=True))


@transaction.atomic
def station_create(
    *, actor, code: str, name: str, address: str = "", lat=None, lon=None, boundary=None
) -> Station:
    """Create a station; codes are unique, a boundary is validated and may not overlap another's."""
    if Station.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("派出所代码 %(code)s 已存在。") % {"code": code}]})
    station = Station(code=code, name=name, address=address, lat=lat, lon=lon, boundary=boundary)
    if boundary is not None:
        _lock_boundaries()
        check_boundary(station)
    station.full_clean()
    station.save()
    audit_record(actor=actor, action="station.create", obj=station, after=snapshot(station))
    return station


@transaction.atomic
def station_set_boundary(*, actor, station: Station, boundary) -> Station:
    """Set (or, with None, clear) a station's jurisdiction. Only admins; the polygon must be valid
    GeoJSON in WGS84 and may not overlap another active station's boundary. The routing table kept per
    process (qianwan.org.selectors.route_point) is dropped by the save."""
    if getattr(actor, "role", None) != Role.ADMIN:
        raise PermissionDenied(_("只有系统管理员可以设置派出所辖区。"))
    _lock_boundaries()
    station = Station.objects.select_for_update().get(pk=station.pk)
    before = snapshot(station, fields=["boundary"])
    station.boundary = boundary
    check_boundary(station)
    station.save(update_fields=["boundary"])
    audit_record(
        actor=actor,
        action="station.boundary",
        obj=station,
        before=before,
        after=snapshot(station, fields=["boundary"]),
    )
    return station


@transaction.atomic
def user_provision(
    *, actor, username: str, role: str, station: Station | None = None, enterprise=None, full_name: str = ""
) -> User:
    """Create the user if missing and give it exactly ``role`` with the matching scope."""
    if role not in Role.values:
        raise ValidationError({"role": [_("未知角色：%(role)s") % {"role": role}]})
    if role in STATION_ROLES and station is None:
        raise ValidationError({"station": [_("该角色需要指定派出所。")]})
    if role == Role.LIAISON and enterprise is None:
        raise ValidationError({"enterprise": [_("企业联络员需要指定企业。")]})
    user = User.objects.filter(username=username).first()
    before = snapshot(user, fields=["role", "station", "enterprise"]) if user else None
    if user is None:
        user = User(username=username)
        user.set_unusable_password()
    user.role = role
    user.station = station if role in STATION_ROLES else None
    user.enterprise = enterprise if role == Role.LIAISON else None
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    if full_name:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.provision",
        obj=user,
        before=before,
        after=snapshot(user, fields=["role", "station", "enterprise"]),
    )
    return user


@transaction.atomic
def token_create(
    *, actor, user: User, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a new token; returns the row and the plain key, which is never stored."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("过期时间必须在将来。")]})
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:8], key_hash=hash_token(key), expires_at=expires_at
    )
    audit_record(
        actor=actor, action="token.create", obj=token, after={"prefix": token.prefix, "user": user.pk}
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise StateConflict(_("该令牌已被吊销。"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="token.revoke", obj=token, after={"revoked_at": token.revoked_at})
    return token


# ---------------------------------------------------------------------------------------------------
# Duty rota


def _check_rota_keeper(actor, station) -> None:
    from .selectors import can_keep_rota

    if not can_keep_rota(actor, station):
        raise PermissionDenied(_("只有本所所领导或分局领导可以编排值班。"))


def _check_people(station, people) -> None:
    from .selectors import rota_people

    allowed = set(rota_people(station=station).values_list("pk", flat=True))
    outsiders = [p.display_name for p in people if p.pk not in allowed]
    if outsiders:
        raise ValidationError(
            {"members": [_("以下人员不能排入该值班表：%(names)s") % {"names": "、".join(outsiders)}]}
        )


def _rotation_snapshot(rotation: DutyRotation) -> dict:
    data = snapshot(
        rotation, ["station", "name", "post", "period", "starts_on", "shift_start", "shift_hours", "ends_on"]
    )
    data["members"] = list(rotation.members.order_by("position").values_list("user_id", flat=True))
    return data


@transaction.atomic
def rotation_save(
    *,
    actor,
    station: Station | None,
    name: str,
    post: str,
    period: str,
    starts_on: date,
    shift_start: dt_time,
    shift_hours: int,
    members: list[User],
    ends_on: date | None = None,
    rotation: DutyRotation | None = None,
) -> DutyRotation:
    """Create (or, given ``rotation``, replace) a repeating duty pattern over ``members`` in order."""
    _check_rota_keeper(actor, station)
    if rotation is not None and rotation.station_id != (station.pk if station else None):
        raise PermissionDenied(_("不能把轮换移到其他派出所。"))
    if not members:
        raise ValidationError({"members": [_("至少需要一名值班人员。")]})
    if len({m.pk for m in members}) != len(members):
        raise ValidationError({"members": [_("同一人在轮换中只能出现一次。")]})
    _check_people(station, members)
    before = _rotation_snapshot(rotation) if rotation else None
    rotation = rotation or DutyRotation(station=station)
    for field, value in {
        "name": name,
        "post": post,
        "period": period,
        "starts_on": starts_on,
        "shift_start": shift_start,
        "shift_hours": shift_hours,
        "ends_on": ends_on,
    }.items():
        setattr(rotation, field, value)
    rotation.full_clean()
    rotation.save()
    rotation.members.all().delete()
    DutyRotationMember.objects.bulk_create(
        [DutyRotationMember(rotation=rotation, user=u, position=i) for i, u in enumerate(members)]
    )
    audit_record(
        actor=actor,
        action="duty.rotation_update" if before else "duty.rotation_create",
        obj=rotation,
        before=before,
        after=_rotation_snapshot(rotation),
    )
    return rotation


@transaction.atomic
def rotation_delete(*, actor, rotation: DutyRotation) -> None:
    _check_rota_keeper(actor, rotation.station)
    before = _rotation_snapshot(rotation)
    audit_record(actor=actor, action="duty.rotation_delete", obj=rotation, before=before)
    rotation.delete()


@transaction.atomic
def duty_override_create(
    *,
    actor,
    station: Station | None,
    person: User,
    post: str,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> DutyRoster:
    """A one-off entry: ``person`` holds ``post`` from ``starts_at`` to ``ends_at`` in place of what the
    rotations say. Overlapping entries are allowed and shown on the rota page as overlaps."""
    _check_rota_keeper(actor, station)
    errors = {}
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None:
            errors[field] = [_("必须填写时间。")]
        elif timezone.is_naive(value):
            errors[field] = [_("时间必须带时区。")]
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间必须晚于开始时间。")]
    if errors:
        raise ValidationError(errors)
    _check_people(station, [person])
    entry = DutyRoster(
        station=station, leader=person, post=post, starts_at=starts_at, ends_at=ends_at, note=note
    )
    entry.full_clean()
    entry.save()
    audit_record(actor=actor, action="duty.override_create", obj=entry, after=snapshot(entry))
    return entry


@transaction.atomic
def duty_override_delete(*, actor, entry: DutyRoster) -> None:
    _check_rota_keeper(actor, entry.station)
    audit_record(actor=actor, action="duty.override_delete", obj=entry, before=snapshot(entry))
    entry.delete()


@transaction.atomic
def duty_swap(
    *, actor, station: Station | None, first: tuple[DutyRotation, int], second: tuple[DutyRotation, int]
) -> tuple[DutyRoster, DutyRoster]:
    """Two people swap two rotation shifts: each shift gets a one-off entry for the other person."""
    from .selectors import rotation_shift

    _check_rota_keeper(actor, station)
    station_id = station.pk if station else None
    shifts = []
    for rotation, k in (first, second):
        if rotation.station_id != station_id or k < 0:
            raise ValidationError({"first": [_("所选班次不属于该值班表。")]})
        members = [m.user for m in rotation.members.order_by("position").select_related("user")]
        start, end = rotation_shift(rotation, k)
        shifts.append((rotation, members[k % len(members)], start, end))
    (rot_a, person_a, start_a, end_a), (rot_b, person_b, start_b, end_b) = shifts
    if rot_a.post != rot_b.post:
        raise ValidationError({"second": [_("只能在同一岗位的班次之间调班。")]})
    if person_a.pk == person_b.pk:
        raise ValidationError({"second": [_("两个班次是同一人，无需调班。")]})
    note = _("调班：%(a)s ↔ %(b)s") % {"a": person_a.display_name, "b": person_b.display_name}
    return (
        duty_override_create(
            actor=actor,
            station=station,
            person=person_b,
            post=rot_a.post,
            starts_at=start_a,
            ends_at=end_a,
            note=note,
        ),
        duty_override_create(
            actor=actor,
            station=station,
            person=person_a,
            post=rot_b.post,
            starts_at=start_b,
            ends_at=end_b,
            note=note,
        ),
    )
