"""Every write of the police–enterprise–community platform.

Services are keyword-only, atomic, validate their input (``ValidationError`` → 400), check who may
act (``PermissionDenied`` → 403), refuse changes the state forbids (``StateConflict`` → 409), write
the audit row in the same transaction, and queue tasks only after commit.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.notify.choices import Level
from qianwan.notify.services import notification_send
from qianwan.org.choices import LEADER_ROLES, STATION_ROLES, Role
from qianwan.org.scopes import can_act_for_enterprise, can_act_for_station
from qianwan.security.uploads import store_upload
from qianwan.tasking import publish_on_commit
from qianwan.validators import validate_mobile

from .choices import (
    ALLIANCE_MAX_MEMBERS,
    ALLIANCE_MIN_MEMBERS,
    OPEN_REQUEST_STATUSES,
    REFERRAL_TRANSITIONS,
    ImportStatus,
    RequestChannel,
    RequestStatus,
    ResponseStatus,
    VisitKind,
)
from .models import (
    Alliance,
    AllianceMember,
    Enterprise,
    FirstResponse,
    ImportJob,
    Lecture,
    Referral,
    ServiceRequest,
    ServiceVisit,
    WatchCall,
)

FUTURE_TOLERANCE = timedelta(minutes=5)
ENTERPRISE_FIELDS = [
    "kind",
    "name",
    "credit_code",
    "station",
    "address",
    "lat",
    "lon",
    "industry",
    "is_above_size",
    "employee_count",
    "contact_name",
    "contact_phone",
    "is_active",
]


def _not_in_future(value: datetime | None, field: str) -> None:
    if value is not None and value > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: [_("时间不能晚于当前时间。")]})


def _require_station(actor, station) -> None:
    if not can_act_for_station(actor, station):
        raise PermissionDenied(_("只能为本所辖区办理。"))


def _require_enterprise(actor, enterprise) -> None:
    if not can_act_for_enterprise(actor, enterprise):
        raise PermissionDenied(_("只能为本所辖区或本企业办理。"))


# --- registry ----------------------------------------------------------------------------------


def _clean_enterprise(enterprise: Enterprise) -> None:
    if enterprise.credit_code:
        enterprise.credit_code = enterprise.credit_code.strip().upper()
    else:
        enterprise.credit_code = None  # NULL, so that many shops may have no code under the unique index
    if enterprise.contact_phone:
        try:
            validate_mobile(enterprise.contact_phone)
        except ValidationError as exc:
            raise ValidationError({"contact_phone": exc.messages}) from exc
    enterprise.full_clean()


@transaction.atomic
def enterprise_create(*, actor, **fields) -> Enterprise:
    """Register an enterprise or a street shop in the actor's station."""
    unknown = set(fields) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    enterprise = Enterprise(**fields)
    _require_station(actor, enterprise.station_id)
    _clean_enterprise(enterprise)
    enterprise.save()
    audit_record(actor=actor, action="enterprise.create", obj=enterprise, after=snapshot(enterprise))
    return enterprise


