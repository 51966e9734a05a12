"""Demo data: blocks (片区) for the demo stations, the three channels' contacts, case files by type,
and about two years of disputes (so YoY works) with follow-ups, pushes and timelines.

Idempotent: nothing is created twice. Rows are bulk-written (they are history, not workflow), so the
load stays well under 20 s on SQLite.
"""

import random
from datetime import date, datetime, timedelta

import h3
from django.utils import timezone

from qianwan.kpi import add_months, local_month_range, local_tz
from qianwan.org.models import Station, User

from .choices import CHANNEL_FOR_LEVEL, EventKind, FollowupOutcome, Status
from .models import (
    H3_RESOLUTION,
    Block,
    BlockCell,
    CaseFile,
    ChannelContact,
    Dispute,
    DisputeEvent,
    Followup,
    Party,
)

DEMO_MARK = "D"  # demo dispute numbers: JF<year>D<seq>

# name, offset (dlat, dlon) from the station, officer username, weight (how "hot" the block is)
BLOCKS = {
    "ADS": [
        ("兴业路片区", (0.004, 0.006), "officer", 5),
        ("庵东老街片区", (-0.012, -0.008), "officer2", 3),
        ("工业园区宿舍片区", (0.02, 0.025), "officer", 4),
        ("海塘新村片区", (-0.025, 0.02), "officer2", 1),
    ],
    "CSS": [
        ("崇寿大道片区", (0.004, 0.006), "officer_css", 4),
        ("六塘南村片区", (-0.018, -0.012), "officer_css", 2),
        ("崇寿工业区片区", (0.02, 0.02), "officer_css", 3),
    ],
    "SJC": [("世纪城商圈片区", (0.004, 0.004), None, 3), ("滨海二路片区", (-0.015, 0.015), None, 2)],
    "BHS": [("滨海四路片区", (0.004, 0.004), None, 2)],
    "XPS": [("新浦集镇片区", (0.004, 0.004), None, 2)],
}
YEARLY = {"ADS": 260, "CSS": 180, "SJC": 110, "BHS": 50, "XPS": 40}
CONTACTS = [
    ("grid_building", "{town}网格中心（网格员—楼长）", "网格长 周丽", "13905740101"),
    ("mediation", "{town}社工委·人民调解办", "调解员 沈建华", "13905740202"),
    ("multi_department", "前湾新区矛调中心（多部门联动）", "值班主任 孙国平", "057463000000"),
]
CATEGORY_WEIGHTS = [
    ("neighbour", 30),
    ("family", 18),
    ("labour", 20),
    ("commercial", 8),
    ("property_management", 10),
    ("traffic_compensation", 9),
    ("other", 5),
]
SUMMARIES = {
    "neighbour": [
        "楼上漏水致楼下天花板受损，双方争吵",
        "装修噪音扰民引发邻里口角",
        "楼道堆放杂物占用公共通道",
    ],
    "family": ["夫妻因家务琐事争吵，一方报警", "子女赡养老人费用分担纠纷", "离婚后子女探视权争执"],
    "labour": ["工人讨要拖欠工资三个月", "外包班组与老板结算工钱纠纷", "员工离职押金未退引发争执"],
    "commercial": ["货款结算争议，双方在店内争吵", "租赁合同到期押金返还纠纷"],
    "property_management": ["业主拒交物业费与物业发生冲突", "停车位管理引发业主与物业纠纷"],
    "traffic_compensation": ["电动车与轿车刮擦，赔偿金额谈不拢", "货车倒车撞坏围墙赔偿纠纷"],
    "other": ["快递丢失赔偿纠纷", "网购退货引发争执"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
]
# evening and weekend heavy, like the report's dispute calls
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 5, 5, 5, 6, 7, 9, 10, 10, 8, 5, 2]


def _cells_around(lat: float, lon: float, k: int) -> list[str]:
    return sorted(h3.grid_disk(h3.latlng_to_cell(lat, lon, H3_RESOLUTION), k))


