"""Notifications: created once per idempotency key, read in the in-app inbox, delivered on channels."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qianwan.egress import validate_url

from .choices import ChannelKind, ContactKind, DeliveryStatus, Level


class Notification(models.Model):
    """One message about one event; ``key`` makes creating it idempotent (e.g. ``clock:42:breach``)."""

    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    kind = models.CharField(_("类别"), max_length=60, db_index=True)
    level = models.CharField(_("级别"), max_length=20, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), null=True, blank=True, on_delete=models.SET_NULL
    )
    payload = models.JSONField(_("附加数据"), default=dict, blank=True)
    thread = models.CharField(
        _("会话"),
        max_length=100,
        blank=True,
        help_text=_("同一会话（如同一警情 incident:42）的通知在收件箱中合为一条；留空则单独成条"),
    )
    ack_action = models.CharField(
        _("确认动作"),
        max_length=60,
        blank=True,
        help_text=_("收件人确认时调用的已注册动作，如 incidents.leader_ack"),
    )
    due_at = models.DateTimeField(
        _("计划时间"),
        null=True,
        blank=True,
        help_text=_("按计划应发出的时间（如时钟的提醒/超时时刻），用于计算迟到"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self):
        return self.title


class InboxItem(models.Model):
    """A notification in one person's inbox."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="inbox_items")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items"
    )
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # fired − due for this recipient in the app (null when the notification has no planned time)
    lateness_ms = models.IntegerField(_("迟到(毫秒)"), null=True, blank=True)

    class Meta:
        ordering = ["-notification__created_at", "-id"]
        verbose_name = _("收件箱条目")
        verbose_name_plural = _("收件箱条目")
        constraints = [
            models.UniqueConstraint(fields=["notification", "recipient"], name="inbox_once_per_recipient")
        ]
        indexes = [
            # the header's unread badge, polled by every open page
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="inbox_unread_idx"),
        ]

    def __str__(self):
        return f"{self.recipient_id}: {self.notification_id}"


class Channel(models.Model):
    """A delivery channel: a DingTalk or WeCom group robot, or an e-mail list.

    A channel with a station receives that station's notifications; one without a station receives
    every notification of the kinds it subscribes to (empty = all kinds).
    """

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=ChannelKind.choices)
    url = models.URLField(_("Webhook 地址"), max_length=500, blank=True, validators=[validate_url])
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True, help_text=_("钉钉机器人“加签”密钥"))
    email_to = models.CharField(_("收件邮箱"), max_length=500, blank=True, help_text=_("多个地址用逗号分隔"))
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), null=True, blank=True, on_delete=models.CASCADE
    )
    kinds = models.JSONField(_("订阅类别"), default=list, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    broadcast_only = models.BooleanField(
        _("仅定向发送"), default=False, help_text=_("勾选后只接收明确指定给它的通知（如反诈联络群的预警）。")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("推送渠道")
        verbose_name_plural = _("推送渠道")

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.kind in (ChannelKind.DINGTALK, ChannelKind.WECOM) and not self.url:
            raise ValidationError({"url": _("机器人渠道必须填写 Webhook 地址。")})
        if self.kind == ChannelKind.EMAIL and not self.email_to:
            raise ValidationError({"email_to": _("邮件渠道必须填写收件邮箱。")})


class ContactMethod(models.Model):
    """One way to reach a person directly, and which urgencies go there (empty = every level).

    ``address``: the DingTalk or WeCom user id in the corporate application, a mobile number, or an
    e-mail address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(_("方式"), max_length=20, choices=ContactKind.choices)
    address = models.CharField(_("账号/号码/邮箱"), max_length=200)
    levels = models.JSONField(_("接收的级别"), default=list, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "kind", "id"]
        verbose_name = _("个人联系方式")
        verbose_name_plural = _("个人联系方式")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "address"], name="contact_method_once"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.address}"

    def wants(self, level: str) -> bool:
        return self.enabled and (not self.levels or level in self.levels)


class Delivery(models.Model):
    """One notification on one group channel, or to one person by one of their contact methods;
    retried with exponential back-off until delivered or failed.

    ``uid`` is the delivery id sent with every try (header ``X-Qianwan-Delivery`` and in the text):
    a resend after a lost answer carries the same id, so a receiver can drop it."""

    uid = models.UUIDField(_("投递编号"), default=uuid.uuid4, unique=True, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    contact = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    inbox_item = models.ForeignKey(
        InboxItem, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    # delivered − the notification's planned time (null when it has none or is not delivered yet)
    lateness_ms = models.IntegerField(_("迟到(毫秒)"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
            models.UniqueConstraint(fields=["notification", "contact"], name="delivery_once_per_contact"),
            models.CheckConstraint(
                name="delivery_channel_or_contact",
                condition=Q(channel__isnull=False, contact__isnull=True)
                | Q(channel__isnull=True, contact__isnull=False),
            ),
        ]
        indexes = [
            # the sweep's work list
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due_idx"),
        ]

    def __str__(self):
        return f"{self.notification_id}→{self.channel_id} {self.status}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per try, with the receiver's answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    ok = models.BooleanField(_("成功"), default=False)
    status_code = models.PositiveIntegerField(_("HTTP 状态"), null=True, blank=True)
    response = models.TextField(_("响应"), blank=True)
    error = models.TextField(_("错误"), blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(ms)"), default=0)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")

    def __str__(self):
        return f"{self.delivery_id}#{self.number} {'ok' if self.ok else self.error}"


class AckLink(models.Model):
    """A one-time acknowledge link sent in one person's message: the signed URL names this row by its
    nonce; it works without a login until ``expires_at``, once (``used_at``)."""

    inbox_item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="ack_links")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("确认链接")
        verbose_name_plural = _("确认链接")

    def __str__(self):
        return f"{self.inbox_item_id} {self.nonce[:6]}…"


class Heartbeat(models.Model):
    """The last time a periodic job ran (the beat sweep of the reminders): kept in the database, not
    the cache, because the cache is Redis — the broker whose outage it must survive."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    at = models.DateTimeField(_("最近运行"))
    host = models.CharField(_("进程"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class EgressAllow(models.Model):
    """An admin's entry of the outbound allow-list (qianwan/egress.py), besides the settings' list:
    a host (``oapi.dingtalk.com``), a wildcard (``*.gov.cn``), an address or a CIDR network — the
    only way to let robots and partner pushes reach a private network."""

    entry = models.CharField(
        _("主机、通配或网段"),
        max_length=255,
        unique=True,
        help_text=_("例：oapi.dingtalk.com、*.example.gov.cn、10.20.0.0/16"),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry"]
        verbose_name = _("出站白名单")
        verbose_name_plural = _("出站白名单")

    def __str__(self):
        return self.entry

    def clean(self):
        from django.core.exceptions import ValidationError

        from qianwan.egress import parse_entry

        try:
            parsed = parse_entry(self.entry)
        except ValueError:
            raise ValidationError({"entry": _("请填写主机名、*.域名、IP 地址或 CIDR 网段。")}) from None
        if not isinstance(parsed, str) and parsed.prefixlen < (8 if parsed.version == 4 else 16):
            raise ValidationError({"entry": _("网段过大：IPv4 至少 /8，IPv6 至少 /16。")})
        self.entry = str(parsed)
