"""Reads of the anti-fraud app: scoped lists, coverage, rankings, trends and the victim KPIs.

The dashboard reuses ``letters_summary``, ``sessions_summary``, ``victims_yoy`` and
``enterprise_ranking``.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from qianwan.kpi import add_months, compare_counts, proportion, rate
from qianwan.notify.models import Channel, Delivery
from qianwan.org.choices import LEADER_ROLES, STAFF_ROLES, Role
from qianwan.org.scopes import scope_queryset

from .models import (
    AdminStaff,
    Employee,
    EvaluationRound,
    FraudCase,
    FraudNotice,
    Pairing,
    ResponsibilityLetter,
    RosterImport,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)
from .services import NOTICE_KIND, today_local

READ_ROLES = STAFF_ROLES | {Role.LIAISON}


def _by_enterprise(qs: QuerySet, user, prefix: str = "enterprise") -> QuerySet:
    return scope_queryset(qs, user, station_field=f"{prefix}__station", enterprise_field=prefix)


def month_bounds(month: date) -> tuple[date, date]:
    """First and last local day of ``month``."""
    nxt = date(*add_months(month.year, month.month, 1), 1)
    return month, nxt - timedelta(days=1)


# ---------------------------------------------------------------- lists


def enterprise_list(*, user) -> QuerySet[Enterprise]:
    """Enterprises the user may see (a liaison: their own)."""
    return scope_queryset(
        Enterprise.objects.select_related("station"), user, station_field="station", enterprise_field="pk"
    )


def admin_staff_list(*, user) -> QuerySet[AdminStaff]:
    return _by_enterprise(AdminStaff.objects.select_related("enterprise"), user)


def class_list(*, user) -> QuerySet[WorkClass]:
    return _by_enterprise(
        WorkClass.objects.select_related("enterprise", "leader", "deputy")
        .annotate(employee_count=Count("employees", filter=Q(employees__is_active=True)))
        .order_by("enterprise__name", "name", "pk"),
        user,
    )


def employee_list(*, user) -> QuerySet[Employee]:
    return _by_enterprise(Employee.objects.select_related("enterprise", "work_class"), user)


def import_list(*, user) -> QuerySet[RosterImport]:
    return _by_enterprise(RosterImport.objects.select_related("enterprise"), user)


def case_list(*, user) -> QuerySet[FraudCase]:
    """The case library is shared reference material for staff and liaisons."""
    if not user.is_authenticated or user.role not in READ_ROLES:
        return FraudCase.objects.none()
    qs = FraudCase.objects.all()
    return qs if user.role in STAFF_ROLES else qs.filter(is_active=True)


def session_list(*, user) -> QuerySet[StudySession]:
    return _by_enterprise(
        StudySession.objects.select_related("enterprise", "work_class", "case", "speaker")
        .prefetch_related("attendees")
        .annotate(attendee_count=Count("attendees", distinct=True))
        .order_by("-held_on", "-pk"),
        user,
    )


def standard_list(*, user) -> QuerySet[ScoringStandard]:
    if not user.is_authenticated or user.role not in READ_ROLES:
        return ScoringStandard.objects.none()
    return ScoringStandard.objects.prefetch_related("criteria")


def round_list(*, user) -> QuerySet[EvaluationRound]:
    """Rounds are district-wide; everyone who takes part may see them."""
    if not user.is_authenticated or user.role not in READ_ROLES:
        return EvaluationRound.objects.none()
    return (
        EvaluationRound.objects.select_related("standard")
        .prefetch_related("standard__criteria")
        .annotate(
            pairing_count=Count("pairings"),
            submitted_count=Count("pairings", filter=Q(pairings__submitted_at__isnull=False)),
        )
        .order_by("-month")
    )


def pairing_list(*, user) -> QuerySet[Pairing]:
    """Pairings where the user's scope holds the evaluator or the evaluated class (cross-enterprise
    pairings are visible from both sides)."""
    qs = Pairing.objects.select_related(
        "round", "round__standard", "evaluator__enterprise", "evaluated__enterprise"
    ).prefetch_related("scores__criterion")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role in (Role.ADMIN, Role.BUREAU_LEADER):
        return qs
    if user.role in (Role.OFFICER, Role.STATION_LEADER):
        return qs.filter(
            Q(evaluator__enterprise__station=user.station_id)
            | Q(evaluated__enterprise__station=user.station_id)
        )
    if user.role == Role.LIAISON:
        return qs.filter(
            Q(evaluator__enterprise=user.enterprise_id) | Q(evaluated__enterprise=user.enterprise_id)
        )
    return qs.none()


def letter_list(*, user) -> QuerySet[ResponsibilityLetter]:
    return _by_enterprise(
        ResponsibilityLetter.objects.select_related("enterprise", "enterprise__station"), user
    )


def liaison_group_list(*, user) -> QuerySet[Channel]:
    """Liaison groups are notify channels that only take anti-fraud notices addressed to them."""
    qs = Channel.objects.filter(broadcast_only=True, kinds__icontains=NOTICE_KIND).select_related("station")
    return scope_queryset(qs, user, station_field="station")


def notice_list(*, user) -> QuerySet[FraudNotice]:
    qs = FraudNotice.objects.select_related("station", "sent_by", "notification").prefetch_related("groups")
    if user.is_authenticated and user.role in (Role.OFFICER, Role.STATION_LEADER):
        return qs.filter(groups__station=user.station_id).distinct()
    return scope_queryset(qs, user, station_field="station")


def notice_deliveries(notice: FraudNotice) -> list[Delivery]:
    """The delivery log of a notice: one row per group with its attempts."""
    if notice.notification_id is None:
        return []
    return list(
        Delivery.objects.filter(notification_id=notice.notification_id, channel__isnull=False)
        .select_related("channel")
        .prefetch_related("attempt_log")
        .order_by("channel__name")
    )


def victim_list(*, user) -> QuerySet[Victim]:
    return _by_enterprise(Victim.objects.select_related("enterprise", "incident", "employee"), user)


# ---------------------------------------------------------------- coverage


def coverage(*, user, month: date, enterprise: Enterprise | None = None) -> dict:
    """Share of active employees who attended at least one session in ``month``, per class and per
    enterprise (each with its counts and Wilson interval)."""
    first, last = month_bounds(month)
    enterprises = enterprise_list(user=user)
    if enterprise is not None:
        enterprises = enterprises.filter(pk=enterprise.pk)
    enterprise_ids = list(enterprises.values_list("pk", flat=True))
    employees = Employee.objects.filter(enterprise_id__in=enterprise_ids, is_active=True)
    reached_ids = set(
        StudySession.attendees.through.objects.filter(
            studysession__enterprise_id__in=enterprise_ids,
            studysession__held_on__gte=first,
            studysession__held_on__lte=last,
        ).values_list("employee_id", flat=True)
    )
    per_class: dict = defaultdict(lambda: [0, 0])
    per_enterprise: dict = defaultdict(lambda: [0, 0])
    for pk, enterprise_id, class_id in employees.values_list("pk", "enterprise_id", "work_class_id"):
        hit = int(pk in reached_ids)
        per_enterprise[enterprise_id][0] += hit
        per_enterprise[enterprise_id][1] += 1
        if class_id:
            per_class[class_id][0] += hit
            per_class[class_id][1] += 1
    session_counts = dict(
        StudySession.objects.filter(enterprise_id__in=enterprise_ids, held_on__gte=first, held_on__lte=last)
        .values_list("work_class_id")
        .annotate(n=Count("pk"))
    )
    classes = WorkClass.objects.filter(enterprise_id__in=enterprise_ids, is_active=True).select_related(
        "enterprise"
    )
    names = dict(enterprises.values_list("pk", "name"))
    return {
        "month": f"{month:%Y-%m}",
        "enterprises": [
            {"enterprise": pk, "name": names[pk], **proportion(*per_enterprise.get(pk, [0, 0]))}
            for pk in enterprise_ids
        ],
        "classes": [
            {
                "class": c.pk,
                "name": c.name,
                "enterprise": c.enterprise_id,
                "enterprise_name": c.enterprise.name,
                "sessions": session_counts.get(c.pk, 0),
                **proportion(*per_class.get(c.pk, [0, 0])),
            }
            for c in classes
        ],
    }


# ---------------------------------------------------------------- rankings and trend


def _ranked(rows: list[dict], key: str, *, reverse_order: bool = True) -> list[dict]:
    """Competition ranking (1, 2, 2, 4) on ``key``; rows without a value come last, unranked."""
    valued = sorted((r for r in rows if r[key] is not None), key=lambda r: r[key], reverse=reverse_order)
    rank, previous = 0, object()
    for index, row in enumerate(valued, start=1):
        if row[key] != previous:
            rank, previous = index, row[key]
        row["rank"] = rank
    rest = [dict(r, rank=None) for r in rows if r[key] is None]
    return valued + rest


def _submitted(user, month: date, station=None) -> QuerySet[Pairing]:
    qs = Pairing.objects.filter(round__month=month, submitted_at__isnull=False)
    scoped = _by_enterprise(WorkClass.objects.all(), user).values("pk")
    qs = qs.filter(evaluated__in=scoped)
    if station is not None:
        qs = qs.filter(evaluated__enterprise__station=station)
    return qs


def class_ranking(*, user, month: date, station=None, enterprise=None) -> list[dict]:
    """Classes of the user's scope ranked by the score their evaluator gave them in ``month``."""
    qs = _submitted(user, month, station).select_related("evaluated__enterprise", "evaluator")
    if enterprise is not None:
        qs = qs.filter(evaluated__enterprise=enterprise)
    rows = [
        {
            "class": p.evaluated_id,
            "name": p.evaluated.name,
            "enterprise": p.evaluated.enterprise_id,
            "enterprise_name": p.evaluated.enterprise.name,
            "evaluator": p.evaluator.name,
            "score": float(p.total),
        }
        for p in qs
    ]
    return _ranked(rows, "score")


