"""Every write of the anti-fraud app: validated, audited, atomic; tasks are queued on commit."""

import logging
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.kpi import add_months, local_tz
from qianwan.notify.choices import ChannelKind, Level
from qianwan.notify.models import Channel
from qianwan.notify.services import notification_send
from qianwan.org.choices import Role
from qianwan.org.scopes import can_act_for_enterprise, can_act_for_station
from qianwan.security.uploads import store_upload
from qianwan.tasking import publish_on_commit
from qianwan.validators import validate_mobile

from .choices import ImportStatus, SessionKind, VictimSource
from .models import (
    AdminStaff,
    Criterion,
    Employee,
    EvaluationRound,
    FraudCase,
    FraudNotice,
    Pairing,
    ResponsibilityLetter,
    RosterImport,
    Score,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)
from .pairing import plan_pairings

logger = logging.getLogger(__name__)

NOTICE_KIND = "antifraud.notice"
NOT_PAIRED_MESSAGE = gettext_lazy("本月没有安排该班组给这个班组评分，请按配对结果评分。")
ROSTER_MAX_BYTES = 5 * 1024 * 1024
ROSTER_MAX_ROWS = 20000
LETTER_MAX_BYTES = 10 * 1024 * 1024
# extension → magic bytes at the start of the file
LETTER_TYPES = {
    ".pdf": (b"%PDF",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def today_local() -> date:
    return timezone.localtime(timezone.now(), local_tz()).date()


def month_first(value: date) -> date:
    return value.replace(day=1)


def parse_month(value: str | date | None, *, field: str = "month") -> date:
    """'YYYY-MM' (or a date) → the month's first day; bad input is a 400 naming the field."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({field: [_("月份格式应为 YYYY-MM，例如 2026-05。")]})
    return date(int(match.group(1)), int(match.group(2)), 1)


def remind_day() -> int:
    return int(getattr(settings, "ANTIFRAUD_SCORING_REMIND_DAY", 20))


def _require_enterprise(actor, enterprise) -> None:
    if not can_act_for_enterprise(actor, enterprise):
        raise PermissionDenied(_("只能管理本企业（或本所辖区企业）的反诈工作。"))


# ---------------------------------------------------------------- structure


@transaction.atomic
def admin_staff_create(*, actor, enterprise, name: str, position: str = "", phone: str = "") -> AdminStaff:
    """Add a responsible person of the administration tier."""
    _require_enterprise(actor, enterprise)
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    staff = AdminStaff.objects.create(
        enterprise=enterprise, name=name.strip(), position=position.strip(), phone=phone.strip()
    )
    audit_record(actor=actor, action="antifraud.admin_staff.create", obj=staff, after=snapshot(staff))
    return staff


def _check_class_people(enterprise, leader, deputy) -> None:
    errors = {}
    for field, person in (("leader", leader), ("deputy", deputy)):
        if person is not None and person.enterprise_id != enterprise.pk:
            errors[field] = [_("必须是本企业的员工。")]
    if leader is not None and deputy is not None and leader.pk == deputy.pk:
        errors["deputy"] = [_("班长和副班长不能是同一人。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def work_class_create(*, actor, enterprise, name: str, leader=None, deputy=None) -> WorkClass:
    """Create a class (班组) of an enterprise, optionally with its leader and deputy."""
    _require_enterprise(actor, enterprise)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("请填写班组名称。")]})
    if WorkClass.objects.filter(enterprise=enterprise, name=name).exists():
        raise ValidationError({"name": [_("本企业已有同名班组。")]})
    _check_class_people(enterprise, leader, deputy)
    work_class = WorkClass.objects.create(enterprise=enterprise, name=name, leader=leader, deputy=deputy)
    audit_record(actor=actor, action="antifraud.class.create", obj=work_class, after=snapshot(work_class))
    return work_class


@transaction.atomic
def work_class_update(*, actor, work_class: WorkClass, **changes) -> WorkClass:
    """Rename a class, change its leader/deputy or (de)activate it."""
    _require_enterprise(actor, work_class.enterprise)
    before = snapshot(work_class)
    allowed = {"name", "leader", "deputy", "is_active"}
    for key, value in changes.items():
        if key in allowed:
            setattr(work_class, key, value.strip() if key == "name" else value)
    if (
        WorkClass.objects.filter(enterprise_id=work_class.enterprise_id, name=work_class.name)
        .exclude(pk=work_class.pk)
        .exists()
    ):
        raise ValidationError({"name": [_("本企业已有同名班组。")]})
    _check_class_people(work_class.enterprise, work_class.leader, work_class.deputy)
    work_class.save()
    audit_record(
        actor=actor,
        action="antifraud.class.update",
        obj=work_class,
        before=before,
        after=snapshot(work_class),
    )
    return work_class


def _clean_employee(enterprise, *, number, name, phone, work_class, exclude_pk=None) -> dict:
    errors: dict[str, list] = {}
    number, name, phone = (number or "").strip(), (name or "").strip(), (phone or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名。")]
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if not number and not phone:
        errors.setdefault("number", []).append(_("工号和手机号至少填写一项（用于识别同一员工）。"))
    if work_class is not None and work_class.enterprise_id != enterprise.pk:
        errors["work_class"] = [_("班组必须属于同一家企业。")]
    others = Employee.objects.filter(enterprise=enterprise).exclude(pk=exclude_pk)
    if number and others.filter(number=number).exists():
        errors.setdefault("number", []).append(_("本企业已有该工号的员工。"))
    if phone and others.filter(phone=phone).exists():
        errors.setdefault("phone", []).append(_("本企业已有该手机号的员工。"))
    if errors:
        raise ValidationError(errors)
    return {"number": number, "name": name, "phone": phone}


@transaction.atomic
def employee_create(
    *, actor, enterprise, name: str, number: str = "", phone: str = "", work_class=None, joined_on=None
) -> Employee:
    """Add one employee by hand (the roster import does the same for many)."""
    _require_enterprise(actor, enterprise)
    data = _clean_employee(enterprise, number=number, name=name, phone=phone, work_class=work_class)
    employee = Employee.objects.create(
        enterprise=enterprise, work_class=work_class, joined_on=joined_on, **data
    )
    audit_record(actor=actor, action="antifraud.employee.create", obj=employee, after=snapshot(employee))
    return employee


# ---------------------------------------------------------------- roster import

ROSTER_COLUMNS = {
    "number": ("工号", "员工编号", "number"),
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机", "联系电话", "phone"),
    "work_class": ("班组", "班组名称", "class"),
    "joined_on": ("入职日期", "joined_on"),
}


@transaction.atomic
def roster_import_create(*, actor, enterprise, file) -> RosterImport:
    """Store an uploaded roster (.xlsx) and queue its import; the page polls the row for progress."""
    _require_enterprise(actor, enterprise)
    name = getattr(file, "name", "") or ""
    stored = store_upload(file, folder="antifraud/rosters", kinds=("xlsx",), max_bytes=ROSTER_MAX_BYTES)
    job = RosterImport.objects.create(
        enterprise=enterprise, file=stored.name, original_name=name[:200], created_by=actor
    )
    audit_record(actor=actor, action="antifraud.roster_import.create", obj=job, after=snapshot(job))
    from .tasks import roster_import_run

    publish_on_commit(roster_import_run, job.pk)
    return job


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise ValueError(text) from None


def _read_roster(path) -> tuple[list[tuple[int, dict]], list[dict]]:
    """Rows as (Excel row number, values by field), or a file-level error report."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        return [], [
            {"row": None, "field": "", "message": _("无法读取文件：%(e)s") % {"e": type(exc).__name__}}
        ]
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns = {}
    for index, title in enumerate(header):
        title = _cell_text(title)
        for field, names in ROSTER_COLUMNS.items():
            if title in names:
                columns[field] = index
    if "name" not in columns:
        workbook.close()
        return [], [
            {
                "row": 1,
                "field": "姓名",
                "message": _("表头缺少“姓名”列（可用列：工号、姓名、手机号、班组、入职日期）。"),
            }
        ]
    result = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        row = {field: (values[i] if i < len(values) else None) for field, i in columns.items()}
        result.append((number, row))
        if len(result) > ROSTER_MAX_ROWS:
            break
    workbook.close()
    return result, []


def _set_progress(job: RosterImport, **fields) -> None:
    # autocommit update outside the write transaction, so the polling page sees it at once
    RosterImport.objects.filter(pk=job.pk).update(**fields)


def roster_import_run(import_id: int) -> RosterImport:
    """Validate every row, then write all of them in one transaction, or none if any row is bad.

    Re-imports update: a row matches an existing employee of the enterprise by employee number, or,
    without a number, by mobile number. Classes named in the file are created when missing.
    """
    job = RosterImport.objects.select_related("enterprise").get(pk=import_id)
    if job.status not in (ImportStatus.PENDING, ImportStatus.VALIDATING):
        return job  # already run (a redelivered task)
    _set_progress(job, status=ImportStatus.VALIDATING)
    with job.file.open("rb") as handle:
        rows, errors = _read_roster(handle)
    if not errors and not rows:
        errors = [{"row": None, "field": "", "message": _("文件中没有员工数据。")}]
    if len(rows) > ROSTER_MAX_ROWS:
        errors = [
            {"row": None, "field": "", "message": _("一次最多导入 %(n)s 行。") % {"n": ROSTER_MAX_ROWS}}
        ]
    _set_progress(job, total_rows=len(rows))
    existing = list(Employee.objects.filter(enterprise=job.enterprise))
    by_number = {e.number: e for e in existing if e.number}
    by_phone = {e.phone: e for e in existing if e.phone}
    seen_numbers: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    clean: list[dict] = []
    for position, (row_no, row) in enumerate(rows if not errors else [], start=1):

        def bad(field, message, row_no=row_no):
            errors.append({"row": row_no, "field": field, "message": message})

        number = _cell_text(row.get("number"))
        name = _cell_text(row.get("name"))
        phone = _cell_text(row.get("phone")).replace(" ", "").replace("-", "")
        class_name = _cell_text(row.get("work_class"))
        joined_on = None
        if not name:
            bad("姓名", _("姓名不能为空。"))
        elif len(name) > 50:
            bad("姓名", _("姓名不能超过50个字。"))
        if phone:
            try:
                validate_mobile(phone)
            except ValidationError:
                bad("手机号", _("手机号“%(v)s”不是以 1 开头的11位数字。") % {"v": phone})
        if not number and not phone:
            bad("工号", _("工号和手机号至少填写一项。"))
        if len(number) > 40:
            bad("工号", _("工号不能超过40个字符。"))
        if len(class_name) > 100:
            bad("班组", _("班组名称不能超过100个字。"))
        try:
            joined_on = _cell_date(row.get("joined_on"))
        except ValueError as exc:
            bad("入职日期", _("入职日期“%(v)s”无法识别，请用 2026-05-01 格式。") % {"v": exc})
        if joined_on and joined_on > today_local():
            bad("入职日期", _("入职日期不能晚于今天。"))
        if number:
            if number in seen_numbers:
                bad("工号", _("工号与第 %(r)s 行重复。") % {"r": seen_numbers[number]})
            seen_numbers.setdefault(number, row_no)
        if phone:
            if phone in seen_phones:
                bad("手机号", _("手机号与第 %(r)s 行重复。") % {"r": seen_phones[phone]})
            seen_phones.setdefault(phone, row_no)
        match = by_number.get(number) if number else by_phone.get(phone)
        if phone and phone in by_phone and match is not None and by_phone[phone].pk != match.pk:
            bad("手机号", _("手机号已属于另一名员工（%(n)s）。") % {"n": by_phone[phone].name})
        clean.append(
            {
                "row": row_no,
                "number": number,
                "name": name,
                "phone": phone,
                "class": class_name,
                "joined_on": joined_on,
                "match": match,
            }
        )
        if position % 200 == 0:
            _set_progress(job, processed_rows=position)
    if errors:
        errors.sort(key=lambda e: e["row"] or 0)
        _set_progress(
            job,
            status=ImportStatus.FAILED,
            errors=errors,
            processed_rows=len(rows),
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    _set_progress(job, status=ImportStatus.WRITING, processed_rows=len(rows))
    created, updated = _roster_write(job, clean)
    from qianwan.bulkload import analyze_tables

    analyze_tables([Employee, WorkClass])  # a bulk load ends with fresh statistics (issue 21)
    job.refresh_from_db()
    return job


@transaction.atomic
def _roster_write(job: RosterImport, rows: list[dict]) -> tuple[int, int]:
    enterprise = job.enterprise
    classes = {c.name: c for c in WorkClass.objects.filter(enterprise=enterprise)}
    created = updated = 0
    for row in rows:
        work_class = None
        if row["class"]:
            work_class = classes.get(row["class"])
            if work_class is None:
                work_class = classes[row["class"]] = WorkClass.objects.create(
                    enterprise=enterprise, name=row["class"]
                )
        employee = row["match"]
        values = {
            "name": row["name"],
            "work_class": work_class,
            "is_active": True,
        }
        if row["phone"]:
            values["phone"] = row["phone"]
        if row["number"]:
            values["number"] = row["number"]
        if row["joined_on"]:
            values["joined_on"] = row["joined_on"]
        if employee is None:
            Employee.objects.create(enterprise=enterprise, **values)
            created += 1
        else:
            for key, value in values.items():
                setattr(employee, key, value)
            employee.save()
            updated += 1
    RosterImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, created_count=created, updated_count=updated, finished_at=timezone.now()
    )
    job.refresh_from_db()
    audit_record(
        actor=job.created_by,
        action="antifraud.roster_import.done",
        obj=job,
        after={"created": created, "updated": updated, "rows": len(rows)},
    )
    return created, updated


# ---------------------------------------------------------------- case library and sessions

CASE_FIELDS = ("title", "fraud_type", "summary", "lesson", "is_active")


def _require_staff(actor) -> None:
    if actor is None or actor.role not in (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN):
        raise PermissionDenied(_("只有民警和领导可以维护案例库。"))


@transaction.atomic
def fraud_case_create(
    *, actor, title: str, fraud_type: str, summary: str = "", lesson: str = ""
) -> FraudCase:
    """Add a typical case to the library."""
    _require_staff(actor)
    case = FraudCase(title=title.strip(), fraud_type=fraud_type, summary=summary, lesson=lesson)
    case.full_clean()
    case.save()
    audit_record(actor=actor, action="antifraud.case.create", obj=case, after=snapshot(case))
    return case


@transaction.atomic
def fraud_case_update(*, actor, case: FraudCase, **changes) -> FraudCase:
    """Edit a case of the library (sessions keep pointing to it)."""
    _require_staff(actor)
    before = snapshot(case)
    for key, value in changes.items():
        if key in CASE_FIELDS:
            setattr(case, key, value)
    case.full_clean()
    case.save()
    audit_record(actor=actor, action="antifraud.case.update", obj=case, before=before, after=snapshot(case))
    return case


@transaction.atomic
def session_record(
    *,
    actor,
    work_class: WorkClass,
    held_on: date,
    kind: str,
    case: FraudCase | None = None,
    speaker: Employee | None = None,
    attendees=(),
    notes: str = "",
) -> StudySession:
    """Record a class's study session with who attended."""
    enterprise = work_class.enterprise
    _require_enterprise(actor, enterprise)
    errors: dict[str, list] = {}
    if held_on > today_local():
        errors["held_on"] = [_("活动日期不能晚于今天。")]
    if kind not in SessionKind.values:
        errors["kind"] = [_("未知的活动形式。")]
    if not work_class.is_active:
        errors["work_class"] = [_("该班组已停用。")]
    attendees = list(attendees)
    if any(e.enterprise_id != enterprise.pk for e in attendees):
        errors["attendees"] = [_("参加人员必须是本企业员工。")]
    if not attendees:
        errors.setdefault("attendees", []).append(_("请勾选参加人员。"))
    if speaker is not None and speaker.enterprise_id != enterprise.pk:
        errors["speaker"] = [_("主讲员工必须是本企业员工。")]
    if kind == SessionKind.MORNING_MEETING and speaker is None:
        errors["speaker"] = [_("晨会“员工讲反诈”须填写主讲员工。")]
    if case is not None and not case.is_active:
        errors["case"] = [_("该案例已停用。")]
    if errors:
        raise ValidationError(errors)
    session = StudySession.objects.create(
        enterprise=enterprise,
        work_class=work_class,
        held_on=held_on,
        kind=kind,
        case=case,
        speaker=speaker,
        notes=notes,
        created_by=actor,
    )
    session.attendees.set(attendees)
    audit_record(
        actor=actor,
        action="antifraud.session.record",
        obj=session,
        after={**snapshot(session), "attendees": sorted(e.pk for e in attendees)},
    )
    return session


# ---------------------------------------------------------------- scoring standard and rounds


@transaction.atomic
def standard_create(*, actor, name: str, effective_from: date, criteria: list[dict]) -> ScoringStandard:
    """A new version of the scoring standard from a month on; rounds already opened keep theirs."""
    if actor is None or actor.role not in (Role.BUREAU_LEADER, Role.ADMIN):
        raise PermissionDenied(_("评分标准由分局领导或管理员制定。"))
    effective_from = month_first(effective_from)
    errors: dict[str, list] = {}
    if ScoringStandard.objects.filter(effective_from=effective_from).exists():
        errors["effective_from"] = [_("该月已有评分标准版本，请选择其他月份。")]
    if EvaluationRound.objects.filter(month__gte=effective_from).exists():
        errors.setdefault("effective_from", []).append(
            _("该月或之后的互评已开启，新标准只能从以后的月份起用。")
        )
    if not criteria:
        errors["criteria"] = [_("至少需要一个评分项。")]
    for index, item in enumerate(criteria, start=1):
        for field in ("weight", "max_score"):
            try:
                value = Decimal(str(item.get(field)))
            except (InvalidOperation, TypeError):
                value = None
            if value is None or value <= 0:
                errors.setdefault("criteria", []).append(
                    _("第 %(i)s 项：权重和满分必须是正数。") % {"i": index}
                )
                break
        if not str(item.get("name") or "").strip():
            errors.setdefault("criteria", []).append(_("第 %(i)s 项：请填写评分项名称。") % {"i": index})
    if errors:
        raise ValidationError(errors)
    version = (ScoringStandard.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    try:
        with transaction.atomic():
            standard = ScoringStandard.objects.create(
                name=name.strip() or _("班组互评标准"),
                version=version,
                effective_from=effective_from,
                created_by=actor,
            )
    except IntegrityError:  # someone published a version (or this month) a moment ago
        raise ValidationError(
            {"effective_from": [_("刚有另一版评分标准发布，请刷新后核对再提交。")]}
        ) from None
    Criterion.objects.bulk_create(
        [
            Criterion(
                standard=standard,
                order=index,
                name=str(item["name"]).strip(),
                description=str(item.get("description") or "")[:300],
                weight=Decimal(str(item["weight"])),
                max_score=Decimal(str(item["max_score"])),
            )
            for index, item in enumerate(criteria, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="antifraud.standard.create",
        obj=standard,
        after={**snapshot(standard), "criteria": [dict(item) for item in criteria]},
    )
    return standard


def standard_for_month(month: date) -> ScoringStandard | None:
    return ScoringStandard.objects.filter(effective_from__lte=month).order_by("-effective_from").first()


@transaction.atomic
def round_open(*, month: date, actor=None) -> tuple[EvaluationRound | None, bool]:
    """Open the month's round and pair its classes; idempotent (the month is unique)."""
    month = month_first(month)
    existing = EvaluationRound.objects.filter(month=month).first()
    if existing:
        return existing, False
    standard = standard_for_month(month)
    if standard is None:
        logger.warning("no scoring standard in force for %s: round not opened", month)
        return None, False
    remind_on = month.replace(day=min(max(remind_day(), 1), 28))
    try:
        with transaction.atomic():
            evaluation_round = EvaluationRound.objects.create(
                month=month, standard=standard, remind_on=remind_on
            )
    except IntegrityError:  # another worker opened it first
        return EvaluationRound.objects.get(month=month), False
    classes = WorkClass.objects.filter(is_active=True).values_list(
        "pk", "enterprise_id", "enterprise__station_id"
    )
    last_month = date(*add_months(month.year, month.month, -1), 1)
    last_pairs = set(
        Pairing.objects.filter(round__month=last_month).values_list("evaluator_id", "evaluated_id")
    )
    pairs, unpaired = plan_pairings(list(classes), last_pairs)
    Pairing.objects.bulk_create(
        [Pairing(round=evaluation_round, evaluator_id=a, evaluated_id=b) for a, b in pairs]
    )
    audit_record(
        actor=actor,
        action="antifraud.round.open",
        obj=evaluation_round,
        after={"month": str(month), "standard": standard.pk, "pairings": len(pairs), "unpaired": unpaired},
    )
    return evaluation_round, True


@transaction.atomic
def round_close(*, actor, evaluation_round: EvaluationRound) -> EvaluationRound:
    """Close a round: no more scores are accepted."""
    evaluation_round = EvaluationRound.objects.select_for_update().get(pk=evaluation_round.pk)
    if evaluation_round.closed_at is not None:
        raise StateConflict(_("该轮互评已关闭。"))
    evaluation_round.closed_at = timezone.now()
    evaluation_round.save(update_fields=["closed_at"])
    audit_record(
        actor=actor, action="antifraud.round.close", obj=evaluation_round, after=snapshot(evaluation_round)
    )
    return evaluation_round


def weighted_total(criteria: list[Criterion], values: dict[int, Decimal]) -> Decimal:
    """Σ weight·(score / max) / Σ weight, on a 0–100 scale."""
    weights = sum((c.weight for c in criteria), Decimal(0))
    total = sum((c.weight * values[c.pk] / c.max_score for c in criteria), Decimal(0))
    return (total * 100 / weights).quantize(Decimal("0.01"))


@transaction.atomic
def evaluation_submit(
    *, actor, month: date, evaluator: WorkClass, evaluated: WorkClass, scores: dict[int, object]
) -> Pairing:
    """The evaluator class's scores for its assigned partner this month (re-submitting overwrites).

    A class never scores itself; every criterion of the round's standard needs a score between 0 and
    its maximum; a closed round takes no more scores (409).
    """
    if evaluator.pk == evaluated.pk:
        raise ValidationError({"evaluated": [_("班组不能给自己评分。")]})
    _require_enterprise(actor, evaluator.enterprise)
    evaluation_round = (
        EvaluationRound.objects.select_related("standard").filter(month=month_first(month)).first()
    )
    if evaluation_round is None:
        raise ValidationError({"month": [_("该月的互评尚未开启。")]})
    pairing = (
        Pairing.objects.select_for_update()
        .filter(round=evaluation_round, evaluator=evaluator, evaluated=evaluated)
        .first()
    )
    if pairing is None:
        raise ValidationError({"evaluated": [str(NOT_PAIRED_MESSAGE)]})
    if evaluation_round.closed_at is not None:
        raise StateConflict(_("该轮互评已关闭，不能再评分。"))
    criteria = list(evaluation_round.standard.criteria.all())
    errors: list[str] = []
    values: dict[int, Decimal] = {}
    given = {int(k): v for k, v in scores.items()}
    known = {c.pk for c in criteria}
    for unknown in sorted(set(given) - known):
        errors.append(_("评分项 %(id)s 不属于本月的评分标准。") % {"id": unknown})
    for criterion in criteria:
        if criterion.pk not in given or given[criterion.pk] in (None, ""):
            errors.append(_("“%(name)s”未评分。") % {"name": criterion.name})
            continue
        try:
            value = Decimal(str(given[criterion.pk]))
        except InvalidOperation:
            errors.append(_("“%(name)s”的分数不是数字。") % {"name": criterion.name})
            continue
        if not value.is_finite() or value < 0 or value > criterion.max_score:
            errors.append(
                _("“%(name)s”的分数应在 0 到 %(max)s 之间。")
                % {"name": criterion.name, "max": criterion.max_score}
            )
            continue
        values[criterion.pk] = value.quantize(Decimal("0.01"))
    if errors:
        raise ValidationError({"scores": errors})
    before = snapshot(pairing)
    Score.objects.filter(pairing=pairing).delete()
    Score.objects.bulk_create([Score(pairing=pairing, criterion_id=pk, value=v) for pk, v in values.items()])
    pairing.total = weighted_total(criteria, values)
    pairing.submitted_at = timezone.now()
    pairing.submitted_by = actor
    pairing.save(update_fields=["total", "submitted_at", "submitted_by"])
    audit_record(
        actor=actor,
        action="antifraud.evaluation.submit",
        obj=pairing,
        before=before,
        after={**snapshot(pairing), "scores": {str(k): str(v) for k, v in values.items()}},
    )
    return pairing


def evaluation_reminders_send(*, now=None) -> int:
    """Remind evaluator classes (their enterprise's liaisons) that have not scored by the round's
    reminder day; once per pairing: a conditional update claims it, the notification key dedups."""
    from qianwan.org.models import User

    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    due = Pairing.objects.filter(
        round__closed_at__isnull=True,
        round__remind_on__lte=today,
        submitted_at__isnull=True,
        reminded_at__isnull=True,
    ).select_related("round", "evaluator__enterprise", "evaluated__enterprise")
    sent = 0
    for pairing in due:
        with transaction.atomic():
            claimed = Pairing.objects.filter(
                pk=pairing.pk, reminded_at__isnull=True, submitted_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            enterprise = pairing.evaluator.enterprise
            recipients = list(User.objects.filter(role=Role.LIAISON, enterprise=enterprise, is_active=True))
            notification_send(
                key=f"antifraud:pairing:{pairing.pk}:remind",
                kind="antifraud.evaluation_remind",
                title=_("请完成 %(m)s 班组互评：%(a)s 评 %(b)s")
                % {"m": pairing.round, "a": pairing.evaluator.name, "b": pairing.evaluated.name},
                body=_("%(e)s 的“%(a)s”尚未给“%(b)s”评分，请尽快在反诈宣防门户完成互评。")
                % {"e": enterprise.name, "a": pairing.evaluator.name, "b": pairing.evaluated.name},
                recipients=recipients,
                station=enterprise.station,
                link=f"/antifraud/enterprises/{enterprise.pk}/scoring/",
                level=Level.WARNING,
                channels=[],
            )
            sent += 1
    return sent


def rounds_sweep(*, now=None) -> dict:
    """Beat: open this month's round if needed, then send due reminders. Safe with two workers."""
    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    evaluation_round, created = round_open(month=today)
    reminded = evaluation_reminders_send(now=now)
    return {
        "round": str(evaluation_round) if evaluation_round else None,
        "opened": created,
        "reminded": reminded,
    }


# ---------------------------------------------------------------- responsibility letters


@transaction.atomic
def letter_upload(
    *, actor, enterprise, signatory: str, signed_on: date, valid_until: date, file, signatory_title: str = ""
) -> ResponsibilityLetter:
    """Record a signed responsibility letter with its scanned file."""
    _require_enterprise(actor, enterprise)
    errors: dict[str, list] = {}
    if not (signatory or "").strip():
        errors["signatory"] = [_("请填写签署人。")]
    if signed_on > today_local():
        errors["signed_on"] = [_("签署日期不能晚于今天。")]
    if valid_until < signed_on:
        errors["valid_until"] = [_("有效期不能早于签署日期。")]
    if errors:
        raise ValidationError(errors)
    stored = store_upload(
        file, folder="antifraud/letters", kinds=("pdf", "jpeg", "png"), max_bytes=LETTER_MAX_BYTES
    )
    letter = ResponsibilityLetter.objects.create(
        enterprise=enterprise,
        signatory=signatory.strip(),
        signatory_title=(signatory_title or "").strip(),
        signed_on=signed_on,
        valid_until=valid_until,
        file=stored.name,
        created_by=actor,
    )
    audit_record(actor=actor, action="antifraud.letter.upload", obj=letter, after=snapshot(letter))
    return letter


def letters_missing_remind(*, now=None) -> int:
    """Beat, daily: once a month per station, tell its officers which above-size enterprises lack a
    valid letter (the key makes it once; an empty list sends nothing)."""
    from enterprises.models import Enterprise
    from qianwan.org.selectors import station_users

    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    missing = (
        Enterprise.objects.filter(is_above_size=True)
        .exclude(af_letters__signed_on__lte=today, af_letters__valid_until__gte=today)
        .select_related("station")
        .order_by("station_id", "name")
    )
    by_station: dict = {}
    for enterprise in missing:
        by_station.setdefault(enterprise.station, []).append(enterprise.name)
    sent = 0
    for station, names in by_station.items():
        _notification, created = notification_send(
            key=f"antifraud:letters-missing:{station.pk}:{today:%Y-%m}",
            kind="antifraud.letters_missing",
            title=_("%(n)s 家规上企业尚无有效反诈责任书") % {"n": len(names)},
            body="、".join(names[:50]) + ("…" if len(names) > 50 else ""),
            recipients=list(station_users(station=station, roles=(Role.OFFICER, Role.STATION_LEADER))),
            station=station,
            link="/antifraud/letters/missing/",
            level=Level.WARNING,
            channels=[],
        )
        sent += int(created)
    return sent


# ---------------------------------------------------------------- liaison groups and notices


@transaction.atomic
def liaison_group_create(*, actor, station, name: str, kind: str, url: str, secret: str = "") -> Channel:
    """A station's DingTalk/WeCom liaison group, stored as a notify channel that only receives what
    is addressed to it (broadcast_only), so that station alerts never leak into an enterprise group."""
    if not can_act_for_station(actor, station):
        raise PermissionDenied(_("只能为本所建立联络群。"))
    if kind not in (ChannelKind.DINGTALK, ChannelKind.WECOM):
        raise ValidationError({"kind": [_("联络群须为钉钉或企业微信机器人。")]})
    channel = Channel(
        name=name.strip(),
        kind=kind,
        url=url.strip(),
        secret=secret.strip(),
        station=station,
        kinds=[NOTICE_KIND],
        enabled=True,
        broadcast_only=True,
    )
    channel.full_clean()
    channel.save()
    audit_record(
        actor=actor,
        action="antifraud.liaison_group.create",
        obj=channel,
        after=snapshot(channel, fields=["name", "kind", "url", "station", "kinds"]),
    )
    return channel


@transaction.atomic
def notice_send(*, actor, title: str, body: str, fraud_type: str, groups) -> FraudNotice:
    """Send an anti-fraud warning to the chosen liaison groups; the liaisons of those stations'
    enterprises also get it in their inbox. Delivery is logged per group by notify."""
    from qianwan.org.models import User

    groups = list(groups)
    errors: dict[str, list] = {}
    if not groups:
        errors["groups"] = [_("请至少选择一个联络群。")]
    for group in groups:
        if not group.broadcast_only or NOTICE_KIND not in (group.kinds or []) or not group.enabled:
            errors["groups"] = [_("“%(n)s”不是可用的反诈联络群。") % {"n": group.name}]
        elif not can_act_for_station(actor, group.station):
            raise PermissionDenied(_("只能向本所的联络群发送预警。"))
    if not (title or "").strip():
        errors["title"] = [_("请填写标题。")]
    if not (body or "").strip():
        errors["body"] = [_("请填写预警内容。")]
    if errors:
        raise ValidationError(errors)
    stations = {g.station_id for g in groups}
    notice = FraudNotice.objects.create(
        station=groups[0].station if len(stations) == 1 else None,
        title=title.strip(),
        body=body.strip(),
        fraud_type=fraud_type,
        sent_by=actor,
    )
    notice.groups.set(groups)
    recipients = User.objects.filter(role=Role.LIAISON, is_active=True, enterprise__station_id__in=stations)
    notification, _created = notification_send(
        key=f"antifraud:notice:{notice.pk}",
        kind=NOTICE_KIND,
        title=_("反诈预警：%(t)s") % {"t": notice.title},
        body=notice.body,
        recipients=list(recipients),
        station=notice.station,
        level=Level.WARNING,
        channels=groups,
    )
    notice.notification = notification
    notice.save(update_fields=["notification"])
    audit_record(
        actor=actor,
        action="antifraud.notice.send",
        obj=notice,
        after={**snapshot(notice), "groups": [g.pk for g in groups]},
    )
    return notice


# ---------------------------------------------------------------- victims


@transaction.atomic
def victim_record(
    *,
    actor,
    enterprise,
    name: str,
    occurred_on: date,
    fraud_type: str,
    amount_lost=0,
    employee: Employee | None = None,
    incident=None,
    note: str = "",
) -> Victim:
    """Record an employee fraud victim, from a fraud incident of the enterprise's station or entered."""
    if actor is None or actor.role not in (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN):
        raise PermissionDenied(_("受害人由民警录入。"))
    _require_enterprise(actor, enterprise)
    errors: dict[str, list] = {}
    if employee is not None:
        if employee.enterprise_id != enterprise.pk:
            errors["employee"] = [_("员工不属于该企业。")]
        name = name or employee.name
    if not (name or "").strip():
        errors["name"] = [_("请填写受害人姓名或选择员工。")]
    if occurred_on > today_local():
        errors["occurred_on"] = [_("被骗日期不能晚于今天。")]
    try:
        amount = Decimal(str(amount_lost or 0))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except InvalidOperation:
        errors["amount_lost"] = [_("损失金额必须是不小于 0 的数字。")]
        amount = Decimal(0)
    if incident is not None:
        if incident.category != "fraud":
            errors["incident"] = [_("只能关联类别为“诈骗”的警情。")]
        elif incident.station_id != enterprise.station_id:
            errors["incident"] = [_("警情与企业不属于同一派出所。")]
        elif Victim.objects.filter(incident=incident, name=(name or "").strip()).exists():
            errors["incident"] = [_("该警情已登记此受害人。")]
    if errors:
        raise ValidationError(errors)
    victim = Victim.objects.create(
        enterprise=enterprise,
        employee=employee,
        name=name.strip(),
        incident=incident,
        source=VictimSource.INCIDENT if incident else VictimSource.ENTERED,
        occurred_on=occurred_on,
        fraud_type=fraud_type,
        amount_lost=amount,
        note=note,
        created_by=actor,
    )
    audit_record(actor=actor, action="antifraud.victim.record", obj=victim, after=snapshot(victim))
    return victim
