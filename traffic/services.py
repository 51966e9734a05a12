"""Writes of the traffic app. Every write validates, audits and queues notifications on commit."""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.notify.choices import Level
from qianwan.notify.services import notification_send
from qianwan.org.choices import STATION_ROLES, Role
from qianwan.org.people import station_people
from qianwan.org.scopes import can_act_for_station
from qianwan.org.selectors import duty_leaders, nearest_station
from qianwan.references import not_found, police_users, require_reference
from qianwan.validators import earlier_to_the_second, field_errors, validate_mobile

from . import geo, selectors
from .choices import AccidentStatus, AccidentType, AlertOutcome, PatrolKind, ViolationType
from .models import (
    Accident,
    Asset,
    IncidentAlert,
    JointPatrol,
    Member,
    Patrol,
    PatrolViolation,
    PatrolZone,
    Shift,
    ShiftAssignment,
    Team,
)

logger = logging.getLogger(__name__)

ZONE_MANAGERS = {Role.BUREAU_LEADER, Role.ADMIN}
INCIDENT_CATEGORY_TRAFFIC = "traffic"
# The sweep only routes fresh calls: an imported or back-dated incident is not a job for the team now.
INCIDENT_ALERT_LOOKBACK = timedelta(hours=6)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def can_act_for_zone(user, zone: PatrolZone) -> bool:
    """Bureau leaders and admins act anywhere; station roles in zones that overlap their station."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in ZONE_MANAGERS:
        return True
    if user.role in STATION_ROLES:
        return zone.stations.filter(pk=user.station_id).exists()
    return False


def _full_clean(obj, exclude=None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=True)


def outside_zones_message(lat, lon) -> str:
    return _("坐标（纬度 %(lat)s，经度 %(lon)s）不在任何巡区内，请核对坐标或先划定巡区。") % {
        "lat": lat,
        "lon": lon,
    }


# ---------------------------------------------------------------- zones


def _set_geometry(zone: PatrolZone, polygon) -> object:
    try:
        zone.polygon = geo.validate_polygon(polygon)
    except ValidationError as exc:
        raise ValidationError({"polygon": exc.messages}) from exc
    geometry = geo.geometry_of(zone.polygon)
    zone.min_lon, zone.min_lat, zone.max_lon, zone.max_lat = geometry.bounds
    clashes = selectors.zones_overlapping(geometry, exclude_pk=zone.pk)
    if clashes:
        raise ValidationError(
            {
                "polygon": [
                    _("巡区范围与已有巡区重叠：%(codes)s。巡区之间不能重叠。")
                    % {"codes": "、".join(z.code for z in clashes)}
                ]
            }
        )
    return geometry


def _default_stations(geometry) -> list:
    from qianwan.org.models import Station

    inside = [
        s
        for s in Station.objects.filter(is_active=True, lat__isnull=False, lon__isnull=False)
        if geo.contains(geometry, s.lat, s.lon)
    ]
    if inside:
        return inside
    centre = geometry.centroid
    nearest = nearest_station(lat=centre.y, lon=centre.x)
    return [nearest] if nearest else []


@transaction.atomic
def zone_create(*, actor, code: str, name: str, polygon, stations=None) -> PatrolZone:
    """Create a patrol zone. The polygon must be valid GeoJSON and not overlap another zone.

    ``stations`` defaults to the stations located inside the polygon (else the nearest one).
    """
    _require(actor is None or actor.role in ZONE_MANAGERS, _("只有分局领导和管理员可以划定巡区。"))
    if PatrolZone.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("巡区代码 %(code)s 已存在。") % {"code": code}]})
    zone = PatrolZone(code=code, name=name)
    geometry = _set_geometry(zone, polygon)
    _full_clean(zone)
    zone.save()
    zone.stations.set(stations if stations else _default_stations(geometry))
    audit_record(actor=actor, action="traffic.zone.create", obj=zone, after=snapshot(zone))
    return zone


@transaction.atomic
def zone_update(*, actor, zone: PatrolZone, **changes) -> PatrolZone:
    """Change a zone's name, polygon, stations or active flag."""
    _require(actor is None or actor.role in ZONE_MANAGERS, _("只有分局领导和管理员可以修改巡区。"))
    zone = PatrolZone.objects.select_for_update().get(pk=zone.pk)
    before = snapshot(zone)
    if "name" in changes:
        zone.name = changes["name"]
    if "is_active" in changes:
        zone.is_active = changes["is_active"]
    if "polygon" in changes:
        _set_geometry(zone, changes["polygon"])
    _full_clean(zone)
    zone.save()
    if changes.get("stations"):
        zone.stations.set(changes["stations"])
    audit_record(actor=actor, action="traffic.zone.update", obj=zone, before=before, after=snapshot(zone))
    return zone


