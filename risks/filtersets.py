"""FilterSets shared by the API and the HTML list pages."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qianwan.filtering import YesNoSelect

from .choices import HAZARD_OPEN_STATUSES, HazardCategory, HazardLevel, HazardStatus, RiskPointStatus
from .models import Hazard, RiskPoint


def overdue_q(now=None) -> Q:
    """Open (or reopened) past the rectification deadline, now."""
    return Q(status__in=HAZARD_OPEN_STATUSES, rectify_by__lt=now or timezone.now())


class HazardFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=HazardStatus.choices)
    level = django_filters.ChoiceFilter(label=_("等级"), choices=HazardLevel.choices)
    category = django_filters.ChoiceFilter(label=_("类别"), choices=HazardCategory.choices)
    station = django_filters.CharFilter(label=_("派出所"), field_name="station__code")
    overdue = django_filters.BooleanFilter(widget=YesNoSelect, label=_("逾期"), method="filter_overdue")
    found_after = django_filters.DateFilter(
        label=_("发现日期起"), field_name="found_at", lookup_expr="date__gte"
    )
    found_before = django_filters.DateFilter(
        label=_("发现日期止"), field_name="found_at", lookup_expr="date__lte"
    )
    q = django_filters.CharFilter(label=_("关键词"), method="filter_q")

    class Meta:
        model = Hazard
        fields = ["status", "level", "category", "station", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(number__icontains=value)
            | Q(address__icontains=value)
            | Q(responsible_party__icontains=value)
        )


class RiskPointFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RiskPointStatus.choices)
    category = django_filters.CharFilter(label=_("警情类别"))
    station = django_filters.CharFilter(label=_("派出所"), field_name="station__code")

    class Meta:
        model = RiskPoint
        fields = ["status", "category", "station"]
