"""Every read of the disputes app beyond a get(): scoped lists, the follow-up cadence and the analysis."""

import calendar
import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qianwan.kpi import (
    MIN_EVENTS,
    add_months,
    compare_counts,
    compare_growth,
    local_day_range,
    local_month_range,
    local_tz,
    proportion,
)
from qianwan.org.choices import Role
from qianwan.org.scopes import scope_queryset

from . import conf, geo
from .choices import LEVEL_ORDER, Category, Status
from .models import Block, BlockCell, CaseFile, Dispute, Followup, Party

PARTY_ROLES = {Role.OFFICER, Role.STATION_LEADER}
WEEKDAYS = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]


def sees_parties(user) -> bool:
    """Station officers and leaders work with the parties; other roles see names and phones masked."""
    return getattr(user, "role", None) in PARTY_ROLES


# --- lists --------------------------------------------------------------------------------------


def dispute_list(*, user) -> QuerySet[Dispute]:
    """Disputes the user may see, with what every list row shows."""
    return scope_queryset(
        Dispute.objects.select_related("station", "block", "block__officer", "officer", "incident"), user
    )


def dispute_detail_qs(*, user) -> QuerySet[Dispute]:
    return (
        dispute_list(user=user)
        .select_related("case_file", "inbound_event", "created_by")
        .prefetch_related(
            Prefetch("parties", queryset=Party.objects.order_by("id")),
            Prefetch("followups", queryset=Followup.objects.select_related("by").order_by("-at", "-id")),
        )
    )


def dispute_timeline(dispute: Dispute):
    return dispute.events.select_related("actor").order_by("at", "id")


def triage_queue(*, user) -> list[Dispute]:
    """Disputes waiting for a channel to take them up, high risk first, oldest first."""
    rows = list(dispute_list(user=user).filter(status__in=[Status.OPEN, Status.ESCALATED]))
    rows.sort(key=lambda d: (d.status != Status.ESCALATED, LEVEL_ORDER[d.risk_level], d.occurred_at))
    return rows


def block_list(*, user) -> QuerySet[Block]:
    # explicit order: Meta.ordering does not apply to a GROUP BY query, and pages must be stable
    return (
        scope_queryset(Block.objects.select_related("station", "officer"), user)
        .annotate(n_cells=Count("cells", distinct=True))
        .order_by("station__code", "name", "pk")
    )


def with_visit_figures(qs: QuerySet[Block], now: datetime | None = None) -> QuerySet[Block]:
    """Blocks with ``last_visit_at`` and ``visits_30d`` (subqueries: no second join beside the cells)."""
    from django.db.models import IntegerField, Max

    from .models import BlockVisit

    now = now or timezone.now()
    visits = BlockVisit.objects.filter(block=OuterRef("pk")).order_by().values("block")
    return qs.annotate(
        last_visit_at=Subquery(visits.annotate(m=Max("at")).values("m")[:1]),
        visits_30d=Coalesce(
            Subquery(
                visits.filter(at__gte=now - timedelta(days=30), at__lte=now + timedelta(minutes=5))
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
    )


def casefile_list(*, user) -> QuerySet[CaseFile]:
    return (
        scope_queryset(CaseFile.objects.select_related("station", "block", "block__officer"), user)
        .annotate(
            n_disputes=Count("disputes", distinct=True),
            n_active=Count("disputes", filter=~Q(disputes__status=Status.CLOSED), distinct=True),
        )
        .order_by("station__code", "category", "block__name", "pk")
    )


def block_for_point(*, station, lat: float | None, lon: float | None) -> Block | None:
    """The station's block a point falls in: an exact polygon first, else the point's H3 cell."""
    if lat is None or lon is None:
        return None
    blocks = Block.objects.filter(station=station, is_active=True)
    for block in blocks.filter(polygon__isnull=False).select_related("officer"):
        if block.polygon and geo.polygon_contains(block.polygon, lat, lon):
            return block
    cell = BlockCell.objects.filter(cell=geo.cell_for(lat, lon), block__in=blocks).select_related(
        "block", "block__officer"
    )
    hit = cell.first()
    return hit.block if hit else None


def block_index(*, station_ids=None) -> dict[str, Block]:
    """cell → block, to place many points (incidents) in blocks without a query each."""
    qs = BlockCell.objects.filter(block__is_active=True).select_related("block", "block__officer")
    if station_ids is not None:
        qs = qs.filter(block__station_id__in=station_ids)
    return {bc.cell: bc.block for bc in qs}


# --- follow-up cadence --------------------------------------------------------------------------


def month_bounds(at: datetime | None = None) -> tuple[datetime, datetime]:
    local = (at or timezone.now()).astimezone(local_tz())
    return local_month_range(local.year, local.month)


def _in_cadence(qs: QuerySet, *, month_start: datetime, month_end: datetime) -> QuerySet:
    """Disputes whose cadence covers the month: handled before its end, not closed before its end,
    and the cadence window (followup_until) not over before the month starts."""
    return qs.filter(
        handled_at__lt=month_end,
        status__in=[Status.HANDLED, Status.CLOSED],
    ).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=month_end),
        Q(followup_until__isnull=True) | Q(followup_until__gt=month_start.date()),
    )