@transaction.atomic
def enterprise_update(*, actor, enterprise: Enterprise, **fields) -> Enterprise:
    """Change an enterprise's registry data (moving it to another station needs rights on both)."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _require_station(actor, enterprise.station_id)
    before = snapshot(enterprise)
    for name, value in fields.items():
        if name not in ENTERPRISE_FIELDS:
            raise TypeError(f"unknown field {name}")
        setattr(enterprise, name, value)
    _require_station(actor, enterprise.station_id)
    _clean_enterprise(enterprise)
    enterprise.save()
    audit_record(
        actor=actor, action="enterprise.update", obj=enterprise, before=before, after=snapshot(enterprise)
    )
    return enterprise


# --- Excel import --------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@transaction.atomic
def import_job_create(*, actor, file, station=None) -> ImportJob:
    """Accept an .xlsx upload and queue its validation/import (progress is stored on the job)."""
    if actor.role not in (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN):
        raise PermissionDenied(_("您的角色不能导入企业。"))
    if actor.role in STATION_ROLES:
        if station is not None and station.pk != actor.station_id:
            raise PermissionDenied(_("只能导入本所辖区的企业。"))
        station = actor.station
    name = getattr(file, "name", "") or ""
    stored = store_upload(file, folder="enterprises/imports", kinds=("xlsx",), max_bytes=MAX_IMPORT_BYTES)
    job = ImportJob(created_by=actor, station=station, original_name=name[:200], file=stored.name)
    job.save()
    audit_record(
        actor=actor,
        action="enterprise.import_queued",
        obj=job,
        after=snapshot(job, ["original_name", "station"]),
    )
    from .tasks import import_run

    publish_on_commit(import_run, job.pk)
    return job


def import_job_run(job_id: int) -> ImportJob | None:
    """Validate every row, then write all of them in one transaction, or none if any row is bad.

    Safe to call twice: only the caller that moves the job out of ``pending`` does the work. Progress
    (rows checked) is committed as it goes so the page's poll can see it.
    """
    from . import importer

    now = timezone.now()
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=now
    ):
        return None
    job = ImportJob.objects.select_related("created_by", "station").get(pk=job_id)
    try:
        candidates, errors = importer.validate_workbook(job)
    except importer.UnreadableWorkbook as exc:
        candidates, errors = [], [{"row": None, "column": "", "message": str(exc)}]
    if not errors:
        try:
            with transaction.atomic():
                for enterprise in candidates:
                    enterprise.save()
                    audit_record(
                        actor=job.created_by,
                        action="enterprise.import",
                        obj=enterprise,
                        after=snapshot(enterprise),
                    )
        except IntegrityError as exc:  # a code registered by someone else meanwhile: nothing is kept
            errors = [
                {"row": None, "column": "", "message": _("写入失败，未导入任何企业：%(e)s") % {"e": exc}}
            ]
    outcome = {"status": ImportStatus.FAILED if errors else ImportStatus.SUCCEEDED, "errors": errors}
    if not errors:
        outcome.update(created_count=len(candidates), processed_rows=len(candidates))
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **outcome)
    if not errors and candidates:
        from qianwan.audit.models import AuditEntry
        from qianwan.bulkload import analyze_tables

        analyze_tables([Enterprise, AuditEntry])  # a bulk load ends with fresh statistics (issue 21)
    return ImportJob.objects.get(pk=job_id)


def import_jobs_sweep() -> int:
    """Beat: run import jobs whose task was never published (broker outage), and fail jobs a killed
    worker left "running". Returns how many pending jobs it ran."""
    stale = timezone.now() - timedelta(minutes=1)
    ids = list(
        ImportJob.objects.filter(status=ImportStatus.PENDING, created_at__lt=stale).values_list(
            "pk", flat=True
        )[:20]
    )
    for job_id in ids:
        import_job_run(job_id)
    # a worker killed mid-validation leaves a job "running": nothing was written (the write is one
    # transaction), so it is safe to tell the user to upload again
    ImportJob.objects.filter(
        status=ImportStatus.RUNNING, started_at__lt=timezone.now() - timedelta(minutes=15)
    ).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        errors=[{"row": None, "column": "", "message": _("导入中断，未导入任何企业，请重新上传。")}],
    )
    return len(ids)


# --- service requests, visits, feedback ------------------------------------------------------------


@transaction.atomic
def service_request_create(
    *,
    actor,
    enterprise: Enterprise,
    service_type,
    description: str = "",
    requested_at: datetime | None = None,
) -> ServiceRequest:
    """A liaison asks for a catalogue service for their enterprise, or an officer records one."""
    _require_enterprise(actor, enterprise)
    if not service_type.is_active:
        raise ValidationError({"service_type": [_("该服务项目已停用。")]})
    if actor.role == Role.LIAISON:
        requested_at = timezone.now()  # a liaison files now; back-dating is for officers' paper records
    requested_at = requested_at or timezone.now()
    _not_in_future(requested_at, "requested_at")
    request = ServiceRequest.objects.create(
        enterprise=enterprise,
        station_id=enterprise.station_id,
        service_type=service_type,
        description=description,
        channel=RequestChannel.PORTAL if actor.role == Role.LIAISON else RequestChannel.OFFICER,
        requested_at=requested_at,
        requested_by=actor,
    )
    audit_record(actor=actor, action="service_request.create", obj=request, after=snapshot(request))
    return request


def _lock_request(request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update()
        .select_related("enterprise", "service_type")
        .get(pk=request.pk)
    )


@transaction.atomic
def service_request_assign(*, actor, request: ServiceRequest, officer=None, team=None) -> ServiceRequest:
    """Assign the request to an officer of the enterprise's station and/or a lecturer team."""
    request = _lock_request(request)
    _require_station(actor, request.station_id)
    if request.status not in OPEN_REQUEST_STATUSES:
        raise StateConflict(_("该需求已服务或已撤销，不能再分派。"))
    if officer is None and team is None:
        raise ValidationError({"officer": [_("请指定承办民警或承办团队。")]})
    if officer is not None and (
        officer.role not in STATION_ROLES or officer.station_id != request.station_id
    ):
        raise ValidationError({"officer": [_("承办民警须为企业属地派出所的民警。")]})
    before = snapshot(request, ["status", "assigned_officer", "assigned_team"])
    request.assigned_officer, request.assigned_team = officer, team
    request.assigned_at = timezone.now()
    request.status = RequestStatus.ASSIGNED
    request.save(update_fields=["assigned_officer", "assigned_team", "assigned_at", "status"])
    audit_record(
        actor=actor,
        action="service_request.assign",
        obj=request,
        before=before,
        after=snapshot(request, ["status", "assigned_officer", "assigned_team"]),
    )
    if officer is not None and officer.pk != actor.pk:
        notification_send(
            key=f"enterprises.request_assigned.{request.pk}.{request.assigned_at.timestamp():.0f}",
            kind="enterprise_request_assigned",
            title=_("企业服务需求分派：%(e)s · %(t)s") % {"e": request.enterprise, "t": request.service_type},
            recipients=[officer],
            body=request.description,
            station=request.station,
            link=reverse("enterprises:request_detail", args=[request.pk]),
            channels=[],
        )
    return request


