from rest_framework import serializers

from qianwan.org.models import Station, station_code_validator


class StationSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=16, validators=[station_code_validator])
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)

    class Meta:
        model = Station
        fields = ["id", "code", "name", "address", "lat", "lon", "is_active"]
        read_only_fields = ["id", "is_active"]
