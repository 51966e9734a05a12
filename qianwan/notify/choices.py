from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("预警")
    BREACH = "breach", _("超时")
    ESCALATION = "escalation", _("升级")


class ChannelKind(models.TextChoices):
    DINGTALK = "dingtalk", _("钉钉机器人")
    WECOM = "wecom", _("企业微信机器人")
    EMAIL = "email", _("电子邮件")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("失败")


class ContactKind(models.TextChoices):
    """A person's own way of being reached (the corporate apps' work notice, SMS, e-mail)."""

    DINGTALK = "dingtalk", _("钉钉工作通知")
    WECOM = "wecom", _("企业微信应用消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
