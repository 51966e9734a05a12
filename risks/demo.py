"""Demo data of the risks app: ~660 hazards over the last year in a realistic mix of statuses, the
summer campaign (百日行动) with its operations, inspections and tallies, risk points with work plans,
and a hotspot run over the demo incidents. Idempotent; bulk inserts keep it fast on SQLite."""

import logging
import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from qianwan.kpi import local_tz
from qianwan.org.models import Station, User

from .choices import HazardStatus, ReminderStage, RiskPointStatus
from .models import (
    Campaign,
    CampaignOperation,
    CampaignViolationTally,
    Hazard,
    HotspotRun,
    InspectionProblem,
    RiskPoint,
    VenueInspection,
    WorkPlan,
    WorkPlanReview,
)

logger = logging.getLogger(__name__)

DEMO_TAG = "-D"  # hazard numbers YH-<station>-<year>-D00001
CAMPAIGN_NAME = "2026年夏季治安巡防集中统一行动（百日行动）"
RISK_POINT_PREFIX = "【演示】"
HAZARD_COUNT = 660
# the demo incidents are spread thin (≈1.3 km around each station): half a year gives Gi* counts to work on
DEMO_HOTSPOT_DAYS = 180

TITLES = {
    "fire": [
        "电动车楼道违规充电",
        "消防通道堆放杂物",
        "灭火器过期未更换",
        "出租房私拉乱接电线",
        "厂房疏散指示灯损坏",
    ],
    "public_order": [
        "夜宵排档酒后滋事隐患",
        "娱乐场所未落实实名登记",
        "网吧接纳未成年人",
        "出租房人员登记不全",
    ],
    "traffic": ["路口视线遮挡", "企业门口大货车违停", "学校周边缺少减速带", "事故多发路段缺少警示标志"],
    "production_safety": ["车间安全通道被占用", "员工宿舍与仓库混设（三合一）", "叉车无证驾驶"],
    "hazardous_chemicals": ["危化品仓库台账不全", "易燃液体混存", "加油站防爆设施缺陷"],
    "construction": ["工地围挡破损", "塔吊作业区未设警戒", "深基坑临边防护缺失"],
    "rental_housing": ["群租房隔断过多", "出租房未安装烟感", "地下室违规住人"],
}
PARTIES = [
    "兴业电动车行",
    "海川物业",
    "滨海四路出租房房东",
    "杭州湾某汽配厂",
    "世纪城夜宵街商户",
    "新浦镇某化工仓储",
    "崇寿镇某建筑公司",
]
LEVELS = ["low"] * 40 + ["medium"] * 35 + ["high"] * 20 + ["major"] * 5
DAYS_TO_RECTIFY = {"low": 30, "medium": 20, "high": 10, "major": 5}


def _users():
    by_name = {
        u.username: u
        for u in User.objects.filter(
            username__in=["officer", "officer2", "officer_css", "leader", "leader_css", "bureau", "admin"]
        )
    }
    return by_name


def _people(station, users):
    """(recorder, rectifier, closer) for a station: closer always a different person."""
    if station.code == "ADS":
        return users.get("officer"), users.get("officer2"), users.get("leader")
    if station.code == "CSS":
        return users.get("officer_css"), users.get("officer_css"), users.get("leader_css")
    return users.get("bureau"), users.get("bureau"), users.get("admin")


