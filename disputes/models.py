"""Disputes (矛盾纠纷): blocks (片区), case files by type (建策建档), disputes, parties, follow-ups, timeline.

One module on purpose: the eight models are small and read together; split into a package if it grows.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Category, Channel, EventKind, FollowupOutcome, PartyRole, RiskLevel, Status

H3_RESOLUTION = 9  # about 174 m edge / 0.1 km² per cell: a few buildings, the scale of a block's street


def _lat_field():
    return models.FloatField(
        _("纬度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )


def _lon_field():
    return models.FloatField(
        _("经度"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )


class Block(models.Model):
    """A block (片区) of a station, given to one community officer (分片包干).

    Its area is a set of H3 cells (resolution 9) or a polygon; a polygon is also stored as the cells
    whose centre it contains, so that every point lookup is one indexed query on ``BlockCell``.
    """

    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="dispute_blocks"
    )
    name = models.CharField(_("片区名称"), max_length=100)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任社区民警"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispute_blocks",
    )
    polygon = models.JSONField(
        _("边界多边形"),
        null=True,
        blank=True,
        help_text=_("[[纬度, 经度], …] 顺序排列的顶点（WGS84）；留空则使用 H3 网格。"),
    )
    note = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["station__code", "name"]
        verbose_name = _("片区")
        verbose_name_plural = _("片区")
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="dispute_block_name_unique")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.officer_id and self.station_id and self.officer.station_id != self.station_id:
            raise ValidationError({"officer": _("责任民警必须是本所民警。")})


class BlockCell(models.Model):
    """One H3 cell of a block. A cell belongs to at most one block, so a point falls in one block."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="cells")
    cell = models.CharField(_("H3 网格"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("片区网格")
        verbose_name_plural = _("片区网格")

    def __str__(self):
        return self.cell


class ChannelContact(models.Model):
    """Who handles disputes of a channel at a station: the organisation and its contact (三分法联系机制)."""

    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("处置机制"), max_length=30, choices=Channel.choices)
    organisation = models.CharField(_("承办单位"), max_length=100)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        ordering = ["station__code", "channel"]
        verbose_name = _("联动单位")
        verbose_name_plural = _("联动单位")
        constraints = [
            models.UniqueConstraint(fields=["station", "channel"], name="dispute_channel_contact_unique")
        ]

    def __str__(self):
        return f"{self.get_channel_display()}：{self.organisation}"


class CaseFile(models.Model):
    """建策建档: one file per type of problem (a dispute category, in a block or station-wide), with
    its measures and review dates; the disputes of that type are linked to it."""

    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="dispute_case_files"
    )
    block = models.ForeignKey(
        Block,
        verbose_name=_("片区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_files",
        help_text=_("留空表示全所范围。"),
    )
    category = models.CharField(_("纠纷类型"), max_length=30, choices=Category.choices)
    title = models.CharField(_("档案名称"), max_length=200)
    measures = models.TextField(_("管控措施"), blank=True)
    review_every_days = models.PositiveIntegerField(
        _("复查周期（天）"), default=30, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    next_review_on = models.DateField(_("下次复查"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("上次复查"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)

    class Meta:
        ordering = ["station__code", "category", "block__name"]
        verbose_name = _("纠纷类型档案")
        verbose_name_plural = _("纠纷类型档案")
        # one file per type: per block, and one station-wide (block empty) — two partial constraints
        # because NULLs are distinct in a plain unique constraint (and SQLite has no NULLS NOT DISTINCT)
        constraints = [
            models.UniqueConstraint(
                fields=["station", "block", "category"],
                condition=Q(block__isnull=False),
                name="dispute_casefile_unique",
            ),
            models.UniqueConstraint(
                fields=["station", "category"],
                condition=Q(block__isnull=True),
                name="dispute_casefile_station_unique",
            ),
        ]

    def __str__(self):
        return self.title


class Dispute(models.Model):
    """A dispute (纠纷), triaged by risk level into a handling channel (三分法) and followed up once handled."""

    number = models.CharField(_("纠纷编号"), max_length=32, unique=True)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="disputes"
    )
    block = models.ForeignKey(
        Block,
        verbose_name=_("片区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
    )
    case_file = models.ForeignKey(
        CaseFile,
        verbose_name=_("类型档案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
    )
    category = models.CharField(_("纠纷类型"), max_length=30, choices=Category.choices)
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices)
    channel = models.CharField(_("处置机制"), max_length=30, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    summary = models.TextField(_("纠纷概要"))
    address = models.CharField(_("地点"), max_length=300, blank=True)
    standard_address = models.ForeignKey(
        "places.StandardAddress",
        verbose_name=_("标准地址"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lat = _lat_field()
    lon = _lon_field()
    h3_cell = models.CharField(_("H3 网格"), max_length=20, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("发生/报警时间"))
    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispute",
    )
    inbound_event = models.OneToOneField(
        "exchange.InboundEvent",
        verbose_name=_("来源网格事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任民警"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
    )
    handling_org = models.CharField(_("承办单位"), max_length=100, blank=True)
    handling_contact = models.CharField(_("承办联系人"), max_length=50, blank=True)
    handling_phone = models.CharField(_("承办联系电话"), max_length=20, blank=True)
    handled_at = models.DateTimeField(_("处置完毕时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("推送关注时间"), null=True, blank=True)
    # A station leader's approval to close with fewer follow-ups than required (结案审批), with a reason.
    close_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准结案的领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    close_approved_at = models.DateTimeField(_("批准结案时间"), null=True, blank=True)
    close_approval_reason = models.TextField(_("批准结案理由"), blank=True)
    # Follow-ups are due in the calendar months before this local date (None: until closed).
    followup_until = models.DateField(_("回访截止"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        indexes = [
            models.Index(fields=["station", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["block", "occurred_at"]),
            # the follow-up sweep's and the due list's work set
            models.Index(
                fields=["station", "handled_at"], condition=Q(status="handled"), name="dispute_handled_idx"
            ),
            # the follow-up cadence (due list, monthly on-time rate): disputes whose window still runs
            models.Index(fields=["followup_until"], name="dispute_followup_until_idx"),
            # the dashboard's pushed-for-attention count
            models.Index(
                fields=["pushed_at"], condition=Q(pushed_at__isnull=False), name="dispute_pushed_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="dispute_handled_has_time",
                condition=~Q(status__in=["handled", "closed"]) | Q(handled_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.number} {self.get_category_display()}"


class Party(models.Model):
    """A party to a dispute. Names and phone numbers are masked for roles that do not need them."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=20, choices=PartyRole.choices, default=PartyRole.APPLICANT)
    name = models.CharField(_("姓名/名称"), max_length=100)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["dispute", "id"]
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self):
        return self.name


class Followup(models.Model):
    """A follow-up visit (回访) of a handled dispute."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="followups")
    at = models.DateTimeField(_("回访时间"))
    outcome = models.CharField(_("回访结果"), max_length=20, choices=FollowupOutcome.choices)
    note = models.TextField(_("回访情况"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        indexes = [models.Index(fields=["dispute", "at"])]

    def __str__(self):
        return f"{self.dispute_id} {self.at:%Y-%m-%d}"


class DisputeEvent(models.Model):
    """The dispute's timeline (环环留痕): every step and progress note, in order."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("内容"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("纠纷时间线")
        verbose_name_plural = _("纠纷时间线")
        indexes = [models.Index(fields=["dispute", "at"])]

    def __str__(self):
        return f"{self.dispute_id} {self.kind}"


__all__ = [
    "Block",
    "BlockCell",
    "CaseFile",
    "ChannelContact",
    "Dispute",
    "DisputeEvent",
    "Followup",
    "FollowupOutcome",
    "Party",
    "PartyRole",
    "Status",
]


class VisitKind(models.TextChoices):
    PATROL = "patrol", _("巡逻")
    VISIT = "visit", _("走访")


class BlockVisit(models.Model):
    """A patrol or a visit to a block (分片包干 on the ground): when, who, what they found, and the
    dispute or hazard raised from it. A hot block with no visit for longer than its station's
    threshold is overdue (``disputes.patrols``)."""

    block = models.ForeignKey(Block, verbose_name=_("片区"), on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("方式"), max_length=10, choices=VisitKind.choices, default=VisitKind.PATROL)
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("民警"), blank=True, related_name="block_visits"
    )
    note = models.TextField(_("说明"), blank=True)
    findings = models.TextField(_("发现情况"), blank=True)
    dispute = models.ForeignKey(
        Dispute,
        verbose_name=_("由此登记的纠纷"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hazard = models.ForeignKey(
        "risks.Hazard",
        verbose_name=_("由此登记的隐患"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("片区巡逻走访")
        verbose_name_plural = _("片区巡逻走访")
        indexes = [models.Index(fields=["block", "at"], name="block_visit_block_at_idx")]

    def __str__(self):
        return f"{self.block} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class PatrolPolicy(models.Model):
    """A station's patrol rule: a hot block unvisited for more than ``overdue_days`` is overdue.
    Without a row the default (14 days) applies."""

    DEFAULT_OVERDUE_DAYS = 14

    station = models.OneToOneField(
        "org.Station", verbose_name=_("派出所"), on_delete=models.CASCADE, related_name="patrol_policy"
    )
    overdue_days = models.PositiveSmallIntegerField(
        _("热点片区巡访间隔上限（天）"),
        default=DEFAULT_OVERDUE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    class Meta:
        verbose_name = _("片区巡访标准")
        verbose_name_plural = _("片区巡访标准")

    def __str__(self):
        return f"{self.station} {self.overdue_days}"
