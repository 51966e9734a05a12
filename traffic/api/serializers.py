from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qianwan.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from qianwan.org.models import Station
from qianwan.references import police_users
from traffic import selectors
from traffic.choices import (
    AccidentCause,
    AccidentType,
    AssetKind,
    AssetStatus,
    HandledBy,
    MaintenanceStatus,
    MemberKind,
    PatrolKind,
    TeamKind,
    ViolationType,
)
from traffic.models import (
    Accident,
    Asset,
    IncidentAlert,
    JointPatrol,
    Member,
    Patrol,
    PatrolZone,
    Shift,
    Team,
)

LAT = {"min_value": -90, "max_value": 90}
LON = {"min_value": -180, "max_value": 180}
COUNT = {"min_value": 0, "max_value": 100000}


class StationCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Station.objects.all())
        super().__init__(slug_field="code", **kwargs)


class ZoneCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", PatrolZone.objects.all())
        super().__init__(slug_field="code", **kwargs)


class ZoneSerializer(serializers.ModelSerializer):
    polygon = serializers.JSONField(help_text=_("GeoJSON Polygon/MultiPolygon，坐标顺序 [经度, 纬度]"))
    stations = StationCodeField(many=True, required=False)

    class Meta:
        model = PatrolZone
        fields = ["id", "code", "name", "polygon", "stations", "is_active"]
        # a new zone is always active (zone_create takes no flag); deactivate it with PATCH
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"code": {"validators": []}}


class ZoneUpdateSerializer(serializers.ModelSerializer):
    polygon = serializers.JSONField(required=False)
    stations = StationCodeField(many=True, required=False)

    class Meta:
        model = PatrolZone
        fields = ["name", "polygon", "stations", "is_active"]
        extra_kwargs = {"name": {"required": False}, "is_active": {"required": False}}


class LocateParams(serializers.Serializer):
    lat = serializers.FloatField(**LAT)
    lon = serializers.FloatField(**LON)
    at = serializers.DateTimeField(required=False)


class OnDutyParams(serializers.Serializer):
    zone = serializers.CharField(max_length=16)
    at = serializers.DateTimeField(required=False)


class MemberSerializer(serializers.ModelSerializer):
    team = ScopedPrimaryKeyRelatedField(scope=selectors.team_refs)
    kind = serializers.ChoiceField(choices=MemberKind.choices)
    user = ScopedSlugRelatedField(
        slug_field="username",
        scope=police_users,
        required=False,
        allow_null=True,
        help_text=_("本队所属派出所的在职民警账号（分局队伍：任一民警账号）"),
    )

    class Meta:
        model = Member
        fields = ["id", "team", "name", "kind", "user", "is_leader", "phone", "is_active"]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"phone": {"help_text": _("仅本所（及分局）可见；其他派出所的队员只显示姓名")}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not selectors.can_see_member_contact(request.user, instance):
            # another station's member: a name on the shared picture, never a phone or an account
            data["phone"], data["user"] = "", None
        return data


class TeamMemberInline(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "name", "kind", "is_leader"]


class TeamSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=TeamKind.choices, default=TeamKind.MIXED)
    station = StationCodeField(required=False, allow_null=True)
    home_zone = ZoneCodeField(required=False, allow_null=True)
    members = TeamMemberInline(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "station", "home_zone", "is_active", "members"]
        read_only_fields = ["id", "is_active", "members"]
        extra_kwargs = {"name": {"validators": []}}


