"""Pages: the liaison portal and the officers' service, registry and neighbourhood-watch pages.

Every record is fetched through a scoped selector, so another enterprise's (or station's) record
answers 404. Services raise; the helpers here turn their errors into form errors or messages.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from antifraud import selectors as antifraud_selectors
from qianwan import xlsx
from qianwan.attachments.forms import attach_photo
from qianwan.errors import StateConflict
from qianwan.forms import add_errors
from qianwan.listing import Window, render_list
from qianwan.org.access import role_required
from qianwan.org.choices import STAFF_ROLES, STATION_ROLES, Role
from qianwan.security import uploads
from qianwan.sheets import import_progress

from . import forms, importer, selectors, services
from .choices import RequestStatus, ResponseStatus
from .filtersets import (
    AllianceFilter,
    EnterpriseFilter,
    FirstResponseFilter,
    LectureFilter,
    ReferralFilter,
    ServiceRequestFilter,
    VisitFilter,
)

PORTAL_ROLES = (*STAFF_ROLES, Role.LIAISON)


def _apply(form, call):
    """Run a service; put its ValidationError on the form. Returns the result or None."""
    try:
        return call()
    except ValidationError as exc:
        add_errors(form, exc)
    return None


def _page(request, qs):
    return Paginator(qs, 50).get_page(request.GET.get("page"))


def _list(request, template, filterset, window=None):
    """A filtered list page (the shared list page, ``qianwan.listing``); bad filter input (or a station
    outside the user's scope) is a 400 with the errors next to the fields and no rows."""
    return render_list(request, template, filterset=filterset, window=window)


# service visits open on the last 30 days unless the URL names a period
VISIT_WINDOW = Window(days=30, field="visited_at", period_params=("from", "to"))


def _period(request):
    """The overview's period form (this month so far unless asked) with its dates and station; the
    dates are None when the input is bad (the errors are on the form)."""
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("date_from", today.replace(day=1).isoformat())
    data.setdefault("date_to", today.isoformat())
    form = forms.PeriodForm(data, user=request.user)
    if form.is_valid():
        c = form.cleaned_data
        return form, c["date_from"], c["date_to"], c.get("station")
    return form, None, None, None


# --- home: liaison portal / officers' overview ---------------------------------------------------


@role_required(*PORTAL_ROLES)
def index(request):
    user = request.user
    if user.role == Role.LIAISON:
        requests = selectors.service_request_list(user=user)[:20]
        alliance = selectors.alliance_list(user=user).first()
        return render(
            request,
            "enterprises/portal.html",
            {
                "enterprise": user.enterprise,
                "requests": requests,
                "alliance": alliance,
                "responses": selectors.first_response_list(user=user)[:10],
                "visits": selectors.visit_list(user=user)[:10],
                "referrals": selectors.referral_list(user=user)[:10],
                "calls": selectors.watch_call_list(user=user)[:5],
                "antifraud": antifraud_selectors.enterprise_status(user=user, enterprise=user.enterprise),
            },
        )
    form, date_from, date_to, station = _period(request)
    kpis = watch = None
    if date_from is not None:  # bad input: a 400 with the errors next to the fields and no figures
        station = station if user.role not in STATION_ROLES else user.station
        kpis = selectors.service_kpis(user=user, date_from=date_from, date_to=date_to, station=station)
        watch = selectors.watch_kpis(user=user, date_from=date_from, date_to=date_to, station=station)
    waiting = selectors.service_request_list(user=user).filter(
        status__in=[RequestStatus.REQUESTED, RequestStatus.ASSIGNED]
    )[:10]
    to_confirm = selectors.first_response_list(user=user).filter(status=ResponseStatus.REPORTED)[:10]
    return render(
        request,
        "enterprises/index.html",
        {"form": form, "kpis": kpis, "watch": watch, "waiting": waiting, "to_confirm": to_confirm},
        status=400 if kpis is None else 200,
    )


# --- registry -------------------------------------------------------------------------------------


@role_required(*STAFF_ROLES)
def enterprise_list(request):
    filterset = EnterpriseFilter(request.GET, queryset=selectors.enterprise_list(user=request.user))
    return _list(request, "enterprises/enterprise_list.html", filterset)


@role_required(*PORTAL_ROLES)
def enterprise_detail(request, pk: int):
    enterprise = get_object_or_404(selectors.enterprise_list(user=request.user), pk=pk)
    user = request.user
    return render(
        request,
        "enterprises/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "requests": selectors.service_request_list(user=user).filter(enterprise=enterprise)[:20],
            "visits": selectors.visit_list(user=user).filter(enterprise=enterprise)[:20],
            "referrals": selectors.referral_list(user=user).filter(enterprise=enterprise)[:20],
            "alliance": selectors.alliance_list(user=user).filter(memberships__enterprise=enterprise).first(),
        },
    )


