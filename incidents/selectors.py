"""Reads of incidents: scoped lists, the SLA block, the duty board, and the dispatch KPIs the dashboard
reuses (``dispatch_kpis``, ``incident_trend``)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import refcache
from qianwan.exchange.models import InboundEvent
from qianwan.exchange.selectors import inbound_list, outbound_for
from qianwan.kpi import (
    add_months,
    compare_counts,
    local_day_range,
    local_month_range,
    local_tz,
    rate,
    span_days,
)
from qianwan.org.choices import Role
from qianwan.org.models import Station
from qianwan.org.scopes import scope_queryset
from qianwan.org.selectors import stations_in_scope

from . import rollup
from .choices import (
    DEFAULT_LIMITS,
    STAGE_EVENT,
    STAGE_FIELD,
    STAGES,
    Category,
    ChainTarget,
    DiversionDirection,
    EventKind,
    Stage,
    Status,
)
from .models import (
    DiversionCategory,
    DiversionItem,
    EscalationChain,
    EscalationStep,
    Incident,
    IncidentEvent,
    SlaClock,
)
from .rollup import open_overdue_clocks

# Roles that call the caller back and so see the full number; others see 138****0000.
PHONE_ROLES = frozenset({Role.OFFICER, Role.STATION_LEADER})


def can_see_phone(user) -> bool:
    return getattr(user, "role", None) in PHONE_ROLES


# ---------------------------------------------------------------------------------------------------
# Lists and detail


def incident_list(*, user) -> QuerySet[Incident]:
    """Incidents the user may see, with what the list and the ``sla`` block need (constant queries)."""
    qs = Incident.objects.select_related("station", "created_by", "standard_address").prefetch_related(
        Prefetch("clocks", queryset=SlaClock.objects.order_by("deadline"))
    )
    return scope_queryset(qs, user)


def incident_detail(*, user) -> QuerySet[Incident]:
    return incident_list(user=user).prefetch_related(
        Prefetch(
            "events",
            queryset=IncidentEvent.objects.select_related("actor")
            .prefetch_related("officers")
            .order_by("at", "id"),
        )
    )


def _effective(incident: Incident) -> dict[str, IncidentEvent]:
    """The (prefetched) events in force, by kind: a correction takes its original's place."""
    events = list(incident.events.all())
    superseded = {e.supersedes_id for e in events if e.supersedes_id}
    return {e.kind: e for e in events if e.pk not in superseded}


def call_officers(incident: Incident) -> list[dict]:
    """Who is on the call: the officers the effective ``dispatched`` and ``arrived`` steps name, each
    with when they were dispatched and when they arrived (a reinforcement has no dispatch time)."""
    effective = _effective(incident)
    rows: dict[int, dict] = {}
    for kind, key in ((EventKind.DISPATCHED, "dispatched_at"), (EventKind.ARRIVED, "arrived_at")):
        event = effective.get(kind)
        if event is None:
            continue
        for user in event.officers.all():
            row = rows.setdefault(user.pk, {"user": user, "dispatched_at": None, "arrived_at": None})
            row[key] = event.at
    return list(rows.values())


def call_units(incident: Incident) -> list[str]:
    effective = _effective(incident)
    return [e.unit for k in (EventKind.DISPATCHED, EventKind.ARRIVED) if (e := effective.get(k)) and e.unit]


def video_supervisor(incident: Incident):
    """Who supervised the call on video: whoever recorded the effective ``video_supervised`` step."""
    event = _effective(incident).get(EventKind.VIDEO_SUPERVISED)
    return event.actor if event is not None else None


def _named_on_open_calls(station) -> QuerySet:
    return IncidentEvent.officers.through.objects.filter(
        incidentevent__incident__station=station,
        incidentevent__incident__status=Status.OPEN,
        incidentevent__superseded_by__isnull=True,
        incidentevent__kind__in=[EventKind.DISPATCHED, EventKind.ARRIVED],
    )


def out_now(*, station) -> list[dict]:
    """Who is out now: the people named on a call of ``station`` not yet closed or diverted, each with
    the calls (number, id) they are on, by name."""
    rows: dict[int, dict] = {}
    links = (
        _named_on_open_calls(station)
        .select_related("user", "incidentevent__incident")
        .order_by("incidentevent__incident__received_at")
    )
    for link in links:
        incident = link.incidentevent.incident
        row = rows.setdefault(link.user_id, {"user": link.user, "incidents": []})
        if all(i.pk != incident.pk for i in row["incidents"]):
            row["incidents"].append(incident)
    return sorted(rows.values(), key=lambda r: r["user"].display_name)