def _with_month_count(qs: QuerySet, *, month_start: datetime, month_end: datetime) -> QuerySet:
    """``month_followups``: the dispute's follow-ups in [month_start, month_end), as a correlated count
    (an index probe on (dispute, at) per dispute, not a join of the whole follow-up table)."""
    in_month = (
        Followup.objects.filter(dispute=OuterRef("pk"), at__gte=month_start, at__lt=month_end)
        .order_by()
        .values("dispute")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(month_followups=Coalesce(Subquery(in_month), 0))


def followups_due(*, user, at: datetime | None = None) -> QuerySet[Dispute]:
    """Handled disputes with fewer than the required follow-ups (default 2) in the current calendar
    month (Asia/Shanghai), while their cadence runs."""
    start, end = month_bounds(at)
    today = (at or timezone.now()).astimezone(local_tz()).date()
    qs = (
        dispute_list(user=user)
        .filter(status=Status.HANDLED)
        .filter(Q(followup_until__isnull=True) | Q(followup_until__gt=today))
    )
    return (
        _with_month_count(qs, month_start=start, month_end=end)
        .filter(month_followups__lt=conf.followups_per_month())
        .order_by("month_followups", "handled_at", "id")
    )


def my_followups_due(*, user, at: datetime | None = None) -> QuerySet[Dispute]:
    """The officer's own due list (disputes they are responsible for); leaders see their scope's."""
    qs = followups_due(user=user, at=at)
    if user.role == Role.OFFICER:
        qs = qs.filter(officer=user)
    return qs


def expected_by(day: int, days_in_month: int, required: int) -> int:
    """Follow-ups a dispute should have had by ``day`` of the month at an even pace (floor), and the
    full count in the last three days, so a reminder comes mid-month and again before the month ends."""
    if days_in_month - day < 3:
        return required
    return math.floor(required * day / days_in_month)


def disputes_behind(*, at: datetime) -> list[Dispute]:
    """Handled disputes, all stations, behind the month's pace at ``at`` (for the daily sweep)."""
    local = at.astimezone(local_tz())
    start, end = local_month_range(local.year, local.month)
    required = conf.followups_per_month()
    expected = expected_by(local.day, calendar.monthrange(local.year, local.month)[1], required)
    if expected <= 0:
        return []
    qs = Dispute.objects.filter(status=Status.HANDLED).filter(
        Q(followup_until__isnull=True) | Q(followup_until__gt=local.date())
    )
    qs = _with_month_count(qs, month_start=start, month_end=end).filter(month_followups__lt=expected)
    return list(qs.select_related("station", "officer", "block__officer").order_by("id"))


def casefiles_due_review(*, day: date) -> QuerySet[CaseFile]:
    """Case files, all stations, whose review date is ``day`` or earlier (for the daily sweep)."""
    return CaseFile.objects.filter(next_review_on__lte=day).select_related("station")


def month_shortfall(*, year: int, month: int) -> dict[int, list[Dispute]]:
    """Per station id: disputes whose cadence covered the month and that got fewer follow-ups than required."""
    start, end = local_month_range(year, month)
    qs = _in_cadence(Dispute.objects.all(), month_start=start, month_end=end)
    qs = _with_month_count(qs, month_start=start, month_end=end).filter(
        month_followups__lt=conf.followups_per_month()
    )
    out: dict[int, list[Dispute]] = defaultdict(list)
    for dispute in qs.select_related("station", "officer").order_by("station_id", "id"):
        out[dispute.station_id].append(dispute)
    return dict(out)


def followups_on_time(*, user, year: int, month: int, station=None) -> dict:
    """Dashboard: of the disputes whose cadence covered the month, how many got the required visits
    (a proportion with its counts and Wilson interval)."""
    start, end = local_month_range(year, month)
    qs = _in_cadence(dispute_list(user=user), month_start=start, month_end=end)
    if station is not None:
        qs = qs.filter(station=station)
    required = conf.followups_per_month()
    agg = _with_month_count(qs, month_start=start, month_end=end).aggregate(
        n=Count("pk"), met=Count("pk", filter=Q(month_followups__gte=required))
    )
    return {"month": f"{year:04d}-{month:02d}", "required": required, **proportion(agg["met"], agg["n"])}


# --- analysis (综合研判) ------------------------------------------------------------------------


def _period(date_from: date, date_to: date):
    return local_day_range(date_from, date_to)


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _scoped_disputes(user, station):
    qs = scope_queryset(Dispute.objects.all(), user)
    return qs.filter(station=station) if station is not None else qs


def _scoped_dispute_incidents(user, station):
    from incidents.models import Incident

    qs = scope_queryset(Incident.objects.filter(category="dispute"), user)
    return qs.filter(station=station) if station is not None else qs


def _counts(qs, field: str, periods: list[tuple[date, date]]) -> list[int]:
    """Rows whose ``field`` falls in each local-date period, in one scan of the periods' union."""
    ranges = [_period(date_from, date_to) for date_from, date_to in periods]
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    agg = qs.filter(**{f"{field}__gte": lo, f"{field}__lt": hi}).aggregate(
        **{
            # count(field), not count(id): an index-only scan of (category, received_at) suffices
            f"n{i}": Count(field, filter=Q(**{f"{field}__gte": start, f"{field}__lt": end}))
            for i, (start, end) in enumerate(ranges)
        }
    )
    return [agg[f"n{i}"] for i in range(len(ranges))]


def yoy(*, user, date_from: date, date_to: date, station=None, source: str = "incidents") -> dict:
    """Year-over-year count change and the change of the growth rate, each with counts and its test.

    ``source``: ``incidents`` (纠纷类警情, the report's measure) or ``disputes`` (the dispute ledger).
    Growth this year g1 = (n0 − n1)/n1, last year g2 = (n1 − n2)/n2; the growth change is g1 − g2 (in
    points) and its relative size (g1 − g2)/|g2|. Its flag tests this year's count against the count
    last year's growth predicted (``qianwan.kpi.compare_growth``: every count's own noise counted);
    the count change is ``qianwan.kpi.compare_counts`` with the spans' lengths as exposure.
    """
    if source == "disputes":
        qs, field = _scoped_disputes(user, station), "occurred_at"
    else:
        qs, field = _scoped_dispute_incidents(user, station), "received_at"
    counts = _counts(qs, field, [(_shift_year(date_from, -k), _shift_year(date_to, -k)) for k in range(3)])
    n0, n1, n2 = counts
    spans = [(_shift_year(date_from, -k), _shift_year(date_to, -k)) for k in range(2)]
    change = compare_counts(
        n0,
        n1,
        exposure_now=(spans[0][1] - spans[0][0]).days + 1,
        exposure_before=(spans[1][1] - spans[1][0]).days + 1,
    )
    growth = {"now": None, "before": None, "points": None, "relative": None, "p": None, "significant": None}
    if n1 >= MIN_EVENTS and n2 >= MIN_EVENTS:
        growth = compare_growth(n0, n1, n2)
    return {
        "source": source,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "counts": {"this_year": n0, "last_year": n1, "two_years_ago": n2},
        "change": change,
        "growth": growth,
    }


def _trend(now: int, before: int) -> dict:
    change = compare_counts(now, before)  # the same span just before: equal exposures
    arrow = "→"
    if change["significant"]:
        arrow = "↑" if now > before else "↓"
    return {**change, "arrow": arrow}


def hot_blocks(*, user, date_from: date, date_to: date, station=None, limit: int | None = None) -> list[dict]:
    """Counts of disputes by block and category in the period, the same period before (trend with
    the exact test), the dispute incidents that fall in the block, and the responsible officer."""
    start, end = _period(date_from, date_to)
    span = end - start
    prev_start, prev_end = start - span, start
    qs = _scoped_disputes(user, station)
    now_rows = (
        qs.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("block_id", "category")
        .annotate(n=Count("id"))
    )
    prev_rows = (
        qs.filter(occurred_at__gte=prev_start, occurred_at__lt=prev_end)
        .values("block_id")
        .annotate(n=Count("id"))
    )
    by_block: dict = defaultdict(lambda: {"categories": Counter(), "total": 0})
    for row in now_rows:
        entry = by_block[row["block_id"]]
        entry["categories"][row["category"]] += row["n"]
        entry["total"] += row["n"]
    prev = {row["block_id"]: row["n"] for row in prev_rows}
    incident_counts = _incidents_by_block(user=user, start=start, end=end, station=station)
    blocks = {b.pk: b for b in block_list(user=user).filter(pk__in=[k for k in by_block if k])}
    if station is not None:
        extra = block_list(user=user).filter(station=station)
    else:
        extra = block_list(user=user)
    for block in extra:
        blocks.setdefault(block.pk, block)
    rows = []
    for block_id in set(by_block) | set(blocks):
        entry = by_block.get(block_id, {"categories": Counter(), "total": 0})
        block = blocks.get(block_id)
        rows.append(
            {
                "block": block,
                "block_name": block.name if block else _("未划入片区"),
                "station": block.station if block else None,
                "officer": block.officer if block else None,
                "total": entry["total"],
                "categories": [entry["categories"].get(c, 0) for c in Category.values],
                "top_category": Category(entry["categories"].most_common(1)[0][0]).label
                if entry["total"]
                else "",
                "previous": prev.get(block_id, 0),
                "trend": _trend(entry["total"], prev.get(block_id, 0)),
                "incidents": incident_counts.get(block_id, 0),
            }
        )
    rows.sort(key=lambda r: (-r["total"], -r["incidents"], r["block_name"]))
    return rows[:limit] if limit else rows


def _incidents_by_block(*, user, start, end, station=None) -> dict:
    """Dispute incidents of the period placed in blocks by their point (one query, cells in Python)."""
    qs = _scoped_dispute_incidents(user, station).filter(received_at__gte=start, received_at__lt=end)
    points = list(qs.filter(lat__isnull=False, lon__isnull=False).values_list("lat", "lon"))
    if not points:
        return {}
    index = block_index()
    counts: Counter = Counter()
    for lat, lon in points:
        block = index.get(geo.cell_for(lat, lon))
        counts[block.pk if block else None] += 1
    return dict(counts)


HOUR_BANDS = [(0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 24)]


def heat_table(*, user, date_from: date, date_to: date, station=None, limit: int = 12) -> dict:
    """Hour-of-week × block: disputes per weekday and 4-hour band for the hottest blocks, and each
    block's three busiest hours of the week, to plan flexible patrols (机动排班)."""
    start, end = _period(date_from, date_to)
    qs = _scoped_disputes(user, station).filter(occurred_at__gte=start, occurred_at__lt=end)
    tz = local_tz()
    grid: dict = defaultdict(Counter)
    hours: dict = defaultdict(Counter)
    for block_id, at in qs.values_list("block_id", "occurred_at").iterator(chunk_size=2000):
        local = at.astimezone(tz)
        band = local.hour // 4
        grid[block_id][(local.weekday(), band)] += 1
        hours[block_id][(local.weekday(), local.hour)] += 1
    totals = sorted(grid, key=lambda k: -sum(grid[k].values()))[:limit]
    names = {b.pk: b for b in Block.objects.filter(pk__in=[k for k in totals if k]).select_related("officer")}
    peak = max((v for k in totals for v in grid[k].values()), default=0)
    rows = []
    for block_id in totals:
        cells = []
        for weekday in range(7):
            for band in range(len(HOUR_BANDS)):
                n = grid[block_id].get((weekday, band), 0)
                level = 0 if not n or not peak else min(5, 1 + int(4 * n / peak))
                cells.append({"n": n, "level": level})
        top = [
            _("%(d)s %(h)02d–%(h2)02d时") % {"d": WEEKDAYS[wd], "h": h, "h2": h + 1}
            for (wd, h), _n in hours[block_id].most_common(3)
        ]
        block = names.get(block_id)
        rows.append(
            {
                "block_name": block.name if block else _("未划入片区"),
                "officer": block.officer if block else None,
                "total": sum(grid[block_id].values()),
                "cells": cells,
                "top_hours": top,
            }
        )
    columns = [
        {"weekday": WEEKDAYS[wd], "band": f"{a:02d}–{b:02d}", "first": band_index == 0}
        for wd in range(7)
        for band_index, (a, b) in enumerate(HOUR_BANDS)
    ]
    return {"columns": columns, "weekdays": WEEKDAYS, "bands": HOUR_BANDS, "rows": rows}


def dispute_map(*, user, date_from: date, date_to: date, station=None, max_cells: int = 400) -> dict:
    """H3 cells with their dispute counts, as SVG polygons on a plain background (no tiles needed)."""
    start, end = _period(date_from, date_to)
    qs = (
        _scoped_disputes(user, station)
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .exclude(h3_cell="")
        .values("h3_cell")
        .annotate(n=Count("id"))
        .order_by("-n")[:max_cells]
    )
    counts = {row["h3_cell"]: row["n"] for row in qs}
    if not counts:
        return {"cells": [], "viewbox": "0 0 100 100", "peak": 0}
    boundaries = {cell: geo.cell_boundary(cell) for cell in counts}
    lats = [p[0] for b in boundaries.values() for p in b]
    lons = [p[1] for b in boundaries.values() for p in b]
    min_lat, max_lat, min_lon, max_lon = min(lats), max(lats), min(lons), max(lons)
    # at least ~2 km across, so a few cells are not blown up to fill the whole frame
    pad_lat = max(0.0, (0.02 - (max_lat - min_lat)) / 2)
    pad_lon = max(0.0, (0.024 - (max_lon - min_lon)) / 2)
    min_lat, max_lat, min_lon, max_lon = (
        min_lat - pad_lat,
        max_lat + pad_lat,
        min_lon - pad_lon,
        max_lon + pad_lon,
    )
    k = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = 1000 / max((max_lon - min_lon) * k, max_lat - min_lat, 1e-6)
    peak = max(counts.values())
    cells = []
    for cell, n in sorted(counts.items(), key=lambda kv: kv[1]):
        pts = " ".join(
            f"{(lon - min_lon) * k * scale:.1f},{(max_lat - lat) * scale:.1f}"
            for lat, lon in boundaries[cell]
        )
        cells.append({"cell": cell, "n": n, "points": pts, "level": min(5, 1 + int(4 * n / peak))})
    width = (max_lon - min_lon) * k * scale
    height = (max_lat - min_lat) * scale
    return {"cells": cells, "viewbox": f"-10 -10 {width + 20:.0f} {height + 20:.0f}", "peak": peak}


def pushed_count(*, user, date_from: date, date_to: date, station=None) -> int:
    """Disputes pushed to the platform for attention (推送关注) in the period."""
    start, end = _period(date_from, date_to)
    return _scoped_disputes(user, station).filter(pushed_at__gte=start, pushed_at__lt=end).count()


def dispute_kpis(*, user, date_from: date, date_to: date, station=None) -> dict:
    """The disputes figures for the API and the dashboard."""
    start, end = _period(date_from, date_to)
    qs = _scoped_disputes(user, station)
    in_period = qs.filter(occurred_at__gte=start, occurred_at__lt=end)
    agg = in_period.aggregate(
        n=Count("id"),
        low=Count("id", filter=Q(risk_level="low")),
        medium=Count("id", filter=Q(risk_level="medium")),
        high=Count("id", filter=Q(risk_level="high")),
        handled=Count("id", filter=Q(status__in=[Status.HANDLED, Status.CLOSED])),
    )
    today = timezone.localdate()
    last_month = add_months(today.year, today.month, -1)
    return {
        "disputes": agg["n"],
        "by_level": {"low": agg["low"], "medium": agg["medium"], "high": agg["high"]},
        "handled": agg["handled"],
        "pushed": pushed_count(user=user, date_from=date_from, date_to=date_to, station=station),
        "incidents_yoy": yoy(
            user=user, date_from=date_from, date_to=date_to, station=station, source="incidents"
        ),
        "disputes_yoy": yoy(
            user=user, date_from=date_from, date_to=date_to, station=station, source="disputes"
        ),
        "followups_on_time_last_month": followups_on_time(
            user=user, year=last_month[0], month=last_month[1], station=station
        ),
        "followups_due_now": followups_due(user=user)
        .filter(**({"station": station} if station else {}))
        .count(),
    }


def default_period() -> tuple[date, date]:
    """Year to date (local), the report's "this year"."""
    today = timezone.localdate()
    return date(today.year, 1, 1), today


# --- workbench ----------------------------------------------------------------------------------


def workbench_panel(*, user) -> dict | None:
    """The officer's follow-ups due this month and the station's disputes waiting for triage."""
    if user.role not in (Role.OFFICER, Role.STATION_LEADER):
        return None
    due = list(my_followups_due(user=user)[:5])
    waiting = dispute_list(user=user).filter(status=Status.OPEN).count()
    rows = [
        {
            "label": f"{d.number} {d.get_category_display()}",
            "url": reverse("disputes:detail", args=[d.pk]),
            "note": _("本月已回访 %(n)d 次") % {"n": d.month_followups},
        }
        for d in due
    ]
    from .patrols import overdue_blocks

    # the officer's own hot blocks unvisited past the station's threshold, first
    rows = [
        {
            "label": _("热点片区“%(block)s”待巡访") % {"block": row["block"].name},
            "url": reverse("disputes:block_visits", args=[row["block"].pk]),
            "status": "bad",
            "note": _("已%(n)d天未巡访") % {"n": row["days_since"]}
            if row["days_since"] is not None
            else _("尚无巡访记录"),
            "block": row["block"].pk,
        }
        for row in overdue_blocks(officer=user)
    ] + rows
    if waiting:
        rows.append(
            {
                "label": _("待分级处置的纠纷 %(n)d 起") % {"n": waiting},
                "url": reverse("disputes:triage"),
                "note": "",
            }
        )
    return {
        "title": _("矛盾纠纷：待回访"),
        "url": reverse("disputes:followups_due"),
        "rows": rows,
        "empty": _("本月回访均已完成。"),
    }


def has_pending_push(dispute: Dispute) -> bool:
    from qianwan.exchange.choices import OutboundStatus
    from qianwan.exchange.models import OutboundEvent

    return OutboundEvent.objects.filter(
        source_type=dispute._meta.label_lower,
        source_id=str(dispute.pk),
        status__in=[OutboundStatus.PENDING, OutboundStatus.ACCEPTED],
    ).exists()


# --------------------------------------------------------------------------- dashboard map

HOT_BLOCK_DAYS = 30
HOT_BLOCK_LIMIT = 10


def _block_geometry(block, cells: list[str]) -> dict | None:
    """A block's area as GeoJSON: its polygon, or the outline of each of its H3 cells."""
    if block.polygon:
        ring = [[lon, lat] for lat, lon in block.polygon]
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}
    polygons = []
    for cell in cells:
        ring = [[lon, lat] for lat, lon in geo.cell_boundary(cell)]
        ring.append(ring[0])
        polygons.append([ring])
    return {"type": "MultiPolygon", "coordinates": polygons} if polygons else None


