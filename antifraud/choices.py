from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionKind(models.TextChoices):
    CLASS_STUDY = "class_study", _("班组学习")
    MORNING_MEETING = "morning_meeting", _("晨会“员工讲反诈”")
    LECTURE = "lecture", _("反诈讲座")


class FraudType(models.TextChoices):
    BRUSHING = "brushing", _("刷单返利")
    INVESTMENT = "investment", _("虚假投资理财")
    LOAN = "loan", _("虚假网络贷款")
    IMPERSONATE_OFFICIAL = "impersonate_official", _("冒充公检法")
    IMPERSONATE_SERVICE = "impersonate_service", _("冒充电商物流客服")
    IMPERSONATE_ACQUAINTANCE = "impersonate_acquaintance", _("冒充领导熟人")
    GAME_TRADE = "game_trade", _("网络游戏虚假交易")
    ROMANCE = "romance", _("网络婚恋交友")
    CREDIT = "credit", _("注销“校园贷”/征信")
    OTHER = "other", _("其他")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("有错误，未导入")


class VictimSource(models.TextChoices):
    INCIDENT = "incident", _("来自诈骗警情")
    ENTERED = "entered", _("手工录入")
