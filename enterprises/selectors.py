"""Reads of the police–enterprise–community platform: scoped lists, KPIs, dashboard building blocks.

Every list starts from :func:`qianwan.org.scopes.scope_queryset`: officers and station leaders see
their station's records, a liaison their own enterprise's, bureau leaders and admins everything.
The KPI functions are what the leaders' dashboard reuses.
"""

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from qianwan.kpi import local_day_range, nearest_rank, proportion
from qianwan.org.choices import Role
from qianwan.org.scopes import scope_queryset

from .choices import RequestStatus, ResponseStatus
from .models import (
    Alliance,
    AllianceMember,
    Enterprise,
    FirstResponse,
    ImportJob,
    Lecture,
    LecturerTeam,
    Referral,
    ServiceRequest,
    ServiceType,
    ServiceVisit,
    WatchCall,
)

# --- lists -------------------------------------------------------------------------------------


def enterprise_list(*, user) -> QuerySet[Enterprise]:
    """Enterprises and shops the user may see (a liaison: their own enterprise only)."""
    return scope_queryset(Enterprise.objects.select_related("station"), user, enterprise_field="pk")


def import_job_list(*, user) -> QuerySet[ImportJob]:
    """Import jobs started by people of the user's station (leaders of the bureau: all)."""
    qs = ImportJob.objects.select_related("created_by", "station")
    return scope_queryset(qs, user, station_field="created_by__station")


def service_type_list(*, user) -> QuerySet[ServiceType]:
    """The 17 services: reference data for every signed-in staff member and liaison."""
    if not user.is_authenticated or user.role == Role.GRID_CLIENT:
        return ServiceType.objects.none()
    return ServiceType.objects.all()


def lecturer_team_list(*, user) -> QuerySet[LecturerTeam]:
    """The 5 lecturer teams: reference data like the service types."""
    if not user.is_authenticated or user.role == Role.GRID_CLIENT:
        return LecturerTeam.objects.none()
    return LecturerTeam.objects.all()


def service_request_list(*, user) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.select_related(
        "enterprise",
        "station",
        "service_type",
        "requested_by",
        "assigned_officer",
        "assigned_team",
        "feedback_by",
    )
    return scope_queryset(qs, user, enterprise_field="enterprise")


def visit_list(*, user) -> QuerySet[ServiceVisit]:
    qs = ServiceVisit.objects.select_related(
        "enterprise", "station", "service_type", "request", "created_by"
    ).prefetch_related("officers")
    return scope_queryset(qs, user, enterprise_field="enterprise")


def referral_list(*, user) -> QuerySet[Referral]:
    qs = Referral.objects.select_related("enterprise", "station", "request", "created_by")
    return scope_queryset(qs, user, enterprise_field="enterprise")


def lecture_list(*, user) -> QuerySet[Lecture]:
    qs = Lecture.objects.select_related("team", "station", "created_by").prefetch_related(
        Prefetch("enterprises", queryset=Enterprise.objects.only("id", "name"))
    )
    # each enterprise appears once per lecture, so the liaison's join cannot duplicate rows
    return scope_queryset(qs, user, enterprise_field="enterprises")


def alliance_list(*, user) -> QuerySet[Alliance]:
    """Alliances in scope; a liaison sees the alliance their enterprise belongs to."""
    qs = (
        Alliance.objects.select_related("station", "leader_member", "size_override_by")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=AllianceMember.objects.select_related("enterprise").order_by("id"),
            )
        )
        .annotate(member_count=Count("memberships", distinct=True))
        # Meta.ordering is ignored once a query groups by, so order explicitly (stable pages)
        .order_by("station__code", "name")
    )
    return scope_queryset(qs, user, enterprise_field="memberships__enterprise")


def watch_call_list(*, user) -> QuerySet[WatchCall]:
    qs = WatchCall.objects.select_related("alliance", "alliance__station", "requested_by", "incident")
    return scope_queryset(
        qs, user, station_field="alliance__station", enterprise_field="alliance__memberships__enterprise"
    )


def first_response_list(*, user) -> QuerySet[FirstResponse]:
    """First-response logs; a liaison sees the ones their enterprise reported."""
    qs = FirstResponse.objects.select_related(
        "alliance", "station", "member", "incident", "call", "reported_by", "confirmed_by"
    )
    return scope_queryset(qs, user, enterprise_field="member")


