"""Standard addresses (标准地址, 一标三实): the register that ties people, places and events to a police
area and a grid (警格+网格). Each address has the shared ``code`` from the import, a WGS84 point, and
the station and dispute block derived from that point (``places.services.derive_place``)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ImportStatus

USER = settings.AUTH_USER_MODEL
# the parts of an address, in the order they are written (district first, room last)
PARTS = ["district", "street", "community", "road", "number", "building", "unit", "room"]


class StandardAddress(models.Model):
    code = models.CharField(_("标准地址编码"), max_length=40, unique=True)
    district = models.CharField(_("区县"), max_length=40, blank=True)
    street = models.CharField(_("街道/镇"), max_length=40, blank=True)
    community = models.CharField(_("社区/村"), max_length=60, blank=True)
    road = models.CharField(_("路/街巷"), max_length=60)
    number = models.CharField(_("门牌号"), max_length=20, blank=True)
    building = models.CharField(_("楼栋"), max_length=20, blank=True)
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("室"), max_length=20, blank=True)
    # the whole address on one line (the parts joined): what type-ahead and search match against
    text = models.CharField(_("标准地址"), max_length=300, editable=False)
    lat = models.FloatField(_("纬度"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lon = models.FloatField(_("经度"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    # derived from the point (station boundary; the station's dispute block), never typed
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="standard_addresses",
        editable=False,
    )
    block = models.ForeignKey(
        "disputes.Block",
        verbose_name=_("片区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="standard_addresses",
        editable=False,
    )
    grid = models.CharField(_("网格编码"), max_length=40, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["text", "id"]
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        indexes = [models.Index(fields=["station", "text"], name="stdaddr_station_text_idx")]
        # the trigram index on UPPER(text) (PostgreSQL) is created by migration 0002

    def __str__(self):
        return self.text

    def compose(self) -> str:
        """The one-line address from the parts: 前湾新区庵东镇海塘村兴业路12号3幢2单元301室."""
        out = "".join([self.district, self.street, self.community, self.road])
        if self.number:
            out += self.number if self.number.endswith("号") else f"{self.number}号"
        if self.building:
            out += self.building if self.building[-1] in "幢栋楼座" else f"{self.building}幢"
        if self.unit:
            out += self.unit if self.unit.endswith("单元") else f"{self.unit}单元"
        if self.room:
            out += self.room if self.room.endswith("室") else f"{self.room}室"
        return out[:300]


def import_upload_to(_instance, filename):
    return f"places/imports/{filename}"


class AddressImportJob(models.Model):
    """One Excel/CSV import of the register: validated row by row, written all-or-nothing by a task."""

    file = models.FileField(_("文件"), upload_to=import_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已校验行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增条数"), default=0)
    updated_count = models.PositiveIntegerField(_("更新条数"), default=0)
    errors = models.JSONField(_("错误清单"), default=list, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("标准地址导入任务")
        verbose_name_plural = _("标准地址导入任务")

    def __str__(self):
        return f"{self.original_name or self.file.name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
