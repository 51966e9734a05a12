"""Small-class anti-fraud (小班化反诈): structure, study sessions, cross-evaluation, letters, victims.

Every record hangs off an enterprise (``enterprises.Enterprise``), so that scopes work the same way
everywhere: liaisons see their own enterprise's rows, officers those of their station's enterprises.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .choices import FraudType, ImportStatus, SessionKind, VictimSource


class AdminStaff(models.Model):
    """The administration tier (管理层): people at the enterprise responsible for anti-fraud work."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="af_admin_staff",
    )
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        ordering = ["enterprise", "name"]
        verbose_name = _("管理层责任人")
        verbose_name_plural = _("管理层责任人")

    def __str__(self):
        return f"{self.name}（{self.position}）" if self.position else self.name


class WorkClass(models.Model):
    """A workshop class (班组) with a leader (班长) and a deputy (副班长) drawn from its employees."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="af_classes"
    )
    name = models.CharField(_("班组名称"), max_length=100)
    leader = models.ForeignKey(
        "Employee", verbose_name=_("班长"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deputy = models.ForeignKey(
        "Employee",
        verbose_name=_("副班长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "name"]
        verbose_name = _("班组")
        verbose_name_plural = _("班组")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="af_class_name_unique"),
            models.CheckConstraint(
                name="af_class_leader_not_deputy",
                condition=Q(leader__isnull=True) | Q(deputy__isnull=True) | ~Q(leader=F("deputy")),
            ),
        ]

    def __str__(self):
        return self.name


class Employee(models.Model):
    """An employee on the roster. Re-imports match on employee number, else on the mobile number."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="af_employees",
    )
    work_class = models.ForeignKey(
        WorkClass,
        verbose_name=_("班组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    number = models.CharField(_("工号"), max_length=40, blank=True)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    joined_on = models.DateField(_("入职日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["enterprise", "work_class", "number", "name"]
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        constraints = [
            # the re-import keys: never two rows for one person of one enterprise
            models.UniqueConstraint(
                fields=["enterprise", "number"], condition=~Q(number=""), name="af_employee_number_unique"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "phone"], condition=~Q(phone=""), name="af_employee_phone_unique"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.work_class_id and self.work_class.enterprise_id != self.enterprise_id:
            raise ValidationError({"work_class": _("班组必须属于同一家企业。")})


class RosterImport(models.Model):
    """One roster upload; the page polls it for progress and shows its row-by-row error report."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="af_imports"
    )
    file = models.FileField(_("花名册文件"), upload_to="antifraud/rosters/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    errors = models.JSONField(_("错误报告"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("花名册导入")
        verbose_name_plural = _("花名册导入")

    def __str__(self):
        return f"{self.enterprise_id} {self.original_name} {self.status}"

    @property
    def progress(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return 100
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0


class FraudCase(models.Model):
    """A typical case in the (editable) case library that classes study."""

    title = models.CharField(_("案例标题"), max_length=200)
    fraud_type = models.CharField(_("诈骗类型"), max_length=40, choices=FraudType.choices)
    summary = models.TextField(_("案情"), blank=True)
    lesson = models.TextField(_("防范要点"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")

    def __str__(self):
        return self.title


class StudySession(models.Model):
    """One study session of a class: a class study, a morning-meeting talk or a lecture."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="af_sessions"
    )
    work_class = models.ForeignKey(
        WorkClass, verbose_name=_("班组"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("日期"))
    kind = models.CharField(_("形式"), max_length=20, choices=SessionKind.choices)
    case = models.ForeignKey(
        FraudCase,
        verbose_name=_("学习案例"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    speaker = models.ForeignKey(
        Employee,
        verbose_name=_("主讲员工"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attendees = models.ManyToManyField(
        Employee, verbose_name=_("参加人员"), blank=True, related_name="sessions"
    )
    notes = models.TextField(_("记录"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("学习活动")
        verbose_name_plural = _("学习活动")
        indexes = [models.Index(fields=["enterprise", "held_on"])]

    def __str__(self):
        return f"{self.work_class} {self.held_on} {self.get_kind_display()}"


class ScoringStandard(models.Model):
    """A version of the cross-evaluation standard, in force from ``effective_from`` (a month's 1st)."""

    name = models.CharField(_("名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本"), unique=True)
    effective_from = models.DateField(_("起用月份"), unique=True, help_text=_("该月1日起用"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制定人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("评分标准")
        verbose_name_plural = _("评分标准")
        constraints = [
            models.CheckConstraint(name="af_standard_month_start", condition=Q(effective_from__day=1)),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Criterion(models.Model):
    """One line of a scoring standard: a weight and the maximum score an evaluator may give."""

    standard = models.ForeignKey(ScoringStandard, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveIntegerField(_("序号"), default=0)
    name = models.CharField(_("评分项"), max_length=100)
    description = models.CharField(_("评分说明"), max_length=300, blank=True)
    weight = models.DecimalField(
        _("权重"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    max_score = models.DecimalField(
        _("满分"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        ordering = ["standard", "order", "id"]
        verbose_name = _("评分项")
        verbose_name_plural = _("评分项")
        constraints = [
            models.CheckConstraint(name="af_criterion_weight_pos", condition=Q(weight__gt=0)),
            models.CheckConstraint(name="af_criterion_max_pos", condition=Q(max_score__gt=0)),
        ]

    def __str__(self):
        return self.name


class EvaluationRound(models.Model):
    """The month's cross-evaluation: opened by beat on the 1st (idempotent by the unique month)."""

    month = models.DateField(_("月份"), unique=True)
    standard = models.ForeignKey(
        ScoringStandard, verbose_name=_("评分标准"), on_delete=models.PROTECT, related_name="rounds"
    )
    remind_on = models.DateField(_("催评日期"), help_text=_("此日起提醒尚未评分的班组"))
    opened_at = models.DateTimeField(_("开启时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("互评轮次")
        verbose_name_plural = _("互评轮次")
        constraints = [models.CheckConstraint(name="af_round_month_start", condition=Q(month__day=1))]

    def __str__(self):
        return self.month.strftime("%Y-%m")


class Pairing(models.Model):
    """Evaluator class scores the evaluated class this round; never itself (checked in the database)."""

    round = models.ForeignKey(
        EvaluationRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="pairings"
    )
    evaluator = models.ForeignKey(
        WorkClass, verbose_name=_("评分班组"), on_delete=models.CASCADE, related_name="+"
    )
    evaluated = models.ForeignKey(
        WorkClass, verbose_name=_("被评班组"), on_delete=models.CASCADE, related_name="+"
    )
    total = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评分人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("催评时间"), null=True, blank=True)

    class Meta:
        ordering = ["round", "evaluator__enterprise__name", "evaluator__name"]
        verbose_name = _("互评配对")
        verbose_name_plural = _("互评配对")
        constraints = [
            models.CheckConstraint(name="af_pairing_not_self", condition=~Q(evaluator=F("evaluated"))),
            models.UniqueConstraint(fields=["round", "evaluator"], name="af_pairing_one_per_evaluator"),
            models.UniqueConstraint(fields=["round", "evaluated"], name="af_pairing_one_per_evaluated"),
        ]
        indexes = [
            # the reminder sweep's work list
            models.Index(
                fields=["round"],
                condition=Q(submitted_at__isnull=True, reminded_at__isnull=True),
                name="af_pairing_unreminded_idx",
            ),
        ]

    def __str__(self):
        return f"{self.round} {self.evaluator} → {self.evaluated}"


class Score(models.Model):
    """One criterion's score in one pairing."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("分数"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["pairing", "criterion__order"]
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(fields=["pairing", "criterion"], name="af_score_once"),
            models.CheckConstraint(name="af_score_non_negative", condition=Q(value__gte=0)),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.value}"


class ResponsibilityLetter(models.Model):
    """An anti-fraud responsibility letter (责任书) signed by the enterprise's head."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="af_letters"
    )
    signatory = models.CharField(_("签署人"), max_length=50)
    signatory_title = models.CharField(_("签署人职务"), max_length=100, blank=True)
    signed_on = models.DateField(_("签署日期"))
    valid_until = models.DateField(_("有效期至"))
    file = models.FileField(_("扫描件"), upload_to="antifraud/letters/%Y/")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("反诈责任书")
        verbose_name_plural = _("反诈责任书")
        constraints = [
            models.CheckConstraint(
                name="af_letter_valid_after_signed", condition=Q(valid_until__gte=F("signed_on"))
            )
        ]
        indexes = [models.Index(fields=["enterprise", "valid_until"])]

    def __str__(self):
        return f"{self.enterprise_id} {self.signatory} {self.signed_on}"

    def is_valid_on(self, day) -> bool:
        return self.signed_on <= day <= self.valid_until


class FraudNotice(models.Model):
    """An anti-fraud warning sent to chosen liaison groups (robot channels) through notify."""

    station = models.ForeignKey(
        "org.Station",
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=150)
    body = models.TextField(_("内容"))
    fraud_type = models.CharField(_("诈骗类型"), max_length=40, choices=FraudType.choices)
    groups = models.ManyToManyField("notify.Channel", verbose_name=_("联络群"), related_name="+")
    notification = models.OneToOneField(
        "notify.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发送人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("反诈预警")
        verbose_name_plural = _("反诈预警")

    def __str__(self):
        return self.title


class Victim(models.Model):
    """An employee who fell victim to fraud, from a fraud incident or entered by an officer."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="af_victims"
    )
    employee = models.ForeignKey(
        Employee, verbose_name=_("员工"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("受害人"), max_length=50)
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(
        _("来源"), max_length=20, choices=VictimSource.choices, default=VictimSource.ENTERED
    )
    occurred_on = models.DateField(_("被骗日期"))
    fraud_type = models.CharField(_("诈骗类型"), max_length=40, choices=FraudType.choices)
    amount_lost = models.DecimalField(
        _("损失金额（元）"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("受害员工")
        verbose_name_plural = _("受害员工")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "name"],
                condition=Q(incident__isnull=False),
                name="af_victim_once_per_incident",
            ),
            models.CheckConstraint(name="af_victim_amount_non_negative", condition=Q(amount_lost__gte=0)),
        ]
        indexes = [models.Index(fields=["enterprise", "occurred_on"]), models.Index(fields=["occurred_on"])]

    def __str__(self):
        return f"{self.name} {self.occurred_on}"
