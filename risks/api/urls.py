from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "risks-api"

router = SimpleRouter()
router.register("hazards", views.HazardViewSet, basename="hazard")
router.register("risk-points", views.RiskPointViewSet, basename="risk-point")
router.register("hotspot-runs", views.HotspotRunViewSet, basename="hotspot-run")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("campaign-problems", views.InspectionProblemViewSet, basename="campaign-problem")

urlpatterns = [
    path("kpis/hazards/", views.HazardKpiView.as_view(), name="kpi-hazards"),
    path("risks/map/", views.MapDataView.as_view(), name="map-data"),
    *router.urls,
]
