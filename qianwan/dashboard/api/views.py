"""The dashboard's data endpoints: figures, charts, live parts and monthly reports."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..periods import DASHBOARD_ROLES, PeriodError, check_known, parse_period, resolve_station
from .serializers import ReportRequestSerializer, ReportSerializer

PERIOD_PARAMS = [
    OpenApiParameter("period", str, required=False, enum=["month", "quarter", "year", "custom"]),
    OpenApiParameter("month", str, required=False, description="YYYY-MM (period=month; default this month)"),
    OpenApiParameter("quarter", str, required=False, description="YYYY-Qn (period=quarter)"),
    OpenApiParameter("year", str, required=False, description="YYYY (period=year)"),
    OpenApiParameter("from", str, required=False, description="YYYY-MM-DD (period=custom, Asia/Shanghai)"),
    OpenApiParameter("to", str, required=False, description="YYYY-MM-DD, inclusive (period=custom)"),
    OpenApiParameter("station", str, required=False, description="station code; none = the sub-bureau"),
]


def period_scope(request):
    """(period, station) of a request: 400 on bad input, 403 for a station outside the caller's scope."""
    try:
        check_known(request.query_params)
        station = resolve_station(request.user, request.query_params.get("station"))
        period = parse_period(request.query_params, strict=True)
    except PeriodError as exc:
        raise exceptions.ValidationError({exc.field: [exc.message]}) from None
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    return period, station


class FiguresView(APIView):
    """Every mechanism's figures for a period and station, as cards (value, counts, change, flag,
    definition, drill-down link). A figure whose source app is not available has ``available: false``."""

    action_roles = {"get": DASHBOARD_ROLES}

    @extend_schema(parameters=PERIOD_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        period, station = period_scope(request)
        return Response(selectors.figures(user=request.user, period=period, station=station))


class ChartsView(APIView):
    """Chart data: monthly incident trend, station comparison (sub-bureau only), stage-time
    distributions in 10-second buckets with their limits."""

    action_roles = {"get": DASHBOARD_ROLES}

    @extend_schema(parameters=PERIOD_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        period, station = period_scope(request)
        return Response(selectors.charts(user=request.user, period=period, station=station))


class LiveView(APIView):
    """Open incidents, incidents with a stage past its limit, overdue hazards, follow-ups due."""

    action_roles = {"get": DASHBOARD_ROLES}

    @extend_schema(parameters=[PERIOD_PARAMS[-1]], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        try:
            station = resolve_station(request.user, request.query_params.get("station"))
        except PeriodError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(selectors.live(user=request.user, station=station))


class ReportListView(APIView):
    """Monthly reports in the caller's scope; POST asks for one (built by Celery; 202 with its row)."""

    action_roles = {"get": DASHBOARD_ROLES, "post": DASHBOARD_ROLES}

    @extend_schema(responses=ReportSerializer(many=True))
    def get(self, request):
        rows = selectors.report_list(user=request.user)[:100]
        return Response(ReportSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportSerializer})
    def post(self, request):
        data = ReportRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        year, month = data.validated_data["month"]
        try:
            station = resolve_station(request.user, data.validated_data.get("station"))
        except PeriodError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        report = services.report_request(
            actor=request.user, year=year, month=month, station=station, force=data.validated_data["rebuild"]
        )
        return Response(
            ReportSerializer(report, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class ReportDetailView(APIView):
    """One report with its progress (404 outside the caller's scope, before any role check)."""

    action_roles = {"get": DASHBOARD_ROLES}
    detail = True  # RolePermission: the role is checked once the record was found in scope

    @extend_schema(responses=ReportSerializer)
    def get(self, request, pk: int):
        report = get_object_or_404(selectors.report_list(user=request.user), pk=pk)
        self.check_object_permissions(request, report)
        return Response(ReportSerializer(report, context={"request": request}).data)


__all__ = ["ChartsView", "FiguresView", "LiveView", "ReportDetailView", "ReportListView", "serializers"]
