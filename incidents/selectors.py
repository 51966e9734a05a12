"""Reads of incidents: scoped lists, the SLA block, the duty board, and the dispatch KPIs the dashboard
reuses (``dispatch_kpis``, ``incident_trend``)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.exchange.models import InboundEvent
from qianwan.exchange.selectors import inbound_list, outbound_for
from qianwan.kpi import (
    add_months,
    count_change,
    local_month_range,
    local_tz,
    rate,
)
from qianwan.org.choices import Role
from qianwan.org.models import Station
from qianwan.org.scopes import scope_queryset

from . import rollup
from .choices import DEFAULT_LIMITS, STAGE_EVENT, STAGE_FIELD, STAGES, Category, EventKind, Stage, Status
from .models import Incident, IncidentEvent, SlaClock
from .rollup import open_overdue_clocks

# Roles that call the caller back and so see the full number; others see 138****0000.
PHONE_ROLES = frozenset({Role.OFFICER, Role.STATION_LEADER})


def can_see_phone(user) -> bool:
    return getattr(user, "role", None) in PHONE_ROLES


# ---------------------------------------------------------------------------------------------------
# Lists and detail


def incident_list(*, user) -> QuerySet[Incident]:
    """Incidents the user may see, with what the list and the ``sla`` block need (constant queries)."""
    qs = Incident.objects.select_related("station", "created_by").prefetch_related(
        Prefetch("clocks", queryset=SlaClock.objects.order_by("deadline"))
    )
    return scope_queryset(qs, user)


def incident_detail(*, user) -> QuerySet[Incident]:
    return incident_list(user=user).prefetch_related(
        Prefetch("events", queryset=IncidentEvent.objects.select_related("actor").order_by("at", "id"))
    )


def breached_q(now: datetime | None = None) -> Q:
    """Incidents with at least one stage whose ``met`` is false (done late, or overdue and not done)."""
    now = now or timezone.now()
    recorded = Q()
    for prefix in STAGE_FIELD.values():
        recorded |= Q(**{f"{prefix}_met": False})
    return recorded | Q(Exists(open_overdue_clocks(now).filter(incident=OuterRef("pk"))))


def sla_block(incident: Incident, now: datetime | None = None) -> list[dict]:
    """The contract's ``sla`` list, computed from the (prefetched) clocks at ``now``."""
    now = now or timezone.now()
    rows = []
    for clock in sorted(incident.clocks.all(), key=lambda c: STAGES.index(c.stage)):
        elapsed = None
        if clock.done_at is not None:
            from .services import elapsed_seconds

            elapsed = elapsed_seconds(incident.received_at, clock.done_at)
            met, overdue = elapsed <= clock.limit_seconds, False
        elif clock.not_needed:
            met, overdue = None, False
        elif now > clock.deadline:
            met, overdue = False, True
        else:
            met, overdue = None, False
        rows.append(
            {
                "stage": clock.stage,
                "label": Stage(clock.stage).label,
                "limit_seconds": clock.limit_seconds,
                "deadline": clock.deadline,
                "done_at": clock.done_at,
                "elapsed_seconds": elapsed,
                "met": met,
                "overdue": overdue,
                "not_needed": clock.not_needed,
                "warned_at": clock.warned_at,
                "breached_at": clock.breached_at,
                "escalated_at": clock.escalated_at,
                "warn_skipped_at": clock.warn_skipped_at,
                "warn_skip_reason": clock.warn_skip_reason,
            }
        )
    return rows


def timeline(incident: Incident) -> list[dict]:
    """The (prefetched) events in order, each marked superseded or not, with the timer's skipped
    warnings (``{"skip": clock}``, at the time the skip was decided) among them."""
    events = list(incident.events.all())
    superseded = {e.supersedes_id for e in events if e.supersedes_id}
    rows = [{"at": e.at, "event": e, "superseded": e.pk in superseded} for e in events]
    rows += [
        {"at": c.warn_skipped_at, "skip": c, "stage_label": Stage(c.stage).label}
        for c in incident.clocks.all()
        if c.warn_skipped_at is not None
    ]
    return sorted(rows, key=lambda row: row["at"])


def incident_outbound(incident: Incident):
    """The exchange events about an incident (a diversion to 12345 and its ack)."""
    return outbound_for(incident).order_by("created_at")


# ---------------------------------------------------------------------------------------------------
# Duty board


