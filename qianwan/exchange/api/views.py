from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from qianwan.api.params import period_and_station
from qianwan.api.viewsets import ScopedViewSet
from qianwan.exchange import selectors, services
from qianwan.exchange.choices import InboundStatus
from qianwan.exchange.filtersets import InboundEventFilter, OutboundEventFilter
from qianwan.exchange.models import InboundEvent, OutboundEvent
from qianwan.org.choices import Role

from .serializers import (
    AckSerializer,
    ExchangeKpiSerializer,
    InboundEventSerializer,
    InboundWorkSerializer,
    OutboundEventSerializer,
)

PARTNERS = {Role.GRID_CLIENT, Role.ADMIN}
STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
READERS = STAFF | {Role.GRID_CLIENT}


class InboundEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Events the grid platform and 12345 send to the police (POST is idempotent on external_id)."""

    queryset = InboundEvent.objects.all()
    serializer_class = InboundEventSerializer
    filterset_class = InboundEventFilter
    action_roles = {
        "list": READERS,
        "retrieve": READERS,
        "create": PARTNERS,
        "reject": STAFF,
        "handle": STAFF,
    }

    def scoped_queryset(self, user):
        return selectors.inbound_list(user=user)

    @extend_schema(responses={201: InboundEventSerializer, 200: InboundEventSerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        # a replay of a known external_id returns the stored record even if the rest differs
        known = InboundEvent.objects.filter(
            external_id=str(request.data.get("external_id", ""))[:100]
        ).first()
        if known is not None:
            return Response(self.get_serializer(known).data, status=status.HTTP_200_OK)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["raw"] = request.data
        event, created = services.inbound_receive(actor=request.user, data=data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(event).data, status=code)

    def _work(self, request, new_status):
        event = self.get_object()
        body = InboundWorkSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        event = services.inbound_work(
            actor=request.user, event=event, status=new_status, note=body.validated_data["note"]
        )
        return Response(self.get_serializer(event).data)

    @extend_schema(request=InboundWorkSerializer, responses=InboundEventSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send the event back to its source with a reason (an outcome)."""
        return self._work(request, InboundStatus.REJECTED)

    @extend_schema(request=InboundWorkSerializer, responses=InboundEventSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        """Record that the police worked the event to its end (an outcome)."""
        return self._work(request, InboundStatus.HANDLED)


class OutboundEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The police's outbox for the grid platform and the hotlines; partners pull and ack."""

    queryset = OutboundEvent.objects.all()
    serializer_class = OutboundEventSerializer
    filterset_class = OutboundEventFilter
    action_roles = {"list": READERS, "retrieve": READERS, "ack": PARTNERS}

    def scoped_queryset(self, user):
        return selectors.outbound_list(user=user)

    @extend_schema(request=AckSerializer, responses=OutboundEventSerializer)
    @action(detail=True, methods=["post"])
    def ack(self, request, pk=None):
        event = self.get_object()
        body = AckSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        event = services.outbound_ack(actor=request.user, event=event, **body.validated_data)
        return Response(self.get_serializer(event).data)


class ExchangeKpiView(APIView):
    """Events created in the period (local dates, inclusive) and the share handled."""

    action_roles = {"get": READERS}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="YYYY-MM-DD (Asia/Shanghai)"),
            OpenApiParameter("to", str, required=True, description="YYYY-MM-DD, inclusive"),
            OpenApiParameter("station", str, required=False),
        ],
        responses=ExchangeKpiSerializer,
    )
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(
            selectors.exchange_kpis(user=request.user, date_from=date_from, date_to=date_to, station=station)
        )
