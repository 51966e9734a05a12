"""Every read of the risks app beyond ``get()``: scoped querysets, KPIs, reconciliation, map data.

The dashboard reuses :func:`hazard_kpis`, :func:`hazard_status_counts` and :func:`campaign_summary`.
"""

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.attachments.models import Attachment, RecordKind
from qianwan.kpi import local_day_range, local_tz, nearest_rank, rate
from qianwan.org import selectors as org_selectors
from qianwan.org.choices import STAFF_ROLES, Role
from qianwan.org.models import Station, User
from qianwan.org.scopes import scope_queryset

from .choices import (
    HAZARD_OPEN_STATUSES,
    HazardLevel,
    HazardStatus,
    HotspotTrend,
    RiskPointStatus,
    RunStatus,
)
from .filtersets import overdue_q
from .models import (
    Campaign,
    CampaignOperation,
    CampaignViolationTally,
    Hazard,
    HotspotCell,
    HotspotRun,
    InspectionProblem,
    RiskPoint,
    VenueInspection,
)


def incident_category_label(category: str) -> str:
    """The display name of an incident category (hotspot runs and risk points are per category)."""
    from incidents.models import Incident

    return str(dict(Incident._meta.get_field("category").choices).get(category, category))


# --------------------------------------------------------------------------- hazards


def hazard_list(*, user) -> QuerySet[Hazard]:
    """Hazards the user may see, ready for a list (no N+1)."""
    return scope_queryset(Hazard.objects.all(), user).select_related(
        "station", "recorded_by", "responsible_officer", "rectified_by", "closed_by", "risk_point"
    )


def hazard_detail_qs(*, user) -> QuerySet[Hazard]:
    return hazard_list(user=user)


def hazard_evidence(hazard: Hazard) -> QuerySet[Attachment]:
    """A hazard's evidence: its files in the attachment store (``HazardEvidence`` was migrated there)."""
    return Attachment.objects.filter(record_kind=RecordKind.HAZARD, record_id=hazard.pk).select_related(
        "uploaded_by"
    )


def evidence_get(*, user, hazard_id: int, evidence_id: int) -> Attachment | None:
    """An evidence file, only if its hazard is in the user's scope (else None → 404)."""
    if not scope_queryset(Hazard.objects.all(), user).filter(pk=hazard_id).exists():
        return None
    return Attachment.objects.filter(
        pk=evidence_id, record_kind=RecordKind.HAZARD, record_id=hazard_id
    ).first()


def _cohort(*, date_from: date, date_to: date, station: Station | None, user=None) -> QuerySet[Hazard]:
    start, end = local_day_range(date_from, date_to)
    qs = Hazard.objects.filter(found_at__gte=start, found_at__lt=end)
    if user is not None:
        qs = scope_queryset(qs, user)
    if station is not None:
        qs = qs.filter(station=station)
    return qs


def hazard_kpis(*, date_from: date, date_to: date, station: Station | None = None, user=None) -> dict:
    """The contract's hazard KPI, a cohort: hazards found in the period, how many of them are closed
    now (only verified close-outs exist: closing needs a second person), how many are open past
    ``rectify_by`` now."""
    now = timezone.now()
    agg = _cohort(date_from=date_from, date_to=date_to, station=station, user=user).aggregate(
        found=Count("pk"),
        closed=Count("pk", filter=Q(status=HazardStatus.CLOSED)),
        overdue=Count("pk", filter=overdue_q(now)),
    )
    return {
        "found": agg["found"],
        "closed": agg["closed"],
        "close_rate": rate(agg["closed"], agg["found"]),
        "overdue": agg["overdue"],
    }


def hazard_status_counts(*, user, station: Station | None = None) -> dict:
    """Counts of the whole ledger by status and level, plus overdue now (dashboard cards)."""
    qs = scope_queryset(Hazard.objects.all(), user)
    if station is not None:
        qs = qs.filter(station=station)
    agg = qs.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=overdue_q()),
        **{f"status_{s}": Count("pk", filter=Q(status=s)) for s in HazardStatus.values},
        **{
            f"level_{lv}": Count("pk", filter=Q(level=lv) & Q(status__in=HAZARD_OPEN_STATUSES))
            for lv in HazardLevel.values
        },
    )
    return agg


def _is_independent(row: dict) -> bool:
    closer = row["closed_by_id"]
    return closer is not None and closer != row["recorded_by_id"] and closer != row["rectified_by_id"]


