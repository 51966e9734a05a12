"""The incident filters, shared by the API list and the HTML list (and its Excel export)."""

from datetime import datetime, time

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from qianwan.filtering import YesNoSelect
from qianwan.kpi import local_tz

from .choices import Category, Stage, Status
from .models import Incident
from .selectors import breached_q, missed_q


class DateOrDateTimeField(forms.CharField):
    """A date (local midnight; `received_before` takes the end of that day) or an ISO datetime."""

    def __init__(self, *args, end_of_day=False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        parsed = None
        if len(value.strip()) > 10:  # fromisoformat would also read a bare date as midnight
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=local_tz())
        try:
            day = parse_date(value.strip())
        except ValueError:
            day = None
        if day is None:
            raise forms.ValidationError(_("请输入日期（YYYY-MM-DD）或带时区的时间（ISO 8601）。"))
        return datetime.combine(day, time.max if self.end_of_day else time.min, tzinfo=local_tz())


class DateOrDateTimeFilter(django_filters.Filter):
    """On the page a date picker (the browser's own format, sent as YYYY-MM-DD); the API also takes an
    ISO datetime."""

    field_class = DateOrDateTimeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


class IncidentFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("类别"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("状态"))
    received_after = DateOrDateTimeFilter(field_name="received_at", lookup_expr="gte", label=_("接警起"))
    received_before = DateOrDateTimeFilter(
        field_name="received_at", lookup_expr="lte", label=_("接警止"), end_of_day=True
    )
    sla_breached = django_filters.BooleanFilter(
        widget=YesNoSelect, method="filter_breached", label=_("存在超时环节")
    )
    missed_stage = django_filters.ChoiceFilter(
        choices=Stage.choices, method="filter_missed_stage", label=_("超时环节")
    )
    # a number or its beginning (an index answers it: incident_number_prefix_idx); never a scan of 10M rows
    number = django_filters.CharFilter(field_name="number", lookup_expr="istartswith", label=_("编号"))

    class Meta:
        model = Incident
        fields = [
            "station",
            "category",
            "status",
            "received_after",
            "received_before",
            "sla_breached",
            "missed_stage",
            "number",
        ]

    def filter_breached(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(breached_q()) if value else queryset.exclude(breached_q())

    def filter_missed_stage(self, queryset, name, value):
        """The incidents the stage's KPI counts as misses: done late, or past the limit and not done."""
        return queryset.filter(missed_q(value)) if value else queryset
