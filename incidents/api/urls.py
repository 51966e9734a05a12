from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import DispatchKpiView, DiversionCatalogueView, IncidentTrendView, IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
urlpatterns = [
    *router.urls,
    path("kpis/dispatch/", DispatchKpiView.as_view(), name="kpi-dispatch"),
    path("diversion-catalogue/", DiversionCatalogueView.as_view(), name="diversion-catalogue"),
    path("kpis/incident-trend/", IncidentTrendView.as_view(), name="kpi-incident-trend"),
]
