"""Patrols and visits to blocks (分片包干 on the ground): heat, overdue hot blocks, the weekly patrol
suggestion, logging a visit and the daily overdue sweep.

- **Heat** of a block: its disputes (by ``occurred_at``) in the last 90 days.
- **Hot**: at least 3, and in its station's top quarter of active blocks by heat — at or above the
  heat of the block at rank ⌈n/4⌉ (nearest rank; ties at that rank are hot too).
- **Overdue**: a hot block whose last visit (or, never visited, its 90-day window) is more than the
  station's threshold ago (``PatrolPolicy.overdue_days``, default 14).
- **Suggestion**: blocks by heat ÷ (1 + visits in the last 14 days), highest first.
"""

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record
from qianwan.org.people import station_people
from qianwan.org.scopes import can_act_for_station

from .models import Block, BlockVisit, Dispute, PatrolPolicy, VisitKind

HEAT_DAYS = 90
HOT_MIN = 3
SUGGESTION_DAYS = 14
FUTURE_TOLERANCE = timedelta(minutes=5)


def overdue_days_by_station(station_ids) -> dict[int, int]:
    found = dict(
        PatrolPolicy.objects.filter(station_id__in=list(station_ids)).values_list(
            "station_id", "overdue_days"
        )
    )
    return {sid: found.get(sid, PatrolPolicy.DEFAULT_OVERDUE_DAYS) for sid in station_ids}


def hot_threshold(heats: list[int]) -> int | None:
    """The heat a block of a station needs to be hot, given the heats of all its active blocks; None
    when none can be (no block reaches 3)."""
    if not heats:
        return None
    ranked = sorted(heats, reverse=True)
    k = max(1, math.ceil(len(ranked) / 4))
    return max(HOT_MIN, ranked[k - 1])


def block_rows(blocks, *, now: datetime | None = None) -> list[dict]:
    """For each block (any iterable of Block; their stations' other active blocks are read to rank
    them): heat, hot, visits in 7/14/30 days, last visit, overdue, days since, suggestion score."""
    now = now or timezone.now()
    blocks = list(blocks)
    if not blocks:
        return []
    station_ids = {b.station_id for b in blocks}
    since = now - timedelta(days=HEAT_DAYS)
    heat = dict(
        Dispute.objects.filter(
            block__station_id__in=station_ids,
            block__is_active=True,
            occurred_at__gte=since,
            occurred_at__lte=now,
        )
        .values("block_id")
        .annotate(n=Count("id"))
        .values_list("block_id", "n")
    )
    station_heats: dict[int, list[int]] = defaultdict(list)
    for block_id, station_id in Block.objects.filter(station_id__in=station_ids, is_active=True).values_list(
        "pk", "station_id"
    ):
        station_heats[station_id].append(heat.get(block_id, 0))
    thresholds = {sid: hot_threshold(h) for sid, h in station_heats.items()}
    visits = {
        row["block_id"]: row
        for row in BlockVisit.objects.filter(block__in=[b.pk for b in blocks], at__lte=now + FUTURE_TOLERANCE)
        .values("block_id")
        .annotate(
            last=Max("at"),
            d7=Count("id", filter=Q(at__gte=now - timedelta(days=7))),
            d14=Count("id", filter=Q(at__gte=now - timedelta(days=SUGGESTION_DAYS))),
            d30=Count("id", filter=Q(at__gte=now - timedelta(days=30))),
        )
    }
    limits = overdue_days_by_station(station_ids)
    rows = []
    for block in blocks:
        n = heat.get(block.pk, 0)
        threshold = thresholds.get(block.station_id)
        hot = bool(block.is_active and threshold is not None and n >= threshold)
        v = visits.get(block.pk, {})
        last = v.get("last")
        limit = limits[block.station_id]
        overdue = hot and (last is None or now - last > timedelta(days=limit))
        rows.append(
            {
                "block": block,
                "heat": n,
                "hot": hot,
                "visits_7d": v.get("d7", 0),
                "visits_14d": v.get("d14", 0),
                "visits_30d": v.get("d30", 0),
                "last_visit_at": last,
                "overdue": overdue,
                "overdue_days": limit,
                "days_since": (now - last).days if last else None,
                "score": n / (1 + v.get("d14", 0)),
            }
        )
    return rows


def overdue_blocks(*, officer, now: datetime | None = None) -> list[dict]:
    """The overdue hot blocks given to ``officer`` (their home page)."""
    blocks = Block.objects.filter(officer=officer, is_active=True).select_related("station")
    return [row for row in block_rows(blocks, now=now) if row["overdue"]]


