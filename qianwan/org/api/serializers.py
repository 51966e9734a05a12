from rest_framework import serializers

from qianwan.org.models import Station, station_code_validator


class StationSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=16, validators=[station_code_validator])
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    boundary = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="The jurisdiction: a GeoJSON Polygon or MultiPolygon in WGS84 ([lon, lat]); it may not "
        "overlap another active station's boundary. Calls and inbound events inside it go to this station.",
    )

    class Meta:
        model = Station
        fields = ["id", "code", "name", "address", "lat", "lon", "boundary", "is_active"]
        read_only_fields = ["id", "is_active"]


class StationBoundarySerializer(serializers.Serializer):
    boundary = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="A GeoJSON Polygon or MultiPolygon in WGS84 ([lon, lat]), or null to clear it.",
    )