def _hazards(stations, users, rng, now) -> int:
    rows = []
    year = timezone.localtime(now).year
    for i in range(HAZARD_COUNT):
        station = stations[i % len(stations)]
        recorder, rectifier, closer = _people(station, users)
        category = rng.choice(list(TITLES))
        level = rng.choice(LEVELS)
        age = rng.triangular(0, 365, 60)
        found_at = now - timedelta(days=age, hours=rng.randint(0, 12))
        rectify_by = datetime.combine(
            timezone.localtime(found_at).date() + timedelta(days=DAYS_TO_RECTIFY[level]),
            time(23, 59, 59),
            tzinfo=local_tz(),
        )
        p_closed, p_rectified = (0.84, 0.08) if age > 45 else (0.6, 0.15) if age > 15 else (0.2, 0.25)
        roll = rng.random()
        status = (
            HazardStatus.CLOSED
            if roll < p_closed
            else HazardStatus.RECTIFIED
            if roll < p_closed + p_rectified
            else HazardStatus.OPEN
        )
        if status == HazardStatus.OPEN and rng.random() < 0.08:
            status = HazardStatus.REOPENED
        h = Hazard(
            number=f"YH-{station.code}-{year}{DEMO_TAG}{i + 1:05d}",
            title=rng.choice(TITLES[category]),
            category=category,
            level=level,
            station=station,
            address=f"{station.name.replace('派出所', '')}辖区{rng.randint(1, 300)}号",
            lat=round(station.lat + rng.gauss(0, 0.011), 6),
            lon=round(station.lon + rng.gauss(0, 0.013), 6),
            responsible_party=rng.choice(PARTIES),
            responsible_contact=f"139{rng.randint(10000000, 99999999)}",
            responsible_officer=recorder if recorder and recorder.role == "officer" else None,
            found_at=found_at,
            rectify_by=rectify_by,
            status=status,
            recorded_by=recorder,
            reopen_count=1 if status == HazardStatus.REOPENED else 0,
        )
        if status in (HazardStatus.RECTIFIED, HazardStatus.CLOSED):
            late = rng.random() < 0.12
            span = (rectify_by - found_at).total_seconds()
            h.rectified_at = min(
                now,
                found_at
                + timedelta(seconds=span * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.2, 0.95))),
            )
            h.rectified_by = rectifier
            h.rectify_note = "已按要求整改，附现场照片"
        if status == HazardStatus.CLOSED:
            h.closed_at = min(now, h.rectified_at + timedelta(days=rng.uniform(0.5, 6)))
            h.closed_by = closer
            h.close_note = "对账核实，予以销号"
        if h.is_open:
            if rectify_by < now - timedelta(days=1):
                h.reminder_stage, h.next_reminder_at = ReminderStage.OVERDUE, None  # already told
            else:
                h.next_reminder_at = rectify_by - timedelta(days=3)
        rows.append(h)
    Hazard.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _campaign(stations, users, rng, hazards_sample) -> Campaign:
    tz_today = timezone.localdate()
    year = tz_today.year if tz_today >= date(tz_today.year, 9, 8) else tz_today.year - 1
    campaign = Campaign.objects.create(
        name=CAMPAIGN_NAME,
        starts_on=date(year, 6, 1),
        ends_on=date(year, 9, 8),
        description="夏季治安巡防集中统一行动：场所清查、隐患整改、交通违法整治。",
        created_by=users.get("bureau"),
    )
    deployments = [520, 610, 580, 640, 590, 560, 600]
    ops = []
    for k, n in enumerate(deployments):
        op = CampaignOperation.objects.create(
            campaign=campaign,
            date=campaign.starts_on + timedelta(days=7 + 14 * k),
            title=f"第{k + 1}次集中统一行动",
            zones="全域九个巡区",
            officers_deployed=n,
            created_by=users.get("bureau"),
        )
        op.stations.set(stations)
        ops.append(op)
    types = [
        "entertainment",
        "internet_cafe",
        "hotel",
        "rental",
        "restaurant",
        "shop",
        "enterprise",
        "construction_site",
    ]
    inspections = []
    for i in range(2050):
        station = stations[i % len(stations)]
        op = ops[i % len(ops)]
        inspections.append(
            VenueInspection(
                campaign=campaign,
                operation=op,
                station=station,
                venue_name=f"{station.name.replace('派出所', '')}场所{i // len(stations) + 1:04d}",
                venue_type=rng.choice(types),
                address=f"{station.name.replace('派出所', '')}辖区",
                lat=round(station.lat + rng.gauss(0, 0.01), 6),
                lon=round(station.lon + rng.gauss(0, 0.012), 6),
                inspected_on=op.date,
                inspector=_people(station, users)[0],
            )
        )
    VenueInspection.objects.bulk_create(inspections, batch_size=500)
    inspections = list(VenueInspection.objects.filter(campaign=campaign).order_by("id"))
    problems = []
    texts = [
        "消防通道堵塞",
        "灭火器过期",
        "未落实实名登记",
        "电线私拉乱接",
        "安全出口标识损坏",
        "从业人员信息未登记",
    ]
    for i in range(2600):
        inspection = inspections[(i * 7) % len(inspections)]
        rectified = i % 43 != 0  # ~98% rectified on the spot
        problems.append(
            InspectionProblem(
                inspection=inspection,
                description=rng.choice(texts),
                rectified_at=datetime.combine(inspection.inspected_on, time(20), tzinfo=local_tz())
                if rectified
                else None,
                rectify_note="现场整改" if rectified else "",
            )
        )
    InspectionProblem.objects.bulk_create(problems, batch_size=500)
    # some open problems went onto the ledger
    for problem, hazard in zip(
        InspectionProblem.objects.filter(inspection__campaign=campaign, rectified_at__isnull=True)[:20],
        hazards_sample,
        strict=False,
    ):
        problem.hazard = hazard
        problem.save(update_fields=["hazard"])
    # The violations are recorded on the campaign's traffic patrols (traffic/demo.py, one per operation
    # and zone); one typed tally remains for work with no record (shown as 手工录入 apart).
    CampaignViolationTally.objects.create(
        campaign=campaign,
        station=stations[0],
        date=ops[-1].date,
        count=23,
        officers_deployed=12,
        note="卡口联合查处（无巡逻记录）",
    )
    return campaign


