"""Serializers validate and shape; the services do the work."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from enterprises import selectors
from enterprises.choices import ALLIANCE_MAX_MEMBERS, Partner, ReferralStatus, VisitKind
from enterprises.models import (
    Alliance,
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
from incidents.models import Incident
from qianwan.api.fields import ScopedPrimaryKeyRelatedField
from qianwan.org.choices import STATION_ROLES
from qianwan.org.models import Station, User
from qianwan.org.scopes import scope_queryset


def _user_name(user) -> str | None:
    return user.display_name if user else None


class ServiceUserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class EnterpriseSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all())
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "kind",
            "name",
            "credit_code",
            "station",
            "address",
            "lat",
            "lon",
            "industry",
            "is_above_size",
            "employee_count",
            "contact_name",
            "contact_phone",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # uniqueness is the service's (model) job, so the message is the same on pages and the API
        extra_kwargs = {"credit_code": {"validators": []}}


class ImportJobSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    is_finished = serializers.BooleanField(read_only=True)
    created_by = serializers.CharField(source="created_by.display_name", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "original_name",
            "station",
            "status",
            "total_rows",
            "processed_rows",
            "percent",
            "is_finished",
            "created_count",
            "errors",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx, first sheet, header row as in the template")
    station = serializers.SlugRelatedField(
        slug_field="code", queryset=Station.objects.all(), required=False, allow_null=True
    )


class ServiceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceType
        fields = ["id", "code", "name", "description", "order", "is_active"]


class LecturerTeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = LecturerTeam
        fields = ["id", "code", "name", "description", "leader_name", "members", "order", "is_active"]


class ServiceRequestSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    service_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    service_type_name = serializers.CharField(source="service_type.name", read_only=True)
    requested_by = ServiceUserRefSerializer(read_only=True)
    assigned_officer = ServiceUserRefSerializer(read_only=True, allow_null=True)
    assigned_team = serializers.SlugRelatedField(slug_field="code", read_only=True)
    response_seconds = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "station",
            "service_type",
            "service_type_name",
            "description",
            "channel",
            "status",
            "requested_at",
            "requested_by",
            "assigned_officer",
            "assigned_team",
            "assigned_at",
            "first_visit_at",
            "response_seconds",
            "satisfied",
            "score",
            "feedback_comment",
            "feedback_at",
        ]
        read_only_fields = fields

    def get_response_seconds(self, obj) -> int | None:
        if obj.first_visit_at is None:
            return None
        return max(0, int((obj.first_visit_at - obj.requested_at).total_seconds()))


class ServiceRequestCreateSerializer(serializers.Serializer):
    enterprise = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list,
        queryset=Enterprise.objects.all(),
        required=False,
        help_text="required for officers; a liaison's own enterprise by default",
    )
    service_type = serializers.SlugRelatedField(slug_field="code", queryset=ServiceType.objects.all())
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    requested_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        user = self.context["request"].user
        if attrs.get("enterprise") is None:
            if user.enterprise_id is None or user.role in STATION_ROLES:
                raise serializers.ValidationError({"enterprise": [_("请选择企业。")]})
            attrs["enterprise"] = user.enterprise
        return attrs


def _station_users(user):
    return scope_queryset(User.objects.filter(role__in=STATION_ROLES, is_active=True), user)


class ServiceAssignSerializer(serializers.Serializer):
    officer = ScopedPrimaryKeyRelatedField(
        scope=_station_users, queryset=User.objects.all(), required=False, allow_null=True, default=None
    )
    team = serializers.SlugRelatedField(
        slug_field="code",
        queryset=LecturerTeam.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )


class ServiceCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ServiceFeedbackSerializer(serializers.Serializer):
    satisfied = serializers.BooleanField()
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class VisitSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    service_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    officers = ServiceUserRefSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceVisit
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "station",
            "request",
            "service_type",
            "kind",
            "visited_at",
            "officers",
            "summary",
            "created_at",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    enterprise = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list,
        queryset=Enterprise.objects.all(),
        required=False,
    )
    request = ScopedPrimaryKeyRelatedField(
        scope=selectors.service_request_list,
        queryset=ServiceRequest.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    service_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ServiceType.objects.all(), required=False, allow_null=True, default=None
    )
    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.VISIT)
    visited_at = serializers.DateTimeField()
    officers = ScopedPrimaryKeyRelatedField(
        scope=_station_users, queryset=User.objects.all(), many=True, required=False
    )
    summary = serializers.CharField(max_length=4000)

    def validate(self, attrs):
        if attrs.get("request") is None and attrs.get("enterprise") is None:
            raise serializers.ValidationError({"enterprise": [_("请选择企业或服务需求。")]})
        return attrs


class ReferralSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "station",
            "request",
            "partner",
            "summary",
            "status",
            "status_note",
            "referred_at",
            "status_at",
            "created_at",
        ]
        read_only_fields = fields


class ReferralCreateSerializer(serializers.Serializer):
    enterprise = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list, queryset=Enterprise.objects.all()
    )
    request = ScopedPrimaryKeyRelatedField(
        scope=selectors.service_request_list,
        queryset=ServiceRequest.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    partner = serializers.ChoiceField(choices=Partner.choices)
    summary = serializers.CharField(max_length=4000)
    referred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ReferralStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[ReferralStatus.ACCEPTED, ReferralStatus.RESOLVED, ReferralStatus.RETURNED]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class LectureEnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LectureSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    enterprises = LectureEnterpriseSerializer(many=True, read_only=True)
    materials = serializers.SerializerMethodField()

    class Meta:
        model = Lecture
        fields = [
            "id",
            "team",
            "team_name",
            "station",
            "enterprises",
            "held_on",
            "topic",
            "audience_count",
            "venue",
            "materials",
            "materials_note",
            "created_at",
        ]
        read_only_fields = fields

    def get_materials(self, obj) -> str | None:
        from django.urls import reverse

        return reverse("enterprises:lecture_materials", args=[obj.pk]) if obj.materials else None


class LectureCreateSerializer(serializers.Serializer):
    team = serializers.SlugRelatedField(slug_field="code", queryset=LecturerTeam.objects.all())
    enterprises = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list, queryset=Enterprise.objects.all(), many=True
    )
    held_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    audience_count = serializers.IntegerField(min_value=1, max_value=1_000_000)
    venue = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    materials = serializers.FileField(required=False, allow_null=True, default=None)
    materials_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AllianceContactSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    duty = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class AllianceMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="enterprise.id")
    name = serializers.CharField(source="enterprise.name")
    kind = serializers.CharField(source="enterprise.kind")


class AllianceSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = AllianceMemberSerializer(source="memberships", many=True, read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    leader_member_name = serializers.CharField(source="leader_member.name", read_only=True, allow_null=True)
    contacts = AllianceContactSerializer(many=True, read_only=True)
    size_override_by = ServiceUserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Alliance
        fields = [
            "id",
            "name",
            "station",
            "area",
            "leader_member",
            "leader_member_name",
            "members",
            "member_count",
            "contacts",
            "size_override_reason",
            "size_override_by",
            "size_override_at",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class AllianceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all(), required=False)
    area = serializers.CharField(max_length=300)
    members = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list,
        queryset=Enterprise.objects.all(),
        many=True,
        help_text="10–15 enterprise/shop ids; outside that range only a leader with override_reason",
    )
    leader_member = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list,
        queryset=Enterprise.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    contacts = AllianceContactSerializer(many=True, required=False, default=list)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)

    def validate_members(self, value):
        if len(value) > ALLIANCE_MAX_MEMBERS * 4:
            raise serializers.ValidationError(_("成员过多。"))
        return value


class WatchCallSerializer(serializers.ModelSerializer):
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    requested_by = ServiceUserRefSerializer(read_only=True)

    class Meta:
        model = WatchCall
        fields = [
            "id",
            "alliance",
            "alliance_name",
            "incident",
            "place",
            "message",
            "requested_by",
            "requested_at",
            "recipients",
        ]
        read_only_fields = fields


def _incidents(user):
    return scope_queryset(Incident.objects.all(), user)


class WatchCallCreateSerializer(serializers.Serializer):
    place = serializers.CharField(max_length=300)
    message = serializers.CharField(max_length=2000)
    incident = ScopedPrimaryKeyRelatedField(
        scope=_incidents, queryset=Incident.objects.all(), required=False, allow_null=True, default=None
    )


class FirstResponseSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)
    reported_by = ServiceUserRefSerializer(read_only=True)
    confirmed_by = ServiceUserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = FirstResponse
        fields = [
            "id",
            "alliance",
            "alliance_name",
            "station",
            "member",
            "member_name",
            "call",
            "incident",
            "occurred_at",
            "police_arrived_at",
            "place",
            "action_taken",
            "outcome",
            "status",
            "reported_by",
            "reported_at",
            "confirmed_by",
            "confirmed_at",
            "confirm_note",
        ]
        read_only_fields = fields


class FirstResponseCreateSerializer(serializers.Serializer):
    alliance = ScopedPrimaryKeyRelatedField(scope=selectors.alliance_list, queryset=Alliance.objects.all())
    member = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_list,
        queryset=Enterprise.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="officers: the member who responded; liaisons: always their own enterprise",
    )
    call = ScopedPrimaryKeyRelatedField(
        scope=selectors.watch_call_list,
        queryset=WatchCall.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    incident = ScopedPrimaryKeyRelatedField(
        scope=_incidents, queryset=Incident.objects.all(), required=False, allow_null=True, default=None
    )
    occurred_at = serializers.DateTimeField()
    police_arrived_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=300)
    action_taken = serializers.CharField(max_length=4000)
    outcome = serializers.CharField(max_length=2000)


class FirstResponseReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- KPI shapes (for the schema) ---------------------------------------------------------------


class SatisfactionSerializer(serializers.Serializer):
    successes = serializers.IntegerField()
    n = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    shown = serializers.BooleanField(help_text="false below 5 feedbacks: show counts only")
    mean_score = serializers.FloatField(allow_null=True)


class ServiceResponseTimeSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    waiting = serializers.IntegerField()
    p50_seconds = serializers.IntegerField(allow_null=True)
    p90_seconds = serializers.IntegerField(allow_null=True)


class ServiceByTypeSerializer(serializers.Serializer):
    service_type = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    services = serializers.IntegerField()
    requests = serializers.IntegerField()


class ServiceKpiSerializer(serializers.Serializer):
    visits = serializers.IntegerField()
    requests = serializers.IntegerField()
    referrals = serializers.IntegerField()
    lectures = serializers.IntegerField()
    audience = serializers.IntegerField()
    services_by_type = ServiceByTypeSerializer(many=True)
    satisfaction = SatisfactionSerializer()
    response_time = ServiceResponseTimeSerializer()


class AllianceCountSerializer(serializers.Serializer):
    alliance = serializers.IntegerField()
    name = serializers.CharField()
    station = serializers.CharField()
    confirmed = serializers.IntegerField()
    awaiting_confirmation = serializers.IntegerField()


class WatchKpiSerializer(serializers.Serializer):
    alliances = serializers.IntegerField()
    members = serializers.IntegerField()
    calls = serializers.IntegerField()
    confirmed_responses = serializers.IntegerField()
    awaiting_confirmation = serializers.IntegerField()
    per_alliance = AllianceCountSerializer(many=True)