@role_required(*STAFF_ROLES)
def enterprise_edit(request, pk: int | None = None):
    enterprise = get_object_or_404(selectors.enterprise_list(user=request.user), pk=pk) if pk else None
    form = forms.EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        if enterprise is None:
            saved = _apply(form, lambda: services.enterprise_create(actor=request.user, **data))
        else:
            saved = _apply(
                form, lambda: services.enterprise_update(actor=request.user, enterprise=enterprise, **data)
            )
        if saved:
            messages.success(request, _("已保存。"))
            return redirect("enterprises:enterprise_detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "enterprises/form.html",
        {
            "form": form,
            "title": _("登记企业/商铺") if not enterprise else _("修改企业信息"),
            "multipart": False,
        },
        status=status,
    )


@role_required(*STAFF_ROLES)
def import_new(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = _apply(
            form,
            lambda: services.import_job_create(
                actor=request.user, file=form.cleaned_data["file"], station=form.cleaned_data.get("station")
            ),
        )
        if job:
            return redirect("enterprises:import_detail", pk=job.pk)
    jobs = selectors.import_job_list(user=request.user)[:10]
    return render(
        request,
        "enterprises/import_new.html",
        {"form": form, "jobs": jobs},
        status=400 if form.errors else 200,
    )


@role_required(*STAFF_ROLES)
def import_detail(request, pk: int):
    job = get_object_or_404(selectors.import_job_list(user=request.user), pk=pk)
    return render(request, "enterprises/import_detail.html", {"job": job})


@never_cache
@role_required(*STAFF_ROLES)
def import_status(request, pk: int):
    """What the progress bar polls (JSON)."""
    job = get_object_or_404(selectors.import_job_list(user=request.user), pk=pk)
    return JsonResponse(import_progress(job))


@role_required(*STAFF_ROLES)
def import_template(request):
    return xlsx.response(importer.template_workbook(), "enterprise-import-template.xlsx")


# --- service requests, visits, feedback --------------------------------------------------------


@role_required(*PORTAL_ROLES)
def request_list(request):
    filterset = ServiceRequestFilter(request.GET, queryset=selectors.service_request_list(user=request.user))
    return _list(request, "enterprises/request_list.html", filterset)


@role_required(*PORTAL_ROLES)
def request_new(request):
    form = forms.ServiceRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = data.get("enterprise") or request.user.enterprise
        obj = _apply(
            form,
            lambda: services.service_request_create(
                actor=request.user,
                enterprise=enterprise,
                service_type=data["service_type"],
                description=data["description"],
                requested_at=data.get("requested_at"),
            ),
        )
        if obj:
            messages.success(request, _("服务需求已提交，属地派出所将尽快安排。"))
            return redirect("enterprises:request_detail", pk=obj.pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("申请服务"), "submit": _("提交需求")},
        status=400 if form.errors else 200,
    )


