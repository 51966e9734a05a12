"""The event store shared with the grid-governance platform and the 12345 hotline."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from qianwan.egress import validate_url
from qianwan.org.choices import RoutedBy

from .choices import InboundStatus, OutboundKind, OutboundStatus, PushStatus, Source


class ChangeCounter(models.Model):
    """One row per polled stream (``inbound``, ``outbound``): the last change number handed out.

    Every create or update of an exchange event takes the next number with ``UPDATE … RETURNING``,
    which row-locks the counter until the writing transaction ends. A second writer waits for the
    first to commit before it gets its number, so change numbers become visible in commit order and
    a partner polling ``?since=`` can never skip an event that commits late with a lower number.
    """

    stream = models.CharField(max_length=20, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("变更计数器")
        verbose_name_plural = _("变更计数器")

    def __str__(self):
        return f"{self.stream}={self.value}"


def _next_change(stream: str, model_label: str) -> int:
    table = ChangeCounter._meta.db_table
    sql = f"UPDATE {table} SET value = value + 1 WHERE stream = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [stream])
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    # the counter row is missing (a fresh or flushed database): start after the highest number in use
    from django.apps import apps

    highest = apps.get_model(model_label).objects.aggregate(m=Max("change_seq"))["m"] or 0
    try:
        with transaction.atomic():
            ChangeCounter.objects.create(stream=stream, value=highest)
    except IntegrityError:
        pass  # created concurrently
    return _next_change(stream, model_label)


def next_inbound_change() -> int:
    return _next_change("inbound", "exchange.InboundEvent")


def next_outbound_change() -> int:
    return _next_change("outbound", "exchange.OutboundEvent")


class ChangeStamped(models.Model):
    """``change_seq``: the event's last change number (the ``?since=`` cursor polls by it). Taken on
    every ``save()`` (and, through the field default, on ``bulk_create`` — inside the caller's
    transaction, which it must have for the commit-order guarantee); ``QuerySet.update()`` of
    internal bookkeeping (push attempts) does not count as a change a partner should see."""

    next_change = None  # set by the subclass

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "change_seq"}
        # number and row in one transaction, so the counter's lock is held until the row commits
        with transaction.atomic():
            self.change_seq = type(self).next_change()
            super().save(*args, **kwargs)


def new_partner_secret() -> str:
    return secrets.token_urlsafe(32)


class Partner(models.Model):
    """A partner system the police exchange events with; ``code`` is the outbound ``target`` and the
    inbound ``source``.

    Partners pull and ack the outbox; with a ``push_url`` the platform also pushes each event. Each
    partner has its own ``secret`` (for signing what is pushed to it) and its own API accounts
    (``PartnerAccount``): a ``grid_client`` acts for exactly one partner. ``enabled`` is the
    partner's "active" switch.
    """

    code = models.CharField(
        _("代码"), max_length=20, unique=True, validators=[RegexValidator(r"^[a-z0-9_-]{2,20}$")]
    )
    name = models.CharField(_("名称"), max_length=100)
    push_url = models.URLField(_("推送地址"), max_length=500, blank=True, validators=[validate_url])
    push_token = models.CharField(_("推送令牌"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    is_hotline = models.BooleanField(_("是热线"), default=False, help_text=_("可作为非警务警情分流的去向"))
    secret = models.CharField(
        _("签名密钥"),
        max_length=100,
        default=new_partner_secret,
        help_text=_("推送签名用，仅本平台与该平台知晓"),
    )
    # The caller's phone reaches a partner only when it needs it to do its job: the 12345 hotline
    # calls the citizen back on a diverted call; the grid platform does not. Everyone else (police
    # roles included, in the outbox) sees 138****0000.
    receives_caller_phone = models.BooleanField(
        _("接收来电号码"), default=False, help_text=_("推送给该平台的分流事件是否带完整来电号码")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("对接平台")
        verbose_name_plural = _("对接平台")

    def __str__(self):
        return self.name


class PartnerAccount(models.Model):
    """The partner a ``grid_client`` account acts for: exactly one (``manage.py apitoken --partner``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="partner_account",
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("对接平台"), on_delete=models.PROTECT, related_name="accounts"
    )

    class Meta:
        verbose_name = _("对接平台账号")
        verbose_name_plural = _("对接平台账号")

    def __str__(self):
        return f"{self.user} → {self.partner.code}"


class InboundEvent(ChangeStamped):
    """An event the grid platform (or 12345) sent to the police; idempotent on ``(source, external_id)``:
    each partner has its own namespace of ids."""

    external_id = models.CharField(_("外部编号"), max_length=100)
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
    routed_by = models.CharField(
        _("分派依据"), max_length=10, choices=RoutedBy.choices, blank=True, default="", db_default=""
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
    # the sign-for deadline (settings.EXCHANGE_SIGN_FOR_MINUTES after arrival) and when the beat sweep
    # reminded the duty leaders of an event still pending at it (once)
    sign_for_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    sign_for_reminded_at = models.DateTimeField(_("签收催办时间"), null=True, blank=True)
    raw = models.JSONField(_("原始报文"), default=dict, blank=True)
    change_seq = models.BigIntegerField(
        _("变更序号"), default=next_inbound_change, unique=True, editable=False
    )

    next_change = staticmethod(next_inbound_change)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接收事件")
        verbose_name_plural = _("接收事件")
        indexes = [
            models.Index(fields=["station", "status"]),
            models.Index(fields=["source", "change_seq"], name="inbound_source_change_idx"),
            # the sign-for sweep's work list: pending events not reminded yet
            models.Index(
                fields=["sign_for_due_at"],
                condition=Q(status="pending", sign_for_reminded_at__isnull=True),
                name="inbound_sign_for_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="inbound_external_id_per_source")
        ]

    def __str__(self):
        return f"{self.external_id} {self.title}"


class OutboundEvent(ChangeStamped):
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
    change_seq = models.BigIntegerField(
        _("变更序号"), default=next_outbound_change, unique=True, editable=False
    )

    next_change = staticmethod(next_outbound_change)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("推送事件")
        verbose_name_plural = _("推送事件")
        indexes = [
            models.Index(fields=["source_type", "source_id"]),
            models.Index(fields=["target", "change_seq"], name="outbound_target_change_idx"),
            models.Index(
                fields=["push_next_at"], condition=Q(push_status="pending"), name="outbound_push_due_idx"
            ),
            # the referrals of a period (``counted_outbound``: the dashboard's and kpis/exchange's
            # "pushed"), without reading the status feedback around them
            models.Index(fields=["kind", "created_at"], name="outbound_kind_created_idx"),
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


__all__ = [
    "ChangeCounter",
    "Partner",
    "PartnerAccount",
    "InboundEvent",
    "OutboundEvent",
    "OutboundAck",
    "OutboundKind",
]