def _enterprise_scores(user, months: list[date], station=None) -> dict[tuple, tuple[Decimal, int]]:
    qs = (
        Pairing.objects.filter(round__month__in=months, submitted_at__isnull=False)
        .filter(evaluated__in=_by_enterprise(WorkClass.objects.all(), user).values("pk"))
        .values("round__month", "evaluated__enterprise")
        .annotate(total=Sum("total"), n=Count("pk"))
    )
    if station is not None:
        qs = qs.filter(evaluated__enterprise__station=station)
    return {(r["round__month"], r["evaluated__enterprise"]): (r["total"], r["n"]) for r in qs}


def enterprise_ranking(*, user, month: date, station=None) -> list[dict]:
    """Enterprises ranked by the mean score of their evaluated classes in ``month``, with the change
    from the previous month."""
    previous = date(*add_months(month.year, month.month, -1), 1)
    scores = _enterprise_scores(user, [month, previous], station)
    enterprises = enterprise_list(user=user)
    if station is not None:
        enterprises = enterprises.filter(station=station)
    ids = {e for (_m, e) in scores}
    rows = []
    for enterprise in enterprises.filter(pk__in=ids):
        now = scores.get((month, enterprise.pk))
        before = scores.get((previous, enterprise.pk))
        score = round(float(now[0] / now[1]), 2) if now else None
        before_score = round(float(before[0] / before[1]), 2) if before else None
        rows.append(
            {
                "enterprise": enterprise.pk,
                "name": enterprise.name,
                "station": enterprise.station.code,
                "station_name": enterprise.station.name,  # what pages and workbooks show
                "is_above_size": enterprise.is_above_size,
                "classes_scored": now[1] if now else 0,
                "score": score,
                "previous_score": before_score,
                "change": round(score - before_score, 2)
                if score is not None and before_score is not None
                else None,
            }
        )
    return _ranked(rows, "score")


