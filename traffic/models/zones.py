from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qianwan.geo import validate_polygon

zone_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9-]{1,15}$", _("巡区代码须为2–16位大写字母、数字或连字符，以字母开头。")
)


class PatrolZone(models.Model):
    """A traffic patrol zone (警区/巡区): a GeoJSON polygon worked by teams in shifts.

    Zones do not overlap, so every point of the district belongs to at most one zone.
    """

    code = models.CharField(_("代码"), max_length=16, unique=True, validators=[zone_code_validator])
    name = models.CharField(_("名称"), max_length=100)
    polygon = models.JSONField(_("范围（GeoJSON）"), help_text=_("GeoJSON Polygon，坐标顺序 [经度, 纬度]"))
    stations = models.ManyToManyField(
        "org.Station", verbose_name=_("涉及派出所"), related_name="patrol_zones", blank=True
    )
    # bounding box, kept in step with the polygon by the service: a cheap pre-filter for point lookups
    min_lat = models.FloatField(editable=False, default=0)
    max_lat = models.FloatField(editable=False, default=0)
    min_lon = models.FloatField(editable=False, default=0)
    max_lon = models.FloatField(editable=False, default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("巡区")
        verbose_name_plural = _("巡区")

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        try:
            self.polygon = validate_polygon(self.polygon)
        except ValidationError as exc:
            raise ValidationError({"polygon": exc.messages}) from exc