@transaction.atomic
def service_request_cancel(*, actor, request: ServiceRequest, reason: str = "") -> ServiceRequest:
    """Withdraw a request not yet serviced (the liaison who asked, or the station)."""
    request = _lock_request(request)
    _require_enterprise(actor, request.enterprise)
    if request.status not in OPEN_REQUEST_STATUSES:
        raise StateConflict(_("该需求已服务或已撤销，不能撤销。"))
    request.status = RequestStatus.CANCELLED
    request.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="service_request.cancel",
        obj=request,
        after={"status": request.status, "reason": reason},
    )
    return request


@transaction.atomic
def visit_record(
    *,
    actor,
    enterprise: Enterprise,
    visited_at: datetime,
    summary: str,
    officers=(),
    request: ServiceRequest | None = None,
    service_type=None,
    kind: str = VisitKind.VISIT,
) -> ServiceVisit:
    """Record a visit or a service delivered at an enterprise; a visit answering a request moves it to
    'serviced' (awaiting the liaison's feedback) and stamps the request's first visit time."""
    if actor.role not in STATION_ROLES | {Role.BUREAU_LEADER, Role.ADMIN}:
        raise PermissionDenied(_("只有民警可以登记走访服务。"))
    if request is not None:
        request = _lock_request(request)
        enterprise = request.enterprise
        service_type = service_type or request.service_type
        kind = VisitKind.SERVICE
    _require_station(actor, enterprise.station_id)
    if not (summary or "").strip():
        raise ValidationError({"summary": [_("请填写服务内容。")]})
    _not_in_future(visited_at, "visited_at")
    if request is not None:
        if request.status in (RequestStatus.CLOSED, RequestStatus.CANCELLED):
            raise StateConflict(_("该需求已办结或已撤销，不能再登记服务。"))
        # forms give minutes: a visit typed for the same minute as the request is not "before" it
        if visited_at < request.requested_at.replace(second=0, microsecond=0):
            raise ValidationError({"visited_at": [_("服务时间不能早于需求提出时间。")]})
    officers = list(officers) or ([actor] if actor.role in STATION_ROLES else [])
    if not officers:
        raise ValidationError({"officers": [_("请选择走访民警。")]})
    strangers = [o for o in officers if o.role not in STATION_ROLES or o.station_id != enterprise.station_id]
    if strangers:
        raise ValidationError(
            {"officers": [_("%(names)s 不是属地派出所民警。") % {"names": "、".join(map(str, strangers))}]}
        )
    visit = ServiceVisit.objects.create(
        enterprise=enterprise,
        station_id=enterprise.station_id,
        request=request,
        service_type=service_type,
        kind=kind,
        visited_at=visited_at,
        summary=summary,
        created_by=actor,
    )
    visit.officers.set(officers)
    if request is not None:
        if request.first_visit_at is None or visited_at < request.first_visit_at:
            request.first_visit_at = visited_at
        request.status = RequestStatus.SERVICED
        request.save(update_fields=["first_visit_at", "status"])
        if request.channel == RequestChannel.PORTAL:
            notification_send(
                key=f"enterprises.request_serviced.{request.pk}",
                kind="enterprise_request_serviced",
                title=_("服务已完成，请评价：%(t)s") % {"t": request.service_type},
                recipients=[request.requested_by],
                body=summary[:500],
                link=reverse("enterprises:request_detail", args=[request.pk]),
                channels=[],
            )
    audit_record(actor=actor, action="visit.record", obj=visit, after=snapshot(visit))
    return visit


