"""Enterprises and shops served by the police–enterprise–community platform."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qianwan.validators import validate_uscc

from .choices import MemberKind


class Enterprise(models.Model):
    """An enterprise (or a lighter street shop) in the district; liaison users are scoped to one."""

    kind = models.CharField(
        _("类型"), max_length=20, choices=MemberKind.choices, default=MemberKind.ENTERPRISE
    )
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc],
        help_text=_("企业必填；沿街商铺可空"),
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("属地派出所"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lat = models.FloatField(
        _("纬度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("经度"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    is_above_size = models.BooleanField(_("规上企业"), default=False, help_text=_("规模以上工业企业"))
    employee_count = models.PositiveIntegerField(_("员工数"), default=0)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self):
        return self.name