# ---------------------------------------------------------------- teams and shifts


def _can_manage_team(actor, station) -> bool:
    if actor is None or actor.role in ZONE_MANAGERS:
        return True
    return actor.role == Role.STATION_LEADER and station is not None and station.pk == actor.station_id


@transaction.atomic
def team_create(*, actor, name: str, kind: str, station=None, home_zone=None) -> Team:
    """Create a team; station leaders create teams of their own station only."""
    _require(_can_manage_team(actor, station), _("所领导只能为本所组建队伍；交警大队/巡特警队由分局组建。"))
    if Team.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("队伍名称“%(name)s”已存在。") % {"name": name}]})
    team = Team(name=name, kind=kind, station=station, home_zone=home_zone)
    _full_clean(team)
    team.save()
    audit_record(actor=actor, action="traffic.team.create", obj=team, after=snapshot(team))
    return team


@transaction.atomic
def member_add(*, actor, team: Team, name: str, kind: str, user=None, is_leader=False, phone="") -> Member:
    """Add a member to a team (a login-linked member receives on-duty alerts).

    ``user`` must be an active officer or leader of the team's station (any police account for a
    sub-bureau team) and in the actor's scope; any other account answers like an unknown username.
    """
    require_reference(actor=actor, field="team", obj=team, scope=selectors.team_refs)
    _require(_can_manage_team(actor, team.station), _("无权调整该队伍的人员。"))
    if user is not None:
        require_reference(actor=actor, field="user", obj=user, scope=police_users, value=user.username)
        if not selectors.member_users_for_team(team).filter(pk=user.pk).exists():
            raise not_found("user", user.username)
    if user is not None and Member.objects.filter(user=user).exists():
        raise ValidationError({"user": [_("该账号已是其他队伍的队员。")]})
    errors = field_errors([("phone", validate_mobile, phone)])
    if errors:
        raise ValidationError(errors)
    member = Member(team=team, name=name, kind=kind, user=user, is_leader=is_leader, phone=phone)
    _full_clean(member)
    member.save()
    audit_record(actor=actor, action="traffic.member.add", obj=member, after=snapshot(member))
    return member