@transaction.atomic
def service_request_feedback(
    *, actor, request: ServiceRequest, satisfied: bool, score: int, comment: str = ""
) -> ServiceRequest:
    """The liaison's closing feedback, given once: satisfied or not, a score 1–5, a comment."""
    request = _lock_request(request)
    if actor.role != Role.LIAISON or actor.enterprise_id != request.enterprise_id:
        raise PermissionDenied(_("只有本企业联络员可以评价。"))
    if request.feedback_at is not None:
        raise StateConflict(_("该服务已评价，每项服务只能评价一次。"))
    if request.status != RequestStatus.SERVICED:
        raise StateConflict(_("民警尚未上门服务，暂不能评价。"))
    if satisfied is None:
        raise ValidationError({"satisfied": [_("请选择是否满意。")]})
    if score is None or not 1 <= int(score) <= 5:
        raise ValidationError({"score": [_("评分应为 1–5 分。")]})
    # a rating that contradicts the verdict ("不满意 · 5★") is not an answer: 3★ fits either
    if satisfied and int(score) < 3:
        raise ValidationError({"score": [_("选择“满意”时评分应为 3–5 星；如不满意请选择“不满意”。")]})
    if not satisfied and int(score) > 3:
        raise ValidationError({"score": [_("选择“不满意”时评分应为 1–3 星；如满意请选择“满意”。")]})
    request.satisfied, request.score, request.feedback_comment = bool(satisfied), int(score), comment
    request.feedback_at, request.feedback_by = timezone.now(), actor
    request.status = RequestStatus.CLOSED
    request.save(
        update_fields=["satisfied", "score", "feedback_comment", "feedback_at", "feedback_by", "status"]
    )
    audit_record(
        actor=actor,
        action="service_request.feedback",
        obj=request,
        after=snapshot(request, ["status", "satisfied", "score", "feedback_comment"]),
    )
    return request


