from datetime import datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from qianwan.kpi import local_day_range

from .choices import Category, Channel, RiskLevel, Status
from .models import Block, Dispute
from .selectors import block_list


def _blocks(request):
    """Blocks the caller may see (the API and the pages pass the request)."""
    if request is None:
        return Block.objects.none()
    return block_list(user=request.user)


class DisputeFilter(django_filters.FilterSet):
    """Shared by `GET /api/v1/disputes/` and the dispute list page."""

    station = django_filters.CharFilter(field_name="station__code", label=_("派出所"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("状态"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("纠纷类型"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("风险等级"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("处置机制"))
    block = django_filters.ModelChoiceFilter(queryset=_blocks, label=_("片区"))
    occurred_after = django_filters.CharFilter(
        method="after", label=_("发生时间起"), widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_before = django_filters.CharFilter(
        method="before", label=_("发生时间止"), widget=forms.DateInput(attrs={"type": "date"})
    )
    q = django_filters.CharFilter(method="search", label=_("关键词"))
    o = django_filters.OrderingFilter(
        fields=(
            ("occurred_at", "occurred_at"),
            ("number", "number"),
            ("category", "category"),
            ("risk_level", "risk_level"),
            ("status", "status"),
        ),
        # every choice named in Chinese (django-filter's own "… (descending)" has no zh-hans text)
        field_labels={
            "occurred_at": _("发生时间（从早到晚）"),
            "-occurred_at": _("发生时间（从晚到早）"),
            "number": _("编号（升序）"),
            "-number": _("编号（降序）"),
            "category": _("纠纷类型（升序）"),
            "-category": _("纠纷类型（降序）"),
            "risk_level": _("风险等级（升序）"),
            "-risk_level": _("风险等级（降序）"),
            "status": _("状态（升序）"),
            "-status": _("状态（降序）"),
        },
        label=_("排序"),
    )

    class Meta:
        model = Dispute
        fields = ["station", "status", "category", "risk_level", "channel", "block"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(summary__icontains=value) | Q(address__icontains=value)
        )

    @staticmethod
    def _moment(value: str, *, end: bool) -> datetime:
        """A local date (whole day, inclusive) or an ISO datetime; bad input is a 400, not a 500."""
        value = (value or "").strip()
        try:
            moment = parse_datetime(value)
            day = None if moment else parse_date(value)
        except ValueError:
            moment = day = None
        if moment is not None:
            return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
        if day is None:
            raise ValidationError({"occurred": [_("日期格式应为 YYYY-MM-DD 或 ISO 8601 时间。")]})
        start, stop = local_day_range(day, day)
        return stop - timedelta(microseconds=1) if end else start

    def check_dates(self) -> None:
        """For the page: a bad ``occurred_after``/``occurred_before`` as an error on its own field, before
        filtering (the filter methods check their input only while filtering, under one key)."""
        if not self.is_bound:
            return
        for name, end in (("occurred_after", False), ("occurred_before", True)):
            value = (self.data.get(name) or "").strip()
            if value:
                try:
                    self._moment(value, end=end)
                except ValidationError as exc:
                    self.form.add_error(name, exc.messages)

    def after(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=self._moment(value, end=False)) if value else queryset

    def before(self, queryset, name, value):
        return queryset.filter(occurred_at__lte=self._moment(value, end=True)) if value else queryset
