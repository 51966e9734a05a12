"""REST endpoints of the police–enterprise–community platform; every queryset starts from the caller's
scope (a liaison: their own enterprise), so another enterprise's record answers 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from enterprises import selectors, services
from enterprises.filtersets import (
    AllianceFilter,
    EnterpriseFilter,
    FirstResponseFilter,
    ImportJobFilter,
    LectureFilter,
    ReferralFilter,
    ServiceRequestFilter,
    VisitFilter,
    WatchCallFilter,
)
from enterprises.models import (
    Alliance,
    Enterprise,
    FirstResponse,
    ImportJob,
    Lecture,
    LecturerTeam,
    Referral,
    ServiceRequest,
    ServiceType,
    ServiceVisit,
    WatchCall,
)
from qianwan.api.params import period_and_station
from qianwan.api.parsers import JSONObjectParser as JSONParser
from qianwan.api.viewsets import ScopedViewSet
from qianwan.org.choices import Role

from . import serializers as s

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
LEADERS = {Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
PORTAL = STAFF | {Role.LIAISON}
ADMIN = {Role.ADMIN}

PERIOD_PARAMS = [
    OpenApiParameter("from", str, required=True, description="YYYY-MM-DD (Asia/Shanghai), inclusive"),
    OpenApiParameter("to", str, required=True, description="YYYY-MM-DD (Asia/Shanghai), inclusive"),
    OpenApiParameter("station", str, required=False, description="station code"),
]


class EnterpriseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """The registry of enterprises and street shops (a liaison sees their own enterprise)."""

    queryset = Enterprise.objects.all()
    serializer_class = s.EnterpriseSerializer
    filterset_class = EnterpriseFilter
    action_roles = {
        "list": PORTAL,
        "retrieve": PORTAL,
        "create": STAFF,
        "update": STAFF,
        "partial_update": STAFF,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return selectors.enterprise_list(user=user)

    def perform_create(self, serializer):
        serializer.instance = services.enterprise_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.enterprise_update(
            actor=self.request.user, enterprise=serializer.instance, **serializer.validated_data
        )


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Excel imports: upload (multipart) → a job whose progress and row-by-row errors you poll."""

    queryset = ImportJob.objects.all()
    serializer_class = s.ImportJobSerializer
    filterset_class = ImportJobFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": STAFF}

    def scoped_queryset(self, user):
        return selectors.import_job_list(user=user)

    @extend_schema(
        request={"multipart/form-data": s.ImportUploadSerializer}, responses={202: s.ImportJobSerializer}
    )
    def create(self, request):
        body = s.ImportUploadSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        job = services.import_job_create(actor=request.user, **body.validated_data)
        job.refresh_from_db()
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)


class _CatalogueViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    action_roles = {
        "list": PORTAL,
        "retrieve": PORTAL,
        "create": ADMIN,
        "update": ADMIN,
        "partial_update": ADMIN,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["is_active"]


class ServiceTypeViewSet(_CatalogueViewSet):
    """The "17" personalised services (reference data; admins edit)."""

    queryset = ServiceType.objects.all()
    serializer_class = s.ServiceTypeSerializer

    def scoped_queryset(self, user):
        return selectors.service_type_list(user=user)


class LecturerTeamViewSet(_CatalogueViewSet):
    """The "5" lecturer teams (reference data; admins edit)."""

    queryset = LecturerTeam.objects.all()
    serializer_class = s.LecturerTeamSerializer