class ShiftSerializer(serializers.ModelSerializer):
    zone = ZoneCodeField()
    team = ScopedPrimaryKeyRelatedField(scope=selectors.team_refs)
    team_name = serializers.CharField(source="team.name", read_only=True)
    members = ScopedPrimaryKeyRelatedField(
        many=True, scope=selectors.member_refs, required=False, help_text=_("留空表示全队在队人员")
    )

    class Meta:
        model = Shift
        fields = ["id", "zone", "team", "team_name", "starts_at", "ends_at", "note", "members"]
        read_only_fields = ["id", "team_name"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["members"] = [
            {"id": a.member_id, "name": a.member.name, "kind": a.member.kind}
            for a in instance.assignments.all()
        ]
        return data


class OnDutySerializer(serializers.Serializer):
    zone = serializers.CharField()
    at = serializers.DateTimeField()
    team = TeamSerializer(allow_null=True)
    shifts = ShiftSerializer(many=True)


class LocateSerializer(serializers.Serializer):
    zone = ZoneSerializer(allow_null=True)
    inside = serializers.BooleanField()
    message = serializers.CharField()
    team_on_duty = serializers.CharField(allow_null=True)


class AssetSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    status = serializers.ChoiceField(choices=AssetStatus.choices, default=AssetStatus.ACTIVE)
    maintenance_status = serializers.ChoiceField(
        choices=MaintenanceStatus.choices, default=MaintenanceStatus.OK
    )
    lat = serializers.FloatField(**LAT)
    lon = serializers.FloatField(**LON)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Asset
        fields = [
            "id", "kind", "code", "name", "road", "lat", "lon", "zone", "status", "installed_on",
            "maintenance_status", "last_maintained_on", "note",
        ]  # fmt: skip
        read_only_fields = ["id", "zone"]
        extra_kwargs = {"code": {"validators": []}}


class AssetUpdateSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=AssetStatus.choices, required=False)
    maintenance_status = serializers.ChoiceField(choices=MaintenanceStatus.choices, required=False)
    lat = serializers.FloatField(required=False, **LAT)
    lon = serializers.FloatField(required=False, **LON)

    class Meta:
        model = Asset
        fields = [
            "name",
            "road",
            "lat",
            "lon",
            "status",
            "installed_on",
            "maintenance_status",
            "last_maintained_on",
            "note",
        ]
        extra_kwargs = {
            f: {"required": False} for f in ["name", "road", "installed_on", "last_maintained_on", "note"]
        }


class BeforeAfterParams(serializers.Serializer):
    radius_m = serializers.IntegerField(min_value=50, max_value=5000, default=500)
    window_days = serializers.IntegerField(min_value=7, max_value=730, default=90)


class ViolationSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ViolationType.choices)
    count = serializers.IntegerField(**COUNT)


