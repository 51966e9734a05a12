"""Enterprises and shops served by the police–enterprise–community platform."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qianwan.validators import validate_uscc


class Enterprise(models.Model):
    """An enterprise in the district; liaison users are scoped to one."""

    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    station = models.ForeignKey(
        "org.Station", verbose_name=_("属地派出所"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self):
        return self.name
