from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SHOP = "shop", _("沿街商铺")
