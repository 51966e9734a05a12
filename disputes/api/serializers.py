from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qianwan.api.fields import ScopedPrimaryKeyRelatedField
from qianwan.masking import mask_name, mask_phone
from qianwan.org.scopes import scope_queryset
from qianwan.validators import validate_phone

from ..choices import Category, Channel, FollowupOutcome, PartyRole, RiskLevel
from ..models import Block, BlockVisit, CaseFile, Dispute, Followup, Party, VisitKind
from ..selectors import sees_parties


def _choice(choices, label, **kwargs):
    values = "、".join(v for v, _l in choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={
            "invalid_choice": format_lazy(
                _("“{{input}}”不是有效的{label}，可选：{values}"), label=label, values=values
            )
        },
        **kwargs,
    )


class PartySerializer(serializers.ModelSerializer):
    """Names and phones masked (张*, 138****0000) unless the caller's role works with the parties."""

    class Meta:
        model = Party
        fields = ["id", "role", "name", "phone", "note"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("reveal") and not sees_parties(self.context["request"].user):
            data["name"] = mask_name(data["name"])
            data["phone"] = mask_phone(data["phone"])
            data["masked"] = True
        else:
            data["masked"] = False
        return data


class PartyInputSerializer(serializers.Serializer):
    role = _choice(PartyRole.choices, _("当事人身份"), required=False, default=PartyRole.APPLICANT)
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", validators=[validate_phone]
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FollowupSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.display_name", read_only=True, default=None)

    class Meta:
        model = Followup
        fields = ["id", "dispute", "at", "outcome", "note", "by", "created_at"]
        read_only_fields = fields


class FollowupInputSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    outcome = _choice(FollowupOutcome.choices, _("回访结果"))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class DisputeSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    block_name = serializers.CharField(source="block.name", read_only=True, default=None)
    officer = serializers.CharField(source="officer.display_name", read_only=True, default=None)
    incident = serializers.PrimaryKeyRelatedField(read_only=True)
    parties = PartySerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "number",
            "station",
            "block",
            "block_name",
            "case_file",
            "category",
            "risk_level",
            "channel",
            "status",
            "summary",
            "address",
            "lat",
            "lon",
            "occurred_at",
            "incident",
            "officer",
            "handling_org",
            "handling_contact",
            "handling_phone",
            "handled_at",
            "closed_at",
            "escalated_at",
            "pushed_at",
            "followup_until",
            "parties",
            "created_at",
        ]
        read_only_fields = fields


class DisputeListSerializer(DisputeSerializer):
    class Meta(DisputeSerializer.Meta):
        fields = [f for f in DisputeSerializer.Meta.fields if f != "parties"]


class DueSerializer(DisputeListSerializer):
    month_followups = serializers.IntegerField(read_only=True)

    class Meta(DisputeListSerializer.Meta):
        fields = [*DisputeListSerializer.Meta.fields, "month_followups"]


class PushSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.CharField()
    status = serializers.CharField()
    ack_note = serializers.CharField()
    acked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DisputeDetailSerializer(DisputeSerializer):
    followups = FollowupSerializer(many=True, read_only=True)
    pushes = serializers.SerializerMethodField()

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "followups", "pushes"]

    def get_pushes(self, obj) -> list[dict]:
        from qianwan.exchange.selectors import outbound_for

        return PushSerializer(outbound_for(obj).order_by("created_at"), many=True).data


def incident_refs(*, user):
    """Incidents a dispute may be registered from: those of the actor's scope."""
    from incidents.models import Incident

    return scope_queryset(Incident.objects.all(), user, station_field="station")