def evaluation_trend(*, user, end_month: date, months: int = 6, enterprise=None, station=None) -> list[dict]:
    """Mean class score per month (of the scope, or of one enterprise) with its month-over-month change."""
    month_list = [
        date(*add_months(end_month.year, end_month.month, -i), 1) for i in range(months - 1, -1, -1)
    ]
    qs = Pairing.objects.filter(round__month__in=month_list, submitted_at__isnull=False).filter(
        evaluated__in=_by_enterprise(WorkClass.objects.all(), user).values("pk")
    )
    if enterprise is not None:
        qs = qs.filter(evaluated__enterprise=enterprise)
    if station is not None:
        qs = qs.filter(evaluated__enterprise__station=station)
    agg = {
        r["round__month"]: r for r in qs.values("round__month").annotate(total=Sum("total"), n=Count("pk"))
    }
    result, previous = [], None
    for month in month_list:
        row = agg.get(month)
        score = round(float(row["total"] / row["n"]), 2) if row else None
        result.append(
            {
                "month": f"{month:%Y-%m}",
                "score": score,
                "classes_scored": row["n"] if row else 0,
                "change": round(score - previous, 2) if score is not None and previous is not None else None,
            }
        )
        previous = score
    return result


# ---------------------------------------------------------------- letters


def valid_letter_enterprise_ids(day: date) -> QuerySet:
    return ResponsibilityLetter.objects.filter(signed_on__lte=day, valid_until__gte=day).values(
        "enterprise_id"
    )


