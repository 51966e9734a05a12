import django_filters

from .choices import InboundStatus, OutboundKind, OutboundStatus, Source
from .models import InboundEvent, OutboundEvent


class InboundEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InboundStatus.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    station = django_filters.CharFilter(field_name="station__code")

    class Meta:
        model = InboundEvent
        fields = ["status", "source", "station"]


class OutboundEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboundStatus.choices)
    target = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=OutboundKind.choices)
    station = django_filters.CharFilter(field_name="station__code")

    class Meta:
        model = OutboundEvent
        fields = ["status", "target", "kind", "station"]
