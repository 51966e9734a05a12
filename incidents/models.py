"""Incidents (警情): a 110 call that became a record, its append-only timeline and its SLA clocks."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qianwan.org.choices import RoutedBy

from .choices import Category, ChainTarget, DiversionDirection, EventKind, SkipReason, Stage, Status


class Incident(models.Model):
    """A 110 call that became a record; its steps and clocks hang off it.

    The ``*_seconds`` / ``*_met`` columns mirror the effective timeline and the clocks (written only by
    ``incidents.services``) so that KPIs over a million rows read one narrow table.
    """

    number = models.CharField(_("警情编号"), max_length=32, unique=True)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="incidents"
    )
    routed_by = models.CharField(
        _("分派依据"), max_length=10, choices=RoutedBy.choices, blank=True, default="", db_default=""
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    received_at = models.DateTimeField(_("接警时间"))
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lat = models.FloatField(
        _("纬度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("经度"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # the standard address the place was picked from (None: typed free text, flagged 未标准化 when set)
    standard_address = models.ForeignKey(
        "places.StandardAddress",
        verbose_name=_("标准地址"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        db_index=False,
    )
    # earlier calls (any station) from the same phone, the same standard address or nearby in the 72 h
    # before this one, counted at intake (places.selectors.repeat_count): the 重复报警 mark
    repeat_count = models.PositiveIntegerField(_("重复报警次数"), default=0, db_default=0)
    description = models.TextField(_("简要警情"), blank=True)
    caller_phone = models.CharField(_("报警电话"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接警人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    # The SLA policy in force at receipt, frozen: a later policy edit never moves these deadlines.
    sla_policy = models.ForeignKey(
        "incidents.SlaPolicy",
        verbose_name=_("时限标准"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sla_snapshot = models.JSONField(_("时限快照"), default=dict, blank=True)
    # Elapsed seconds from receipt to each effective step (ceil), and whether it met its limit.
    dispatch_seconds = models.IntegerField(null=True, blank=True)
    video_supervision_seconds = models.IntegerField(null=True, blank=True)
    leader_notified_seconds = models.IntegerField(null=True, blank=True)
    arrival_seconds = models.IntegerField(null=True, blank=True)
    dispatch_met = models.BooleanField(null=True, blank=True)
    video_supervision_met = models.BooleanField(null=True, blank=True)
    leader_notified_met = models.BooleanField(null=True, blank=True)
    arrival_met = models.BooleanField(null=True, blank=True)
    closed_at = models.DateTimeField(_("办结/分流时间"), null=True, blank=True)
    diverted_to = models.CharField(_("分流去向"), max_length=20, blank=True)
    source_inbound = models.OneToOneField(
        "exchange.InboundEvent",
        verbose_name=_("来源网格事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # the catalogue item the call was handed over under: a 110 → 12345 item when the police diverted
    # it, a 12345 → 110 item when 12345 pushed it to the police
    diversion_item = models.ForeignKey(
        "incidents.DiversionItem",
        verbose_name=_("分流目录事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        indexes = [
            models.Index(fields=["station", "received_at"]),
            models.Index(fields=["received_at"]),
            # counts of one category over years (dispute incidents for the disputes YoY)
            models.Index(fields=["category", "received_at"], name="incident_category_idx"),
            # the duty board: open incidents of a station
            models.Index(
                fields=["station", "received_at"], condition=Q(status="open"), name="incident_open_idx"
            ),
            # diversion counts (dashboard, KPI page): the diverted few of a year, by month and item,
            # read from the index alone
            models.Index(
                fields=["received_at", "diversion_item"],
                condition=Q(status="diverted"),
                name="incident_diverted_idx",
            ),
            # and the incidents that came from a 12345 event or under a catalogue item
            models.Index(
                fields=["received_at"],
                condition=Q(source_inbound__isnull=False) | Q(diversion_item__isnull=False),
                name="incident_referred_idx",
            ),
            # the list's status filter, alone and with the period (issue 21); the number filter's
            # prefix index is an expression index made by migration 0014 (PostgreSQL only)
            models.Index(fields=["status", "received_at"], name="incident_status_received_idx"),
            # repeat calls: the same caller, the same standard address (places.selectors.repeats)
            models.Index(
                fields=["caller_phone", "received_at"],
                condition=~Q(caller_phone=""),
                name="incident_phone_idx",
            ),
            models.Index(
                fields=["standard_address", "received_at"],
                condition=Q(standard_address__isnull=False),
                name="incident_stdaddr_idx",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.get_category_display()}"

    def get_category_display(self):
        """Django's own builds a dict of every choice on each call (0.1 ms, twice per call taken)."""
        try:
            return str(Category(self.category).label)
        except ValueError:
            return self.category


