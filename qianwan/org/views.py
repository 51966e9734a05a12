"""Pages of the duty rota (值班表): who is on duty, the repeating rotations, one-off entries, swaps.

Everyone on the staff reads their own station's rota (the sub-bureau's roles every station's and the
command centre's); station leaders keep their own station's, bureau leaders and admins every one."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qianwan.forms import add_errors

from . import selectors, services
from .access import role_required
from .choices import STAFF_ROLES, STATION_ROLES, DutyPost
from .forms import OverrideForm, RotationForm, SwapForm
from .models import DutyRoster, DutyRotation

SCHEDULE_DAYS = 7
SWAP_DAYS = 28


def _rota_station(request):
    """(station, is_centre) the page is about; 404 for a station out of the user's scope.

    Station roles: their own station (another code is a 404, like a missing one). Sub-bureau roles:
    ``?station=CODE``, ``?centre=1`` for the command centre, the first station by default."""
    source = request.POST if request.method == "POST" else request.GET
    code = (source.get("station") or request.GET.get("station") or "").strip()
    centre = (source.get("centre") or request.GET.get("centre")) == "1"
    if request.user.role in STATION_ROLES:
        own = request.user.station
        if centre or (code and code != own.code):
            raise Http404
        return own, False
    if centre:
        return None, True
    stations = selectors.stations_in_scope(user=request.user).filter(is_active=True)
    station = stations.filter(code=code).first() if code else stations.first()
    if station is None and code:
        raise Http404
    return station, station is None


def _query(station, centre) -> str:
    return "?centre=1" if centre else f"?station={station.code}"


def _rota_form(request, form, title, station, centre):
    """A rota form page (rotation, override, swap); a POST that comes back here had errors: 400."""
    return render(
        request,
        "org/rota_form.html",
        {
            "form": form,
            "title": title,
            "station": station,
            "centre": centre,
            "query": _query(station, centre),
        },
        status=400 if request.method == "POST" else 200,
    )


def _back(station, centre):
    return redirect(reverse("duty:rota") + _query(station, centre))


def _require_keeper(request, station):
    if not selectors.can_keep_rota(request.user, station):
        raise PermissionDenied


@role_required(*STAFF_ROLES)
def rota(request):
    """The rota page: now on duty, the next week's schedule per post with gaps and overlaps marked,
    the rotations and the one-off entries."""
    station, centre = _rota_station(request)
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(days=SCHEDULE_DAYS)
    schedules = [
        {
            "post": label,
            "segments": selectors.duty_schedule(station=station, post=value, start=start, end=end),
        }
        for value, label in DutyPost.choices
    ]
    return render(
        request,
        "org/rota.html",
        {
            "station": station,
            "centre": centre,
            "query": _query(station, centre),
            "stations": selectors.stations_in_scope(user=request.user).filter(is_active=True),
            "can_keep": selectors.can_keep_rota(request.user, station),
            "now_rows": [selectors.duty_now(station=station, at=now)],
            "schedules": schedules,
            "rotations": selectors.rotations_of(station=station),
            "entries": selectors.roster_entries(station=station, since=now),
            "people": selectors.rota_people(station=station),
        },
    )


def _rotation_form_page(request, station, centre, rotation=None):
    _require_keeper(request, station)
    people = list(selectors.rota_people(station=station))
    initial = {}
    if rotation is not None:
        initial = {
            "name": rotation.name,
            "post": rotation.post,
            "period": rotation.period,
            "starts_on": rotation.starts_on,
            "shift_start": rotation.shift_start,
            "shift_hours": rotation.shift_hours,
            "ends_on": rotation.ends_on,
            "members": " ".join(m.user.username for m in rotation.members.select_related("user")),
        }
    form = RotationForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.rotation_save(
                actor=request.user, station=station, rotation=rotation, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已保存值班轮换“%(name)s”。") % {"name": form.cleaned_data["name"]})
            return _back(station, centre)
    return render(
        request,
        "org/rota_form.html",
        {
            "form": form,
            "title": _("编辑值班轮换") if rotation else _("新建值班轮换"),
            "station": station,
            "centre": centre,
            "query": _query(station, centre),
            "people": people,
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*STAFF_ROLES)
def rotation_new(request):
    station, centre = _rota_station(request)
    return _rotation_form_page(request, station, centre)


def _rotation_in_scope(request, pk) -> DutyRotation:
    rotation = get_object_or_404(DutyRotation.objects.select_related("station"), pk=pk)
    if not selectors.can_keep_rota(request.user, rotation.station):
        raise Http404
    return rotation


@role_required(*STAFF_ROLES)
def rotation_edit(request, pk: int):
    rotation = _rotation_in_scope(request, pk)
    return _rotation_form_page(request, rotation.station, rotation.station is None, rotation)


@require_POST
@role_required(*STAFF_ROLES)
def rotation_delete(request, pk: int):
    rotation = _rotation_in_scope(request, pk)
    station = rotation.station
    services.rotation_delete(actor=request.user, rotation=rotation)
    messages.success(request, _("已删除值班轮换。"))
    return _back(station, station is None)


@role_required(*STAFF_ROLES)
def override_new(request):
    station, centre = _rota_station(request)
    _require_keeper(request, station)
    form = OverrideForm(request.POST or None, people=selectors.rota_people(station=station))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.duty_override_create(
                actor=request.user,
                station=station,
                person=data["person"],
                post=data["post"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已添加临时值班安排。"))
            return _back(station, centre)
    return _rota_form(request, form, _("临时替班"), station, centre)


@require_POST
@role_required(*STAFF_ROLES)
def override_delete(request, pk: int):
    entry = get_object_or_404(DutyRoster.objects.select_related("station"), pk=pk)
    if not selectors.can_keep_rota(request.user, entry.station):
        raise Http404
    station = entry.station
    services.duty_override_delete(actor=request.user, entry=entry)
    messages.success(request, _("已删除临时值班安排。"))
    return _back(station, station is None)


@role_required(*STAFF_ROLES)
def swap(request):
    station, centre = _rota_station(request)
    _require_keeper(request, station)
    now = timezone.now()
    rotations = list(selectors.rotations_of(station=station))
    shifts = selectors.rotation_shifts(rotations=rotations, start=now, end=now + timedelta(days=SWAP_DAYS))
    form = SwapForm(request.POST or None, shifts=shifts)
    if request.method == "POST" and form.is_valid():
        by_id = {r.pk: r for r in rotations}

        def pick(value):
            rotation_id, k = (int(x) for x in value.split(":"))
            return by_id[rotation_id], k

        try:
            services.duty_swap(
                actor=request.user,
                station=station,
                first=pick(form.cleaned_data["first"]),
                second=pick(form.cleaned_data["second"]),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已调班。"))
            return _back(station, centre)
    return _rota_form(request, form, _("调班"), station, centre)