# --- referrals to the partner window ---------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    actor,
    enterprise: Enterprise,
    partner: str,
    summary: str,
    request: ServiceRequest | None = None,
    referred_at: datetime | None = None,
) -> Referral:
    """Refer a matter to the procuratorate, court or mediation centre at the joint window."""
    if actor.role == Role.LIAISON:
        raise PermissionDenied(_("移送由民警办理。"))
    _require_station(actor, enterprise.station_id)
    if request is not None and request.enterprise_id != enterprise.pk:
        raise ValidationError({"request": [_("服务需求不属于该企业。")]})
    if not (summary or "").strip():
        raise ValidationError({"summary": [_("请填写移送事项。")]})
    referred_at = referred_at or timezone.now()
    _not_in_future(referred_at, "referred_at")
    referral = Referral.objects.create(
        enterprise=enterprise,
        station_id=enterprise.station_id,
        request=request,
        partner=partner,
        summary=summary,
        referred_at=referred_at,
        created_by=actor,
    )
    audit_record(actor=actor, action="referral.create", obj=referral, after=snapshot(referral))
    return referral


@transaction.atomic
def referral_set_status(*, actor, referral: Referral, status: str, note: str = "", at=None) -> Referral:
    """Record what the partner did: accepted, resolved or returned (resolved/returned are final)."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    _require_station(actor, referral.station_id)
    if status not in REFERRAL_TRANSITIONS.get(referral.status, set()):
        raise StateConflict(
            _("移送当前为“%(now)s”，不能改为该状态。") % {"now": referral.get_status_display()}
        )
    at = at or timezone.now()
    _not_in_future(at, "at")
    before = snapshot(referral, ["status", "status_note"])
    referral.status, referral.status_note, referral.status_at = status, note, at
    referral.save(update_fields=["status", "status_note", "status_at"])
    audit_record(
        actor=actor,
        action="referral.status",
        obj=referral,
        before=before,
        after=snapshot(referral, ["status", "status_note"]),
    )
    return referral


# --- lectures --------------------------------------------------------------------------------------


@transaction.atomic
def lecture_create(
    *,
    actor,
    team,
    enterprises,
    held_on: date,
    topic: str,
    audience_count: int,
    venue: str = "",
    materials=None,
    materials_note: str = "",
) -> Lecture:
    """Record a lecture a team gave at one or more enterprises of one station."""
    enterprises = list(enterprises)
    if not enterprises:
        raise ValidationError({"enterprises": [_("请至少选择一家企业。")]})
    stations = {e.station_id for e in enterprises}
    if len(stations) > 1:
        raise ValidationError({"enterprises": [_("一次宣讲的企业须属于同一派出所。")]})
    station_id = stations.pop()
    _require_station(actor, station_id)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": [_("只能登记已举办的宣讲。")]})
    if audience_count is None or audience_count < 1:
        raise ValidationError({"audience_count": [_("受众人数至少为 1。")]})
    if not (topic or "").strip():
        raise ValidationError({"topic": [_("请填写宣讲主题。")]})
    lecture = Lecture(
        team=team,
        station_id=station_id,
        held_on=held_on,
        topic=topic,
        audience_count=audience_count,
        venue=venue,
        materials_note=materials_note,
        created_by=actor,
    )
    if materials:
        # lecture slides and handouts as PDF or pictures (a PPT/Word file is saved as PDF first)
        lecture.materials = store_upload(materials, folder="enterprises/lectures", field="materials").name
    lecture.save()
    lecture.enterprises.set(enterprises)
    audit_record(actor=actor, action="lecture.create", obj=lecture, after=snapshot(lecture))
    return lecture


# --- neighbourhood watch ---------------------------------------------------------------------------


def _check_alliance_size(*, actor, count: int, override_reason: str) -> bool:
    """True when a size outside 10–15 is accepted by a leader's override (with a reason)."""
    if ALLIANCE_MIN_MEMBERS <= count <= ALLIANCE_MAX_MEMBERS:
        return False
    if not (override_reason or "").strip():
        raise ValidationError(
            {
                "members": [
                    _(
                        "守望联盟应由 %(min)s–%(max)s 家企业或商铺组成，当前为 %(n)s 家。"
                        "请调整成员，或由所领导填写例外理由后保存。"
                    )
                    % {"min": ALLIANCE_MIN_MEMBERS, "max": ALLIANCE_MAX_MEMBERS, "n": count}
                ]
            }
        )
    if actor.role not in LEADER_ROLES:
        raise PermissionDenied(_("成员数不在 10–15 家之间，只有所领导或分局领导可以例外批准。"))
    return True