def _fmt(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def shift_create(
    *,
    actor,
    zone: PatrolZone,
    team: Team,
    starts_at: datetime,
    ends_at: datetime,
    members=None,
    note: str = "",
) -> Shift:
    """Put a team (all its active members, or ``members``) on duty in a zone.

    A member cannot be on two shifts at once: the member rows are locked first, so two leaders
    scheduling the same person at the same moment cannot both succeed.
    """
    _require(actor is None or can_act_for_zone(actor, zone), _("只能为本所涉及的巡区排班。"))
    if actor is not None and actor.role == Role.OFFICER:
        raise PermissionDenied(_("排班由所领导或分局领导安排。"))
    require_reference(actor=actor, field="team", obj=team, scope=selectors.team_refs)
    require_reference(actor=actor, field="members", obj=list(members or []), scope=selectors.member_refs)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("结束时间必须晚于开始时间。")]})
    if ends_at - starts_at > timedelta(hours=24):
        raise ValidationError({"ends_at": [_("一个班次最长 24 小时。")]})
    if not zone.is_active:
        raise ValidationError({"zone": [_("该巡区已停用。")]})
    if not team.is_active:
        raise ValidationError({"team": [_("该队伍已停用。")]})
    member_ids = (
        [m.pk for m in members]
        if members
        else list(team.members.filter(is_active=True).values_list("pk", flat=True))
    )
    if not member_ids:
        raise ValidationError({"team": [_("该队伍没有在队人员，无法排班。")]})
    locked = list(Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk"))
    strangers = [m.name for m in locked if m.team_id != team.pk]
    if strangers:
        raise ValidationError(
            {"members": [_("%(names)s 不是该队伍的队员。") % {"names": "、".join(strangers)}]}
        )
    clashes = (
        ShiftAssignment.objects.filter(member__in=locked, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("member", "shift__zone")
        .order_by("starts_at")
    )
    errors = [
        _("%(name)s 已在 %(zone)s 排班（%(start)s 至 %(end)s），同一人不能同时在两个班次。")
        % {
            "name": c.member.name,
            "zone": c.shift.zone.name,
            "start": _fmt(c.starts_at),
            "end": _fmt(c.ends_at),
        }
        for c in clashes
    ]
    if errors:
        raise ValidationError({"starts_at": errors})
    shift = Shift(zone=zone, team=team, starts_at=starts_at, ends_at=ends_at, note=note, created_by=actor)
    _full_clean(shift, exclude=["created_by"])
    shift.save()
    ShiftAssignment.objects.bulk_create(
        [ShiftAssignment(shift=shift, member=m, starts_at=starts_at, ends_at=ends_at) for m in locked]
    )
    audit_record(
        actor=actor,
        action="traffic.shift.create",
        obj=shift,
        after={**snapshot(shift), "members": [m.pk for m in locked]},
    )
    return shift


@transaction.atomic
def shift_cancel(*, actor, shift: Shift) -> None:
    """Remove a shift that has not ended yet (the roster is a plan; past shifts are history)."""
    _require(
        actor is None or (actor.role != Role.OFFICER and can_act_for_zone(actor, shift.zone)),
        _("无权取消该班次。"),
    )
    if shift.ends_at <= timezone.now():
        raise StateConflict(_("班次已结束，不能取消。"))
    audit_record(actor=actor, action="traffic.shift.cancel", obj=shift, before=snapshot(shift))
    shift.delete()


# ---------------------------------------------------------------- assets


def _zone_of_point_or_400(lat, lon) -> PatrolZone:
    zone = selectors.zone_for_point(lat=lat, lon=lon)
    if zone is None:
        raise ValidationError({"lat": [outside_zones_message(lat, lon)]})
    return zone


@transaction.atomic
def asset_create(*, actor, kind, code, name, road, lat, lon, status="active", installed_on=None,
                 maintenance_status="ok", last_maintained_on=None, note="") -> Asset:  # fmt: skip
    """Register a camera, radar sign or police post; its zone comes from its location.

    A location outside every zone is refused: hardware is placed on the district's roads, so such a
    point is almost always a typo (or a zone not yet drawn).
    """
    zone = _zone_of_point_or_400(lat, lon)
    _require(actor is None or can_act_for_zone(actor, zone), _("只能登记本所涉及巡区内的设施。"))
    if Asset.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("设施编号 %(code)s 已存在。") % {"code": code}]})
    asset = Asset(
        kind=kind, code=code, name=name, road=road, lat=lat, lon=lon, zone=zone, status=status,
        installed_on=installed_on, maintenance_status=maintenance_status,
        last_maintained_on=last_maintained_on, note=note,
    )  # fmt: skip
    _full_clean(asset)
    asset.save()
    audit_record(actor=actor, action="traffic.asset.create", obj=asset, after=snapshot(asset))
    return asset


ASSET_EDITABLE = {
    "name",
    "road",
    "status",
    "installed_on",
    "maintenance_status",
    "last_maintained_on",
    "note",
    "lat",
    "lon",
}


@transaction.atomic
def asset_update(*, actor, asset: Asset, **changes) -> Asset:
    """Update status, maintenance or location (the zone follows the location)."""
    asset = Asset.objects.select_for_update().select_related("zone").get(pk=asset.pk)
    _require(actor is None or can_act_for_zone(actor, asset.zone), _("无权修改该设施。"))
    before = snapshot(asset)
    for field, value in changes.items():
        if field in ASSET_EDITABLE:
            setattr(asset, field, value)
    if "lat" in changes or "lon" in changes:
        asset.zone = _zone_of_point_or_400(asset.lat, asset.lon)
    _full_clean(asset)
    asset.save()
    audit_record(actor=actor, action="traffic.asset.update", obj=asset, before=before, after=snapshot(asset))
    return asset