def _summarise(rows: list[dict], now: datetime) -> dict:
    found = len(rows)
    closed_rows = [r for r in rows if r["status"] == HazardStatus.CLOSED]
    closed = len(closed_rows)
    rectified = sum(1 for r in rows if r["status"] in (HazardStatus.RECTIFIED, HazardStatus.CLOSED))
    overdue = sum(1 for r in rows if r["status"] in HAZARD_OPEN_STATUSES and r["rectify_by"] < now)
    days = sorted(
        (r["closed_at"] - r["found_at"]).total_seconds() / 86400 for r in closed_rows if r["closed_at"]
    )
    independent = sum(1 for r in closed_rows if _is_independent(r))
    median = nearest_rank(days, 0.5)
    return {
        "found": found,
        "rectified": rectified,
        "closed": closed,
        "overdue": overdue,
        "close_rate": rate(closed, found),
        "median_days_to_close": round(median, 1) if median is not None else None,
        "independent": independent,
        "independent_share": rate(independent, closed),
    }


def reconciliation(*, user, date_from: date, date_to: date, station: Station | None = None) -> dict:
    """对账: per station found / rectified / closed / overdue, close rate, median days to close
    (nearest rank), share closed by a person independent of both recorder and rectifier; and the
    close rate by cohort (month found, Asia/Shanghai)."""
    now = timezone.now()
    rows = list(
        _cohort(date_from=date_from, date_to=date_to, station=station, user=user).values(
            "station_id",
            "status",
            "found_at",
            "closed_at",
            "rectify_by",
            "closed_by_id",
            "recorded_by_id",
            "rectified_by_id",
        )
    )
    stations = {s.pk: s for s in org_selectors.stations_in_scope(user=user)}
    by_station = defaultdict(list)
    by_month = defaultdict(list)
    tz = local_tz()
    for r in rows:
        by_station[r["station_id"]].append(r)
        by_month[r["found_at"].astimezone(tz).strftime("%Y-%m")].append(r)
    station_rows = []
    for pk, st in sorted(stations.items(), key=lambda kv: kv[1].code):
        if station is not None and pk != station.pk:
            continue
        station_rows.append({"station": st, **_summarise(by_station.get(pk, []), now)})
    months = [{"month": m, **_summarise(by_month[m], now)} for m in sorted(by_month)]
    return {"stations": station_rows, "months": months, "total": _summarise(rows, now)}


# --------------------------------------------------------------------------- early warning


def risk_point_list(*, user) -> QuerySet[RiskPoint]:
    return scope_queryset(RiskPoint.objects.all(), user).select_related(
        "station", "decided_by", "source_cell__run"
    )


def risk_point_detail_qs(*, user) -> QuerySet[RiskPoint]:
    return (
        risk_point_list(user=user)
        .select_related("work_plan__owner")
        .prefetch_related("work_plan__reviews", "hazards")
    )


def hotspot_runs(*, user) -> QuerySet[HotspotRun]:
    """Runs are district-wide computations every staff member may list; their cells are scoped."""
    if user.role not in STAFF_ROLES:
        return HotspotRun.objects.none()
    return HotspotRun.objects.select_related("triggered_by")


def latest_runs(*, user) -> list[HotspotRun]:
    """The newest finished run per incident category."""
    runs = hotspot_runs(user=user).filter(status=RunStatus.DONE)
    latest = runs.values("category").annotate(last=Max("id")).values_list("last", flat=True)
    return list(HotspotRun.objects.filter(pk__in=list(latest)).order_by("category"))


def hot_cells(*, user, runs=None) -> QuerySet[HotspotCell]:
    """Significant hot cells of the given (default: latest) runs that fall in the user's scope."""
    runs = runs if runs is not None else latest_runs(user=user)
    return scope_queryset(HotspotCell.objects.filter(run__in=runs, is_hot=True), user).select_related(
        "run", "station"
    )


CELL_HALF_SIDE = 0.0015  # degrees (~160 m): the part of a 9-level H3 cell around its centre


def place_names(cells) -> dict[str, str]:
    """A name a person knows for each H3 cell (``h3_index``, ``lat``, ``lon``): the dispute block (片区)
    that covers it, else the address most incidents there were reported at, else "" (never the id)."""
    from collections import Counter

    from disputes.models import BlockCell
    from incidents.models import Incident

    cells = list(cells)
    names = {
        bc["cell"]: bc["block__name"]
        for bc in BlockCell.objects.filter(cell__in=[c.h3_index for c in cells]).values("cell", "block__name")
    }
    for cell in cells:
        if cell.h3_index in names:
            continue
        addresses = Counter(
            a.strip()
            for a in Incident.objects.filter(
                lat__range=(cell.lat - CELL_HALF_SIDE, cell.lat + CELL_HALF_SIDE),
                lon__range=(cell.lon - CELL_HALF_SIDE, cell.lon + CELL_HALF_SIDE),
            )
            .exclude(address="")
            .values_list("address", flat=True)[:200]
            if a and a.strip()
        )
        names[cell.h3_index] = addresses.most_common(1)[0][0] if addresses else ""
    return names