def _check_members(*, alliance_id, station_id, members, leader_member) -> list[Enterprise]:
    members = list({m.pk: m for m in members}.values())
    outside = [m for m in members if m.station_id != station_id]
    if outside:
        raise ValidationError(
            {"members": [_("%(names)s 不在本联盟所属派出所辖区。") % {"names": "、".join(map(str, outside))}]}
        )
    taken = AllianceMember.objects.filter(enterprise__in=members).exclude(alliance_id=alliance_id)
    taken = list(taken.select_related("enterprise", "alliance"))
    if taken:
        raise ValidationError(
            {
                "members": [
                    _("%(names)s 已加入其他联盟。")
                    % {"names": "、".join(f"{t.enterprise}（{t.alliance}）" for t in taken)}
                ]
            }
        )
    if leader_member is not None and leader_member.pk not in {m.pk for m in members}:
        raise ValidationError({"leader_member": [_("盟主单位必须是联盟成员。")]})
    return members


def _clean_contacts(contacts) -> list[dict]:
    cleaned = []
    for i, contact in enumerate(contacts or [], start=1):
        if not isinstance(contact, dict) or not str(contact.get("name", "")).strip():
            raise ValidationError({"contacts": [_("第 %(i)s 个联系人缺少姓名。") % {"i": i}]})
        phone = str(contact.get("phone", "")).strip()
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            raise ValidationError(
                {"contacts": [_("第 %(i)s 个联系人：%(m)s") % {"i": i, "m": exc.messages[0]}]}
            ) from exc
        cleaned.append(
            {
                "name": str(contact["name"]).strip()[:50],
                "phone": phone,
                "duty": str(contact.get("duty", "")).strip()[:50],
            }
        )
    return cleaned


def _apply_override(*, actor, alliance: Alliance, overridden: bool, reason: str, count: int) -> None:
    if overridden:
        alliance.size_override_reason = reason.strip()
        alliance.size_override_by = actor
        alliance.size_override_at = timezone.now()
    else:
        alliance.size_override_reason, alliance.size_override_by, alliance.size_override_at = "", None, None


@transaction.atomic
def alliance_create(
    *,
    actor,
    name: str,
    station,
    area: str,
    members,
    leader_member=None,
    contacts=(),
    override_reason: str = "",
) -> Alliance:
    """Form an alliance of 10–15 members (outside that, only with a leader's reasoned override)."""
    _require_station(actor, station)
    members = _check_members(
        alliance_id=None, station_id=station.pk, members=members, leader_member=leader_member
    )
    overridden = _check_alliance_size(actor=actor, count=len(members), override_reason=override_reason)
    if Alliance.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("已有同名联盟。")]})
    alliance = Alliance(
        name=name,
        station=station,
        area=area,
        leader_member=leader_member,
        contacts=_clean_contacts(contacts),
        created_by=actor,
    )
    _apply_override(
        actor=actor, alliance=alliance, overridden=overridden, reason=override_reason, count=len(members)
    )
    alliance.full_clean()
    alliance.save()
    AllianceMember.objects.bulk_create([AllianceMember(alliance=alliance, enterprise=m) for m in members])
    after = {**snapshot(alliance), "members": [m.pk for m in members]}
    audit_record(actor=actor, action="alliance.create", obj=alliance, after=after)
    if overridden:
        audit_record(
            actor=actor,
            action="alliance.size_override",
            obj=alliance,
            after={"members": len(members), "reason": alliance.size_override_reason},
        )
    return alliance


