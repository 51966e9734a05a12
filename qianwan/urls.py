from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from qianwan import views
from qianwan.api.fallback import FALLBACK_NAME, ApiFallbackView
from qianwan.security.csp import swagger_docs_view
from qianwan.views import DOMAIN_APPS

# Every domain app owns `<app>/urls.py` (pages, namespace = app name) and `<app>/api/urls.py`.

api_v1 = [
    path("", include("qianwan.org.api.urls")),
    path("", include("qianwan.notify.api.urls")),
    path("", include("qianwan.exchange.api.urls")),
    path("", include("qianwan.attachments.api.urls")),
    *[path("", include(f"{app}.api.urls")) for app in DOMAIN_APPS],
    path("", include("qianwan.dashboard.api.urls")),
    # last: unknown paths → JSON 404; paths without their trailing slash → the view with it
    re_path(r"^.*$", ApiFallbackView.as_view(), name=FALLBACK_NAME),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.workbench, name="workbench"),
    path("accounts/", include("qianwan.org.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("duty/", include("qianwan.org.duty_urls")),
    path("notifications/", include("qianwan.notify.urls")),
    path("audit/", include("qianwan.audit.urls")),
    path("attachments/", include("qianwan.attachments.urls")),
    path("exchange/", include("qianwan.exchange.urls")),
    path("exports/", include("qianwan.api.export_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", swagger_docs_view(url_name="schema"), name="api-docs"),
    *[path(f"{app}/", include(f"{app}.urls")) for app in DOMAIN_APPS],
    path("dashboard/", include("qianwan.dashboard.urls")),
]

handler400 = "qianwan.views.bad_request"
handler403 = "qianwan.views.permission_denied"
handler404 = "qianwan.views.page_not_found"
