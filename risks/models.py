"""The hazard ledger (风险隐患台账), early warning from incident data (建库建模) and campaigns (集中统一行动).

One module on purpose: the three parts reference each other (a risk point owns hazards, a venue
problem may become a hazard) and a reader finds every table of the app in one place.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    EvidenceKind,
    HazardCategory,
    HazardLevel,
    HazardStatus,
    HotspotTrend,
    ReminderStage,
    RiskPointStatus,
    RunStatus,
    VenueType,
    WorkPlanStatus,
)

LAT_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LON_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]


# --------------------------------------------------------------------------- hazard ledger


class Hazard(models.Model):
    """A risk hazard (风险隐患) on the ledger: open → rectified → closed (销号), and back via reopened.

    Closing is the reconciliation step (对账销号): only a rectified hazard, only by someone other than
    the person who recorded it. ``next_reminder_at`` is the sweep's due column (no ETA tasks: these
    deadlines are days away).
    """

    number = models.CharField(_("隐患编号"), max_length=32, unique=True, null=True, blank=True)
    title = models.CharField(_("隐患名称"), max_length=200)
    category = models.CharField(_("类别"), max_length=30, choices=HazardCategory.choices)
    level = models.CharField(_("等级"), max_length=10, choices=HazardLevel.choices)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="hazards"
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    standard_address = models.ForeignKey(
        "places.StandardAddress",
        verbose_name=_("标准地址"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=LON_VALIDATORS)
    responsible_party = models.CharField(_("责任单位/责任人"), max_length=200, blank=True)
    responsible_contact = models.CharField(_("责任方联系电话"), max_length=30, blank=True)
    responsible_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任民警"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards_responsible",
    )
    found_at = models.DateTimeField(_("发现时间"))
    rectify_by = models.DateTimeField(_("整改期限"))
    status = models.CharField(
        _("状态"), max_length=20, choices=HazardStatus.choices, default=HazardStatus.OPEN
    )
    notes = models.TextField(_("备注"), blank=True)
    risk_point = models.ForeignKey(
        "RiskPoint",
        verbose_name=_("所属风险点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards_recorded",
    )
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rectify_note = models.TextField(_("整改说明"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    close_note = models.TextField(_("销号说明"), blank=True)
    reopen_count = models.PositiveIntegerField(_("重新打开次数"), default=0)
    next_reminder_at = models.DateTimeField(_("下次提醒"), null=True, blank=True)
    reminder_stage = models.PositiveSmallIntegerField(
        _("提醒进度"), choices=ReminderStage.choices, default=ReminderStage.NONE
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("风险隐患")
        verbose_name_plural = _("风险隐患")
        indexes = [
            models.Index(fields=["station", "found_at"]),
            # the list's order and its keyset cursor (issue 21: without it page one sorted every row)
            models.Index(fields=["found_at", "id"], name="hazard_found_idx"),
            models.Index(fields=["status", "rectify_by"]),
            # the overdue sweep's work list: only rows with a reminder still to send
            models.Index(
                fields=["next_reminder_at"],
                condition=Q(next_reminder_at__isnull=False),
                name="hazard_reminder_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="hazard_closed_has_closer",
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.title}"

    def clean(self):
        if self.found_at and self.rectify_by and self.rectify_by < self.found_at:
            raise ValidationError({"rectify_by": _("整改期限不能早于发现时间。")})
        if (self.lat is None) != (self.lon is None):
            raise ValidationError({"lat": _("经纬度须同时填写或同时留空。")})

    @property
    def is_open(self) -> bool:
        return self.status in (HazardStatus.OPEN, HazardStatus.REOPENED)


def evidence_path(instance, filename):
    # The stored name never comes from the user: a random name and the extension of the sniffed type.
    ext = {EvidenceKind.JPEG: "jpg", EvidenceKind.PNG: "png", EvidenceKind.PDF: "pdf"}[instance.content_type]
    return f"risks/evidence/{instance.hazard_id}/{uuid.uuid4().hex}.{ext}"


class HazardEvidence(models.Model):
    """A photo or PDF attached to a hazard; stored under MEDIA_ROOT (outside the web root), served
    only through a view that checks the caller's scope. The type is sniffed from the bytes."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=40, choices=EvidenceKind.choices)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("隐患佐证材料")
        verbose_name_plural = _("隐患佐证材料")

    def __str__(self):
        return self.original_name


