from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import selectors, services
from incidents.choices import DiversionDirection
from incidents.filtersets import IncidentFilter
from incidents.models import Incident
from places.services import resolve_place
from qianwan.api.params import period_and_station, resolve_station
from qianwan.api.viewsets import ScopedViewSet
from qianwan.exchange.selectors import inbound_list
from qianwan.org import selectors as org_selectors
from qianwan.org.choices import Role
from qianwan.org.scopes import can_act_for_station

from .serializers import (
    AcceptInboundSerializer,
    DispatchKpiSerializer,
    DiversionCatalogueParams,
    DiversionCatalogueSerializer,
    DiversionItemSerializer,
    EventCreateSerializer,
    EventSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    TrendParams,
    TrendSerializer,
)

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """110 incidents: take a call, record its steps, read its SLA clocks."""

    queryset = Incident.objects.all()
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": STAFF,
        "events": STAFF,
        "from_inbound": STAFF,
        "repeats": STAFF,
    }

    def scoped_queryset(self, user):
        if self.action == "retrieve":
            return selectors.incident_detail(user=user)
        return selectors.incident_list(user=user)

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request):
        # 403 (another station) wins over 400 (bad fields), as the contract orders them
        code = request.data.get("station") if isinstance(request.data, dict) else None
        station = org_selectors.station_by_code(code) if isinstance(code, str) else None
        if station is not None and not can_act_for_station(request.user, station):
            raise exceptions.PermissionDenied(_("只能为本所登记警情。"))
        body = IncidentCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if station is None and data.get("station"):
            raise exceptions.ValidationError(
                {"station": [_("未知的派出所代码：%(code)s") % {"code": data["station"]}]}
            )
        data["station"] = station  # None: routed by the point (boundary, else nearest headquarters)
        data["standard_address"], data["address"], data["lat"], data["lon"] = resolve_place(
            address=data["address"],
            lat=data["lat"],
            lon=data["lon"],
            address_code=data.pop("address_code", ""),
        )
        incident = services.incident_create(actor=request.user, **data)
        # the service hands back the incident with its clocks and (empty) timeline attached, and a new
        # incident has no exchange events: answer without reading back what was just written
        context = {**self.get_serializer_context(), "new_incident": True}
        serializer = IncidentDetailSerializer(incident, context=context)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AcceptInboundSerializer, responses={201: IncidentDetailSerializer})
    @action(detail=False, methods=["post"], url_path="from-inbound")
    def from_inbound(self, request):
        """Accept a grid/12345 inbound event as an incident (the API twin of the event page's form):
        the incident is received now and the event's status flows back to its partner as `accepted`.
        An event the caller cannot see is refused like an unknown one (400, `fields.inbound`)."""
        body = AcceptInboundSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        event = inbound_list(user=request.user).filter(pk=data["inbound"]).first()
        if event is None:
            raise exceptions.ValidationError(
                {"inbound": [_("未找到该来件：%(id)s") % {"id": data["inbound"]}]}
            )
        incident = services.incident_accept_inbound(
            actor=request.user, event=event, category=data["category"], note=data["note"]
        )
        incident = selectors.incident_detail(user=request.user).get(pk=incident.pk)
        serializer = IncidentDetailSerializer(incident, context=self.get_serializer_context())
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EventCreateSerializer, responses={201: EventSerializer})
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        """Append a step (`dispatched`, `video_supervised`, `leader_notified`, `arrived`, `closed`,
        `diverted` with `target`); `supersedes` makes it a correction of an earlier event."""
        incident = self.get_object()
        if not can_act_for_station(request.user, incident.station):
            raise exceptions.PermissionDenied(_("只能处置本所的警情。"))
        body = EventCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        event = services.incident_record_event(actor=request.user, incident=incident, **body.validated_data)
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: IncidentSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def repeats(self, request, pk=None):
        """The earlier incidents (within the caller's scope) from the same caller phone or the same
        standard address, or within 100 m, in the 72 hours before this one, newest first; each with
        ``reasons`` (``phone``, ``address``, ``nearby``)."""
        from places.selectors import incident_repeats

        incident = self.get_object()
        rows = incident_repeats(incident, user=request.user, qs=selectors.incident_list(user=request.user))
        context = self.get_serializer_context()
        results = [
            {**IncidentSerializer(row, context=context).data, "reasons": row.repeat_reasons} for row in rows
        ]
        return Response({"count": len(results), "next": None, "previous": None, "results": results})


class DispatchKpiView(APIView):
    """Dispatch timing for incidents received in a local period: rates with counts, nearest-rank
    arrival percentiles, per station and per category."""

    action_roles = {"get": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="YYYY-MM-DD (Asia/Shanghai)"),
            OpenApiParameter("to", str, required=True, description="YYYY-MM-DD, inclusive"),
            OpenApiParameter("station", str, required=False),
        ],
        responses=DispatchKpiSerializer,
    )
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(selectors.dispatch_kpis(date_from=date_from, date_to=date_to, station=station))


class IncidentTrendView(APIView):
    """Incidents per local month with month-over-month and year-over-year changes (exact conditional binomial test, periods' lengths as exposure; partial month against the same elapsed span)."""

    action_roles = {"get": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter("months", int, required=False, description="1–60, default 12"),
            OpenApiParameter("station", str, required=False),
        ],
        responses=TrendSerializer,
    )
    def get(self, request):
        params = TrendParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        station = resolve_station(request.user, params.validated_data.get("station"))
        return Response(selectors.incident_trend(months=params.validated_data["months"], station=station))


class DiversionCatalogueView(APIView):
    """The 110 ↔ 12345 diversion catalogue's active items, in catalogue order. With ``q`` (the call's
    description) or ``category`` (the call's category), ``suggestion`` says whether to divert and the
    items that match, best first, and ``results`` lists those items first."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=[DiversionCatalogueParams], responses=DiversionCatalogueSerializer)
    def get(self, request):
        params = DiversionCatalogueParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        direction = params.validated_data.get("direction")
        items = list(selectors.diversion_catalogue(direction=direction))
        suggestion = None
        q, category = params.validated_data.get("q", ""), params.validated_data.get("category", "")
        if q or category:
            found = selectors.diversion_suggest(
                category=category, text=q, direction=direction or DiversionDirection.TO_12345
            )
            first = [i.pk for i in found["items"]]
            items.sort(key=lambda i: first.index(i.pk) if i.pk in first else len(first))
            suggestion = {"divert": found["divert"], "reason": found["reason"], "items": first}
        return Response(
            {
                "count": len(items),
                "results": DiversionItemSerializer(items, many=True).data,
                "suggestion": suggestion,
            }
        )