def hot_level(z) -> str:
    """热点等级 from the Gi* z score, in words: 极高 (99.9%), 高 (99%), 较高 (95%)."""
    if z is None:
        return "—"
    if z >= 3.29:
        return _("极高")
    if z >= 2.58:
        return _("高")
    if z >= 1.96:
        return _("较高")
    return _("不显著")


# --------------------------------------------------------------------------- campaigns


def work_plan_owner_refs(*, user):
    """Who may own a risk point's work plan: active staff of the actor's station or of the
    sub-bureau (no station); every active staff member for the sub-bureau's roles."""
    qs = User.objects.filter(is_active=True, role__in=STAFF_ROLES)
    if user.role in STAFF_ROLES and user.role not in (Role.ADMIN, Role.BUREAU_LEADER):
        return qs.filter(Q(station_id=user.station_id) | Q(station__isnull=True))
    return qs if user.role in STAFF_ROLES else qs.none()


def campaign_list(*, user) -> QuerySet[Campaign]:
    """Campaigns are sub-bureau wide: every staff member sees them (their records are scoped)."""
    if user.role not in STAFF_ROLES:
        return Campaign.objects.none()
    return Campaign.objects.all()


def inspection_list(*, user, campaign: Campaign) -> QuerySet[VenueInspection]:
    return (
        scope_queryset(VenueInspection.objects.filter(campaign=campaign), user)
        .select_related("station", "inspector", "operation")
        .prefetch_related("problems__hazard")
    )


def campaign_summary(*, campaign: Campaign, station: Station | None = None) -> dict:
    """The campaign's tallies computed from its records: operations, officer-deployments, venues
    inspected, problems found/rectified (on the spot, or through a hazard that was rectified or
    closed), traffic violations. With ``station``: that station's share (operations it took part in,
    patrols of its teams).

    - ``violations`` = the violations on the traffic patrols that name the campaign + typed tallies;
    - ``officer_deployments`` = the operations' head counts + those of the patrols that name the
      campaign but none of its operations (a patrol under an operation counts once, with it) + typed;
    - ``manual`` = the typed (手工录入) share of each, never added twice.
    """
    from traffic.models import Patrol, PatrolViolation

    ops = CampaignOperation.objects.filter(campaign=campaign)
    inspections = VenueInspection.objects.filter(campaign=campaign)
    problems = InspectionProblem.objects.filter(inspection__campaign=campaign)
    tallies = CampaignViolationTally.objects.filter(campaign=campaign)
    patrols = Patrol.objects.filter(campaign=campaign)
    if station is not None:
        ops = ops.filter(stations=station)
        inspections = inspections.filter(station=station)
        problems = problems.filter(inspection__station=station)
        tallies = tallies.filter(station=station)
        patrols = patrols.filter(team__station=station)
    op_agg = ops.aggregate(operations=Count("pk", distinct=True), deployments=Sum("officers_deployed"))
    rectified_q = Q(rectified_at__isnull=False) | Q(
        hazard__status__in=[HazardStatus.RECTIFIED, HazardStatus.CLOSED]
    )
    prob_agg = problems.aggregate(
        found=Count("pk"),
        rectified=Count("pk", filter=rectified_q),
        hazards=Count("pk", filter=Q(hazard__isnull=False)),
    )
    typed = tallies.aggregate(violations=Sum("count"), deployments=Sum("officers_deployed"))
    manual = {
        "violations": typed["violations"] or 0,
        "officer_deployments": typed["deployments"] or 0,
    }
    patrol_violations = PatrolViolation.objects.filter(patrol__in=patrols).aggregate(n=Sum("count"))["n"] or 0
    # a patrol under one of the campaign's operations is already in that operation's head count
    patrol_heads = patrols.exclude(operation__campaign=campaign).aggregate(n=Sum("officers"))["n"] or 0
    return {
        "operations": op_agg["operations"] or 0,
        "officer_deployments": (op_agg["deployments"] or 0) + patrol_heads + manual["officer_deployments"],
        "venues_inspected": inspections.count(),
        "distinct_venues": inspections.values("venue_name", "address").distinct().count(),
        "problems_found": prob_agg["found"],
        "problems_rectified": prob_agg["rectified"],
        "problems_to_hazards": prob_agg["hazards"],
        "rectified_rate": rate(prob_agg["rectified"], prob_agg["found"]),
        "violations": patrol_violations + manual["violations"],
        "patrols": patrols.count(),
        "manual": manual,
    }


