"""REST endpoints of the anti-fraud app (/api/v1/antifraud/...). Viewsets call services and selectors."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from qianwan.api.params import period_and_station, resolve_station
from qianwan.api.parsers import JSONObjectParser as JSONParser
from qianwan.api.viewsets import ScopedViewSet
from qianwan.notify.models import Channel
from qianwan.org.choices import Role

from .. import selectors, services
from ..models import (
    AdminStaff,
    Employee,
    EvaluationRound,
    FraudCase,
    FraudNotice,
    Pairing,
    ResponsibilityLetter,
    RosterImport,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)
from . import serializers as s

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
READ = STAFF | {Role.LIAISON}
# who manages an enterprise's anti-fraud structure: its liaison, or the station's police
MANAGE = {Role.LIAISON, Role.OFFICER, Role.STATION_LEADER, Role.ADMIN}
DISTRICT = {Role.BUREAU_LEADER, Role.ADMIN}
UPLOAD_PARSERS = [MultiPartParser, FormParser, JSONParser]

MONTH_PARAM = OpenApiParameter("month", str, description="YYYY-MM (default: this month)")
STATION_PARAM = OpenApiParameter("station", str, description="station code")


def _month(request):
    value = request.query_params.get("month")
    return services.parse_month(value) if value else services.today_local().replace(day=1)


class _Create:
    """create() through a service: the serializer validates shape, the service the rules."""

    def perform(self, request, **data):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.perform(request, **serializer.validated_data)
        obj = self.scoped_queryset(request.user).get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)


class AdminStaffViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The administration tier (管理层) of enterprises."""

    queryset = AdminStaff.objects.all()
    serializer_class = s.AdminStaffSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE}
    filterset_fields = ["enterprise"]

    def scoped_queryset(self, user):
        return selectors.admin_staff_list(user=user)

    def perform(self, request, **data):
        return services.admin_staff_create(actor=request.user, **data)


class WorkClassViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Classes (班组) with leader and deputy."""

    queryset = WorkClass.objects.all()
    serializer_class = s.WorkClassSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE, "partial_update": MANAGE}
    filterset_fields = ["enterprise", "is_active"]

    def scoped_queryset(self, user):
        return selectors.class_list(user=user)

    def perform(self, request, **data):
        return services.work_class_create(actor=request.user, **data)

    @extend_schema(request=s.WorkClassUpdateSerializer, responses=s.WorkClassSerializer)
    def partial_update(self, request, pk=None):
        work_class = self.get_object()
        serializer = s.WorkClassUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.work_class_update(actor=request.user, work_class=work_class, **serializer.validated_data)
        return Response(self.get_serializer(self.scoped_queryset(request.user).get(pk=pk)).data)


class EmployeeViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Employees on the roster (phones masked)."""

    queryset = Employee.objects.all()
    serializer_class = s.EmployeeSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE}
    filterset_fields = ["enterprise", "work_class", "is_active"]

    def scoped_queryset(self, user):
        return selectors.employee_list(user=user)

    def perform(self, request, **data):
        return services.employee_create(actor=request.user, **data)


class RosterImportViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Roster uploads (.xlsx, multipart): poll the record for progress and the row-by-row error report."""

    queryset = RosterImport.objects.all()
    serializer_class = s.RosterImportSerializer
    parser_classes = UPLOAD_PARSERS
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE}
    filterset_fields = ["enterprise", "status"]

    def scoped_queryset(self, user):
        return selectors.import_list(user=user)

    def perform(self, request, **data):
        return services.roster_import_create(actor=request.user, **data)


class FraudCaseViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The library of typical cases (editable by the police)."""

    queryset = FraudCase.objects.all()
    serializer_class = s.FraudCaseSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": STAFF, "partial_update": STAFF}
    filterset_fields = ["fraud_type", "is_active"]

    def scoped_queryset(self, user):
        return selectors.case_list(user=user)

    def perform(self, request, **data):
        data.pop("is_active", None)
        return services.fraud_case_create(actor=request.user, **data)

    def partial_update(self, request, pk=None):
        case = self.get_object()
        serializer = self.get_serializer(case, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        case = services.fraud_case_update(actor=request.user, case=case, **serializer.validated_data)
        return Response(self.get_serializer(case).data)


class StudySessionViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Study sessions of classes, with attendance."""

    queryset = StudySession.objects.all()
    serializer_class = s.StudySessionSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE, "coverage": READ}
    filterset_fields = ["enterprise", "work_class", "kind"]

    def scoped_queryset(self, user):
        return selectors.session_list(user=user)

    def perform(self, request, **data):
        return services.session_record(actor=request.user, **data)

    @extend_schema(
        parameters=[MONTH_PARAM, OpenApiParameter("enterprise", int)],
        responses=OpenApiTypes.OBJECT,
        description="Share of active employees reached by at least one session in the month, per class and enterprise.",
    )
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        enterprise = None
        if request.query_params.get("enterprise"):
            try:
                enterprise = get_object_or_404(
                    selectors.enterprise_list(user=request.user), pk=int(request.query_params["enterprise"])
                )
            except ValueError:
                return Response({"enterprise": ["企业编号应为整数。"]}, status=400)
        return Response(selectors.coverage(user=request.user, month=_month(request), enterprise=enterprise))


class ScoringStandardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Versions of the cross-evaluation scoring standard, each in force from a month on."""

    queryset = ScoringStandard.objects.all()
    serializer_class = s.ScoringStandardSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": DISTRICT}

    def scoped_queryset(self, user):
        return selectors.standard_list(user=user)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        standard = services.standard_create(
            actor=request.user,
            name=data["name"],
            effective_from=data["effective_from"],
            criteria=[dict(c) for c in data["criteria"]],
        )
        return Response(self.get_serializer(standard).data, status=status.HTTP_201_CREATED)


class EvaluationRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Monthly cross-evaluation rounds (opened by beat; bureau leaders may open or close one)."""

    queryset = EvaluationRound.objects.all()
    serializer_class = s.EvaluationRoundSerializer
    action_roles = {"list": READ, "retrieve": READ, "close": DISTRICT, "open": DISTRICT}

    def scoped_queryset(self, user):
        return selectors.round_list(user=user)

    @extend_schema(request=None, responses=s.EvaluationRoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        evaluation_round = services.round_close(actor=request.user, evaluation_round=self.get_object())
        return Response(
            self.get_serializer(self.scoped_queryset(request.user).get(pk=evaluation_round.pk)).data
        )

    @extend_schema(request=s.RoundOpenSerializer, responses=s.EvaluationRoundSerializer)
    @action(detail=False, methods=["post"])
    def open(self, request):
        serializer = s.RoundOpenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        evaluation_round, created = services.round_open(
            month=services.parse_month(serializer.validated_data["month"]), actor=request.user
        )
        if evaluation_round is None:
            return Response({"month": ["该月没有生效的评分标准，请先制定评分标准。"]}, status=400)
        data = self.get_serializer(self.scoped_queryset(request.user).get(pk=evaluation_round.pk)).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Pairings of a round and their scores; POST submits the evaluator class's scores."""

    queryset = Pairing.objects.all()
    serializer_class = s.PairingSerializer
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE, "ranking": READ, "trend": READ}
    filterset_fields = ["round", "evaluator", "evaluated"]

    def scoped_queryset(self, user):
        return selectors.pairing_list(user=user)

    @extend_schema(request=s.EvaluationSubmitSerializer, responses={201: s.PairingSerializer})
    def create(self, request):
        serializer = s.EvaluationSubmitSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pairing = services.evaluation_submit(
            actor=request.user,
            month=services.parse_month(data["month"]),
            evaluator=data["evaluator"],
            evaluated=data["evaluated"],
            scores={item["criterion"]: item["score"] for item in data["scores"]},
        )
        return Response(
            self.get_serializer(self.scoped_queryset(request.user).get(pk=pairing.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(parameters=[MONTH_PARAM, STATION_PARAM], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def ranking(self, request):
        """Class and enterprise rankings of a month (within the caller's scope)."""
        month = _month(request)
        station = (
            resolve_station(request.user, request.query_params.get("station"))
            if request.user.role != Role.LIAISON
            else None
        )
        return Response(
            {
                "month": f"{month:%Y-%m}",
                "classes": selectors.class_ranking(user=request.user, month=month, station=station),
                "enterprises": selectors.enterprise_ranking(user=request.user, month=month, station=station),
            }
        )

    @extend_schema(
        parameters=[MONTH_PARAM, OpenApiParameter("months", int), OpenApiParameter("enterprise", int)],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def trend(self, request):
        """Mean class score per month, month over month."""
        params = s.MonthParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        enterprise = None
        if params.validated_data.get("enterprise"):
            enterprise = get_object_or_404(
                selectors.enterprise_list(user=request.user), pk=params.validated_data["enterprise"]
            )
        return Response(
            {
                "months": selectors.evaluation_trend(
                    user=request.user,
                    end_month=_month(request),
                    months=params.validated_data["months"],
                    enterprise=enterprise,
                )
            }
        )


class LetterViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Responsibility letters (multipart upload with the scanned file)."""

    queryset = ResponsibilityLetter.objects.all()
    serializer_class = s.LetterSerializer
    parser_classes = UPLOAD_PARSERS
    action_roles = {"list": READ, "retrieve": READ, "create": MANAGE, "missing": STAFF}
    filterset_fields = ["enterprise"]

    def scoped_queryset(self, user):
        return selectors.letter_list(user=user)

    def perform(self, request, **data):
        return services.letter_upload(actor=request.user, **data)

    @extend_schema(responses=s.MissingLetterSerializer(many=True))
    @action(detail=False, methods=["get"])
    def missing(self, request):
        """Above-size enterprises of the caller's scope without a letter valid today."""
        qs = selectors.enterprises_missing_letter(user=request.user)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.MissingLetterSerializer(page, many=True).data)


class LiaisonGroupViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Police–enterprise liaison groups: DingTalk/WeCom robot webhooks per station."""

    queryset = Channel.objects.all()
    serializer_class = s.LiaisonGroupSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": STAFF}

    def scoped_queryset(self, user):
        return selectors.liaison_group_list(user=user)

    def perform(self, request, **data):
        return services.liaison_group_create(actor=request.user, **data)


class NoticeViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Anti-fraud warnings sent to liaison groups; the detail shows the delivery log."""

    queryset = FraudNotice.objects.all()
    serializer_class = s.NoticeSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": STAFF}

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_deliveries": self.action in ("retrieve", "create")}

    def scoped_queryset(self, user):
        return selectors.notice_list(user=user)

    def perform(self, request, **data):
        return services.notice_send(actor=request.user, **data)


class VictimViewSet(_Create, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Employee fraud victims (from fraud incidents or entered)."""

    queryset = Victim.objects.all()
    serializer_class = s.VictimSerializer
    action_roles = {"list": STAFF, "retrieve": STAFF, "create": STAFF, "kpis": STAFF}
    filterset_fields = ["enterprise", "fraud_type", "source"]

    def scoped_queryset(self, user):
        return selectors.victim_list(user=user)

    def perform(self, request, **data):
        return services.victim_record(actor=request.user, **data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            STATION_PARAM,
        ],
        responses=OpenApiTypes.OBJECT,
        description="Victims YoY (counts, exact test: p and flag), above-size vs the rest, and the enterprise ranking "
        "by victims per 1,000 employees and by evaluation score.",
    )
    @action(detail=False, methods=["get"])
    def kpis(self, request):
        date_from, date_to, station = period_and_station(request)
        return Response(
            {
                **selectors.victims_yoy(
                    user=request.user, date_from=date_from, date_to=date_to, station=station
                ),
                "enterprises": selectors.victims_by_enterprise(
                    user=request.user, date_from=date_from, date_to=date_to, station=station
                ),
            }
        )
