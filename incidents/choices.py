from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CRIMINAL = "criminal", _("刑事")
    PUBLIC_ORDER = "public_order", _("治安")
    TRAFFIC = "traffic", _("交通")
    DISPUTE = "dispute", _("纠纷")
    FRAUD = "fraud", _("诈骗")
    HELP = "help", _("求助")
    NON_POLICE = "non_police", _("非警务")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    OPEN = "open", _("处置中")
    CLOSED = "closed", _("已办结")
    DIVERTED = "diverted", _("已分流")