def officer_call_counts(*, station, now: datetime | None = None) -> list[dict]:
    """Each active person of ``station`` with the calls they were named on (dispatched or arrived)
    received today and this month (Asia/Shanghai), most calls this month first."""
    from django.db.models import Count

    from qianwan.org.models import User

    now = now or timezone.now()
    local = timezone.localtime(now, local_tz())
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    named = Q(
        call_events__incident__station=station,
        call_events__superseded_by__isnull=True,
        call_events__incident__received_at__gte=month_start,
    )
    users = (
        User.objects.filter(station=station, is_active=True)
        .annotate(
            month=Count("call_events__incident", filter=named, distinct=True),
            today=Count(
                "call_events__incident",
                filter=named & Q(call_events__incident__received_at__gte=day_start),
                distinct=True,
            ),
        )
        .order_by("-month", "-today", "full_name", "username")
    )
    return [{"user": u, "today": u.today, "month": u.month} for u in users]


def breached_q(now: datetime | None = None) -> Q:
    """Incidents with at least one stage whose ``met`` is false (done late, or overdue and not done)."""
    now = now or timezone.now()
    recorded = Q()
    for prefix in STAGE_FIELD.values():
        recorded |= Q(**{f"{prefix}_met": False})
    return recorded | Q(Exists(open_overdue_clocks(now).filter(incident=OuterRef("pk"))))


def missed_q(stage: str, now: datetime | None = None) -> Q:
    """Incidents that missed ``stage`` as its KPI counts them (``late`` + ``missing``): done after the
    limit, or not done and past the deadline; diverted incidents are not measured."""
    now = now or timezone.now()
    prefix = STAGE_FIELD[Stage(stage)]
    overdue = open_overdue_clocks(now).filter(incident=OuterRef("pk"), stage=stage)
    return ~Q(status=Status.DIVERTED) & (Q(**{f"{prefix}_met": False}) | Q(Exists(overdue)))


def sla_block(incident: Incident, now: datetime | None = None) -> list[dict]:
    """The contract's ``sla`` list, computed from the (prefetched) clocks at ``now``."""
    now = now or timezone.now()
    rows = []
    for clock in sorted(incident.clocks.all(), key=lambda c: STAGES.index(c.stage)):
        elapsed = None
        if clock.done_at is not None:
            from .services import clock_start, elapsed_seconds

            elapsed = elapsed_seconds(clock_start(incident, clock), clock.done_at)
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
                "restarted_at": clock.restarted_at,
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


def dispatch_picker(*, station_id: int, at: datetime | None = None) -> list[dict]:
    """The people a dispatch may name, ordered by the duty roster of the moment: the on-duty officers
    first, then the duty leaders, then everyone else of the station by name; ``on_duty`` marks them."""
    from qianwan.org.choices import DutyPost
    from qianwan.org.models import User
    from qianwan.org.selectors import on_duty

    at = at or timezone.now()
    station = Station.objects.get(pk=station_id)
    officers = on_duty(station=station, at=at, post=DutyPost.OFFICER)
    leaders = on_duty(station=station, at=at, post=DutyPost.LEADER)
    rank = {u.pk: 0 for u in officers}
    for u in leaders:
        rank.setdefault(u.pk, 1)
    people = User.objects.filter(station_id=station_id, is_active=True).only("id", "username", "full_name")
    ordered = sorted(people, key=lambda u: (rank.get(u.pk, 2), u.full_name or u.username, u.username))
    return [{"username": u.username, "name": u.display_name, "on_duty": u.pk in rank} for u in ordered]


def board(*, user, station=None, now: datetime | None = None) -> dict:
    """Open incidents of the station (all in scope when None) with their clocks, for the live board."""
    now = now or timezone.now()
    qs = incident_list(user=user).filter(status=Status.OPEN)
    if station is not None:
        qs = qs.filter(station=station)
    events = IncidentEvent.objects.filter(
        kind__in=[EventKind.DISPATCHED, EventKind.ARRIVED, EventKind.VIDEO_SUPERVISED]
    ).prefetch_related("officers")
    incidents = list(qs.prefetch_related(Prefetch("events", queryset=events)).order_by("received_at")[:100])
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
                "station_id": i.station_id,
                "repeat_count": i.repeat_count,
                "next_kind": next_step_kind(i),
                "sla": sla_block(i, now),
                "officers": [
                    {"username": row["user"].username, "name": row["user"].display_name}
                    for row in call_officers(i)
                ],
                "units": call_units(i),
            }
            for i in incidents
        ],
        "people": {
            station_id: dispatch_picker(station_id=station_id, at=now)
            for station_id in sorted({i.station_id for i in incidents})
        },
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
                "status": "bad" if incident.breached else "",
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


