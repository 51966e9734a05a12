from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    NEIGHBOUR = "neighbour", _("邻里纠纷")
    FAMILY = "family", _("婚恋家庭纠纷")
    LABOUR = "labour", _("劳资纠纷（欠薪）")
    COMMERCIAL = "commercial", _("经济合同纠纷")
    PROPERTY_MANAGEMENT = "property_management", _("物业管理纠纷")
    TRAFFIC_COMPENSATION = "traffic_compensation", _("交通事故赔偿纠纷")
    OTHER = "other", _("其他纠纷")


class RiskLevel(models.TextChoices):
    LOW = "low", _("低风险")
    MEDIUM = "medium", _("中风险")
    HIGH = "high", _("高风险")


class Channel(models.TextChoices):
    """三分法: who handles a dispute of each risk level."""

    GRID_BUILDING = "grid_building", _("网格员—楼长联系机制")
    MEDIATION = "mediation", _("社工委—调解办联系机制")
    MULTI_DEPARTMENT = "multi_department", _("多部门长效联动")


CHANNEL_FOR_LEVEL = {
    RiskLevel.LOW: Channel.GRID_BUILDING,
    RiskLevel.MEDIUM: Channel.MEDIATION,
    RiskLevel.HIGH: Channel.MULTI_DEPARTMENT,
}

LEVEL_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}


class Status(models.TextChoices):
    OPEN = "open", _("待处置")
    IN_PROGRESS = "in_progress", _("化解中")
    HANDLED = "handled", _("已处置")
    CLOSED = "closed", _("已结案")
    ESCALATED = "escalated", _("已升级")


ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.ESCALATED)


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("报警/申请方")
    RESPONDENT = "respondent", _("对方当事人")
    OTHER = "other", _("其他关系人")


class FollowupOutcome(models.TextChoices):
    STABLE = "stable", _("稳定，未反复")
    RESOLVED = "resolved", _("已彻底化解")
    IMPROVING = "improving", _("趋于缓和")
    RECURRING = "recurring", _("有反复，需继续跟进")
    WORSENED = "worsened", _("矛盾激化")
    UNREACHABLE = "unreachable", _("未联系上")


class EventKind(models.TextChoices):
    """Timeline entries (环环留痕)."""

    CREATED = "created", _("登记")
    NOTE = "note", _("进展")
    STARTED = "started", _("开始化解")
    RESOLVED = "resolved", _("处置完毕")
    CLOSED = "closed", _("结案")
    CLOSE_APPROVED = "close_approved", _("领导批准结案")
    ESCALATED = "escalated", _("升级")
    RETRIAGED = "retriaged", _("重新分级")
    PUSHED = "pushed", _("推送平台关注")
    FOLLOWUP = "followup", _("回访")
    REVEALED = "revealed", _("查看当事人信息")
