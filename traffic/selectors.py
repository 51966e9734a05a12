"""Reads of the traffic app: scoped lists, zone lookup, who is on duty, KPIs the dashboard reuses.

Zones, teams and the roster are the district's shared picture (every staff member reads them);
patrols, shifts and assets are scoped to the zones that overlap the reader's station; accidents
and joint patrols to their station.
"""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from incidents.models import Incident
from qianwan.kpi import compare_counts, local_day_range, local_tz
from qianwan.org.choices import STAFF_ROLES, Role
from qianwan.org.models import User
from qianwan.org.scopes import scope_queryset
from qianwan.references import POLICE_ROLES, station_police
from risks.selectors import campaign_list

from . import geo
from .choices import AccidentStatus, AccidentType, AssetKind, AssetStatus, PatrolKind
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
from .models.accidents import MAJOR_ACCIDENT_DEATHS

ZONE_SCOPE = "zone__stations"

# ---------------------------------------------------------------- zones and point-in-polygon


def zone_list(*, user) -> QuerySet[PatrolZone]:
    """Patrol zones are reference data: every signed-in staff member reads all of them."""
    qs = PatrolZone.objects.prefetch_related("stations")
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        return qs.none()
    return qs


def _active_zone_geometries() -> list[tuple[PatrolZone, object]]:
    return [
        (z, geo.geometry_of(z.polygon)) for z in PatrolZone.objects.filter(is_active=True).order_by("code")
    ]


def zone_for_point(*, lat: float | None, lon: float | None) -> PatrolZone | None:
    """The active zone containing the WGS84 point, or None when it lies outside every zone.

    The bounding boxes narrow the candidates in SQL; shapely decides. Zones do not overlap, so at
    most one matches (a point on a shared border goes to the lower code).
    """
    if lat is None or lon is None:
        return None
    candidates = PatrolZone.objects.filter(
        is_active=True, min_lat__lte=lat, max_lat__gte=lat, min_lon__lte=lon, max_lon__gte=lon
    ).order_by("code")
    for zone in candidates:
        if geo.contains(geo.geometry_of(zone.polygon), lat, lon):
            return zone
    return None


def zones_overlapping(geometry, *, exclude_pk=None) -> list[PatrolZone]:
    """Active zones whose area meaningfully overlaps ``geometry`` (shared borders are fine)."""
    others = ((zone, other) for zone, other in _active_zone_geometries() if zone.pk != exclude_pk)
    return geo.overlapping(geometry, others)


# ---------------------------------------------------------------- teams and the roster


def team_list(*, user) -> QuerySet[Team]:
    qs = Team.objects.select_related("station", "home_zone").prefetch_related(
        Prefetch("members", queryset=Member.objects.filter(is_active=True).select_related("user"))
    )
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        return qs.none()
    return qs


# ---------------------------------------------------------------- references (qianwan/references.py)


def team_refs(*, user) -> QuerySet[Team]:
    """Teams ``user`` may put on a shift, log a patrol for or add members to: active teams of their
    own station for station roles (never another station's, nor the sub-bureau's own teams); every
    active team for the sub-bureau's roles."""
    return scope_queryset(Team.objects.filter(is_active=True), user, station_field="station")


def member_refs(*, user) -> QuerySet[Member]:
    """Active members of the teams of :func:`team_refs` (the members a shift may name)."""
    return Member.objects.filter(is_active=True, team__in=team_refs(user=user))


def member_users_for_team(team: Team) -> QuerySet:
    """The accounts a member of ``team`` may be linked to: the active officers and leaders of the
    team's station; for a sub-bureau team (no station) any active police account. Never a liaison, a
    partner system or an admin account: a linked member receives police alerts."""
    if team.station_id:
        return station_police(team.station_id)
    return User.objects.filter(is_active=True, role__in=POLICE_ROLES)


def enterprise_refs(*, user) -> QuerySet[Enterprise]:
    """Enterprises a joint patrol may name: those of the actor's station (all for the sub-bureau)."""
    return scope_queryset(Enterprise.objects.all(), user, station_field="station")


