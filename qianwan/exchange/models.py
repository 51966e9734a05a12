"""The event store shared with the grid-governance platform and the 12345 hotline."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qianwan.egress import validate_url

from .choices import InboundStatus, OutboundKind, OutboundStatus, PushStatus, Source


class Partner(models.Model):
    """A partner system the police exchange events with; ``code`` is the outbound ``target``.

    Partners pull and ack the outbox; with a ``push_url`` the platform also pushes each event.
    """

    code = models.CharField(
        _("代码"), max_length=20, unique=True, validators=[RegexValidator(r"^[a-z0-9_-]{2,20}$")]
    )
    name = models.CharField(_("名称"), max_length=100)
    push_url = models.URLField(_("推送地址"), max_length=500, blank=True, validators=[validate_url])
    push_token = models.CharField(_("推送令牌"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    is_hotline = models.BooleanField(_("是热线"), default=False, help_text=_("可作为非警务警情分流的去向"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("对接平台")
        verbose_name_plural = _("对接平台")

    def __str__(self):
        return self.name


class InboundEvent(models.Model):
    """An event the grid platform (or 12345) sent to the police; idempotent on ``external_id``."""

    external_id = models.CharField(_("外部编号"), max_length=100, unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    category = models.CharField(_("类别"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lat = models.FloatField(
        _("纬度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("经度"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    occurred_at = models.DateTimeField(_("发生时间"), null=True, blank=True)
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    outcome_note = models.TextField(_("办理说明"), blank=True)
    outcome_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("办理人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # what the police made of it (an incident, a dispute)
    result_type = models.CharField(max_length=80, blank=True)
    result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)
    raw = models.JSONField(_("原始报文"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接收事件")
        verbose_name_plural = _("接收事件")
        indexes = [models.Index(fields=["station", "status"])]

    def __str__(self):
        return f"{self.external_id} {self.title}"


class OutboundEvent(models.Model):
    """An event the police push to a partner (outbox): partners pull it and ack its fate."""

    target = models.CharField(_("去向"), max_length=20, db_index=True)
    kind = models.CharField(_("类型"), max_length=30, choices=OutboundKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # the record it is about (an incident, a hazard, a dispute, an inbound event)
    source_type = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    ack_note = models.TextField(_("反馈说明"), blank=True)
    acked_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    push_status = models.CharField(
        max_length=20, choices=PushStatus.choices, default=PushStatus.NOT_CONFIGURED
    )
    push_attempts = models.PositiveIntegerField(default=0)
    push_next_at = models.DateTimeField(null=True, blank=True)
    push_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("推送事件")
        verbose_name_plural = _("推送事件")
        indexes = [
            models.Index(fields=["source_type", "source_id"]),
            models.Index(
                fields=["push_next_at"], condition=Q(push_status="pending"), name="outbound_push_due_idx"
            ),
        ]

    def __str__(self):
        return f"→{self.target} {self.title}"


class OutboundAck(models.Model):
    """Every ack a partner sent, replays included: the history behind ``OutboundEvent.status``."""

    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="acks")
    status = models.CharField(max_length=20, choices=OutboundStatus.choices)
    note = models.TextField(blank=True)
    at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self):
        return f"{self.event_id} {self.status}"


__all__ = ["Partner", "InboundEvent", "OutboundEvent", "OutboundAck", "OutboundKind"]