@transaction.atomic
def alliance_update(
    *,
    actor,
    alliance: Alliance,
    name: str | None = None,
    area: str | None = None,
    members=None,
    leader_member=...,
    contacts=None,
    override_reason: str = "",
) -> Alliance:
    """Change an alliance; a new member list is checked against the 10–15 rule like at creation."""
    alliance = Alliance.objects.select_for_update().get(pk=alliance.pk)
    _require_station(actor, alliance.station_id)
    current = list(Enterprise.objects.filter(alliance_membership__alliance=alliance))
    before = {**snapshot(alliance), "members": sorted(m.pk for m in current)}
    new_members = current if members is None else list(members)
    leader = alliance.leader_member if leader_member is ... else leader_member
    new_members = _check_members(
        alliance_id=alliance.pk, station_id=alliance.station_id, members=new_members, leader_member=leader
    )
    if members is not None or override_reason:
        overridden = _check_alliance_size(
            actor=actor, count=len(new_members), override_reason=override_reason
        )
        _apply_override(
            actor=actor,
            alliance=alliance,
            overridden=overridden,
            reason=override_reason,
            count=len(new_members),
        )
    else:
        overridden = False
    if name is not None:
        if Alliance.objects.filter(name=name).exclude(pk=alliance.pk).exists():
            raise ValidationError({"name": [_("已有同名联盟。")]})
        alliance.name = name
    if area is not None:
        alliance.area = area
    if contacts is not None:
        alliance.contacts = _clean_contacts(contacts)
    alliance.leader_member = leader
    alliance.full_clean()
    alliance.save()
    if members is not None:
        keep = {m.pk for m in new_members}
        AllianceMember.objects.filter(alliance=alliance).exclude(enterprise__in=keep).delete()
        existing = {m.pk for m in current}
        AllianceMember.objects.bulk_create(
            [AllianceMember(alliance=alliance, enterprise=m) for m in new_members if m.pk not in existing]
        )
    after = {**snapshot(alliance), "members": sorted(m.pk for m in new_members)}
    audit_record(actor=actor, action="alliance.update", obj=alliance, before=before, after=after)
    if overridden:
        audit_record(
            actor=actor,
            action="alliance.size_override",
            obj=alliance,
            after={"members": len(new_members), "reason": alliance.size_override_reason},
        )
    return alliance


@transaction.atomic
def watch_call_create(*, actor, alliance: Alliance, place: str, message: str, incident=None) -> WatchCall:
    """Police ask an alliance to respond first: every member's liaison gets it in the inbox, and the
    channels subscribed to ``watch_call`` (the station's DingTalk/WeCom groups) get it too."""
    from .selectors import member_liaisons

    if actor.role == Role.LIAISON:
        raise PermissionDenied(_("先期处置请求由民警发起。"))
    _require_station(actor, alliance.station_id)
    if not alliance.is_active:
        raise StateConflict(_("该联盟已停用。"))
    if not (place or "").strip():
        raise ValidationError({"place": [_("请填写地点。")]})
    if incident is not None and incident.station_id != alliance.station_id:
        raise ValidationError({"incident": [_("警情不属于该联盟所在派出所。")]})
    recipients = list(member_liaisons(alliance))
    call = WatchCall.objects.create(
        alliance=alliance,
        incident=incident,
        place=place,
        message=message,
        requested_by=actor,
        recipients=len(recipients),
    )
    notification_send(
        key=f"enterprises.watch_call.{call.pk}",
        kind="watch_call",
        title=_("邻里守望先期处置请求：%(place)s") % {"place": place},
        body=_("%(alliance)s：%(message)s 民警正在赶来，请就近成员先行劝阻、保护现场，并在平台登记处置情况。")
        % {"alliance": alliance.name, "message": message},
        recipients=recipients,
        station=alliance.station,
        link=reverse("enterprises:response_new") + f"?call={call.pk}",
        level=Level.WARNING,
    )
    audit_record(actor=actor, action="watch_call.create", obj=call, after=snapshot(call))
    return call


