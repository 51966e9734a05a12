from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("校验中")
    SUCCEEDED = "succeeded", _("已导入")
    FAILED = "failed", _("有错误，未导入")