class DisputeCreateSerializer(serializers.Serializer):
    station = serializers.CharField(max_length=16, required=False, allow_blank=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    address_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="a standard address's code instead of address/lat/lon (the block follows from its point)",
    )
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    category = _choice(Category.choices, _("纠纷类型"))
    risk_level = _choice(RiskLevel.choices, _("风险等级"))
    summary = serializers.CharField(max_length=4000)
    incident = ScopedPrimaryKeyRelatedField(
        scope=incident_refs, required=False, allow_null=True, default=None, help_text=_("关联警情 id")
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    parties = PartyInputSerializer(many=True, required=False, default=list)
    handling_org = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    handling_contact = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    handling_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", validators=[validate_phone]
    )

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("纬度和经度必须同时提供。")]})
        return attrs


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class CloseSerializer(NoteSerializer):
    approval_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="所领导批准结案的理由：回访次数不足 DISPUTE_CLOSE_MIN_FOLLOWUPS 时由所领导填写。",
    )


class ResolveSerializer(NoteSerializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ProgressSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RetriageSerializer(serializers.Serializer):
    risk_level = _choice(RiskLevel.choices, _("风险等级"))
    channel = _choice(Channel.choices, _("处置机制"), required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=2000)


class BlockSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    officer = serializers.CharField(source="officer.display_name", read_only=True, default=None)
    cells = serializers.SerializerMethodField()
    last_visit_at = serializers.DateTimeField(read_only=True, allow_null=True, default=None)
    visits_30d = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Block
        fields = [
            "id",
            "station",
            "name",
            "officer",
            "polygon",
            "cells",
            "note",
            "is_active",
            "last_visit_at",
            "visits_30d",
        ]
        read_only_fields = fields

    def get_cells(self, obj) -> list[str]:
        return sorted(c.cell for c in obj.cells.all())


class BlockInputSerializer(serializers.Serializer):
    station = serializers.CharField(max_length=16, required=False)
    name = serializers.CharField(max_length=100)
    officer = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    cells = serializers.ListField(child=serializers.CharField(max_length=20), required=False, default=list)
    polygon = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        required=False,
        allow_null=True,
        default=None,
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CaseFileSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    block_name = serializers.CharField(source="block.name", read_only=True, default=None)
    n_disputes = serializers.IntegerField(read_only=True)

    class Meta:
        model = CaseFile
        fields = [
            "id",
            "station",
            "block",
            "block_name",
            "category",
            "title",
            "measures",
            "review_every_days",
            "next_review_on",
            "last_reviewed_on",
            "n_disputes",
        ]
        read_only_fields = fields


class DisputeKpiSerializer(serializers.Serializer):
    disputes = serializers.IntegerField()
    by_level = serializers.DictField(child=serializers.IntegerField())
    handled = serializers.IntegerField()
    pushed = serializers.IntegerField()
    incidents_yoy = serializers.DictField()
    disputes_yoy = serializers.DictField()
    followups_on_time_last_month = serializers.DictField()
    followups_due_now = serializers.IntegerField()


class BlockVisitSerializer(serializers.ModelSerializer):
    block = serializers.PrimaryKeyRelatedField(read_only=True)
    officers = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = BlockVisit
        fields = [
            "id",
            "block",
            "at",
            "kind",
            "officers",
            "note",
            "findings",
            "dispute",
            "hazard",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_officers(self, visit) -> list[str]:
        return [u.username for u in visit.officers.all()]


def dispute_refs(*, user):
    return scope_queryset(Dispute.objects.all(), user, station_field="station")


def hazard_refs(*, user):
    from risks.models import Hazard

    return scope_queryset(Hazard.objects.all(), user, station_field="station")


class BlockVisitInputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.PATROL)
    officers = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list, max_length=50
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    findings = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    dispute = ScopedPrimaryKeyRelatedField(
        scope=dispute_refs,
        required=False,
        allow_null=True,
        default=None,
        help_text="a dispute raised from the visit",
    )
    hazard = ScopedPrimaryKeyRelatedField(
        scope=hazard_refs,
        required=False,
        allow_null=True,
        default=None,
        help_text="a hazard raised from the visit",
    )
