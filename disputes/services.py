"""Every write of the disputes app: keyword-only, atomic, validated, audited."""

import uuid
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.exchange.choices import OutboundKind
from qianwan.exchange.services import outbound_create
from qianwan.kpi import add_months, local_tz
from qianwan.org.choices import LEADER_ROLES, Role
from qianwan.org.scopes import can_act_for_station
from qianwan.validators import earlier_to_the_second, field_errors, normalize_phone, validate_phone

from . import conf, geo
from .choices import (
    CHANNEL_FOR_LEVEL,
    Category,
    Channel,
    EventKind,
    FollowupOutcome,
    PartyRole,
    RiskLevel,
    Status,
)
from .models import Block, BlockCell, CaseFile, ChannelContact, Dispute, DisputeEvent, Followup, Party

FUTURE_TOLERANCE = timedelta(minutes=5)
DISPUTE_FIELDS = [
    "station",
    "block",
    "case_file",
    "category",
    "risk_level",
    "channel",
    "status",
    "summary",
    "address",
    "lat",
    "lon",
    "incident",
    "inbound_event",
    "officer",
    "handling_org",
    "handling_contact",
    "handling_phone",
    "handled_at",
    "closed_at",
    "followup_until",
    "close_approved_by",
    "close_approved_at",
    "close_approval_reason",
]


def _check_station(actor, station) -> None:
    if not can_act_for_station(actor, station):
        raise PermissionDenied(_("只能办理本所的纠纷。"))


def _check_time(at: datetime, *, field: str, not_before: datetime | None = None, label: str = "") -> None:
    if timezone.is_naive(at):
        raise ValidationError({field: [_("时间必须带时区。")]})
    if at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: [_("时间不能晚于当前时间。")]})
    if not_before is not None and earlier_to_the_second(at, not_before):
        raise ValidationError({field: [_("时间不能早于%(what)s。") % {"what": label}]})


def _event(dispute, kind, *, actor, at=None, note="", data=None) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        kind=kind,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note or "",
        data=data or {},
    )


# --- blocks -------------------------------------------------------------------------------------


@transaction.atomic
def block_save(
    *,
    actor,
    station,
    name: str,
    officer=None,
    cells: list[str] | None = None,
    polygon: list | None = None,
    note: str = "",
    block: Block | None = None,
) -> Block:
    """Create or change a block; its area is a polygon ([[lat, lon], …]) or a list of H3 cells."""
    _check_station(actor, station)
    if actor.role not in LEADER_ROLES:
        raise PermissionDenied(_("只有所领导或分局领导可以划分片区。"))
    if polygon:
        try:
            if len(polygon) < 3:
                raise ValueError
            cell_list = geo.polygon_cells(polygon)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"polygon": [_("多边形至少需要3个 [纬度, 经度] 顶点。")]}) from exc
    else:
        try:
            cell_list = geo.normalise_cells(cells or [])
        except ValueError as exc:
            raise ValidationError({"cells": [_("无效的 H3 网格编号：%(cell)s") % {"cell": exc}]}) from exc
    if not cell_list:
        raise ValidationError({"cells": [_("请提供片区范围：H3 网格或边界多边形。")]})
    if officer is not None and (officer.station_id != station.pk or officer.role != Role.OFFICER):
        raise ValidationError({"officer": [_("责任民警必须是本所民警。")]})
    before = snapshot(block, fields=["name", "officer", "polygon", "note"]) if block else None
    if block is None:
        block = Block(station=station)
    block.name, block.officer, block.polygon, block.note = name, officer, polygon or None, note
    block.full_clean(exclude=["station"])
    try:
        with transaction.atomic():
            block.save()
            BlockCell.objects.filter(block=block).delete()
            BlockCell.objects.bulk_create([BlockCell(block=block, cell=c) for c in cell_list])
    except IntegrityError as exc:
        taken = (
            BlockCell.objects.filter(cell__in=cell_list).exclude(block=block).select_related("block").first()
        )
        raise ValidationError(
            {"cells": [_("范围与片区“%(other)s”重叠。") % {"other": taken.block if taken else "?"}]}
        ) from exc
    audit_record(
        actor=actor,
        action="disputes.block.save",
        obj=block,
        before=before,
        after={**snapshot(block, fields=["name", "officer", "polygon", "note"]), "cells": len(cell_list)},
    )
    return block


