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


class EventKind(models.TextChoices):
    DISPATCHED = "dispatched", _("派警")
    VIDEO_SUPERVISED = "video_supervised", _("可视化督导")
    LEADER_NOTIFIED = "leader_notified", _("通报值班所领导")
    ARRIVED = "arrived", _("到场")
    CLOSED = "closed", _("办结")
    DIVERTED = "diverted", _("分流")
    # written only when the hotline rejects a diversion (its ack on the outbound event), never by hand
    DIVERSION_REJECTED = "diversion_rejected", _("分流被退回")


class Stage(models.TextChoices):
    DISPATCH = "dispatch", _("派警")
    VIDEO_SUPERVISION = "video_supervision", _("视频督导")
    LEADER_NOTIFIED = "leader_notified", _("通报所领导")
    ARRIVAL = "arrival", _("到场")


class TimerStep(models.TextChoices):
    WARN = "warn", _("即将超时提醒")
    BREACH = "breach", _("超时通报")
    ESCALATE = "escalate", _("升级指挥中心")


class SkipReason(models.TextChoices):
    DEADLINE_PASSED = "deadline_passed", _("提醒到期时该环节时限已过，直接通报超时")


# Which event closes which clock, in the order the stages are shown.
STAGE_EVENT = {
    Stage.DISPATCH: EventKind.DISPATCHED,
    Stage.VIDEO_SUPERVISION: EventKind.VIDEO_SUPERVISED,
    Stage.LEADER_NOTIFIED: EventKind.LEADER_NOTIFIED,
    Stage.ARRIVAL: EventKind.ARRIVED,
}
EVENT_STAGE = {kind: stage for stage, kind in STAGE_EVENT.items()}
STAGES = list(STAGE_EVENT)
# Field prefixes of the per-stage columns denormalised on Incident for KPIs.
STAGE_FIELD = {
    Stage.DISPATCH: "dispatch",
    Stage.VIDEO_SUPERVISION: "video_supervision",
    Stage.LEADER_NOTIFIED: "leader_notified",
    Stage.ARRIVAL: "arrival",
}
DEFAULT_LIMITS = {
    Stage.DISPATCH: 60,
    Stage.VIDEO_SUPERVISION: 120,
    Stage.LEADER_NOTIFIED: 180,
    Stage.ARRIVAL: 480,
}
FINAL_KINDS = (EventKind.CLOSED, EventKind.DIVERTED)
# the kinds a person records on the timeline (the API and the forms offer these)
RECORDABLE_KINDS = [
    (value, label) for value, label in EventKind.choices if value != EventKind.DIVERSION_REJECTED
]
# kinds that may recur on a timeline: a diversion the hotline rejected may be followed by another
REPEATABLE_KINDS = (EventKind.DIVERTED, EventKind.DIVERSION_REJECTED)


class ChainTarget(models.TextChoices):
    """Whom a step of an escalation chain notifies (read from the rota when the step fires)."""

    ON_DUTY_OFFICER = "on_duty_officer", _("值班民警")
    DUTY_LEADER = "duty_leader", _("值班领导")
    STATION_LEADERS = "station_leaders", _("全体所领导")
    COMMAND_CENTRE = "command_centre", _("分局指挥中心值班领导")
    PERSON = "person", _("指定人员")


class DiversionDirection(models.TextChoices):
    """Which way a catalogue item hands a call over (国办发〔2022〕12号: the 110–12345 catalogue)."""

    TO_12345 = "to_12345", _("110 → 12345（非警务类）")
    TO_110 = "to_110", _("12345 → 110（警务类）")
