"""Places and search (api-contract.md): address type-ahead, the one search, an incident's repeats."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from places import selectors
from places.search import search
from qianwan.api.pagination import Pagination
from qianwan.org.choices import Role

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
Q_PARAM = OpenApiParameter(
    "q", str, required=True, description="at least 2 characters (else 400 `query_too_short`)"
)


def query_param(request) -> str:
    try:
        return selectors.clean_query(request.query_params.get("q"))
    except selectors.QueryTooShort as exc:
        raise exceptions.ValidationError({"q": [str(exc)]}, code="query_too_short") from exc


class AddressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    station = serializers.CharField(allow_null=True, help_text="the station code (from the point)")
    block = serializers.CharField(allow_null=True, help_text="the dispute block's name (from the point)")
    grid = serializers.CharField(allow_blank=True, help_text="the grid cell's code from the import")

    def to_representation(self, a):
        return {
            "id": a.pk,
            "code": a.code,
            "text": a.text,
            "lat": a.lat,
            "lon": a.lon,
            "station": a.station.code if a.station_id else None,
            "block": a.block.name if a.block_id else None,
            "grid": a.grid,
        }


class AddressPagination(Pagination):
    page_size = 20


class AddressListView(APIView):
    """Standard addresses matching `q`, best match first (trigram similarity on PostgreSQL): one page."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=[Q_PARAM], responses=AddressSerializer(many=True))
    def get(self, request):
        text = query_param(request)
        qs = selectors.address_matches(selectors.address_list(user=request.user).filter(is_active=True), text)
        paginator = AddressPagination()
        size = paginator.get_page_size(request)
        rows = list(qs[: size + 1])
        return Response(
            {
                "count": len(rows[:size]),
                "next": None,
                "previous": None,
                "results": AddressSerializer(rows[:size], many=True).data,
            }
        )


SEARCH_RESULT = inline_serializer(
    "SearchResponse",
    fields={
        "results": inline_serializer(
            "SearchResult",
            fields={
                "kind": serializers.ChoiceField(
                    ["incident", "address", "dispute", "hazard", "enterprise", "party"]
                ),
                "id": serializers.IntegerField(),
                "title": serializers.CharField(),
                "url": serializers.CharField(),
            },
            many=True,
        )
    },
)


class SearchView(APIView):
    """One search across modules within the caller's scope (incident numbers of another station find
    nothing); phones match exactly on the normalised number and are masked as the role's rule says;
    searches by a phone or a person's name are audited."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=[Q_PARAM], responses=SEARCH_RESULT)
    def get(self, request):
        text = query_param(request)
        return Response({"results": search(user=request.user, q=text)})