def stage_limits() -> dict[str, list[dict]]:
    """Per stage, the limits in force and the categories each applies to (a category without its own
    policy takes the default's): ``{stage: [{"limit_seconds", "categories": [labels]}]}``."""
    from .models import SlaPolicy

    policies = {p.category: p.limits() for p in SlaPolicy.objects.all()}
    default = policies.get("") or dict(DEFAULT_LIMITS)
    out = {}
    for stage in STAGES:
        groups: dict[int, list[str]] = {}
        for value, label in Category.choices:
            limit = (policies.get(value) or default)[str(stage)]
            groups.setdefault(int(limit), []).append(str(label))
        out[str(stage)] = [{"limit_seconds": k, "categories": v} for k, v in sorted(groups.items())]
    return out


def stage_distribution(*, date_from: date, date_to: date, station=None, now: datetime | None = None) -> dict:
    """Per stage, how many incidents (diverted excluded) took each 10-second bucket of time from receipt,
    with the limits in force (each category's own: ``limits``; ``limit_seconds`` is the default's);
    the last bucket (1200 s) holds everything from 20 minutes on."""
    now = now or timezone.now()
    parts = rollup.parts_for(date_from, date_to, station=station, now=now, arrivals=False, buckets=True)
    total = rollup.sum_buckets(parts)
    limits = stage_limits()
    out = {}
    for i, stage in enumerate(STAGES):
        used = [b for b in range(total.shape[1]) if total[i, b]]
        out[str(stage)] = {
            "limit_seconds": DEFAULT_LIMITS[stage],
            "limits": limits[str(stage)],
            "bucket_seconds": rollup.BUCKET_SECONDS,
            "x": [b * rollup.BUCKET_SECONDS for b in used],
            "y": [int(total[i, b]) for b in used],
        }
    return out


def same_span(month_start: datetime, until: datetime, months_back: int) -> tuple[datetime, datetime]:
    """The span of the month ``months_back`` months before ``month_start``'s that matches the elapsed
    part [month_start, until) of this one: from its first instant to the same local day and time,
    clamped to the end of a shorter month (31 March 14:00 → the whole of February)."""
    tz = local_tz()
    local_until = timezone.localtime(until, tz)
    y, m = add_months(month_start.year, month_start.month, -months_back)
    start, end = local_month_range(y, m)
    elapsed_days = local_until.day
    last_day = (end - timedelta(days=1)).day
    if elapsed_days > last_day:
        return start, end
    moment = datetime.combine(date(y, m, elapsed_days), local_until.timetz().replace(tzinfo=None), tzinfo=tz)
    return start, min(moment, end)


def _count_between(start: datetime, end: datetime, station=None) -> int:
    qs = Incident.objects.filter(received_at__gte=start, received_at__lt=end)
    if station is not None:
        qs = qs.filter(station=station)
    return qs.count()


