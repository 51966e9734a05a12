from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from qianwan.api.params import period_and_station
from qianwan.api.viewsets import ScopedViewSet
from qianwan.exchange import selectors, services
from qianwan.exchange.choices import InboundStatus, Source
from qianwan.exchange.filtersets import InboundEventFilter, OutboundEventFilter
from qianwan.exchange.models import InboundEvent, OutboundEvent
from qianwan.org.choices import Role

from .polling import (
    DETAIL_PARAMS,
    LIST_PARAMS,
    SINCE_PARAMETER,
    list_responses,
    poll,
    refuse_unknown_parameters,
)
from .serializers import (
    AckSerializer,
    ExchangeKpiSerializer,
    InboundAssignSerializer,
    InboundEventSerializer,
    InboundWorkSerializer,
    OutboundEventSerializer,
)

PARTNERS = {Role.GRID_CLIENT, Role.ADMIN}
STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
READERS = STAFF | {Role.GRID_CLIENT}


def require_partner(user) -> None:
    """A grid_client acts for exactly one (enabled) partner; without one, every exchange call is 403
    ``partner_missing`` (api-contract.md "Grid platform exchange")."""
    if getattr(user, "role", None) != Role.GRID_CLIENT:
        return
    partner = selectors.partner_of(user)
    if partner is None:
        raise exceptions.PermissionDenied(
            _(
                "该对接账号未绑定对接平台，请管理员用 “manage.py apitoken 用户名 --role grid_client --partner 代码” 绑定。"
            ),
            code="partner_missing",
        )
    if not partner.enabled:
        raise exceptions.PermissionDenied(
            _("该账号所属的对接平台“%(name)s”已停用。") % {"name": partner.name}, code="partner_missing"
        )


class PartnerScopedMixin:
    """Exchange views: the partner check after authentication and the role check; the caller's
    partner in the serializer context (it decides whether a caller phone is shown)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require_partner(request.user)
        if not self.detail:  # detail actions check after the record is found (404 before 400)
            refuse_unknown_parameters(request, self.allowed_parameters())

    def allowed_parameters(self) -> frozenset:
        if self.action == "list":
            return LIST_PARAMS | set(self.filterset_class.base_filters)
        return DETAIL_PARAMS

    def get_object(self):
        obj = super().get_object()
        refuse_unknown_parameters(self.request, self.allowed_parameters())
        return obj

    def list(self, request, *args, **kwargs):
        if "since" in request.query_params:
            return poll(self, request)
        return super().list(request, *args, **kwargs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["partner"] = selectors.partner_of(self.request.user)
        return context


class InboundEventViewSet(
    PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
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
        "assign": {Role.BUREAU_LEADER, Role.ADMIN},
    }

    def scoped_queryset(self, user):
        return selectors.inbound_list(user=user)

    @extend_schema(
        parameters=[SINCE_PARAMETER], responses=list_responses(InboundEventSerializer, "InboundEvent")
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={201: InboundEventSerializer, 200: InboundEventSerializer})
    def create(self, request):
        source = request.data.get("source")
        partner = selectors.partner_of(request.user)
        if partner is not None and source in Source.values and source != partner.code:
            raise exceptions.PermissionDenied(
                _("只能以本平台（%(code)s）的名义报送事件，不能以 %(source)s 的名义。")
                % {"code": partner.code, "source": source}
            )
        serializer = self.get_serializer(data=request.data)
        # a replay of a known (source, external_id) returns the stored record even if the rest differs;
        # each partner has its own namespace of ids
        known = InboundEvent.objects.filter(
            source=str(source or "")[:20], external_id=str(request.data.get("external_id", ""))[:100]
        ).first()
        if known is not None:
            return Response(self.get_serializer(known).data, status=status.HTTP_200_OK)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        code_given = data.pop("address_code", "")
        if code_given:
            from places.services import resolve_place

            _found, data["address"], data["lat"], data["lon"] = resolve_place(
                address=data.get("address", ""),
                lat=data.get("lat"),
                lon=data.get("lon"),
                address_code=code_given,
            )
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

    @extend_schema(request=InboundAssignSerializer, responses=InboundEventSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """The bureau's triage: give a pending event (one without a location has no station) to a
        station, whose officers can then work it. Bureau leaders and admins only."""
        event = self.get_object()
        body = InboundAssignSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        event = services.inbound_assign_station(
            actor=request.user, event=event, station=body.validated_data["station"]
        )
        return Response(self.get_serializer(event).data)

    @extend_schema(request=InboundWorkSerializer, responses=InboundEventSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        """Record that the police worked the event to its end (an outcome)."""
        return self._work(request, InboundStatus.HANDLED)


class OutboundEventViewSet(
    PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
    """The police's outbox for the grid platform and the hotlines; partners pull and ack."""

    queryset = OutboundEvent.objects.all()
    serializer_class = OutboundEventSerializer
    filterset_class = OutboundEventFilter
    action_roles = {"list": READERS, "retrieve": READERS, "ack": PARTNERS}

    def scoped_queryset(self, user):
        return selectors.outbound_list(user=user)

    @extend_schema(
        parameters=[SINCE_PARAMETER], responses=list_responses(OutboundEventSerializer, "OutboundEvent")
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require_partner(request.user)
        refuse_unknown_parameters(request, {"from", "to", "station", "format"})

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