def _blocks(stations, users) -> dict[str, list[tuple[Block, int]]]:
    out: dict[str, list[tuple[Block, int]]] = {}
    for code, specs in BLOCKS.items():
        station = stations.get(code)
        if station is None or station.lat is None:
            continue
        out[code] = []
        for name, (dlat, dlon), username, weight in specs:
            block, created = Block.objects.get_or_create(
                station=station,
                name=name,
                defaults={"officer": users.get(username), "note": "分片包干，社区民警每周走访"},
            )
            if created:
                cells = _cells_around(station.lat + dlat, station.lon + dlon, 3)
                free = set(cells) - set(
                    BlockCell.objects.filter(cell__in=cells).values_list("cell", flat=True)
                )
                BlockCell.objects.bulk_create([BlockCell(block=block, cell=c) for c in sorted(free)])
            out[code].append((block, weight))
    return out


def _pick(rng, weighted):
    total = sum(w for _v, w in weighted)
    x = rng.uniform(0, total)
    for value, weight in weighted:
        x -= weight
        if x <= 0:
            return value
    return weighted[-1][0]


def _moment(rng, day: date) -> datetime:
    hour = _pick(rng, list(enumerate(HOUR_WEIGHTS)))
    return datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=local_tz()
    )


def load() -> str:
    rng = random.Random(2026)
    stations = {s.code: s for s in Station.objects.filter(code__in=list(BLOCKS))}
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["officer", "officer2", "officer_css", "leader"])
    }
    blocks = _blocks(stations, users)
    for station in stations.values():
        town = station.name.replace("派出所", "")
        for channel, org, contact, phone in CONTACTS:
            ChannelContact.objects.get_or_create(
                station=station,
                channel=channel,
                defaults={
                    "organisation": org.format(town=town),
                    "contact_name": contact,
                    "contact_phone": phone,
                },
            )
    for station in stations.values():
        for category, title, measures in [
            (
                "labour",
                "欠薪类纠纷档案",
                "联合人社所、工会约谈用工单位；节前专项排查在建工地；欠薪线索推送网格关注。",
            ),
            (
                "neighbour",
                "邻里类纠纷档案",
                "网格员—楼长联系机制跟进；楼道议事会每月一次；重点户每月回访两次。",
            ),
            (
                "property_management",
                "物业类纠纷档案",
                "街道物业办牵头，物业公司、业委会三方协商；停车管理方案公示。",
            ),
        ]:
            CaseFile.objects.get_or_create(
                station=station,
                block=None,
                category=category,
                defaults={
                    "title": f"{station.name.replace('派出所', '')}{title}",
                    "measures": measures,
                    "next_review_on": timezone.localdate() + timedelta(days=rng.randint(-5, 25)),
                    "last_reviewed_on": timezone.localdate() - timedelta(days=rng.randint(5, 30)),
                },
            )
    if Dispute.objects.filter(number__contains=DEMO_MARK, number__startswith="JF").exists():
        return f"{sum(len(b) for b in blocks.values())} blocks; disputes already loaded"
    result = _disputes(rng, stations, users, blocks)
    return f"{result}; {_visits(rng, blocks)}"


def _visits(rng, blocks) -> str:
    """Patrols and visits on the demo blocks over the last 30 days, with a photo on the latest visit of
    each hot block; the least walked hot block is left unvisited for 20 days (overdue on the blocks
    page and on its officer's home page). Idempotent: skipped once the blocks have visits."""
    from qianwan.attachments import samples
    from qianwan.attachments import services as attachment_services

    from . import patrols
    from .models import BlockVisit

    all_blocks = [b for specs in blocks.values() for b, _w in specs]
    if BlockVisit.objects.filter(block__in=all_blocks).exists():
        return "block visits already loaded"
    now = timezone.now()
    rows = patrols.block_rows(all_blocks, now=now)
    hot = [r for r in rows if r["hot"]]
    neglected = min(hot, key=lambda r: r["heat"])["block"].pk if len(hot) > 1 else None
    made = photos = 0
    for row in rows:
        block = row["block"]
        walker = block.officer
        every = 4 if row["hot"] else 9
        start = 20 if block.pk == neglected else 0
        visits = []
        for days_ago in range(start + rng.randint(0, 2), 30, every):
            at = now - timedelta(days=days_ago, hours=rng.randint(1, 8))
            visit = BlockVisit.objects.create(
                block=block,
                at=at,
                kind="visit" if days_ago % 2 else "patrol",
                note="分片包干巡访",
                findings=rng.choice(["一切正常", "走访商户，宣传防范", "发现邻里矛盾苗头，已登记关注"]),
                created_by=walker,
            )
            if walker is not None:
                visit.officers.set([walker])
            visits.append(visit)
            made += 1
        if row["hot"] and visits and walker is not None and walker.station_id == block.station_id:
            latest = max(visits, key=lambda v: v.at)
            cell = block.cells.order_by("cell").first()
            lat, lon = h3.cell_to_latlng(cell.cell) if cell else (block.station.lat, block.station.lon)
            attachment_services.attachment_add(
                actor=walker,
                record=latest,
                upload=samples.photo(lat=lat, lon=lon, taken_at=latest.at, label=latest.pk),
            )
            photos += 1
    return f"{made} block visits ({photos} with photos)"