def incident_refs(*, user) -> QuerySet[Incident]:
    """Incidents an accident may be linked to: the actor's station's (all for the sub-bureau)."""
    return scope_queryset(Incident.objects.all(), user, station_field="station")


def campaign_refs(*, user):
    """Campaigns are sub-bureau wide: any staff member's patrol may name one (risks.selectors)."""
    return campaign_list(user=user)


def typed_tally_for(patrol):
    """The typed tally (手工录入) of the patrol's campaign for its team's station and local day, if any:
    the patrol form warns that its violations must not be typed there as well."""
    from django.utils import timezone

    if patrol.campaign_id is None:
        return None
    return typed_tally(
        campaign_id=patrol.campaign_id,
        station_id=patrol.team.station_id,
        day=timezone.localtime(patrol.started_at).date(),
    )


def typed_tally(*, campaign_id, station_id, day):
    """The typed tally (手工录入) of a campaign for one station and local day, if any."""
    from risks.models import CampaignViolationTally

    return (
        CampaignViolationTally.objects.select_related("station")
        .filter(campaign_id=campaign_id, station_id=station_id, date=day)
        .first()
    )


def typed_tally_hint(*, user, campaign, team, started_at) -> str:
    """Before a patrol is saved: the warning that the campaign already has a typed tally for the team's
    station on the patrol's day ("" when it has none). ``campaign``/``team`` are raw ids or instances
    from the form; ones outside the caller's scope read as none (nothing is revealed)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    def pk(value):
        value = getattr(value, "pk", value)
        return int(value) if str(value or "").isdigit() and len(str(value)) <= 18 else None

    campaign_id, team_id = pk(campaign), pk(team)
    if campaign_id is None or team_id is None or started_at is None:
        return ""
    if not campaign_refs(user=user).filter(pk=campaign_id).exists():
        return ""
    team = team_refs(user=user).filter(pk=team_id).first()
    if team is None:
        return ""
    day = timezone.localtime(started_at).date() if timezone.is_aware(started_at) else started_at.date()
    typed = typed_tally(campaign_id=campaign_id, station_id=team.station_id, day=day)
    if typed is None:
        return ""
    return _(
        "该专项行动在%(station)s %(date)s 已有手工录入的违法统计（%(count)d 起）。"
        "本次巡逻的违法数将从记录中计入，请勿在手工录入中重复填写。"
    ) % {"station": typed.station.name, "date": typed.date, "count": typed.count}


def operation_refs(*, user):
    """Operations of the campaigns a patrol may name."""
    from risks.models import CampaignOperation

    return CampaignOperation.objects.filter(campaign__in=campaign_list(user=user))


def can_see_member_contact(user, member: Member) -> bool:
    """Whether ``user`` may read ``member``'s phone and linked account: the sub-bureau's roles
    always; station roles for members of their own station's teams only (other stations' teams and
    members are readable as names)."""
    if user.role in (Role.ADMIN, Role.BUREAU_LEADER):
        return True
    return member.team.station_id is not None and member.team.station_id == user.station_id


def member_list(*, user) -> QuerySet[Member]:
    qs = Member.objects.select_related("team", "user")
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        return qs.none()
    return qs


def shift_list(*, user) -> QuerySet[Shift]:
    """Shifts in zones that overlap the reader's station (all for bureau leaders and admins)."""
    qs = Shift.objects.select_related("zone", "team").prefetch_related(
        Prefetch("assignments", queryset=ShiftAssignment.objects.select_related("member"))
    )
    return scope_queryset(qs, user, station_field=ZONE_SCOPE)


