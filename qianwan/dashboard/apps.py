from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "qianwan.dashboard"
    label = "dashboard"
    verbose_name = _("领导驾驶舱")
    default_auto_field = "django.db.models.BigAutoField"
