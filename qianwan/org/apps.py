from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "qianwan.org"
    label = "org"
    verbose_name = _("组织与权限")

    def ready(self):
        from qianwan import refcache

        from .models import ApiToken, DutyRoster, DutyRotation, DutyRotationMember, Station, User

        refcache.watch(Station, DutyRoster, DutyRotation, DutyRotationMember, User, ApiToken)