# ---------------------------------------------------------------- patrols


def _clean_violations(violations) -> dict[str, int]:
    """``{type: count}`` or ``[{"type", "count"}]`` → ``{type: count}``; counts are whole numbers ≥ 0."""
    if violations is None:
        return {}
    if isinstance(violations, dict):
        items = list(violations.items())
    else:
        items = [(v.get("type"), v.get("count")) for v in violations]
    result: dict[str, int] = {}
    for vtype, count in items:
        if vtype not in ViolationType.values:
            raise ValidationError({"violations": [_("未知的违法类型：%(t)s") % {"t": vtype}]})
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(
                {
                    "violations": [
                        _("“%(t)s”的数量必须是不小于 0 的整数。") % {"t": ViolationType(vtype).label}
                    ]
                }
            )
        if vtype in result:
            raise ValidationError(
                {"violations": [_("违法类型“%(t)s”重复。") % {"t": ViolationType(vtype).label}]}
            )
        result[vtype] = count
    return result


@transaction.atomic
def patrol_create(
    *, actor, team: Team, zone: PatrolZone, kind: str, started_at: datetime, ended_at: datetime,
    officers: int = 1, findings: str = "", campaign=None, violations=None, operation=None,
    named_officers=None,
) -> Patrol:  # fmt: skip
    """Log a patrol with its violations by type. A campaign patrol names its campaign (risks.Campaign)
    and may name one of its operations (then it counts once, with the operation); ``named_officers``
    are the accounts among its ``officers`` people (active users of the team's station)."""
    _require(actor is None or can_act_for_zone(actor, zone), _("只能登记本所涉及巡区的巡逻。"))
    require_reference(actor=actor, field="team", obj=team, scope=selectors.team_refs)
    require_reference(actor=actor, field="campaign", obj=campaign, scope=selectors.campaign_refs)
    counts = _clean_violations(violations)
    if officers is None or officers < 0:
        raise ValidationError({"officers": [_("出动警力不能为负数。")]})
    if ended_at <= started_at:
        raise ValidationError({"ended_at": [_("结束时间必须晚于开始时间。")]})
    if started_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"started_at": [_("巡逻开始时间不能晚于现在。")]})
    if kind == PatrolKind.CAMPAIGN and campaign is None:
        raise ValidationError({"campaign": [_("专项行动巡逻须选择所属专项行动。")]})
    if operation is not None:
        if campaign is None:
            campaign = operation.campaign
        elif operation.campaign_id != campaign.pk:
            raise ValidationError({"operation": [_("行动批次不属于所选专项行动。")]})
    named = station_people(
        station=team.station, usernames=named_officers, field="named_officers", head_count=officers
    )
    patrol = Patrol(
        team=team, zone=zone, kind=kind, started_at=started_at, ended_at=ended_at, officers=officers,
        findings=findings, campaign=campaign, operation=operation, created_by=actor,
    )  # fmt: skip
    _full_clean(patrol, exclude=["created_by"])
    patrol.save()
    if named:
        patrol.named_officers.set(named)
    PatrolViolation.objects.bulk_create(
        [PatrolViolation(patrol=patrol, type=t, count=c) for t, c in counts.items() if c > 0]
    )
    audit_record(
        actor=actor,
        action="traffic.patrol.create",
        obj=patrol,
        after={**snapshot(patrol), "violations": counts, "named_officers": [u.username for u in named]},
    )
    return patrol


