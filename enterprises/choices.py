from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SHOP = "shop", _("沿街商铺")


class RequestChannel(models.TextChoices):
    PORTAL = "portal", _("企业联络员提交")
    OFFICER = "officer", _("民警登记")


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("待分派")
    ASSIGNED = "assigned", _("已分派")
    SERVICED = "serviced", _("已服务待评价")
    CLOSED = "closed", _("已评价办结")
    CANCELLED = "cancelled", _("已撤销")


OPEN_REQUEST_STATUSES = (RequestStatus.REQUESTED, RequestStatus.ASSIGNED)


class VisitKind(models.TextChoices):
    VISIT = "visit", _("走访")
    SERVICE = "service", _("上门服务")


class Partner(models.TextChoices):
    PROCURATORATE = "procuratorate", _("检察院")
    COURT = "court", _("法院")
    MEDIATION_CENTRE = "mediation_centre", _("矛调中心")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("已移送")
    ACCEPTED = "accepted", _("已受理")
    RESOLVED = "resolved", _("已办结")
    RETURNED = "returned", _("已退回")


REFERRAL_TRANSITIONS = {
    ReferralStatus.SENT: {ReferralStatus.ACCEPTED, ReferralStatus.RETURNED, ReferralStatus.RESOLVED},
    ReferralStatus.ACCEPTED: {ReferralStatus.RESOLVED, ReferralStatus.RETURNED},
    ReferralStatus.RESOLVED: set(),
    ReferralStatus.RETURNED: set(),
}


class ResponseStatus(models.TextChoices):
    REPORTED = "reported", _("待民警确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("不予确认")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("校验中")
    SUCCEEDED = "succeeded", _("已导入")
    FAILED = "failed", _("有错误，未导入")


ALLIANCE_MIN_MEMBERS = 10
ALLIANCE_MAX_MEMBERS = 15