# --- case files ---------------------------------------------------------------------------------


@transaction.atomic
def casefile_save(
    *,
    actor,
    station,
    category: str,
    title: str,
    measures: str = "",
    block: Block | None = None,
    review_every_days: int = 30,
    case_file: CaseFile | None = None,
) -> CaseFile:
    """建策建档: create or change the file for one type of dispute; links that type's open disputes."""
    _check_station(actor, station)
    if block is not None and block.station_id != station.pk:
        raise ValidationError({"block": [_("片区不属于该派出所。")]})
    if category not in Category.values:
        raise ValidationError({"category": [_("未知的纠纷类型。")]})
    before = snapshot(case_file, fields=["title", "measures", "review_every_days"]) if case_file else None
    creating = case_file is None
    if creating:
        if CaseFile.objects.filter(station=station, block=block, category=category).exists():
            raise ValidationError({"category": [_("该片区的此类纠纷已建档，请在原档案中补充措施。")]})
        case_file = CaseFile(station=station, block=block, category=category, created_by=actor)
        case_file.next_review_on = timezone.localdate() + timedelta(days=review_every_days)
    case_file.title, case_file.measures, case_file.review_every_days = title, measures, review_every_days
    case_file.full_clean(exclude=["station", "block", "created_by"])
    case_file.save()
    if creating:
        disputes = Dispute.objects.filter(station=station, category=category, case_file__isnull=True)
        disputes = disputes.filter(block=block) if block else disputes
        disputes.update(case_file=case_file)
    audit_record(
        actor=actor,
        action="disputes.casefile.save",
        obj=case_file,
        before=before,
        after=snapshot(case_file, fields=["title", "measures", "review_every_days"]),
    )
    return case_file


@transaction.atomic
def casefile_review(*, actor, case_file: CaseFile, note: str = "", measures: str | None = None) -> CaseFile:
    """Record a review of a case file (measures still right?) and set the next review date."""
    _check_station(actor, case_file.station_id)
    case_file = CaseFile.objects.select_for_update().get(pk=case_file.pk)
    before = snapshot(case_file, fields=["measures", "last_reviewed_on", "next_review_on"])
    today = timezone.localdate()
    case_file.last_reviewed_on = today
    case_file.next_review_on = today + timedelta(days=case_file.review_every_days)
    if measures is not None:
        case_file.measures = measures
    case_file.save()
    audit_record(
        actor=actor,
        action="disputes.casefile.review",
        obj=case_file,
        before=before,
        after={
            **snapshot(case_file, fields=["measures", "last_reviewed_on", "next_review_on"]),
            "note": note,
        },
    )
    return case_file


# --- disputes -----------------------------------------------------------------------------------


def channel_default(station, channel: str) -> ChannelContact | None:
    return ChannelContact.objects.filter(station=station, channel=channel).first()


def _apply_channel(dispute: Dispute, channel: str, *, keep_contact: bool = False) -> None:
    dispute.channel = channel
    if keep_contact and dispute.handling_org:
        return
    contact = channel_default(dispute.station, channel)
    dispute.handling_org = contact.organisation if contact else ""
    dispute.handling_contact = contact.contact_name if contact else ""
    dispute.handling_phone = contact.contact_phone if contact else ""


