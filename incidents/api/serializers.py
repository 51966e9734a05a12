from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents import selectors
from incidents.choices import RECORDABLE_KINDS, Category, DiversionDirection
from incidents.models import Incident, IncidentEvent
from qianwan.api.serializers import ModelFieldsOnce
from qianwan.masking import mask_phone
from qianwan.validators import validate_phone

# Unbound fields, shared: they format a value exactly as a serializer's field of that type would
_MOMENT = serializers.DateTimeField()


def _moment(value):
    return None if value is None else _MOMENT.to_representation(value)


class SlaSerializer(serializers.Serializer):
    """One stage's clock as the contract shows it. `rows` is what the API answers with; the declared
    fields are its schema, and the reference `rows` is tested against."""

    stage = serializers.CharField()
    limit_seconds = serializers.IntegerField()
    deadline = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    elapsed_seconds = serializers.IntegerField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    overdue = serializers.BooleanField()
    not_needed = serializers.BooleanField()
    warned_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    warn_skipped_at = serializers.DateTimeField(
        allow_null=True, help_text="when the warning was not sent because the deadline had passed"
    )
    warn_skip_reason = serializers.CharField(allow_blank=True, help_text="why (deadline_passed), or empty")
    restarted_at = serializers.DateTimeField(
        allow_null=True,
        help_text="when the clock was restarted (the hotline rejected the diversion); deadline and "
        "elapsed_seconds count from here",
    )

    @staticmethod
    def rows(block: list[dict]) -> list[dict]:
        """``SlaSerializer(block, many=True).data`` without building the serializer and its eleven
        fields for every incident of a page (and of every intake answer)."""
        return [
            {
                "stage": row["stage"],
                "limit_seconds": row["limit_seconds"],
                "deadline": _moment(row["deadline"]),
                "done_at": _moment(row["done_at"]),
                "elapsed_seconds": row["elapsed_seconds"],
                "met": row["met"],
                "overdue": row["overdue"],
                "not_needed": row["not_needed"],
                "warned_at": _moment(row["warned_at"]),
                "breached_at": _moment(row["breached_at"]),
                "escalated_at": _moment(row["escalated_at"]),
                "warn_skipped_at": _moment(row["warn_skipped_at"]),
                "warn_skip_reason": row["warn_skip_reason"],
                "restarted_at": _moment(row.get("restarted_at")),
            }
            for row in block
        ]