def _request_context(request, obj, **extra):
    user = request.user
    ctx = {
        "obj": obj,
        "visits": selectors.visit_list(user=user).filter(request=obj),
        "referrals": selectors.referral_list(user=user).filter(request=obj),
        "is_staff": user.role in STAFF_ROLES,
        "can_feedback": user.role == Role.LIAISON and obj.status == RequestStatus.SERVICED,
    }
    if ctx["is_staff"]:
        ctx["assign_form"] = forms.AssignForm(user=user, initial={"officer": obj.assigned_officer_id})
        ctx["visit_form"] = forms.VisitForm(user=user, for_request=True)
    if ctx["can_feedback"]:
        ctx["feedback_form"] = forms.FeedbackForm()
    ctx.update(extra)
    return ctx


@role_required(*PORTAL_ROLES)
def request_detail(request, pk: int):
    obj = get_object_or_404(selectors.service_request_list(user=request.user), pk=pk)
    return render(request, "enterprises/request_detail.html", _request_context(request, obj))


def _scoped_request(request, pk):
    return get_object_or_404(selectors.service_request_list(user=request.user), pk=pk)


@require_POST
@role_required(*STAFF_ROLES)
def request_assign(request, pk: int):
    obj = _scoped_request(request, pk)
    form = forms.AssignForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            done = _apply(
                form,
                lambda: services.service_request_assign(actor=request.user, request=obj, **form.cleaned_data),
            )
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("enterprises:request_detail", pk=pk)
        if done:
            messages.success(request, _("已分派。"))
            return redirect("enterprises:request_detail", pk=pk)
    return render(
        request,
        "enterprises/request_detail.html",
        _request_context(request, obj, assign_form=form),
        status=400,
    )


@require_POST
@role_required(*STAFF_ROLES)
def request_visit(request, pk: int):
    obj = _scoped_request(request, pk)
    form = forms.VisitForm(request.POST, user=request.user, for_request=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = _apply(
                form,
                lambda: services.visit_record(
                    actor=request.user,
                    enterprise=obj.enterprise,
                    request=obj,
                    visited_at=data["visited_at"],
                    summary=data["summary"],
                    officers=list(data["officers"]),
                ),
            )
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("enterprises:request_detail", pk=pk)
        if done:
            messages.success(request, _("服务记录已登记，待企业评价。"))
            return redirect("enterprises:request_detail", pk=pk)
    return render(
        request,
        "enterprises/request_detail.html",
        _request_context(request, obj, visit_form=form),
        status=400,
    )


@require_POST
@role_required(Role.LIAISON)
def request_feedback(request, pk: int):
    obj = _scoped_request(request, pk)
    form = forms.FeedbackForm(request.POST)
    if form.is_valid():
        try:
            done = _apply(
                form,
                lambda: services.service_request_feedback(
                    actor=request.user, request=obj, **form.cleaned_data
                ),
            )
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("enterprises:request_detail", pk=pk)
        if done:
            messages.success(request, _("感谢您的评价！"))
            return redirect("enterprises:request_detail", pk=pk)
    ctx = _request_context(request, obj, feedback_form=form)
    return render(request, "enterprises/request_detail.html", ctx, status=400)


@require_POST
@role_required(*PORTAL_ROLES)
def request_cancel(request, pk: int):
    obj = _scoped_request(request, pk)
    try:
        services.service_request_cancel(actor=request.user, request=obj)
        messages.success(request, _("需求已撤销。"))
    except StateConflict as exc:
        messages.error(request, exc.message)
    return redirect("enterprises:request_detail", pk=pk)


@role_required(*PORTAL_ROLES)
def visit_list(request):
    filterset = VisitFilter(request.GET, queryset=selectors.visit_list(user=request.user))
    return _list(request, "enterprises/visit_list.html", filterset, window=VISIT_WINDOW)


@role_required(*STAFF_ROLES)
def visit_new(request):
    form = forms.VisitForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["officers"] = list(data["officers"])
        photo = data.pop("photo", None)

        def record_with_photo():
            with transaction.atomic():
                visit = services.visit_record(actor=request.user, **data)
                attach_photo(actor=request.user, record=visit, upload=photo)
            return visit

        if _apply(form, record_with_photo):
            messages.success(request, _("走访记录已登记。"))
            return redirect("enterprises:visit_list")
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("登记走访"), "multipart": True},
        status=400 if form.errors else 200,
    )


