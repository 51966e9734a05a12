from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from traffic.choices import AccidentCause, AccidentStatus, AccidentType, AlertOutcome, HandledBy

from ._fields import lat_field, lon_field

MAJOR_ACCIDENT_DEATHS = 3


class Accident(models.Model):
    """A road-traffic accident; ``zone`` is found from the point (null = outside every zone)."""

    number = models.CharField(_("事故编号"), max_length=32, unique=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    lat = lat_field()
    lon = lon_field()
    address = models.CharField(_("地点"), max_length=300)
    road = models.CharField(_("道路"), max_length=100, blank=True)
    zone = models.ForeignKey(
        "traffic.PatrolZone",
        verbose_name=_("巡区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accidents",
    )
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("处理派出所"),
        on_delete=models.PROTECT,
        related_name="traffic_accidents",
    )
    type = models.CharField(_("事故类型"), max_length=20, choices=AccidentType.choices)
    vehicles = models.PositiveIntegerField(_("涉事车辆"), default=1)
    injured = models.PositiveIntegerField(_("受伤人数"), default=0)
    deaths = models.PositiveIntegerField(_("死亡人数"), default=0)
    cause = models.CharField(
        _("原因"), max_length=20, choices=AccidentCause.choices, default=AccidentCause.OTHER
    )
    cause_note = models.CharField(_("原因说明"), max_length=300, blank=True)
    handled_by = models.CharField(
        _("处理单位"), max_length=20, choices=HandledBy.choices, default=HandledBy.STATION
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=AccidentStatus.choices, default=AccidentStatus.OPEN
    )
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="traffic_accidents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("交通事故")
        verbose_name_plural = _("交通事故")
        indexes = [
            models.Index(fields=["station", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["lat", "lon"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="traffic_accident_counts_nonneg",
                condition=Q(vehicles__gte=0, injured__gte=0, deaths__gte=0),
            )
        ]

    def __str__(self):
        return f"{self.number} {self.address}"

    @property
    def is_major(self) -> bool:
        """Three or more deaths: against the sub-bureau's "zero" goal, leaders are told at once."""
        return self.deaths >= MAJOR_ACCIDENT_DEATHS


class IncidentAlert(models.Model):
    """The sweep's record that a traffic incident was routed to its zone's team (one per incident)."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="traffic_alert", verbose_name=_("警情")
    )
    zone = models.ForeignKey(
        "traffic.PatrolZone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("巡区"),
    )
    shift = models.ForeignKey(
        "traffic.Shift",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("班次"),
    )
    team = models.ForeignKey(
        "traffic.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("队伍"),
    )
    outcome = models.CharField(_("结果"), max_length=20, choices=AlertOutcome.choices)
    notification = models.ForeignKey(
        "notify.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("交通警情推送")
        verbose_name_plural = _("交通警情推送")

    def __str__(self):
        return f"{self.incident_id} {self.outcome}"