def _disputes(rng, stations, users, blocks) -> str:
    tz = local_tz()
    now = timezone.now()
    today = timezone.localdate()
    # three calendar years so that both the YoY change and the growth-rate change have bases; the
    # oldest year is counted only (closed, no follow-ups), which keeps the load fast
    start = date(today.year - 2, 1, 1)
    light_year = today.year - 2
    factor = {today.year - 2: 0.93, today.year - 1: 1.0, today.year: 0.92}
    case_files = {(c.station_id, c.category): c for c in CaseFile.objects.filter(block__isnull=True)}
    rows, parties_for, seq = [], [], 0
    block_cells = {
        b.pk: sorted(b.cells.values_list("cell", flat=True)) for bs in blocks.values() for b, _w in bs
    }
    day = start
    while day <= today:
        for code, station in stations.items():
            # this year about 8% fewer than last year, with a summer peak
            per_day = YEARLY[code] / 365 * factor[day.year]
            per_day *= 1.25 if day.month in (6, 7, 8) else 0.95
            n = sum(1 for _ in range(4) if rng.random() < per_day / 4)
            for _i in range(n):
                seq += 1
                occurred = _moment(rng, day)
                if occurred > now:
                    continue
                block, lat, lon = None, None, None
                station_blocks = blocks.get(code) or []
                if station_blocks and rng.random() < 0.85:
                    block = _pick(rng, [(b, w) for b, w in station_blocks])
                    cell = rng.choice(block_cells[block.pk])
                    lat, lon = h3.cell_to_latlng(cell)
                elif station.lat is not None:
                    lat = station.lat + rng.uniform(-0.04, 0.04)
                    lon = station.lon + rng.uniform(-0.04, 0.04)
                category = _pick(rng, CATEGORY_WEIGHTS)
                level = _pick(rng, [("low", 62), ("medium", 30), ("high", 8)])
                age = (now - occurred).days
                handled_at = occurred + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
                if handled_at > now:
                    handled_at = None
                status = Status.OPEN
                closed_at = None
                if handled_at is not None:
                    status = Status.HANDLED
                    followup_until_y, followup_until_m = add_months(
                        handled_at.astimezone(tz).year, handled_at.astimezone(tz).month, 3
                    )
                    cadence_end = datetime(followup_until_y, followup_until_m, 1, tzinfo=tz)
                    if cadence_end <= now and rng.random() < 0.9:
                        status, closed_at = Status.CLOSED, cadence_end + timedelta(days=rng.randint(1, 6))
                        closed_at = min(closed_at, now)
                elif age > 2:
                    status = Status.IN_PROGRESS if rng.random() < 0.8 else Status.ESCALATED
                officer = (
                    block.officer
                    if block and block.officer_id
                    else users.get("officer")
                    if code == "ADS"
                    else None
                )
                rows.append(
                    Dispute(
                        number=f"JF{occurred.astimezone(tz):%Y}{DEMO_MARK}{seq:05d}",
                        station=station,
                        block=block,
                        case_file=case_files.get((station.pk, category)),
                        category=category,
                        risk_level=level,
                        channel=CHANNEL_FOR_LEVEL[level],
                        status=status,
                        summary=rng.choice(SUMMARIES[category]),
                        address=f"{block.name if block else station.name.replace('派出所', '')}{rng.randint(1, 200)}号",
                        lat=lat,
                        lon=lon,
                        h3_cell=h3.latlng_to_cell(lat, lon, H3_RESOLUTION) if lat is not None else "",
                        occurred_at=occurred,
                        officer=officer,
                        handled_at=handled_at,
                        closed_at=closed_at,
                        escalated_at=occurred + timedelta(days=1) if status == Status.ESCALATED else None,
                        pushed_at=occurred + timedelta(hours=6)
                        if level == "high" or rng.random() < 0.04
                        else None,
                        followup_until=date(
                            *add_months(handled_at.astimezone(tz).year, handled_at.astimezone(tz).month, 3), 1
                        )
                        if handled_at
                        else None,
                    )
                )
                parties_for.append(rng.randint(1, 3))
        day += timedelta(days=1)
    contacts = {c.station_id: {} for c in ChannelContact.objects.all()}
    for c in ChannelContact.objects.all():
        contacts[c.station_id][c.channel] = c
    for d in rows:
        c = contacts.get(d.station_id, {}).get(d.channel)
        if c:
            d.handling_org, d.handling_contact, d.handling_phone = (
                c.organisation,
                c.contact_name,
                c.contact_phone,
            )
    Dispute.objects.bulk_create(rows, batch_size=500)
    saved = list(
        Dispute.objects.filter(number__contains=DEMO_MARK)
        .select_related("officer", "station")
        .order_by("number")
    )
    parties, followups, events = [], [], []
    for dispute, n_parties in zip(saved, parties_for, strict=False):
        for k in range(n_parties):
            parties.append(
                Party(
                    dispute=dispute,
                    role="applicant" if k == 0 else "respondent",
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                )
            )
        officer = dispute.officer
        events.append(
            DisputeEvent(dispute=dispute, kind=EventKind.CREATED, at=dispute.occurred_at, actor=officer)
        )
        if dispute.occurred_at.astimezone(tz).year == light_year:
            continue
        if dispute.status != Status.OPEN:
            events.append(
                DisputeEvent(
                    dispute=dispute,
                    kind=EventKind.STARTED,
                    at=dispute.occurred_at + timedelta(hours=3),
                    actor=officer,
                    note=f"已移交{dispute.get_channel_display()}",
                )
            )
        if dispute.pushed_at:
            events.append(
                DisputeEvent(dispute=dispute, kind=EventKind.PUSHED, at=dispute.pushed_at, actor=officer)
            )
        if dispute.handled_at is None:
            continue
        events.append(
            DisputeEvent(dispute=dispute, kind=EventKind.RESOLVED, at=dispute.handled_at, actor=officer)
        )
        end = dispute.closed_at or now
        local = dispute.handled_at.astimezone(tz)
        year, month = local.year, local.month
        while True:
            m_start, m_end = local_month_range(year, month)
            if m_start >= end or m_start.date() >= dispute.followup_until:
                break
            lo, hi = max(m_start, dispute.handled_at + timedelta(hours=12)), min(m_end, end)
            wanted = 2 if rng.random() < 0.86 else rng.choice([0, 1])
            if m_end > now:  # the current month: part done, the rest is on the due list
                wanted = min(wanted, rng.choice([0, 1, 1, 2]))
            for _k in range(wanted):
                if hi <= lo:
                    break
                at = lo + (hi - lo) * rng.random()
                outcome = _pick(
                    rng,
                    [
                        ("stable", 70),
                        ("resolved", 12),
                        ("improving", 10),
                        ("recurring", 6),
                        ("unreachable", 2),
                    ],
                )
                followups.append(
                    Followup(
                        dispute=dispute,
                        at=at,
                        outcome=outcome,
                        note="电话回访，双方无新的矛盾"
                        if outcome == "stable"
                        else FollowupOutcome(outcome).label,
                        by=officer,
                    )
                )
                events.append(
                    DisputeEvent(
                        dispute=dispute,
                        kind=EventKind.FOLLOWUP,
                        at=at,
                        actor=officer,
                        data={"outcome": outcome},
                    )
                )
            year, month = add_months(year, month, 1)
        if dispute.closed_at:
            events.append(
                DisputeEvent(dispute=dispute, kind=EventKind.CLOSED, at=dispute.closed_at, actor=officer)
            )
    Party.objects.bulk_create(parties, batch_size=1000)
    Followup.objects.bulk_create(followups, batch_size=1000)
    events += _close_approvals(saved, followups)
    DisputeEvent.objects.bulk_create(events, batch_size=1000)
    _pushes(saved)
    return (
        f"{sum(len(b) for b in blocks.values())} blocks, {len(saved)} disputes, {len(followups)} follow-ups"
    )