def roster_week(*, user, monday: date) -> dict:
    """The roster calendar of the 7 local days from ``monday``: ``days`` (the dates) and ``rows``,
    one per active zone in code order, each ``{"zone", "cells"}`` with one list of shifts per day.

    A cell holds every shift of the reader's scope (:func:`shift_list`) overlapping that Asia/Shanghai
    day, so a night shift shows on both days; ``ends_at`` is exclusive, so a shift ending at local
    midnight does not show on the next day. Two queries whatever the week holds: zones, then shifts
    (with their team); the lists' prefetches are dropped because the calendar shows neither a zone's
    stations nor a shift's members.
    """
    tz = local_tz()
    days = [monday + timedelta(days=i) for i in range(7)]
    start = datetime.combine(monday, time.min, tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time.min, tzinfo=tz)
    zones = list(zone_list(user=user).filter(is_active=True).prefetch_related(None))
    grid = {z.pk: {d: [] for d in days} for z in zones}
    shifts = shift_list(user=user).filter(starts_at__lt=end, ends_at__gt=start).prefetch_related(None)
    for shift in shifts:
        if shift.zone_id not in grid:  # a shift of an inactive zone
            continue
        first = timezone.localtime(shift.starts_at, tz).date()
        last = timezone.localtime(shift.ends_at - timedelta(seconds=1), tz).date()
        for d in days:
            if first <= d <= last:
                grid[shift.zone_id][d].append(shift)
    return {"days": days, "rows": [{"zone": z, "cells": [grid[z.pk][d] for d in days]} for z in zones]}


def shifts_on_duty(*, zone: PatrolZone, at: datetime) -> list[Shift]:
    """Shifts running in ``zone`` at ``at``, the latest started first."""
    return list(
        Shift.objects.filter(zone=zone, starts_at__lte=at, ends_at__gt=at)
        .select_related("team", "zone")
        .prefetch_related(
            Prefetch("assignments", queryset=ShiftAssignment.objects.select_related("member__user"))
        )
        .order_by("-starts_at", "-id")
    )


def team_on_duty(zone: PatrolZone, at: datetime | None = None) -> Team | None:
    """The team on duty in ``zone`` at ``at`` (now by default), or None.

    Other apps use this to route traffic work to the zone's team. With two overlapping shifts in a
    zone (a hand-over), the one that started last is the team on duty.
    """
    shifts = shifts_on_duty(zone=zone, at=at or timezone.now())
    return shifts[0].team if shifts else None


def on_duty_recipients(shift: Shift) -> list:
    """Users to notify for a shift: its members with a login, the team leader first."""
    members = sorted(shift.assignments.all(), key=lambda a: not a.member.is_leader)
    return [a.member.user for a in members if a.member.user_id and a.member.user.is_active]


def duty_board(*, at: datetime | None = None) -> list[dict]:
    """Every active zone with the team(s) on duty now: one query for zones, one for shifts."""
    at = at or timezone.now()
    zones = list(PatrolZone.objects.filter(is_active=True).prefetch_related("stations").order_by("code"))
    running = (
        Shift.objects.filter(starts_at__lte=at, ends_at__gt=at, zone__in=zones)
        .select_related("team")
        .prefetch_related(Prefetch("assignments", queryset=ShiftAssignment.objects.select_related("member")))
        .order_by("-starts_at")
    )
    by_zone: dict[int, list[Shift]] = {}
    for shift in running:
        by_zone.setdefault(shift.zone_id, []).append(shift)
    return [{"zone": z, "shifts": by_zone.get(z.pk, [])} for z in zones]


# ---------------------------------------------------------------- assets, patrols, accidents


def asset_list(*, user) -> QuerySet[Asset]:
    return scope_queryset(Asset.objects.select_related("zone"), user, station_field=ZONE_SCOPE)


def patrol_list(*, user) -> QuerySet[Patrol]:
    qs = Patrol.objects.select_related("team", "zone", "campaign").prefetch_related(
        "violations", "named_officers"
    )
    return scope_queryset(qs, user, station_field=ZONE_SCOPE)


def joint_patrol_list(*, user) -> QuerySet[JointPatrol]:
    qs = JointPatrol.objects.select_related("station", "zone", "enterprise")
    return scope_queryset(qs, user)


def accident_list(*, user) -> QuerySet[Accident]:
    return scope_queryset(Accident.objects.select_related("zone", "station"), user)


def incident_alert_list(*, user) -> QuerySet[IncidentAlert]:
    qs = IncidentAlert.objects.select_related("incident", "incident__station", "zone", "team")
    return scope_queryset(qs, user, station_field="incident__station")