# --- referrals -----------------------------------------------------------------------------------


@role_required(*PORTAL_ROLES)
def referral_list(request):
    filterset = ReferralFilter(request.GET, queryset=selectors.referral_list(user=request.user))
    return _list(request, "enterprises/referral_list.html", filterset)


@role_required(*STAFF_ROLES)
def referral_new(request):
    form = forms.ReferralForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        obj = _apply(form, lambda: services.referral_create(actor=request.user, **form.cleaned_data))
        if obj:
            messages.success(request, _("已移送联动窗口。"))
            return redirect("enterprises:referral_detail", pk=obj.pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("移送联动窗口")},
        status=400 if form.errors else 200,
    )


@role_required(*PORTAL_ROLES)
def referral_detail(request, pk: int):
    obj = get_object_or_404(selectors.referral_list(user=request.user), pk=pk)
    form = forms.ReferralStatusForm(request.POST or None) if request.user.role in STAFF_ROLES else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                done = _apply(
                    form,
                    lambda: services.referral_set_status(
                        actor=request.user, referral=obj, **form.cleaned_data
                    ),
                )
            except StateConflict as exc:
                messages.error(request, exc.message)
                return redirect("enterprises:referral_detail", pk=pk)
            if done:
                messages.success(request, _("状态已更新。"))
                return redirect("enterprises:referral_detail", pk=pk)
    return render(
        request,
        "enterprises/referral_detail.html",
        {"obj": obj, "form": form},
        status=400 if form and form.errors else 200,
    )


# --- lectures -------------------------------------------------------------------------------------


@role_required(*PORTAL_ROLES)
def lecture_list(request):
    filterset = LectureFilter(request.GET, queryset=selectors.lecture_list(user=request.user))
    return _list(request, "enterprises/lecture_list.html", filterset)


@role_required(*STAFF_ROLES)
def lecture_new(request):
    form = forms.LectureForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        if _apply(form, lambda: services.lecture_create(actor=request.user, **form.cleaned_data)):
            messages.success(request, _("宣讲已登记。"))
            return redirect("enterprises:lecture_list")
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("登记宣讲"), "multipart": True},
        status=400 if form.errors else 200,
    )


@role_required(*PORTAL_ROLES)
def lecture_materials(request, pk: int):
    """Materials are served only through this scoped view (media is not public)."""
    lecture = get_object_or_404(selectors.lecture_list(user=request.user), pk=pk)
    return uploads.serve_file(lecture.materials, stem=f"lecture-{lecture.pk}")


# --- neighbourhood watch ------------------------------------------------------------------------


@role_required(*PORTAL_ROLES)
def alliance_list(request):
    filterset = AllianceFilter(request.GET, queryset=selectors.alliance_list(user=request.user))
    return _list(request, "enterprises/alliance_list.html", filterset)