# --------------------------------------------------------------------------- battle map

LEVEL_COLOURS = {
    HazardLevel.LOW: "#2f6fb3",
    HazardLevel.MEDIUM: "#b7791f",
    HazardLevel.HIGH: "#d9480f",
    HazardLevel.MAJOR: "#a61e1e",
}
LEVEL_RADIUS = {HazardLevel.LOW: 5, HazardLevel.MEDIUM: 6, HazardLevel.HIGH: 7, HazardLevel.MAJOR: 9}


def map_layers() -> list[dict]:
    return [
        # dense point layers are clustered on the map (a count per cluster; zoom in to split them)
        {"id": "hazard_overdue", "label": _("隐患：逾期未整改"), "on": True, "cluster": True},
        {"id": "hazard_open", "label": _("隐患：待整改"), "on": True, "cluster": True},
        {"id": "hazard_rectified", "label": _("隐患：已整改待销号"), "on": True, "cluster": True},
        {"id": "hazard_closed", "label": _("隐患：已销号"), "on": False, "cluster": True},
        {"id": "risk_points", "label": _("风险点"), "on": True},
        {"id": "hotspots", "label": _("警情热点网格"), "on": True},
        {"id": "stations", "label": _("派出所"), "on": True},
    ]


def _point(lon, lat, props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def map_features(
    *, user, level: str | None = None, layers: set[str] | None = None, station: Station | None = None
) -> dict:
    """GeoJSON for the battle map: every feature has ``layer``, ``label``, ``url`` and style hints
    (``color``, ``radius``, ``shape``) that ``static/risks/map.js`` understands; ``layers`` lists the
    layer ids with their labels. A constant number of queries whatever the number of features."""
    from . import hotspots

    now = timezone.now()
    wanted = layers or {layer["id"] for layer in map_layers()}
    features = []
    hazard_layers = {"hazard_overdue", "hazard_open", "hazard_rectified", "hazard_closed"} & wanted
    if hazard_layers:
        qs = scope_queryset(Hazard.objects.filter(lat__isnull=False, lon__isnull=False), user)
        if station is not None:
            qs = qs.filter(station=station)
        if level:
            qs = qs.filter(level=level)
        if "hazard_closed" not in wanted:
            qs = qs.exclude(status=HazardStatus.CLOSED)
        levels = dict(HazardLevel.choices)
        statuses = dict(HazardStatus.choices)
        for h in qs.values("pk", "number", "title", "level", "status", "lat", "lon", "rectify_by"):
            if h["status"] in HAZARD_OPEN_STATUSES:
                layer = "hazard_overdue" if h["rectify_by"] < now else "hazard_open"
            else:
                layer = f"hazard_{h['status']}"
            if layer not in wanted:
                continue
            features.append(
                _point(
                    h["lon"],
                    h["lat"],
                    {
                        "layer": layer,
                        "kind": "hazard",
                        "label": f"{h['number']} {h['title']}",
                        "detail": f"{levels[h['level']]} · {statuses[h['status']]}"
                        + (f" · {_('逾期')}" if layer == "hazard_overdue" else ""),
                        "url": reverse("risks:hazard_detail", args=[h["pk"]]),
                        "color": LEVEL_COLOURS[h["level"]],
                        "radius": LEVEL_RADIUS[h["level"]],
                        "hollow": h["status"] == HazardStatus.CLOSED,
                        "level": h["level"],
                        "status": h["status"],
                    },
                )
            )
    if "risk_points" in wanted:
        qs = scope_queryset(RiskPoint.objects.exclude(status=RiskPointStatus.DISMISSED), user)
        statuses = dict(RiskPointStatus.choices)
        for p in qs.values("pk", "name", "lat", "lon", "status", "gi_z"):
            features.append(
                _point(
                    p["lon"],
                    p["lat"],
                    {
                        "layer": "risk_points",
                        "kind": "risk_point",
                        "shape": "square",
                        "label": p["name"],
                        "detail": statuses[p["status"]]
                        + (f" · {_('热点等级')} {hot_level(p['gi_z'])}" if p["gi_z"] is not None else ""),
                        "url": reverse("risks:riskpoint_detail", args=[p["pk"]]),
                        "color": "#6b21a8" if p["status"] == RiskPointStatus.ACCEPTED else "#9f7aea",
                        "radius": 8,
                    },
                )
            )
    if "hotspots" in wanted:
        cells = list(hot_cells(user=user))
        places = place_names(cells)
        trends = dict(HotspotTrend.choices)
        for cell_row in cells:
            cell = {
                "h3_index": cell_row.h3_index,
                "gi_z": cell_row.gi_z,
                "count": cell_row.count,
                "trend": cell_row.trend,
                "run__category": cell_row.run.category,
                "run_id": cell_row.run_id,
            }
            ring = [[lon, lat] for lat, lon in hotspots.cell_boundary(cell["h3_index"])]
            ring.append(ring[0])
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "layer": "hotspots",
                        "kind": "hotspot",
                        "h3": cell["h3_index"],
                        "label": _("热点 %(cat)s：%(n)d 起")
                        % {"cat": incident_category_label(cell["run__category"]), "n": cell["count"]},
                        "detail": _("热点等级：%(level)s · %(trend)s")
                        % {"level": hot_level(cell["gi_z"]), "trend": trends.get(cell["trend"], "")},
                        "url": reverse("risks:warning") + f"?run={cell['run_id']}",
                        "color": "#e03131" if cell["trend"] == "emerging" else "#c92a2a",
                        # the block's name on the map itself (a permanent label, set as text)
                        "tag": places.get(cell["h3_index"], ""),
                    },
                }
            )
    if "stations" in wanted:
        for s in Station.objects.filter(is_active=True, lat__isnull=False, lon__isnull=False).values(
            "code", "name", "lat", "lon"
        ):
            features.append(
                _point(
                    s["lon"],
                    s["lat"],
                    {
                        "layer": "stations",
                        "kind": "station",
                        "shape": "station",
                        "label": s["name"],
                        "detail": s["code"],
                        "url": reverse("risks:index") + f"?station={s['code']}",
                        "color": "#0b4a8b",
                        "radius": 9,
                    },
                )
            )
    return {"type": "FeatureCollection", "layers": map_layers(), "legend": map_legend(), "features": features}


