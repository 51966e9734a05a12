from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("派出所民警")
    STATION_LEADER = "station_leader", _("所领导")
    BUREAU_LEADER = "bureau_leader", _("分局领导")
    LIAISON = "liaison", _("企业联络员")
    GRID_CLIENT = "grid_client", _("网格平台接口")
    ADMIN = "admin", _("系统管理员")


STATION_ROLES = frozenset({Role.OFFICER, Role.STATION_LEADER})
ALL_STATION_ROLES = frozenset({Role.BUREAU_LEADER, Role.ADMIN})
STAFF_ROLES = frozenset({Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN})
LEADER_ROLES = frozenset({Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN})


class DutyPost(models.TextChoices):
    """Who a rota entry puts on duty: the duty leader (值班领导) or the on-duty officer (值班民警)."""

    LEADER = "leader", _("值班领导")
    OFFICER = "officer", _("值班民警")


class RotationPeriod(models.TextChoices):
    DAILY = "daily", _("每日轮换")
    WEEKLY = "weekly", _("每周轮换")


ROTATION_PERIOD_DAYS = {RotationPeriod.DAILY: 1, RotationPeriod.WEEKLY: 7}


class RoutedBy(models.TextChoices):
    """How a record got its station: the station named by whoever created it, the station whose
    boundary contains its point, or (outside every boundary) the station with the nearest headquarters.
    Blank: no station (no point and none given)."""

    GIVEN = "given", _("指定")
    BOUNDARY = "boundary", _("辖区范围")
    NEAREST = "nearest", _("最近派出所")
