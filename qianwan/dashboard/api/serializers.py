import re

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from ..models import MonthlyReport


class ReportRequestSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    station = serializers.CharField(required=False, allow_blank=True, max_length=16)
    rebuild = serializers.BooleanField(required=False, default=False)

    def validate_month(self, value):
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise serializers.ValidationError(_("月份格式应为 YYYY-MM，例如 2026-05。"))
        return int(m.group(1)), int(m.group(2))


class ReportSerializer(serializers.ModelSerializer):
    month = serializers.CharField(source="label")
    station = serializers.CharField(source="station.code", default=None)
    download_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "month",
            "station",
            "scope_key",
            "status",
            "progress",
            "step",
            "error",
            "requested_at",
            "started_at",
            "finished_at",
            "download_url",
            "page_url",
        ]

    def get_download_url(self, obj) -> str | None:
        return reverse("dashboard:report_download", args=[obj.pk]) if obj.status == "done" else None

    def get_page_url(self, obj) -> str:
        return reverse("dashboard:report_detail", args=[obj.pk])
