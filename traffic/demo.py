"""Demo data: nine patrol zones over the district, mixed teams on a two-shift roster, cameras, radar
signs and police posts, a year and a half of accidents (fewer this year than last), patrols against
racing and wrong-way driving, and joint patrols at enterprise junctions.

Idempotent: zones, teams, members and assets are upserted; shifts are added where missing; the
activity (accidents, patrols, joint patrols) is created only once.
"""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from qianwan.kpi import local_tz
from qianwan.org.models import User

from . import services
from .choices import AccidentCause, AssetKind, MemberKind, PatrolKind, ViolationType
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

LAT0, LAT1, LON0, LON1 = 30.23, 30.38, 121.10, 121.35
# (code, name) row by row from the south-west; rows run south → north, columns west → east
ZONES = [
    ("TZ1", "崇寿南片巡区"),
    ("TZ2", "庵东南片巡区"),
    ("TZ3", "新浦南片巡区"),
    ("TZ4", "崇寿北片巡区"),
    ("TZ5", "庵东中心巡区"),
    ("TZ6", "新浦北片巡区"),
    ("TZ7", "滨海西片巡区"),
    ("TZ8", "世纪城巡区"),
    ("TZ9", "滨海东片巡区"),
]
ROADS = [
    "滨海大道",
    "兴业路",
    "崇寿大道",
    "新浦路",
    "滨海二路",
    "滨海四路",
    "世纪大道",
    "杭州湾大道",
    "庵东大道",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = [
    "建华",
    "志明",
    "海峰",
    "立新",
    "晓东",
    "国栋",
    "伟",
    "强",
    "军",
    "磊",
    "鹏",
    "斌",
    "浩",
    "涛",
    "杰",
    "勇",
]
# demo logins put in teams, so their inbox shows on-duty alerts: (username, zone code)
LINKED_USERS = [("officer", "TZ5"), ("officer2", "TZ5"), ("officer_css", "TZ1")]


def _cell(index: int) -> dict:
    row, col = divmod(index, 3)
    dlat, dlon = (LAT1 - LAT0) / 3, (LON1 - LON0) / 3
    lat0, lon0 = LAT0 + row * dlat, LON0 + col * dlon
    lat1, lon1 = lat0 + dlat, lon0 + dlon
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}


def _point_in(zone: PatrolZone, rng: random.Random) -> tuple[float, float]:
    lat = rng.uniform(zone.min_lat + 0.004, zone.max_lat - 0.004)
    lon = rng.uniform(zone.min_lon + 0.004, zone.max_lon - 0.004)
    return round(lat, 6), round(lon, 6)


def _zones() -> list[PatrolZone]:
    zones = []
    for index, (code, name) in enumerate(ZONES):
        zone = PatrolZone.objects.filter(code=code).first()
        if zone is None:
            zone = services.zone_create(actor=None, code=code, name=name, polygon=_cell(index))
        zones.append(zone)
    return zones


def _teams(zones, rng) -> dict[str, list[Team]]:
    """Two mixed teams per zone (day and night), three members each: traffic, special, station police."""
    teams: dict[str, list[Team]] = {}
    kinds = [MemberKind.TRAFFIC_POLICE, MemberKind.PATROL_SPECIAL, MemberKind.STATION_POLICE]
    n = 0
    for zone in zones:
        station = zone.stations.first()
        pair = []
        for label in ("甲", "乙"):
            team, _ = Team.objects.get_or_create(
                name=f"{zone.name}{label}班",
                defaults={"kind": "mixed", "station": station, "home_zone": zone},
            )
            if not team.members.exists():
                for i, kind in enumerate(kinds):
                    n += 1
                    Member.objects.create(
                        team=team,
                        name=SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)],
                        kind=kind,
                        is_leader=i == 0,
                    )
            pair.append(team)
        teams[zone.code] = pair
    for username, code in LINKED_USERS:
        user = User.objects.filter(username=username).first()
        if user is None or Member.objects.filter(user=user).exists():
            continue
        team = teams[code][0]
        Member.objects.create(team=team, name=user.display_name, kind=MemberKind.STATION_POLICE, user=user)
    return teams


def _roster(zones, teams) -> int:
    """08:00–20:00 team 甲, 20:00–08:00 team 乙, from yesterday to six days ahead.

    Built in bulk: the plan cannot overlap by construction (each team has one 12-hour shift a day).
    """
    tz = local_tz()
    today = timezone.localdate()
    existing = set(Shift.objects.values_list("zone_id", "team_id", "starts_at"))
    members = {}
    for member in Member.objects.filter(is_active=True):
        members.setdefault(member.team_id, []).append(member)
    planned = []
    for zone in zones:
        day_team, night_team = teams[zone.code]
        for offset in range(-1, 7):
            day = today + timedelta(days=offset)
            for team, start_hour in ((day_team, 8), (night_team, 20)):
                start = datetime.combine(day, time(start_hour), tzinfo=tz)
                if (zone.pk, team.pk, start) in existing:
                    continue
                planned.append(
                    Shift(zone=zone, team=team, starts_at=start, ends_at=start + timedelta(hours=12))
                )
    shifts = Shift.objects.bulk_create(planned)
    ShiftAssignment.objects.bulk_create(
        [
            ShiftAssignment(shift=sh, member=m, starts_at=sh.starts_at, ends_at=sh.ends_at)
            for sh in shifts
            for m in members.get(sh.team_id, [])
        ]
    )
    return len(shifts)


