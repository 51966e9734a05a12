from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from qianwan.api.params import period_and_station
from qianwan.api.viewsets import ScopedViewSet
from qianwan.org.choices import LEADER_ROLES, STAFF_ROLES, Role
from qianwan.org.scopes import can_act_for_station
from qianwan.security import uploads
from risks import selectors, services
from risks.choices import HazardLevel
from risks.filtersets import HazardFilter, RiskPointFilter
from risks.models import Campaign, Hazard, HotspotRun, InspectionProblem, RiskPoint

from .serializers import (
    CampaignSerializer,
    CampaignSummarySerializer,
    DecisionSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    HandOverSerializer,
    HazardCreateSerializer,
    HazardDetailSerializer,
    HazardKpiSerializer,
    HazardSerializer,
    HotspotCellSerializer,
    HotspotRunRequestSerializer,
    HotspotRunSerializer,
    InspectionCreateSerializer,
    InspectionSerializer,
    NoteAtSerializer,
    OperationSerializer,
    ProblemSerializer,
    PromoteSerializer,
    ReopenSerializer,
    RiskPointSerializer,
    ViolationsSerializer,
    WorkPlanCreateSerializer,
    WorkPlanSerializer,
)

STAFF = set(STAFF_ROLES)
LEADERS = set(LEADER_ROLES)
BUREAU = {Role.BUREAU_LEADER, Role.ADMIN}


def evidence_response(item) -> FileResponse:
    """Stream an evidence file with its sniffed type (images inline, PDFs as downloads; nosniff and a
    sandboxing CSP), through the platform's one file responder."""
    ext = uploads.EXTENSIONS.get(item.content_type, "bin")
    return uploads.file_response(
        item.file, content_type=item.content_type, download_name=f"evidence-{item.pk}.{ext}"
    )


class HazardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The hazard ledger (风险隐患 对账销号): record, rectify, close out by a second person, reopen."""

    queryset = Hazard.objects.all()
    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": STAFF,
        "rectify": STAFF,
        "close": STAFF,
        "reopen": STAFF,
        "hand_over": STAFF,
        "evidence": STAFF,
        "evidence_file": STAFF,
    }

    def scoped_queryset(self, user):
        if self.action == "list":
            return selectors.hazard_list(user=user)
        return selectors.hazard_detail_qs(user=user)

    def get_serializer_class(self):
        if self.action == "list":
            return HazardSerializer
        if self.action == "create":
            return HazardCreateSerializer
        return HazardDetailSerializer

    def _detail(self, hazard, code=status.HTTP_200_OK):
        hazard = selectors.hazard_detail_qs(user=self.request.user).get(pk=hazard.pk)
        return Response(
            HazardDetailSerializer(hazard, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=HazardCreateSerializer, responses={201: HazardDetailSerializer})
    def create(self, request):
        user = request.user
        code = request.data.get("station") if isinstance(request.data, dict) else None
        # 403 (another station) wins over 400 (bad fields): the contract's order
        if isinstance(code, str) and code:
            from qianwan.org.models import Station

            target = Station.objects.filter(code=code).first()
            if target is not None and not can_act_for_station(user, target):
                raise DjangoPermissionDenied(_("只能为本所登记隐患。"))
        body = HazardCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.get("station") is None:
            if user.station is None:
                from django.core.exceptions import ValidationError

                raise ValidationError({"station": [_("请指定派出所代码。")]})
            data["station"] = user.station
        from places.services import resolve_place

        data["standard_address"], data["address"], data["lat"], data["lon"] = resolve_place(
            address=data["address"],
            lat=data["lat"],
            lon=data["lon"],
            address_code=data.pop("address_code", ""),
        )
        hazard = services.hazard_create(actor=user, **data)
        return self._detail(hazard, status.HTTP_201_CREATED)

    @extend_schema(request=NoteAtSerializer, responses=HazardDetailSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        """Record the rectification (status → rectified)."""
        hazard = self.get_object()
        body = NoteAtSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(services.hazard_rectify(actor=request.user, hazard=hazard, **body.validated_data))

    @extend_schema(
        request=NoteAtSerializer,
        responses={
            200: HazardDetailSerializer,
            403: OpenApiResponse(description="登记人本人不能销号"),
            409: OpenApiResponse(description="未整改"),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close out (销号): a rectified hazard, by someone other than who recorded it."""
        hazard = self.get_object()
        if hazard.recorded_by_id == request.user.pk:
            # the who-rule is a 403 and wins over bad input (400) and state (409)
            raise DjangoPermissionDenied(services.SAME_PERSON_CLOSE)
        body = NoteAtSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(services.hazard_close(actor=request.user, hazard=hazard, **body.validated_data))

    @extend_schema(request=ReopenSerializer, responses=HazardDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a rectified or closed hazard with a reason (and optionally a new deadline)."""
        hazard = self.get_object()
        body = ReopenSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._detail(services.hazard_reopen(actor=request.user, hazard=hazard, **body.validated_data))

    @extend_schema(request=HandOverSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        """Hand the hazard to the grid platform (outbound event of kind ``hazard``)."""
        hazard = self.get_object()
        body = HandOverSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        event = services.hazard_hand_over(actor=request.user, hazard=hazard, **body.validated_data)
        return Response(
            {"outbound": event.pk, "target": event.target, "status": event.status, "kind": event.kind},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, 200: EvidenceSerializer},
        description="上传 JPEG/PNG 照片或 PDF（按文件内容识别类型，默认不超过 10 MB）。",
    )
    @extend_schema(methods=["GET"], responses=EvidenceSerializer(many=True))
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,  # a bare array (documented so)
    )
    def evidence(self, request, pk=None):
        """List or upload evidence files of a hazard."""
        hazard = self.get_object()
        if request.method == "GET":
            return Response(EvidenceSerializer(selectors.hazard_evidence(hazard), many=True).data)
        body = EvidenceUploadSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        item, created = services.evidence_add(
            actor=request.user,
            hazard=hazard,
            upload=body.validated_data["file"],
            note=body.validated_data["note"],
        )
        return Response(
            EvidenceSerializer(item).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>\d+)", url_name="evidence-file")
    def evidence_file(self, request, pk=None, evidence_id=None):
        """Download one evidence file (only within the caller's scope)."""
        hazard = self.get_object()
        item = selectors.evidence_get(user=request.user, hazard_id=hazard.pk, evidence_id=int(evidence_id))
        if item is None:
            raise Http404
        return evidence_response(item)


class HazardKpiView(APIView):
    """`GET /api/v1/kpis/hazards/?from=&to=[&station=]` — the cohort of hazards found in the period."""

    action_roles = {"get": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("station", OpenApiTypes.STR, required=False),
        ],
        responses=HazardKpiSerializer,
    )
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(
            selectors.hazard_kpis(date_from=date_from, date_to=date_to, station=station, user=request.user)
        )


class MapDataView(APIView):
    """GeoJSON for the battle map (hazards by status and level, risk points, hotspot cells, stations)."""

    action_roles = {"get": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=HazardLevel.values, required=False),
            OpenApiParameter("layers", OpenApiTypes.STR, required=False, description="逗号分隔的图层 id"),
        ],
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request):
        from django.core.exceptions import ValidationError

        level = request.query_params.get("level") or None
        if level and level not in HazardLevel.values:
            raise ValidationError(
                {"level": [_("未知的隐患等级“%(v)s”，应为 low/medium/high/major。") % {"v": level}]}
            )
        layers = request.query_params.get("layers")
        known = {layer["id"] for layer in selectors.map_layers()}
        wanted = {x for x in layers.split(",") if x} if layers else None
        if wanted and not wanted <= known:
            raise ValidationError(
                {"layers": [_("未知的图层：%(v)s") % {"v": "、".join(sorted(wanted - known))}]}
            )
        return Response(selectors.map_features(user=request.user, level=level, layers=wanted))


class RiskPointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """High-risk points: candidates from hot cells, accepted or dismissed by a leader, with a work plan."""

    queryset = RiskPoint.objects.all()
    serializer_class = RiskPointSerializer
    filterset_class = RiskPointFilter
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "accept": LEADERS,
        "dismiss": LEADERS,
        "work_plan": LEADERS,
    }

    def scoped_queryset(self, user):
        return (
            selectors.risk_point_detail_qs(user=user) if self.detail else selectors.risk_point_list(user=user)
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_plan": self.detail}

    def _decide(self, request, fn):
        point = self.get_object()
        body = DecisionSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kwargs = {"note": data["note"]} | ({"name": data["name"]} if fn is services.risk_point_accept else {})
        point = fn(actor=request.user, risk_point=point, **kwargs)
        return Response(RiskPointSerializer(point, context={"with_plan": True}).data)

    @extend_schema(request=DecisionSerializer, responses=RiskPointSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a candidate as a risk point."""
        return self._decide(request, services.risk_point_accept)

    @extend_schema(request=DecisionSerializer, responses=RiskPointSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss a candidate (a reason is required)."""
        return self._decide(request, services.risk_point_dismiss)

    @extend_schema(request=WorkPlanCreateSerializer, responses={201: WorkPlanSerializer})
    @action(detail=True, methods=["post"], url_path="work-plan")
    def work_plan(self, request, pk=None):
        """Write the special work plan of an accepted risk point."""
        point = self.get_object()
        body = WorkPlanCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        plan = services.work_plan_create(actor=request.user, risk_point=point, **body.validated_data)
        return Response(WorkPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class HotspotRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Hotspot computations (Getis-Ord Gi* on H3 resolution 9); POST runs one on demand."""

    queryset = HotspotRun.objects.all()
    serializer_class = HotspotRunSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": LEADERS, "cells": STAFF}

    def scoped_queryset(self, user):
        return selectors.hotspot_runs(user=user)

    @extend_schema(request=HotspotRunRequestSerializer, responses={201: HotspotRunSerializer})
    def create(self, request):
        body = HotspotRunRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        period_end = data["period_end"] or timezone.localdate()
        run = services.hotspot_run_compute(
            actor=request.user,
            category=data["category"],
            period_end=period_end,
            days=data["days"],
            force=True,
        )
        return Response(HotspotRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=HotspotCellSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # a bare array (documented so)
    def cells(self, request, pk=None):
        """Significant hot cells of the run that lie in the caller's scope."""
        run = self.get_object()
        return Response(
            HotspotCellSerializer(selectors.hot_cells(user=request.user, runs=[run]), many=True).data
        )


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Concentrated campaigns (集中统一行动) with operations, inspections, violations and a summary."""

    queryset = Campaign.objects.all()
    serializer_class = CampaignSerializer
    action_roles = {
        "list": STAFF,
        "retrieve": STAFF,
        "create": BUREAU,
        "summary": STAFF,
        "operations": LEADERS,
        "inspections": STAFF,
        "violations": STAFF,
    }

    def scoped_queryset(self, user):
        return selectors.campaign_list(user=user)

    @extend_schema(request=CampaignSerializer, responses={201: CampaignSerializer})
    def create(self, request):
        body = CampaignSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        d = body.validated_data
        campaign = services.campaign_create(
            actor=request.user,
            name=d["name"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            description=d.get("description", ""),
        )
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("station", OpenApiTypes.STR, required=False)],
        responses=CampaignSummarySerializer,
    )
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """Tallies computed from the records (station roles: their own station's share)."""
        from qianwan.api.params import resolve_station

        campaign = self.get_object()
        station = resolve_station(request.user, request.query_params.get("station"))
        return Response(selectors.campaign_summary(campaign=campaign, station=station))

    @extend_schema(request=OperationSerializer, responses={201: OperationSerializer})
    @action(detail=True, methods=["post"])
    def operations(self, request, pk=None):
        """Record an operation (date, stations/zones, officers deployed)."""
        campaign = self.get_object()
        body = OperationSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        op = services.operation_create(actor=request.user, campaign=campaign, **body.validated_data)
        return Response(OperationSerializer(op).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def inspections(self, request, pk=None):
        """Record a venue inspection and the problems found."""
        campaign = self.get_object()
        body = InspectionCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        item = services.inspection_create(actor=request.user, campaign=campaign, **body.validated_data)
        return Response(InspectionSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ViolationsSerializer, responses=ViolationsSerializer)
    @action(detail=True, methods=["post"])
    def violations(self, request, pk=None):
        """Set the traffic-violation count of a station for one day of the campaign."""
        campaign = self.get_object()
        body = ViolationsSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        tally = services.violations_record(actor=request.user, campaign=campaign, **body.validated_data)
        return Response(
            {
                "station": tally.station.code,
                "date": tally.date,
                "count": tally.count,
                "officers_deployed": tally.officers_deployed,
                "note": tally.note,
            }
        )


class InspectionProblemViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """Problems found at campaign inspections: rectify on the spot, or promote to a hazard."""

    queryset = InspectionProblem.objects.all()
    serializer_class = ProblemSerializer
    action_roles = {"retrieve": STAFF, "rectify": STAFF, "promote": STAFF}

    def scoped_queryset(self, user):
        from qianwan.org.scopes import scope_queryset

        return scope_queryset(InspectionProblem.objects.all(), user, station_field="inspection__station")

    @extend_schema(request=NoteAtSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        problem = self.get_object()
        body = NoteAtSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        problem = services.problem_rectify(actor=request.user, problem=problem, **body.validated_data)
        return Response(ProblemSerializer(problem).data)

    @extend_schema(request=PromoteSerializer, responses={201: HazardDetailSerializer})
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        problem = self.get_object()
        body = PromoteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        hazard = services.problem_promote(actor=request.user, problem=problem, **body.validated_data)
        hazard = selectors.hazard_detail_qs(user=request.user).get(pk=hazard.pk)
        return Response(HazardDetailSerializer(hazard).data, status=status.HTTP_201_CREATED)