# ---------------------------------------------------------------- the zone map

ASSET_COLOURS = {
    AssetKind.CAMERA: "#16794a",
    AssetKind.RADAR_SIGN: "#8a5a00",
    AssetKind.POLICE_POST: "#0b4a8b",
}
MAP_ACCIDENT_DAYS = 30


def map_features(*, user) -> dict:
    """GeoJSON for the zone map in the shape ``static/risks/map.js`` understands (``layer``, ``label``,
    ``detail``, ``url`` and style hints per feature; ``layers`` with their labels): zones with the
    team on duty, assets, the last 30 days of accidents; assets and accidents in the lists' scope."""
    features = []
    for row in duty_board():
        zone = row["zone"]
        team = row["shifts"][0].team.name if row["shifts"] else None
        features.append(
            {
                "type": "Feature",
                "geometry": zone.polygon,
                "properties": {
                    "layer": "zones",
                    "code": zone.code,
                    "team": team,
                    "label": f"{zone.name}：{team or _('无在岗队伍')}",
                    "detail": _("在岗队伍：%(t)s") % {"t": team} if team else _("当前无在岗队伍"),
                    "color": "#16794a" if team else "#5f6b7a",
                    # the zone's name on the map itself (a permanent label, set as text)
                    "tag": zone.name,
                },
            }
        )
    for asset in asset_list(user=user).exclude(status=AssetStatus.REMOVED):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [asset.lon, asset.lat]},
                "properties": {
                    "layer": "assets",
                    "kind": asset.kind,
                    "label": f"{asset.get_kind_display()} {asset.code} {asset.name}",
                    "detail": f"{asset.road} · {asset.get_status_display()} · {asset.get_maintenance_status_display()}",
                    "url": reverse("traffic:asset_detail", args=[asset.pk]),
                    "color": ASSET_COLOURS.get(asset.kind),
                    "shape": "square",
                },
            }
        )
    since = timezone.now() - timedelta(days=MAP_ACCIDENT_DAYS)
    for accident in accident_list(user=user).filter(occurred_at__gte=since):
        fatal = accident.type == AccidentType.DEATH
        occurred = timezone.localtime(accident.occurred_at).strftime("%Y-%m-%d %H:%M")
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [accident.lon, accident.lat]},
                "properties": {
                    "layer": "accidents",
                    "number": accident.number,
                    "label": f"{accident.number} {accident.get_type_display()}",
                    "detail": f"{occurred} {accident.address}",
                    "url": reverse("traffic:accident_detail", args=[accident.pk]),
                    "color": "#b42318" if fatal else "#d9480f",
                    "radius": 9 if fatal else 7,
                    "hollow": accident.status == AccidentStatus.CLOSED,
                },
            }
        )
    layers = [
        {"id": "zones", "label": _("巡区（在岗队伍）"), "on": True},
        {"id": "assets", "label": _("路面设施"), "on": True},
        {"id": "accidents", "label": _("近30天事故"), "on": True},
    ]
    return {"type": "FeatureCollection", "layers": layers, "legend": map_legend(), "features": features}


def map_legend() -> list[dict]:
    """What every colour and shape on the zone map means (drawn by ``static/risks/map.js``)."""
    kinds = dict(AssetKind.choices)
    return [
        {"shape": "area", "color": "#16794a", "label": _("巡区：有在岗队伍")},
        {"shape": "area", "color": "#5f6b7a", "label": _("巡区：无在岗队伍")},
        *(
            {"shape": "square", "color": colour, "label": kinds[kind]}
            for kind, colour in ASSET_COLOURS.items()
        ),
        {"shape": "circle", "color": "#b42318", "label": _("事故：有死亡")},
        {"shape": "circle", "color": "#d9480f", "label": _("事故：其他")},
        {"shape": "circle", "color": "#5b6775", "hollow": True, "label": _("空心：已结案")},
    ]


# ---------------------------------------------------------------- KPIs (the dashboard reuses these)


def _station_q(station, field: str) -> Q:
    return Q(**{field: station}) if station is not None else Q()


