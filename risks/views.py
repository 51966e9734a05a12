"""Pages of the risks app: the hazard ledger, reconciliation (对账), the battle map (挂图作战),
early warning (risk points and work plans) and campaigns. Every write goes through a service."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qianwan import presenter, xlsx
from qianwan.audit.models import AuditEntry
from qianwan.errors import StateConflict
from qianwan.exchange.selectors import outbound_for
from qianwan.filtering import filtered
from qianwan.forms import add_errors
from qianwan.kpi import add_months
from qianwan.listing import Window, render_list
from qianwan.org.access import role_required
from qianwan.org.choices import LEADER_ROLES, STAFF_ROLES, Role
from qianwan.org.scopes import can_act_for_station

from . import selectors, services
from .api.views import evidence_response
from .choices import HazardLevel, HazardStatus, RiskPointStatus
from .filtersets import HazardFilter, RiskPointFilter
from .forms import (
    CampaignForm,
    DecisionForm,
    EvidenceForm,
    HazardForm,
    HotspotRunForm,
    InspectionForm,
    NoteForm,
    OperationForm,
    PeriodForm,
    PromoteForm,
    ReopenForm,
    ReviewForm,
    ViolationsForm,
    WorkPlanForm,
    end_of_day,
)
from .models import InspectionProblem

STAFF = tuple(STAFF_ROLES)
LEADERS = tuple(LEADER_ROLES)
SORTS = {
    "found_at",
    "-found_at",
    "rectify_by",
    "-rectify_by",
    "level",
    "-level",
    "status",
    "-status",
    "number",
    "-number",
}


def _attempt(request, form, fn):
    """Run a service; bad input goes to the form, a state conflict to the page; returns the result or None."""
    try:
        return fn()
    except ValidationError as exc:
        if form is None:
            messages.error(request, "；".join(exc.messages))
        else:
            add_errors(form, exc)
    except StateConflict as exc:
        if form is None:
            messages.error(request, exc.message)
        else:
            form.add_error(None, exc.message)
    return None


def _posted_or_404(queryset, request, name: str):
    """The record of ``queryset`` whose id the POST names in ``name``: a missing or malformed id is a 404
    like an unknown one (not a 500 from the database lookup)."""
    raw = (request.POST.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        raise Http404
    return get_object_or_404(queryset, pk=int(raw))


# --------------------------------------------------------------------------- hazard ledger


# the ledger opens on the last 30 days plus every hazard not yet closed, unless the URL names a period
HAZARD_WINDOW = Window(
    days=30,
    field="found_at",
    period_params=("found_after", "found_before"),
    still_open=~Q(status=HazardStatus.CLOSED),
)


@role_required(*STAFF)
@require_GET
def index(request):
    """The hazard ledger: filters, counts, a sortable table. Bad filter input is a 400 with the errors
    next to the fields and no rows."""
    base = selectors.hazard_list(user=request.user)
    filterset = HazardFilter(request.GET, queryset=base)
    sort = request.GET.get("sort", "-found_at")
    return render_list(
        request,
        "risks/index.html",
        filterset=filterset,
        window=HAZARD_WINDOW,
        queryset=lambda qs: qs.order_by(sort if sort in SORTS else "-found_at", "-id"),
        context=lambda page: {
            "counts": selectors.hazard_status_counts(user=request.user),
            "now": timezone.now(),
            "sort": sort,
        },
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def hazard_new(request):
    initial = {"risk_point": request.GET.get("risk_point", "")}  # the form checks it and takes its place
    form = HazardForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        hazard = _attempt(
            request, form, lambda: services.hazard_create(actor=request.user, **form.service_kwargs())
        )
        if hazard:
            messages.success(request, _("已登记隐患 %(n)s。") % {"n": hazard.number})
            return redirect("risks:hazard_detail", pk=hazard.pk)
    return render(request, "risks/hazard_form.html", {"form": form})


def _history(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
        "at", "id"
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def hazard_detail(request, pk):
    """A hazard with its evidence, history and the next steps (rectify / close / reopen / upload)."""
    hazard = get_object_or_404(selectors.hazard_detail_qs(user=request.user), pk=pk)
    forms = {
        "rectify": NoteForm(prefix="rectify"),
        "close": NoteForm(prefix="close"),
        "reopen": ReopenForm(prefix="reopen"),
        "evidence": EvidenceForm(prefix="evidence"),
        "hand_over": NoteForm(prefix="hand_over"),
    }
    if request.method == "POST":
        step = request.POST.get("step")
        if step not in forms:
            raise Http404
        if not can_act_for_station(request.user, hazard.station):
            raise Http404
        form_class = type(forms[step])
        form = form_class(request.POST, request.FILES, prefix=step)
        forms[step] = form
        if form.is_valid():
            data = form.cleaned_data
            actions = {
                "rectify": lambda: services.hazard_rectify(
                    actor=request.user, hazard=hazard, note=data["note"]
                ),
                "close": lambda: services.hazard_close(actor=request.user, hazard=hazard, note=data["note"]),
                "reopen": lambda: services.hazard_reopen(
                    actor=request.user,
                    hazard=hazard,
                    reason=data["reason"],
                    rectify_by=end_of_day(data["rectify_by"]) if data.get("rectify_by") else None,
                ),
                "hand_over": lambda: services.hazard_hand_over(
                    actor=request.user, hazard=hazard, note=data["note"]
                ),
                "evidence": lambda: services.evidence_add(
                    actor=request.user, hazard=hazard, upload=data["file"], note=data["note"]
                ),
            }
            if _attempt(request, form, actions[step]):
                messages.success(request, _("已保存。"))
                return redirect("risks:hazard_detail", pk=hazard.pk)
        hazard.refresh_from_db()
    return render(
        request,
        "risks/hazard_detail.html",
        {
            "hazard": hazard,
            "evidence": selectors.hazard_evidence(hazard),
            "forms": forms,
            "history": _history(hazard),
            "outbound": outbound_for(hazard),
            "overdue": hazard.is_open and hazard.rectify_by < timezone.now(),
            "can_close": hazard.status == HazardStatus.RECTIFIED and hazard.recorded_by_id != request.user.pk,
            "max_mb": services.evidence_max_bytes() // 1048576,
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*STAFF)
@require_GET
def evidence_download(request, pk, evidence_id):
    """Evidence files are never under the web root: this view checks scope, then streams the file."""
    item = selectors.evidence_get(user=request.user, hazard_id=pk, evidence_id=evidence_id)
    if item is None:
        raise Http404
    return evidence_response(item)


# --------------------------------------------------------------------------- reconciliation


def _default_period():
    today = timezone.localdate()
    y, m = add_months(today.year, today.month, -11)
    return today.replace(year=y, month=m, day=1), today


@role_required(*STAFF)
@require_GET
def reconciliation(request):
    """对账: per station and by cohort (month found); ``?export=xlsx`` downloads the same tables.

    Bad input (a date, the order of the dates, a station outside the user's scope) is a 400 page with
    the errors and no figures; the export then answers that page too, not a file."""
    form = PeriodForm(request.GET or None, user=request.user)
    date_from, date_to = _default_period()
    if form.is_bound and not form.is_valid():
        return render(request, "risks/reconciliation.html", {"form": form, "data": None}, status=400)
    station = None
    if form.is_bound:
        date_from = form.cleaned_data.get("date_from") or date_from
        date_to = form.cleaned_data.get("date_to") or date_to
        station = form.cleaned_data.get("station")
    data = selectors.reconciliation(user=request.user, date_from=date_from, date_to=date_to, station=station)
    if request.GET.get("export") == "xlsx":
        return _reconciliation_xlsx(data, date_from, date_to)
    return render(
        request,
        "risks/reconciliation.html",
        {"form": form, "data": data, "date_from": date_from, "date_to": date_to},
    )


def _rate(num, den):
    """A rate for the export through the shared presenter: the fraction from 5 on, else nothing (the
    counts are in the columns beside it)."""
    return round(num / den, 4) if presenter.rate(num, den)["shown"] else None


def _reconciliation_xlsx(data, date_from, date_to) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    heads = [
        _("发现（处）"),
        _("已整改（处）"),
        _("已销号（处）"),
        _("逾期（处）"),
        _("销号率"),
        _("销号天数中位数（天）"),
        _("独立核验销号（处）"),
        _("独立核验占比"),
    ]

    def values(row):
        return [
            row["found"], row["rectified"], row["closed"], row["overdue"], _rate(row["closed"], row["found"]),
            row["median_days_to_close"], row["independent"], _rate(row["independent"], row["closed"]),
        ]  # fmt: skip

    ws = wb.active
    ws.title = _("按派出所")
    xlsx.append(ws, [_("隐患对账（发现日期 %(a)s 至 %(b)s）") % {"a": date_from, "b": date_to}])
    ws["A1"].font = Font(bold=True)
    xlsx.append(ws, [_("派出所"), *heads])
    for row in data["stations"]:
        xlsx.append(ws, [row["station"].name, *values(row)])
    xlsx.append(ws, [_("合计"), *values(data["total"])])
    ws2 = wb.create_sheet(_("按发现月份"))
    xlsx.append(ws2, [_("发现月份"), *heads])
    for row in data["months"]:
        xlsx.append(ws2, [row["month"], *values(row)])
    for sheet in (ws, ws2):
        for col in "FI":
            for cell in sheet[col][1:]:
                cell.number_format = "0.0%"
    response = xlsx.response(wb, f"hazard-reconciliation-{date_from}-{date_to}.xlsx")
    return response


# --------------------------------------------------------------------------- battle map


@role_required(*STAFF)
@require_GET
def battle_map(request):
    """挂图作战: the map page; data comes from the GeoJSON endpoint, tiles only when configured.

    An unknown ``?level=`` is a 400 page with the message and no map."""
    level = request.GET.get("level") or ""
    error = None
    if level and level not in HazardLevel.values:
        error = _("没有“%(level)s”这一隐患等级，请从列表中选择。") % {"level": level}
    return render(
        request,
        "risks/map.html",
        {
            "levels": HazardLevel.choices,
            "level": level,
            "level_error": error,
            "data_url": reverse("risks-api:map-data") + (f"?level={level}" if level else ""),
            "tile_url": settings.MAP_TILE_URL,
            "center": settings.MAP_CENTER,
        },
        status=400 if error else 200,
    )


# --------------------------------------------------------------------------- early warning


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def warning(request):
    """Early warning: the latest hotspot runs, hot cells, and risk-point candidates to decide."""
    form = HotspotRunForm(request.POST or None)
    if request.method == "POST":
        if request.user.role not in LEADER_ROLES:
            raise Http404
        if form.is_valid():
            run = _attempt(
                request,
                form,
                lambda: services.hotspot_run_compute(actor=request.user, force=True, **form.cleaned_data),
            )
            if run:
                messages.success(request, _("热点分析完成：%(n)d 个显著热点网格。") % {"n": run.hot_cells})
                return redirect(reverse("risks:warning") + f"?run={run.pk}")
    # ?run=ID picks a run: a malformed id is a 400 with the message and nothing listed, an id of no run
    # the user may see a 404 (like any missing record), never silently the latest runs
    runs = selectors.latest_runs(user=request.user)
    selected = None
    run_error = None
    run_param = (request.GET.get("run") or "").strip()
    if run_param and not (run_param.isascii() and run_param.isdigit() and len(run_param) <= 18):
        run_error = _("分析批次编号“%(value)s”无效，请从“最新热点分析”中选择。") % {"value": run_param}
    elif run_param:
        selected = get_object_or_404(selectors.hotspot_runs(user=request.user), pk=int(run_param))
        if selected not in runs:
            runs = [selected, *runs]
    # a cell with no incident in either period is "hot" only through its neighbours: not listed as a
    # place (and never as 新出现); the count of those is said under the table
    all_hot = selectors.hot_cells(user=request.user, runs=[selected] if selected else runs)
    neighbour_only = all_hot.filter(count=0, previous_count=0).count()
    cells = list(all_hot.exclude(count=0, previous_count=0)[:200])
    places = selectors.place_names(cells)
    for cell in cells:
        cell.place = places.get(cell.h3_index) or _("%(station)s辖区（%(lat).4f, %(lon).4f）附近") % {
            "station": cell.station.name if cell.station else "",
            "lat": cell.lat,
            "lon": cell.lon,
        }
        cell.level = selectors.hot_level(cell.gi_z)
    points_filter = RiskPointFilter(
        request.GET or None, queryset=selectors.risk_point_list(user=request.user)
    )
    points = filtered(points_filter, user=request.user)  # bad input: a 400 with the errors, no points
    bad_filter = points is None or run_error is not None
    if bad_filter:
        points = points_filter.queryset.none()
    if run_error:
        runs, cells = [], []
    return render(
        request,
        "risks/warning.html",
        {
            "form": form,
            "runs": runs,
            "selected": selected,
            "cells": cells,
            "neighbour_only": 0 if run_error else neighbour_only,
            "candidates": points.filter(status=RiskPointStatus.CANDIDATE)[:100],
            "accepted": points.filter(status=RiskPointStatus.ACCEPTED)[:100],
            "is_leader": request.user.role in LEADER_ROLES,
            "history_runs": selectors.hotspot_runs(user=request.user)[:20],
            "points_filter": points_filter,
            "run_error": run_error,
        },
        status=400 if request.method == "POST" or bad_filter else 200,
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def riskpoint_detail(request, pk):
    point = get_object_or_404(selectors.risk_point_detail_qs(user=request.user), pk=pk)
    plan = getattr(point, "work_plan", None)
    forms = {
        "decide": DecisionForm(prefix="decide", initial={"name": point.name}),
        "plan": WorkPlanForm(prefix="plan", station=point.station),
        "review": ReviewForm(prefix="review"),
    }
    if request.method == "POST":
        step = request.POST.get("step")
        if step not in ("accept", "dismiss", "plan", "review"):
            raise Http404
        key = "decide" if step in ("accept", "dismiss") else step
        form = (
            WorkPlanForm(request.POST, prefix="plan", station=point.station)
            if key == "plan"
            else type(forms[key])(request.POST, prefix=key)
        )
        forms[key] = form
        if form.is_valid():
            d = form.cleaned_data
            review = None
            if step == "review":
                if plan is None:
                    raise Http404
                review = _posted_or_404(plan.reviews.all(), request, "review_id")

            def fn():
                if step == "accept":
                    return services.risk_point_accept(
                        actor=request.user, risk_point=point, note=d["note"], name=d["name"]
                    )
                if step == "dismiss":
                    return services.risk_point_dismiss(actor=request.user, risk_point=point, note=d["note"])
                if step == "plan":
                    return services.work_plan_create(actor=request.user, risk_point=point, **d)
                return services.work_plan_review_done(
                    actor=request.user, review=review, note=d["note"], status=d["status"] or None
                )

            if _attempt(request, form, fn):
                messages.success(request, _("已保存。"))
                return redirect("risks:riskpoint_detail", pk=point.pk)
    return render(
        request,
        "risks/riskpoint_detail.html",
        {
            "point": point,
            "plan": plan,
            "forms": forms,
            "hazards": point.hazards.select_related("station").all(),
            "is_leader": request.user.role in LEADER_ROLES,
            "history": _history(point),
        },
        status=400 if request.method == "POST" else 200,
    )


# --------------------------------------------------------------------------- campaigns


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def campaign_list(request):
    form = CampaignForm(request.POST or None)
    can_create = request.user.role in (Role.BUREAU_LEADER, Role.ADMIN)
    if request.method == "POST":
        if not can_create:
            raise Http404
        if form.is_valid():
            campaign = _attempt(
                request, form, lambda: services.campaign_create(actor=request.user, **form.cleaned_data)
            )
            if campaign:
                return redirect("risks:campaign_detail", pk=campaign.pk)
    station = request.user.station if request.user.role in (Role.OFFICER, Role.STATION_LEADER) else None
    campaigns = [
        (c, selectors.campaign_summary(campaign=c, station=station))
        for c in selectors.campaign_list(user=request.user)[:30]
    ]
    return render(
        request,
        "risks/campaign_list.html",
        {"campaigns": campaigns, "form": form, "can_create": can_create},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def campaign_detail(request, pk):
    campaign = get_object_or_404(selectors.campaign_list(user=request.user), pk=pk)
    user = request.user
    forms = {
        "operation": OperationForm(prefix="operation", user=user),
        "inspection": InspectionForm(prefix="inspection", user=user),
        "violations": ViolationsForm(prefix="violations", user=user),
        "promote": PromoteForm(prefix="promote"),
        "rectify": NoteForm(prefix="rectify"),
    }
    if request.method == "POST":
        step = request.POST.get("step")
        if step not in forms:
            raise Http404
        cls = type(forms[step])
        kwargs = {"user": user} if step in ("operation", "inspection", "violations") else {}
        form = cls(request.POST, prefix=step, **kwargs)
        forms[step] = form
        if form.is_valid():
            d = form.cleaned_data
            problem = None
            if step in ("promote", "rectify"):
                problems = InspectionProblem.objects.filter(
                    inspection__in=selectors.inspection_list(user=user, campaign=campaign)
                )
                problem = _posted_or_404(problems, request, "problem_id")
            fns = {
                "operation": lambda: services.operation_create(actor=user, campaign=campaign, **d),
                "inspection": lambda: services.inspection_create(
                    actor=user, campaign=campaign, **form.service_kwargs()
                ),
                "violations": lambda: services.violations_record(actor=user, campaign=campaign, **d),
                "promote": lambda: services.problem_promote(
                    actor=user,
                    problem=problem,
                    category=d["category"],
                    level=d["level"],
                    rectify_by=end_of_day(d["rectify_by"]),
                ),
                "rectify": lambda: services.problem_rectify(actor=user, problem=problem, note=d["note"]),
            }
            if _attempt(request, form, fns[step]):
                messages.success(request, _("已保存。"))
                return redirect("risks:campaign_detail", pk=campaign.pk)
    station = user.station if user.role in (Role.OFFICER, Role.STATION_LEADER) else None
    return render(
        request,
        "risks/campaign_detail.html",
        {
            "campaign": campaign,
            "summary": selectors.campaign_summary(campaign=campaign, station=station),
            "total": selectors.campaign_summary(campaign=campaign) if station else None,
            "station": station,
            "operations": campaign.operations.prefetch_related("stations"),
            "inspections": selectors.inspection_list(user=user, campaign=campaign)[:200],
            "forms": forms,
            "is_leader": user.role in LEADER_ROLES,
        },
        status=400 if request.method == "POST" else 200,
    )