def incident_trend(*, months: int = 12, station=None, now: datetime | None = None) -> dict:
    """`kpis/incident-trend`: incidents per local month for the last ``months`` months to ``now``
    (exclusive; the month holding ``now`` last), each compared with the month before and the same
    month a year before by ``qianwan.kpi.compare_counts`` (exposures: the months' real lengths).

    A month not over at ``now`` is ``partial``: it counts up to ``now`` and is compared with the same
    elapsed span of the month before and of a year before (same local day and time, clamped to the
    end of a shorter month); the exposures are those spans' lengths. Changes are given on any base;
    the small-number rule is the pages' business."""
    now = now or timezone.now()
    tz = local_tz()
    local_last = timezone.localtime(now - timedelta(microseconds=1), tz)
    last = (local_last.year, local_last.month)
    last_start, last_end = local_month_range(*last)
    partial = now < last_end
    first = add_months(*last, -(months - 1))
    counts = monthly_counts(first=add_months(*first, -12), last=last, station=station, now=now)
    if partial:  # only what was received before ``now`` (a custom period may end mid-month)
        counts[last] = _count_between(last_start, now, station)
    has_history = any(counts.values())
    earliest = min((k for k, v in counts.items() if v), default=None)

    def month_days(ym: tuple[int, int]) -> float:
        return span_days(*local_month_range(*ym))

    out = []
    for i in range(months):
        year, month = add_months(*first, i)
        n = counts.get((year, month), 0)
        row_partial = partial and (year, month) == last
        comparisons = {}
        for key, back in (("mom", 1), ("yoy", 12)):
            base = add_months(year, month, -back)
            if not has_history or base < earliest:
                comparisons[key] = compare_counts(n, None)
            elif row_partial:
                start, end = same_span(last_start, now, back)
                comparisons[key] = compare_counts(
                    n,
                    _count_between(start, end, station),
                    exposure_now=span_days(last_start, now),
                    exposure_before=span_days(start, end),
                )
                comparisons[key]["before_until"] = timezone.localtime(end, tz).isoformat()
            else:
                comparisons[key] = compare_counts(
                    n,
                    counts.get(base, 0),
                    exposure_now=month_days((year, month)),
                    exposure_before=month_days(base),
                )
        out.append(
            {
                "month": f"{year:04d}-{month:02d}",
                "incidents": n,
                "partial": row_partial,
                "until": timezone.localtime(now, tz).isoformat() if row_partial else None,
                "mom_change": comparisons["mom"]["change"],
                "yoy_change": comparisons["yoy"]["change"],
                "mom": comparisons["mom"],
                "yoy": comparisons["yoy"],
            }
        )
    return {"station": station.code if station is not None else None, "months": out}


def station_kpi_page(*, station, now: datetime | None = None) -> dict:
    """The station KPI page: this month, last month, the last 12 months and the trend."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    month_start = today.replace(day=1)
    prev_start = (month_start - timedelta(days=1)).replace(day=1)
    twelve_months_ago = date(*add_months(today.year, today.month, -11), 1)
    return {
        "diversions": diversion_counts(date_from=twelve_months_ago, date_to=today, station=station),
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
        "repeats": repeat_counts(date_from=month_start, date_to=today, station=station),
    }


def repeat_counts(*, date_from, date_to, station=None) -> dict:
    """Calls of a local period marked 重复报警 (an earlier call from the same phone, standard address or
    within 100 m in the 72 hours before), with the period's calls: a count and its base."""
    start, end = local_day_range(date_from, date_to)
    qs = Incident.objects.filter(received_at__gte=start, received_at__lt=end)
    if station is not None:
        qs = qs.filter(station=station)
    row = qs.aggregate(incidents=Count("id"), repeats=Count("id", filter=Q(repeat_count__gt=0)))
    return {"incidents": row["incidents"], "repeats": row["repeats"]}


# ---------------------------------------------------------------------------------------------------
# Escalation chains


def builtin_chain(escalate_after_seconds: int) -> list[dict]:
    """The chain in force when none is configured: today's behaviour (breach → the duty leader, then
    the command centre ``escalate_after_seconds`` later, each once)."""
    return [
        {"target": ChainTarget.DUTY_LEADER, "person": None, "wait": 0, "repeat": 0, "every": 0},
        {
            "target": ChainTarget.COMMAND_CENTRE,
            "person": None,
            "wait": escalate_after_seconds,
            "repeat": 0,
            "every": 0,
        },
    ]


@refcache.cached
def chain_steps_for(station_id: int) -> tuple[dict, ...]:
    """The configured steps in force for a station: its own chain, else the sub-bureau default; an
    empty tuple means the built-in chain. One query (kept per process, qianwan/refcache.py)."""
    rows = list(
        EscalationStep.objects.filter(Q(chain__station_id=station_id) | Q(chain__station__isnull=True))
        .select_related("chain")
        .order_by("position")
    )
    chosen = [r for r in rows if r.chain.station_id == station_id] or [
        r for r in rows if r.chain.station_id is None
    ]
    return tuple(
        {
            "target": r.target,
            "person": r.person_id,
            "wait": r.wait_seconds,
            "repeat": r.repeat_times,
            "every": r.repeat_every_seconds,
        }
        for r in chosen
    )


