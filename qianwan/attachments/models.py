"""Photos and PDFs on field records (one store for every kind of record; api-contract.md "Field records").

A file belongs to one record named by its kind and id (``incident:12``, ``block_visit:3``); who may
see it is who may see the record (``registry``). Images are stored re-encoded: EXIF orientation
applied, every metadata block dropped; the capture time and GPS position read from the original are
kept here as fields (shown to police roles only)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    INCIDENT = "incident", _("警情")
    PATROL = "patrol", _("巡逻记录")
    JOINT_PATROL = "joint_patrol", _("联合巡逻")
    BLOCK_VISIT = "block_visit", _("片区巡访")
    ACCIDENT = "accident", _("交通事故")
    PROBLEM = "problem", _("检查发现问题")
    FOLLOWUP = "followup", _("纠纷回访")
    SERVICE_VISIT = "service_visit", _("企业服务走访")
    HAZARD = "hazard", _("隐患")


class Phase(models.TextChoices):
    BEFORE = "before", _("整改前")
    AFTER = "after", _("整改后")


class Attachment(models.Model):
    record_kind = models.CharField(_("记录类型"), max_length=20, choices=RecordKind.choices)
    record_id = models.PositiveBigIntegerField(_("记录编号"))
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices, blank=True)
    file = models.FileField(_("文件"), max_length=200)
    thumbnail = models.FileField(_("缩略图"), max_length=200, blank=True)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    # of the file as uploaded: the same file on the same record again is the same attachment
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    lat = models.FloatField(_("拍摄纬度"), null=True, blank=True)
    lon = models.FloatField(_("拍摄经度"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        constraints = [
            models.UniqueConstraint(
                fields=["record_kind", "record_id", "sha256"], name="attachment_once_per_record"
            )
        ]
        indexes = [models.Index(fields=["record_kind", "record_id"], name="attachment_record_idx")]

    def __str__(self):
        return f"{self.record_kind}:{self.record_id} #{self.pk}"

    @property
    def record_ref(self) -> str:
        return f"{self.record_kind}:{self.record_id}"

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png")
