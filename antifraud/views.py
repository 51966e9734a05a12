"""Pages: the liaison portal (structure, sessions, scoring, letter), station pages for officers, and
the district ranking for leaders. Every object is looked up in the user's scope (else 404)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from incidents.models import Incident
from qianwan.errors import StateConflict
from qianwan.forms import add_errors
from qianwan.kpi import add_months
from qianwan.listing import Window, list_page, page_context
from qianwan.org.access import role_required
from qianwan.org.choices import Role
from qianwan.org.scopes import scope_queryset
from qianwan.org.selectors import station_list, stations_in_scope
from qianwan.security import uploads

from . import forms as f
from . import selectors, services
from .choices import SessionKind
from .models import EvaluationRound

# the time-ordered lists open on a recent window unless the URL says ?period=all (issue 21 item 3):
# notices sent in the last 30 days; study sessions and victims of the last year (rarer records)
NOTICE_WINDOW = Window(days=30, field="sent_at", period_params=())
SESSION_WINDOW = Window(days=365, field="held_on", period_params=())
VICTIM_WINDOW = Window(days=365, field="occurred_on", period_params=())

STAFF = (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN)
READ = (*STAFF, Role.LIAISON)
MANAGE = (Role.LIAISON, Role.OFFICER, Role.STATION_LEADER, Role.ADMIN)


def _is_id(value: str) -> bool:
    """A posted or queried primary key: ASCII digits that fit a bigint."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def _class_param(request, classes, value):
    """The class a ``?class=`` (or posted ``class``) names: (None, None) when absent, (class, None), or
    (None, message) when malformed. An id of no class of this enterprise (or out of scope) is a 404."""
    value = (value or "").strip()
    if not value:
        return None, None
    if not _is_id(value):
        return None, _("班组编号“%(value)s”无效，请从列表中选择班组。") % {"value": value}
    return get_object_or_404(classes, pk=int(value)), None


def _refuse_post_unless_manager(request):
    """Posting to a page the user may only read is refused (403), never silently ignored."""
    if request.method == "POST" and not _can_manage(request.user):
        raise PermissionDenied


def _enterprise(request, pk):
    return get_object_or_404(selectors.enterprise_list(user=request.user), pk=pk)


def _can_manage(user) -> bool:
    return user.role in MANAGE


@role_required(*READ)
def index(request):
    if request.user.role == Role.LIAISON:
        return redirect("antifraud:enterprise", pk=request.user.enterprise_id)
    return redirect("antifraud:station")


@role_required(*STAFF)
def station(request):
    """The station's enterprises with this month's coverage, score and letter status.

    Bad filter input (a month, a station outside the user's scope) is a 400 with the errors and no rows."""
    form = f.MonthStationForm(request.GET, user=request.user)
    context = {
        "form": form,
        "stations": station_list(user=request.user)
        if request.user.role in (Role.BUREAU_LEADER, Role.ADMIN)
        else None,
        "letters": selectors.letters_summary(user=request.user),
    }
    if not form.is_valid():
        return render(request, "antifraud/station.html", {**context, "rows": []}, status=400)
    month = form.cleaned_data["month"] or services.today_local().replace(day=1)
    enterprises = selectors.enterprise_list(user=request.user)
    if form.cleaned_data["station"]:
        enterprises = enterprises.filter(station=form.cleaned_data["station"])
    cover = {
        row["enterprise"]: row for row in selectors.coverage(user=request.user, month=month)["enterprises"]
    }
    scores = {row["enterprise"]: row for row in selectors.enterprise_ranking(user=request.user, month=month)}
    valid = set(
        selectors.valid_letter_enterprise_ids(services.today_local()).values_list("enterprise_id", flat=True)
    )
    rows = [
        {"enterprise": e, "coverage": cover.get(e.pk), "score": scores.get(e.pk), "letter": e.pk in valid}
        for e in enterprises
    ]
    return render(request, "antifraud/station.html", {**context, "rows": rows, "month": month})


# ---------------------------------------------------------------- structure