def _close_approvals(disputes, followups) -> list:
    """A closed dispute with fewer follow-ups than closing needs was closed on its station leader's
    approval (the rule the service enforces): the approval is written on it, with its timeline entry."""
    from collections import Counter

    from qianwan.org.choices import Role

    from .conf import close_min_followups

    required = close_min_followups()
    done = Counter(f.dispute_id for f in followups)
    leaders = {}
    for u in User.objects.filter(role=Role.STATION_LEADER, is_active=True).order_by("pk"):
        leaders.setdefault(u.station_id, u)
    approved, events = [], []
    for d in disputes:
        if d.status != Status.CLOSED or done[d.pk] >= required:
            continue
        d.close_approved_by = leaders.get(d.station_id)
        d.close_approved_at = d.closed_at - timedelta(minutes=5)
        d.close_approval_reason = "当事双方已达成和解并搬离辖区，无法继续回访，经所领导批准结案"
        approved.append(d)
        events.append(
            DisputeEvent(
                dispute=d,
                kind=EventKind.CLOSE_APPROVED,
                at=d.close_approved_at,
                actor=d.close_approved_by,
                note=d.close_approval_reason,
                data={"followups": done[d.pk], "required": required},
            )
        )
    Dispute.objects.bulk_update(
        approved, ["close_approved_by", "close_approved_at", "close_approval_reason"], batch_size=500
    )
    return events