RISK_POINTS = [
    # name, category, station, lat, lon, status, work plan
    ("世纪城夜宵街", "dispute", "SJC", 30.3342, 121.2588, "accepted", "夜间屯警街面、商户联防，规范占道经营"),
    (
        "庵东工业区员工宿舍片",
        "public_order",
        "ADS",
        30.2861,
        121.1921,
        "accepted",
        "出租房屋清查，宿舍实名登记，巡逻加密",
    ),
    (
        "滨海四路与兴慈一路交叉口",
        "traffic",
        "BHS",
        30.3521,
        121.2102,
        "accepted",
        "增设测速预警牌，上下班时段定点执勤",
    ),
    ("崇寿镇农贸市场周边", "dispute", "CSS", 30.2501, 121.1338, "candidate", ""),
    ("新浦镇物流园门口", "traffic", "XPS", 30.2731, 121.3002, "candidate", ""),
]


def _risk_points(stations_by_code, users, rng):
    today = timezone.localdate()
    ledger_open = list(Hazard.objects.filter(number__contains=DEMO_TAG, status__in=["open", "reopened"]))
    for name, category, code, lat, lon, status, measures in RISK_POINTS:
        station = stations_by_code.get(code)
        if station is None:
            continue
        point = RiskPoint.objects.create(
            name=RISK_POINT_PREFIX + name,
            category=category,
            station=station,
            lat=lat,
            lon=lon,
            gi_z=round(rng.uniform(2.4, 4.8), 2),
            incident_count=rng.randint(9, 31),
            trend=rng.choice(["emerging", "persisting"]),
            status=status,
            decided_by=users.get("bureau") if status == RiskPointStatus.ACCEPTED else None,
            decided_at=timezone.now() - timedelta(days=40) if status == RiskPointStatus.ACCEPTED else None,
            decision_note="经研判确定为高风险点位" if status == RiskPointStatus.ACCEPTED else "",
        )
        if status == RiskPointStatus.ACCEPTED:
            owner = _people(station, users)[0] or users.get("bureau")
            plan = WorkPlan.objects.create(
                risk_point=point,
                title=f"{name}专项工作方案",
                measures=measures,
                owner=owner,
                starts_on=today - timedelta(days=38),
                created_by=users.get("bureau"),
            )
            WorkPlanReview.objects.bulk_create(
                [
                    WorkPlanReview(plan=plan, review_on=today - timedelta(days=8)),
                    WorkPlanReview(plan=plan, review_on=today + timedelta(days=22)),
                ]
            )
            near = [h for h in ledger_open if h.station_id == station.pk][:3]
            Hazard.objects.filter(pk__in=[h.pk for h in near]).update(risk_point=point)


def _hotspots():
    from . import services

    today = timezone.localdate()
    made = 0
    for category in ("dispute", "public_order", "traffic"):
        try:
            with transaction.atomic():
                services.hotspot_run_compute(
                    category=category, period_end=today, days=DEMO_HOTSPOT_DAYS, force=True
                )
                made += 1
        except Exception as exc:  # the demo works without incidents: never fail the loader
            logger.warning("demo hotspot run for %s skipped: %s", category, exc)
    return made


def load() -> str:
    if Hazard.objects.filter(number__contains=DEMO_TAG).exists():
        return "already loaded"
    stations = list(
        Station.objects.filter(is_active=True, lat__isnull=False, lon__isnull=False).order_by("code")
    )
    if not stations:
        return "no stations"
    users = _users()
    rng = random.Random(650)
    now = timezone.now()
    n = _hazards(stations, users, rng, now)
    sample = list(Hazard.objects.filter(number__contains=DEMO_TAG, status="open")[:20])
    _campaign(stations, users, rng, sample)
    _risk_points({s.code: s for s in stations}, users, rng)
    runs = _hotspots()
    closed = Hazard.objects.filter(number__contains=DEMO_TAG, status="closed").count()
    return f"{n} hazards ({closed} closed), 1 campaign, {len(RISK_POINTS)} risk points, {runs} hotspot runs"


def reset() -> None:
    Campaign.objects.filter(name=CAMPAIGN_NAME).delete()
    Hazard.objects.filter(number__contains=DEMO_TAG).delete()
    RiskPoint.objects.filter(name__startswith=RISK_POINT_PREFIX).delete()
    # derived data, recomputed by the loader and by the weekly job
    RiskPoint.objects.filter(source_cell__isnull=False, status=RiskPointStatus.CANDIDATE).delete()
    HotspotRun.objects.all().delete()
