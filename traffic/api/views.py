from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from qianwan.api.params import period_and_station
from qianwan.api.viewsets import ScopedViewSet
from qianwan.org.choices import Role
from traffic import selectors, services
from traffic.filtersets import AccidentFilter, AssetFilter, JointPatrolFilter, PatrolFilter, ShiftFilter
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

from .serializers import (
    AccidentSerializer,
    AccidentUpdateSerializer,
    AssetSerializer,
    AssetUpdateSerializer,
    BeforeAfterParams,
    BeforeAfterSerializer,
    CloseSerializer,
    HotspotsResponseSerializer,
    IncidentAlertSerializer,
    JointPatrolSerializer,
    LocateParams,
    LocateSerializer,
    MemberSerializer,
    OnDutyParams,
    OnDutySerializer,
    PatrolSerializer,
    ShiftSerializer,
    TeamSerializer,
    TrafficKpiSerializer,
    ZoneSerializer,
    ZoneUpdateSerializer,
)

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
LEADERS = {Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
BUREAU = {Role.BUREAU_LEADER, Role.ADMIN}
PERIOD_PARAMS = [
    OpenApiParameter("from", str, required=True, description="YYYY-MM-DD（本地日期，含）"),
    OpenApiParameter("to", str, required=True, description="YYYY-MM-DD（本地日期，含）"),
    OpenApiParameter("station", str, required=False, description="派出所代码"),
]


class _CreateMixin:
    """create() = validate with the serializer, write through ``perform_service``, answer 201."""

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_service(serializer.validated_data)
        return Response(self.get_serializer(self._reload(obj)).data, status=status.HTTP_201_CREATED)

    def _reload(self, obj):
        return self.get_queryset().filter(pk=obj.pk).first() or obj


class ZoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Patrol zones (巡区): GeoJSON polygons; any point belongs to at most one zone."""

    queryset = PatrolZone.objects.all()
    serializer_class = ZoneSerializer
    lookup_field = "code"
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": BUREAU,
        "partial_update": BUREAU,
        "locate": STAFF,
    }

    def scoped_queryset(self, user):
        return selectors.zone_list(user=user)

    def perform_service(self, data):
        return services.zone_create(actor=self.request.user, **data)

    @extend_schema(request=ZoneUpdateSerializer, responses=ZoneSerializer)
    def partial_update(self, request, code=None):
        zone = self.get_object()
        serializer = ZoneUpdateSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        zone = services.zone_update(actor=request.user, zone=zone, **serializer.validated_data)
        return Response(self.get_serializer(self._reload(zone)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", float, required=True),
            OpenApiParameter("lon", float, required=True),
            OpenApiParameter("at", str, required=False, description="ISO 8601；默认现在"),
        ],
        responses=LocateSerializer,
    )
    @action(detail=False, methods=["get"])
    def locate(self, request):
        """Which zone a point is in, and the team on duty there (``inside=false`` outside every zone)."""
        params = LocateParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        lat, lon = params.validated_data["lat"], params.validated_data["lon"]
        zone = selectors.zone_for_point(lat=lat, lon=lon)
        team = selectors.team_on_duty(zone, params.validated_data.get("at")) if zone else None
        return Response(
            {
                "zone": ZoneSerializer(zone).data if zone else None,
                "inside": zone is not None,
                "message": services.outside_zones_message(lat, lon) if zone is None else zone.name,
                "team_on_duty": team.name if team else None,
            }
        )


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Mixed patrol teams with their active members."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": LEADERS}

    def scoped_queryset(self, user):
        return selectors.team_list(user=user)

    def perform_service(self, data):
        return services.team_create(actor=self.request.user, **data)


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Team members (交警、巡特警、派出所民警、辅警); ``user`` links a login for on-duty alerts."""

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": LEADERS}

    def scoped_queryset(self, user):
        return selectors.member_list(user=user)

    def perform_service(self, data):
        return services.member_add(actor=self.request.user, **data)


class ShiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """The roster: a team on duty in a zone; a member can never be on two shifts at once."""

    queryset = Shift.objects.all()
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": LEADERS, "destroy": LEADERS}

    def scoped_queryset(self, user):
        return selectors.shift_list(user=user)

    def perform_service(self, data):
        return services.shift_create(actor=self.request.user, **data)

    def destroy(self, request, pk=None):
        services.shift_cancel(actor=request.user, shift=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnDutyView(APIView):
    """The team on duty in a zone at a time (default now): ``team_on_duty(zone, at)``."""

    action_roles = {"get": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter("zone", str, required=True, description="巡区代码"),
            OpenApiParameter("at", str, required=False, description="ISO 8601；默认现在"),
        ],
        responses=OnDutySerializer,
    )
    def get(self, request):
        params = OnDutyParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        zone = selectors.zone_list(user=request.user).filter(code=params.validated_data["zone"]).first()
        if zone is None:
            raise DRFValidationError({"zone": [_("未知的巡区代码。")]})
        at = params.validated_data.get("at") or timezone.now()
        shifts = selectors.shifts_on_duty(zone=zone, at=at)
        return Response(
            {
                "zone": zone.code,
                "at": at,
                "team": TeamSerializer(shifts[0].team).data if shifts else None,
                "shifts": ShiftSerializer(shifts, many=True).data,
            }
        )


class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Cameras, radar speed-warning signs and police posts; the zone follows the location."""

    queryset = Asset.objects.all()
    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": STAFF,
        "partial_update": STAFF,
        "before_after": STAFF,
    }

    def scoped_queryset(self, user):
        return selectors.asset_list(user=user)

    def perform_service(self, data):
        return services.asset_create(actor=self.request.user, **data)

    @extend_schema(request=AssetUpdateSerializer, responses=AssetSerializer)
    def partial_update(self, request, pk=None):
        asset = self.get_object()
        serializer = AssetUpdateSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        asset = services.asset_update(actor=request.user, asset=asset, **serializer.validated_data)
        return Response(self.get_serializer(self._reload(asset)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("radius_m", int, required=False, description="半径（米），默认 500"),
            OpenApiParameter("window_days", int, required=False, description="前后各多少天，默认 90"),
        ],
        responses=BeforeAfterSerializer,
    )
    @action(detail=True, methods=["get"], url_path="before-after")
    def before_after(self, request, pk=None):
        """Accidents within a radius in equal windows before and after installation (exact test: p and flag)."""
        asset = self.get_object()
        params = BeforeAfterParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(selectors.asset_before_after(asset=asset, **params.validated_data))


class PatrolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Patrol log: team, zone, kind, times, findings and violations by type."""

    queryset = Patrol.objects.all()
    serializer_class = PatrolSerializer
    filterset_class = PatrolFilter
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": STAFF}

    def scoped_queryset(self, user):
        return selectors.patrol_list(user=user)

    def perform_service(self, data):
        return services.patrol_create(actor=self.request.user, **data)


class JointPatrolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Joint patrol rounds with grid workers, enterprise security and volunteers."""

    queryset = JointPatrol.objects.all()
    serializer_class = JointPatrolSerializer
    filterset_class = JointPatrolFilter
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": STAFF}

    def scoped_queryset(self, user):
        return selectors.joint_patrol_list(user=user)

    def perform_service(self, data):
        return services.joint_patrol_create(actor=self.request.user, **data)


class AccidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CreateMixin, ScopedViewSet):
    """Road-traffic accidents; three or more deaths alert the sub-bureau leaders at once."""

    queryset = Accident.objects.all()
    serializer_class = AccidentSerializer
    filterset_class = AccidentFilter
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": STAFF,
        "partial_update": STAFF,
        "close": STAFF,
    }

    def scoped_queryset(self, user):
        return selectors.accident_list(user=user)

    def perform_service(self, data):
        return services.accident_create(actor=self.request.user, **data)

    @extend_schema(request=AccidentUpdateSerializer, responses=AccidentSerializer)
    def partial_update(self, request, pk=None):
        accident = self.get_object()
        serializer = AccidentUpdateSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        accident = services.accident_update(
            actor=request.user, accident=accident, **serializer.validated_data
        )
        return Response(self.get_serializer(self._reload(accident)).data)

    @extend_schema(request=CloseSerializer, responses=AccidentSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        accident = self.get_object()
        serializer = CloseSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        accident = services.accident_close(
            actor=request.user, accident=accident, at=serializer.validated_data["at"]
        )
        return Response(self.get_serializer(self._reload(accident)).data)


class IncidentAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """What the sweep did with each traffic incident (which team was told, or why not)."""

    queryset = IncidentAlert.objects.all()
    serializer_class = IncidentAlertSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF}

    def scoped_queryset(self, user):
        return selectors.incident_alert_list(user=user)


class HotspotsView(APIView):
    """Accidents per H3 cell (resolution 9) with a Getis-Ord Gi* z-score."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=PERIOD_PARAMS, responses=HotspotsResponseSerializer)
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        cells = selectors.accident_hotspots(date_from=date_from, date_to=date_to, station=station)
        return Response({"resolution": selectors.H3_RESOLUTION, "cells": cells})


class TrafficKpiView(APIView):
    """Traffic figures for a period: accidents, deaths, the zero goal, patrols, joint patrols, YoY."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=PERIOD_PARAMS, responses=TrafficKpiSerializer)
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(selectors.traffic_kpis(date_from=date_from, date_to=date_to, station=station))