@transaction.atomic
def joint_patrol_create(
    *, actor, date, station, organisers: str, location: str, enterprise=None, lat=None, lon=None,
    police: int = 0, grid_workers: int = 0, enterprise_security: int = 0, volunteers: int = 0, note: str = "",
) -> JointPatrol:  # fmt: skip
    """Record a joint patrol round (grid workers + enterprise security + volunteers + police)."""
    _require(actor is None or can_act_for_station(actor, station), _("只能登记本所组织的联合巡逻。"))
    require_reference(actor=actor, field="enterprise", obj=enterprise, scope=selectors.enterprise_refs)
    counts = {
        "police": police,
        "grid_workers": grid_workers,
        "enterprise_security": enterprise_security,
        "volunteers": volunteers,
    }
    negative = {k: [_("人数不能为负数。")] for k, v in counts.items() if v is None or v < 0}
    if negative:
        raise ValidationError(negative)
    if sum(counts.values()) == 0:
        raise ValidationError({"volunteers": [_("参与人数不能全部为 0。")]})
    if (lat is None) != (lon is None):
        raise ValidationError({"lat": [_("纬度和经度必须同时提供。")]})
    if enterprise is not None and lat is None and enterprise.lat is not None:
        lat, lon = enterprise.lat, enterprise.lon
    # A junction outside the zones still counts as a round; it just has no zone.
    zone = selectors.zone_for_point(lat=lat, lon=lon)
    joint = JointPatrol(
        date=date, station=station, organisers=organisers, location=location, enterprise=enterprise,
        lat=lat, lon=lon, zone=zone, note=note, created_by=actor, **counts,
    )  # fmt: skip
    _full_clean(joint, exclude=["created_by"])
    joint.save()
    audit_record(actor=actor, action="traffic.joint_patrol.create", obj=joint, after=snapshot(joint))
    return joint


# ---------------------------------------------------------------- accidents