def map_legend() -> list[dict]:
    """What every marker colour and shape on the battle map means (drawn by ``static/risks/map.js``)."""
    levels = dict(HazardLevel.choices)
    return [
        *(
            {
                "shape": "circle",
                "color": LEVEL_COLOURS[level],
                "label": _("隐患：%(level)s") % {"level": levels[level]},
            }
            for level in (HazardLevel.LOW, HazardLevel.MEDIUM, HazardLevel.HIGH, HazardLevel.MAJOR)
        ),
        {"shape": "circle", "color": "#5b6775", "hollow": True, "label": _("空心：已销号")},
        {"shape": "square", "color": "#6b21a8", "label": _("风险点：已确认")},
        {"shape": "square", "color": "#9f7aea", "label": _("风险点：候选")},
        {"shape": "area", "color": "#e03131", "label": _("热点网格：新出现")},
        {"shape": "area", "color": "#c92a2a", "label": _("热点网格：持续或其他")},
        {"shape": "station", "color": "#0b4a8b", "label": _("派出所")},
        {"shape": "cluster", "color": "#0b4a8b", "label": _("聚合点：数字为隐患数，点击放大")},
    ]


# --------------------------------------------------------------------------- workbench


def workbench_panel(*, user) -> dict | None:
    """Overdue and due-soon hazards of the user's scope, for the home page."""
    if user.role not in STAFF_ROLES:
        return None
    qs = hazard_list(user=user).filter(status__in=HAZARD_OPEN_STATUSES).order_by("rectify_by")
    if user.role == Role.OFFICER:
        qs = qs.filter(Q(responsible_officer=user) | Q(responsible_officer__isnull=True))
    now = timezone.now()
    rows = []
    for h in qs[:8]:
        overdue = h.rectify_by < now
        rows.append(
            {
                "label": f"{h.number} {h.title}",
                "url": reverse("risks:hazard_detail", args=[h.pk]),
                "note": (
                    _("已逾期")
                    if overdue
                    else _("期限 %(d)s") % {"d": timezone.localtime(h.rectify_by).strftime("%Y-%m-%d")}
                ),
                "status": "bad" if overdue else "",
            }
        )
    return {
        "title": _("待整改隐患"),
        "url": reverse("risks:index") + "?status=open",
        "rows": rows,
        "empty": _("没有待整改的隐患。"),
    }