class SlaPolicy(models.Model):
    """Time limits per stage, in seconds from receipt; one default row (blank category) and optional
    rows per category. Incidents copy the limits at receipt (``Incident.sla_snapshot``)."""

    category = models.CharField(
        _("警情类别"),
        max_length=20,
        choices=Category.choices,
        blank=True,
        unique=True,
        help_text=_("留空为默认标准"),
    )
    dispatch_seconds = models.PositiveIntegerField(_("派警时限(秒)"), default=60)
    video_supervision_seconds = models.PositiveIntegerField(_("视频督导时限(秒)"), default=120)
    leader_notified_seconds = models.PositiveIntegerField(_("通报所领导时限(秒)"), default=180)
    arrival_seconds = models.PositiveIntegerField(_("到场时限(秒)"), default=480)
    warn_before_seconds = models.PositiveIntegerField(_("提前提醒(秒)"), default=15)
    escalate_after_seconds = models.PositiveIntegerField(_("超时后升级(秒)"), default=120)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["category"]
        verbose_name = _("处警时限标准")
        verbose_name_plural = _("处警时限标准")

    def __str__(self):
        return str(self.get_category_display() if self.category else _("默认标准"))

    def clean(self):
        for field in (
            "dispatch_seconds",
            "video_supervision_seconds",
            "leader_notified_seconds",
            "arrival_seconds",
        ):
            if not getattr(self, field):
                raise ValidationError({field: _("时限必须大于0秒。")})

    def limits(self) -> dict:
        return {
            Stage.DISPATCH.value: self.dispatch_seconds,
            Stage.VIDEO_SUPERVISION.value: self.video_supervision_seconds,
            Stage.LEADER_NOTIFIED.value: self.leader_notified_seconds,
            Stage.ARRIVAL.value: self.arrival_seconds,
        }


