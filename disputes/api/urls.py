from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import BlockViewSet, CaseFileViewSet, DisputeKpiView, DisputeViewSet

router = SimpleRouter()
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("dispute-blocks", BlockViewSet, basename="dispute-block")
router.register("dispute-case-files", CaseFileViewSet, basename="dispute-case-file")

urlpatterns = [
    path("kpis/disputes/", DisputeKpiView.as_view(), name="kpi-disputes"),
    *router.urls,
]