    def scoped_queryset(self, user):
        return selectors.lecturer_team_list(user=user)


class ServiceRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Service requests: liaison or officer files → station assigns → visit → liaison feedback (once)."""

    queryset = ServiceRequest.objects.all()
    serializer_class = s.ServiceRequestSerializer
    filterset_class = ServiceRequestFilter
    action_roles = {
        "list": PORTAL,
        "retrieve": PORTAL,
        "create": PORTAL,
        "assign": STAFF,
        "cancel": PORTAL,
        "feedback": {Role.LIAISON},
    }

    def scoped_queryset(self, user):
        return selectors.service_request_list(user=user)

    @extend_schema(request=s.ServiceRequestCreateSerializer, responses={201: s.ServiceRequestSerializer})
    def create(self, request):
        body = s.ServiceRequestCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.service_request_create(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ServiceAssignSerializer, responses=s.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to an officer of the enterprise's station and/or a lecturer team."""
        obj = self.get_object()
        body = s.ServiceAssignSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.service_request_assign(actor=request.user, request=obj, **body.validated_data)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=s.ServiceCancelSerializer, responses=s.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Withdraw a request that was not serviced yet (409 afterwards)."""
        obj = self.get_object()
        body = s.ServiceCancelSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.service_request_cancel(actor=request.user, request=obj, **body.validated_data)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=s.ServiceFeedbackSerializer, responses=s.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """The liaison's closing feedback; a second feedback answers 409."""
        obj = self.get_object()
        body = s.ServiceFeedbackSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.service_request_feedback(actor=request.user, request=obj, **body.validated_data)
        return Response(self.get_serializer(obj).data)


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Visits and service records (date, officers, what was done)."""

    queryset = ServiceVisit.objects.all()
    serializer_class = s.VisitSerializer
    filterset_class = VisitFilter
    action_roles = {"list": PORTAL, "retrieve": PORTAL, "create": STAFF}

    def scoped_queryset(self, user):
        return selectors.visit_list(user=user)

    @extend_schema(request=s.VisitCreateSerializer, responses={201: s.VisitSerializer})
    def create(self, request):
        body = s.VisitCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["officers"] = data.get("officers") or []
        if data.get("request") is not None:
            data["enterprise"] = data["request"].enterprise
        visit = services.visit_record(actor=request.user, **data)
        visit = selectors.visit_list(user=request.user).get(pk=visit.pk)
        return Response(self.get_serializer(visit).data, status=status.HTTP_201_CREATED)


class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Matters referred to the joint window (procuratorate, court, mediation centre) and their status."""

    queryset = Referral.objects.all()
    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilter
    action_roles = {"list": PORTAL, "retrieve": PORTAL, "create": STAFF, "set_status": STAFF}

    def scoped_queryset(self, user):
        return selectors.referral_list(user=user)