def accident_counts(*, start: datetime, end: datetime, station=None) -> dict:
    """Accidents in [start, end): total, by type, injured, deaths, major (≥3 deaths)."""
    qs = Accident.objects.filter(_station_q(station, "station"), occurred_at__gte=start, occurred_at__lt=end)
    agg = qs.aggregate(
        accidents=Count("id"),
        injured_sum=Sum("injured"),
        deaths_sum=Sum("deaths"),
        major=Count("id", filter=Q(deaths__gte=MAJOR_ACCIDENT_DEATHS)),
        fatal=Count("id", filter=Q(deaths__gt=0)),
        closed=Count("id", filter=Q(status="closed")),
        by_station=Count("id", filter=Q(handled_by="station")),
        **{f"type_{t}": Count("id", filter=Q(type=t)) for t in AccidentType.values},
    )
    return {
        "accidents": agg["accidents"],
        "injured": agg["injured_sum"] or 0,
        "deaths": agg["deaths_sum"] or 0,
        "fatal_accidents": agg["fatal"],
        "major_accidents": agg["major"],
        "closed": agg["closed"],
        "handled_by_station": agg["by_station"],
        "by_type": {t: agg[f"type_{t}"] for t in AccidentType.values},
    }


def patrol_counts(*, start: datetime, end: datetime, station=None, campaign=None) -> dict:
    """Patrols started in [start, end): total, by kind, officer deployments, violations by type."""
    qs = Patrol.objects.filter(_station_q(station, ZONE_SCOPE), started_at__gte=start, started_at__lt=end)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    agg = qs.aggregate(
        patrols=Count("id"),
        officers_sum=Sum("officers"),
        **{f"kind_{k}": Count("id", filter=Q(kind=k)) for k in PatrolKind.values},
    )
    # from the violations' side (few rows, each joined to its patrol) rather than hashing every patrol
    in_period = PatrolViolation.objects.filter(
        _station_q(station, f"patrol__{ZONE_SCOPE}"),
        patrol__started_at__gte=start,
        patrol__started_at__lt=end,
    )
    if campaign is not None:
        in_period = in_period.filter(patrol__campaign=campaign)
    violations = dict(in_period.values_list("type").annotate(total=Sum("count")).values_list("type", "total"))
    by_kind = {k: agg[f"kind_{k}"] for k in PatrolKind.values}
    return {
        "patrols": agg["patrols"],
        "racing_wrong_way_patrols": by_kind[PatrolKind.RACING] + by_kind[PatrolKind.WRONG_WAY],
        "officer_deployments": agg["officers_sum"] or 0,
        "by_kind": by_kind,
        "violations": sum(violations.values()),
        "violations_by_type": violations,
    }


def joint_patrol_counts(*, date_from: date, date_to: date, station=None) -> dict:
    qs = JointPatrol.objects.filter(_station_q(station, "station"), date__gte=date_from, date__lte=date_to)
    agg = qs.aggregate(
        rounds=Count("id"),
        police=Sum("police"),
        grid_workers=Sum("grid_workers"),
        enterprise_security=Sum("enterprise_security"),
        volunteers=Sum("volunteers"),
    )
    return {k: agg[k] or 0 for k in agg}


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def _accident_totals(*, start: datetime, end: datetime, station=None) -> dict:
    """Accidents, deaths and injured in [start, end) (the three figures the YoY compares)."""
    qs = Accident.objects.filter(_station_q(station, "station"), occurred_at__gte=start, occurred_at__lt=end)
    agg = qs.aggregate(accidents=Count("id"), deaths=Sum("deaths"), injured=Sum("injured"))
    return {"accidents": agg["accidents"], "deaths": agg["deaths"] or 0, "injured": agg["injured"] or 0}