# --------------------------------------------------------------------------- early warning


class HotspotRun(models.Model):
    """One Getis-Ord Gi* computation for one incident category and period, compared with the
    period of the same length just before. Unique per (category, period) so two workers running the
    weekly job compute it once."""

    category = models.CharField(_("警情类别"), max_length=30)
    period_start = models.DateField(_("统计开始"))
    period_end = models.DateField(_("统计结束"))
    previous_start = models.DateField(_("对比期开始"))
    previous_end = models.DateField(_("对比期结束"))
    resolution = models.PositiveSmallIntegerField(_("H3 分辨率"), default=9)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    incidents = models.PositiveIntegerField(_("警情数"), default=0)
    previous_incidents = models.PositiveIntegerField(_("对比期警情数"), default=0)
    cells = models.PositiveIntegerField(_("研究区网格数"), default=0)
    hot_cells = models.PositiveIntegerField(_("热点网格数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("热点分析")
        verbose_name_plural = _("热点分析")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "period_start", "period_end", "resolution"], name="hotspot_run_once"
            )
        ]

    def __str__(self):
        return f"{self.category} {self.period_start}–{self.period_end}"


class HotspotCell(models.Model):
    """A hexagon of a run that had incidents or is significant now or before."""

    run = models.ForeignKey(HotspotRun, on_delete=models.CASCADE, related_name="cell_rows")
    h3_index = models.CharField(_("H3 网格"), max_length=20)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), null=True, blank=True, on_delete=models.SET_NULL
    )
    lat = models.FloatField(_("中心纬度"))
    lon = models.FloatField(_("中心经度"))
    count = models.PositiveIntegerField(_("警情数"))
    previous_count = models.PositiveIntegerField(_("对比期警情数"), default=0)
    gi_z = models.FloatField(_("Gi* z 值"))
    p_value = models.FloatField(_("p 值"))
    previous_z = models.FloatField(_("对比期 z 值"), null=True, blank=True)
    is_hot = models.BooleanField(_("显著热点"), default=False)
    trend = models.CharField(
        _("趋势"), max_length=12, choices=HotspotTrend.choices, default=HotspotTrend.NONE
    )

    class Meta:
        ordering = ["-gi_z"]
        verbose_name = _("热点网格")
        verbose_name_plural = _("热点网格")
        constraints = [models.UniqueConstraint(fields=["run", "h3_index"], name="hotspot_cell_once")]
        indexes = [models.Index(fields=["run", "is_hot"])]

    def __str__(self):
        return f"{self.h3_index} z={self.gi_z:.2f}"