def next_step_kind(incident: Incident) -> str:
    """The step the board's one-click button records next (from the prefetched clocks)."""
    done = {c.stage for c in incident.clocks.all() if c.done_at is not None}
    for stage in STAGES:
        if stage not in done:
            return STAGE_EVENT[stage]
    return EventKind.CLOSED


def board(*, user, station=None, now: datetime | None = None) -> dict:
    """Open incidents of the station (all in scope when None) with their clocks, for the live board."""
    now = now or timezone.now()
    qs = incident_list(user=user).filter(status=Status.OPEN)
    if station is not None:
        qs = qs.filter(station=station)
    incidents = list(qs.order_by("received_at")[:100])
    inbound = inbound_list(user=user).filter(status="pending")
    if station is not None:
        inbound = inbound.filter(station=station)
    return {
        "now": now,
        "incidents": [
            {
                "id": i.pk,
                "number": i.number,
                "category": i.get_category_display(),
                "address": i.address,
                "received_at": i.received_at,
                "station": i.station.name,
                "next_kind": next_step_kind(i),
                "sla": sla_block(i, now),
            }
            for i in incidents
        ],
        "inbound": [
            {"id": e.pk, "title": e.title, "source": e.get_source_display(), "created_at": e.created_at}
            for e in inbound.order_by("-created_at")[:20]
        ],
    }


def workbench_panel(*, user) -> dict | None:
    """The workbench card: this station's open incidents, overdue first."""
    if getattr(user, "role", None) not in (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN):
        return None
    now = timezone.now()
    qs = scope_queryset(Incident.objects.select_related("station"), user).filter(status=Status.OPEN)
    rows = []
    for incident in qs.annotate(
        breached=Exists(Incident.objects.filter(breached_q(now), pk=OuterRef("pk")))
    ).order_by("-breached", "received_at")[:8]:
        rows.append(
            {
                "label": f"{incident.number} {incident.get_category_display()}",
                "url": f"/incidents/{incident.pk}/",
                "note": _("已超时")
                if incident.breached
                else timezone.localtime(incident.received_at).strftime("%H:%M"),
            }
        )
    return {
        "title": _("处置中的警情"),
        "url": "/incidents/board/",
        "rows": rows,
        "empty": _("当前没有处置中的警情。"),
    }


def inbound_for_accept(*, user) -> QuerySet[InboundEvent]:
    return inbound_list(user=user)


# ---------------------------------------------------------------------------------------------------
# KPIs


def _figures(counts: dict, pct: dict) -> dict:
    result = {"incidents": counts["incidents"], "diverted": counts["diverted"]}
    stages = {}
    for stage in STAGES:
        within = counts[f"{stage}__within"]
        late = counts[f"{stage}__late"]
        missing = counts[f"{stage}__missing"]
        eligible = within + late + missing
        stages[stage] = {
            "eligible": eligible,
            "within": within,
            "late": late,
            "missing": missing,
            "pending": counts[f"{stage}__pending"],
            "rate": rate(within, eligible),
        }
        result[f"{stage}_rate"] = stages[stage]["rate"]
    result.update(
        {
            "arrival_p50_seconds": pct["p50"],
            "arrival_p90_seconds": pct["p90"],
            "arrival_p95_seconds": pct["p95"],
            "with_arrival": counts["with_arrival"],
            "out_of_order": counts["out_of_order"],
            "stages": stages,
        }
    )
    return result


def dispatch_kpis(
    *,
    date_from: date,
    date_to: date,
    station=None,
    now: datetime | None = None,
    breakdowns: bool = True,
) -> dict:
    """`kpis/dispatch`: incidents received in the local period; per stage the share done within its
    frozen limit among incidents that need it (diverted excluded; a stage never done counts as a miss
    once its deadline passed; stages still open before their deadline are ``pending`` and left out);
    nearest-rank arrival percentiles; counts beside every rate; per-station and per-category rows.

    Sealed days and months come from the rollup (``incidents.rollup``), the rest from the raw rows;
    both are the same computation, and the percentiles come from the merged second-level histogram."""
    now = now or timezone.now()
    merged = rollup.Combined(rollup.parts_for(date_from, date_to, station=station, now=now))
    ((total, pct),) = merged.figures()
    result = {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "station": station.code if station is not None else None,
        **_figures(total, pct),
    }
    if breakdowns:
        by_station = merged.by(merged.parts.station_id)
        stations = Station.objects.in_bulk([pk for pk, _c, _p in by_station])
        result["by_station"] = sorted(
            (
                {"station": stations[pk].code, "station_name": stations[pk].name, **_figures(counts, pct)}
                for pk, counts, pct in by_station
            ),
            key=lambda row: (row["station"], row["station_name"]),
        )
        names = dict(Category.choices)
        result["by_category"] = [
            {"category": key, "category_label": str(names.get(key, key)), **_figures(counts, pct)}
            for key, counts, pct in merged.by(merged.parts.category.astype(str))
        ]
    return result


