"""Writes about the organisation: stations, users provisioning, API tokens."""

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict

from .choices import STATION_ROLES, Role
from .models import ApiToken, Station, User, hash_token


@transaction.atomic
def station_create(*, actor, code: str, name: str, address: str = "", lat=None, lon=None) -> Station:
    """Create a station; codes are unique."""
    if Station.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("派出所代码 %(code)s 已存在。") % {"code": code}]})
    station = Station(code=code, name=name, address=address, lat=lat, lon=lon)
    station.full_clean()
    station.save()
    audit_record(actor=actor, action="station.create", obj=station, after=snapshot(station))
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
