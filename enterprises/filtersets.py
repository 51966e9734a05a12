"""Filters shared by the API and the HTML list pages.

``from``/``to`` are local (Asia/Shanghai) dates, inclusive, like every period in the contract.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qianwan.filtering import YesNoSelect
from qianwan.kpi import local_day_range

from .choices import (
    ImportStatus,
    MemberKind,
    Partner,
    ReferralStatus,
    RequestChannel,
    RequestStatus,
    ResponseStatus,
    VisitKind,
)
from .models import (
    Alliance,
    Enterprise,
    FirstResponse,
    ImportJob,
    Lecture,
    Referral,
    ServiceRequest,
    ServiceVisit,
    WatchCall,
)


def _with_period(filterset_class, field: str, *, is_date: bool = False):
    """Add ``from``/``to`` (local dates, inclusive) on ``field`` to a FilterSet class."""

    def after(qs, name, value):
        if is_date:
            return qs.filter(**{f"{field}__gte": value})
        return qs.filter(**{f"{field}__gte": local_day_range(value, value)[0]})

    def before(qs, name, value):
        if is_date:
            return qs.filter(**{f"{field}__lte": value})
        return qs.filter(**{f"{field}__lt": local_day_range(value, value)[1]})

    filterset_class.base_filters["from"] = django_filters.DateFilter(
        method=after, label=_("起始日期"), help_text="YYYY-MM-DD (Asia/Shanghai), inclusive"
    )
    filterset_class.base_filters["to"] = django_filters.DateFilter(
        method=before, label=_("截止日期"), help_text="YYYY-MM-DD (Asia/Shanghai), inclusive"
    )
    return filterset_class


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("名称或信用代码"))
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    kind = django_filters.ChoiceFilter(choices=MemberKind.choices, label=_("类型"))
    is_above_size = django_filters.BooleanFilter(widget=YesNoSelect, label=_("规上企业"))
    industry = django_filters.CharFilter(lookup_expr="icontains", label=_("行业"))
    in_alliance = django_filters.BooleanFilter(
        widget=YesNoSelect,
        field_name="alliance_membership",
        lookup_expr="isnull",
        exclude=True,
        label=_("已加入联盟"),
    )

    class Meta:
        model = Enterprise
        fields = ["q", "station", "kind", "is_above_size", "industry", "in_alliance"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(credit_code__icontains=value.upper()))


class ImportJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices)

    class Meta:
        model = ImportJob
        fields = ["status"]


class ServiceRequestFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("企业"))
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices, label=_("状态"))
    service_type = django_filters.CharFilter(field_name="service_type__code", label=_("服务项目"))
    channel = django_filters.ChoiceFilter(choices=RequestChannel.choices, label=_("来源"))
    assigned_officer = django_filters.NumberFilter(field_name="assigned_officer_id", label=_("承办民警"))

    class Meta:
        model = ServiceRequest
        fields = ["station", "enterprise", "status", "service_type", "channel", "assigned_officer"]


_with_period(ServiceRequestFilter, "requested_at")


class VisitFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("企业"))
    service_type = django_filters.CharFilter(field_name="service_type__code", label=_("服务项目"))
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices, label=_("类型"))
    request = django_filters.NumberFilter(field_name="request_id", label=_("服务需求"))

    class Meta:
        model = ServiceVisit
        fields = ["station", "enterprise", "service_type", "kind", "request"]


_with_period(VisitFilter, "visited_at")


class ReferralFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("企业"))
    partner = django_filters.ChoiceFilter(choices=Partner.choices, label=_("联动单位"))
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices, label=_("状态"))

    class Meta:
        model = Referral
        fields = ["station", "enterprise", "partner", "status"]


_with_period(ReferralFilter, "referred_at")


class LectureFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    team = django_filters.CharFilter(field_name="team__code", label=_("宣讲团队"))
    enterprise = django_filters.NumberFilter(field_name="enterprises", label=_("企业"))

    class Meta:
        model = Lecture
        fields = ["station", "team", "enterprise"]


_with_period(LectureFilter, "held_on", is_date=True)


class AllianceFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("名称"))
    is_active = django_filters.BooleanFilter(widget=YesNoSelect, label=_("启用"))

    class Meta:
        model = Alliance
        fields = ["station", "q", "is_active"]


class WatchCallFilter(django_filters.FilterSet):
    alliance = django_filters.NumberFilter(field_name="alliance_id", label=_("联盟"))

    class Meta:
        model = WatchCall
        fields = ["alliance"]


_with_period(WatchCallFilter, "requested_at")


class FirstResponseFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    alliance = django_filters.NumberFilter(field_name="alliance_id", label=_("联盟"))
    member = django_filters.NumberFilter(field_name="member_id", label=_("成员单位"))
    status = django_filters.ChoiceFilter(choices=ResponseStatus.choices, label=_("状态"))

    class Meta:
        model = FirstResponse
        fields = ["station", "alliance", "member", "status"]


_with_period(FirstResponseFilter, "occurred_at")