def enterprises_missing_letter(*, user, day: date | None = None) -> QuerySet[Enterprise]:
    """Above-size enterprises of the scope without a letter valid on ``day`` (today by default)."""
    day = day or today_local()
    return (
        enterprise_list(user=user).filter(is_above_size=True).exclude(pk__in=valid_letter_enterprise_ids(day))
    )


def letters_summary(*, user, day: date | None = None, station=None) -> dict:
    """Dashboard: enterprises with a valid letter, and above-size ones without (with counts)."""
    day = day or today_local()
    enterprises = enterprise_list(user=user)
    if station is not None:
        enterprises = enterprises.filter(station=station)
    valid = Q(pk__in=valid_letter_enterprise_ids(day))
    agg = enterprises.aggregate(
        n=Count("pk"),
        signed=Count("pk", filter=valid),
        above=Count("pk", filter=Q(is_above_size=True)),
        above_signed=Count("pk", filter=Q(is_above_size=True) & valid),
    )
    above_total, above_signed = agg["above"], agg["above_signed"]
    return {
        "enterprises": agg["n"],
        "signed": agg["signed"],
        "above_size": above_total,
        "above_size_signed": above_signed,
        "above_size_missing": above_total - above_signed,
        "above_size_signed_rate": rate(above_signed, above_total),
    }


def enterprise_status(*, user, enterprise: Enterprise, day: date | None = None) -> dict:
    """One enterprise at a glance (the liaison's portal): a letter valid on ``day``, and this month's
    employee coverage row (None outside the caller's scope)."""
    day = day or today_local()
    rows = coverage(user=user, month=day.replace(day=1), enterprise=enterprise)["enterprises"]
    return {
        "letter": valid_letter_enterprise_ids(day).filter(enterprise=enterprise).exists(),
        "coverage": next((row for row in rows if row["enterprise"] == enterprise.pk), None),
    }


# ---------------------------------------------------------------- sessions summary (dashboard)


def sessions_summary(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Dashboard: study sessions in a period by kind, and distinct employees reached."""
    # session_list's scope without its list annotations (an attendee join per row)
    qs = _by_enterprise(StudySession.objects.all(), user).filter(held_on__gte=date_from, held_on__lte=date_to)
    if station is not None:
        qs = qs.filter(enterprise__station=station)
    by_kind = dict(qs.order_by().values_list("kind").annotate(n=Count("pk")))
    reached = (
        StudySession.attendees.through.objects.filter(studysession__in=qs.values("pk"))
        .values("employee_id")
        .distinct()
        .count()
    )
    return {"sessions": sum(by_kind.values()), "by_kind": by_kind, "employees_reached": reached}


# ---------------------------------------------------------------- victims


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _per_thousand(victims: int, employees: int) -> float | None:
    return round(victims * 1000 / employees, 2) if employees else None


def victims_yoy(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Victims in the period against the same period a year before (counts, exact test of ``compare_counts``), total and
    for above-size enterprises vs the rest."""
    qs = victim_list(user=user)
    if station is not None:
        qs = qs.filter(enterprise__station=station)
    last_from, last_to = _shift_year(date_from, -1), _shift_year(date_to, -1)
    days = {"exposure_now": (date_to - date_from).days + 1, "exposure_before": (last_to - last_from).days + 1}
    now_q = Q(occurred_on__gte=date_from, occurred_on__lte=date_to)
    before_q = Q(occurred_on__gte=last_from, occurred_on__lte=last_to)
    # both periods and the amount in one grouped pass (above-size or not)
    rows = {
        above: (now, before, amount)
        for above, now, before, amount in qs.filter(now_q | before_q)
        .order_by()
        .values_list("enterprise__is_above_size")
        .annotate(
            now=Count("pk", filter=now_q),
            before=Count("pk", filter=before_q),
            amount=Sum("amount_lost", filter=now_q),
        )
    }
    now_above, before_above, amount_above = rows.get(True, (0, 0, None))
    now_rest, before_rest, amount_rest = rows.get(False, (0, 0, None))
    enterprises = enterprise_list(user=user)
    if station is not None:
        enterprises = enterprises.filter(station=station)
    employees = dict(enterprises.order_by().values_list("is_above_size").annotate(n=Sum("employee_count")))
    amount = (amount_above or Decimal(0)) + (amount_rest or Decimal(0))
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "victims": compare_counts(now_above + now_rest, before_above + before_rest, **days),
        "amount_lost": float(amount),
        "above_size": {
            **compare_counts(now_above, before_above, **days),
            "employees": employees.get(True) or 0,
            "per_1000": _per_thousand(now_above, employees.get(True) or 0),
        },
        "rest": {
            **compare_counts(now_rest, before_rest, **days),
            "employees": employees.get(False) or 0,
            "per_1000": _per_thousand(now_rest, employees.get(False) or 0),
        },
    }


