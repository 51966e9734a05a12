"""Stations, users with exactly one role and scope, duty rosters and API tokens."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ROTATION_PERIOD_DAYS, STATION_ROLES, DutyPost, Role, RotationPeriod

station_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,15}$", _("站点代码须为2–16位大写字母或数字，以字母开头。")
)


class Station(models.Model):
    """A police station (派出所), the unit most records are scoped to."""

    code = models.CharField(_("代码"), max_length=16, unique=True, validators=[station_code_validator])
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(
        _("纬度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("经度"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # the jurisdiction (辖区): a GeoJSON Polygon/MultiPolygon in WGS84; active stations' boundaries do
    # not overlap (qianwan.org.services.station_set_boundary checks), so a point has at most one station
    boundary = models.JSONField(
        _("辖区范围（GeoJSON）"),
        null=True,
        blank=True,
        help_text=_(
            "GeoJSON Polygon 或 MultiPolygon，坐标顺序 [经度, 纬度]；与其他启用派出所的辖区不能重叠。"
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("派出所")
        verbose_name_plural = _("派出所")

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        from qianwan.geo import validate_polygon

        if self.boundary is not None:
            try:
                self.boundary = validate_polygon(self.boundary)
            except ValidationError as exc:
                raise ValidationError({"boundary": exc.messages}) from exc


class User(AbstractUser):
    """A person or a partner system; exactly one role, scoped to a station or an enterprise where the role needs it."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.OFFICER)
    station = models.ForeignKey(
        Station,
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="user_station_roles_have_station",
                condition=~Q(role__in=["officer", "station_leader"]) | Q(station__isnull=False),
            ),
            models.CheckConstraint(
                name="user_liaison_has_enterprise",
                condition=~Q(role="liaison") | Q(enterprise__isnull=False),
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    def clean(self):
        super().clean()
        if self.role in STATION_ROLES and not self.station_id:
            raise ValidationError({"station": _("民警和所领导必须属于一个派出所。")})
        if self.role == Role.LIAISON and not self.enterprise_id:
            raise ValidationError({"enterprise": _("企业联络员必须关联一家企业。")})

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def has_role(self, *roles) -> bool:
        return self.is_authenticated and self.role in roles


class DutyRoster(models.Model):
    """A one-off duty entry: who is on duty for a station (or, with no station, the sub-bureau command
    centre) from ``starts_at`` to ``ends_at``. For its window it takes the place of what the station's
    repeating rotations say for the same post (an override; a swap is two of them)."""

    station = models.ForeignKey(
        Station,
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="duty_rosters",
        help_text=_("留空表示分局指挥中心值班。"),
    )
    leader = models.ForeignKey(
        User, verbose_name=_("值班人员"), on_delete=models.CASCADE, related_name="duties"
    )
    post = models.CharField(_("岗位"), max_length=10, choices=DutyPost.choices, default=DutyPost.LEADER)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("值班表")
        verbose_name_plural = _("值班表")
        indexes = [models.Index(fields=["station", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                name="duty_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            )
        ]

    def __str__(self):
        return f"{self.station or _('指挥中心')} {self.leader} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("结束时间必须晚于开始时间。")})


class DutyRotation(models.Model):
    """A repeating duty pattern of a station (or the command centre): shift number k starts at
    ``shift_start`` on ``starts_on`` + k days (daily) or weeks (weekly), lasts ``shift_hours`` and is
    held by member k mod n of the ordered members."""

    station = models.ForeignKey(
        Station,
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="duty_rotations",
        help_text=_("留空表示分局指挥中心值班。"),
    )
    name = models.CharField(_("名称"), max_length=100)
    post = models.CharField(_("岗位"), max_length=10, choices=DutyPost.choices, default=DutyPost.LEADER)
    period = models.CharField(
        _("轮换周期"), max_length=10, choices=RotationPeriod.choices, default=RotationPeriod.DAILY
    )
    starts_on = models.DateField(_("首班日期"))
    shift_start = models.TimeField(_("交班时间"))
    shift_hours = models.PositiveSmallIntegerField(
        _("每班时长(小时)"), validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    ends_on = models.DateField(_("结束日期"), null=True, blank=True, help_text=_("留空表示长期有效"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["station", "post", "starts_on", "id"]
        verbose_name = _("值班轮换")
        verbose_name_plural = _("值班轮换")
        constraints = [
            models.CheckConstraint(name="rotation_shift_hours_positive", condition=Q(shift_hours__gte=1)),
        ]

    def __str__(self):
        return f"{self.station or _('指挥中心')} {self.name}"

    @property
    def period_days(self) -> int:
        return ROTATION_PERIOD_DAYS[self.period]

    def clean(self):
        errors = {}
        if (
            self.shift_hours
            and self.period
            and self.shift_hours > 24 * ROTATION_PERIOD_DAYS.get(self.period, 1)
        ):
            errors["shift_hours"] = _("每班时长不能超过轮换周期（每日 24 小时，每周 168 小时）。")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("结束日期不能早于首班日期。")
        if errors:
            raise ValidationError(errors)


class DutyRotationMember(models.Model):
    """One person's place in a rotation's order."""

    rotation = models.ForeignKey(DutyRotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, verbose_name=_("值班人员"), on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("顺序"))

    class Meta:
        ordering = ["rotation", "position"]
        verbose_name = _("轮换成员")
        verbose_name_plural = _("轮换成员")
        constraints = [
            models.UniqueConstraint(fields=["rotation", "position"], name="rotation_member_position_once"),
        ]

    def __str__(self):
        return f"{self.rotation_id}#{self.position} {self.user_id}"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """An API key for scripts and partner systems. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8, help_text=_("密钥前8位，便于辨认"))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
