from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qianwan.exchange.choices import InboundStatus, OutboundStatus, Source
from qianwan.exchange.models import InboundEvent, OutboundEvent
from qianwan.masking import mask_personal
from qianwan.org.choices import Role


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
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)

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
            "lat",
            "lon",
            "occurred_at",
            "station",
            "status",
            "outcome_note",
            "outcome_at",
            "result_type",
            "result_id",
            "created_at",
        ]
        read_only_fields = ["status", "outcome_note", "outcome_at", "result_type", "result_id", "created_at"]


class InboundWorkSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class OutboundEventSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)

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

    def to_representation(self, instance):
        """The payload goes to its partner as it is (what a partner receives is the exchange
        catalogue's rule); everyone else reading the outbox (bureau leaders, admins) sees personal
        data masked, like on every other path."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "role", None) != Role.GRID_CLIENT:
            data["payload"] = mask_personal(data["payload"])
        return data


class AckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[OutboundStatus.ACCEPTED, OutboundStatus.HANDLED, OutboundStatus.REJECTED]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ExchangeKpiSerializer(serializers.Serializer):
    outbound = serializers.IntegerField()
    inbound = serializers.IntegerField()
    outbound_handled = serializers.IntegerField()
    inbound_handled = serializers.IntegerField()
    outbound_handled_rate = serializers.FloatField(allow_null=True)
    inbound_handled_rate = serializers.FloatField(allow_null=True)


__all__ = ["InboundStatus"]