def _validate_parties(parties) -> list[dict]:
    """Every party's problems at once (a name, a phone by the shared check, a role)."""
    clean, errors = [], []
    for index, party in enumerate(parties or []):
        name = str(party.get("name", "")).strip()
        phone = normalize_phone(str(party.get("phone", "") or "").strip())
        if not name:
            errors.append(_("第%(n)d位当事人缺少姓名。") % {"n": index + 1})
        for message in field_errors([("phone", validate_phone, phone)]).get("phone", []):
            errors.append(_("第%(n)d位当事人：%(m)s") % {"n": index + 1, "m": message})
        role = party.get("role") or PartyRole.APPLICANT
        if role not in PartyRole.values:
            errors.append(_("第%(n)d位当事人的身份无效。") % {"n": index + 1})
        if errors:
            continue
        clean.append(
            {
                "name": name[:100],
                "phone": phone,
                "role": role,
                "note": str(party.get("note", "") or "")[:200],
            }
        )
    if errors:
        raise ValidationError({"parties": errors})
    return clean


def _followup_until(handled_at: datetime) -> date | None:
    months = conf.followup_months()
    if months <= 0:
        return None
    local = handled_at.astimezone(local_tz())
    year, month = add_months(local.year, local.month, months)
    return date(year, month, 1)


@transaction.atomic
def dispute_create(
    *,
    actor,
    station,
    category: str,
    risk_level: str,
    summary: str,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    occurred_at: datetime | None = None,
    incident=None,
    inbound_event=None,
    standard_address=None,
    parties: list[dict] | None = None,
    handling_org: str = "",
    handling_contact: str = "",
    handling_phone: str = "",
) -> Dispute:
    """Register a dispute: the channel follows the risk level (三分法); the block and the type's case
    file follow from the place; the block's officer (or the creator) becomes responsible."""
    _check_station(actor, station)
    if risk_level not in RiskLevel.values:
        raise ValidationError({"risk_level": [_("风险等级只能是 low、medium 或 high。")]})
    if category not in Category.values:
        raise ValidationError(
            {"category": [_("纠纷类型无效，可选：%(v)s") % {"v": "、".join(Category.values)}]}
        )
    if not (summary or "").strip():
        raise ValidationError({"summary": [_("请填写纠纷概要。")]})
    if (lat is None) != (lon is None):
        raise ValidationError({"lat": [_("纬度和经度必须同时提供。")]})
    if incident is not None:
        if incident.station_id != station.pk:
            raise ValidationError({"incident": [_("关联警情不属于该派出所。")]})
        if Dispute.objects.filter(incident=incident).exists():
            raise ValidationError({"incident": [_("该警情已登记为纠纷。")]})
        occurred_at = occurred_at or incident.received_at
    if inbound_event is not None and Dispute.objects.filter(inbound_event=inbound_event).exists():
        raise ValidationError({"inbound_event": [_("该网格事件已受理为纠纷。")]})
    now = timezone.now()
    occurred_at = occurred_at or now
    _check_time(occurred_at, field="occurred_at")
    clean_parties = _validate_parties(parties)
    from .selectors import block_for_point

    block = block_for_point(station=station, lat=lat, lon=lon)
    case_file = (
        CaseFile.objects.filter(station=station, category=category, block=block).first()
        or CaseFile.objects.filter(station=station, category=category, block__isnull=True).first()
    )
    officer = block.officer if block and block.officer_id else None
    if officer is None and actor.role == Role.OFFICER:
        officer = actor
    dispute = Dispute(
        number=f"TMP-{uuid.uuid4().hex[:24]}",  # replaced by the pk-based number below
        station=station,
        block=block,
        case_file=case_file,
        category=category,
        risk_level=risk_level,
        summary=summary.strip(),
        address=address or "",
        standard_address=standard_address,
        lat=lat,
        lon=lon,
        h3_cell=geo.cell_for(lat, lon),
        occurred_at=occurred_at,
        incident=incident,
        inbound_event=inbound_event,
        officer=officer,
        created_by=actor,
        handling_org=handling_org,
        handling_contact=handling_contact,
        handling_phone=handling_phone,
    )
    _apply_channel(dispute, CHANNEL_FOR_LEVEL[risk_level], keep_contact=True)
    dispute.full_clean(exclude=["number", "station", "incident", "inbound_event", "officer", "created_by"])
    dispute.save()
    dispute.number = f"JF{occurred_at.astimezone(local_tz()):%Y}{dispute.pk:06d}"
    dispute.save(update_fields=["number"])
    Party.objects.bulk_create([Party(dispute=dispute, **p) for p in clean_parties])
    _event(dispute, EventKind.CREATED, actor=actor, at=now, data={"risk_level": risk_level})
    audit_record(
        actor=actor,
        action="disputes.dispute.create",
        obj=dispute,
        after={**snapshot(dispute, fields=DISPUTE_FIELDS), "parties": len(clean_parties)},
    )
    return dispute


