"""Query parameters shared by the KPI endpoints: a local date period and an optional station."""

from datetime import date

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from qianwan.org.choices import STATION_ROLES
from qianwan.org.models import Station

MAX_PERIOD_DAYS = 366 * 10


class PeriodParams(serializers.Serializer):
    """`from`/`to` are local (Asia/Shanghai) dates, inclusive; `station` is a station code."""

    from_ = serializers.DateField(required=True)
    to = serializers.DateField(required=True)
    station = serializers.CharField(required=False, allow_blank=False, max_length=16)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": [_("结束日期不能早于开始日期。")]})
        if (attrs["to"] - attrs["from"]).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"to": [_("统计区间最长十年。")]})
        return attrs


def resolve_station(user, code: str | None) -> Station | None:
    """The station a KPI request names. Station roles get their own station's figures; asking for
    another station is refused (403); an unknown code is bad input (400)."""
    if user.role in STATION_ROLES:
        if code and code != user.station.code:
            raise exceptions.PermissionDenied(_("只能查看本所的统计。"))
        return user.station
    if not code:
        return None
    station = Station.objects.filter(code=code).first()
    if station is None:
        raise exceptions.ValidationError({"station": [_("未知的派出所代码：%(code)s") % {"code": code}]})
    return station


def period_and_station(request) -> tuple[date, date, Station | None]:
    params = PeriodParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    return data["from"], data["to"], resolve_station(request.user, data.get("station"))