def expand_chain(steps) -> list[list]:
    """Steps → the entries a clock fires, in order: [offset from the deadline (s), target, person id,
    step number, repeat number, fired at (ISO, filled when sent)]. A step's wait counts from the
    previous step's first notification; its repeats follow every ``every`` seconds."""
    entries, offset = [], 0
    for number, step in enumerate(steps):
        offset += step["wait"]
        entries.append([offset, step["target"], step["person"], number, 0, None])
        for repeat in range(1, step["repeat"] + 1):
            entries.append(
                [offset + repeat * step["every"], step["target"], step["person"], number, repeat, None]
            )
    entries.sort(key=lambda e: (e[0], e[3], e[4]))
    return entries


def chain_pages(*, user) -> dict:
    """The escalation page: the sub-bureau default and every station in scope, each with the steps
    in force and where they come from."""
    from .services import policy_for

    escalate_after = policy_for("").escalate_after_seconds
    chains = {
        c.station_id: list(c.steps.all()) for c in EscalationChain.objects.prefetch_related("steps__person")
    }
    default = chains.get(None)
    rows = [{"station": None, "steps": default, "source": "own" if default else "builtin"}]
    for station in stations_in_scope(user=user).filter(is_active=True):
        own = chains.get(station.pk)
        rows.append(
            {
                "station": station,
                "steps": own or default,
                "source": "own" if own else ("default" if default else "builtin"),
            }
        )
    return {"rows": rows, "builtin": builtin_chain(escalate_after)}


# ---------------------------------------------------------------------------------------------------
# Diversion catalogue (110 ↔ 12345)


def diversion_catalogue(*, direction: str | None = None, active_only: bool = True) -> QuerySet[DiversionItem]:
    """Catalogue items (with their category), in catalogue order; one direction or both."""
    qs = DiversionItem.objects.select_related("category")
    if direction:
        qs = qs.filter(category__direction=direction)
    if active_only:
        qs = qs.filter(is_active=True, category__is_active=True)
    return qs.order_by("category__direction", "category__position", "category_id", "position", "id")


def diversion_categories() -> QuerySet[DiversionCategory]:
    return DiversionCategory.objects.prefetch_related("items").order_by("direction", "position", "id")


def diversion_suggest(
    *, category: str = "", text: str = "", direction: str = DiversionDirection.TO_12345
) -> dict:
    """What the catalogue suggests for a call: ``{"divert": bool, "items": [item, …], "reason": str}``.

    An item matches when one of its keywords occurs in ``text`` (ranked by how many do) or, failing
    any keyword match, when the call's category is the item's ``incident_category``. ``divert`` is
    true when the category is 非警务 or any item matched by keyword."""
    text = (text or "").strip()
    scored = []
    for item in diversion_catalogue(direction=direction):
        hits = [k for k in item.keyword_list() if k in text] if text else []
        if hits:
            scored.append((len(hits), item, hits))
    scored.sort(key=lambda row: -row[0])
    items = [item for _n, item, _hits in scored]
    hits = {item.pk: h for _n, item, h in scored}
    by_category = bool(category) and category == Category.NON_POLICE
    if not items and category:
        items = [i for i in diversion_catalogue(direction=direction) if i.incident_category == category]
    if hits:
        reason = _("简要警情含关键词：%(words)s") % {
            "words": "、".join(dict.fromkeys(sum(hits.values(), [])))
        }
    elif by_category:
        reason = _("警情类别为“非警务”")
    else:
        reason = ""
    return {
        "divert": bool(hits) or by_category,
        "items": items[:5],
        "matched_keywords": hits,
        "reason": reason,
    }