def accidents_yoy(*, date_from: date, date_to: date, station=None, now: dict | None = None) -> dict:
    """Accidents and deaths in the period vs the same dates a year earlier, with the exact test of ``qianwan.kpi.compare_counts``.
    ``now``: the period's :func:`accident_counts` when the caller has them already."""
    if now is None:
        start, end = local_day_range(date_from, date_to)
        now = _accident_totals(start=start, end=end, station=station)
    b_from, b_to = _year_before(date_from), _year_before(date_to)
    start, end = local_day_range(b_from, b_to)
    before = _accident_totals(start=start, end=end, station=station)
    days = {"exposure_now": (date_to - date_from).days + 1, "exposure_before": (b_to - b_from).days + 1}
    return {
        "from": date_from,
        "to": date_to,
        "before_from": b_from,
        "before_to": b_to,
        "accidents": compare_counts(now["accidents"], before["accidents"], **days),
        "deaths": compare_counts(now["deaths"], before["deaths"], **days),
        "injured": compare_counts(now["injured"], before["injured"], **days),
    }


def traffic_kpis(*, date_from: date, date_to: date, station=None) -> dict:
    """The traffic figures of the report for a local-date period (inclusive)."""
    start, end = local_day_range(date_from, date_to)
    accidents = accident_counts(start=start, end=end, station=station)
    return {
        "from": date_from,
        "to": date_to,
        "station": station.code if station else None,
        **accidents,
        "zero_major_goal_met": accidents["major_accidents"] == 0,
        "patrols": patrol_counts(start=start, end=end, station=station),
        "joint_patrols": joint_patrol_counts(date_from=date_from, date_to=date_to, station=station),
        "yoy": accidents_yoy(date_from=date_from, date_to=date_to, station=station, now=accidents),
        "assets": asset_counts(station=station),
    }


