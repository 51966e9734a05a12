"""Leader dashboard pages: the dashboard, its live part, monthly reports (request, progress, print,
download)."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods

from qianwan.kpi import add_months
from qianwan.org.access import role_required

from . import plotly_css, selectors, services
from .choices import ReportStatus
from .periods import DASHBOARD_ROLES, KINDS, PeriodError, parse_period, resolve_station, stations_for

PERIOD_LABELS = {"month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}


def _period_form(request, period, station, error=None) -> dict:
    today = timezone.localdate()
    q = (period.date_from.month - 1) // 3 + 1
    return {
        "kinds": [(k, _(PERIOD_LABELS[k])) for k in KINDS],
        "kind": period.kind,
        "month": request.GET.get("month") or f"{period.date_from:%Y-%m}",
        "quarter": request.GET.get("quarter") or f"{period.date_from.year}-Q{q}",
        "quarters": [f"{y}-Q{n}" for y in range(today.year, today.year - 6, -1) for n in (4, 3, 2, 1)],
        "year": request.GET.get("year") or str(period.date_from.year),
        "years": [str(y) for y in range(today.year, today.year - 6, -1)],
        "from": period.date_from.isoformat(),
        "to": period.date_to.isoformat(),
        "station": station.code if station else "",
        "stations": stations_for(request.user),
        "can_pick_station": request.user.role != "station_leader",
        "error": error,
    }


@role_required(*DASHBOARD_ROLES)
@require_GET
def index(request):
    """The dashboard: figure cards by mechanism, charts, and the live part.

    Bad input (a period, an unknown station, or for a station leader another station) is a 400 page with
    the message next to the form and no figures, charts or live part."""
    error = None
    try:
        station = resolve_station(request.user, request.GET.get("station"))
    except PeriodError as exc:
        error, station = exc.message, None
    except PermissionDenied as exc:
        if not (request.GET.get("station") and request.user.station_id):
            raise  # the account itself, not the input
        error, station = str(exc), request.user.station
    try:
        period = parse_period(request.GET)
    except PeriodError as exc:
        error, period = exc.message, parse_period({})
    data = chart_source = query = None
    if error is None:
        data = selectors.figures(user=request.user, period=period, station=station)
        query = {**period.query(), **({"station": station.code} if station else {})}
        # the charts come from the API after the page is shown: the page's server time is the figures'
        chart_source = {
            "url": f"{reverse('dashboard-charts')}?{urlencode(query)}",
            "stations": station is None,
        }
    last_complete = add_months(timezone.localdate().year, timezone.localdate().month, -1)
    return render(
        request,
        "dashboard/index.html",
        {
            "data": data,
            "charts": chart_source,
            "period": period,
            "station": station,
            "form": _period_form(request, period, station, error),
            "query": query,
            "report_month": f"{last_complete[0]:04d}-{last_complete[1]:02d}",
            "recent_reports": selectors.report_list(user=request.user)[:5],
            "map_links": selectors.map_links(station=station) if error is None else [],
            "tile_url": settings.MAP_TILE_URL,
            "map_center": settings.MAP_CENTER,
        },
        status=400 if error else 200,
    )


@role_required(*DASHBOARD_ROLES)
@require_GET
@never_cache
def live_data(request):
    """The live part (open incidents, overdue clocks, overdue hazards, follow-ups due) as JSON."""
    try:
        station = resolve_station(request.user, request.GET.get("station"))
    except PeriodError as exc:
        return JsonResponse({exc.field: [exc.message]}, status=400)
    return JsonResponse(selectors.live(user=request.user, station=station))


@role_required(*DASHBOARD_ROLES)
@require_GET
@never_cache
def map_data(request):
    """The dashboard map's GeoJSON: open incidents, overdue hazards, hot dispute blocks in scope."""
    try:
        station = resolve_station(request.user, request.GET.get("station"))
    except PeriodError as exc:
        return JsonResponse({exc.field: [exc.message]}, status=400)
    return JsonResponse(selectors.map_features(user=request.user, station=station))


def _parse_month(value: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", (value or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)), int(m.group(2))


@role_required(*DASHBOARD_ROLES)
@require_http_methods(["GET", "POST"])
def report_list(request):
    """Reports in scope; POST asks for one (month + station) and goes to its progress page."""
    errors = {}
    if request.method == "POST":
        month = _parse_month(request.POST.get("month", ""))
        if month is None:
            errors["month"] = _("月份格式应为 YYYY-MM，例如 2026-05。")
        try:
            station = resolve_station(request.user, request.POST.get("station"))
        except PeriodError as exc:
            errors[exc.field] = exc.message
        if not errors:
            try:
                report = services.report_request(
                    actor=request.user,
                    year=month[0],
                    month=month[1],
                    station=station,
                    force=request.POST.get("rebuild") == "1",
                )
            except ValidationError as exc:
                errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
            except PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from None
            else:
                messages.success(request, _("已提交 %(m)s 月报，正在生成。") % {"m": report.label})
                return redirect("dashboard:report_detail", pk=report.pk)
    today = timezone.localdate()
    last = add_months(today.year, today.month, -1)
    return render(
        request,
        "dashboard/reports.html",
        {
            "reports": selectors.report_list(user=request.user)[:60],
            "errors": errors,
            "month": request.POST.get("month") or f"{last[0]:04d}-{last[1]:02d}",
            "station_code": request.POST.get("station", ""),
            "stations": stations_for(request.user),
            "can_pick_station": request.user.role != "station_leader",
        },
        status=400 if errors else 200,
    )


@role_required(*DASHBOARD_ROLES)
@require_GET
def report_detail(request, pk: int):
    """Progress while it builds, then the printable report with the download link."""
    report = get_object_or_404(selectors.report_list(user=request.user), pk=pk)
    return render(request, "dashboard/report_detail.html", {"report": report, "data": report.figures or None})


@role_required(*DASHBOARD_ROLES)
@require_GET
@never_cache
def report_status(request, pk: int):
    report = get_object_or_404(selectors.report_list(user=request.user), pk=pk)
    return JsonResponse(
        {
            "status": report.status,
            "status_label": report.get_status_display(),
            "progress": report.progress,
            "step": report.step,
            "error": report.error,
            "done": report.status == ReportStatus.DONE,
        }
    )


@role_required(*DASHBOARD_ROLES)
@require_GET
def report_download(request, pk: int):
    """The workbook, only to users whose scope covers the report (404 otherwise, like a missing one)."""
    report = get_object_or_404(selectors.report_list(user=request.user), pk=pk)
    if report.status != ReportStatus.DONE or not report.file:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"月报-{report.scope_key}-{report.label}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@role_required(*DASHBOARD_ROLES)
@require_GET
@cache_control(private=True, max_age=86400)
def plotly_stylesheet(request):
    """plotly.js's base rules as a stylesheet (see ``plotly_css``: no inline <style> under our CSP)."""
    return HttpResponse(plotly_css.stylesheet(), content_type="text/css; charset=utf-8")