def hot_block_features(
    *, user, station=None, days: int = HOT_BLOCK_DAYS, limit: int = HOT_BLOCK_LIMIT
) -> list:
    """GeoJSON areas of the hottest blocks of the last ``days`` local days (disputes plus dispute
    incidents, at least one) in the user's scope, each named on the map and linking to its disputes."""
    today = timezone.localdate()
    rows = [
        r
        for r in hot_blocks(
            user=user, date_from=today - timedelta(days=days - 1), date_to=today, station=station
        )
        if r["block"] is not None and (r["total"] or r["incidents"])
    ][:limit]
    cells: dict = defaultdict(list)
    for block_id, cell in BlockCell.objects.filter(block_id__in=[r["block"].pk for r in rows]).values_list(
        "block_id", "cell"
    ):
        cells[block_id].append(cell)
    features = []
    for rank, r in enumerate(rows, 1):
        block = r["block"]
        geometry = _block_geometry(block, cells[block.pk])
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "layer": "hot_blocks",
                    "kind": "block",
                    "label": _("%(block)s（%(station)s）")
                    % {"block": block.name, "station": block.station.name},
                    "detail": _(
                        "近%(days)d天：纠纷 %(disputes)s 起，纠纷类警情 %(incidents)s 起，第 %(rank)d 热"
                    )
                    % {
                        "days": days,
                        "disputes": f"{r['total']:,}",
                        "incidents": f"{r['incidents']:,}",
                        "rank": rank,
                    },
                    "url": reverse("disputes:index") + f"?block={block.pk}",
                    "color": "#d9480f",
                    "tag": block.name,
                },
            }
        )
    return features