@role_required(*READ)
def enterprise(request, pk):
    """Structure: administration tier, classes with leader and deputy, employees, roster import."""
    ent = _enterprise(request, pk)
    _refuse_post_unless_manager(request)
    classes = selectors.class_list(user=request.user).filter(enterprise=ent)
    employees = selectors.employee_list(user=request.user).filter(enterprise=ent, is_active=True)
    class_filter, class_error = _class_param(request, classes, request.GET.get("class"))
    if class_error:
        employees = employees.none()
    elif class_filter is not None:
        employees = employees.filter(work_class=class_filter)
    forms_ = {
        "staff_form": f.AdminStaffForm(prefix="staff"),
        "class_form": f.WorkClassForm(prefix="class"),
        "employee_form": f.EmployeeForm(prefix="emp", classes=classes),
        "upload_form": f.RosterUploadForm(),
    }
    post_error = None
    if request.method == "POST":
        which = request.POST.get("form")
        if which not in ("staff", "class", "employee", "upload"):
            post_error = _("无法识别提交的表单，请刷新页面后重试。")
        try:
            if which == "staff":
                form = forms_["staff_form"] = f.AdminStaffForm(request.POST, prefix="staff")
                if form.is_valid():
                    services.admin_staff_create(actor=request.user, enterprise=ent, **form.cleaned_data)
                    messages.success(request, _("已添加管理层责任人。"))
                    return redirect("antifraud:enterprise", pk=ent.pk)
            elif which == "class":
                form = forms_["class_form"] = f.WorkClassForm(request.POST, prefix="class")
                if form.is_valid():
                    services.work_class_create(actor=request.user, enterprise=ent, **form.cleaned_data)
                    messages.success(request, _("已添加班组。"))
                    return redirect("antifraud:enterprise", pk=ent.pk)
            elif which == "employee":
                form = forms_["employee_form"] = f.EmployeeForm(request.POST, prefix="emp", classes=classes)
                if form.is_valid():
                    services.employee_create(actor=request.user, enterprise=ent, **form.cleaned_data)
                    messages.success(request, _("已添加员工。"))
                    return redirect("antifraud:enterprise", pk=ent.pk)
            elif which == "upload":
                form = forms_["upload_form"] = f.RosterUploadForm(request.POST, request.FILES)
                if form.is_valid():
                    job = services.roster_import_create(
                        actor=request.user, enterprise=ent, file=form.cleaned_data["file"]
                    )
                    return redirect(
                        reverse("antifraud:enterprise", args=[ent.pk]) + f"?import={job.pk}#import"
                    )
        except ValidationError as exc:
            add_errors(form, exc)
    imports = selectors.import_list(user=request.user).filter(enterprise=ent)[:5]
    return render(
        request,
        "antifraud/enterprise.html",
        {
            "enterprise": ent,
            "tab": "structure",
            "staff": selectors.admin_staff_list(user=request.user).filter(enterprise=ent, is_active=True),
            "classes": classes,
            "page": list_page(request, employees, per_page=100),
            "imports": imports,
            "can_manage": _can_manage(request.user),
            "class_error": class_error,
            "post_error": post_error,
            **forms_,
        },
        status=400 if request.method == "POST" or class_error else 200,
    )


@role_required(*READ)
def class_edit(request, pk, class_pk):
    ent = _enterprise(request, pk)
    work_class = get_object_or_404(
        selectors.class_list(user=request.user).filter(enterprise=ent), pk=class_pk
    )
    employees = selectors.employee_list(user=request.user).filter(enterprise=ent, is_active=True)
    initial = {
        "name": work_class.name,
        "leader": work_class.leader,
        "deputy": work_class.deputy,
        "is_active": work_class.is_active,
    }
    _refuse_post_unless_manager(request)
    form = f.WorkClassEditForm(request.POST or None, initial=initial, employees=employees)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_class_update(actor=request.user, work_class=work_class, **form.cleaned_data)
            messages.success(request, _("班组已保存。"))
            return redirect("antifraud:enterprise", pk=ent.pk)
        except ValidationError as exc:
            add_errors(form, exc)
    return render(
        request,
        "antifraud/class_edit.html",
        {"enterprise": ent, "work_class": work_class, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*READ)
def import_status(request, pk, import_pk):
    """JSON polled by the progress bar (same fields as the API)."""
    job = get_object_or_404(selectors.import_list(user=request.user).filter(enterprise_id=pk), pk=import_pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "progress": job.progress,
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "created_count": job.created_count,
            "updated_count": job.updated_count,
            "errors": job.errors,
        }
    )


# ---------------------------------------------------------------- sessions