def diversion_counts(*, date_from: date, date_to: date, station=None) -> dict:
    """Diversions of calls received in the local period, per month, per direction and per catalogue item.

    110 → 12345: incidents diverted (status 已分流; a rejected diversion no longer counts). 12345 → 110:
    incidents taken from a 12345 event or recorded under a 12345 → 110 item. ``months`` rows carry
    the month's incidents as the base of the diverted share."""
    from django.db.models.functions import TruncMonth

    from qianwan.exchange.choices import Source
    from qianwan.kpi import local_day_range

    start, end = local_day_range(date_from, date_to)
    base = Incident.objects.filter(received_at__gte=start, received_at__lt=end)
    if station is not None:
        base = base.filter(station=station)
    month = TruncMonth("received_at", tzinfo=local_tz())
    to_12345 = Q(status=Status.DIVERTED)
    # "has an inbound event or a catalogue item" is implied by the rest; spelled out, it lets the
    # planner read the small partial index instead of every incident of the period
    to_110 = (Q(source_inbound__isnull=False) | Q(diversion_item__isnull=False)) & (
        Q(source_inbound__source=Source.HOTLINE)
        | Q(diversion_item__category__direction=DiversionDirection.TO_110)
    )
    # the months' incidents from the sealed rollup (raw rows only for what is not sealed: a year of a
    # million incidents read in full took seconds)
    parts = rollup.parts_for(
        date_from, date_to, station=station, now=timezone.now(), by_month=True, only_incidents=True
    )
    totals = {}
    for code, n in zip(parts.month.tolist(), parts.counts[:, rollup.KEY["incidents"]].tolist(), strict=True):
        first = date(code // 12, code % 12 + 1, 1)
        totals[first] = totals.get(first, 0) + n
    rows = []
    for direction, cond in ((DiversionDirection.TO_12345, to_12345), (DiversionDirection.TO_110, to_110)):
        for row in (
            base.filter(cond)
            .annotate(m=month)
            .values("m", "diversion_item")
            .annotate(n=Count("*"))  # not the id: the diverted index then answers alone
            .order_by("m", "diversion_item")
        ):
            first = timezone.localtime(row["m"], local_tz()).date()
            rows.append(
                {"month": first, "direction": direction, "item": row["diversion_item"], "n": row["n"]}
            )
    items = {
        i.pk: i
        for i in DiversionItem.objects.select_related("category").filter(
            pk__in={r["item"] for r in rows if r["item"]}
        )
    }
    months = {}
    for m in sorted(set(totals) | {r["month"] for r in rows}):
        months[m] = {
            "month": f"{m:%Y-%m}",
            "incidents": totals.get(m, 0),
            DiversionDirection.TO_12345.value: 0,
            DiversionDirection.TO_110.value: 0,
        }
    by_item = {}
    for r in rows:
        months[r["month"]][r["direction"].value] += r["n"]
        key = (r["direction"].value, r["item"])
        entry = by_item.setdefault(
            key,
            {
                "direction": r["direction"].value,
                "direction_label": str(r["direction"].label),
                "item": r["item"],
                "item_label": str(items[r["item"]]) if r["item"] else str(_("未选目录事项")),
                "total": 0,
                "months": {},
            },
        )
        entry["total"] += r["n"]
        label = f"{r['month']:%Y-%m}"
        entry["months"][label] = entry["months"].get(label, 0) + r["n"]
    return {
        "months": list(months.values()),
        "items": sorted(by_item.values(), key=lambda e: (e["direction"], -e["total"], e["item_label"])),
        "totals": {d.value: sum(m[d.value] for m in months.values()) for d in DiversionDirection},
        "incidents": sum(totals.values()),
    }


# --------------------------------------------------------------------------- dashboard map

OPEN_MAP_LIMIT = 2000


def open_incident_features(
    *, user, station=None, now: datetime | None = None, limit: int = OPEN_MAP_LIMIT
) -> list:
    """GeoJSON points of the open incidents in the user's scope (newest first, at most ``limit``) for
    the dashboard map: red when a stage is past its limit, each linking to its record."""
    now = now or timezone.now()
    qs = scope_queryset(
        Incident.objects.filter(status=Status.OPEN, lat__isnull=False, lon__isnull=False), user
    )
    if station is not None:
        qs = qs.filter(station=station)
    qs = qs.annotate(breached=ExpressionWrapper(breached_q(now), output_field=BooleanField()))
    categories = dict(Category.choices)
    features = []
    for row in qs.order_by("-received_at").values(
        "pk", "number", "category", "address", "lat", "lon", "breached", "station__name"
    )[:limit]:
        layer = "incidents_breached" if row["breached"] else "incidents_open"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": {
                    "layer": layer,
                    "kind": "incident",
                    "label": f"{row['number']} {categories.get(row['category'], row['category'])}",
                    "detail": " · ".join(
                        x
                        for x in (
                            row["station__name"],
                            row["address"],
                            _("有环节超时") if row["breached"] else _("处置中"),
                        )
                        if x
                    ),
                    "url": reverse("incidents:detail", args=[row["pk"]]),
                    "color": "#b42318" if row["breached"] else "#1971c2",
                    "radius": 6,
                },
            }
        )
    return features
