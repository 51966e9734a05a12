"""Statuses, levels and kinds of the risks app (hazard ledger, early warning, campaigns)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HazardCategory(models.TextChoices):
    FIRE = "fire", _("消防安全")
    PUBLIC_ORDER = "public_order", _("治安")
    TRAFFIC = "traffic", _("道路交通")
    PRODUCTION_SAFETY = "production_safety", _("安全生产")
    HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("危化品")
    CONSTRUCTION = "construction", _("建筑施工")
    RENTAL_HOUSING = "rental_housing", _("出租房屋")
    OTHER = "other", _("其他")


class HazardLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    MAJOR = "major", _("重大")


class HazardStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    RECTIFIED = "rectified", _("已整改待销号")
    CLOSED = "closed", _("已销号")
    REOPENED = "reopened", _("已重新打开")


# statuses in which the rectification deadline still runs
HAZARD_OPEN_STATUSES = (HazardStatus.OPEN, HazardStatus.REOPENED)


class ReminderStage(models.IntegerChoices):
    NONE = 0, _("未提醒")
    DUE_SOON = 1, _("已发到期提醒")
    OVERDUE = 2, _("已发逾期通报")


class EvidenceKind(models.TextChoices):
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"
    PDF = "application/pdf", "PDF"


class HotspotTrend(models.TextChoices):
    EMERGING = "emerging", _("新出现")
    PERSISTING = "persisting", _("持续")
    COOLING = "cooling", _("已消退")
    NONE = "none", _("不显著")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RiskPointStatus(models.TextChoices):
    CANDIDATE = "candidate", _("待研判")
    ACCEPTED = "accepted", _("已确定为风险点")
    DISMISSED = "dismissed", _("已排除")


class WorkPlanStatus(models.TextChoices):
    DRAFT = "draft", _("拟定中")
    ACTIVE = "active", _("实施中")
    COMPLETED = "completed", _("已完成")


class VenueType(models.TextChoices):
    ENTERTAINMENT = "entertainment", _("娱乐场所")
    INTERNET_CAFE = "internet_cafe", _("网吧")
    HOTEL = "hotel", _("旅馆")
    RENTAL = "rental", _("出租房屋")
    RESTAURANT = "restaurant", _("餐饮夜宵")
    SHOP = "shop", _("商铺")
    ENTERPRISE = "enterprise", _("企业")
    CONSTRUCTION_SITE = "construction_site", _("建筑工地")
    OTHER = "other", _("其他")
