from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("enterprise-imports", views.ImportJobViewSet, basename="enterprise-import")
router.register("service-types", views.ServiceTypeViewSet, basename="service-type")
router.register("lecturer-teams", views.LecturerTeamViewSet, basename="lecturer-team")
router.register("service-requests", views.ServiceRequestViewSet, basename="service-request")
router.register("service-visits", views.VisitViewSet, basename="service-visit")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("lectures", views.LectureViewSet, basename="lecture")
router.register("alliances", views.AllianceViewSet, basename="alliance")
router.register("watch-calls", views.WatchCallViewSet, basename="watch-call")
router.register("first-responses", views.FirstResponseViewSet, basename="first-response")

urlpatterns = [
    *router.urls,
    path("kpis/enterprise-services/", views.ServiceKpiView.as_view(), name="kpi-enterprise-services"),
    path("kpis/watch/", views.WatchKpiView.as_view(), name="kpi-watch"),
]
