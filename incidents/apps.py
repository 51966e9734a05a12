from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("警情调度")

    def ready(self):
        from qianwan import refcache
        from qianwan.notify import acks

        from . import services
        from .models import EscalationChain, EscalationStep, SlaPolicy

        acks.register(services.LEADER_ACK_ACTION, services.leader_acknowledged)
        refcache.watch(SlaPolicy, EscalationChain, EscalationStep)
