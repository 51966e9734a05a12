from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def lat_field(**kwargs):
    return models.FloatField(_("纬度"), validators=[MinValueValidator(-90), MaxValueValidator(90)], **kwargs)


def lon_field(**kwargs):
    return models.FloatField(
        _("经度"), validators=[MinValueValidator(-180), MaxValueValidator(180)], **kwargs
    )