@transaction.atomic
def first_response_report(
    *,
    actor,
    alliance: Alliance,
    member: Enterprise | None,
    occurred_at: datetime,
    place: str,
    action_taken: str,
    outcome: str,
    police_arrived_at: datetime | None = None,
    incident=None,
    call: WatchCall | None = None,
) -> FirstResponse:
    """A member reports a conflict it handled before the police arrived (liaisons: for their own
    enterprise; officers may record it on a member's behalf)."""
    if actor.role == Role.LIAISON:
        member = actor.enterprise
    else:
        _require_station(actor, alliance.station_id)
    if member is None:
        raise ValidationError({"member": [_("请选择处置成员。")]})
    if not AllianceMember.objects.filter(alliance=alliance, enterprise=member).exists():
        raise ValidationError({"member": [_("%(m)s 不是该联盟成员。") % {"m": member}]})
    _not_in_future(occurred_at, "occurred_at")
    _not_in_future(police_arrived_at, "police_arrived_at")
    if police_arrived_at is not None and police_arrived_at < occurred_at:
        raise ValidationError({"police_arrived_at": [_("民警到场时间不能早于发生时间。")]})
    for field, value in (("place", place), ("action_taken", action_taken), ("outcome", outcome)):
        if not (value or "").strip():
            raise ValidationError({field: [_("此项必填。")]})
    if call is not None and call.alliance_id != alliance.pk:
        raise ValidationError({"call": [_("该请求不是发给本联盟的。")]})
    if incident is not None and incident.station_id != alliance.station_id:
        raise ValidationError({"incident": [_("警情不属于该联盟所在派出所。")]})
    response = FirstResponse.objects.create(
        alliance=alliance,
        station_id=alliance.station_id,
        member=member,
        call=call,
        incident=incident or (call.incident if call else None),
        occurred_at=occurred_at,
        police_arrived_at=police_arrived_at,
        place=place,
        action_taken=action_taken,
        outcome=outcome,
        reported_by=actor,
    )
    audit_record(actor=actor, action="first_response.report", obj=response, after=snapshot(response))
    return response


@transaction.atomic
def first_response_review(
    *, actor, response: FirstResponse, confirmed: bool, note: str = ""
) -> FirstResponse:
    """Police confirm (or decline) a reported first response; only confirmed ones count."""
    response = FirstResponse.objects.select_for_update().get(pk=response.pk)
    if actor.role == Role.LIAISON:
        raise PermissionDenied(_("先期处置由民警确认。"))
    _require_station(actor, response.station_id)
    if response.status != ResponseStatus.REPORTED:
        raise StateConflict(_("该记录已确认或已退回。"))
    if not confirmed and not (note or "").strip():
        raise ValidationError({"note": [_("不予确认时请说明理由。")]})
    response.status = ResponseStatus.CONFIRMED if confirmed else ResponseStatus.REJECTED
    response.confirmed_by, response.confirmed_at, response.confirm_note = actor, timezone.now(), note
    response.save(update_fields=["status", "confirmed_by", "confirmed_at", "confirm_note"])
    audit_record(
        actor=actor,
        action="first_response.review",
        obj=response,
        after=snapshot(response, ["status", "confirm_note"]),
    )
    return response
