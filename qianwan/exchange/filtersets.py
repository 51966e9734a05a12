from datetime import date

import django_filters
from django.utils.translation import gettext_lazy as _

from qianwan.filtering import YesNoSelect
from qianwan.kpi import local_day_range

from .choices import InboundStatus, OutboundKind, OutboundStatus, Source
from .models import InboundEvent, OutboundEvent


class InboundEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InboundStatus.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    station = django_filters.CharFilter(field_name="station__code")
    created_after = django_filters.DateFilter(label=_("接收日期起"), method="_after")
    created_before = django_filters.DateFilter(label=_("接收日期止"), method="_before")
    # the bureau's triage queue: events without a station (no location), waiting to be assigned
    triage = django_filters.BooleanFilter(
        widget=YesNoSelect, label=_("待分派（无所属派出所）"), method="_triage"
    )

    class Meta:
        model = InboundEvent
        fields = ["status", "source", "station", "created_after", "created_before", "triage"]

    def _triage(self, qs, name, value: bool):
        return qs.filter(station__isnull=value)

    def _after(self, qs, name, value: date):
        return qs.filter(created_at__gte=local_day_range(value, value)[0])

    def _before(self, qs, name, value: date):
        return qs.filter(created_at__lt=local_day_range(value, value)[1])


class OutboundEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboundStatus.choices)
    target = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=OutboundKind.choices)
    station = django_filters.CharFilter(field_name="station__code")

    class Meta:
        model = OutboundEvent
        fields = ["status", "target", "kind", "station"]


class ReferralFilter(django_filters.FilterSet):
    """The page of the police's referrals (what the exchange KPI's ``outbound`` counts): kind, status,
    station and the local dates they were created (inclusive)."""

    kind = django_filters.ChoiceFilter(label=_("类型"), choices=[])
    status = django_filters.ChoiceFilter(label=_("对方回执"), choices=OutboundStatus.choices)
    station = django_filters.CharFilter(label=_("派出所"), field_name="station__code")
    created_after = django_filters.DateFilter(label=_("推送日期起"), method="_after")
    created_before = django_filters.DateFilter(label=_("推送日期止"), method="_before")

    class Meta:
        model = OutboundEvent
        fields = ["kind", "status", "station", "created_after", "created_before"]

    def __init__(self, *args, **kwargs):
        from .selectors import REFERRAL_KINDS

        super().__init__(*args, **kwargs)
        self.filters["kind"].extra["choices"] = [(k.value, k.label) for k in REFERRAL_KINDS]

    def _after(self, qs, name, value: date):
        return qs.filter(created_at__gte=local_day_range(value, value)[0])

    def _before(self, qs, name, value: date):
        return qs.filter(created_at__lt=local_day_range(value, value)[1])
