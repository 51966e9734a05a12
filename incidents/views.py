"""Pages for officers and leaders: the duty board, call taking, detail, the list and its export, KPIs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from places.selectors import incident_repeats
from qianwan.errors import StateConflict
from qianwan.exchange.selectors import inbound_list
from qianwan.exports import ListExport
from qianwan.filtering import filtered, station_error
from qianwan.forms import add_errors
from qianwan.listing import Window, apply_window, render_list
from qianwan.masking import REVEAL_ROLES, mask_phone, may_reveal
from qianwan.notify.heartbeat import worker_status
from qianwan.org import selectors as org_selectors
from qianwan.org.access import role_required
from qianwan.org.choices import LEADER_ROLES, STAFF_ROLES, STATION_ROLES, Role
from qianwan.security.redirects import local_next

from . import selectors, services
from .choices import RECORDABLE_KINDS, EventKind, Stage, Status
from .filtersets import IncidentFilter
from .forms import (
    AcceptInboundForm,
    CallForm,
    ChainStepFormSet,
    DiversionCategoryForm,
    DiversionItemForm,
    EventForm,
)
from .models import DiversionCategory, DiversionItem, EscalationChain

CHAIN_EDITORS = (Role.BUREAU_LEADER, Role.ADMIN)
CATALOGUE_EDITORS = (Role.BUREAU_LEADER, Role.ADMIN)


def _station_of(request):
    """The station a page is about and the error of its ``?station=CODE``: (station, None) or (None, message).

    Officers and station leaders see their own station (asking for another is an error); bureau
    leaders and admins pick one (an unknown code is an error) or none (the whole sub-bureau)."""
    code = (request.GET.get("station") or "").strip()
    if request.user.role in STATION_ROLES:
        own = request.user.station
        if code and (own is None or code != own.code):
            return None, station_error(code)
        return own, None
    if not code:
        return None, None
    station = org_selectors.station_by_code(code)
    return (station, None) if station else (None, station_error(code))


@role_required(*STAFF_ROLES)
def index(request):
    return redirect("incidents:board")


@role_required(*STAFF_ROLES)
def board(request):
    """Open incidents with live countdowns (static/incidents/board.js polls ``board_data``).

    A bad ``?station=`` is a 400 page with the message and no board."""
    station, error = _station_of(request)
    return render(
        request,
        "incidents/board.html",
        {
            "station": station,
            # the station choice: the stations in the user's scope by name (their own for station roles)
            "stations": org_selectors.stations_in_scope(user=request.user)
            .filter(is_active=True)
            .order_by("code"),
            "can_pick_station": request.user.role not in STATION_ROLES,
            "stages": Stage.choices,
            "station_error": error,
            "duty_rows": [] if error else org_selectors.duty_now_panel(user=request.user, station=station),
            "reminders_stale": worker_status() == "stale",
        },
        status=400 if error else 200,
    )


@role_required(*STAFF_ROLES)
def out_now(request):
    """A station's field strength: who is out now (named on a call not yet closed or diverted) and each
    person's calls today and this month. Sub-bureau roles pick a station."""
    station, error = _station_of(request)
    return render(
        request,
        "incidents/out_now.html",
        {
            "station": station,
            "stations": org_selectors.stations_in_scope(user=request.user).filter(is_active=True),
            "station_error": error,
            "out": selectors.out_now(station=station) if station else [],
            "counts": selectors.officer_call_counts(station=station) if station else [],
        },
        status=400 if error else 200,
    )


def _iso(value):
    return value.isoformat() if value else None


@never_cache
@require_GET
@role_required(*STAFF_ROLES)
def board_data(request):
    station, error = _station_of(request)
    if error:
        return JsonResponse({"station": [error]}, status=400)
    data = selectors.board(user=request.user, station=station)
    return JsonResponse(
        {
            "now": _iso(data["now"]),
            # "stale" while the reminders' beat sweep has not run for 60 s: the board shows a banner
            "reminders": worker_status(),
            "incidents": [
                {
                    **row,
                    "received_at": _iso(row["received_at"]),
                    "next_label": str(EventKind(row["next_kind"]).label),
                    "url": f"/incidents/{row['id']}/",
                    "sla": [
                        {
                            "stage": s["stage"],
                            "label": str(s["label"]),
                            "limit_seconds": s["limit_seconds"],
                            "deadline": _iso(s["deadline"]),
                            "done_at": _iso(s["done_at"]),
                            "elapsed_seconds": s["elapsed_seconds"],
                            "met": s["met"],
                            "overdue": s["overdue"],
                            "not_needed": s["not_needed"],
                        }
                        for s in row["sla"]
                    ],
                }
                for row in data["incidents"]
            ],
            "inbound": [
                {**e, "created_at": _iso(e["created_at"]), "url": f"/exchange/inbound/{e['id']}/"}
                for e in data["inbound"]
            ],
            # the step form's picker per station, ordered by the duty roster of the moment
            "people": {str(k): v for k, v in data["people"].items()},
        }
    )