def patrol_suggestion(*, station, now: datetime | None = None, limit: int = 10) -> list[dict]:
    """This week's patrol suggestion for ``station``: blocks with any heat by heat ÷ (1 + visits in
    the last 14 days), highest first (overdue ones are marked)."""
    blocks = Block.objects.filter(station=station, is_active=True).select_related("station", "officer")
    rows = [r for r in block_rows(blocks, now=now) if r["heat"] > 0]
    rows.sort(key=lambda r: (-r["score"], -r["heat"], r["block"].name))
    return rows[:limit]


# --------------------------------------------------------------------------------------------- writes


def visit_create(
    *,
    actor,
    block: Block,
    at: datetime | None,
    kind: str = VisitKind.PATROL,
    officers=None,
    note: str = "",
    findings: str = "",
    dispute: Dispute | None = None,
    hazard=None,
) -> BlockVisit:
    """Log a patrol or visit to ``block`` (the caller's scope is checked by the view: out of scope is 404)."""
    if not can_act_for_station(actor, block.station):
        raise PermissionDenied(_("只能为本所片区登记巡访。"))
    errors = {}
    now = timezone.now()
    if at is None:
        errors["at"] = [_("必须填写时间。")]
    elif timezone.is_naive(at):
        errors["at"] = [_("时间必须带时区。")]
    elif at > now + FUTURE_TOLERANCE:
        errors["at"] = [_("时间不能晚于当前时间5分钟以上。")]
    elif at.year < 2000:
        errors["at"] = [_("时间不能早于2000年。")]
    if kind not in VisitKind.values:
        errors["kind"] = [_("方式只能是巡逻（patrol）或走访（visit）。")]
    named = []
    try:
        named = station_people(station=block.station, usernames=officers, field="officers")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if dispute is not None and dispute.station_id != block.station_id:
        errors["dispute"] = [_("纠纷不属于该片区所在派出所。")]
    if hazard is not None and hazard.station_id != block.station_id:
        errors["hazard"] = [_("隐患不属于该片区所在派出所。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = BlockVisit.objects.create(
            block=block,
            at=at,
            kind=kind,
            note=note,
            findings=findings,
            dispute=dispute,
            hazard=hazard,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if named:
            visit.officers.set(named)
        audit_record(
            actor=actor,
            action="disputes.block_visit",
            obj=visit,
            after={
                "block": block.pk,
                "at": at.isoformat(),
                "kind": kind,
                "officers": [u.username for u in named],
            },
        )
    return visit


def overdue_sweep(*, now: datetime | None = None) -> int:
    """Send one low-urgency notice per (block, overdue period, recipient): to the block's officer, or
    its station's leaders when it has none, as a thread of its own (``block:<id>``). The overdue
    period is named by the last visit before it (none: ``never``), so a visit starts a new period."""
    from qianwan.notify.choices import Level
    from qianwan.notify.services import notification_send
    from qianwan.org.choices import Role
    from qianwan.org.models import User

    now = now or timezone.now()
    blocks = Block.objects.filter(is_active=True).select_related("station", "officer")
    sent = 0
    for row in block_rows(blocks, now=now):
        if not row["overdue"]:
            continue
        block = row["block"]
        last = row["last_visit_at"]
        period = last.strftime("%Y%m%dT%H%M%S") if last else "never"
        if block.officer_id and block.officer.is_active:
            recipients = [block.officer]
        else:
            recipients = list(
                User.objects.filter(station=block.station, role=Role.STATION_LEADER, is_active=True)
            )
        for person in recipients:
            title = _("热点片区“%(block)s”已%(days)s未巡访") % {
                "block": block.name,
                "days": _("%(n)d天") % {"n": row["days_since"]} if last else _("90天内"),
            }
            _n, created = notification_send(
                key=f"block-overdue:{block.pk}:{period}:{person.pk}",
                kind="block_overdue",
                title=title,
                body=_("近90天纠纷 %(heat)d 起，巡访间隔上限 %(limit)d 天。请安排巡逻或走访并登记。")
                % {"heat": row["heat"], "limit": row["overdue_days"]},
                recipients=[person],
                station=block.station,
                link=f"/disputes/blocks/{block.pk}/visits/",
                level=Level.INFO,
                thread=f"block:{block.pk}",
                payload={"block": block.pk, "period": period},
            )
            sent += int(created)
    return sent
