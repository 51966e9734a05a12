from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from qianwan.api.viewsets import ScopedViewSet
from qianwan.org import selectors, services
from qianwan.org.choices import Role
from qianwan.org.models import Station

from .serializers import StationBoundarySerializer, StationSerializer

READERS = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN, Role.LIAISON}


class StationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Stations (派出所): reference data every staff member reads; only admins create them or set their
    boundary (PATCH with ``{"boundary": GeoJSON | null}``)."""

    queryset = Station.objects.all()
    serializer_class = StationSerializer
    lookup_field = "code"
    action_roles = {
        "list": READERS,
        "retrieve": READERS,
        "create": {Role.ADMIN},
        "partial_update": {Role.ADMIN},
    }

    def scoped_queryset(self, user):
        return selectors.station_list(user=user)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        station = services.station_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(station).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StationBoundarySerializer, responses={200: StationSerializer})
    def partial_update(self, request, code=None):
        station = self.get_object()
        body = StationBoundarySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "boundary" in body.validated_data:  # a PATCH without it changes nothing
            station = services.station_set_boundary(
                actor=request.user, station=station, boundary=body.validated_data["boundary"]
            )
        return Response(self.get_serializer(station).data)
