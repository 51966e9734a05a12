"""Pages: dispute list (filters, Excel export), registration, detail with timeline and follow-ups, triage
queue, my follow-ups due, case files, blocks and the analysis page (综合研判)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from qianwan.errors import StateConflict
from qianwan.exchange import selectors as exchange_selectors
from qianwan.exports import ListExport
from qianwan.filtering import filtered
from qianwan.forms import add_errors
from qianwan.listing import Window, apply_window, render_list
from qianwan.masking import REVEAL_ROLES, mask_name, mask_phone, may_reveal
from qianwan.org.access import role_required
from qianwan.org.choices import LEADER_ROLES, STAFF_ROLES, STATION_ROLES, Role
from qianwan.org.scopes import scope_queryset

from . import patrols, selectors, services
from .choices import ACTIVE_STATUSES, Status
from .filtersets import DisputeFilter
from .forms import (
    CaseFileForm,
    CloseForm,
    DisputeForm,
    FollowupForm,
    HandlingForm,
    NoteForm,
    PeriodForm,
    ProgressForm,
    RetriageForm,
)
from .models import CaseFile

# the ledger opens on the last 30 days plus every dispute still being worked, unless the URL names a period
LIST_WINDOW = Window(
    days=30,
    field="occurred_at",
    period_params=("occurred_after", "occurred_before"),
    still_open=Q(status__in=ACTIVE_STATUSES),
)


@role_required(*STAFF_ROLES)
def dispute_list(request):
    """The ledger with its filters; ``?export=xlsx`` downloads the same rows. Bad filter input (or a
    station outside the user's scope) is a 400 page with the errors next to the fields and no rows; the
    export then answers that page too, not a file."""
    filterset = DisputeFilter(
        request.GET or None, queryset=selectors.dispute_list(user=request.user), request=request
    )
    filterset.check_dates()
    return render_list(
        request,
        "disputes/list.html",
        filterset=filterset,
        window=LIST_WINDOW,
        export=LIST_EXPORT,
    )


def _export_headers(user):
    return [
        _("纠纷编号"),
        _("派出所"),
        _("片区"),
        _("纠纷类型"),
        _("风险等级"),
        _("处置机制"),
        _("状态"),
        _("发生/报警时间"),
        _("地点"),
        _("责任民警"),
        _("承办单位"),
        _("处置完毕时间"),
        _("纠纷概要"),
    ]


def _export_rows(user, disputes):
    tz = timezone.get_current_timezone()
    for d in disputes:
        yield [
            d.number,
            d.station.name,
            d.block.name if d.block_id else "",
            d.get_category_display(),
            d.get_risk_level_display(),
            d.get_channel_display(),
            d.get_status_display(),
            d.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            d.address,
            d.officer.display_name if d.officer_id else "",
            d.handling_org,
            d.handled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if d.handled_at else "",
            d.summary,
        ]


def _list_rows(request):
    """The ledger's rows for ``request`` (filters and window), or None for bad filter input: what the
    page shows and what its export (also the background one) writes."""
    filterset = DisputeFilter(
        request.GET or None, queryset=selectors.dispute_list(user=request.user), request=request
    )
    filterset.check_dates()
    rows = filtered(filterset, user=request.user)
    return None if rows is None else apply_window(request, rows, LIST_WINDOW)[0]


# the ledger's Excel export; above 100,000 rows a background job (qianwan/exports.py)
LIST_EXPORT = ListExport(
    key="disputes.views.LIST_EXPORT",
    filename="disputes",
    title=_lazy("矛盾纠纷"),
    headers=_export_headers,
    rows=_export_rows,
    queryset=_list_rows,
)


def _prefill(request) -> tuple[dict, object, object]:
    """Initial values from ?incident=<id> (转为纠纷) or ?inbound=<id> (受理网格事件)."""
    from incidents.models import Incident
    from qianwan.exchange.models import InboundEvent

    initial, incident, inbound = {}, None, None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("incident"):
        try:
            incident = scope_queryset(Incident.objects.all(), request.user).get(pk=int(source["incident"]))
        except (ValueError, Incident.DoesNotExist) as exc:
            raise Http404 from exc
        initial = {
            "incident": incident.pk,
            "station": incident.station_id,
            "address": incident.address,
            "lat": incident.lat,
            "lon": incident.lon,
            "summary": incident.description,
            "occurred_at": timezone.localtime(incident.received_at).strftime("%Y-%m-%dT%H:%M:%S"),
        }
    elif source.get("inbound"):
        try:
            inbound = exchange_selectors.inbound_list(user=request.user).get(pk=int(source["inbound"]))
        except (ValueError, InboundEvent.DoesNotExist) as exc:
            raise Http404 from exc
        initial = {
            "inbound": inbound.pk,
            "station": inbound.station_id,
            "address": inbound.address,
            "lat": inbound.lat,
            "lon": inbound.lon,
            "summary": f"{inbound.title}\n{inbound.description}".strip(),
            "occurred_at": timezone.localtime(inbound.occurred_at).strftime("%Y-%m-%dT%H:%M:%S")
            if inbound.occurred_at
            else "",
            "category": inbound.category
            if inbound.category in dict(DisputeForm.base_fields["category"].choices)
            else "",
        }
    return initial, incident, inbound


@role_required(*STAFF_ROLES)
def dispute_create(request):
    initial, incident, inbound = _prefill(request)
    if incident is not None and hasattr(incident, "dispute"):
        messages.info(request, _("该警情已登记为纠纷。"))
        return redirect("disputes:detail", pk=incident.dispute.pk)
    if request.method == "POST":
        form = DisputeForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "station": data["station"],
                "category": data["category"],
                "risk_level": data["risk_level"],
                "summary": data["summary"],
                "address": data["address"],
                "standard_address": data.get("standard_address"),
                "lat": data["lat"],
                "lon": data["lon"],
                "occurred_at": data["occurred_at"],
                "parties": form.parties(),
            }
            try:
                if inbound is not None:
                    dispute = services.dispute_accept_inbound(actor=request.user, event=inbound, **fields)
                else:
                    dispute = services.dispute_create(actor=request.user, incident=incident, **fields)
            except ValidationError as exc:
                add_errors(form, exc)
            except (PermissionDenied, StateConflict) as exc:
                form.add_error(None, getattr(exc, "message", None) or str(exc) or _("无权为该派出所登记。"))
            else:
                messages.success(
                    request,
                    _("纠纷 %(n)s 已登记，处置机制：%(c)s。")
                    % {"n": dispute.number, "c": dispute.get_channel_display()},
                )
                return redirect("disputes:detail", pk=dispute.pk)
        status = 400
    else:
        form = DisputeForm(initial=initial, user=request.user)
        status = 200
    context = {"form": form, "incident": incident, "inbound": inbound}
    return render(request, "disputes/form.html", context, status=status)


def _detail_context(request, dispute, **forms) -> dict:
    reveal = forms.pop("reveal", False)
    parties = list(dispute.parties.all())
    show = reveal or selectors.sees_parties(request.user)
    party_rows = [
        {
            "role": p.get_role_display(),
            "name": p.name if show else mask_name(p.name),
            "phone": p.phone if show else mask_phone(p.phone),
            "note": p.note,
        }
        for p in parties
    ]
    start, end = selectors.month_bounds()
    followups = list(dispute.followups.all())
    month_count = sum(1 for f in followups if start <= f.at < end)
    since = sum(1 for f in followups if dispute.handled_at and f.created_at >= dispute.handled_at)
    close_required = services.conf.close_min_followups()
    context = {
        "dispute": dispute,
        "parties": party_rows,
        "masked": not show and bool(parties),
        "timeline": selectors.dispute_timeline(dispute),
        "followups": followups,
        "month_count": month_count,
        "required": services.conf.followups_per_month(),
        "pushes": exchange_selectors.outbound_for(dispute).prefetch_related("acks").order_by("created_at"),
        "can_retriage": request.user.role in LEADER_ROLES and dispute.status != Status.CLOSED,
        "can_reveal": not selectors.sees_parties(request.user) and may_reveal(request.user),
        "followups_since_handled": since,
        "close_required": close_required,
        "close_ready": since >= close_required,
        "can_approve_close": request.user.role == Role.STATION_LEADER,
        "close_form": CloseForm(auto_id="cl_%s"),
        "start_form": NoteForm(auto_id="start_%s"),
        "escalate_form": ProgressForm(auto_id="esc_%s"),
        "progress_form": ProgressForm(auto_id="pr_%s"),
        "followup_form": FollowupForm(auto_id="fu_%s"),
        "retriage_form": RetriageForm(auto_id="rt_%s", initial={"risk_level": dispute.risk_level}),
        "handling_form": HandlingForm(
            auto_id="hd_%s",
            initial={
                "handling_org": dispute.handling_org,
                "handling_contact": dispute.handling_contact,
                "handling_phone": dispute.handling_phone,
            },
        ),
    }
    context.update(forms)
    return context


def _get(request, pk):
    return get_object_or_404(selectors.dispute_detail_qs(user=request.user), pk=pk)


@role_required(*STAFF_ROLES)
def dispute_detail(request, pk: int):
    dispute = _get(request, pk)
    return render(request, "disputes/detail.html", _detail_context(request, dispute))


# several small forms share a page: distinct ids keep every label tied to its own input
AUTO_IDS = {
    "start": "start_%s",
    "escalate": "esc_%s",
    "followup": "fu_%s",
    "note": "pr_%s",
    "retriage": "rt_%s",
    "handling": "hd_%s",
    "close": "cl_%s",
}

ACTIONS = {
    # name: (form class, service, success message, form context key)
    "start": (NoteForm, services.dispute_start, _lazy("已开始化解。"), "start_form"),
    "note": (ProgressForm, services.dispute_add_note, _lazy("进展已记录。"), "progress_form"),
    "resolve": (NoteForm, services.dispute_resolve, _lazy("已标记为已处置，开始每月回访。"), "note_form"),
    "close": (CloseForm, services.dispute_close, _lazy("已结案。"), "close_form"),
    "escalate": (ProgressForm, services.dispute_escalate, _lazy("已升级并通知所领导。"), "escalate_form"),
    "push": (NoteForm, services.dispute_push, _lazy("已推送至网格平台关注。"), "note_form"),
    "followup": (FollowupForm, services.followup_record, _lazy("回访已记录。"), "followup_form"),
    "retriage": (RetriageForm, services.dispute_retriage, _lazy("已重新分级。"), "retriage_form"),
    "handling": (HandlingForm, services.dispute_update_handling, _lazy("承办单位已更新。"), "handling_form"),
}


@require_POST
@role_required(*STAFF_ROLES)
def dispute_action(request, pk: int, name: str):
    dispute = _get(request, pk)
    if name not in ACTIONS:
        raise Http404
    form_class, service, success, key = ACTIONS[name]
    if name == "retriage" and request.user.role not in LEADER_ROLES:
        raise PermissionDenied
    form = form_class(request.POST, auto_id=AUTO_IDS.get(name, "id_%s"))
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not (k in ("at", "channel") and not v)}
        try:
            service(actor=request.user, dispute=dispute, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("disputes:detail", pk=pk)
        else:
            messages.success(request, success)
            nxt = request.POST.get("next")
            if nxt == "due":
                return redirect("disputes:followups_due")
            return redirect("disputes:detail", pk=pk)
    dispute = _get(request, pk)
    return render(
        request, "disputes/detail.html", _detail_context(request, dispute, **{key: form}), status=400
    )


@require_POST
@role_required(*REVEAL_ROLES)
def dispute_reveal(request, pk: int):
    """Parties in clear for a role that sees them masked (bureau leaders, admins): audited."""
    dispute = _get(request, pk)
    services.parties_reveal(actor=request.user, dispute=dispute)
    return render(request, "disputes/detail.html", _detail_context(request, dispute, reveal=True))


@role_required(*STAFF_ROLES)
def triage(request):
    rows = selectors.triage_queue(user=request.user)
    return render(request, "disputes/triage.html", {"rows": rows[:300], "total": len(rows)})


@role_required(*STAFF_ROLES)
def followups_due(request):
    rows = selectors.my_followups_due(user=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "disputes/followups_due.html",
        {"page": page, "required": services.conf.followups_per_month(), "followup_form": FollowupForm()},
    )


@role_required(*STAFF_ROLES)
def blocks(request):
    """Blocks with their heat (disputes in 90 days) beside their visits in 7/30 days; overdue hot blocks
    marked; the week's patrol suggestion per station (heat ÷ (1 + visits in 14 days))."""
    paginator = Paginator(selectors.block_list(user=request.user), 50)  # ordered by station, name
    page = paginator.get_page(request.GET.get("page"))
    rows = patrols.block_rows(page.object_list)
    stations = sorted({r["block"].station for r in rows}, key=lambda s: s.code)
    suggestions = [
        {"station": s, "rows": patrols.patrol_suggestion(station=s, limit=5)} for s in stations[:10]
    ]
    return render(
        request, "disputes/blocks.html", {"rows": rows, "page_obj": page, "suggestions": suggestions}
    )


@role_required(*STAFF_ROLES)
def block_visits(request, pk: int):
    """A block's patrols and visits, and the form to log one (with a photo)."""
    from qianwan.org.models import User

    from .forms import BlockVisitForm

    block = get_object_or_404(selectors.block_list(user=request.user), pk=pk)
    people = User.objects.filter(station=block.station, is_active=True).order_by("full_name", "username")
    can_log = request.user.role in STATION_ROLES or request.user.role in (Role.BUREAU_LEADER, Role.ADMIN)
    form = BlockVisitForm(request.POST or None, request.FILES or None, people=people)
    if request.method == "POST" and can_log and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                visit = patrols.visit_create(
                    actor=request.user,
                    block=block,
                    at=data["at"] or timezone.now(),
                    kind=data["kind"],
                    officers=data["officers"],
                    note=data["note"],
                    findings=data["findings"],
                )
                if data.get("photo"):
                    from qianwan.attachments import services as attachment_services

                    attachment_services.attachment_add(
                        actor=request.user, record=visit, upload=data["photo"], field="photo"
                    )
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已登记巡访。"))
            return redirect("disputes:block_visits", pk=block.pk)
    row = patrols.block_rows([block])[0]
    visits = list(block.visits.select_related("created_by").prefetch_related("officers")[:50])
    return render(
        request,
        "disputes/block_visits.html",
        {"block": block, "row": row, "visits": visits, "form": form if can_log else None},
        status=400 if form.is_bound and form.errors else 200,
    )


@role_required(*STAFF_ROLES)
def casefiles(request):
    station = request.user.station
    blocks_qs = selectors.block_list(user=request.user)
    form = None
    if request.user.role in STATION_ROLES:
        form = CaseFileForm(request.POST or None, blocks=blocks_qs)
        if request.method == "POST" and form.is_valid():
            try:
                services.casefile_save(actor=request.user, station=station, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("已建档。"))
                return redirect("disputes:casefiles")
    rows = selectors.casefile_list(user=request.user)
    return render(
        request,
        "disputes/casefiles.html",
        {"rows": rows, "form": form, "today": timezone.localdate()},
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
@role_required(*STAFF_ROLES)
def casefile_review(request, pk: int):
    case_file = get_object_or_404(scope_queryset(CaseFile.objects.all(), request.user), pk=pk)
    services.casefile_review(
        actor=request.user, case_file=case_file, note=request.POST.get("note", "")[:2000]
    )
    messages.success(request, _("已复查，下次复查日期已更新。"))
    return redirect("disputes:casefiles")


@role_required(*STAFF_ROLES)
def analysis(request):
    """综合研判: YoY and growth change, hot blocks, hour-of-week heat, the dispute map.

    Bad input (a date, the order of the dates, a station outside the user's scope) is a 400 page with
    the errors next to the fields and no figures."""
    date_from, date_to = selectors.default_period()
    form = PeriodForm(
        request.GET or None, user=request.user, initial={"date_from": date_from, "date_to": date_to}
    )
    if form.is_bound and not form.is_valid():
        return render(request, "disputes/analysis.html", {"form": form, "invalid": True}, status=400)
    station = None
    if form.is_valid():
        date_from = form.cleaned_data.get("date_from") or date_from
        date_to = form.cleaned_data.get("date_to") or date_to
        station = form.cleaned_data.get("station")
    if request.user.role in STATION_ROLES:
        station = request.user.station
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    args = {"user": request.user, "date_from": date_from, "date_to": date_to, "station": station}
    context = {
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "station": station,
        "incidents_yoy": selectors.yoy(**args, source="incidents"),
        "disputes_yoy": selectors.yoy(**args, source="disputes"),
        "hot": selectors.hot_blocks(**args, limit=30),
        "heat": selectors.heat_table(**args),
        "map": selectors.dispute_map(**args),
        "pushed": selectors.pushed_count(**args),
        "categories": selectors.Category.choices,
    }
    return render(request, "disputes/analysis.html", context)