def victims_by_enterprise(*, user, date_from: date, date_to: date, station=None) -> list[dict]:
    """Enterprises ranked by victims per 1,000 employees (fewest first), with YoY and the mean
    evaluation score of the period's months and its own rank."""
    last_from, last_to = _shift_year(date_from, -1), _shift_year(date_to, -1)
    days = {"exposure_now": (date_to - date_from).days + 1, "exposure_before": (last_to - last_from).days + 1}
    enterprises = enterprise_list(user=user)
    if station is not None:
        enterprises = enterprises.filter(station=station)
    enterprises = enterprises.annotate(
        victims_now=Count(
            "af_victims", filter=Q(af_victims__occurred_on__range=(date_from, date_to)), distinct=True
        ),
        victims_before=Count(
            "af_victims", filter=Q(af_victims__occurred_on__range=(last_from, last_to)), distinct=True
        ),
        amount=Sum("af_victims__amount_lost", filter=Q(af_victims__occurred_on__range=(date_from, date_to))),
    )
    months = []
    cursor = date_from.replace(day=1)
    while cursor <= date_to and len(months) < 120:
        months.append(cursor)
        cursor = date(*add_months(cursor.year, cursor.month, 1), 1)
    scores: dict = defaultdict(lambda: [Decimal(0), 0])
    for (_m, enterprise_id), (total, n) in _enterprise_scores(user, months, station).items():
        scores[enterprise_id][0] += total
        scores[enterprise_id][1] += n
    rows = []
    for e in enterprises:
        total, n = scores.get(e.pk, (None, 0))
        rows.append(
            {
                "enterprise": e.pk,
                "name": e.name,
                "station": e.station.code,
                "is_above_size": e.is_above_size,
                "employees": e.employee_count,
                "victims": compare_counts(e.victims_now, e.victims_before, **days),
                "amount_lost": float(e.amount or 0),
                "per_1000": _per_thousand(e.victims_now, e.employee_count),
                "score": round(float(total / n), 2) if n else None,
            }
        )
    by_score = {r["enterprise"]: r["rank"] for r in _ranked([dict(r) for r in rows], "score")}
    for row in rows:
        row["score_rank"] = by_score.get(row["enterprise"])
    return _ranked(rows, "per_1000", reverse_order=False)


# ---------------------------------------------------------------- workbench


def workbench_panel(*, user) -> dict | None:
    """Liaisons: this month's scoring still to do; officers: above-size enterprises without a letter."""
    if not user.is_authenticated:
        return None
    if user.role == Role.LIAISON:
        month = today_local().replace(day=1)
        todo = pairing_list(user=user).filter(
            round__month=month, submitted_at__isnull=True, evaluator__enterprise=user.enterprise_id
        )
        url = reverse("antifraud:scoring", args=[user.enterprise_id])
        return {
            "title": _("反诈班组互评"),
            "url": url,
            "rows": [
                {"label": f"{p.evaluator.name} → {p.evaluated.name}", "url": url, "note": _("待评分")}
                for p in todo[:5]
            ],
            "empty": _("本月互评已全部完成。"),
        }
    if user.role in (Role.OFFICER, Role.STATION_LEADER) or user.role in LEADER_ROLES:
        missing = enterprises_missing_letter(user=user)[:5]
        return {
            "title": _("规上企业未签反诈责任书"),
            "url": reverse("antifraud:letters_missing"),
            "rows": [
                {"label": e.name, "url": reverse("antifraud:enterprise", args=[e.pk]), "note": e.station.name}
                for e in missing
            ],
            "empty": _("辖区规上企业均已签订有效责任书。"),
        }
    return None
