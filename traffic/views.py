"""Pages: the zone map with teams on duty, the roster calendar, patrols, joint patrols, accidents,
assets and the KPI page."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qianwan.attachments.forms import attach_photo
from qianwan.errors import StateConflict
from qianwan.forms import add_errors
from qianwan.listing import render_list
from qianwan.notify.models import Notification
from qianwan.org.access import role_required
from qianwan.org.choices import STAFF_ROLES

from . import selectors, services
from .exports import (
    ACCIDENT_EXPORT,
    ACCIDENT_WINDOW,
    ASSET_EXPORT,
    JOINT_EXPORT,
    JOINT_WINDOW,
    PATROL_EXPORT,
    PATROL_WINDOW,
)
from .filtersets import AccidentFilter, AssetFilter, JointPatrolFilter, PatrolFilter
from .forms import (
    AccidentForm,
    AssetForm,
    AssetMaintenanceForm,
    JointPatrolForm,
    PatrolForm,
    PeriodForm,
    ShiftForm,
)

STAFF = tuple(STAFF_ROLES)
LEADERS = ("station_leader", "bureau_leader", "admin")


def _fmt(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- map


@role_required(*STAFF)
def index(request):
    """The zone map: zones with the team on duty, assets, the last 30 days of accidents."""
    board = selectors.duty_board()
    recent = selectors.accident_list(user=request.user).filter(
        occurred_at__gte=timezone.now() - timedelta(days=30)
    )[:20]
    return render(
        request,
        "traffic/index.html",
        {
            "board": board,
            "recent": recent,
            "map_tile_url": settings.MAP_TILE_URL,
            "map_center": settings.MAP_CENTER,
        },
    )


@role_required(*STAFF)
def map_data(request):
    """GeoJSON for the shared offline map (static/risks/map.js); see :func:`selectors.map_features`."""
    return JsonResponse(selectors.map_features(user=request.user))


# ---------------------------------------------------------------- roster


def _week_start(value: str | None) -> tuple[date | None, str | None]:
    """The Monday of the week ``?week=`` names (empty: this week): (monday, None) or (None, message)."""
    value = (value or "").strip()
    try:
        day = date.fromisoformat(value) if value else timezone.localdate()
        monday = day - timedelta(days=day.weekday())
        monday + timedelta(days=14)  # the page links the next week
        monday - timedelta(days=7)  # and the previous one
    except (ValueError, OverflowError):
        return None, _("周次“%(value)s”无效，请输入该周中的一个日期（YYYY-MM-DD），例如 2026-05-18。") % {
            "value": value
        }
    return monday, None


@role_required(*STAFF)
def roster(request):
    """A week of shifts: zones down, days across; leaders schedule a shift from the form below.

    A malformed ``?week=`` is a 400 page with the message and no shifts (not this week's)."""
    monday, week_error = _week_start(request.GET.get("week"))
    if week_error:
        return render(
            request,
            "traffic/roster.html",
            {"week_error": week_error, "rows": [], "form": None, "can_schedule": False},
            status=400,
        )
    form = ShiftForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if request.user.role not in LEADERS:
            raise PermissionDenied
        if form.is_valid():
            try:
                shift = services.shift_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("zone", str(exc))
            else:
                messages.success(
                    request,
                    _("已排班：%(team)s 于 %(start)s 至 %(end)s 在 %(zone)s 值守。")
                    % {
                        "team": shift.team.name,
                        "start": _fmt(shift.starts_at),
                        "end": _fmt(shift.ends_at),
                        "zone": shift.zone.name,
                    },
                )
                return redirect(
                    f"{reverse('traffic:roster')}?week={timezone.localtime(shift.starts_at).date().isoformat()}"
                )
    return render(
        request,
        "traffic/roster.html",
        {
            **selectors.roster_week(user=request.user, monday=monday),
            "form": form,
            "can_schedule": request.user.role in LEADERS,
            "prev_week": (monday - timedelta(days=7)).isoformat(),
            "next_week": (monday + timedelta(days=7)).isoformat(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(*LEADERS)
def shift_cancel(request, pk: int):
    shift = get_object_or_404(selectors.shift_list(user=request.user), pk=pk)
    week = timezone.localtime(shift.starts_at).date().isoformat()
    try:
        services.shift_cancel(actor=request.user, shift=shift)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("班次已取消。"))
    return redirect(f"{reverse('traffic:roster')}?week={week}")


# ---------------------------------------------------------------- patrols


@role_required(*STAFF)
def patrol_list(request):
    filterset = PatrolFilter(request.GET, queryset=selectors.patrol_list(user=request.user))
    return render_list(
        request, "traffic/patrol_list.html", filterset=filterset, window=PATROL_WINDOW, export=PATROL_EXPORT
    )


@role_required(*STAFF)
def patrol_create(request):
    form = PatrolForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                patrol = services.patrol_create(actor=request.user, **form.service_kwargs())
                attach_photo(actor=request.user, record=patrol, upload=form.cleaned_data.get("photo"))
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("zone", str(exc))
        else:
            messages.success(request, _("巡逻记录已保存。"))
            typed = selectors.typed_tally_for(patrol)
            if typed is not None:
                messages.warning(
                    request,
                    _(
                        "该专项行动在%(station)s %(date)s 已有手工录入的违法统计（%(count)d 起）。"
                        "本次巡逻的违法数已从记录中计入，请勿在手工录入中重复填写。"
                    )
                    % {"station": typed.station.name, "date": typed.date, "count": typed.count},
                )
            return redirect("traffic:patrol_list")
    status = 400 if request.method == "POST" else 200
    source = request.POST if request.method == "POST" else request.GET
    try:
        started_at = _local_datetime(source.get("started_at"))
    except ValidationError:
        started_at = None
    hint = selectors.typed_tally_hint(
        user=request.user, campaign=source.get("campaign"), team=source.get("team"), started_at=started_at
    )
    return render(
        request,
        "traffic/form.html",
        {
            "form": form,
            "title": _("登记巡逻"),
            "back": "traffic:patrol_list",
            "typed_hint": hint,
            "typed_url": reverse("traffic:patrol_typed_tally"),
        },
        status=status,
    )


def _local_datetime(raw):
    """A form's ``started_at`` (datetime-local or ISO 8601) → an aware datetime, None when blank."""
    from django import forms

    if not (raw or "").strip():
        return None
    return forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]).clean(
        raw
    )


@role_required(*STAFF)
def patrol_typed_tally(request):
    """While the patrol form is filled in: ``{"message": "…"|""}`` — whether the chosen campaign already
    has a typed tally (手工录入) for the team's station on the patrol's day (the form shows it before
    saving). A malformed ``started_at`` or id → 400; a campaign or team outside the scope → no hint."""
    for name in ("campaign", "team"):
        value = (request.GET.get(name) or "").strip()
        if value and (not value.isdigit() or len(value) > 18):
            return JsonResponse({"message": "", "error": _("%(f)s 应为编号。") % {"f": name}}, status=400)
    try:
        started_at = _local_datetime(request.GET.get("started_at"))
    except ValidationError:
        return JsonResponse(
            {"message": "", "error": _("开始时间格式应为 YYYY-MM-DDTHH:MM。")},
            status=400,
        )
    hint = selectors.typed_tally_hint(
        user=request.user,
        campaign=request.GET.get("campaign"),
        team=request.GET.get("team"),
        started_at=started_at,
    )
    return JsonResponse({"message": hint})


# ---------------------------------------------------------------- joint patrols


@role_required(*STAFF)
def joint_list(request):
    filterset = JointPatrolFilter(request.GET, queryset=selectors.joint_patrol_list(user=request.user))
    return render_list(
        request, "traffic/joint_list.html", filterset=filterset, window=JOINT_WINDOW, export=JOINT_EXPORT
    )


@role_required(*STAFF)
def joint_create(request):
    form = JointPatrolForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photo = data.pop("photo", None)
        try:
            with transaction.atomic():
                joint = services.joint_patrol_create(actor=request.user, **data)
                attach_photo(actor=request.user, record=joint, upload=photo)
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("station", str(exc))
        else:
            messages.success(request, _("联合巡逻已登记。"))
            return redirect("traffic:joint_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "traffic/form.html",
        {"form": form, "title": _("登记联合巡逻"), "back": "traffic:joint_list"},
        status=status,
    )


# ---------------------------------------------------------------- accidents


@role_required(*STAFF)
def accident_list(request):
    filterset = AccidentFilter(request.GET, queryset=selectors.accident_list(user=request.user))
    return render_list(
        request,
        "traffic/accident_list.html",
        filterset=filterset,
        window=ACCIDENT_WINDOW,
        export=ACCIDENT_EXPORT,
    )


@role_required(*STAFF)
def accident_create(request):
    form = AccidentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["type"] = data.get("type") or None
        try:
            accident = services.accident_create(actor=request.user, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("station", str(exc))
        else:
            if accident.zone is None:
                messages.warning(
                    request, _("事故已登记，但坐标不在任何巡区内（区外），未通知巡区队伍；请核对坐标。")
                )
            else:
                messages.success(
                    request,
                    _("事故 %(n)s 已登记，所在巡区：%(z)s。")
                    % {"n": accident.number, "z": accident.zone.name},
                )
            return redirect("traffic:accident_detail", pk=accident.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "traffic/form.html",
        {"form": form, "title": _("登记交通事故"), "back": "traffic:accident_list"},
        status=status,
    )


@role_required(*STAFF)
def accident_detail(request, pk: int):
    accident = get_object_or_404(selectors.accident_list(user=request.user), pk=pk)
    notices = list(
        Notification.objects.filter(
            key__in=[f"traffic:accident:{pk}:team", f"traffic:accident:{pk}:major"]
        ).prefetch_related("inbox_items__recipient")
    )
    team_on_duty = selectors.team_on_duty(accident.zone, accident.occurred_at) if accident.zone else None
    return render(
        request,
        "traffic/accident_detail.html",
        {"accident": accident, "notices": notices, "team_on_duty": team_on_duty},
    )


@require_POST
@role_required(*STAFF)
def accident_close(request, pk: int):
    accident = get_object_or_404(selectors.accident_list(user=request.user), pk=pk)
    try:
        services.accident_close(actor=request.user, accident=accident)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("事故已结案。"))
    return redirect("traffic:accident_detail", pk=pk)


# ---------------------------------------------------------------- assets


@role_required(*STAFF)
def asset_list(request):
    filterset = AssetFilter(request.GET, queryset=selectors.asset_list(user=request.user))
    return render_list(request, "traffic/asset_list.html", filterset=filterset, export=ASSET_EXPORT)


@role_required(*STAFF)
def asset_create(request):
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("lat", str(exc))
        else:
            messages.success(request, _("设施已登记，所在巡区：%(z)s。") % {"z": asset.zone.name})
            return redirect("traffic:asset_detail", pk=asset.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "traffic/form.html",
        {"form": form, "title": _("登记路面设施"), "back": "traffic:asset_list"},
        status=status,
    )


@role_required(*STAFF)
def asset_detail(request, pk: int):
    asset = get_object_or_404(selectors.asset_list(user=request.user), pk=pk)
    form = AssetMaintenanceForm(
        request.POST or None,
        initial={
            "status": asset.status,
            "maintenance_status": asset.maintenance_status,
            "last_maintained_on": asset.last_maintained_on,
        },
    )
    denied = False
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_update(actor=request.user, asset=asset, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            denied = True
        else:
            messages.success(request, _("设施状态已更新。"))
            return redirect("traffic:asset_detail", pk=pk)
    comparison = selectors.asset_before_after(asset=asset)
    return render(
        request,
        "traffic/asset_detail.html",
        {"asset": asset, "form": form, "comparison": comparison},
        status=403 if denied else 400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- KPIs


@role_required(*STAFF)
def kpis(request):
    today = timezone.localdate()
    initial = {"date_from": date(today.year, 1, 1), "date_to": today}
    if request.user.station_id and request.user.role in ("officer", "station_leader"):
        initial["station"] = request.user.station_id
    form = PeriodForm(request.GET or None, user=request.user, initial=initial)
    data = initial
    if request.GET and form.is_valid():
        data = form.cleaned_data
    elif request.GET:
        return render(request, "traffic/kpis.html", {"form": form}, status=400)
    station = data.get("station")
    if station is not None and not hasattr(station, "code"):
        station = request.user.station
    figures = selectors.traffic_kpis(date_from=data["date_from"], date_to=data["date_to"], station=station)
    hotspots = selectors.accident_hotspots(
        date_from=data["date_from"], date_to=data["date_to"], station=station, with_places=True
    )[:15]
    return render(request, "traffic/kpis.html", {"form": form, "k": figures, "hotspots": hotspots})