@role_required(*STAFF_ROLES)
def call_new(request):
    """Take a call. Every field in paper-form order; Enter submits; errors keep what was typed."""
    form = CallForm(request.POST or None, user=request.user)
    suggestion = None
    if form.is_bound:
        suggestion = selectors.diversion_suggest(
            category=form.data.get("category", ""), text=form.data.get("description", "")
        )
    if request.method == "POST" and request.POST.get("suggest"):
        # "检查分流建议": show the catalogue's suggestion next to what was typed, nothing is written
        return render(request, "incidents/call_form.html", {"form": form, "suggestion": suggestion})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_create(
                actor=request.user,
                station=data["station"],
                category=data["category"],
                received_at=data["received_at"],
                address=data["address"],
                standard_address=data.get("standard_address"),
                lat=data["lat"],
                lon=data["lon"],
                description=data["description"],
                caller_phone=data["caller_phone"],
                divert_to=data["divert_to"],
                catalogue_item=data["catalogue_item"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if incident.status == "diverted":
                messages.success(
                    request,
                    _("已登记警情 %(number)s，并分流至 %(target)s，不启动处警计时。")
                    % {"number": incident.number, "target": incident.diverted_to},
                )
            else:
                messages.success(
                    request, _("已登记警情 %(number)s，计时开始。") % {"number": incident.number}
                )
            return redirect("incidents:detail", pk=incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "incidents/call_form.html", {"form": form, "suggestion": suggestion}, status=status
    )


@role_required(*STAFF_ROLES)
def detail(request, pk: int):
    incident = get_object_or_404(selectors.incident_detail(user=request.user), pk=pk)
    form = EventForm(
        initial={"kind": selectors.next_step_kind(incident)},
        people=selectors.dispatch_picker(station_id=incident.station_id),
    )
    return _render_detail(request, incident, form)


def _render_detail(request, incident, form, status=200, revealed: str | None = None):
    suggestion = None
    if incident.status == "open":
        suggestion = selectors.diversion_suggest(category=incident.category, text=incident.description)
        if suggestion["divert"] and suggestion["items"] and not form.is_bound:
            form.initial.setdefault("catalogue_item", suggestion["items"][0].pk)
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "sla": selectors.sla_block(incident),
            "timeline": selectors.timeline(incident),
            "outbound": selectors.incident_outbound(incident),
            "form": form,
            "phone": incident.caller_phone
            if revealed is not None or selectors.can_see_phone(request.user)
            else mask_phone(incident.caller_phone),
            "can_reveal": revealed is None
            and bool(incident.caller_phone)
            and not selectors.can_see_phone(request.user)
            and may_reveal(request.user),
            "kinds": RECORDABLE_KINDS,
            "suggestion": suggestion,
            "call_officers": selectors.call_officers(incident),
            "call_units": selectors.call_units(incident),
            "video_supervisor": selectors.video_supervisor(incident),
            "repeats": incident_repeats(incident, user=request.user, limit=10),
        },
        status=status,
    )