def _next_accident_number(occurred_at: datetime) -> str:
    day = timezone.localtime(occurred_at).strftime("%Y%m%d")
    prefix = f"SG{day}"
    last = (
        Accident.objects.select_for_update()
        .filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _expected_type(injured: int, deaths: int) -> str:
    if deaths > 0:
        return AccidentType.DEATH
    if injured > 0:
        return AccidentType.INJURY
    return AccidentType.PROPERTY


def _validate_accident_counts(accident: Accident) -> None:
    errors = {}
    for field in ("vehicles", "injured", "deaths"):
        value = getattr(accident, field)
        if value is None or value < 0:
            errors[field] = [_("不能为负数。")]
    if errors:
        raise ValidationError(errors)
    expected = _expected_type(accident.injured, accident.deaths)
    if accident.type != expected:
        raise ValidationError(
            {
                "type": [
                    _("事故类型与伤亡人数不符：受伤 %(i)s 人、死亡 %(d)s 人应为“%(t)s”。")
                    % {"i": accident.injured, "d": accident.deaths, "t": AccidentType(expected).label}
                ]
            }
        )


def _notify_if_major(accident: Accident) -> None:
    """Three or more deaths: the sub-bureau leaders are told at once (once per accident)."""
    if not accident.is_major:
        return
    local = timezone.localtime(accident.occurred_at)
    notification_send(
        key=f"traffic:accident:{accident.pk}:major",
        kind="traffic.major_accident",
        level=Level.ESCALATION,
        title=_("较大交通事故：%(addr)s 死亡 %(d)s 人") % {"addr": accident.address, "d": accident.deaths},
        body=_(
            "%(time)s 在 %(addr)s 发生交通事故，死亡 %(d)s 人、受伤 %(i)s 人，处理单位：%(station)s。"
            "该事故计入“零较大事故”目标。"
        )  # fmt: skip
        % {
            "time": local.strftime("%Y-%m-%d %H:%M"),
            "addr": accident.address,
            "d": accident.deaths,
            "i": accident.injured,
            "station": accident.station.name,
        },
        recipients=selectors.leaders_to_alert(),
        station=accident.station,
        link=reverse("traffic:accident_detail", args=[accident.pk]),
        payload={"accident": accident.pk, "number": accident.number, "deaths": accident.deaths},
    )


def _notify_team_of_accident(accident: Accident) -> None:
    """A fresh accident in a zone: the team on duty there is told (once), like a traffic call."""
    if accident.zone is None or accident.occurred_at < timezone.now() - INCIDENT_ALERT_LOOKBACK:
        return
    shifts = selectors.shifts_on_duty(zone=accident.zone, at=timezone.now()) or selectors.shifts_on_duty(
        zone=accident.zone, at=accident.occurred_at
    )
    if not shifts:
        return
    recipients = selectors.on_duty_recipients(shifts[0])
    if not recipients:
        return
    notification_send(
        key=f"traffic:accident:{accident.pk}:team",
        kind="traffic.accident_team",
        level=Level.WARNING,
        title=_("%(zone)s 交通事故 %(number)s：请 %(team)s 到场")
        % {"zone": accident.zone.name, "number": accident.number, "team": shifts[0].team.name},  # fmt: skip
        body=_("%(time)s %(addr)s，%(type)s，受伤 %(i)s 人、死亡 %(d)s 人。")
        % {
            "time": timezone.localtime(accident.occurred_at).strftime("%Y-%m-%d %H:%M"),
            "addr": accident.address,
            "type": accident.get_type_display(),
            "i": accident.injured,
            "d": accident.deaths,
        },
        recipients=recipients,
        station=accident.station,
        link=reverse("traffic:accident_detail", args=[accident.pk]),
        payload={"accident": accident.pk, "zone": accident.zone.code, "team": shifts[0].team_id},
    )


@transaction.atomic
def accident_create(
    *, actor, occurred_at: datetime, lat: float, lon: float, address: str, station, type: str | None = None,
    road: str = "", vehicles: int = 1, injured: int = 0, deaths: int = 0, cause: str = "other",
    cause_note: str = "", handled_by: str = "station", incident=None,
) -> Accident:  # fmt: skip
    """Record an accident. Its zone comes from the point; a point outside every zone is kept with no
    zone (the accident still happened and the station still handles it) and shows as “区外”.
    ``type`` defaults from the casualties and, when given, must agree with them.
    """
    _require(actor is None or can_act_for_station(actor, station), _("只能登记本所处理的事故。"))
    # the same answer as for a missing incident: never reveal another station's records
    require_reference(actor=actor, field="incident", obj=incident, scope=selectors.incident_refs)
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": [_("发生时间不能晚于现在。")]})
    accident = Accident(
        occurred_at=occurred_at, lat=lat, lon=lon, address=address, road=road, station=station,
        vehicles=vehicles, injured=injured, deaths=deaths, cause=cause, cause_note=cause_note,
        handled_by=handled_by, incident=incident, created_by=actor,
    )  # fmt: skip
    accident.type = type or _expected_type(injured or 0, deaths or 0)
    _validate_accident_counts(accident)
    accident.zone = selectors.zone_for_point(lat=lat, lon=lon)
    accident.number = _next_accident_number(occurred_at)
    _full_clean(accident, exclude=["created_by", "incident"])
    accident.save()
    audit_record(actor=actor, action="traffic.accident.create", obj=accident, after=snapshot(accident))
    _notify_if_major(accident)
    _notify_team_of_accident(accident)
    return accident


ACCIDENT_EDITABLE = {
    "occurred_at", "lat", "lon", "address", "road", "type", "vehicles", "injured", "deaths", "cause",
    "cause_note", "handled_by",
}  # fmt: skip


@transaction.atomic
def accident_update(*, actor, accident: Accident, **changes) -> Accident:
    """Correct an open accident (e.g. an injured person died: deaths go up, the type follows)."""
    accident = Accident.objects.select_for_update().select_related("station").get(pk=accident.pk)
    _require(actor is None or can_act_for_station(actor, accident.station), _("无权修改该事故。"))
    if accident.status == AccidentStatus.CLOSED:
        raise StateConflict(_("事故已结案，不能修改。"))
    before = snapshot(accident)
    for field, value in changes.items():
        if field in ACCIDENT_EDITABLE:
            setattr(accident, field, value)
    if "type" not in changes and ("injured" in changes or "deaths" in changes):
        accident.type = _expected_type(accident.injured or 0, accident.deaths or 0)
    _validate_accident_counts(accident)
    if "lat" in changes or "lon" in changes:
        accident.zone = selectors.zone_for_point(lat=accident.lat, lon=accident.lon)
    _full_clean(accident, exclude=["created_by", "incident"])
    accident.save()
    audit_record(
        actor=actor, action="traffic.accident.update", obj=accident, before=before, after=snapshot(accident)
    )
    _notify_if_major(accident)
    return accident


@transaction.atomic
def accident_close(*, actor, accident: Accident, at: datetime | None = None) -> Accident:
    """Close an accident case (结案); closing twice is a conflict."""
    accident = Accident.objects.select_for_update().select_related("station").get(pk=accident.pk)
    _require(actor is None or can_act_for_station(actor, accident.station), _("无权办结该事故。"))
    if accident.status == AccidentStatus.CLOSED:
        raise StateConflict(_("事故已结案。"))
    at = at or timezone.now()
    if earlier_to_the_second(at, accident.occurred_at):
        raise ValidationError({"at": [_("结案时间不能早于事故发生时间。")]})
    before = snapshot(accident, fields=["status", "closed_at"])
    accident.status = AccidentStatus.CLOSED
    accident.closed_at = at
    accident.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="traffic.accident.close",
        obj=accident,
        before=before,
        after=snapshot(accident, fields=["status", "closed_at"]),
    )
    return accident