def _pushes(disputes) -> None:
    """The last few pushed disputes also get their outbox events (some acked by the grid platform)."""
    from qianwan.exchange.choices import OutboundKind, OutboundStatus
    from qianwan.exchange.models import OutboundEvent, Partner

    if not Partner.objects.filter(code="grid").exists():
        return
    pushed = [d for d in disputes if d.pushed_at][-12:]
    events = []
    for i, d in enumerate(pushed):
        status = [OutboundStatus.HANDLED, OutboundStatus.ACCEPTED, OutboundStatus.PENDING][i % 3]
        events.append(
            OutboundEvent(
                target="grid",
                kind=OutboundKind.DISPUTE,
                title=f"矛盾纠纷关注：{d.number} {d.get_category_display()}",
                payload={"number": d.number, "category": d.category, "risk_level": d.risk_level},
                station=d.station,
                source_type="disputes.dispute",
                source_id=str(d.pk),
                status=status,
                ack_note="" if status == OutboundStatus.PENDING else "网格员已上门了解情况",
                acked_at=None if status == OutboundStatus.PENDING else d.pushed_at + timedelta(hours=5),
            )
        )
    OutboundEvent.objects.bulk_create(events)


def reset() -> None:
    from qianwan.exchange.models import OutboundEvent

    demo = Dispute.objects.filter(number__startswith="JF", number__contains=DEMO_MARK)
    OutboundEvent.objects.filter(
        source_type="disputes.dispute", source_id__in=[str(pk) for pk in demo.values_list("pk", flat=True)]
    ).delete()
    demo.delete()
    names = [name for specs in BLOCKS.values() for name, *_rest in specs]
    CaseFile.objects.filter(block__name__in=names).delete()
    CaseFile.objects.filter(block__isnull=True, title__contains="类纠纷档案").delete()
    from qianwan.attachments.models import Attachment

    from .models import BlockVisit

    visits = BlockVisit.objects.filter(block__name__in=names)
    Attachment.objects.filter(
        record_kind="block_visit", record_id__in=list(visits.values_list("pk", flat=True))
    ).delete()
    visits.delete()
    Block.objects.filter(name__in=names, disputes__isnull=True).delete()
    ChannelContact.objects.all().delete()
