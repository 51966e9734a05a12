"""Enterprises and shops served by the police–enterprise–community platform (警企社服务).

Registry (Enterprise, ImportJob), the "17+5" catalogue (ServiceType, LecturerTeam), service work
(ServiceRequest → ServiceVisit → feedback, Referral, Lecture) and the neighbourhood watch
(Alliance, AllianceMember, WatchCall, FirstResponse).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qianwan.validators import validate_uscc

from .choices import (
    ImportStatus,
    MemberKind,
    Partner,
    ReferralStatus,
    RequestChannel,
    RequestStatus,
    ResponseStatus,
    VisitKind,
)

USER = settings.AUTH_USER_MODEL


class Enterprise(models.Model):
    """An enterprise (or a lighter street shop) in the district; liaison users are scoped to one."""

    kind = models.CharField(
        _("类型"), max_length=20, choices=MemberKind.choices, default=MemberKind.ENTERPRISE
    )
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc],
        help_text=_("企业必填；沿街商铺可空"),
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("属地派出所"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lat = models.FloatField(
        _("纬度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("经度"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    is_above_size = models.BooleanField(_("规上企业"), default=False, help_text=_("规模以上工业企业"))
    employee_count = models.PositiveIntegerField(_("员工数"), default=0)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True, null=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        indexes = [models.Index(fields=["station", "kind"])]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.kind == MemberKind.ENTERPRISE and not self.credit_code:
            raise ValidationError({"credit_code": _("企业必须填写统一社会信用代码。")})
        if (self.lat is None) != (self.lon is None):
            raise ValidationError({"lat": _("纬度和经度必须同时填写。")})


def import_upload_to(instance, filename):
    return f"enterprises/imports/{filename}"


class ImportJob(models.Model):
    """One Excel import of the registry: validated row by row, written all-or-nothing by a task.

    The task stores its progress here (rows checked of rows total) so that the page can poll it.
    """

    file = models.FileField(_("文件"), upload_to=import_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("默认派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已校验行数"), default=0)
    created_count = models.PositiveIntegerField(_("导入条数"), default=0)
    errors = models.JSONField(_("错误清单"), default=list, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("企业导入任务")
        verbose_name_plural = _("企业导入任务")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.original_name or self.file.name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)


class CatalogueItem(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class ServiceType(CatalogueItem):
    """One of the "17" personalised services for enterprises (editable reference data)."""

    class Meta(CatalogueItem.Meta):
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目（17项）")


class LecturerTeam(CatalogueItem):
    """One of the "5" lecturer teams (宣讲团) that give lectures in enterprises (editable reference data)."""

    leader_name = models.CharField(_("负责人"), max_length=50, blank=True)
    members = models.TextField(_("成员"), blank=True, help_text=_("成员姓名，逗号分隔"))

    class Meta(CatalogueItem.Meta):
        verbose_name = _("宣讲团队")
        verbose_name_plural = _("宣讲团队（5支）")


class ServiceRequest(models.Model):
    """A request for one catalogue service: requested → assigned → serviced (visit) → closed (feedback).

    ``station`` is the enterprise's station at the time of the request (scope and KPIs read it).
    ``first_visit_at`` is kept by the visit service so that response time needs no join.
    """

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="service_requests"
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="requests"
    )
    description = models.TextField(_("需求说明"), max_length=2000, blank=True)
    channel = models.CharField(_("来源"), max_length=20, choices=RequestChannel.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    requested_at = models.DateTimeField(_("提出时间"))
    requested_by = models.ForeignKey(
        USER, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_officer = models.ForeignKey(
        USER,
        verbose_name=_("承办民警"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_service_requests",
    )
    assigned_team = models.ForeignKey(
        LecturerTeam,
        verbose_name=_("承办团队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    first_visit_at = models.DateTimeField(_("首次服务时间"), null=True, blank=True)
    satisfied = models.BooleanField(_("是否满意"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("评分"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback_comment = models.TextField(_("评价意见"), max_length=2000, blank=True)
    feedback_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    feedback_by = models.ForeignKey(
        USER, verbose_name=_("评价人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("服务需求")
        verbose_name_plural = _("服务需求")
        indexes = [
            models.Index(fields=["station", "requested_at"]),
            models.Index(fields=["station", "feedback_at"]),
            models.Index(fields=["enterprise", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="service_request_score_1_5",
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
            ),
            models.CheckConstraint(
                name="service_request_feedback_complete",
                condition=Q(feedback_at__isnull=True) | Q(satisfied__isnull=False, score__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.service_type}"


class ServiceVisit(models.Model):
    """A visit to an enterprise or a service delivered there (date, officers, what was done).

    ``request`` is empty for a routine visit that answered no request (they count as visits too).
    """

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="visits"
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("服务需求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    service_type = models.ForeignKey(
        ServiceType,
        verbose_name=_("服务项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=VisitKind.choices, default=VisitKind.VISIT)
    visited_at = models.DateTimeField(_("走访时间"))
    officers = models.ManyToManyField(USER, verbose_name=_("走访民警"), related_name="enterprise_visits")
    summary = models.TextField(_("服务内容"), max_length=4000)
    created_by = models.ForeignKey(USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("走访服务记录")
        verbose_name_plural = _("走访服务记录")
        indexes = [
            models.Index(fields=["station", "visited_at"]),
            # the list's order and its keyset cursor (issue 21)
            models.Index(fields=["visited_at", "id"], name="service_visit_visited_idx"),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.visited_at:%Y-%m-%d}"


class Referral(models.Model):
    """A matter referred to the partner window (检察院、法院、矛调中心) and its status there."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="referrals"
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("服务需求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    partner = models.CharField(_("联动单位"), max_length=30, choices=Partner.choices)
    summary = models.TextField(_("移送事项"), max_length=4000)
    status = models.CharField(
        _("状态"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    status_note = models.TextField(_("办理情况"), max_length=2000, blank=True)
    referred_at = models.DateTimeField(_("移送时间"))
    status_at = models.DateTimeField(_("状态更新时间"), null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("移送人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("联动移送")
        verbose_name_plural = _("联动移送")
        indexes = [models.Index(fields=["station", "referred_at"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.get_partner_display()} · {self.enterprise}"


def lecture_upload_to(instance, filename):
    return f"enterprises/lectures/{filename}"


class Lecture(models.Model):
    """A lecture by one lecturer team at one or more enterprises (date, topic, audience, materials)."""

    team = models.ForeignKey(
        LecturerTeam, verbose_name=_("宣讲团队"), on_delete=models.PROTECT, related_name="lectures"
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    enterprises = models.ManyToManyField(Enterprise, verbose_name=_("企业"), related_name="lectures")
    held_on = models.DateField(_("宣讲日期"))
    topic = models.CharField(_("主题"), max_length=200)
    audience_count = models.PositiveIntegerField(_("受众人数"))
    venue = models.CharField(_("地点"), max_length=200, blank=True)
    materials = models.FileField(_("宣讲材料"), upload_to=lecture_upload_to, blank=True)
    materials_note = models.TextField(_("材料说明"), max_length=2000, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("宣讲活动")
        verbose_name_plural = _("宣讲活动")
        indexes = [models.Index(fields=["station", "held_on"])]

    def __str__(self):
        return f"{self.held_on} {self.topic}"


class Alliance(models.Model):
    """A neighbourhood-watch alliance (邻里守望联盟) of 10–15 enterprises and shops in one area.

    A size outside 10–15 is allowed only with a leader's override, whose reason is kept here and audited.
    """

    name = models.CharField(_("联盟名称"), max_length=100, unique=True)
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="watch_alliances"
    )
    area = models.CharField(_("守望区域"), max_length=300)
    leader_member = models.ForeignKey(
        Enterprise,
        verbose_name=_("盟主单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contacts = models.JSONField(_("联系人"), default=list, blank=True, help_text=_("[{name, phone, duty}]"))
    size_override_reason = models.TextField(_("成员数例外理由"), max_length=1000, blank=True)
    size_override_by = models.ForeignKey(
        USER, verbose_name=_("例外批准人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    size_override_at = models.DateTimeField(_("例外批准时间"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(USER, verbose_name=_("建立人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    class Meta:
        ordering = ["station", "name"]
        verbose_name = _("守望联盟")
        verbose_name_plural = _("守望联盟")

    def __str__(self):
        return self.name


class AllianceMember(models.Model):
    """Membership of one enterprise or shop; a member belongs to one alliance at a time."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("联盟"), on_delete=models.CASCADE, related_name="memberships"
    )
    enterprise = models.OneToOneField(
        Enterprise, verbose_name=_("成员单位"), on_delete=models.PROTECT, related_name="alliance_membership"
    )
    joined_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        ordering = ["alliance", "id"]
        verbose_name = _("联盟成员")
        verbose_name_plural = _("联盟成员")

    def __str__(self):
        return f"{self.alliance} · {self.enterprise}"


class WatchCall(models.Model):
    """Police asking an alliance to respond first to a conflict in its area; members are notified."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("联盟"), on_delete=models.PROTECT, related_name="calls"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    place = models.CharField(_("地点"), max_length=300)
    message = models.TextField(_("情况说明"), max_length=2000)
    requested_by = models.ForeignKey(
        USER, verbose_name=_("发起民警"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("通知人数"), default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("先期处置请求")
        verbose_name_plural = _("先期处置请求")

    def __str__(self):
        return f"{self.alliance} {self.place}"


class FirstResponse(models.Model):
    """A conflict a member handled before the police arrived (先期处置), reported by the member and
    confirmed by the police. Only confirmed responses count in the figures."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("联盟"), on_delete=models.PROTECT, related_name="responses"
    )
    station = models.ForeignKey(
        "org.Station", verbose_name=_("派出所"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Enterprise, verbose_name=_("处置成员"), on_delete=models.PROTECT, related_name="first_responses"
    )
    call = models.ForeignKey(
        WatchCall,
        verbose_name=_("响应的请求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("发生时间"))
    police_arrived_at = models.DateTimeField(_("民警到场时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=300)
    action_taken = models.TextField(_("处置经过"), max_length=4000)
    outcome = models.TextField(_("处置结果"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.REPORTED
    )
    reported_by = models.ForeignKey(
        USER, verbose_name=_("报告人"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        USER, verbose_name=_("确认民警"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirm_note = models.TextField(_("确认说明"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("先期处置记录")
        verbose_name_plural = _("先期处置记录")
        indexes = [
            models.Index(fields=["station", "occurred_at"]),
            models.Index(fields=["alliance", "status", "occurred_at"]),
        ]

    def __str__(self):
        return f"{self.member} {self.occurred_at:%Y-%m-%d}"
