from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from traffic.choices import PatrolKind, ViolationType

from ._fields import lat_field, lon_field


class Patrol(models.Model):
    """One patrol of a team in a zone (有警出警、无警巡逻), with what it found and enforced."""

    team = models.ForeignKey(
        "traffic.Team", verbose_name=_("队伍"), on_delete=models.PROTECT, related_name="patrols"
    )
    zone = models.ForeignKey(
        "traffic.PatrolZone", verbose_name=_("巡区"), on_delete=models.PROTECT, related_name="patrols"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=PatrolKind.choices, default=PatrolKind.ROUTINE)
    started_at = models.DateTimeField(_("开始"))
    ended_at = models.DateTimeField(_("结束"))
    officers = models.PositiveIntegerField(_("出动警力（人次）"), default=1)
    findings = models.TextField(_("发现情况"), blank=True)
    # Patrols in a campaign (risks.Campaign, 集中统一行动) count toward its tallies.
    campaign = models.ForeignKey(
        "risks.Campaign",
        verbose_name=_("专项行动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="traffic_patrols",
    )
    # a patrol under one of its campaign's operations counts once, with the operation's head count
    operation = models.ForeignKey(
        "risks.CampaignOperation",
        verbose_name=_("行动批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="traffic_patrols",
    )
    # the accounts among the ``officers`` people (no more than the head count)
    named_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参与民警"), blank=True, related_name="traffic_patrols"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("巡逻记录")
        verbose_name_plural = _("巡逻记录")
        indexes = [models.Index(fields=["zone", "started_at"]), models.Index(fields=["started_at"])]
        constraints = [
            models.CheckConstraint(
                name="traffic_patrol_ends_after_start", condition=Q(ended_at__gt=F("started_at"))
            ),
            models.CheckConstraint(
                name="traffic_patrol_campaign_named",
                condition=~Q(kind="campaign") | Q(campaign__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.zone.code} {self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.started_at and self.ended_at and self.ended_at <= self.started_at:
            raise ValidationError({"ended_at": _("结束时间必须晚于开始时间。")})


class PatrolViolation(models.Model):
    """Violations recorded on a patrol, one row per type with its count."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="violations")
    type = models.CharField(_("违法类型"), max_length=20, choices=ViolationType.choices)
    count = models.PositiveIntegerField(_("数量"))

    class Meta:
        verbose_name = _("查处违法")
        verbose_name_plural = _("查处违法")
        constraints = [
            models.UniqueConstraint(fields=["patrol", "type"], name="traffic_violation_type_once"),
            models.CheckConstraint(name="traffic_violation_count_nonneg", condition=Q(count__gte=0)),
        ]

    def __str__(self):
        return f"{self.get_type_display()} × {self.count}"


class JointPatrol(models.Model):
    """A joint patrol round at an accident-prone enterprise junction: grid workers, enterprise
    security and volunteers with the police (联勤联管)."""

    date = models.DateField(_("日期"))
    station = models.ForeignKey(
        "org.Station", verbose_name=_("组织派出所"), on_delete=models.PROTECT, related_name="joint_patrols"
    )
    organisers = models.CharField(_("组织单位"), max_length=300)
    location = models.CharField(_("路口/地点"), max_length=200)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="joint_traffic_patrols",
    )
    lat = lat_field(null=True, blank=True)
    lon = lon_field(null=True, blank=True)
    zone = models.ForeignKey(
        "traffic.PatrolZone",
        verbose_name=_("巡区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="joint_patrols",
    )
    police = models.PositiveIntegerField(_("民警/辅警"), default=0)
    grid_workers = models.PositiveIntegerField(_("网格员"), default=0)
    enterprise_security = models.PositiveIntegerField(_("企业保安"), default=0)
    volunteers = models.PositiveIntegerField(_("志愿者"), default=0)
    note = models.TextField(_("情况"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("联合巡逻")
        verbose_name_plural = _("联合巡逻")
        indexes = [models.Index(fields=["station", "date"])]
        constraints = [
            models.CheckConstraint(
                name="traffic_joint_counts_nonneg",
                condition=Q(
                    police__gte=0, grid_workers__gte=0, enterprise_security__gte=0, volunteers__gte=0
                ),
            )
        ]

    def __str__(self):
        return f"{self.date} {self.location}"

    @property
    def participants(self) -> int:
        return self.police + self.grid_workers + self.enterprise_security + self.volunteers
