from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "qianwan.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self):
        from qianwan import refcache

        from .models import Channel, ContactMethod

        refcache.watch(Channel, ContactMethod)