@role_required(*READ)
def sessions(request, pk):
    """A class's study sessions; record one (with attendance) for the chosen class.

    A malformed ``?class=`` or ``?month=`` is a 400 page with the error (no form, no coverage); a class
    id of no active class of this enterprise is a 404."""
    ent = _enterprise(request, pk)
    _refuse_post_unless_manager(request)
    classes = selectors.class_list(user=request.user).filter(enterprise=ent, is_active=True)
    month_form = f.MonthForm(request.GET)
    month_form.is_valid()
    chosen, class_error = _class_param(
        request, classes, request.GET.get("class") or request.POST.get("class")
    )
    if chosen is None and not class_error and classes:
        chosen = classes[0]
    param_errors = [class_error] if class_error else []
    param_errors += month_form.errors.get("month", [])
    form = None
    post_error = None
    if request.method == "POST" and chosen is None and not class_error:
        post_error = _("请先在“三级架构”中建立班组。")
    if chosen is not None and not param_errors:
        employees = selectors.employee_list(user=request.user).filter(
            enterprise=ent, work_class=chosen, is_active=True
        )
        form = f.SessionForm(
            request.POST or None,
            initial={"held_on": services.today_local(), "kind": SessionKind.CLASS_STUDY},
            cases=selectors.case_list(user=request.user).filter(is_active=True),
            employees=employees,
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.session_record(actor=request.user, work_class=chosen, **form.cleaned_data)
                messages.success(request, _("学习活动已记录。"))
                return redirect(reverse("antifraud:sessions", args=[ent.pk]) + f"?class={chosen.pk}")
            except ValidationError as exc:
                add_errors(form, exc)
    month = month_form.cleaned_data.get("month") or services.today_local().replace(day=1)
    cover = None if param_errors else selectors.coverage(user=request.user, month=month, enterprise=ent)
    session_qs = selectors.session_list(user=request.user).filter(enterprise=ent)
    if param_errors:
        session_qs = session_qs.none()
    return render(
        request,
        "antifraud/sessions.html",
        {
            "enterprise": ent,
            "tab": "sessions",
            "classes": classes,
            "chosen": chosen,
            "form": form,
            "can_manage": _can_manage(request.user),
            **page_context(request, session_qs, window=SESSION_WINDOW, per_page=30),
            "coverage": cover,
            "month": month,
            "param_errors": param_errors,
            "post_error": post_error,
        },
        status=400 if request.method == "POST" or param_errors else 200,
    )


# ---------------------------------------------------------------- scoring


@role_required(*READ)
def scoring(request, pk):
    """This month's pairings where the enterprise's classes score; the results of its classes.

    A bad ``?month=`` is a 400 with the error and nothing of any month."""
    ent = _enterprise(request, pk)
    _refuse_post_unless_manager(request)
    month_form = f.MonthForm(request.GET)
    if not month_form.is_valid():
        return render(
            request,
            "antifraud/scoring.html",
            {"enterprise": ent, "tab": "scoring", "month_form": month_form},
            status=400,
        )
    month = month_form.cleaned_data["month"] or services.today_local().replace(day=1)
    evaluation_round = EvaluationRound.objects.select_related("standard").filter(month=month).first()
    criteria = list(evaluation_round.standard.criteria.all()) if evaluation_round else []
    to_score = selectors.pairing_list(user=request.user).filter(round__month=month, evaluator__enterprise=ent)
    cards = []
    posted_id = (request.POST.get("pairing") or "").strip()
    post_error = None
    if request.method == "POST":
        if not _is_id(posted_id):
            post_error = _("未指明要评分的班组，请刷新页面后重试。")
        elif not to_score.filter(pk=int(posted_id)).exists():
            raise Http404  # a pairing of another month, enterprise or scope reads as a missing one
    for pairing in to_score:
        initial = {s.criterion_id: s.value for s in pairing.scores.all()}
        bound = request.method == "POST" and posted_id == str(pairing.pk)
        form = f.ScoreForm(
            request.POST if bound else None,
            criteria=criteria,
            initial_scores=initial,
            prefix=f"p{pairing.pk}",
        )
        if bound and form.is_valid():
            try:
                services.evaluation_submit(
                    actor=request.user,
                    month=month,
                    evaluator=pairing.evaluator,
                    evaluated=pairing.evaluated,
                    scores=form.scores(),
                )
                messages.success(request, _("已提交对“%(c)s”的评分。") % {"c": pairing.evaluated.name})
                return redirect(reverse("antifraud:scoring", args=[ent.pk]) + f"?month={month:%Y-%m}")
            except ValidationError as exc:
                add_errors(form, exc)
            except StateConflict as exc:
                form.add_error(None, exc.message)
        cards.append({"pairing": pairing, "form": form})
    return render(
        request,
        "antifraud/scoring.html",
        {
            "enterprise": ent,
            "tab": "scoring",
            "month": month,
            "prev_month": date(*add_months(month.year, month.month, -1), 1),
            "round": evaluation_round,
            "criteria": criteria,
            "cards": cards,
            "can_manage": _can_manage(request.user),
            "month_form": month_form,
            "post_error": post_error,
            "ranking": selectors.class_ranking(user=request.user, month=month, enterprise=ent),
            "trend": selectors.evaluation_trend(user=request.user, end_month=month, enterprise=ent),
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- letters


@role_required(*READ)
def letters(request, pk):
    ent = _enterprise(request, pk)
    _refuse_post_unless_manager(request)
    form = f.LetterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_upload(actor=request.user, enterprise=ent, **form.cleaned_data)
            messages.success(request, _("责任书已上传。"))
            return redirect("antifraud:letters", pk=ent.pk)
        except ValidationError as exc:
            add_errors(form, exc)
    today = services.today_local()
    items = [
        {"letter": letter, "valid": letter.is_valid_on(today)}
        for letter in selectors.letter_list(user=request.user).filter(enterprise=ent)
    ]
    return render(
        request,
        "antifraud/letters.html",
        {
            "enterprise": ent,
            "tab": "letters",
            "items": items,
            "form": form,
            "can_manage": _can_manage(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*READ)
def letter_file(request, pk, letter_pk):
    letter = get_object_or_404(
        selectors.letter_list(user=request.user).filter(enterprise_id=pk), pk=letter_pk
    )
    return uploads.serve_file(letter.file, stem=f"letter-{letter.pk}")


@role_required(*STAFF)
def letters_missing(request):
    return render(
        request,
        "antifraud/letters_missing.html",
        {
            "enterprises": selectors.enterprises_missing_letter(user=request.user),
            "summary": selectors.letters_summary(user=request.user),
        },
    )


# ---------------------------------------------------------------- district ranking


@role_required(*STAFF)
def ranking(request):
    """District (or station) ranking: enterprises and classes by score, victims per 1,000 employees.

    Bad filter input (a month, a station outside the user's scope) is a 400 with the errors and no
    figures."""
    form = f.MonthStationForm(request.GET, user=request.user)
    stations = station_list(user=request.user)
    station_obj = None
    if request.user.role in (Role.OFFICER, Role.STATION_LEADER):
        station_obj = request.user.station
    if not form.is_valid():
        return render(
            request,
            "antifraud/ranking.html",
            {"form": form, "station": station_obj, "stations": stations, "invalid": True},
            status=400,
        )
    month = form.cleaned_data["month"] or services.today_local().replace(day=1)
    if station_obj is None:
        station_obj = form.cleaned_data["station"]
    year_start = date(month.year, 1, 1)
    month_end = selectors.month_bounds(month)[1]
    return render(
        request,
        "antifraud/ranking.html",
        {
            "form": form,
            "month": month,
            "station": station_obj,
            "stations": stations,
            "enterprises": selectors.enterprise_ranking(user=request.user, month=month, station=station_obj),
            "classes": selectors.class_ranking(user=request.user, month=month, station=station_obj)[:50],
            "trend": selectors.evaluation_trend(user=request.user, end_month=month, station=station_obj),
            "victims": selectors.victims_yoy(
                user=request.user, date_from=year_start, date_to=month_end, station=station_obj
            ),
            "victim_rows": selectors.victims_by_enterprise(
                user=request.user, date_from=year_start, date_to=month_end, station=station_obj
            )[:50],
            "year_start": year_start,
            "month_end": month_end,
        },
    )


# ---------------------------------------------------------------- case library


@role_required(*READ)
def cases(request):
    form = f.CaseForm(request.POST or None) if request.user.role in STAFF else None
    if request.method == "POST" and form is None:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("is_active")
        try:
            services.fraud_case_create(actor=request.user, **data)
            messages.success(request, _("案例已加入案例库。"))
            return redirect("antifraud:cases")
        except ValidationError as exc:
            add_errors(form, exc)
    return render(
        request,
        "antifraud/cases.html",
        {
            "page": list_page(request, selectors.case_list(user=request.user)),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*STAFF)
def case_edit(request, case_pk):
    case = get_object_or_404(selectors.case_list(user=request.user), pk=case_pk)
    initial = {k: getattr(case, k) for k in services.CASE_FIELDS}
    form = f.CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.fraud_case_update(actor=request.user, case=case, **form.cleaned_data)
            messages.success(request, _("案例已保存。"))
            return redirect("antifraud:cases")
        except ValidationError as exc:
            add_errors(form, exc)
    return render(
        request,
        "antifraud/case_edit.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- liaison groups and notices


@role_required(*STAFF)
def notices(request):
    groups = selectors.liaison_group_list(user=request.user)
    stations = stations_in_scope(user=request.user)
    notice_form = f.NoticeForm(prefix="n", groups=groups.filter(enabled=True))
    group_form = f.LiaisonGroupForm(prefix="g", stations=stations)
    post_error = None
    if request.method == "POST":
        which = request.POST.get("form")
        if which not in ("notice", "group"):
            post_error = _("无法识别提交的表单，请刷新页面后重试。")
        try:
            if which == "group":
                group_form = f.LiaisonGroupForm(request.POST, prefix="g", stations=stations)
                if group_form.is_valid():
                    services.liaison_group_create(actor=request.user, **group_form.cleaned_data)
                    messages.success(request, _("联络群已添加。"))
                    return redirect("antifraud:notices")
            elif which == "notice":
                notice_form = f.NoticeForm(request.POST, prefix="n", groups=groups.filter(enabled=True))
                if notice_form.is_valid():
                    notice = services.notice_send(actor=request.user, **notice_form.cleaned_data)
                    messages.success(request, _("预警已发送，投递结果见下方记录。"))
                    return redirect("antifraud:notice", notice_pk=notice.pk)
        except ValidationError as exc:
            add_errors(group_form if which == "group" else notice_form, exc)
    return render(
        request,
        "antifraud/notices.html",
        {
            "groups": groups,
            **page_context(
                request, selectors.notice_list(user=request.user), window=NOTICE_WINDOW, per_page=30
            ),
            "notice_form": notice_form,
            "group_form": group_form,
            "post_error": post_error,
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*STAFF)
def notice(request, notice_pk):
    item = get_object_or_404(selectors.notice_list(user=request.user), pk=notice_pk)
    return render(
        request, "antifraud/notice.html", {"notice": item, "deliveries": selectors.notice_deliveries(item)}
    )


# ---------------------------------------------------------------- victims


@role_required(*STAFF)
def victims(request):
    enterprises = selectors.enterprise_list(user=request.user)
    incidents = scope_queryset(
        Incident.objects.filter(category="fraud"), request.user, station_field="station"
    )
    form = f.VictimForm(request.POST or None, enterprises=enterprises, incidents=incidents)
    if request.method == "POST" and form.is_valid():
        try:
            services.victim_record(actor=request.user, **form.cleaned_data)
            messages.success(request, _("受害员工已登记。"))
            return redirect("antifraud:victims")
        except ValidationError as exc:
            add_errors(form, exc)
    return render(
        request,
        "antifraud/victims.html",
        {
            "form": form,
            **page_context(request, selectors.victim_list(user=request.user), window=VICTIM_WINDOW),
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- scoring standards


@role_required(*READ)
def standards(request):
    """Versions of the scoring standard; bureau leaders and admins add a version from a month on."""
    can_edit = request.user.role in (Role.BUREAU_LEADER, Role.ADMIN)
    standards = list(selectors.standard_list(user=request.user))  # newest first
    current = standards[0] if standards else None
    initial_rows = [
        {"name": c.name, "description": c.description, "weight": c.weight, "max_score": c.max_score}
        for c in (current.criteria.all() if current else [])
    ] or [{}]
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = formset = None
    if can_edit:
        today = services.today_local()
        next_month = date(*add_months(today.year, today.month, 1), 1)
        form = f.StandardForm(
            request.POST or None,
            initial={"name": current.name if current else "", "effective_from": next_month},
        )
        formset = f.CriterionFormSet(request.POST or None, initial=initial_rows + [{}] * 3, prefix="c")
        if request.method == "POST" and form.is_valid() and formset.is_valid():
            rows = [r for r in formset.cleaned_data if r and r.get("name")]
            try:
                services.standard_create(actor=request.user, criteria=rows, **form.cleaned_data)
                messages.success(request, _("已发布新版本评分标准。"))
                return redirect("antifraud:standards")
            except ValidationError as exc:
                add_errors(form, exc)
    return render(
        request,
        "antifraud/standards.html",
        {"standards": standards, "form": form, "formset": formset},
        status=400 if request.method == "POST" else 200,
    )