class PatrolSerializer(serializers.ModelSerializer):
    team = ScopedPrimaryKeyRelatedField(scope=selectors.team_refs)
    team_name = serializers.CharField(source="team.name", read_only=True)
    zone = ZoneCodeField()
    kind = serializers.ChoiceField(choices=PatrolKind.choices, default=PatrolKind.ROUTINE)
    officers = serializers.IntegerField(min_value=0, max_value=10000, default=1)
    campaign = ScopedPrimaryKeyRelatedField(
        scope=selectors.campaign_refs,
        required=False,
        allow_null=True,
        help_text=_("专项行动（集中统一行动）id"),
    )
    operation = ScopedPrimaryKeyRelatedField(
        scope=selectors.operation_refs,
        required=False,
        allow_null=True,
        help_text=_("行动批次 id（所属专项行动的一次行动）：该巡逻的警力随行动批次计一次"),
    )
    named_officers = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        write_only=True,  # answered as usernames by to_representation
        max_length=500,
        help_text=_("参与民警的用户名（出动警力中的本所账号，不多于出动人数）"),
    )
    violations = ViolationSerializer(many=True, required=False)
    violations_total = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = [
            "id", "team", "team_name", "zone", "kind", "started_at", "ended_at", "officers", "findings",
            "campaign", "operation", "named_officers", "violations", "violations_total", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "team_name", "violations_total", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["named_officers"] = [u.username for u in instance.named_officers.all()]
        return data

    def get_violations_total(self, obj) -> int:
        return sum(v.count for v in obj.violations.all())


class JointPatrolSerializer(serializers.ModelSerializer):
    station = StationCodeField()
    enterprise = ScopedPrimaryKeyRelatedField(
        scope=selectors.enterprise_refs, required=False, allow_null=True
    )
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lat = serializers.FloatField(required=False, allow_null=True, **LAT)
    lon = serializers.FloatField(required=False, allow_null=True, **LON)
    police = serializers.IntegerField(default=0, **COUNT)
    grid_workers = serializers.IntegerField(default=0, **COUNT)
    enterprise_security = serializers.IntegerField(default=0, **COUNT)
    volunteers = serializers.IntegerField(default=0, **COUNT)
    participants = serializers.IntegerField(read_only=True)

    class Meta:
        model = JointPatrol
        fields = [
            "id", "date", "station", "organisers", "location", "enterprise", "lat", "lon", "zone", "police",
            "grid_workers", "enterprise_security", "volunteers", "participants", "note", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "zone", "participants", "created_at"]


class AccidentSerializer(serializers.ModelSerializer):
    station = StationCodeField()
    incident = ScopedPrimaryKeyRelatedField(scope=selectors.incident_refs, required=False, allow_null=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    outside_zones = serializers.SerializerMethodField()
    lat = serializers.FloatField(**LAT)
    lon = serializers.FloatField(**LON)
    type = serializers.ChoiceField(choices=AccidentType.choices, required=False)
    cause = serializers.ChoiceField(choices=AccidentCause.choices, default=AccidentCause.OTHER)
    handled_by = serializers.ChoiceField(choices=HandledBy.choices, default=HandledBy.STATION)
    vehicles = serializers.IntegerField(default=1, **COUNT)
    injured = serializers.IntegerField(default=0, **COUNT)
    deaths = serializers.IntegerField(default=0, **COUNT)
    is_major = serializers.BooleanField(read_only=True)

    class Meta:
        model = Accident
        fields = [
            "id", "number", "occurred_at", "lat", "lon", "address", "road", "zone", "outside_zones", "station",
            "type", "vehicles", "injured", "deaths", "is_major", "cause", "cause_note", "handled_by", "status",
            "closed_at", "incident", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "number", "zone", "status", "closed_at", "created_at"]

    def get_outside_zones(self, obj) -> bool:
        return obj.zone_id is None


class AccidentUpdateSerializer(serializers.ModelSerializer):
    lat = serializers.FloatField(required=False, **LAT)
    lon = serializers.FloatField(required=False, **LON)
    type = serializers.ChoiceField(choices=AccidentType.choices, required=False)
    cause = serializers.ChoiceField(choices=AccidentCause.choices, required=False)
    handled_by = serializers.ChoiceField(choices=HandledBy.choices, required=False)
    vehicles = serializers.IntegerField(required=False, **COUNT)
    injured = serializers.IntegerField(required=False, **COUNT)
    deaths = serializers.IntegerField(required=False, **COUNT)

    class Meta:
        model = Accident
        fields = [
            "occurred_at",
            "lat",
            "lon",
            "address",
            "road",
            "type",
            "vehicles",
            "injured",
            "deaths",
            "cause",
            "cause_note",
            "handled_by",
        ]
        extra_kwargs = {f: {"required": False} for f in ["occurred_at", "address", "road", "cause_note"]}


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    class Meta:
        ref_name = "AccidentClose"  # the schema component; disputes have their own CloseSerializer


class IncidentAlertSerializer(serializers.ModelSerializer):
    incident_number = serializers.CharField(source="incident.number", read_only=True)
    station = serializers.CharField(source="incident.station.code", read_only=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    team = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = IncidentAlert
        fields = [
            "id",
            "incident",
            "incident_number",
            "station",
            "zone",
            "team",
            "outcome",
            "notification",
            "created_at",
        ]
        read_only_fields = fields


class TrafficCountChangeSerializer(serializers.Serializer):
    now = serializers.IntegerField()
    before = serializers.IntegerField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    z = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(allow_null=True)


class BeforeAfterSerializer(serializers.Serializer):
    asset = serializers.IntegerField()
    installed_on = serializers.DateField(allow_null=True)
    comparable = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    radius_m = serializers.IntegerField(required=False)
    window_days = serializers.IntegerField(required=False)
    before_from = serializers.DateField(required=False)
    after_to = serializers.DateField(required=False)
    change = TrafficCountChangeSerializer(required=False)


class HotspotSerializer(serializers.Serializer):
    cell = serializers.CharField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    accidents = serializers.IntegerField()
    deaths = serializers.IntegerField()
    gi_z = serializers.FloatField()
    hotspot = serializers.BooleanField()
    boundary = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))


class HotspotsResponseSerializer(serializers.Serializer):
    resolution = serializers.IntegerField()
    cells = HotspotSerializer(many=True)


class YoySerializer(serializers.Serializer):
    before_from = serializers.DateField()
    before_to = serializers.DateField()
    accidents = TrafficCountChangeSerializer()
    deaths = TrafficCountChangeSerializer()
    injured = TrafficCountChangeSerializer()


class TrafficKpiSerializer(serializers.Serializer):
    accidents = serializers.IntegerField()
    injured = serializers.IntegerField()
    deaths = serializers.IntegerField()
    fatal_accidents = serializers.IntegerField()
    major_accidents = serializers.IntegerField()
    zero_major_goal_met = serializers.BooleanField()
    closed = serializers.IntegerField()
    handled_by_station = serializers.IntegerField()
    by_type = serializers.DictField(child=serializers.IntegerField())
    patrols = serializers.DictField()
    joint_patrols = serializers.DictField(child=serializers.IntegerField())
    assets = serializers.DictField()
    yoy = YoySerializer()