def member_liaisons(alliance: Alliance):
    """Active liaison users of the alliance's member enterprises (who a first-response call reaches)."""
    from qianwan.org.models import User

    return User.objects.filter(
        role=Role.LIAISON,
        is_active=True,
        enterprise__alliance_membership__alliance=alliance,
    )


# --- KPIs (per station and local-date period) ----------------------------------------------------


def _in_station(qs, station, field="station"):
    return qs.filter(**{field: station}) if station is not None else qs


def visits_count(*, user, date_from: date, date_to: date, station=None) -> int:
    """Visits and service records made in the period."""
    start, end = local_day_range(date_from, date_to)
    qs = scope_queryset(ServiceVisit.objects.all(), user, enterprise_field="enterprise")
    return _in_station(qs, station).filter(visited_at__gte=start, visited_at__lt=end).count()


def services_by_type(*, user, date_from: date, date_to: date, station=None) -> list[dict]:
    """Service records in the period per catalogue service (every active type listed, zeros included)."""
    start, end = local_day_range(date_from, date_to)
    visits = scope_queryset(ServiceVisit.objects.all(), user, enterprise_field="enterprise")
    visits = _in_station(visits, station).filter(visited_at__gte=start, visited_at__lt=end)
    counts = dict(
        visits.filter(service_type__isnull=False)
        .values_list("service_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    requests = scope_queryset(ServiceRequest.objects.all(), user, enterprise_field="enterprise")
    requests = _in_station(requests, station).filter(requested_at__gte=start, requested_at__lt=end)
    requested = dict(requests.values_list("service_type").annotate(n=Count("id")).order_by())
    return [
        {
            "service_type": t.pk,
            "code": t.code,
            "name": t.name,
            "services": counts.get(t.pk, 0),
            "requests": requested.get(t.pk, 0),
        }
        for t in ServiceType.objects.filter(Q(is_active=True) | Q(pk__in=[*counts, *requested]))
    ]


def lecture_totals(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Lectures held in the period and the audience they reached."""
    qs = scope_queryset(Lecture.objects.all(), user, enterprise_field="enterprises")
    qs = _in_station(qs, station).filter(held_on__gte=date_from, held_on__lte=date_to)
    # a liaison's join over enterprises is one row per lecture, so the sum is not inflated
    totals = qs.aggregate(lectures=Count("id"), audience=Sum("audience_count"))
    return {"lectures": totals["lectures"], "audience": totals["audience"] or 0}


def satisfaction(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Share of feedbacks given in the period that were 'satisfied', with counts, 95% Wilson interval
    and the mean score."""
    start, end = local_day_range(date_from, date_to)
    qs = scope_queryset(ServiceRequest.objects.all(), user, enterprise_field="enterprise")
    qs = _in_station(qs, station).filter(feedback_at__gte=start, feedback_at__lt=end)
    row = qs.aggregate(
        n=Count("id"),
        satisfied=Count("id", filter=Q(satisfied=True)),
        score_sum=Sum("score"),
    )
    result = proportion(row["satisfied"], row["n"])
    result["mean_score"] = round(row["score_sum"] / row["n"], 2) if row["n"] else None
    return result


def response_time(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Request → first visit, over requests made in the period: nearest-rank P50/P90 in seconds,
    and how many requests are still waiting for their first visit."""
    start, end = local_day_range(date_from, date_to)
    qs = scope_queryset(ServiceRequest.objects.all(), user, enterprise_field="enterprise")
    qs = _in_station(qs, station).filter(requested_at__gte=start, requested_at__lt=end)
    qs = qs.exclude(status=RequestStatus.CANCELLED)
    pairs = list(qs.filter(first_visit_at__isnull=False).values_list("requested_at", "first_visit_at"))
    seconds = sorted(max(0, int((v - r).total_seconds())) for r, v in pairs)
    return {
        "n": len(seconds),
        "waiting": qs.filter(first_visit_at__isnull=True).count(),
        "p50_seconds": nearest_rank(seconds, 0.5),
        "p90_seconds": nearest_rank(seconds, 0.9),
    }


def alliance_response_counts(*, user, date_from: date, date_to: date, station=None) -> list[dict]:
    """Confirmed first responses per alliance in the period (plus those still awaiting confirmation)."""
    start, end = local_day_range(date_from, date_to)
    in_period = Q(responses__occurred_at__gte=start, responses__occurred_at__lt=end)
    qs = scope_queryset(
        Alliance.objects.select_related("station"), user, enterprise_field="memberships__enterprise"
    )
    qs = _in_station(qs, station).annotate(
        confirmed=Count(
            "responses", filter=in_period & Q(responses__status=ResponseStatus.CONFIRMED), distinct=True
        ),
        reported=Count(
            "responses", filter=in_period & Q(responses__status=ResponseStatus.REPORTED), distinct=True
        ),
    )
    return [
        {
            "alliance": a.pk,
            "name": a.name,
            "station": a.station.code,
            "confirmed": a.confirmed,
            "awaiting_confirmation": a.reported,
        }
        for a in qs.order_by("station__code", "name")
    ]


def watch_kpis(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Neighbourhood-watch figures: alliances, members, calls, confirmed first responses per alliance."""
    start, end = local_day_range(date_from, date_to)
    per_alliance = alliance_response_counts(user=user, date_from=date_from, date_to=date_to, station=station)
    calls = _in_station(watch_call_list(user=user), station, "alliance__station").filter(
        requested_at__gte=start, requested_at__lt=end
    )
    members = AllianceMember.objects.filter(alliance__in=[a["alliance"] for a in per_alliance]).count()
    return {
        "alliances": len(per_alliance),
        "members": members,
        "calls": calls.count(),
        "confirmed_responses": sum(a["confirmed"] for a in per_alliance),
        "awaiting_confirmation": sum(a["awaiting_confirmation"] for a in per_alliance),
        "per_alliance": per_alliance,
    }


def service_kpis(*, user, date_from: date, date_to: date, station=None) -> dict:
    """All service figures of a station and period (the report's 210+ visits, 25 lectures,
    10,000+ audience, 98.6% satisfaction), each with its counts."""
    kwargs = {"user": user, "date_from": date_from, "date_to": date_to, "station": station}
    start, end = local_day_range(date_from, date_to)
    requests = _in_station(service_request_list(user=user), station).filter(
        requested_at__gte=start, requested_at__lt=end
    )
    referrals = _in_station(referral_list(user=user), station).filter(
        referred_at__gte=start, referred_at__lt=end
    )
    lectures = lecture_totals(**kwargs)
    return {
        "visits": visits_count(**kwargs),
        "requests": requests.count(),
        "referrals": referrals.count(),
        "lectures": lectures["lectures"],
        "audience": lectures["audience"],
        "services_by_type": services_by_type(**kwargs),
        "satisfaction": satisfaction(**kwargs),
        "response_time": response_time(**kwargs),
    }


# --- workbench ---------------------------------------------------------------------------------


def workbench_panel(*, user) -> dict | None:
    """Officers: requests waiting for a visit; liaisons: their requests waiting for feedback."""
    if not user.is_authenticated or user.role == Role.GRID_CLIENT:
        return None
    if user.role == Role.LIAISON:
        qs = service_request_list(user=user).filter(status=RequestStatus.SERVICED)[:5]
        return {
            "title": _("待评价的服务"),
            "url": reverse("enterprises:index"),
            "rows": [
                {
                    "label": str(r.service_type),
                    "url": reverse("enterprises:request_detail", args=[r.pk]),
                    "note": r.requested_at.strftime("%Y-%m-%d"),
                }
                for r in qs
            ],
            "empty": _("没有待评价的服务。"),
        }
    qs = service_request_list(user=user).filter(status__in=[RequestStatus.REQUESTED, RequestStatus.ASSIGNED])[
        :5
    ]
    return {
        "title": _("待上门的企业服务需求"),
        "url": reverse("enterprises:request_list"),
        "rows": [
            {
                "label": f"{r.enterprise} · {r.service_type}",
                "url": reverse("enterprises:request_detail", args=[r.pk]),
                "note": r.get_status_display(),
            }
            for r in qs
        ],
        "empty": _("没有待上门的服务需求。"),
    }
