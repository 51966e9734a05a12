"""Incidents (警情): a 110 call that became a record."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Category, Status


class Incident(models.Model):
    """A 110 call that became a record; its steps and clocks hang off it."""

    number = models.CharField(_("警情编号"), max_length=32, unique=True)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="incidents"
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

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        indexes = [
            models.Index(fields=["station", "received_at"]),
            models.Index(fields=["received_at"]),
        ]

    def __str__(self):
        return f"{self.number} {self.get_category_display()}"