class IncidentEvent(models.Model):
    """One step on an incident's timeline. Append-only: a correction is a new row that ``supersedes``
    the old one; nothing is edited or deleted."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("环节"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("备注"), blank=True)
    target = models.CharField(_("分流去向"), max_length=20, blank=True)
    # who went (dispatched) or who was there (arrived, reinforcements included), and their call sign
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("出警民警"), blank=True, related_name="call_events"
    )
    unit = models.CharField(_("呼号"), max_length=40, blank=True, default="", db_default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("更正"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("处警环节")
        verbose_name_plural = _("处警环节")
        constraints = [
            # each kind once per incident; corrections (supersedes set) are the only further rows —
            # except a diversion and its rejection, which may recur (a rejected diversion, then another)
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=Q(supersedes__isnull=True) & ~Q(kind__in=["diverted", "diversion_rejected"]),
                name="incident_event_once",
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"


class SlaClock(models.Model):
    """One stage's clock: its frozen limit and deadline, when it was done, and the timer's markers.

    ``next_fire_at`` is the time of the next timer step (warn → breach → escalate), null when nothing
    is left; ``task_id`` is the ETA task that should fire it — one task serves all of an incident's
    clocks (services._arm); a task with another id does nothing.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="clocks")
    stage = models.CharField(_("环节"), max_length=20, choices=Stage.choices)
    limit_seconds = models.PositiveIntegerField(_("时限(秒)"))
    deadline = models.DateTimeField(_("截止时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    met = models.BooleanField(_("达标"), null=True, blank=True)
    not_needed = models.BooleanField(_("无需（已分流）"), default=False)
    stopped_at = models.DateTimeField(_("停止提醒时间"), null=True, blank=True)
    warn_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    warned_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    breached_at = models.DateTimeField(_("已通报超时"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("已升级"), null=True, blank=True)
    # a warning that could not be sent as planned (its deadline had passed when it came due): when that
    # was decided and why; a breach or an escalation is never skipped
    warn_skipped_at = models.DateTimeField(_("提醒未发出"), null=True, blank=True)
    warn_skip_reason = models.CharField(
        _("未发出原因"), max_length=30, choices=SkipReason.choices, blank=True
    )
    # set when the clock was restarted from this time (the hotline rejected the incident's diversion):
    # the deadline and the elapsed time count from here, not from receipt
    restarted_at = models.DateTimeField(_("重新计时"), null=True, blank=True)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # The escalation chain frozen at receipt, expanded into entries [offset from the deadline in
    # seconds, target, person id, step number, repeat number], in firing order; empty = the built-in
    # chain (breach → duty leader, escalate → command centre). ``chain_next`` is the index of the
    # next entry to fire; ``acknowledged_at`` stops the repeats of the entries fired by then.
    chain = models.JSONField(default=list, blank=True)
    chain_next = models.PositiveSmallIntegerField(default=0)
    acknowledged_at = models.DateTimeField(_("已确认"), null=True, blank=True)

    class Meta:
        ordering = ["incident", "deadline"]
        verbose_name = _("处警时钟")
        verbose_name_plural = _("处警时钟")
        constraints = [models.UniqueConstraint(fields=["incident", "stage"], name="clock_once_per_stage")]
        indexes = [
            # the beat sweep's work list
            models.Index(
                fields=["next_fire_at"], condition=Q(next_fire_at__isnull=False), name="clock_due_idx"
            ),
            # open clocks whose miss is not recorded yet (KPIs and the sla_breached filter read them)
            models.Index(
                fields=["deadline"],
                condition=Q(done_at__isnull=True, met__isnull=True, not_needed=False),
                name="clock_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.stage}"


class EscalationChain(models.Model):
    """Who a breached stage notifies and when: the sub-bureau's default (no station) or one station's
    own. Without any row the built-in chain applies (today's behaviour: the duty leader at the breach,
    the command centre ``escalate_after_seconds`` later)."""

    station = models.OneToOneField(
        "org.Station",
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_chain",
        help_text=_("留空为分局默认"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("升级链")
        verbose_name_plural = _("升级链")

    def __str__(self):
        return str(self.station or _("分局默认"))


class EscalationStep(models.Model):
    """One step: wait ``wait_seconds`` after the previous step (the first: after the breach), notify
    the target, and re-notify it every ``repeat_every_seconds`` up to ``repeat_times`` more times
    until someone acknowledges."""

    chain = models.ForeignKey(EscalationChain, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("顺序"))
    target = models.CharField(_("通知对象"), max_length=20, choices=ChainTarget.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定人员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    wait_seconds = models.PositiveIntegerField(_("等待(秒)"), default=0)
    repeat_times = models.PositiveSmallIntegerField(
        _("重复次数"), default=0, validators=[MaxValueValidator(10)]
    )
    repeat_every_seconds = models.PositiveIntegerField(_("重复间隔(秒)"), default=0)

    class Meta:
        ordering = ["chain", "position"]
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="escalation_step_position_once"),
            models.CheckConstraint(
                name="escalation_step_person_target",
                condition=~Q(target="person") | Q(person__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.chain} #{self.position} {self.target}"


class StatUnit(models.TextChoices):
    DAY = "day", _("日")
    MONTH = "month", _("月")


class IncidentStatSeal(models.Model):
    """One day or month (Asia/Shanghai) whose ``IncidentStat`` rows are complete and current.

    ``sealed_at`` null means "read the raw rows": any write to an incident of a sealed unit clears it
    and bumps ``version`` (``incidents.rollup.touch``, in the writer's transaction); the builder seals
    only when the version it started from is unchanged, so a concurrent write is never lost.
    """

    unit = models.CharField(max_length=8, choices=StatUnit.choices)
    start = models.DateField()
    version = models.PositiveIntegerField(default=0)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("警情汇总封存")
        verbose_name_plural = _("警情汇总封存")
        constraints = [models.UniqueConstraint(fields=["unit", "start"], name="incident_stat_seal_once")]

    def __str__(self):
        return f"{self.unit} {self.start}"


class IncidentStat(models.Model):
    """The dispatch figures of one station × category × sealed day or month, so that a year or five
    read hundreds of rows instead of a million. Counts only add; fractiles stay exact because the
    arrival times are kept as a histogram at one-second resolution (never an average of percentiles):

    - ``counts``: little-endian int32 in ``incidents.rollup.COUNT_KEYS`` order (``incidents``,
      ``diverted``, ``out_of_order``, ``with_arrival``, then per stage ``within``, ``late``,
      ``missing``, ``pending``);
    - ``arrival_hist``: sparse (seconds, count) pairs, little-endian int32, seconds ascending;
    - ``stage_buckets``: per stage (in ``STAGES`` order) the count per 10-second bucket, 0…1200 s
      (the last bucket holds everything from 1200 s on), little-endian int32.
    """

    unit = models.CharField(max_length=8, choices=StatUnit.choices)
    start = models.DateField()
    station = models.ForeignKey("org.Station", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    counts = models.BinaryField(default=b"")
    arrival_hist = models.BinaryField(default=b"")
    stage_buckets = models.BinaryField(default=b"")

    class Meta:
        verbose_name = _("警情汇总")
        verbose_name_plural = _("警情汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "start", "station", "category"], name="incident_stat_once"
            )
        ]

    def __str__(self):
        return f"{self.unit} {self.start} {self.station_id} {self.category}"


class DiversionCategory(models.Model):
    """A category of the 110 ↔ 12345 diversion catalogue, one direction (e.g. 水电气暖, 正在发生的违法犯罪)."""

    direction = models.CharField(_("方向"), max_length=10, choices=DiversionDirection.choices)
    name = models.CharField(_("类别名称"), max_length=60)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["direction", "position", "id"]
        verbose_name = _("分流目录类别")
        verbose_name_plural = _("分流目录类别")
        constraints = [
            models.UniqueConstraint(fields=["direction", "name"], name="diversion_category_name_once")
        ]

    def __str__(self):
        return f"{self.get_direction_display()} · {self.name}"

    def incidents_count(self) -> int:
        return Incident.objects.filter(diversion_item__category=self).count()


class DiversionItem(models.Model):
    """One item of the catalogue: what it covers, the words in a call's description that suggest it,
    and the incident category that suggests it (the non-police category for 110 → 12345)."""

    category = models.ForeignKey(
        DiversionCategory, verbose_name=_("目录类别"), on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField(_("事项名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    keywords = models.CharField(
        _("关键词"),
        max_length=500,
        blank=True,
        help_text=_("以逗号、顿号或空格分隔；简要警情含其一即建议该事项"),
    )
    incident_category = models.CharField(
        _("对应警情类别"),
        max_length=20,
        choices=Category.choices,
        blank=True,
        help_text=_("接警时选了该类别即建议该事项"),
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["category__direction", "category__position", "position", "id"]
        verbose_name = _("分流目录事项")
        verbose_name_plural = _("分流目录事项")
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="diversion_item_name_once")]

    def __str__(self):
        return f"{self.category.name} · {self.name}"

    @property
    def direction(self) -> str:
        return self.category.direction

    def keyword_list(self) -> list[str]:
        import re

        return [k for k in re.split(r"[,，、;；\s]+", self.keywords) if k]