def _locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().select_related("station").get(pk=dispute.pk)


def _move(*, actor, dispute, allowed_from, new_status, kind, note="", at=None, action, extra=None):
    _check_station(actor, dispute.station_id)
    dispute = _locked(dispute)
    if dispute.status not in allowed_from:
        raise StateConflict(
            _("纠纷当前状态为“%(s)s”，不能%(what)s。")
            % {"s": dispute.get_status_display(), "what": kind.label}
        )
    at = at or timezone.now()
    before = snapshot(dispute, fields=DISPUTE_FIELDS)
    dispute.status = new_status
    for field, value in (extra or {}).items():
        setattr(dispute, field, value)
    dispute.save()
    _event(dispute, kind, actor=actor, at=at, note=note)
    audit_record(
        actor=actor, action=action, obj=dispute, before=before, after=snapshot(dispute, fields=DISPUTE_FIELDS)
    )
    return dispute


@transaction.atomic
def dispute_start(*, actor, dispute: Dispute, note: str = "") -> Dispute:
    """The handling channel has taken the dispute up (open/escalated → in_progress)."""
    return _move(
        actor=actor,
        dispute=dispute,
        allowed_from={Status.OPEN, Status.ESCALATED},
        new_status=Status.IN_PROGRESS,
        kind=EventKind.STARTED,
        note=note,
        action="disputes.dispute.start",
    )


@transaction.atomic
def dispute_add_note(*, actor, dispute: Dispute, note: str, at: datetime | None = None) -> DisputeEvent:
    """A progress note on the timeline; the first note on an open dispute means work has started."""
    _check_station(actor, dispute.station_id)
    if not (note or "").strip():
        raise ValidationError({"note": [_("请填写进展情况。")]})
    dispute = _locked(dispute)
    if dispute.status == Status.CLOSED:
        raise StateConflict(_("纠纷已结案，不能再记录进展。"))
    at = at or timezone.now()
    _check_time(at, field="at")
    if dispute.status == Status.OPEN:
        dispute.status = Status.IN_PROGRESS
        dispute.save(update_fields=["status", "updated_at"])
    event = _event(dispute, EventKind.NOTE, actor=actor, at=at, note=note.strip())
    audit_record(actor=actor, action="disputes.dispute.note", obj=dispute, after={"note": note.strip()})
    return event


@transaction.atomic
def dispute_resolve(*, actor, dispute: Dispute, note: str = "", at: datetime | None = None) -> Dispute:
    """处置完毕 → `handled`; from now the follow-up cadence applies."""
    at = at or timezone.now()
    _check_time(at, field="at", not_before=dispute.occurred_at, label=_("纠纷发生时间"))
    return _move(
        actor=actor,
        dispute=dispute,
        allowed_from={Status.OPEN, Status.IN_PROGRESS, Status.ESCALATED},
        new_status=Status.HANDLED,
        kind=EventKind.RESOLVED,
        note=note,
        at=at,
        action="disputes.dispute.resolve",
        extra={"handled_at": at, "followup_until": _followup_until(at)},
    )