def asset_counts(*, station=None) -> dict:
    qs = Asset.objects.filter(_station_q(station, ZONE_SCOPE)).exclude(status="removed")
    by_kind = dict(qs.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return {
        "total": sum(by_kind.values()),
        "by_kind": by_kind,
        "maintenance_due": qs.exclude(maintenance_status="ok").count(),
    }


def campaign_patrol_tallies(*, campaign, station=None) -> dict:
    """What the traffic app contributes to a campaign (专项行动): patrols, deployments, violations."""
    qs = Patrol.objects.filter(_station_q(station, ZONE_SCOPE), campaign=campaign)
    agg = qs.aggregate(patrols=Count("id"), officers=Sum("officers"))
    violations = PatrolViolation.objects.filter(patrol__in=qs.values("pk")).aggregate(n=Sum("count"))["n"]
    return {
        "campaign": getattr(campaign, "pk", campaign),
        "patrols": agg["patrols"],
        "officer_deployments": agg["officers"] or 0,
        "traffic_violations": violations or 0,
    }


# ---------------------------------------------------------------- hotspots and before/after

H3_RESOLUTION = 9


def accident_hotspots(
    *,
    date_from: date,
    date_to: date,
    station=None,
    resolution: int = H3_RESOLUTION,
    with_places: bool = False,
) -> list[dict]:
    """Accident counts per H3 cell with a Getis-Ord Gi* z-score (cell + its ring-1 neighbours).

    The study area is every cell within two rings of a cell with an accident (zeros included), which
    keeps the test local and cheap; z ≥ 1.96 marks a hotspot (95%). ``with_places`` adds ``place``,
    the road (else the address) most of the cell's accidents were on: the name a page shows.
    """
    import h3
    import numpy as np

    start, end = local_day_range(date_from, date_to)
    points = Accident.objects.filter(
        _station_q(station, "station"), occurred_at__gte=start, occurred_at__lt=end
    )
    rows = list(points.values_list("lat", "lon", "deaths", "road", "address"))
    if not rows:
        return []
    counts: Counter = Counter()
    deaths: Counter = Counter()
    places: dict = defaultdict(Counter)
    for lat, lon, d, road, address in rows:
        cell = h3.latlng_to_cell(lat, lon, resolution)
        counts[cell] += 1
        deaths[cell] += d
        if with_places and (road or address or "").strip():
            places[cell][(road or address).strip()] += 1
    area = set()
    for cell in counts:
        area.update(h3.grid_disk(cell, 2))
    cells = sorted(area)
    index = {c: i for i, c in enumerate(cells)}
    x = np.array([counts.get(c, 0) for c in cells], dtype=float)
    n = len(cells)
    mean, std = x.mean(), x.std()
    result = []
    for cell, count in counts.items():
        neighbours = [index[c] for c in h3.grid_disk(cell, 1) if c in index]
        w = len(neighbours)
        local = x[neighbours].sum()
        denom = std * np.sqrt((n * w - w * w) / (n - 1)) if n > 1 and std > 0 else 0
        z = float((local - mean * w) / denom) if denom else 0.0
        lat, lon = h3.cell_to_latlng(cell)
        result.append(
            {
                "cell": cell,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "accidents": count,
                "deaths": deaths[cell],
                "gi_z": round(z, 2),
                "hotspot": z >= 1.96,
                "boundary": [[round(a, 6), round(b, 6)] for a, b in h3.cell_to_boundary(cell)],
            }
        )
        if with_places:
            result[-1]["place"] = places[cell].most_common(1)[0][0] if places[cell] else ""
    result.sort(key=lambda r: (-r["accidents"], -r["gi_z"], r["cell"]))
    return result


def asset_before_after(
    *, asset: Asset, radius_m: int = 500, window_days: int = 90, today: date | None = None
) -> dict:
    """Accidents within ``radius_m`` of an asset in equal windows before and after its installation.

    When less than ``window_days`` have passed since installation, both windows shrink to the days
    available, so the comparison is always like for like.
    """
    today = today or timezone.localdate()
    if asset.installed_on is None:
        return {
            "asset": asset.pk,
            "installed_on": None,
            "comparable": False,
            "reason": _("该设施没有安装日期。"),
        }
    available = (today - asset.installed_on).days
    days = min(window_days, available)
    if days <= 0:
        return {
            "asset": asset.pk,
            "installed_on": asset.installed_on,
            "comparable": False,
            "reason": _("安装后还没有完整的一天。"),
        }
    installed_start = local_day_range(asset.installed_on, asset.installed_on)[0]
    before_start = installed_start - timedelta(days=days)
    after_end = installed_start + timedelta(days=days)
    min_lat, max_lat, min_lon, max_lon = geo.bbox_around(asset.lat, asset.lon, radius_m)
    candidates = Accident.objects.filter(
        occurred_at__gte=before_start,
        occurred_at__lt=after_end,
        lat__gte=min_lat,
        lat__lte=max_lat,
        lon__gte=min_lon,
        lon__lte=max_lon,
    ).values_list("occurred_at", "lat", "lon")
    before = after = 0
    for occurred_at, lat, lon in candidates:
        if geo.haversine_m(asset.lat, asset.lon, lat, lon) > radius_m:
            continue
        if occurred_at < installed_start:
            before += 1
        else:
            after += 1
    return {
        "asset": asset.pk,
        "installed_on": asset.installed_on,
        "comparable": True,
        "radius_m": radius_m,
        "window_days": days,
        "before_from": (installed_start - timedelta(days=days)).date(),
        "after_to": (after_end - timedelta(days=1)).date(),
        "change": compare_counts(after, before, exposure_now=days, exposure_before=days),
    }


# ---------------------------------------------------------------- workbench


def workbench_panel(*, user) -> dict | None:
    """Open accidents of the user's scope, newest first, for the home page."""
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        return None
    open_accidents = accident_list(user=user).filter(status="open")[:5]
    rows = [
        {
            "label": f"{a.number} {a.address}",
            "url": reverse("traffic:accident_detail", args=[a.pk]),
            "note": _("亡 %(d)s 伤 %(i)s") % {"d": a.deaths, "i": a.injured},
        }
        for a in open_accidents
    ]
    return {
        "title": _("交通事故（处理中）"),
        "url": reverse("traffic:accident_list"),
        "rows": rows,
        "empty": _("没有处理中的交通事故。"),
    }


def leaders_to_alert() -> list:
    """Sub-bureau leaders: told at once about an accident with three or more deaths."""
    from qianwan.org.selectors import users_with_role

    return list(users_with_role(Role.BUREAU_LEADER))
