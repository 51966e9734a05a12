from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ExchangeKpiView, InboundEventViewSet, OutboundEventViewSet

router = SimpleRouter()
router.register("exchange/inbound", InboundEventViewSet, basename="exchange-inbound")
router.register("exchange/outbound", OutboundEventViewSet, basename="exchange-outbound")
urlpatterns = [*router.urls, path("kpis/exchange/", ExchangeKpiView.as_view(), name="kpi-exchange")]