def _assets(zones, rng) -> None:
    today = timezone.localdate()
    plan = [
        (AssetKind.CAMERA, "CAM", 12, "监控摄像头"),
        (AssetKind.RADAR_SIGN, "RS", 4, "雷达测速提示屏"),
        (AssetKind.POLICE_POST, "PP", 5, "警务岗亭"),
    ]
    for kind, prefix, count, label in plan:
        for i in range(count):
            code = f"{prefix}-{i + 1:02d}"
            if Asset.objects.filter(code=code).exists():
                continue
            zone = zones[(i * 4 + len(prefix)) % len(zones)]
            lat, lon = _point_in(zone, rng)
            road = ROADS[(i + len(prefix)) % len(ROADS)]
            services.asset_create(
                actor=None, kind=kind, code=code, name=f"{road}{label}{i + 1}号", road=road, lat=lat, lon=lon,
                installed_on=today - timedelta(days=120 + i * 9),
                maintenance_status="due" if i % 5 == 4 else "ok",
                status="active",
            )  # fmt: skip


def _accidents(zones, stations_by_zone, rng) -> int:
    """Accidents clustered on a few junctions: this year so far ~32% fewer than the same period last year."""
    today = timezone.localdate()
    tz = local_tz()
    year_start = date(today.year, 1, 1)
    days_so_far = max((today - year_start).days, 1)
    hot = [_point_in(zones[i], rng) for i in (1, 4, 4, 7)]
    rows: list[Accident] = []
    for start, count in ((year_start.replace(year=today.year - 1), 50), (year_start, 34)):
        for _ in range(count):
            day = start + timedelta(days=rng.randrange(days_so_far))
            occurred = datetime.combine(day, time(rng.randrange(6, 23), rng.randrange(60)), tzinfo=tz)
            if occurred > timezone.now() - timedelta(hours=12):
                continue
            if rng.random() < 0.6:
                base = rng.choice(hot)
                lat, lon = base[0] + rng.uniform(-0.0015, 0.0015), base[1] + rng.uniform(-0.0015, 0.0015)
            else:
                lat, lon = _point_in(rng.choice(zones), rng)
            zone = next(
                (z for z in zones if z.min_lat <= lat <= z.max_lat and z.min_lon <= lon <= z.max_lon),
                zones[4],
            )
            roll = rng.random()
            injured, deaths = (
                (0, 0) if roll < 0.6 else ((rng.randint(1, 3), 0) if roll < 0.93 else (rng.randint(0, 2), 1))
            )
            closed = occurred < timezone.now() - timedelta(days=7)
            rows.append(
                Accident(
                    number=f"SG{timezone.localtime(occurred):%Y%m%d}{len(rows) + 1:04d}", occurred_at=occurred,
                    lat=round(lat, 6), lon=round(lon, 6), zone=zone,
                    address=f"{rng.choice(ROADS)}与{rng.choice(ROADS)}交叉口", road=rng.choice(ROADS),
                    station=stations_by_zone[zone.code], vehicles=rng.randint(1, 3), injured=injured, deaths=deaths,
                    type="death" if deaths else ("injury" if injured else "property"),
                    cause=rng.choice(AccidentCause.values),
                    handled_by="station" if deaths == 0 and rng.random() < 0.7 else "brigade",
                    status="closed" if closed else "open",
                    closed_at=occurred + timedelta(days=rng.randint(1, 6)) if closed else None,
                )
            )  # fmt: skip
    # Historical demo rows go in bulk (no audit trail, no alerts): they did not happen in this system.
    Accident.objects.bulk_create(rows)
    return len(rows)


