from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("antifraud/admin-staff", views.AdminStaffViewSet, basename="antifraud-admin-staff")
router.register("antifraud/classes", views.WorkClassViewSet, basename="antifraud-class")
router.register("antifraud/employees", views.EmployeeViewSet, basename="antifraud-employee")
router.register("antifraud/roster-imports", views.RosterImportViewSet, basename="antifraud-roster-import")
router.register("antifraud/cases", views.FraudCaseViewSet, basename="antifraud-case")
router.register("antifraud/sessions", views.StudySessionViewSet, basename="antifraud-session")
router.register("antifraud/standards", views.ScoringStandardViewSet, basename="antifraud-standard")
router.register("antifraud/rounds", views.EvaluationRoundViewSet, basename="antifraud-round")
router.register("antifraud/evaluations", views.EvaluationViewSet, basename="antifraud-evaluation")
router.register("antifraud/letters", views.LetterViewSet, basename="antifraud-letter")
router.register("antifraud/liaison-groups", views.LiaisonGroupViewSet, basename="antifraud-liaison-group")
router.register("antifraud/notices", views.NoticeViewSet, basename="antifraud-notice")
router.register("antifraud/victims", views.VictimViewSet, basename="antifraud-victim")
urlpatterns = router.urls
