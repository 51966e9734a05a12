from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from places.services import resolve_place
from qianwan.api.params import period_and_station
from qianwan.api.viewsets import ScopedViewSet
from qianwan.org.choices import Role
from qianwan.org.models import Station, User
from qianwan.org.scopes import can_act_for_station

from .. import patrols, selectors, services
from ..filtersets import DisputeFilter
from ..models import Block, CaseFile, Dispute
from .serializers import (
    BlockInputSerializer,
    BlockSerializer,
    BlockVisitInputSerializer,
    BlockVisitSerializer,
    CaseFileSerializer,
    CloseSerializer,
    DisputeCreateSerializer,
    DisputeDetailSerializer,
    DisputeKpiSerializer,
    DisputeListSerializer,
    DueSerializer,
    FollowupInputSerializer,
    FollowupSerializer,
    NoteSerializer,
    PartySerializer,
    ProgressSerializer,
    ResolveSerializer,
    RetriageSerializer,
)

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
LEADERS = {Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
# bureau leaders and admins see parties masked; they reveal them with an audited click
REVEALERS = {Role.BUREAU_LEADER, Role.ADMIN}


def resolve_station_for_write(request, code: str | None) -> Station:
    """The station a write names: station roles default to their own; another station is 403 (a rule
    about who), an unknown code 400."""
    user = request.user
    if not code:
        if user.station_id:
            return user.station
        raise exceptions.ValidationError({"station": [_("请填写派出所代码。")]})
    station = Station.objects.filter(code=str(code)).first()
    if station is None:
        if user.role in (Role.OFFICER, Role.STATION_LEADER):
            raise exceptions.PermissionDenied(_("只能为本所登记。"))
        raise exceptions.ValidationError({"station": [_("未知的派出所代码：%(code)s") % {"code": code}]})
    if not can_act_for_station(user, station):
        raise exceptions.PermissionDenied(_("只能为本所登记。"))
    return station


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Disputes (三分法): triaged by risk into a channel, resolved, then followed up twice a month."""

    queryset = Dispute.objects.all()
    serializer_class = DisputeListSerializer
    filterset_class = DisputeFilter
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": STAFF,
        "resolve": STAFF,
        "start": STAFF,
        "close": STAFF,
        "escalate": STAFF,
        "notes": STAFF,
        "push": STAFF,
        "followups": STAFF,
        "followups_due": STAFF,
        "retriage": LEADERS,
        "reveal": REVEALERS,
    }

    def scoped_queryset(self, user):
        if self.action == "retrieve":
            return selectors.dispute_detail_qs(user=user)
        if self.action == "followups_due":
            return selectors.followups_due(user=user)
        return selectors.dispute_list(user=user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return DisputeDetailSerializer
        if self.action == "followups_due":
            return DueSerializer
        return DisputeListSerializer

    def _detail(self, dispute, code=status.HTTP_200_OK):
        dispute = selectors.dispute_detail_qs(user=self.request.user).get(pk=dispute.pk)
        return Response(
            DisputeDetailSerializer(dispute, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeDetailSerializer})
    def create(self, request):
        station = resolve_station_for_write(
            request, request.data.get("station") if hasattr(request.data, "get") else None
        )
        body = DisputeCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("station", None)
        data["standard_address"], data["address"], data["lat"], data["lon"] = resolve_place(
            address=data["address"],
            lat=data["lat"],
            lon=data["lon"],
            address_code=data.pop("address_code", ""),
        )
        dispute = services.dispute_create(actor=request.user, station=station, **data)
        return self._detail(dispute, status.HTTP_201_CREATED)

    @extend_schema(request=ResolveSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """处置完毕: status → `handled`; the follow-up cadence starts."""
        dispute = self.get_object()
        body = ResolveSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(
            services.dispute_resolve(actor=request.user, dispute=dispute, **body.validated_data)
        )

    @extend_schema(request=NoteSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """The channel has taken the dispute up: `open`/`escalated` → `in_progress`."""
        dispute = self.get_object()
        body = NoteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(
            services.dispute_start(actor=request.user, dispute=dispute, **body.validated_data)
        )

    @extend_schema(request=CloseSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """结案: `handled` → `closed`; follow-ups stop. Needs DISPUTE_CLOSE_MIN_FOLLOWUPS follow-ups since
        it was handled or a station leader's approval (`approval_reason`); otherwise 409
        `followups_required`."""
        dispute = self.get_object()
        body = CloseSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(
            services.dispute_close(actor=request.user, dispute=dispute, **body.validated_data)
        )

    @extend_schema(request=ProgressSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """The dispute got worse: `escalated`, with a reason; the station's leaders are notified."""
        dispute = self.get_object()
        body = NoteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(
            services.dispute_escalate(actor=request.user, dispute=dispute, **body.validated_data)
        )

    @extend_schema(request=ProgressSerializer, responses={201: DisputeDetailSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """A progress note on the timeline."""
        dispute = self.get_object()
        body = ProgressSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        services.dispute_add_note(actor=request.user, dispute=dispute, **body.validated_data)
        return self._detail(dispute, status.HTTP_201_CREATED)

    @extend_schema(request=NoteSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def push(self, request, pk=None):
        """推送关注: an outbound event for the grid platform; its ack shows in `pushes`."""
        dispute = self.get_object()
        body = NoteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(services.dispute_push(actor=request.user, dispute=dispute, **body.validated_data))

    @extend_schema(request=RetriageSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def retriage(self, request, pk=None):
        """A leader changes the risk level (and so the channel) with a reason; audited."""
        dispute = self.get_object()
        body = RetriageSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(
            services.dispute_retriage(actor=request.user, dispute=dispute, **body.validated_data)
        )

    @extend_schema(request=None, responses=PartySerializer(many=True))
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Unmasked parties for a role that sees them masked: an audited click."""
        dispute = self.get_object()
        parties = services.parties_reveal(actor=request.user, dispute=dispute)
        context = {**self.get_serializer_context(), "reveal": True}
        return Response(PartySerializer(parties, many=True, context=context).data)

    @extend_schema(methods=["post"], request=FollowupInputSerializer, responses={201: FollowupSerializer})
    @extend_schema(methods=["get"], request=None, responses=FollowupSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a bare array (documented so)
    def followups(self, request, pk=None):
        """回访: list them, or record one (`{"at", "note", "outcome"}` → 201)."""
        dispute = self.get_object()
        if request.method == "GET":
            return Response(FollowupSerializer(dispute.followups.select_related("by"), many=True).data)
        body = FollowupInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        followup = services.followup_record(actor=request.user, dispute=dispute, **body.validated_data)
        return Response(FollowupSerializer(followup).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DueSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="followups-due")
    def followups_due(self, request):
        """Handled disputes with fewer than the required follow-ups (2) in the current calendar month."""
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(
            DueSerializer(page, many=True, context=self.get_serializer_context()).data
        )


class BlockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Blocks (片区): an area (H3 cells or a polygon) with its responsible community officer."""

    queryset = Block.objects.all()
    serializer_class = BlockSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": LEADERS, "visits": STAFF}

    def scoped_queryset(self, user):
        return selectors.with_visit_figures(selectors.block_list(user=user).prefetch_related("cells"))

    @extend_schema(methods=["post"], request=BlockVisitInputSerializer, responses={201: BlockVisitSerializer})
    @extend_schema(methods=["get"], request=None, responses=BlockVisitSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def visits(self, request, pk=None):
        """Patrols and visits to the block: list them (newest first), or log one
        (`{"at", "kind": "patrol"|"visit", "officers", "note", "findings", "dispute", "hazard"}` → 201)."""
        block = self.get_object()
        if request.method == "GET":
            qs = block.visits.select_related("created_by").prefetch_related("officers").order_by("-at", "-id")
            page = self.paginate_queryset(qs)
            return self.get_paginated_response(BlockVisitSerializer(page, many=True).data)
        body = BlockVisitInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        visit = patrols.visit_create(actor=request.user, block=block, **body.validated_data)
        return Response(BlockVisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BlockInputSerializer, responses={201: BlockSerializer})
    def create(self, request):
        station = resolve_station_for_write(
            request, request.data.get("station") if hasattr(request.data, "get") else None
        )
        body = BlockInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("station", None)
        officer = None
        if data["officer"]:
            officer = User.objects.filter(
                username=data["officer"], station=station, role=Role.OFFICER
            ).first()
            if officer is None:
                raise exceptions.ValidationError({"officer": [_("未找到本所的该民警。")]})
        data["officer"] = officer
        try:
            block = services.block_save(actor=request.user, station=station, **data)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class CaseFileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """建策建档: one file per type of dispute (category, block) with its measures and review dates."""

    queryset = CaseFile.objects.all()
    serializer_class = CaseFileSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF}

    def scoped_queryset(self, user):
        return selectors.casefile_list(user=user)


class DisputeKpiView(APIView):
    """Disputes in the period with YoY and growth-rate change (counts + exact test: p and flag), pushes and follow-ups."""

    action_roles = {"get": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="YYYY-MM-DD (Asia/Shanghai)"),
            OpenApiParameter("to", str, required=True, description="YYYY-MM-DD, inclusive"),
            OpenApiParameter("station", str, required=False),
        ],
        responses=DisputeKpiSerializer,
    )
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(
            selectors.dispute_kpis(user=request.user, date_from=date_from, date_to=date_to, station=station)
        )