def _patrols(zones, teams, rng) -> int:
    """60 racing/wrong-way patrols this year, routine patrols, and campaign patrols if a campaign exists."""
    from risks.models import Campaign

    campaign = Campaign.objects.order_by("-starts_on").first()
    today = timezone.localdate()
    tz = local_tz()
    days_so_far = max((today - date(today.year, 1, 1)).days, 1)
    planned: list[tuple[Patrol, dict]] = []
    kinds = [PatrolKind.RACING] * 30 + [PatrolKind.WRONG_WAY] * 30 + [PatrolKind.ROUTINE] * 40
    for i, kind in enumerate(kinds):
        zone = zones[i % len(zones)]
        day = date(today.year, 1, 1) + timedelta(days=rng.randrange(days_so_far))
        start = datetime.combine(day, time(21 if kind != PatrolKind.ROUTINE else 9, 0), tzinfo=tz)
        if start > timezone.now() - timedelta(hours=4):
            continue
        focus = {PatrolKind.RACING: ViolationType.RACING, PatrolKind.WRONG_WAY: ViolationType.WRONG_WAY}.get(
            kind
        )
        violations = {t: rng.randint(0, 2) for t in rng.sample(ViolationType.values, 3)}
        if focus:
            violations[focus] = rng.randint(2, 9)
        planned.append(
            (
                Patrol(
                    team=teams[zone.code][0], zone=zone, kind=kind, started_at=start,
                    ended_at=start + timedelta(hours=2), officers=rng.randint(2, 6),
                    findings="夜间整治行动，现场查处并教育" if focus else "",
                ),
                violations,
            )
        )  # fmt: skip
    if campaign is not None:
        for i in range(10):
            day = campaign.starts_on + timedelta(
                days=i * max((campaign.ends_on - campaign.starts_on).days, 1) // 10
            )
            start = datetime.combine(day, time(20), tzinfo=tz)
            if start > timezone.now() - timedelta(hours=4):
                continue
            zone = zones[i % len(zones)]
            planned.append(
                (
                    Patrol(
                        team=teams[zone.code][1], zone=zone, kind=PatrolKind.CAMPAIGN, campaign=campaign,
                        started_at=start, ended_at=start + timedelta(hours=3), officers=rng.randint(4, 10),
                    ),
                    {ViolationType.SPEEDING: rng.randint(3, 12), ViolationType.DRUNK_DRIVING: rng.randint(0, 3)},
                )
            )  # fmt: skip
    if campaign is not None:
        # the campaign's violations on the record: one patrol per operation and zone, under the
        # operation (its head count is the operation's), 36–38 violations each (7 × 9 → 2,331)
        kinds = [
            ViolationType.SPEEDING,
            ViolationType.DRUNK_DRIVING,
            ViolationType.NO_HELMET,
            ViolationType.RED_LIGHT,
        ]
        n = 0
        for op in campaign.operations.order_by("date", "id"):
            for zone in zones:
                start = datetime.combine(op.date, time(20), tzinfo=tz)
                if start > timezone.now() - timedelta(hours=4):
                    continue
                total = 36 + n % 3
                n += 1
                split = {kinds[0]: total // 2, kinds[1]: total // 6, kinds[2]: total // 6}
                split[kinds[3]] = total - sum(split.values())
                planned.append(
                    (
                        Patrol(
                            team=teams[zone.code][1], zone=zone, kind=PatrolKind.CAMPAIGN, campaign=campaign,
                            operation=op, started_at=start, ended_at=start + timedelta(hours=3),
                            officers=rng.randint(6, 12), findings=f"{op.title}：路面整治",
                        ),
                        split,
                    )
                )  # fmt: skip
    patrols = Patrol.objects.bulk_create([p for p, _ in planned])
    PatrolViolation.objects.bulk_create(
        [
            PatrolViolation(patrol=p, type=t, count=c)
            for p, (_, v) in zip(patrols, planned, strict=True)
            for t, c in v.items()
            if c
        ]
    )
    return len(patrols)


def _joint_patrols(zones, rng) -> int:
    from enterprises.models import Enterprise

    enterprises = list(Enterprise.objects.filter(lat__isnull=False).order_by("pk")[:6])
    today = timezone.localdate()
    made = 0
    for i in range(15):
        enterprise = enterprises[i % len(enterprises)] if enterprises else None
        zone = zones[(i * 2) % len(zones)]
        station = enterprise.station if enterprise else zone.stations.first()
        lat, lon = (enterprise.lat, enterprise.lon) if enterprise else _point_in(zone, rng)
        name = enterprise.name if enterprise else f"{ROADS[i % len(ROADS)]}企业"
        services.joint_patrol_create(
            actor=None, date=today - timedelta(days=7 + i * 12), station=station,
            organisers=f"{station.name}、属地网格中心、{name}", location=f"{name}门口路口", enterprise=enterprise,
            lat=lat, lon=lon, police=rng.randint(1, 3), grid_workers=rng.randint(2, 5),
            enterprise_security=rng.randint(2, 6), volunteers=rng.randint(3, 10),
            note="上下班高峰疏导，劝导电动车戴头盔、不逆行",
        )  # fmt: skip
        made += 1
    return made


def load() -> str:
    rng = random.Random(8)
    zones = _zones()
    teams = _teams(zones, rng)
    shifts = _roster(zones, teams)
    _assets(zones, rng)
    stations_by_zone = {z.code: z.stations.first() for z in zones}
    activity = ""
    if not Accident.objects.exists() and not Patrol.objects.exists():
        accidents = _accidents(zones, stations_by_zone, rng)
        patrols = _patrols(zones, teams, rng)
        joints = _joint_patrols(zones, rng)
        activity = f", {accidents} accidents, {patrols} patrols, {joints} joint patrols"
    return f"{len(zones)} zones, {Team.objects.count()} teams, {shifts} new shifts, {Asset.objects.count()} assets{activity}"


def reset() -> None:
    IncidentAlert.objects.all().delete()
    JointPatrol.objects.all().delete()
    Patrol.objects.all().delete()
    Accident.objects.all().delete()
    Asset.objects.all().delete()
    Shift.objects.all().delete()
    Member.objects.all().delete()
    Team.objects.all().delete()
    PatrolZone.objects.all().delete()
