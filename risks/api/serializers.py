from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from qianwan.api.fields import ScopedPrimaryKeyRelatedField
from qianwan.attachments.models import Attachment
from qianwan.kpi import local_tz
from qianwan.org.models import Station
from qianwan.references import police_users
from qianwan.validators import validate_phone
from risks import selectors
from risks.choices import HAZARD_OPEN_STATUSES, HazardCategory, HazardLevel, VenueType, WorkPlanStatus
from risks.models import (
    Campaign,
    CampaignOperation,
    Hazard,
    HotspotCell,
    HotspotRun,
    InspectionProblem,
    RiskPoint,
    VenueInspection,
    WorkPlan,
    WorkPlanReview,
)


@extend_schema_field(
    {
        "type": "string",
        "description": "YYYY-MM-DD（当日 23:59:59 截止，Asia/Shanghai）或带时区的 ISO 8601 时间",
        "example": "2026-06-30",
    }
)
class DeadlineField(serializers.Field):
    """A deadline given as a local date (meaning the end of that day) or an ISO 8601 datetime."""

    default_error_messages = {"invalid": _("请使用 YYYY-MM-DD 日期或带时区的 ISO 8601 时间。")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip()
            try:
                day = parse_date(data) if len(data) == 10 else None
                value = None if day else parse_datetime(data)
            except ValueError:
                self.fail("invalid")
            if day is not None:
                return datetime.combine(day, time(23, 59, 59), tzinfo=local_tz())
            if value is not None:
                return value if timezone.is_aware(value) else timezone.make_aware(value, local_tz())
        self.fail("invalid")

    def to_representation(self, value):
        return timezone.localtime(value).isoformat()


class EvidenceSerializer(serializers.ModelSerializer):
    """A hazard's evidence file: an attachment of record ``hazard:ID`` (fields as before the move)."""

    url = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.display_name", default=None)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "note",
            "uploaded_by",
            "uploaded_at",
            "url",
        ]

    def get_url(self, obj) -> str:
        return reverse("risks-api:hazard-evidence-file", args=[obj.record_id, obj.pk])


class HazardSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code")
    overdue = serializers.SerializerMethodField()
    rectify_by = DeadlineField()
    recorded_by_name = serializers.CharField(source="recorded_by.display_name", default=None)

    class Meta:
        model = Hazard
        fields = [
            "id", "number", "title", "category", "level", "station", "address", "lat", "lon",
            "responsible_party", "responsible_contact", "responsible_officer", "found_at", "rectify_by",
            "status", "overdue", "recorded_by", "recorded_by_name", "rectified_at", "rectified_by",
            "rectify_note", "closed_at", "closed_by", "close_note", "reopen_count", "notes", "risk_point",
            "created_at",
        ]  # fmt: skip

    def get_overdue(self, obj) -> bool:
        return obj.status in HAZARD_OPEN_STATUSES and obj.rectify_by < timezone.now()


class HazardDetailSerializer(HazardSerializer):
    evidence = serializers.SerializerMethodField()

    class Meta(HazardSerializer.Meta):
        fields = [*HazardSerializer.Meta.fields, "evidence"]

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, obj) -> list:
        return EvidenceSerializer(selectors.hazard_evidence(obj), many=True).data


class HazardCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=HazardCategory.choices)
    level = serializers.ChoiceField(choices=HazardLevel.choices)
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all(), required=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    address_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="a standard address's code instead of address/lat/lon",
    )
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True, default=None)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True, default=None)
    found_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    rectify_by = DeadlineField()
    responsible_party = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    responsible_contact = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", validators=[validate_phone]
    )
    responsible_officer = ScopedPrimaryKeyRelatedField(
        scope=police_users, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    risk_point = ScopedPrimaryKeyRelatedField(
        scope=selectors.risk_point_list, required=False, allow_null=True, default=None
    )


class NoteAtSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    rectify_by = DeadlineField(required=False, allow_null=True, default=None)


class HandOverSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=20, required=False, default="grid")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class HazardKpiSerializer(serializers.Serializer):
    found = serializers.IntegerField()
    closed = serializers.IntegerField()
    close_rate = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()


# --------------------------------------------------------------------------- early warning


class HotspotCellSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code", default=None)

    class Meta:
        model = HotspotCell
        fields = [
            "h3_index",
            "station",
            "lat",
            "lon",
            "count",
            "previous_count",
            "gi_z",
            "p_value",
            "previous_z",
            "is_hot",
            "trend",
        ]


class HotspotRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = HotspotRun
        fields = [
            "id", "category", "period_start", "period_end", "previous_start", "previous_end", "resolution",
            "status", "incidents", "previous_incidents", "cells", "hot_cells", "created_at",
        ]  # fmt: skip


class HotspotRunRequestSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=30)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)
    days = serializers.IntegerField(required=False, min_value=7, max_value=366, default=28)


class WorkPlanReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkPlanReview
        fields = ["id", "review_on", "done_at", "done_by", "note"]


class WorkPlanSerializer(serializers.ModelSerializer):
    reviews = WorkPlanReviewSerializer(many=True, read_only=True)

    class Meta:
        model = WorkPlan
        fields = ["id", "title", "measures", "owner", "status", "starts_on", "reviews", "created_at"]


class RiskPointSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code")
    work_plan = serializers.SerializerMethodField()

    class Meta:
        model = RiskPoint
        fields = [
            "id", "name", "category", "h3_index", "station", "lat", "lon", "gi_z", "incident_count", "trend",
            "status", "decided_by", "decided_at", "decision_note", "work_plan", "created_at",
        ]  # fmt: skip

    def get_work_plan(self, obj) -> dict | None:
        plan = getattr(obj, "work_plan", None) if self.context.get("with_plan") else None
        return WorkPlanSerializer(plan).data if plan else None


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class WorkPlanCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    measures = serializers.CharField()
    owner = ScopedPrimaryKeyRelatedField(scope=selectors.work_plan_owner_refs)
    starts_on = serializers.DateField()
    review_dates = serializers.ListField(child=serializers.DateField(), allow_empty=True)
    status = serializers.ChoiceField(choices=WorkPlanStatus.choices, default=WorkPlanStatus.ACTIVE)


# --------------------------------------------------------------------------- campaigns


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "starts_on", "ends_on", "description", "created_at"]


class ManualShareSerializer(serializers.Serializer):
    violations = serializers.IntegerField()
    officer_deployments = serializers.IntegerField()


class CampaignSummarySerializer(serializers.Serializer):
    operations = serializers.IntegerField()
    officer_deployments = serializers.IntegerField()
    venues_inspected = serializers.IntegerField()
    distinct_venues = serializers.IntegerField()
    problems_found = serializers.IntegerField()
    problems_rectified = serializers.IntegerField()
    problems_to_hazards = serializers.IntegerField()
    rectified_rate = serializers.FloatField(allow_null=True)
    violations = serializers.IntegerField(
        help_text="violations on the traffic patrols naming the campaign + typed tallies (manual)"
    )
    patrols = serializers.IntegerField(help_text="traffic patrols naming the campaign")
    manual = ManualShareSerializer(help_text="the typed share (手工录入) of each figure, already included")


class OperationSerializer(serializers.ModelSerializer):
    stations = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Station.objects.all(), required=False
    )
    named_officers = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        write_only=True,  # answered as usernames by to_representation
        max_length=500,
        help_text="usernames: the accounts among the people deployed (no more than officers_deployed)",
    )

    class Meta:
        model = CampaignOperation
        fields = ["id", "date", "title", "stations", "zones", "officers_deployed", "named_officers", "note"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["named_officers"] = [u.username for u in instance.named_officers.all()]
        return data


class ProblemSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionProblem
        fields = ["id", "description", "rectified_at", "rectify_note", "hazard"]


class InspectionSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all())
    problems = ProblemSerializer(many=True, read_only=True)

    class Meta:
        model = VenueInspection
        fields = [
            "id",
            "operation",
            "station",
            "venue_name",
            "venue_type",
            "address",
            "lat",
            "lon",
            "inspected_on",
            "note",
            "problems",
        ]


class InspectionCreateSerializer(serializers.Serializer):
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all())
    venue_name = serializers.CharField(max_length=200)
    venue_type = serializers.ChoiceField(choices=VenueType.choices)
    inspected_on = serializers.DateField()
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True, default=None)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    problems = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list
    )
    operation = serializers.PrimaryKeyRelatedField(
        queryset=CampaignOperation.objects.all(), required=False, allow_null=True, default=None
    )


class ViolationsSerializer(serializers.Serializer):
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all())
    date = serializers.DateField()
    count = serializers.IntegerField(min_value=0)
    officers_deployed = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None, help_text="typed head count (手工录入)"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class PromoteSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=HazardCategory.choices)
    level = serializers.ChoiceField(choices=HazardLevel.choices)
    rectify_by = DeadlineField()
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
