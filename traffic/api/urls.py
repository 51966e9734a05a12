from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AccidentViewSet,
    AssetViewSet,
    HotspotsView,
    IncidentAlertViewSet,
    JointPatrolViewSet,
    MemberViewSet,
    OnDutyView,
    PatrolViewSet,
    ShiftViewSet,
    TeamViewSet,
    TrafficKpiView,
    ZoneViewSet,
)

router = SimpleRouter()
router.register("traffic/zones", ZoneViewSet, basename="traffic-zone")
router.register("traffic/teams", TeamViewSet, basename="traffic-team")
router.register("traffic/members", MemberViewSet, basename="traffic-member")
router.register("traffic/shifts", ShiftViewSet, basename="traffic-shift")
router.register("traffic/assets", AssetViewSet, basename="traffic-asset")
router.register("traffic/patrols", PatrolViewSet, basename="traffic-patrol")
router.register("traffic/joint-patrols", JointPatrolViewSet, basename="traffic-joint-patrol")
router.register("traffic/accidents", AccidentViewSet, basename="traffic-accident")
router.register("traffic/incident-alerts", IncidentAlertViewSet, basename="traffic-incident-alert")
urlpatterns = [
    path("traffic/on-duty/", OnDutyView.as_view(), name="traffic-on-duty"),
    path("traffic/accident-hotspots/", HotspotsView.as_view(), name="traffic-hotspots"),
    path("kpis/traffic/", TrafficKpiView.as_view(), name="kpi-traffic"),
    *router.urls,
]
