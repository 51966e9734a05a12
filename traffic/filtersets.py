import django_filters
from django.utils.translation import gettext_lazy as _

from qianwan.filtering import YesNoSelect

from .choices import AccidentStatus, AccidentType, AssetKind, AssetStatus, MaintenanceStatus, PatrolKind
from .models import Accident, Asset, JointPatrol, Patrol, Shift


class _ZoneFilter(django_filters.CharFilter):
    """``zone=CODE``; ``zone=none`` selects records outside every zone."""

    def filter(self, qs, value):
        if not value:
            return qs
        if value == "none":
            return qs.filter(zone__isnull=True)
        return qs.filter(zone__code=value)


class ShiftFilter(django_filters.FilterSet):
    zone = _ZoneFilter(label=_("巡区代码"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("队伍"))
    starts_after = django_filters.IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt", label=_("晚于"))
    starts_before = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", label=_("早于")
    )

    class Meta:
        model = Shift
        fields = ["zone", "team"]


class AssetFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AssetKind.choices, label=_("类型"))
    status = django_filters.ChoiceFilter(choices=AssetStatus.choices, label=_("状态"))
    maintenance_status = django_filters.ChoiceFilter(choices=MaintenanceStatus.choices, label=_("维护状态"))
    zone = _ZoneFilter(label=_("巡区代码"))

    class Meta:
        model = Asset
        fields = ["kind", "status", "maintenance_status", "zone"]


class PatrolFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PatrolKind.choices, label=_("类型"))
    zone = _ZoneFilter(label=_("巡区代码"))
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("专项行动"))
    started_after = django_filters.DateFilter(
        field_name="started_at__date", lookup_expr="gte", label=_("开始日期起")
    )
    started_before = django_filters.DateFilter(
        field_name="started_at__date", lookup_expr="lte", label=_("开始日期止")
    )

    class Meta:
        model = Patrol
        fields = ["kind", "zone", "campaign"]


class JointPatrolFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("日期起"))
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("日期止"))

    class Meta:
        model = JointPatrol
        fields = ["station"]


class AccidentFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    zone = _ZoneFilter(label=_("巡区代码（none=区外）"))
    type = django_filters.ChoiceFilter(choices=AccidentType.choices, label=_("事故类型"))
    status = django_filters.ChoiceFilter(choices=AccidentStatus.choices, label=_("状态"))
    major = django_filters.BooleanFilter(
        widget=YesNoSelect, method="filter_major", label=_("较大事故（≥3人死亡）")
    )
    occurred_after = django_filters.DateFilter(
        field_name="occurred_at__date", lookup_expr="gte", label=_("日期起")
    )
    occurred_before = django_filters.DateFilter(
        field_name="occurred_at__date", lookup_expr="lte", label=_("日期止")
    )

    class Meta:
        model = Accident
        fields = ["station", "zone", "type", "status"]

    def filter_major(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(deaths__gte=3) if value else qs.filter(deaths__lt=3)