class RiskPoint(models.Model):
    """A high-risk point (高风险点位): raised as a candidate from a significant hot cell, then accepted
    (it gets a special work plan and its hazards) or dismissed by a leader."""

    name = models.CharField(_("风险点名称"), max_length=200)
    category = models.CharField(_("警情类别"), max_length=30)
    h3_index = models.CharField(_("H3 网格"), max_length=20, blank=True)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="risk_points"
    )
    lat = models.FloatField(_("纬度"), validators=LAT_VALIDATORS)
    lon = models.FloatField(_("经度"), validators=LON_VALIDATORS)
    source_cell = models.ForeignKey(
        HotspotCell, verbose_name=_("来源热点"), null=True, blank=True, on_delete=models.SET_NULL
    )
    gi_z = models.FloatField(_("Gi* z 值"), null=True, blank=True)
    incident_count = models.PositiveIntegerField(_("警情数"), default=0)
    trend = models.CharField(
        _("趋势"), max_length=12, choices=HotspotTrend.choices, default=HotspotTrend.NONE
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=RiskPointStatus.choices, default=RiskPointStatus.CANDIDATE
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("研判人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(_("研判时间"), null=True, blank=True)
    decision_note = models.TextField(_("研判意见"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("风险点")
        verbose_name_plural = _("风险点")
        constraints = [
            # one live candidate/point per cell and category, however often the weekly job runs
            models.UniqueConstraint(
                fields=["h3_index", "category"],
                condition=Q(status__in=["candidate", "accepted"]) & ~Q(h3_index=""),
                name="riskpoint_live_once_per_cell",
            )
        ]

    def __str__(self):
        return self.name


class WorkPlan(models.Model):
    """The special work plan (专项工作方案) of an accepted risk point."""

    risk_point = models.OneToOneField(RiskPoint, on_delete=models.CASCADE, related_name="work_plan")
    title = models.CharField(_("方案名称"), max_length=200)
    measures = models.TextField(_("工作措施"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=WorkPlanStatus.choices, default=WorkPlanStatus.ACTIVE
    )
    starts_on = models.DateField(_("开始日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专项工作方案")
        verbose_name_plural = _("专项工作方案")

    def __str__(self):
        return self.title


class WorkPlanReview(models.Model):
    """A scheduled review (评估) of a work plan; done when ``done_at`` is set."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="reviews")
    review_on = models.DateField(_("评估日期"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("评估意见"), blank=True)

    class Meta:
        ordering = ["review_on", "id"]
        verbose_name = _("方案评估")
        verbose_name_plural = _("方案评估")
        constraints = [models.UniqueConstraint(fields=["plan", "review_on"], name="review_once_per_day")]

    def __str__(self):
        return f"{self.plan_id} {self.review_on}"


# --------------------------------------------------------------------------- campaigns


class Campaign(models.Model):
    """A concentrated operation (集中统一行动), e.g. the summer 百日行动."""

    name = models.CharField(_("行动名称"), max_length=200)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("集中统一行动")
        verbose_name_plural = _("集中统一行动")
        constraints = [
            models.CheckConstraint(
                name="campaign_ends_after_start", condition=Q(ends_on__gte=models.F("starts_on"))
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})


class CampaignOperation(models.Model):
    """One operation (一次集中行动) of a campaign: a date, the stations/zones, officers deployed."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="operations")
    date = models.DateField(_("行动日期"))
    title = models.CharField(_("行动内容"), max_length=200)
    stations = models.ManyToManyField("org.Station", verbose_name=_("参与派出所"), blank=True)
    zones = models.CharField(_("巡区/片区"), max_length=300, blank=True)
    officers_deployed = models.PositiveIntegerField(_("出动警力（人次）"))
    # the accounts among the people deployed (no more than the head count)
    named_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参与民警"), blank=True, related_name="campaign_operations"
    )
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("行动批次")
        verbose_name_plural = _("行动批次")

    def __str__(self):
        return f"{self.date} {self.title}"


class VenueInspection(models.Model):
    """A venue inspected during a campaign; its problems may each become a hazard."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="inspections")
    operation = models.ForeignKey(
        CampaignOperation, null=True, blank=True, on_delete=models.SET_NULL, related_name="inspections"
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    venue_name = models.CharField(_("场所名称"), max_length=200)
    venue_type = models.CharField(_("场所类型"), max_length=30, choices=VenueType.choices)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=LON_VALIDATORS)
    inspected_on = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("场所检查")
        verbose_name_plural = _("场所检查")
        indexes = [models.Index(fields=["campaign", "station"])]

    def __str__(self):
        return f"{self.venue_name} {self.inspected_on}"


class InspectionProblem(models.Model):
    """A problem found at an inspection; rectified on the spot, or promoted to a hazard on the ledger
    (then it counts as rectified once that hazard is rectified or closed)."""

    inspection = models.ForeignKey(VenueInspection, on_delete=models.CASCADE, related_name="problems")
    description = models.CharField(_("问题描述"), max_length=300)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectify_note = models.CharField(_("整改情况"), max_length=300, blank=True)
    hazard = models.OneToOneField(
        Hazard,
        verbose_name=_("转为隐患"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_problem",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")

    def __str__(self):
        return self.description


class CampaignViolationTally(models.Model):
    """A typed tally (手工录入) of a campaign's day and station: violations (and officers deployed) of
    work that has no record. The summary adds it to the figures computed from the records and shows
    it apart (``manual``); a patrol's own violations are never typed here as well."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="violation_tallies")
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("日期"))
    count = models.PositiveIntegerField(_("违法行为数"))
    # typed head count of work with no record (手工录入); shown apart from the computed figure
    officers_deployed = models.PositiveIntegerField(_("出动警力（人次）"), default=0, db_default=0)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("交通违法统计")
        verbose_name_plural = _("交通违法统计")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "station", "date"], name="violation_tally_once_per_day"
            )
        ]

    def __str__(self):
        return f"{self.date} {self.count}"
