from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberKind(models.TextChoices):
    """Where a team member comes from: teams are mixed (组队编班)."""

    TRAFFIC_POLICE = "traffic_police", _("交警")
    PATROL_SPECIAL = "patrol_special", _("巡特警")
    STATION_POLICE = "station_police", _("派出所民警")
    AUXILIARY = "auxiliary", _("辅警")


class TeamKind(models.TextChoices):
    TRAFFIC_POLICE = "traffic_police", _("交警队")
    PATROL_SPECIAL = "patrol_special", _("巡特警队")
    STATION_POLICE = "station_police", _("派出所队")
    MIXED = "mixed", _("混编队")


class AssetKind(models.TextChoices):
    CAMERA = "camera", _("监控摄像头")
    RADAR_SIGN = "radar_sign", _("雷达测速提示屏")
    POLICE_POST = "police_post", _("警务岗亭")


class AssetStatus(models.TextChoices):
    PLANNED = "planned", _("规划中")
    ACTIVE = "active", _("在用")
    OUT_OF_SERVICE = "out_of_service", _("停用")
    REMOVED = "removed", _("已拆除")


class MaintenanceStatus(models.TextChoices):
    OK = "ok", _("正常")
    DUE = "due", _("待维护")
    IN_REPAIR = "in_repair", _("维修中")


class PatrolKind(models.TextChoices):
    ROUTINE = "routine", _("日常巡逻")
    RACING = "racing", _("整治飙车")
    WRONG_WAY = "wrong_way", _("整治逆行")
    CAMPAIGN = "campaign", _("专项行动")


class ViolationType(models.TextChoices):
    SPEEDING = "speeding", _("超速")
    RACING = "racing", _("飙车/非法改装")
    WRONG_WAY = "wrong_way", _("逆行")
    DRUNK_DRIVING = "drunk_driving", _("酒驾醉驾")
    NO_HELMET = "no_helmet", _("未戴头盔")
    RED_LIGHT = "red_light", _("闯红灯")
    ILLEGAL_PARKING = "illegal_parking", _("违法停车")
    OVERLOADING = "overloading", _("超载")
    UNLICENSED = "unlicensed", _("无证驾驶")
    OTHER = "other", _("其他")


class AccidentType(models.TextChoices):
    PROPERTY = "property", _("财产损失")
    INJURY = "injury", _("伤人")
    DEATH = "death", _("亡人")


class AccidentCause(models.TextChoices):
    SPEEDING = "speeding", _("超速")
    DRUNK_DRIVING = "drunk_driving", _("酒驾醉驾")
    WRONG_WAY = "wrong_way", _("逆行")
    FAILURE_TO_YIELD = "failure_to_yield", _("未按规定让行")
    DISTRACTION = "distraction", _("分心驾驶")
    FATIGUE = "fatigue", _("疲劳驾驶")
    LANE_CHANGE = "lane_change", _("违法变道")
    VEHICLE_DEFECT = "vehicle_defect", _("车辆故障")
    ROAD_CONDITIONS = "road_conditions", _("道路因素")
    OTHER = "other", _("其他")


class HandledBy(models.TextChoices):
    STATION = "station", _("派出所")
    BRIGADE = "brigade", _("交警大队")


class AccidentStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    CLOSED = "closed", _("已结案")


class AlertOutcome(models.TextChoices):
    """What the incident → team sweep did with one traffic incident."""

    TEAM_NOTIFIED = "team_notified", _("已通知在岗队伍")
    NO_TEAM = "no_team", _("巡区无在岗队伍，已通知所值班领导")
    OUTSIDE_ZONES = "outside_zones", _("不在任何巡区，已通知所值班领导")
    NO_LOCATION = "no_location", _("无坐标，已通知所值班领导")
