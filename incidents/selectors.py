"""Reads of incidents: scoped lists, the SLA block, the duty board, and the dispatch KPIs the dashboard
reuses (``dispatch_kpis``, ``incident_trend``)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Aggregate, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.exchange.models import InboundEvent
from qianwan.exchange.selectors import inbound_list, outbound_for
from qianwan.kpi import (
    add_months,
    count_change,
    local_day_range,
    local_month_range,
    local_tz,
    nearest_rank,
    rate,
)
from qianwan.org.choices import Role
from qianwan.org.models import Station
from qianwan.org.scopes import scope_queryset

from .choices import STAGE_EVENT, STAGE_FIELD, STAGES, Category, EventKind, Stage, Status
from .models import Incident, IncidentEvent, SlaClock

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


def open_overdue_clocks(now: datetime) -> QuerySet[SlaClock]:
    """Open clocks past their deadline whose miss the timer has not recorded yet (at most seconds old
    while the workers run)."""
    return SlaClock.objects.filter(done_at__isnull=True, met__isnull=True, not_needed=False, deadline__lt=now)


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
            }
        )
    return rows


def timeline(incident: Incident) -> list[dict]:
    """The (prefetched) events in order, each marked superseded or not."""
    events = list(incident.events.all())
    superseded = {e.supersedes_id for e in events if e.supersedes_id}
    return [{"event": e, "superseded": e.pk in superseded} for e in events]


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


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile: the value at position ⌈p·n⌉ of the sorted values."""

    function = "percentile_disc"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95}
_GROUPS = {
    None: [],
    "station": ["station__code", "station__name"],
    "category": ["category"],
}


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _period_qs(date_from: date, date_to: date, station) -> QuerySet[Incident]:
    start, end = local_day_range(date_from, date_to)
    qs = Incident.objects.filter(received_at__gte=start, received_at__lt=end)
    return qs.filter(station=station) if station is not None else qs


def _aggregates() -> dict:
    not_diverted = ~Q(status=Status.DIVERTED)
    aggs = {
        "incidents": Count("id"),
        "diverted": Count("id", filter=Q(status=Status.DIVERTED)),
        "out_of_order": Count(
            "id", filter=Q(arrival_seconds__isnull=False, dispatch_seconds__gt=F("arrival_seconds"))
        ),
        "with_arrival": Count("id", filter=not_diverted & Q(arrival_seconds__isnull=False)),
    }
    for stage, prefix in STAGE_FIELD.items():
        aggs[f"{stage}__within"] = Count("id", filter=not_diverted & Q(**{f"{prefix}_met": True}))
        aggs[f"{stage}__late"] = Count(
            "id", filter=not_diverted & Q(**{f"{prefix}_met": False, f"{prefix}_seconds__isnull": False})
        )
        aggs[f"{stage}__missing"] = Count(
            "id", filter=not_diverted & Q(**{f"{prefix}_met": False, f"{prefix}_seconds__isnull": True})
        )
        aggs[f"{stage}__unsettled"] = Count("id", filter=not_diverted & Q(**{f"{prefix}_met__isnull": True}))
    return aggs


def _group_key(row: dict, fields: list[str]) -> tuple:
    return tuple(row[f] for f in fields)


def arrival_percentiles(
    qs: QuerySet[Incident], fields: list[str], *, in_database: bool | None = None
) -> dict[tuple, dict]:
    """Nearest-rank arrival percentiles per group, over non-diverted incidents that have an arrival.

    PostgreSQL computes them with ``percentile_disc``; elsewhere (SQLite for ``make run``) the same
    nearest rank is taken over the sorted values in Python.
    """
    arrivals = qs.exclude(status=Status.DIVERTED).filter(arrival_seconds__isnull=False)
    if _is_postgres() if in_database is None else in_database:
        rows = arrivals.values(*fields).annotate(
            **{name: PercentileDisc("arrival_seconds", p) for name, p in PERCENTILES.items()}
        )
        if not fields:
            rows = [
                arrivals.aggregate(
                    **{name: PercentileDisc("arrival_seconds", p) for name, p in PERCENTILES.items()}
                )
            ]
        return {_group_key(r, fields): {n: r[n] for n in PERCENTILES} for r in rows}
    # SQLite (make run): the same nearest rank, computed over the sorted values
    values = defaultdict(list)
    for row in arrivals.values(*fields, "arrival_seconds").order_by("arrival_seconds"):
        values[_group_key(row, fields)].append(row["arrival_seconds"])
    return {key: {n: nearest_rank(v, p) for n, p in PERCENTILES.items()} for key, v in values.items()}


