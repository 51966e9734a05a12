from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ReportStatus

# The scope key of the whole sub-bureau (a station's report uses the station code).
BUREAU = "ALL"


class MonthlyReport(models.Model):
    """One monthly report of a scope (the sub-bureau or a station): built by Celery into an Excel
    workbook, with progress the page polls, and kept for download by users in scope.

    One row per (month, scope): asking again rebuilds the same row, so the beat job on the 1st is
    idempotent."""

    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_key = models.CharField(_("范围"), max_length=16)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    step = models.CharField(_("当前步骤"), max_length=100, blank=True)
    error = models.TextField(_("错误"), blank=True)
    file = models.FileField(_("文件"), upload_to="dashboard/reports/", blank=True)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # a rebuild bumps the generation; a task of an older generation stops without writing
    generation = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("月度报告")
        verbose_name_plural = _("月度报告")
        ordering = ["-year", "-month", "scope_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "scope_key"], name="dashboard_report_once_per_scope"
            ),
            models.CheckConstraint(
                name="dashboard_report_month_valid", condition=Q(month__gte=1, month__lte=12)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d} {self.scope_key}"

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