@role_required(*STAFF_ROLES)
def alliance_edit(request, pk: int | None = None):
    alliance = get_object_or_404(selectors.alliance_list(user=request.user), pk=pk) if pk else None
    initial = {}
    if alliance:
        initial = {
            "name": alliance.name,
            "station": alliance.station_id,
            "area": alliance.area,
            "members": [m.enterprise_id for m in alliance.memberships.all()],
            "leader_member": alliance.leader_member_id,
            "contacts": "\n".join(f"{c['name']},{c['phone']},{c.get('duty', '')}" for c in alliance.contacts),
            "override_reason": alliance.size_override_reason,
        }
    form = forms.AllianceForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["members"] = list(data["members"])
        try:
            if alliance is None:
                saved = _apply(form, lambda: services.alliance_create(actor=request.user, **data))
            else:
                data.pop("station")
                saved = _apply(
                    form, lambda: services.alliance_update(actor=request.user, alliance=alliance, **data)
                )
        except Exception as exc:
            from django.core.exceptions import PermissionDenied

            if isinstance(exc, PermissionDenied):
                form.add_error("override_reason", str(exc))
                saved = None
            else:
                raise
        if saved:
            messages.success(request, _("联盟已保存。"))
            return redirect("enterprises:alliance_detail", pk=saved.pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("修改守望联盟") if alliance else _("组建守望联盟")},
        status=400 if form.errors else 200,
    )


@role_required(*PORTAL_ROLES)
def alliance_detail(request, pk: int):
    alliance = get_object_or_404(selectors.alliance_list(user=request.user), pk=pk)
    user = request.user
    call_form = forms.WatchCallForm(request.POST or None) if user.role in STAFF_ROLES else None
    if request.method == "POST":
        if call_form is None:
            raise Http404
        if call_form.is_valid():
            call = _apply(
                call_form,
                lambda: services.watch_call_create(actor=user, alliance=alliance, **call_form.cleaned_data),
            )
            if call:
                messages.success(
                    request, _("已通知 %(n)s 名成员联络员，并推送到联络群。") % {"n": call.recipients}
                )
                return redirect("enterprises:alliance_detail", pk=pk)
    today = timezone.localdate()
    counts = selectors.alliance_response_counts(
        user=user, date_from=today - timedelta(days=365), date_to=today, station=alliance.station
    )
    return render(
        request,
        "enterprises/alliance_detail.html",
        {
            "alliance": alliance,
            "call_form": call_form,
            "responses": selectors.first_response_list(user=user).filter(alliance=alliance)[:20],
            "calls": selectors.watch_call_list(user=user).filter(alliance=alliance)[:10],
            "year_count": next((c for c in counts if c["alliance"] == alliance.pk), None),
        },
        status=400 if call_form and call_form.errors else 200,
    )


@role_required(*PORTAL_ROLES)
def response_list(request):
    filterset = FirstResponseFilter(request.GET, queryset=selectors.first_response_list(user=request.user))
    return _list(request, "enterprises/response_list.html", filterset)


@role_required(*PORTAL_ROLES)
def response_new(request):
    user = request.user
    initial = {}
    call = None
    if request.GET.get("call", "").isdigit():
        call = selectors.watch_call_list(user=user).filter(pk=request.GET["call"]).first()
        if call:
            initial = {"alliance": call.alliance_id, "place": call.place}
    form = forms.FirstResponseForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.setdefault("member", None)
        if request.POST.get("call", "").isdigit():
            data["call"] = selectors.watch_call_list(user=user).filter(pk=request.POST["call"]).first()
        if _apply(form, lambda: services.first_response_report(actor=user, **data)):
            messages.success(request, _("先期处置已登记，待民警确认。"))
            return redirect("enterprises:response_list")
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("登记先期处置"), "hidden": {"call": call.pk} if call else {}},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(*STAFF_ROLES)
def response_review(request, pk: int, verdict: str):
    response = get_object_or_404(selectors.first_response_list(user=request.user), pk=pk)
    if verdict not in ("confirm", "reject"):
        raise Http404
    form = forms.ReviewForm(request.POST)
    form.is_valid()
    try:
        services.first_response_review(
            actor=request.user,
            response=response,
            confirmed=verdict == "confirm",
            note=form.cleaned_data.get("note", ""),
        )
        messages.success(request, _("已确认。") if verdict == "confirm" else _("已退回。"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except StateConflict as exc:
        messages.error(request, exc.message)
    return redirect("enterprises:response_list")