def monthly_counts(
    *, first: tuple[int, int], last: tuple[int, int], station=None, now: datetime | None = None
) -> dict[tuple[int, int], int]:
    """Incidents per Asia/Shanghai month from month ``first`` to month ``last`` (sealed units from the
    rollup, the rest from the rows)."""
    now = now or timezone.now()
    date_to = local_month_range(*last)[1].date() - timedelta(days=1)
    parts = rollup.parts_for(
        date(*first, 1), date_to, station=station, now=now, by_month=True, only_incidents=True
    )
    counts = defaultdict(int)
    for month, n in zip(parts.month.tolist(), parts.counts[:, rollup.KEY["incidents"]].tolist(), strict=True):
        counts[divmod(month, 12)[0], month % 12 + 1] += n
    return {month: n for month, n in counts.items() if n}


def stage_distribution(*, date_from: date, date_to: date, station=None, now: datetime | None = None) -> dict:
    """Per stage, how many incidents (diverted excluded) took each 10-second bucket of time from receipt,
    with the stage's default limit; the last bucket (1200 s) holds everything from 20 minutes on."""
    now = now or timezone.now()
    parts = rollup.parts_for(date_from, date_to, station=station, now=now, arrivals=False, buckets=True)
    total = rollup.sum_buckets(parts)
    out = {}
    for i, stage in enumerate(STAGES):
        used = [b for b in range(total.shape[1]) if total[i, b]]
        out[str(stage)] = {
            "limit_seconds": DEFAULT_LIMITS[stage],
            "bucket_seconds": rollup.BUCKET_SECONDS,
            "x": [b * rollup.BUCKET_SECONDS for b in used],
            "y": [int(total[i, b]) for b in used],
        }
    return out


def _fraction(now: int, before: int | None) -> float | None:
    return None if not before else (now - before) / before


def incident_trend(*, months: int = 12, station=None, now: datetime | None = None) -> dict:
    """`kpis/incident-trend`: incidents per local month for the last ``months`` months (the current
    one last), with month-over-month and year-over-year changes as fractions (null on a zero base)
    and, beside them, the Poisson test (``mom``/``yoy``: z, significant, change hidden below 5)."""
    now = now or timezone.now()
    local_now = timezone.localtime(now, local_tz())
    last = (local_now.year, local_now.month)
    first = add_months(*last, -(months - 1))
    counts = monthly_counts(first=add_months(*first, -12), last=last, station=station, now=now)
    has_history = bool(counts)
    earliest = min(counts) if counts else None
    out = []
    for i in range(months):
        year, month = add_months(*first, i)
        n = counts.get((year, month), 0)
        prev = add_months(year, month, -1)
        year_ago = add_months(year, month, -12)
        before_m = counts.get(prev, 0) if has_history and prev >= earliest else None
        before_y = counts.get(year_ago, 0) if has_history and year_ago >= earliest else None
        out.append(
            {
                "month": f"{year:04d}-{month:02d}",
                "incidents": n,
                "mom_change": _fraction(n, before_m),
                "yoy_change": _fraction(n, before_y),
                "partial": (year, month) == last,
                "mom": count_change(n, before_m),
                "yoy": count_change(n, before_y),
            }
        )
    return {"station": station.code if station is not None else None, "months": out}


def station_kpi_page(*, station, now: datetime | None = None) -> dict:
    """The station KPI page: this month, last month, the last 12 months and the trend."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    month_start = today.replace(day=1)
    prev_start = (month_start - timedelta(days=1)).replace(day=1)
    return {
        "this_month": dispatch_kpis(date_from=month_start, date_to=today, station=station, now=now),
        "last_month": dispatch_kpis(
            date_from=prev_start,
            date_to=month_start - timedelta(days=1),
            station=station,
            now=now,
            breakdowns=False,
        ),
        "last_365": dispatch_kpis(
            date_from=today - timedelta(days=364), date_to=today, station=station, now=now, breakdowns=False
        ),
        "trend": incident_trend(months=12, station=station, now=now),
    }