class EventSerializer(ModelFieldsOnce, serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.display_name", default=None, read_only=True)
    superseded = serializers.SerializerMethodField()
    officers = serializers.SerializerMethodField()

    class Meta:
        model = IncidentEvent
        fields = [
            "id",
            "kind",
            "at",
            "note",
            "target",
            "unit",
            "officers",
            "actor",
            "supersedes",
            "superseded",
            "created_at",
        ]
        read_only_fields = fields

    def get_officers(self, event) -> list[str]:
        return [u.username for u in event.officers.all()]

    def get_superseded(self, event) -> bool:
        return event.pk in self.context.get("superseded_ids", set())


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as the contract shows it; ``caller_phone`` is masked for roles that do not call back.

    `to_representation` writes the fields out directly: DRF's generic path deep-copies the sixteen
    fields for each serializer and formats each value through them, about a sixth of the instructions
    of taking a call. The declared fields stay the schema (OpenAPI) and the reference the output is
    tested against (tests/incidents/test_api_serializers.py)."""

    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    caller_phone = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    sla_breached = serializers.SerializerMethodField()
    address_code = serializers.SerializerMethodField(
        help_text="the standard address's code, or null (未标准化)"
    )
    address_standardised = serializers.SerializerMethodField(
        help_text="false when a typed address matched no standard address (未标准化)"
    )
    outside_district = serializers.SerializerMethodField(
        help_text="the point lies outside every station's boundary (the API accepts it and flags it)"
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "station",
            "routed_by",
            "category",
            "status",
            "received_at",
            "address",
            "lat",
            "lon",
            "description",
            "caller_phone",
            "closed_at",
            "diverted_to",
            "diversion_item",
            "created_at",
            "sla",
            "sla_breached",
            "address_code",
            "address_standardised",
            "outside_district",
            "repeat_count",
        ]
        read_only_fields = fields

    def get_address_code(self, incident) -> str | None:
        return incident.standard_address.code if incident.standard_address_id else None

    def get_address_standardised(self, incident) -> bool:
        return bool(incident.standard_address_id) or not incident.address

    def get_outside_district(self, incident) -> bool:
        from places.services import in_district

        return (
            incident.lat is not None
            and incident.lon is not None
            and not in_district(incident.lat, incident.lon)
        )

    def _sla(self, incident):
        cache = self.context.setdefault("_sla", {})
        if incident.pk not in cache:
            cache[incident.pk] = selectors.sla_block(incident, self.context.get("now"))
        return cache[incident.pk]

    def get_caller_phone(self, incident) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return incident.caller_phone if selectors.can_see_phone(user) else mask_phone(incident.caller_phone)

    @extend_schema_field(SlaSerializer(many=True))
    def get_sla(self, incident) -> list[dict]:
        return SlaSerializer.rows(self._sla(incident))

    def get_sla_breached(self, incident) -> bool:
        return any(row["met"] is False for row in self._sla(incident))

    def to_representation(self, incident):
        return {
            "id": incident.pk,
            "number": incident.number,
            "station": incident.station.code,
            "routed_by": incident.routed_by,
            "category": incident.category,
            "status": incident.status,
            "received_at": _moment(incident.received_at),
            "address": incident.address,
            "lat": incident.lat,
            "lon": incident.lon,
            "description": incident.description,
            "caller_phone": self.get_caller_phone(incident),
            "closed_at": _moment(incident.closed_at),
            "diverted_to": incident.diverted_to,
            "diversion_item": incident.diversion_item_id,
            "created_at": _moment(incident.created_at),
            "sla": self.get_sla(incident),
            "sla_breached": self.get_sla_breached(incident),
            "address_code": self.get_address_code(incident),
            "address_standardised": self.get_address_standardised(incident),
            "outside_district": self.get_outside_district(incident),
            "repeat_count": incident.repeat_count,
        }


class CallOfficerSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    dispatched_at = serializers.DateTimeField(allow_null=True)
    arrived_at = serializers.DateTimeField(allow_null=True)


class IncidentDetailSerializer(IncidentSerializer):
    events = serializers.SerializerMethodField()
    outbound = serializers.SerializerMethodField()
    officers = serializers.SerializerMethodField()
    video_supervised_by = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "events", "outbound", "officers", "video_supervised_by"]
        read_only_fields = fields

    def to_representation(self, incident):
        return {
            **super().to_representation(incident),
            "events": self.get_events(incident),
            "outbound": self.get_outbound(incident),
            "officers": self.get_officers(incident),
            "video_supervised_by": self.get_video_supervised_by(incident),
        }

    @extend_schema_field(CallOfficerSerializer(many=True))
    def get_officers(self, incident) -> list[dict]:
        return [
            {
                "username": row["user"].username,
                "name": row["user"].display_name,
                "dispatched_at": _moment(row["dispatched_at"]),
                "arrived_at": _moment(row["arrived_at"]),
            }
            for row in selectors.call_officers(incident)
        ]

    def get_video_supervised_by(self, incident) -> str | None:
        supervisor = selectors.video_supervisor(incident)
        return supervisor.username if supervisor else None

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, incident) -> list[dict]:
        events = list(incident.events.all())
        superseded = {e.supersedes_id for e in events if e.supersedes_id}
        return EventSerializer(events, many=True, context={"superseded_ids": superseded}).data

    def get_outbound(self, incident) -> list[dict]:
        if self.context.get("new_incident"):
            return []  # created by this request: nothing can have been sent about it yet
        return [
            {
                "id": o.pk,
                "target": o.target,
                "kind": o.kind,
                "status": o.status,
                "ack_note": o.ack_note,
                "acked_at": o.acked_at,
                "created_at": o.created_at,
            }
            for o in selectors.incident_outbound(incident)
        ]


class IncidentCreateSerializer(serializers.Serializer):
    received_at = serializers.DateTimeField()
    station = serializers.CharField(
        max_length=16,
        required=False,
        help_text="Station code; omitted, the call goes to the station whose boundary contains lat/lon "
        "(outside every boundary: the nearest station's headquarters).",
    )
    category = serializers.ChoiceField(choices=Category.choices)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    address_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="a standard address's code instead of address/lat/lon (its text and point are used)",
    )
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    caller_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, validators=[validate_phone]
    )
    divert_to = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20,
        help_text="divert the call to this hotline as it is taken (e.g. 12345): no police clocks run",
    )
    catalogue_item = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="diversion catalogue item id: 110 → 12345 with divert_to, else the 12345 → 110 item",
    )


class AcceptInboundSerializer(serializers.Serializer):
    inbound = serializers.IntegerField(help_text=_("来件（exchange/inbound）的 id"))
    category = serializers.ChoiceField(choices=Category.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EventCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RECORDABLE_KINDS)
    at = serializers.DateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    target = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    supersedes = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text=_("更正：被更正环节的 id")
    )
    catalogue_item = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="`diverted` only: the 110 → 12345 diversion catalogue item id",
    )
    officers = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        default=list,
        max_length=50,
        help_text="`dispatched` / `arrived`: usernames of the officers sent (active users of the "
        "incident's station); `arrived` may name reinforcements not dispatched",
    )
    unit = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text="call sign (呼号)"
    )


class DiversionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.CharField()
    category = serializers.CharField(source="category.name")
    name = serializers.CharField()
    description = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField(), source="keyword_list")
    incident_category = serializers.CharField()


class DiversionSuggestionSerializer(serializers.Serializer):
    divert = serializers.BooleanField(help_text="whether the call looks like one to divert")
    reason = serializers.CharField()
    items = serializers.ListField(
        child=serializers.IntegerField(), help_text="suggested item ids, best first"
    )


class DiversionCatalogueSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DiversionItemSerializer(many=True)
    suggestion = DiversionSuggestionSerializer(allow_null=True)


class DiversionCatalogueParams(serializers.Serializer):
    direction = serializers.ChoiceField(choices=DiversionDirection.choices, required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=500)
    category = serializers.ChoiceField(choices=Category.choices, required=False)


class StageFiguresSerializer(serializers.Serializer):
    eligible = serializers.IntegerField()
    within = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    pending = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class DispatchFiguresSerializer(serializers.Serializer):
    incidents = serializers.IntegerField()
    dispatch_rate = serializers.FloatField(allow_null=True)
    video_supervision_rate = serializers.FloatField(allow_null=True)
    leader_notified_rate = serializers.FloatField(allow_null=True)
    arrival_rate = serializers.FloatField(allow_null=True)
    arrival_p50_seconds = serializers.IntegerField(allow_null=True)
    arrival_p90_seconds = serializers.IntegerField(allow_null=True)
    arrival_p95_seconds = serializers.IntegerField(allow_null=True)
    diverted = serializers.IntegerField()
    with_arrival = serializers.IntegerField()
    out_of_order = serializers.IntegerField()
    stages = serializers.DictField(child=StageFiguresSerializer())


class StationFiguresSerializer(DispatchFiguresSerializer):
    station = serializers.CharField()
    station_name = serializers.CharField()


class CategoryFiguresSerializer(DispatchFiguresSerializer):
    category = serializers.CharField()
    category_label = serializers.CharField()


class DispatchKpiSerializer(DispatchFiguresSerializer):
    by_station = StationFiguresSerializer(many=True)
    by_category = CategoryFiguresSerializer(many=True)


class CountChangeSerializer(serializers.Serializer):
    now = serializers.IntegerField()
    before = serializers.IntegerField(allow_null=True)
    change = serializers.FloatField(allow_null=True, help_text="(now − before) ÷ before; null on a zero base")
    p = serializers.FloatField(
        allow_null=True, help_text="exact two-sided p of the conditional binomial test, periods as exposure"
    )
    significant = serializers.BooleanField(allow_null=True, help_text="p < 0.05")
    before_until = serializers.DateTimeField(
        required=False, allow_null=True, help_text="partial month: end of the same elapsed span compared"
    )


class TrendMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    incidents = serializers.IntegerField()
    mom_change = serializers.FloatField(allow_null=True)
    yoy_change = serializers.FloatField(allow_null=True)
    partial = serializers.BooleanField()
    until = serializers.DateTimeField(allow_null=True, help_text="partial month: counted up to this moment")
    mom = CountChangeSerializer()
    yoy = CountChangeSerializer()


class TrendSerializer(serializers.Serializer):
    station = serializers.CharField(allow_null=True)
    months = TrendMonthSerializer(many=True)


class TrendParams(serializers.Serializer):
    months = serializers.IntegerField(required=False, default=12, min_value=1, max_value=60)
    station = serializers.CharField(required=False, allow_blank=False, max_length=16)