# ---------------------------------------------------------------- traffic incidents → team on duty


def pending_incident_ids(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Recent traffic incidents that have not been routed to a team yet (the sweep's work list)."""
    from incidents.models import Incident

    now = now or timezone.now()
    return list(
        Incident.objects.filter(
            category=INCIDENT_CATEGORY_TRAFFIC,
            received_at__gte=now - INCIDENT_ALERT_LOOKBACK,
            traffic_alert__isnull=True,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def incident_alert(incident_id: int) -> IncidentAlert | None:
    """Route one traffic incident to the team on duty in its zone, exactly once.

    The alert row (unique per incident) is inserted first inside a savepoint: with two workers the
    loser gets an IntegrityError and does nothing; the notification key is a second guard. With no
    zone or no team on duty, the station's duty leader is told instead so the call is never dropped.
    """
    from incidents.models import Incident

    with transaction.atomic():
        incident = (
            Incident.objects.select_related("station")
            .only("pk", "number", "station", "category", "received_at", "lat", "lon", "address")
            .get(pk=incident_id)
        )
        if IncidentAlert.objects.filter(incident_id=incident_id).exists():
            return None
        zone = selectors.zone_for_point(lat=incident.lat, lon=incident.lon)
        shift = None
        recipients: list = []
        if incident.lat is None or incident.lon is None:
            outcome = AlertOutcome.NO_LOCATION
        elif zone is None:
            outcome = AlertOutcome.OUTSIDE_ZONES
        else:
            shifts = selectors.shifts_on_duty(zone=zone, at=max(incident.received_at, timezone.now()))
            shifts = shifts or selectors.shifts_on_duty(zone=zone, at=incident.received_at)
            shift = shifts[0] if shifts else None
            recipients = selectors.on_duty_recipients(shift) if shift else []
            outcome = AlertOutcome.TEAM_NOTIFIED if recipients else AlertOutcome.NO_TEAM
        if not recipients:
            recipients = duty_leaders(station=incident.station, at=timezone.now())
        try:
            with transaction.atomic():
                alert = IncidentAlert.objects.create(
                    incident_id=incident.pk,
                    zone=zone,
                    shift=shift,
                    team=shift.team if shift else None,
                    outcome=outcome,
                )
        except IntegrityError:
            return None
        local = timezone.localtime(incident.received_at).strftime("%H:%M:%S")
        if outcome == AlertOutcome.TEAM_NOTIFIED:
            title = _("%(zone)s 交通警情 %(number)s：请 %(team)s 出警") % {
                "zone": zone.name, "number": incident.number, "team": shift.team.name
            }  # fmt: skip
        else:
            title = _("交通警情 %(number)s 未能派给巡区队伍（%(why)s）") % {
                "number": incident.number, "why": AlertOutcome(outcome).label
            }  # fmt: skip
        notification, _created = notification_send(
            key=f"traffic:incident:{incident.pk}:team",
            kind="traffic.incident_team",
            level=Level.WARNING,
            title=title,
            body=_("%(time)s 接警，地点：%(addr)s。有警出警、无警巡逻。")
            % {"time": local, "addr": incident.address or "—"},
            recipients=recipients,
            station=incident.station,
            link=reverse("traffic:index"),
            payload={"incident": incident.pk, "zone": zone.code if zone else None, "outcome": outcome},
        )
        alert.notification = notification
        alert.save(update_fields=["notification"])
        return alert