@require_POST
@role_required(*STAFF_ROLES)
def record_event(request, pk: int):
    """Record a step from the board (one click: kind only, time = now) or the detail page."""
    incident = get_object_or_404(selectors.incident_detail(user=request.user), pk=pk)
    form = EventForm(request.POST, people=selectors.dispatch_picker(station_id=incident.station_id))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_record_event(
                actor=request.user,
                incident=incident,
                kind=data["kind"],
                at=data["at"] or timezone.now(),
                note=data["note"],
                target=data["target"],
                supersedes=data["supersedes"],
                catalogue_item=data["catalogue_item"],
                officers=data["officers"],
                unit=data["unit"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return _back(request, pk)
        else:
            messages.success(request, _("已记录：%(kind)s") % {"kind": EventKind(data["kind"]).label})
            return _back(request, pk)
    incident = selectors.incident_detail(user=request.user).get(pk=pk)
    return _render_detail(request, incident, form, status=400)


@role_required(*STAFF_ROLES)
def diversion_catalogue(request):
    """The 110 ↔ 12345 diversion catalogue, both directions; bureau leaders and admins edit it."""
    return render(
        request,
        "incidents/diversion_catalogue.html",
        {
            "categories": selectors.diversion_categories(),
            "can_edit": request.user.role in services.CATALOGUE_KEEPERS,
        },
    )


def _catalogue_edit(request, form_class, instance, save, template_title):
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            save(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已保存分流目录。"))
            return redirect("incidents:diversion_catalogue")
    return render(
        request,
        "incidents/diversion_edit.html",
        {"form": form, "title": template_title},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*CATALOGUE_EDITORS)
def diversion_item_edit(request, pk: int | None = None):
    item = get_object_or_404(DiversionItem, pk=pk) if pk else None
    # the form fills a copy: the service compares the stored row with the new data
    stored = DiversionItem.objects.get(pk=pk) if pk else None
    return _catalogue_edit(
        request,
        DiversionItemForm,
        item,
        lambda **kw: services.diversion_item_save(item=stored, **kw),
        _("编辑分流目录事项") if pk else _("新增分流目录事项"),
    )


@role_required(*CATALOGUE_EDITORS)
def diversion_category_edit(request, pk: int | None = None):
    category = get_object_or_404(DiversionCategory, pk=pk) if pk else None
    stored = DiversionCategory.objects.get(pk=pk) if pk else None
    return _catalogue_edit(
        request,
        DiversionCategoryForm,
        category,
        lambda **kw: services.diversion_category_save(category=stored, **kw),
        _("编辑分流目录类别") if pk else _("新增分流目录类别"),
    )


def _back(request, pk):
    """Back to where the click came from (the board) when it is a local path, else the detail page."""
    return redirect(local_next(request, reverse("incidents:detail", args=[pk])))


# the list opens on the last 30 days plus every incident still open, unless the URL names a period
LIST_WINDOW = Window(
    days=30,
    field="received_at",
    period_params=("received_after", "received_before"),
    still_open=Q(status=Status.OPEN),
)


def _list_rows(request):
    """The list's rows for ``request`` (its filters and window), or None for bad filter input; what the
    page shows and what its export (also the background one) writes."""
    filterset = IncidentFilter(request.GET or None, queryset=selectors.incident_list(user=request.user))
    qs = filtered(filterset, user=request.user)
    return None if qs is None else apply_window(request, qs, LIST_WINDOW)[0]


def _export_headers(user):
    header = [
        _("警情编号"),
        _("派出所"),
        _("类别"),
        _("状态"),
        _("接警时间"),
        _("地址"),
        _("报警电话"),
        _("简要警情"),
    ]
    for stage in [Stage(s) for s in Stage.values]:
        header += [
            _("%(stage)s用时(秒)") % {"stage": stage.label},
            _("%(stage)s达标") % {"stage": stage.label},
        ]
    return header


def _export_rows(user, incidents):
    show_phone = selectors.can_see_phone(user)
    now = timezone.now()
    labels = {True: _("达标"), False: _("超时"), None: "—"}
    for incident in incidents:
        row = [
            incident.number,
            incident.station.name,
            incident.get_category_display(),
            incident.get_status_display(),
            timezone.localtime(incident.received_at).strftime("%Y-%m-%d %H:%M:%S"),
            incident.address,
            incident.caller_phone if show_phone else mask_phone(incident.caller_phone),
            incident.description,
        ]
        for clock in selectors.sla_block(incident, now):
            row += [clock["elapsed_seconds"], labels[clock["met"]]]
        yield row


# the Excel export of the list; above 100,000 rows a background job (qianwan/exports.py)
LIST_EXPORT = ListExport(
    key="incidents.views.LIST_EXPORT",
    filename="incidents",
    title=gettext_lazy("警情"),
    headers=_export_headers,
    rows=_export_rows,
    queryset=_list_rows,
)


@role_required(*STAFF_ROLES)
def incident_list(request):
    """Filtered list (the shared list page, ``qianwan.listing``); ``?export=xlsx`` downloads the same
    rows as Excel (a background job above 100,000 rows).

    Bad filter input (or a station outside the user's scope) is a 400 page with the errors next to the
    fields and no rows; the export then answers that page too, not a file."""
    filterset = IncidentFilter(request.GET or None, queryset=selectors.incident_list(user=request.user))

    def context(page):
        now = timezone.now()
        rows = [{"incident": i, "sla": selectors.sla_block(i, now)} for i in page] if page else []
        return {"rows": rows, "stages": Stage.choices}

    return render_list(
        request,
        "incidents/list.html",
        filterset=filterset,
        window=LIST_WINDOW,
        export=LIST_EXPORT,
        context=context,
    )


@role_required(*STAFF_ROLES)
def kpi(request):
    """The station KPI page: the 8-minute arrival rate with its counts, the other stages, the trend.

    A bad ``?station=`` is a 400 page with the message and no figures."""
    station, error = _station_of(request)
    return render(
        request,
        "incidents/kpi.html",
        {
            "station": station,
            "stations": org_selectors.stations_in_scope(user=request.user)
            .filter(is_active=True)
            .order_by("code"),
            "data": None if error else selectors.station_kpi_page(station=station),
            "stage_labels": dict(Stage.choices),
            "can_pick_station": request.user.role not in STATION_ROLES,
            "station_error": error,
            "duty_rows": [] if error else org_selectors.duty_now_panel(user=request.user, station=station),
            "reminders_stale": worker_status() == "stale",
        },
        status=400 if error else 200,
    )


@require_POST
@role_required(*REVEAL_ROLES)
def reveal(request, pk: int):
    """The caller's full number on the incident's page, for a role that sees it masked (audited)."""
    incident = get_object_or_404(selectors.incident_detail(user=request.user), pk=pk)
    phone = services.caller_phone_reveal(actor=request.user, incident=incident)
    form = EventForm(initial={"kind": selectors.next_step_kind(incident)})
    return _render_detail(request, incident, form, revealed=phone)


@require_POST
@role_required(*STAFF_ROLES)
def accept_inbound(request, pk: int):
    """Accept an inbound grid/12345 event as an incident (the form sits on the event's page)."""
    event = get_object_or_404(inbound_list(user=request.user), pk=pk)
    form = AcceptInboundForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("exchange:inbound_detail", pk=pk)
    try:
        incident = services.incident_accept_inbound(
            actor=request.user,
            event=event,
            category=form.cleaned_data["category"],
            catalogue_item=form.cleaned_data["catalogue_item"],
        )
    except (ValidationError, StateConflict, PermissionDenied) as exc:
        message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])) or str(exc)
        messages.error(request, message or _("无法受理该来件。"))
        return redirect("exchange:inbound_detail", pk=pk)
    messages.success(
        request, _("已受理为警情 %(number)s，结果已回传来源平台。") % {"number": incident.number}
    )
    return redirect("incidents:detail", pk=incident.pk)


