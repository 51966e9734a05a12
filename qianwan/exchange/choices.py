from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    GRID = "grid", _("基层治理四平台（网格）")
    HOTLINE = "12345", _("12345 热线")


class InboundStatus(models.TextChoices):
    PENDING = "pending", _("待研判")
    ACCEPTED = "accepted", _("已受理")
    HANDLED = "handled", _("已办结")
    REJECTED = "rejected", _("已退回")


# "worked to an outcome" for the exchange KPI
INBOUND_OUTCOMES = (InboundStatus.HANDLED, InboundStatus.REJECTED)


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    HANDLED = "handled", _("已办结")
    REJECTED = "rejected", _("已拒收")


FINAL_OUTBOUND = (OutboundStatus.HANDLED, OutboundStatus.REJECTED)


class OutboundKind(models.TextChoices):
    DIVERSION = "diversion", _("非警务警情分流")
    HAZARD = "hazard", _("风险隐患移交")
    DISPUTE = "dispute", _("矛盾纠纷推送")
    INBOUND_STATUS = "inbound_status", _("来件办理结果反馈")
    OTHER = "other", _("其他")


class PushStatus(models.TextChoices):
    NOT_CONFIGURED = "not_configured", _("拉取模式")
    PENDING = "pending", _("待推送")
    PUSHED = "pushed", _("已推送")
    FAILED = "failed", _("推送失败")