def _open_overdue(qs: QuerySet[Incident], fields: list[str], now: datetime) -> dict[tuple, dict[str, int]]:
    clocks = open_overdue_clocks(now).filter(incident__in=qs.exclude(status=Status.DIVERTED).values("pk"))
    out = defaultdict(dict)
    for row in clocks.values(*[f"incident__{f}" for f in fields], "stage").annotate(n=Count("id")):
        key = tuple(row[f"incident__{f}"] for f in fields)
        out[key][row["stage"]] = row["n"]
    return out


def _figures(row: dict, overdue: dict[str, int], pct: dict) -> dict:
    result = {"incidents": row["incidents"], "diverted": row["diverted"]}
    stages = {}
    for stage in STAGES:
        missing_open = overdue.get(stage, 0)
        within = row[f"{stage}__within"]
        late = row[f"{stage}__late"]
        missing = row[f"{stage}__missing"] + missing_open
        eligible = within + late + missing
        stages[stage] = {
            "eligible": eligible,
            "within": within,
            "late": late,
            "missing": missing,
            "pending": row[f"{stage}__unsettled"] - missing_open,
            "rate": rate(within, eligible),
        }
        result[f"{stage}_rate"] = stages[stage]["rate"]
    result.update(
        {
            "arrival_p50_seconds": pct.get("p50"),
            "arrival_p90_seconds": pct.get("p90"),
            "arrival_p95_seconds": pct.get("p95"),
            "with_arrival": row["with_arrival"],
            "out_of_order": row["out_of_order"],
            "stages": stages,
        }
    )
    return result


def _kpi_rows(qs: QuerySet[Incident], group: str | None, now: datetime) -> list[tuple[tuple, dict]]:
    fields = _GROUPS[group]
    if fields:
        rows = list(qs.values(*fields).annotate(**_aggregates()).order_by(*fields))
    else:
        rows = [qs.aggregate(**_aggregates())]
    pct = arrival_percentiles(qs, fields)
    overdue = _open_overdue(qs, fields, now)
    return [
        (
            _group_key(r, fields),
            _figures(r, overdue.get(_group_key(r, fields), {}), pct.get(_group_key(r, fields), {})),
        )
        for r in rows
    ]