@role_required(*LEADER_ROLES)
def chains(request):
    """Escalation chains: the sub-bureau default and each station's (own or inherited)."""
    return render(
        request,
        "incidents/chains.html",
        {**selectors.chain_pages(user=request.user), "can_edit": request.user.role in CHAIN_EDITORS},
    )


def _chain_station(request):
    code = (request.GET.get("station") or "").strip()
    if not code:
        return None
    station = org_selectors.stations_in_scope(user=request.user).filter(code=code).first()
    if station is None:
        raise Http404
    return station


@role_required(*CHAIN_EDITORS)
def chain_edit(request):
    """Edit one chain (``?station=CODE``, none = the sub-bureau default): ordered steps."""
    station = _chain_station(request)
    people = org_selectors.users_with_role(*STAFF_ROLES).order_by("username")
    if request.method == "POST" and request.POST.get("reset") == "1":
        services.escalation_chain_reset(actor=request.user, station=station)
        messages.success(request, _("已恢复默认升级链。"))
        return redirect("incidents:chains")
    chain = EscalationChain.objects.filter(station=station).prefetch_related("steps").first()
    if chain is not None:
        initial = [
            {
                "target": s.target,
                "person": s.person_id,
                "wait_seconds": s.wait_seconds,
                "repeat_times": s.repeat_times,
                "repeat_every_seconds": s.repeat_every_seconds,
            }
            for s in chain.steps.all()
        ]
    else:
        escalate_after = services.policy_for("").escalate_after_seconds
        initial = [
            {
                "target": s["target"],
                "wait_seconds": s["wait"],
                "repeat_times": s["repeat"],
                "repeat_every_seconds": s["every"],
            }
            for s in selectors.builtin_chain(escalate_after)
        ]
    formset = ChainStepFormSet(
        request.POST or None, initial=initial, form_kwargs={"people": people}, prefix="steps"
    )
    if request.method == "POST" and formset.is_valid():
        # rows left empty and rows marked for deletion are not steps
        steps = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("target")
        ]
        try:
            services.escalation_chain_save(actor=request.user, station=station, steps=steps)
        except ValidationError as exc:
            for message in exc.message_dict.get("steps", exc.messages):
                formset._non_form_errors = formset.error_class([*formset.non_form_errors(), message])
        else:
            messages.success(request, _("已保存升级链。"))
            return redirect("incidents:chains")
    return render(
        request,
        "incidents/chain_form.html",
        {"formset": formset, "station": station, "has_own": chain is not None},
        status=400 if request.method == "POST" else 200,
    )
