from django.db import models
from django.utils.translation import gettext_lazy as _

from traffic.choices import AssetKind, AssetStatus, MaintenanceStatus

from ._fields import lat_field, lon_field


class Asset(models.Model):
    """Roadside hardware: cameras, radar speed-warning signs, police posts (以亭为穴、以路为筋)."""

    kind = models.CharField(_("类型"), max_length=20, choices=AssetKind.choices)
    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    road = models.CharField(_("道路"), max_length=100)
    lat = lat_field()
    lon = lon_field()
    zone = models.ForeignKey(
        "traffic.PatrolZone", verbose_name=_("巡区"), on_delete=models.PROTECT, related_name="assets"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=AssetStatus.choices, default=AssetStatus.ACTIVE
    )
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    maintenance_status = models.CharField(
        _("维护状态"), max_length=20, choices=MaintenanceStatus.choices, default=MaintenanceStatus.OK
    )
    last_maintained_on = models.DateField(_("最近维护"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("路面设施")
        verbose_name_plural = _("路面设施")
        indexes = [models.Index(fields=["zone", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code} {self.name}"