def _pg_kpi_groups(date_from: date, date_to: date, station, now: datetime) -> dict:
    """PostgreSQL: every figure for the total, per station and per category in ONE scan
    (``GROUPING SETS``), with ``percentile_disc`` over an array of fractions; the covering index on
    ``received_at`` makes it an index-only scan."""
    start, end = local_day_range(date_from, date_to)
    nd = "status <> %(diverted)s"
    cols = [
        "count(*) AS incidents",
        "count(*) FILTER (WHERE status = %(diverted)s) AS diverted",
        "count(*) FILTER (WHERE arrival_seconds IS NOT NULL AND dispatch_seconds > arrival_seconds) AS out_of_order",
        f"count(*) FILTER (WHERE {nd} AND arrival_seconds IS NOT NULL) AS with_arrival",
    ]
    for stage, p in STAGE_FIELD.items():
        cols += [
            f'count(*) FILTER (WHERE {nd} AND {p}_met) AS "{stage}__within"',
            f'count(*) FILTER (WHERE {nd} AND NOT {p}_met AND {p}_seconds IS NOT NULL) AS "{stage}__late"',
            f'count(*) FILTER (WHERE {nd} AND NOT {p}_met AND {p}_seconds IS NULL) AS "{stage}__missing"',
            f'count(*) FILTER (WHERE {nd} AND {p}_met IS NULL) AS "{stage}__unsettled"',
        ]
    fractions = ", ".join(str(p) for p in PERCENTILES.values())
    cols.append(
        f"percentile_disc(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY arrival_seconds) "
        f"FILTER (WHERE {nd}) AS pct"
    )
    where = "received_at >= %(start)s AND received_at < %(end)s"
    params = {"diverted": Status.DIVERTED.value, "start": start, "end": end}
    if station is not None:
        where += " AND station_id = %(station)s"
        params["station"] = station.pk
    sql = (
        "SELECT GROUPING(station_id) AS gs, GROUPING(category) AS gc, station_id, category, "  # noqa: S608
        + ", ".join(cols)
        + f" FROM incidents_incident WHERE {where} GROUP BY GROUPING SETS ((), (station_id), (category))"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # sorting a year of arrival times in memory, not on disk
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    overdue = defaultdict(lambda: defaultdict(int))
    qs = _period_qs(date_from, date_to, station).exclude(status=Status.DIVERTED)
    clocks = open_overdue_clocks(now).filter(incident__in=qs.values("pk"))
    for row in clocks.values("incident__station_id", "incident__category", "stage").annotate(n=Count("id")):
        for key in (
            ("total",),
            ("station", row["incident__station_id"]),
            ("category", row["incident__category"]),
        ):
            overdue[key][row["stage"]] += row["n"]
    stations = {s.pk: s for s in Station.objects.all()}
    out = {"total": None, "station": [], "category": []}
    for row in rows:
        pct = dict(zip(PERCENTILES, row["pct"] or [None] * len(PERCENTILES), strict=True))
        if row["gs"] and row["gc"]:
            out["total"] = _figures(row, overdue[("total",)], pct)
        elif not row["gs"]:
            st = stations[row["station_id"]]
            out["station"].append(((st.code, st.name), _figures(row, overdue[("station", st.pk)], pct)))
        else:
            out["category"].append(
                ((row["category"],), _figures(row, overdue[("category", row["category"])], pct))
            )
    if out["total"] is None:  # no rows at all: GROUPING SETS still yields the empty grand total, but be safe
        out["total"] = _figures({k: 0 for k in _aggregates()}, {}, {})
    out["station"].sort()
    out["category"].sort()
    return out


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
    nearest-rank arrival percentiles; counts beside every rate; per-station and per-category rows."""
    now = now or timezone.now()
    if _is_postgres():
        groups = _pg_kpi_groups(date_from, date_to, station, now)
    else:
        qs = _period_qs(date_from, date_to, station)
        groups = {
            "total": _kpi_rows(qs, None, now)[0][1],
            "station": _kpi_rows(qs, "station", now) if breakdowns else [],
            "category": _kpi_rows(qs, "category", now) if breakdowns else [],
        }
    result = {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "station": station.code if station is not None else None,
        **groups["total"],
    }
    if breakdowns:
        result["by_station"] = [
            {"station": key[0], "station_name": key[1], **figures} for key, figures in groups["station"]
        ]
        labels = dict(Category.choices)
        result["by_category"] = [
            {"category": key[0], "category_label": str(labels.get(key[0], key[0])), **figures}
            for key, figures in groups["category"]
        ]
    return result


def monthly_counts(*, start: datetime, end: datetime, station=None) -> dict[tuple[int, int], int]:
    """Incidents per Asia/Shanghai month in [start, end)."""
    qs = Incident.objects.filter(received_at__gte=start, received_at__lt=end)
    if station is not None:
        qs = qs.filter(station=station)
    # COUNT(*) lets PostgreSQL answer from the received_at index alone (an index-only scan).
    rows = qs.annotate(m=TruncMonth("received_at", tzinfo=local_tz())).values("m").annotate(n=Count("*"))
    counts = {}
    for row in rows:
        month = row["m"]
        if isinstance(month, datetime):
            month = timezone.localtime(month, local_tz()) if timezone.is_aware(month) else month
        counts[(month.year, month.month)] = row["n"]
    return counts


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
    history_start = local_month_range(*add_months(*first, -12))[0]
    end = local_month_range(*last)[1]
    counts = monthly_counts(start=history_start, end=end, station=station)
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
