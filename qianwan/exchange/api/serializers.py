from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qianwan.api.serializers import ContractDateTimeField
from qianwan.exchange.choices import InboundStatus, OutboundStatus, Source
from qianwan.exchange.models import InboundEvent, OutboundEvent
from qianwan.masking import mask_personal, mask_phone
from qianwan.org.choices import Role
from qianwan.org.models import Station


class CoordinatesMixin:
    """lat/lon are WGS84 and come together or not at all."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("纬度和经度必须同时提供。")]})
        return attrs


class InboundEventSerializer(CoordinatesMixin, serializers.ModelSerializer):
    external_id = serializers.CharField(max_length=100)
    source = serializers.ChoiceField(choices=Source.choices)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    occurred_at = ContractDateTimeField(required=False, allow_null=True)
    # null while the event has no station (no coordinates, or outside every station's area)
    station = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    address_code = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="a standard address's code instead of address/lat/lon (its text and point are stored)",
    )

    class Meta:
        model = InboundEvent
        fields = [
            "id",
            "external_id",
            "source",
            "category",
            "title",
            "description",
            "address",
            "address_code",
            "lat",
            "lon",
            "occurred_at",
            "station",
            "routed_by",
            "status",
            "outcome_note",
            "outcome_at",
            "result_type",
            "result_id",
            "created_at",
        ]
        read_only_fields = [
            "routed_by",
            "status",
            "outcome_note",
            "outcome_at",
            "result_type",
            "result_id",
            "created_at",
        ]


class InboundWorkSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class OutboundEventSerializer(serializers.ModelSerializer):
    """An outbox event. A caller phone in the payload is shown in full only to the partner the event
    is addressed to, and only if that partner declares it needs it (``Partner.receives_caller_phone``,
    12345 by default); everyone else — other partners, police roles, admin — sees 138****0000.
    ``context["partner"]`` is the partner reading (the API caller's, or the push's target)."""

    station = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    def to_representation(self, event):
        """Everyone but a partner reading the outbox (bureau leaders, admins, officers) sees personal
        data masked, like on every other path; a partner sees the caller's phone in full only on an
        event addressed to it and only when it declares the need (``receives_caller_phone``)."""
        data = super().to_representation(event)
        payload = data.get("payload")
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "role", None) != Role.GRID_CLIENT:
            data["payload"] = mask_personal(payload)
        elif isinstance(payload, dict) and payload.get("caller_phone"):
            partner = self.context.get("partner")
            if not (partner is not None and partner.code == event.target and partner.receives_caller_phone):
                data["payload"] = {**payload, "caller_phone": mask_phone(str(payload["caller_phone"]))}
        return data

    class Meta:
        model = OutboundEvent
        fields = [
            "id",
            "target",
            "kind",
            "title",
            "payload",
            "station",
            "source_type",
            "source_id",
            "status",
            "ack_note",
            "acked_at",
            "created_at",
        ]
        read_only_fields = fields


class AckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[OutboundStatus.ACCEPTED, OutboundStatus.HANDLED, OutboundStatus.REJECTED]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    at = ContractDateTimeField(required=False, allow_null=True, default=None)


class ExchangeKpiSerializer(serializers.Serializer):
    outbound = serializers.IntegerField(
        help_text="referrals the police made (never automatic status feedback)"
    )
    inbound = serializers.IntegerField()
    inbound_rejected = serializers.IntegerField(help_text="inbound events rejected (counted apart)")
    outbound_handled = serializers.IntegerField(help_text="referrals the partner acked handled")
    inbound_handled = serializers.IntegerField(
        help_text="not rejected, and the incident/dispute it became is closed, or worked through handle with a note"
    )
    outbound_handled_rate = serializers.FloatField(allow_null=True)
    inbound_handled_rate = serializers.FloatField(allow_null=True, help_text="handled ÷ (inbound − rejected)")


__all__ = ["InboundStatus"]


class InboundAssignSerializer(serializers.Serializer):
    """The bureau's triage: the station (code) that is to work the event."""

    station = serializers.SlugRelatedField(slug_field="code", queryset=Station.objects.filter(is_active=True))
