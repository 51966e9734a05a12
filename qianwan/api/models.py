"""Background list exports (issue 21): an export of more than ``EXPORT_ASYNC_ROWS`` rows runs as a
Celery job that writes a file under ``MEDIA_ROOT/exports/``; the person who asked sees its progress
and downloads it when done (see ``qianwan/exports.py``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导出中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("列表"), max_length=40)
    path = models.CharField(_("页面"), max_length=200)
    query = models.TextField(_("筛选条件"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total_rows = models.BigIntegerField(_("总行数"), null=True, blank=True)
    done_rows = models.BigIntegerField(_("已写行数"), default=0)
    file_format = models.CharField(_("格式"), max_length=4, blank=True)
    file_name = models.CharField(_("文件"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")

    def __str__(self):
        return f"{self.name} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.done_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