def followups_since_handled(dispute: Dispute) -> int:
    """Follow-ups recorded (entered) after the dispute was last marked handled."""
    if dispute.handled_at is None:
        return 0
    return dispute.followups.filter(created_at__gte=dispute.handled_at).count()


def _approve_close(*, actor, dispute: Dispute, reason: str) -> None:
    if actor.role != Role.STATION_LEADER:
        raise PermissionDenied(_("回访次数不足时，只有所领导可以批准结案。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"approval_reason": [_("批准结案必须说明理由。")]})
    before = snapshot(dispute, fields=["close_approved_by", "close_approved_at", "close_approval_reason"])
    dispute.close_approved_by = actor
    dispute.close_approved_at = timezone.now()
    dispute.close_approval_reason = reason[:2000]
    dispute.save(
        update_fields=["close_approved_by", "close_approved_at", "close_approval_reason", "updated_at"]
    )
    _event(
        dispute,
        EventKind.CLOSE_APPROVED,
        actor=actor,
        note=reason,
        data={"followups": followups_since_handled(dispute), "required": conf.close_min_followups()},
    )
    audit_record(
        actor=actor,
        action="disputes.dispute.close_approve",
        obj=dispute,
        before=before,
        after=snapshot(dispute, fields=["close_approved_by", "close_approved_at", "close_approval_reason"]),
    )


@transaction.atomic
def dispute_close(*, actor, dispute: Dispute, note: str = "", approval_reason: str = "") -> Dispute:
    """结案: the follow-ups are done; the cadence stops.

    Needs DISPUTE_CLOSE_MIN_FOLLOWUPS follow-ups recorded since the dispute was marked handled, or a
    station leader's approval: a station leader closing with ``approval_reason`` (recorded on the
    dispute and its timeline, audited); otherwise StateConflict ``followups_required`` (409)."""
    _check_station(actor, dispute.station_id)
    locked = _locked(dispute)
    if locked.status == Status.HANDLED:
        done, required = followups_since_handled(locked), conf.close_min_followups()
        if done < required:
            if not (approval_reason or "").strip():
                raise StateConflict(
                    _(
                        "处置后已回访 %(done)d 次，结案至少需要 %(required)d 次回访，"
                        "或由所领导填写理由批准结案。"
                    )
                    % {"done": done, "required": required},
                    code="followups_required",
                )
            _approve_close(actor=actor, dispute=locked, reason=approval_reason)
    closed = _move(
        actor=actor,
        dispute=locked,
        allowed_from={Status.HANDLED},
        new_status=Status.CLOSED,
        kind=EventKind.CLOSED,
        note=note,
        action="disputes.dispute.close",
        extra={"closed_at": timezone.now()},
    )
    if closed.inbound_event_id:
        # the grid/12345 event this dispute came from is done: its partner hears `handled`
        from qianwan.exchange.services import inbound_result_closed

        inbound_result_closed(
            actor=actor,
            event_id=closed.inbound_event_id,
            note=note or _("纠纷 %(number)s 已结案") % {"number": closed.number},
            at=closed.closed_at,
        )
    return closed


@transaction.atomic
def dispute_escalate(*, actor, dispute: Dispute, note: str) -> Dispute:
    """The dispute got worse: escalated (the station's leaders are told), with a reason."""
    if not (note or "").strip():
        raise ValidationError({"note": [_("升级必须说明理由。")]})
    dispute = _move(
        actor=actor,
        dispute=dispute,
        allowed_from={Status.OPEN, Status.IN_PROGRESS, Status.HANDLED},
        new_status=Status.ESCALATED,
        kind=EventKind.ESCALATED,
        note=note,
        action="disputes.dispute.escalate",
        extra={"escalated_at": timezone.now(), "followup_until": None},
    )
    from qianwan.notify.choices import Level
    from qianwan.notify.services import notification_send
    from qianwan.org import selectors as org_selectors

    notification_send(
        key=f"disputes.escalated:{dispute.pk}:{dispute.escalated_at:%Y%m%d%H%M%S}",
        kind="disputes.escalated",
        title=_("纠纷升级：%(n)s %(c)s") % {"n": dispute.number, "c": dispute.get_category_display()},
        body=note,
        station=dispute.station,
        link=f"/disputes/{dispute.pk}/",
        level=Level.ESCALATION,
        recipients=org_selectors.station_users(station=dispute.station, roles=(Role.STATION_LEADER,)),
    )
    return dispute


@transaction.atomic
def dispute_retriage(
    *, actor, dispute: Dispute, risk_level: str, reason: str, channel: str | None = None
) -> Dispute:
    """A leader changes the risk level (and so the channel, or one they pick) with a reason; audited."""
    _check_station(actor, dispute.station_id)
    if actor.role not in LEADER_ROLES:
        raise PermissionDenied(_("只有领导可以重新分级。"))
    if risk_level not in RiskLevel.values:
        raise ValidationError({"risk_level": [_("风险等级只能是 low、medium 或 high。")]})
    if channel is not None and channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的处置机制。")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("重新分级必须说明理由。")]})
    dispute = _locked(dispute)
    if dispute.status == Status.CLOSED:
        raise StateConflict(_("纠纷已结案，不能重新分级。"))
    before = snapshot(dispute, fields=DISPUTE_FIELDS)
    old = (dispute.risk_level, dispute.channel)
    new_channel = channel or CHANNEL_FOR_LEVEL[risk_level]
    dispute.risk_level = risk_level
    if new_channel != dispute.channel:
        _apply_channel(dispute, new_channel)
    dispute.save()
    _event(
        dispute,
        EventKind.RETRIAGED,
        actor=actor,
        note=reason.strip(),
        data={"from": list(old), "to": [risk_level, new_channel]},
    )
    audit_record(
        actor=actor,
        action="disputes.dispute.retriage",
        obj=dispute,
        before=before,
        after={**snapshot(dispute, fields=DISPUTE_FIELDS), "reason": reason.strip()},
    )
    return dispute


@transaction.atomic
def dispute_update_handling(
    *, actor, dispute: Dispute, handling_org: str, handling_contact: str = "", handling_phone: str = ""
) -> Dispute:
    """Who handles the dispute within its channel (organisation and contact)."""
    _check_station(actor, dispute.station_id)
    errors = field_errors([("handling_phone", validate_phone, handling_phone)])
    if errors:
        raise ValidationError(errors)
    dispute = _locked(dispute)
    before = snapshot(dispute, fields=["handling_org", "handling_contact", "handling_phone"])
    dispute.handling_org, dispute.handling_contact, dispute.handling_phone = (
        handling_org,
        handling_contact,
        handling_phone,
    )
    dispute.save()
    audit_record(
        actor=actor,
        action="disputes.dispute.handling",
        obj=dispute,
        before=before,
        after=snapshot(dispute, fields=["handling_org", "handling_contact", "handling_phone"]),
    )
    return dispute


@transaction.atomic
def dispute_push(*, actor, dispute: Dispute, note: str = "", target: str = "grid") -> Dispute:
    """Push a dispute to the grid platform for attention (推送关注); the partner's ack shows on it."""
    _check_station(actor, dispute.station_id)
    dispute = _locked(dispute)
    if dispute.status == Status.CLOSED:
        raise StateConflict(_("纠纷已结案，无需推送。"))
    from qianwan.exchange.choices import OutboundStatus
    from qianwan.exchange.selectors import outbound_for

    if outbound_for(dispute).filter(status__in=[OutboundStatus.PENDING, OutboundStatus.ACCEPTED]).exists():
        raise StateConflict(_("该纠纷已推送，平台尚未办结。"))
    outbound_create(
        actor=actor,
        target=target,
        kind=OutboundKind.DISPUTE,
        title=_("矛盾纠纷关注：%(n)s %(c)s") % {"n": dispute.number, "c": dispute.get_category_display()},
        payload={
            "number": dispute.number,
            "category": dispute.category,
            "risk_level": dispute.risk_level,
            "channel": dispute.channel,
            "status": dispute.status,
            "address": dispute.address,
            "lat": dispute.lat,
            "lon": dispute.lon,
            "summary": dispute.summary,
            "block": dispute.block.name if dispute.block_id else "",
            "note": note,
        },
        station=dispute.station,
        source=dispute,
    )
    before = snapshot(dispute, fields=["pushed_at"])
    dispute.pushed_at = dispute.pushed_at or timezone.now()
    dispute.save(update_fields=["pushed_at", "updated_at"])
    _event(dispute, EventKind.PUSHED, actor=actor, note=note, data={"target": target})
    audit_record(
        actor=actor,
        action="disputes.dispute.push",
        obj=dispute,
        before=before,
        after={**snapshot(dispute, fields=["pushed_at"]), "target": target},
    )
    return dispute


@transaction.atomic
def followup_record(
    *, actor, dispute: Dispute, outcome: str, note: str = "", at: datetime | None = None
) -> Followup:
    """A follow-up visit (回访) of a handled dispute."""
    _check_station(actor, dispute.station_id)
    if outcome not in FollowupOutcome.values:
        raise ValidationError(
            {"outcome": [_("回访结果无效，可选：%(v)s") % {"v": "、".join(FollowupOutcome.values)}]}
        )
    dispute = _locked(dispute)
    if dispute.status != Status.HANDLED:
        raise StateConflict(
            _("只有“已处置”的纠纷需要回访（当前：%(s)s）。") % {"s": dispute.get_status_display()}
        )
    at = at or timezone.now()
    # Not bounded by handled_at: a visit recorded late may carry the day it happened.
    _check_time(at, field="at", not_before=dispute.occurred_at, label=_("纠纷发生时间"))
    followup = Followup.objects.create(dispute=dispute, at=at, outcome=outcome, note=note or "", by=actor)
    _event(
        dispute,
        EventKind.FOLLOWUP,
        actor=actor,
        at=at,
        note=note,
        data={"outcome": outcome, "followup": followup.pk},
    )
    audit_record(
        actor=actor,
        action="disputes.followup.create",
        obj=dispute,
        after=snapshot(followup, fields=["at", "outcome", "note"]),
    )
    return followup


@transaction.atomic
def parties_reveal(*, actor, dispute: Dispute) -> list[Party]:
    """Show the unmasked parties to a role that sees them masked: an audited click (who, when, which
    dispute, which fields: qianwan.masking.reveal)."""
    from qianwan.masking import reveal

    reveal(
        actor=actor, obj=dispute, fields=["parties.name", "parties.phone"], action="disputes.parties.reveal"
    )
    _event(dispute, EventKind.REVEALED, actor=actor)
    return list(dispute.parties.all())


@transaction.atomic
def dispute_accept_inbound(*, actor, event, **fields) -> Dispute:
    """Accept an inbound grid/12345 event as a dispute; the outcome flows back to the platform."""
    from qianwan.exchange.choices import InboundStatus
    from qianwan.exchange.services import inbound_work

    if event.status != InboundStatus.PENDING:
        raise StateConflict(_("该事件已处理，不能再受理为纠纷。"))
    dispute = dispute_create(actor=actor, inbound_event=event, **fields)
    inbound_work(actor=actor, event=event, status=InboundStatus.ACCEPTED, result=dispute)
    return dispute


# --- follow-up cadence sweep --------------------------------------------------------------------


def followup_reminders_send(*, now: datetime | None = None) -> dict:
    """The daily follow-up sweep (beat runs it hourly; it acts from the configured local hour).

    - Each handled dispute behind the month's pace: its responsible officer (else the block's officer,
      else the station's leaders) gets a reminder, at most once per dispute per local day (the key).
    - A case file whose review date has come: its station's leaders are told, once per review date.
    - In the first week of a month: one report per station to its leaders of the disputes that ended
      the previous month short of the required follow-ups (once per station and month, by key).

    Only notifications are written and each has a unique key, so two workers running it at once, or a
    rerun after a missed hour, send nothing twice.
    """
    from qianwan.notify.choices import Level
    from qianwan.notify.services import notification_send
    from qianwan.org import selectors as org_selectors
    from qianwan.org.models import Station

    from . import selectors

    now = now or timezone.now()
    local = now.astimezone(local_tz())
    result = {"reminded": 0, "reports": 0, "reviews": 0}
    if local.hour < conf.sweep_not_before_hour():
        return result
    required = conf.followups_per_month()

    leaders_by_station: dict[int, list] = {}

    def leaders_of(station):
        """The station's leaders, else the bureau's: read once per station in this run, not per item."""
        if station.pk not in leaders_by_station:
            leaders = list(org_selectors.station_users(station=station, roles=(Role.STATION_LEADER,)))
            leaders_by_station[station.pk] = leaders or list(
                org_selectors.users_with_role(Role.BUREAU_LEADER)
            )
        return leaders_by_station[station.pk]

    for dispute in selectors.disputes_behind(at=now):
        officer = dispute.officer or (dispute.block.officer if dispute.block_id else None)
        recipients = [officer] if officer is not None and officer.is_active else leaders_of(dispute.station)
        _n, created = notification_send(
            key=f"disputes.followup_behind:{dispute.pk}:{local.date().isoformat()}",
            kind="disputes.followup_behind",
            title=_("纠纷待回访：%(n)s（本月已回访 %(c)d/%(r)d 次）")
            % {"n": dispute.number, "c": dispute.month_followups, "r": required},
            body=dispute.summary[:200],
            station=dispute.station,
            link=f"/disputes/{dispute.pk}/",
            level=Level.WARNING,
            recipients=recipients,
        )
        result["reminded"] += int(created)

    # 建策建档: a case file whose review date has come is put before the station's leaders, once per date
    for case_file in selectors.casefiles_due_review(day=local.date()):
        _n, created = notification_send(
            key=f"disputes.casefile_review:{case_file.pk}:{case_file.next_review_on.isoformat()}",
            kind="disputes.casefile_review",
            title=_("纠纷类型档案待复查：%(t)s") % {"t": case_file.title},
            body=case_file.measures[:300],
            station=case_file.station,
            link="/disputes/casefiles/",
            recipients=leaders_of(case_file.station),
        )
        result["reviews"] += int(created)

    if local.day <= 7:
        year, month = add_months(local.year, local.month, -1)
        shortfall = selectors.month_shortfall(year=year, month=month)
        stations = Station.objects.in_bulk(list(shortfall))
        for station_id, disputes in shortfall.items():
            station = stations[station_id]
            lines = [
                f"{d.number} {d.get_category_display()} "
                + _("回访 %(c)d/%(r)d 次") % {"c": d.month_followups, "r": required}
                + (f"（{d.officer.display_name}）" if d.officer_id else "")
                for d in disputes
            ]
            _n, created = notification_send(
                key=f"disputes.followup_month_short:{station_id}:{year:04d}-{month:02d}",
                kind="disputes.followup_month_short",
                title=_("%(y)d年%(m)d月回访未达标纠纷 %(k)d 起")
                % {"y": year, "m": month, "k": len(disputes)},
                body="\n".join(lines),
                station=station,
                link="/disputes/followups/",
                level=Level.WARNING,
                recipients=leaders_of(station),
            )
            result["reports"] += int(created)
    return result
