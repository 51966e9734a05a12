"""Shapes and input validation of the anti-fraud API; every write goes through a service."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from enterprises.models import Enterprise
from incidents.models import Incident
from qianwan.api.fields import ScopedPrimaryKeyRelatedField
from qianwan.masking import MaskedField, mask_url
from qianwan.notify.choices import ChannelKind
from qianwan.notify.models import Channel, Delivery
from qianwan.org.models import Station
from qianwan.org.scopes import scope_queryset

from .. import selectors
from ..choices import FraudType, SessionKind
from ..models import (
    AdminStaff,
    Criterion,
    Employee,
    EvaluationRound,
    FraudCase,
    FraudNotice,
    Pairing,
    ResponsibilityLetter,
    RosterImport,
    Score,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)
from ..services import NOT_PAIRED_MESSAGE


def _incidents(*, user):
    return scope_queryset(Incident.objects.filter(category="fraud"), user, station_field="station")


class AdminStaffSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(scope=selectors.enterprise_list)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    phone_masked = MaskedField(kind="phone", source="phone")

    class Meta:
        model = AdminStaff
        fields = ["id", "enterprise", "name", "position", "phone", "phone_masked", "is_active"]
        read_only_fields = ["is_active"]


class WorkClassSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(scope=selectors.enterprise_list)
    leader = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, required=False, allow_null=True)
    deputy = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, required=False, allow_null=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    deputy_name = serializers.CharField(source="deputy.name", read_only=True, default=None)
    employee_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = WorkClass
        fields = [
            "id",
            "enterprise",
            "name",
            "leader",
            "leader_name",
            "deputy",
            "deputy_name",
            "is_active",
            "employee_count",
        ]


class WorkClassUpdateSerializer(serializers.ModelSerializer):
    leader = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, required=False, allow_null=True)
    deputy = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, required=False, allow_null=True)

    class Meta:
        model = WorkClass
        fields = ["name", "leader", "deputy", "is_active"]
        extra_kwargs = {"name": {"required": False}}


class EmployeeSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(scope=selectors.enterprise_list)
    work_class = ScopedPrimaryKeyRelatedField(scope=selectors.class_list, required=False, allow_null=True)
    work_class_name = serializers.CharField(source="work_class.name", read_only=True, default=None)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    phone_masked = MaskedField(kind="phone", source="phone")

    class Meta:
        model = Employee
        fields = [
            "id",
            "enterprise",
            "work_class",
            "work_class_name",
            "number",
            "name",
            "phone",
            "phone_masked",
            "joined_on",
            "is_active",
        ]
        read_only_fields = ["is_active"]
        # uniqueness is checked by the service with a message a liaison can act on
        validators: list = []


class RosterImportSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(scope=selectors.enterprise_list)
    file = serializers.FileField(write_only=True)
    progress = serializers.IntegerField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = RosterImport
        fields = [
            "id",
            "enterprise",
            "file",
            "original_name",
            "status",
            "status_display",
            "progress",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "errors",
            "created_at",
            "finished_at",
        ]
        read_only_fields = [f for f in fields if f not in ("enterprise", "file")]


class FraudCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = FraudCase
        fields = ["id", "title", "fraud_type", "summary", "lesson", "is_active", "created_at"]
        read_only_fields = ["created_at"]


class StudySessionSerializer(serializers.ModelSerializer):
    work_class = ScopedPrimaryKeyRelatedField(scope=selectors.class_list)
    case = ScopedPrimaryKeyRelatedField(scope=selectors.case_list, required=False, allow_null=True)
    speaker = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, required=False, allow_null=True)
    attendees = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, many=True)
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    work_class_name = serializers.CharField(source="work_class.name", read_only=True)
    case_title = serializers.CharField(source="case.title", read_only=True, default=None)
    attendee_count = serializers.SerializerMethodField()

    class Meta:
        model = StudySession
        fields = [
            "id",
            "enterprise",
            "work_class",
            "work_class_name",
            "held_on",
            "kind",
            "case",
            "case_title",
            "speaker",
            "attendees",
            "attendee_count",
            "notes",
            "created_at",
        ]
        read_only_fields = ["enterprise", "created_at"]

    def get_attendee_count(self, obj) -> int:
        return getattr(obj, "attendee_count", None) or len(obj.attendees.all())


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "order", "name", "description", "weight", "max_score"]
        read_only_fields = ["id", "order"]


class ScoringStandardSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = ScoringStandard
        fields = ["id", "name", "version", "effective_from", "criteria", "created_at"]
        read_only_fields = ["version", "created_at"]
        validators: list = []
        extra_kwargs = {"effective_from": {"validators": []}}


class EvaluationRoundSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m", read_only=True)
    standard = ScoringStandardSerializer(read_only=True)
    pairing_count = serializers.IntegerField(read_only=True, default=0)
    submitted_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = EvaluationRound
        fields = [
            "id",
            "month",
            "standard",
            "remind_on",
            "opened_at",
            "closed_at",
            "pairing_count",
            "submitted_count",
        ]
        read_only_fields = fields


class RoundOpenSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{1,2}$", help_text="YYYY-MM")


class ScoreSerializer(serializers.ModelSerializer):
    criterion_name = serializers.CharField(source="criterion.name", read_only=True)

    class Meta:
        model = Score
        fields = ["criterion", "criterion_name", "value"]


class PairingSerializer(serializers.ModelSerializer):
    month = serializers.DateField(source="round.month", format="%Y-%m", read_only=True)
    evaluator_name = serializers.CharField(source="evaluator.name", read_only=True)
    evaluator_enterprise = serializers.CharField(source="evaluator.enterprise.name", read_only=True)
    evaluated_name = serializers.CharField(source="evaluated.name", read_only=True)
    evaluated_enterprise = serializers.CharField(source="evaluated.enterprise.name", read_only=True)
    scores = ScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "round",
            "month",
            "evaluator",
            "evaluator_name",
            "evaluator_enterprise",
            "evaluated",
            "evaluated_name",
            "evaluated_enterprise",
            "total",
            "submitted_at",
            "reminded_at",
            "scores",
        ]
        read_only_fields = fields


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2)


class EvaluationSubmitSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{1,2}$", help_text="YYYY-MM")
    evaluator = ScopedPrimaryKeyRelatedField(scope=selectors.class_list)
    # a plain id: whether another enterprise's class exists is not revealed (same 400 as "not paired")
    evaluated = serializers.IntegerField()
    scores = ScoreInputSerializer(many=True)

    def validate_evaluated(self, value) -> WorkClass:
        evaluated = WorkClass.objects.select_related("enterprise").filter(pk=value).first()
        if evaluated is None:
            raise serializers.ValidationError(NOT_PAIRED_MESSAGE)
        return evaluated

    def validate_scores(self, value):
        criteria = [item["criterion"] for item in value]
        if len(criteria) != len(set(criteria)):
            raise serializers.ValidationError(_("同一评分项只能评一次。"))
        return value


class LetterSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(scope=selectors.enterprise_list)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    file = serializers.FileField(write_only=True)
    file_name = serializers.SerializerMethodField()
    is_valid = serializers.SerializerMethodField()

    class Meta:
        model = ResponsibilityLetter
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "signatory",
            "signatory_title",
            "signed_on",
            "valid_until",
            "file",
            "file_name",
            "is_valid",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_file_name(self, obj) -> str:
        return obj.file.name.rsplit("/", 1)[-1] if obj.file else ""

    def get_is_valid(self, obj) -> bool:
        from ..services import today_local

        return obj.is_valid_on(today_local())


class MissingLetterSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code", read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "station", "employee_count"]
        read_only_fields = fields


class LiaisonGroupSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.all())
    kind = serializers.ChoiceField(choices=[ChannelKind.DINGTALK, ChannelKind.WECOM])
    # the webhook URL carries the group's access token and the 加签 secret signs messages: both are
    # write-only; readers see where messages go (url_masked) and whether a secret is set
    url = serializers.URLField(write_only=True, max_length=500)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    url_masked = serializers.SerializerMethodField()
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = ["id", "name", "kind", "url", "url_masked", "secret", "has_secret", "station", "enabled"]
        read_only_fields = ["enabled"]

    def get_url_masked(self, obj) -> str:
        return mask_url(obj.url)

    def get_has_secret(self, obj) -> bool:
        return bool(obj.secret)


class DeliveryLogSerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    attempts_log = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "channel_name",
            "status",
            "attempts",
            "delivered_at",
            "last_error",
            "attempts_log",
        ]
        read_only_fields = fields

    def get_attempts_log(self, obj) -> list[dict]:
        return [
            {"number": a.number, "at": a.at, "ok": a.ok, "status_code": a.status_code, "error": a.error}
            for a in obj.attempt_log.all()
        ]


class NoticeSerializer(serializers.ModelSerializer):
    groups = ScopedPrimaryKeyRelatedField(scope=selectors.liaison_group_list, many=True)
    fraud_type = serializers.ChoiceField(choices=FraudType.choices)
    deliveries = serializers.SerializerMethodField()

    class Meta:
        model = FraudNotice
        fields = ["id", "title", "body", "fraud_type", "groups", "station", "sent_at", "deliveries"]
        read_only_fields = ["station", "sent_at"]

    def get_deliveries(self, obj) -> list[dict]:
        if not self.context.get("with_deliveries"):
            return []
        return DeliveryLogSerializer(selectors.notice_deliveries(obj), many=True).data


class VictimSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(scope=selectors.enterprise_list)
    employee = ScopedPrimaryKeyRelatedField(scope=selectors.employee_list, required=False, allow_null=True)
    incident = ScopedPrimaryKeyRelatedField(scope=_incidents, required=False, allow_null=True)
    fraud_type = serializers.ChoiceField(choices=FraudType.choices)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=50)

    class Meta:
        model = Victim
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "employee",
            "name",
            "incident",
            "source",
            "occurred_on",
            "fraud_type",
            "amount_lost",
            "note",
            "created_at",
        ]
        read_only_fields = ["source", "created_at"]
        validators: list = []


class MonthParams(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{1,2}$", required=False, help_text="YYYY-MM")
    station = serializers.CharField(required=False, max_length=16)
    enterprise = serializers.IntegerField(required=False)
    months = serializers.IntegerField(required=False, min_value=1, max_value=36, default=6)
