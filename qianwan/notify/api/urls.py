from rest_framework.routers import SimpleRouter

from .views import InboxViewSet

router = SimpleRouter()
router.register("notifications", InboxViewSet, basename="notification")
urlpatterns = router.urls
