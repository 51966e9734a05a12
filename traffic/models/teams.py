from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from traffic.choices import MemberKind, TeamKind


class Team(models.Model):
    """A patrol team (组队编班): traffic police, patrol/special police and station police, mixed."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=TeamKind.choices, default=TeamKind.MIXED)
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("所属派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="traffic_teams",
        help_text=_("派出所队填写；交警大队、巡特警队留空"),
    )
    home_zone = models.ForeignKey(
        "traffic.PatrolZone",
        verbose_name=_("主责巡区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="home_teams",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("巡逻队")
        verbose_name_plural = _("巡逻队")

    def __str__(self):
        return self.name


class Member(models.Model):
    """A person in a team; ``user`` links them to a login so on-duty alerts reach their inbox."""

    team = models.ForeignKey(Team, verbose_name=_("队伍"), on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("警种"), max_length=20, choices=MemberKind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="traffic_member",
    )
    is_leader = models.BooleanField(_("队长"), default=False)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在队"), default=True)

    class Meta:
        ordering = ["team", "-is_leader", "name"]
        verbose_name = _("队员")
        verbose_name_plural = _("队员")

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"


class Shift(models.Model):
    """A team on duty in a zone from ``starts_at`` to ``ends_at`` (the roster calendar's entries)."""

    zone = models.ForeignKey(
        "traffic.PatrolZone", verbose_name=_("巡区"), on_delete=models.PROTECT, related_name="shifts"
    )
    team = models.ForeignKey(Team, verbose_name=_("队伍"), on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "zone__code"]
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        indexes = [models.Index(fields=["zone", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                name="traffic_shift_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            )
        ]

    def __str__(self):
        return f"{self.zone.code} {self.team} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("结束时间必须晚于开始时间。")})


class ShiftAssignment(models.Model):
    """One member on one shift; times are copied from the shift so overlaps are one indexed query."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="assignments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        verbose_name = _("排班人员")
        verbose_name_plural = _("排班人员")
        constraints = [models.UniqueConstraint(fields=["shift", "member"], name="traffic_assignment_once")]
        indexes = [models.Index(fields=["member", "starts_at", "ends_at"])]

    def __str__(self):
        return f"{self.member} @ {self.shift_id}"