    @extend_schema(request=s.ReferralCreateSerializer, responses={201: s.ReferralSerializer})
    def create(self, request):
        body = s.ReferralCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.referral_create(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReferralStatusSerializer, responses=s.ReferralSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Record the partner's progress: accepted → resolved, or returned (final states → 409)."""
        obj = self.get_object()
        body = s.ReferralStatusSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.referral_set_status(actor=request.user, referral=obj, **body.validated_data)
        return Response(self.get_serializer(obj).data)


class LectureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Lectures by the lecturer teams (JSON, or multipart with a materials file)."""

    queryset = Lecture.objects.all()
    serializer_class = s.LectureSerializer
    filterset_class = LectureFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_roles = {"list": PORTAL, "retrieve": PORTAL, "create": STAFF}

    def scoped_queryset(self, user):
        return selectors.lecture_list(user=user)

    @extend_schema(request=s.LectureCreateSerializer, responses={201: s.LectureSerializer})
    def create(self, request):
        body = s.LectureCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.lecture_create(actor=request.user, **body.validated_data)
        obj = selectors.lecture_list(user=request.user).get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)


class AllianceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Neighbourhood-watch alliances of 10–15 members (a leader may override with a reason)."""

    queryset = Alliance.objects.all()
    serializer_class = s.AllianceSerializer
    filterset_class = AllianceFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_roles = {
        "list": PORTAL,
        "retrieve": PORTAL,
        "create": STAFF,
        "partial_update": STAFF,
        "call": STAFF,
    }

    def scoped_queryset(self, user):
        return selectors.alliance_list(user=user)

    def _fresh(self, alliance):
        return selectors.alliance_list(user=self.request.user).get(pk=alliance.pk)

    @extend_schema(request=s.AllianceWriteSerializer, responses={201: s.AllianceSerializer})
    def create(self, request):
        body = s.AllianceWriteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.get("station") is None:
            if request.user.station is None:
                return Response({"station": ["请指定派出所。"]}, status=status.HTTP_400_BAD_REQUEST)
            data["station"] = request.user.station
        alliance = services.alliance_create(actor=request.user, **data)
        return Response(self.get_serializer(self._fresh(alliance)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AllianceWriteSerializer, responses=s.AllianceSerializer)
    def partial_update(self, request, pk=None):
        alliance = self.get_object()
        body = s.AllianceWriteSerializer(data=request.data, context={"request": request}, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("station", None)  # an alliance does not move between stations
        kwargs = {k: data[k] for k in ("name", "area", "members", "contacts", "override_reason") if k in data}
        if "leader_member" in request.data:
            kwargs["leader_member"] = data.get("leader_member")
        alliance = services.alliance_update(actor=request.user, alliance=alliance, **kwargs)
        return Response(self.get_serializer(self._fresh(alliance)).data)

    @extend_schema(request=s.WatchCallCreateSerializer, responses={201: s.WatchCallSerializer})
    @action(detail=True, methods=["post"])
    def call(self, request, pk=None):
        """Ask the alliance for first response: notifies member liaisons (inbox) and DingTalk/WeCom."""
        alliance = self.get_object()
        body = s.WatchCallCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        call = services.watch_call_create(actor=request.user, alliance=alliance, **body.validated_data)
        return Response(s.WatchCallSerializer(call).data, status=status.HTTP_201_CREATED)


class WatchCallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """First-response requests sent to alliances."""

    queryset = WatchCall.objects.all()
    serializer_class = s.WatchCallSerializer
    filterset_class = WatchCallFilter
    action_roles = {"list": PORTAL, "retrieve": PORTAL}

    def scoped_queryset(self, user):
        return selectors.watch_call_list(user=user)


class FirstResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """First responses reported by members (liaisons: their own) and confirmed by police."""

    queryset = FirstResponse.objects.all()
    serializer_class = s.FirstResponseSerializer
    filterset_class = FirstResponseFilter
    action_roles = {"list": PORTAL, "retrieve": PORTAL, "create": PORTAL, "confirm": STAFF, "reject": STAFF}

    def scoped_queryset(self, user):
        return selectors.first_response_list(user=user)

    @extend_schema(request=s.FirstResponseCreateSerializer, responses={201: s.FirstResponseSerializer})
    def create(self, request):
        body = s.FirstResponseCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.first_response_report(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def _review(self, request, confirmed):
        obj = self.get_object()
        body = s.FirstResponseReviewSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        obj = services.first_response_review(
            actor=request.user, response=obj, confirmed=confirmed, **body.validated_data
        )
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=s.FirstResponseReviewSerializer, responses=s.FirstResponseSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Police confirm the member's first response (it then counts)."""
        return self._review(request, True)

    @extend_schema(request=s.FirstResponseReviewSerializer, responses=s.FirstResponseSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Police decline it (a reason is required)."""
        return self._review(request, False)


class ServiceKpiView(APIView):
    """Visits, services by type, lectures, audience, satisfaction (with counts and 95% Wilson interval)
    and response time request → first visit (nearest-rank P50/P90) for a station and period."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=PERIOD_PARAMS, responses=s.ServiceKpiSerializer)
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(
            selectors.service_kpis(user=request.user, date_from=date_from, date_to=date_to, station=station)
        )


class WatchKpiView(APIView):
    """Neighbourhood watch: alliances, members, calls and confirmed first responses per alliance."""

    action_roles = {"get": STAFF}

    @extend_schema(parameters=PERIOD_PARAMS, responses=s.WatchKpiSerializer)
    def get(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(
            selectors.watch_kpis(user=request.user, date_from=date_from, date_to=date_to, station=station)
        )
