"""Every write of the risks app: the hazard ledger, the overdue sweep, early warning and campaigns.

Bad input raises ``ValidationError`` (400), a rule about *who* ``PermissionDenied`` (403), a state
that forbids the change ``StateConflict`` (409) — checked in the contract's order (403, 400, 409).
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qianwan.attachments.models import Attachment
from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.kpi import local_day_range
from qianwan.notify.choices import Level
from qianwan.notify.services import notification_send
from qianwan.org import selectors as org_selectors
from qianwan.org.choices import LEADER_ROLES, STAFF_ROLES, Role
from qianwan.org.models import Station
from qianwan.org.people import station_people
from qianwan.org.scopes import can_act_for_station
from qianwan.security.uploads import max_upload_bytes
from qianwan.validators import earlier_to_the_second, field_errors, validate_phone

from . import hotspots
from .choices import (
    HazardLevel,
    HazardStatus,
    HotspotTrend,
    ReminderStage,
    RiskPointStatus,
    RunStatus,
    WorkPlanStatus,
)
from .models import (
    Campaign,
    CampaignOperation,
    CampaignViolationTally,
    Hazard,
    HotspotCell,
    HotspotRun,
    InspectionProblem,
    RiskPoint,
    VenueInspection,
    WorkPlan,
    WorkPlanReview,
)
from .selectors import incident_category_label, place_names

logger = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(minutes=5)
SAME_PERSON_CLOSE = gettext_lazy("销号须由登记人以外的另一人核对完成，登记人不能为自己登记的隐患销号。")
HAZARD_AUDIT_FIELDS = [
    "number",
    "title",
    "category",
    "level",
    "station",
    "status",
    "rectify_by",
    "responsible_officer",
    "rectified_at",
    "rectified_by",
    "closed_at",
    "closed_by",
    "reopen_count",
    "risk_point",
]


def due_soon_days() -> int:
    return int(getattr(settings, "RISKS_DUE_SOON_DAYS", 3))


def _require_station_actor(actor, station) -> None:
    if not can_act_for_station(actor, station):
        raise PermissionDenied(_("只能处理本所的记录。"))


def _check_at(
    at: datetime | None, *, field: str = "at", not_before: datetime | None = None, label: str = ""
) -> datetime:
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        raise ValidationError({field: [_("时间必须带时区。")]})
    if at > now + FUTURE_TOLERANCE:
        raise ValidationError({field: [_("时间不能晚于当前时间超过 5 分钟。")]})
    if not_before is not None and earlier_to_the_second(at, not_before):
        raise ValidationError({field: [_("时间不能早于%(label)s。") % {"label": label}]})
    return at


def _hazard_link(hazard: Hazard) -> str:
    return reverse("risks:hazard_detail", args=[hazard.pk])


def _schedule_reminder(hazard: Hazard) -> None:
    """Arm the sweep: the next reminder is due ``due_soon_days`` before the deadline (or now)."""
    hazard.reminder_stage = ReminderStage.NONE
    hazard.next_reminder_at = hazard.rectify_by - timedelta(days=due_soon_days())


# --------------------------------------------------------------------------- hazard ledger


def _validate_responsible(officer, station) -> None:
    if officer is None:
        return
    if (
        not officer.is_active
        or officer.role not in (Role.OFFICER, Role.STATION_LEADER)
        or officer.station_id != station.pk
    ):
        raise ValidationError({"responsible_officer": [_("责任民警必须是本所在职民警或所领导。")]})


@transaction.atomic
def hazard_create(
    *,
    actor,
    station: Station,
    title: str,
    category: str,
    level: str,
    rectify_by: datetime,
    found_at: datetime | None = None,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    responsible_party: str = "",
    responsible_contact: str = "",
    responsible_officer=None,
    notes: str = "",
    risk_point: RiskPoint | None = None,
    standard_address=None,
) -> Hazard:
    """Record a hazard on the ledger (status ``open``) and arm its rectification reminders."""
    _require_station_actor(actor, station)
    contact_errors = field_errors([("responsible_contact", validate_phone, responsible_contact)])
    if contact_errors:
        raise ValidationError(contact_errors)
    if level not in HazardLevel.values:
        raise ValidationError(
            {"level": [_("未知的隐患等级“%(v)s”，应为 low/medium/high/major。") % {"v": level}]}
        )
    found_at = _check_at(found_at, field="found_at")
    if responsible_officer is None and getattr(actor, "role", None) == Role.OFFICER:
        responsible_officer = actor
    _validate_responsible(responsible_officer, station)
    if (
        risk_point is not None
        and risk_point.station_id != station.pk
        and not can_act_for_station(actor, risk_point.station)
    ):
        raise ValidationError({"risk_point": [_("风险点不在您的辖区。")]})
    hazard = Hazard(
        station=station,
        title=title,
        category=category,
        level=level,
        found_at=found_at,
        rectify_by=rectify_by,
        address=address,
        standard_address=standard_address,
        lat=lat,
        lon=lon,
        responsible_party=responsible_party,
        responsible_contact=responsible_contact,
        responsible_officer=responsible_officer,
        notes=notes,
        risk_point=risk_point,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _schedule_reminder(hazard)
    hazard.full_clean(exclude=["number"])
    hazard.save()
    local_year = timezone.localtime(found_at).year
    hazard.number = f"YH-{station.code}-{local_year}-{hazard.pk:06d}"
    Hazard.objects.filter(pk=hazard.pk).update(number=hazard.number)
    audit_record(
        actor=actor, action="risks.hazard.create", obj=hazard, after=snapshot(hazard, HAZARD_AUDIT_FIELDS)
    )
    return hazard


def _locked(hazard: Hazard) -> Hazard:
    return Hazard.objects.select_for_update().get(pk=hazard.pk)


@transaction.atomic
def hazard_rectify(*, actor, hazard: Hazard, note: str = "", at: datetime | None = None) -> Hazard:
    """Record that the hazard was rectified (整改); stops its reminders."""
    hazard = _locked(hazard)
    _require_station_actor(actor, hazard.station)
    at = _check_at(at, not_before=hazard.found_at, label=_("发现时间"))
    if not hazard.is_open:
        raise StateConflict(
            _("隐患当前状态为“%(s)s”，只有待整改或重新打开的隐患可以登记整改。")
            % {"s": hazard.get_status_display()}
        )
    before = snapshot(hazard, HAZARD_AUDIT_FIELDS)
    hazard.status = HazardStatus.RECTIFIED
    hazard.rectified_at = at
    hazard.rectified_by = actor
    hazard.rectify_note = note or ""
    hazard.next_reminder_at = None
    hazard.save()
    audit_record(
        actor=actor,
        action="risks.hazard.rectify",
        obj=hazard,
        before=before,
        after=snapshot(hazard, HAZARD_AUDIT_FIELDS),
    )
    return hazard


@transaction.atomic
def hazard_close(*, actor, hazard: Hazard, note: str = "", at: datetime | None = None) -> Hazard:
    """Close out (销号) a rectified hazard after checking it against the ledger.

    The ledger is reconciled by a second person: the one who recorded the hazard may not close it
    (403); only a rectified hazard can be closed (409).
    """
    hazard = _locked(hazard)
    _require_station_actor(actor, hazard.station)
    if hazard.recorded_by_id is not None and hazard.recorded_by_id == actor.pk:
        raise PermissionDenied(SAME_PERSON_CLOSE)
    at = _check_at(at)
    if hazard.status != HazardStatus.RECTIFIED:
        raise StateConflict(
            _("隐患当前状态为“%(s)s”，只有已整改的隐患可以销号。") % {"s": hazard.get_status_display()}
        )
    if hazard.rectified_at and earlier_to_the_second(at, hazard.rectified_at):
        raise ValidationError({"at": [_("销号时间不能早于整改时间。")]})
    before = snapshot(hazard, HAZARD_AUDIT_FIELDS)
    hazard.status = HazardStatus.CLOSED
    hazard.closed_at = at
    hazard.closed_by = actor
    hazard.close_note = note or ""
    hazard.next_reminder_at = None
    hazard.save()
    audit_record(
        actor=actor,
        action="risks.hazard.close",
        obj=hazard,
        before=before,
        after=snapshot(hazard, HAZARD_AUDIT_FIELDS),
    )
    return hazard


@transaction.atomic
def hazard_reopen(*, actor, hazard: Hazard, reason: str, rectify_by: datetime | None = None) -> Hazard:
    """Send a rectified or closed hazard back (the check failed, or the problem came back).

    A new deadline may be given; the reminders are armed again for the new round.
    """
    hazard = _locked(hazard)
    _require_station_actor(actor, hazard.station)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写重新打开的原因。")]})
    if rectify_by is not None and rectify_by < hazard.found_at:
        raise ValidationError({"rectify_by": [_("整改期限不能早于发现时间。")]})
    if hazard.status not in (HazardStatus.RECTIFIED, HazardStatus.CLOSED):
        raise StateConflict(_("只有已整改或已销号的隐患可以重新打开。"))
    before = snapshot(hazard, HAZARD_AUDIT_FIELDS)
    hazard.status = HazardStatus.REOPENED
    hazard.reopen_count += 1
    hazard.rectified_at = hazard.rectified_by = None
    hazard.closed_at = hazard.closed_by = None
    hazard.notes = (hazard.notes + "\n" if hazard.notes else "") + _("重新打开：%(r)s") % {
        "r": reason.strip()
    }
    if rectify_by is not None:
        hazard.rectify_by = rectify_by
    _schedule_reminder(hazard)
    hazard.save()
    audit_record(
        actor=actor,
        action="risks.hazard.reopen",
        obj=hazard,
        before=before,
        after={**snapshot(hazard, HAZARD_AUDIT_FIELDS), "reason": reason.strip()},
    )
    return hazard


@transaction.atomic
def hazard_hand_over(*, actor, hazard: Hazard, target: str = "grid", note: str = ""):
    """Hand a hazard that needs the local government (grid platform) to a partner via the outbox;
    the partner's acks come back on the outbound event. Closed hazards need no hand-over (409), nor
    does one already handed over that the partner has not yet finished (409: a repeated or
    concurrent submit — the row lock makes the second wait for the first, then see its event).
    After the partner handled or rejected it, the hazard may be handed over again."""
    from qianwan.exchange.choices import OutboundKind, OutboundStatus
    from qianwan.exchange.selectors import outbound_for
    from qianwan.exchange.services import outbound_create

    hazard = _locked(hazard)
    _require_station_actor(actor, hazard.station)
    if hazard.status == HazardStatus.CLOSED:
        raise StateConflict(_("已销号的隐患无需移交。"))
    if (
        outbound_for(hazard)
        .filter(kind=OutboundKind.HAZARD, status__in=[OutboundStatus.PENDING, OutboundStatus.ACCEPTED])
        .exists()
    ):
        raise StateConflict(_("该隐患已移交，平台尚未办结，请勿重复移交。"))
    event = outbound_create(
        actor=actor,
        target=target,
        kind=OutboundKind.HAZARD,
        title=_("风险隐患移交：%(t)s") % {"t": hazard.title},
        payload={
            "number": hazard.number,
            "title": hazard.title,
            "category": hazard.category,
            "level": hazard.level,
            "address": hazard.address,
            "lat": hazard.lat,
            "lon": hazard.lon,
            "responsible_party": hazard.responsible_party,
            "rectify_by": hazard.rectify_by.isoformat(),
            "note": note or "",
        },
        station=hazard.station,
        source=hazard,
    )
    audit_record(
        actor=actor,
        action="risks.hazard.hand_over",
        obj=hazard,
        after={"outbound": event.pk, "target": target},
    )
    return event


def evidence_max_bytes() -> int:
    """Evidence files: ``RISKS_EVIDENCE_MAX_BYTES``, else the platform's upload limit (10 MB)."""
    return int(getattr(settings, "RISKS_EVIDENCE_MAX_BYTES", 0) or max_upload_bytes())


def evidence_add(*, actor, hazard: Hazard, upload, note: str = "") -> tuple[Attachment, bool]:
    """Attach a photo (JPEG/PNG) or PDF to a hazard through the attachment store (one validator,
    images re-encoded without metadata, thumbnails); returns (attachment, created). The same file on
    the same hazard again returns the existing attachment. ``HazardEvidence`` is read-only now."""
    from qianwan.attachments.services import attachment_add

    _require_station_actor(actor, hazard.station)
    with transaction.atomic():
        item, created = attachment_add(
            actor=actor, record=hazard, upload=upload, note=note, max_bytes=evidence_max_bytes()
        )
        if created:
            audit_record(
                actor=actor,
                action="risks.hazard.evidence_add",
                obj=hazard,
                after={
                    "attachment": item.pk,
                    "name": item.original_name,
                    "type": item.content_type,
                    "size": item.size,
                    "sha256": item.sha256,
                },
            )
    return item, created


# --------------------------------------------------------------------------- overdue sweep


def _officer_recipients(hazard: Hazard) -> list:
    for candidate in (hazard.responsible_officer, hazard.recorded_by):
        if candidate is not None and candidate.is_active and candidate.station_id == hazard.station_id:
            return [candidate]
    return list(org_selectors.station_users(station=hazard.station))


def _leader_recipients(hazard: Hazard, now) -> list:
    leaders = list(org_selectors.station_users(station=hazard.station, roles=(Role.STATION_LEADER,)))
    return leaders or org_selectors.duty_leaders(station=hazard.station, at=now)


def hazard_remind(hazard_id: int, now: datetime | None = None) -> str | None:
    """Send whatever reminder of one hazard is due; idempotent and safe with two workers.

    The row is locked with SKIP LOCKED (a second worker skips it) and re-checked under the lock;
    the notification keys are unique per hazard, round (reopen count), deadline and kind, so each
    reminder goes out once even if a lock is not available (SQLite).
    """
    now = now or timezone.now()
    with transaction.atomic():
        hazard = (
            Hazard.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("station", "responsible_officer", "recorded_by")
            .filter(pk=hazard_id, next_reminder_at__lte=now)
            .first()
        )
        if hazard is None:
            return None
        if not hazard.is_open:
            Hazard.objects.filter(pk=hazard.pk).update(next_reminder_at=None)
            return None
        base = f"risks.hazard:{hazard.pk}:r{hazard.reopen_count}:{hazard.rectify_by:%Y%m%d%H%M}"
        deadline = timezone.localtime(hazard.rectify_by).strftime("%Y-%m-%d %H:%M")
        link = _hazard_link(hazard)
        sent = None
        if now < hazard.rectify_by:
            if hazard.reminder_stage < ReminderStage.DUE_SOON:
                notification_send(
                    key=f"{base}:due_soon",
                    kind="risks.hazard.due_soon",
                    title=_("隐患整改即将到期：%(t)s") % {"t": hazard.title},
                    body=_("%(n)s 整改期限 %(d)s，请督促责任方按期整改。")
                    % {"n": hazard.number, "d": deadline},
                    recipients=_officer_recipients(hazard),
                    station=hazard.station,
                    link=link,
                    level=Level.WARNING,
                )
                sent = "due_soon"
            hazard.reminder_stage = max(hazard.reminder_stage, ReminderStage.DUE_SOON)
            hazard.next_reminder_at = hazard.rectify_by
        else:
            if hazard.reminder_stage < ReminderStage.OVERDUE:
                title = _("隐患逾期未整改：%(t)s") % {"t": hazard.title}
                body = _("%(n)s 整改期限 %(d)s 已过，仍未整改。") % {"n": hazard.number, "d": deadline}
                notification_send(
                    key=f"{base}:overdue:officer",
                    kind="risks.hazard.overdue",
                    title=title,
                    body=body,
                    recipients=_officer_recipients(hazard),
                    station=hazard.station,
                    link=link,
                    level=Level.BREACH,
                )
                notification_send(
                    key=f"{base}:overdue:leader",
                    kind="risks.hazard.overdue_leader",
                    title=title,
                    body=body,
                    recipients=_leader_recipients(hazard, now),
                    station=hazard.station,
                    link=link,
                    level=Level.ESCALATION,
                )
                sent = "overdue"
            hazard.reminder_stage = ReminderStage.OVERDUE
            hazard.next_reminder_at = None
        Hazard.objects.filter(pk=hazard.pk).update(
            reminder_stage=hazard.reminder_stage, next_reminder_at=hazard.next_reminder_at
        )
        return sent


def hazard_reminders_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat job: work every hazard whose reminder is due. Returns how many reminders went out."""
    now = now or timezone.now()
    ids = list(
        Hazard.objects.filter(next_reminder_at__lte=now)
        .order_by("next_reminder_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if hazard_remind(pk, now))


# --------------------------------------------------------------------------- early warning

MIN_CANDIDATE_COUNT = 3
DISMISSAL_QUIET_DAYS = 28


def _incident_points(category: str, start: datetime, end: datetime) -> list[tuple[float, float]]:
    from incidents.models import Incident  # read only: received_at, category, lat, lon, station

    return list(
        Incident.objects.filter(
            category=category,
            received_at__gte=start,
            received_at__lt=end,
            lat__isnull=False,
            lon__isnull=False,
        ).values_list("lat", "lon")
    )


def _counts(points) -> dict[str, int]:
    counts: dict[str, int] = {}
    for lat, lon in points:
        cell = hotspots.point_cell(lat, lon)
        counts[cell] = counts.get(cell, 0) + 1
    return counts


def _trend(hot_now: bool, hot_before: bool) -> str:
    if hot_now and hot_before:
        return HotspotTrend.PERSISTING
    if hot_now:
        return HotspotTrend.EMERGING
    if hot_before:
        return HotspotTrend.COOLING
    return HotspotTrend.NONE


def hotspot_run_compute(
    *, actor=None, category: str, period_end: date, days: int = 28, force: bool = False
) -> HotspotRun:
    """Compute Gi* hotspots of one incident category over ``days`` local days ending ``period_end``
    (inclusive) and compare with the ``days`` before; raise risk-point candidates.

    Unique per (category, period): a second worker (or a repeated weekly run) finds the run and
    returns it; ``force`` (on demand) recomputes it in place.
    """
    from incidents.models import Incident

    if category not in dict(Incident._meta.get_field("category").choices):
        raise ValidationError({"category": [_("未知的警情类别：%(c)s") % {"c": category}]})
    if not 7 <= days <= 366:
        raise ValidationError({"days": [_("统计天数应在 7 到 366 之间。")]})
    start_day = period_end - timedelta(days=days - 1)
    prev_end = start_day - timedelta(days=1)
    prev_start = prev_end - timedelta(days=days - 1)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run, created = HotspotRun.objects.get_or_create(
                    category=category,
                    period_start=start_day,
                    period_end=period_end,
                    resolution=hotspots.RESOLUTION,
                    defaults={
                        "previous_start": prev_start,
                        "previous_end": prev_end,
                        "triggered_by": actor if getattr(actor, "is_authenticated", False) else None,
                    },
                )
        except IntegrityError:
            return HotspotRun.objects.get(category=category, period_start=start_day, period_end=period_end)
        run = HotspotRun.objects.select_for_update().get(pk=run.pk)
        if not created and not force and run.status == RunStatus.DONE:
            return run
        run.cell_rows.all().delete()
        _compute(run)
        audit_record(
            actor=actor,
            action="risks.hotspot.compute",
            obj=run,
            after=snapshot(run, ["category", "period_start", "period_end", "incidents", "hot_cells"]),
        )
    return run


def _district_cells() -> set[str]:
    from . import district

    return district.cells(hotspots.RESOLUTION)


def _compute(run: HotspotRun) -> None:
    now_range = local_day_range(run.period_start, run.period_end)
    prev_range = local_day_range(run.previous_start, run.previous_end)
    now_counts = _counts(_incident_points(run.category, *now_range))
    prev_counts = _counts(_incident_points(run.category, *prev_range))
    cells = hotspots.study_area(_district_cells(), set(now_counts) | set(prev_counts))
    now_stats = hotspots.gi_star(cells, now_counts)
    prev_stats = {s.cell: s for s in hotspots.gi_star(cells, prev_counts)}
    stations = list(Station.objects.filter(is_active=True, lat__isnull=False, lon__isnull=False))
    rows = []
    for stat in now_stats:
        prev = prev_stats[stat.cell]
        if not (stat.count or stat.is_hot or prev.is_hot or prev.count):
            continue
        lat, lon = hotspots.cell_centre(stat.cell)
        rows.append(
            HotspotCell(
                run=run,
                h3_index=stat.cell,
                station=_nearest(stations, lat, lon),
                lat=lat,
                lon=lon,
                count=stat.count,
                previous_count=prev.count,
                gi_z=round(stat.z, 4),
                p_value=stat.p,
                previous_z=round(prev.z, 4),
                is_hot=stat.is_hot,
                trend=_trend(stat.is_hot, prev.is_hot),
            )
        )
    HotspotCell.objects.bulk_create(rows, batch_size=500)
    run.incidents = sum(now_counts.values())
    run.previous_incidents = sum(prev_counts.values())
    run.cells = len(cells)
    run.hot_cells = sum(1 for r in rows if r.is_hot)
    run.status = RunStatus.DONE
    run.save()
    _raise_candidates(run)


def _nearest(stations, lat, lon):
    if not stations:
        return None
    return min(stations, key=lambda s: (s.lat - lat) ** 2 + ((s.lon - lon) * 0.86) ** 2)


def _raise_candidates(run: HotspotRun) -> list[RiskPoint]:
    """Significant hot cells with enough incidents of their own become risk-point candidates."""
    quiet_since = timezone.now() - timedelta(days=DISMISSAL_QUIET_DAYS)
    created = []
    hot = run.cell_rows.filter(
        is_hot=True, count__gte=MIN_CANDIDATE_COUNT, station__isnull=False
    ).select_related("station")
    hot = list(hot)
    places = place_names(hot)
    for cell in hot:
        taken = RiskPoint.objects.filter(h3_index=cell.h3_index, category=run.category).filter(
            status__in=[RiskPointStatus.CANDIDATE, RiskPointStatus.ACCEPTED]
        )
        recently_dismissed = RiskPoint.objects.filter(
            h3_index=cell.h3_index,
            category=run.category,
            status=RiskPointStatus.DISMISSED,
            decided_at__gte=quiet_since,
        )
        if taken.exists() or recently_dismissed.exists():
            continue
        point = RiskPoint(
            # named by its block or address, the way an officer knows the place (not coordinates)
            name=(
                _("%(station)s %(place)s %(cat)s热点")
                % {
                    "station": cell.station.name,
                    "place": places[cell.h3_index],
                    "cat": incident_category_label(run.category),
                }
                if places.get(cell.h3_index)
                else _("%(station)s %(cat)s热点（%(lat).4f, %(lon).4f 附近）")
                % {
                    "station": cell.station.name,
                    "cat": incident_category_label(run.category),
                    "lat": cell.lat,
                    "lon": cell.lon,
                }
            )[:200],
            category=run.category,
            h3_index=cell.h3_index,
            station=cell.station,
            lat=cell.lat,
            lon=cell.lon,
            source_cell=cell,
            gi_z=cell.gi_z,
            incident_count=cell.count,
            trend=cell.trend,
        )
        try:
            with transaction.atomic():
                point.save()
        except IntegrityError:  # a concurrent run raised it first
            continue
        audit_record(
            actor=None,
            action="risks.riskpoint.candidate",
            obj=point,
            after=snapshot(point, ["h3_index", "category", "station", "gi_z"]),
        )
        notification_send(
            key=f"risks.riskpoint:{point.pk}:candidate",
            kind="risks.riskpoint.candidate",
            title=_("新的风险点候选：%(n)s") % {"n": point.name},
            body=_("Gi* z=%(z).2f，近期警情 %(c)d 起，请研判是否确定为风险点。")
            % {"z": cell.gi_z, "c": cell.count},
            recipients=_leader_recipients_for_station(point.station),
            station=point.station,
            link=reverse("risks:riskpoint_detail", args=[point.pk]),
            level=Level.WARNING,
        )
        created.append(point)
    return created


def _leader_recipients_for_station(station) -> list:
    return list(org_selectors.station_users(station=station, roles=(Role.STATION_LEADER,))) or list(
        org_selectors.users_with_role(Role.BUREAU_LEADER)
    )


def _require_leader(actor, station) -> None:
    if actor.role not in LEADER_ROLES or not can_act_for_station(actor, station):
        raise PermissionDenied(_("只有所领导或分局领导可以研判风险点。"))


@transaction.atomic
def risk_point_accept(*, actor, risk_point: RiskPoint, note: str = "", name: str = "") -> RiskPoint:
    """A leader confirms a candidate as a high-risk point (it then gets a work plan and hazards)."""
    point = RiskPoint.objects.select_for_update().get(pk=risk_point.pk)
    _require_leader(actor, point.station)
    if point.status != RiskPointStatus.CANDIDATE:
        raise StateConflict(_("该风险点已研判（%(s)s）。") % {"s": point.get_status_display()})
    before = snapshot(point, ["status", "name"])
    point.status = RiskPointStatus.ACCEPTED
    point.name = (name or "").strip()[:200] or point.name
    point.decided_by, point.decided_at, point.decision_note = actor, timezone.now(), note or ""
    point.save()
    audit_record(
        actor=actor,
        action="risks.riskpoint.accept",
        obj=point,
        before=before,
        after=snapshot(point, ["status", "name", "decision_note"]),
    )
    return point


@transaction.atomic
def risk_point_dismiss(*, actor, risk_point: RiskPoint, note: str) -> RiskPoint:
    """A leader dismisses a candidate (with a reason); the cell is not raised again for 28 days."""
    point = RiskPoint.objects.select_for_update().get(pk=risk_point.pk)
    _require_leader(actor, point.station)
    if not (note or "").strip():
        raise ValidationError({"note": [_("请填写排除理由。")]})
    if point.status != RiskPointStatus.CANDIDATE:
        raise StateConflict(_("该风险点已研判（%(s)s）。") % {"s": point.get_status_display()})
    before = snapshot(point, ["status"])
    point.status = RiskPointStatus.DISMISSED
    point.decided_by, point.decided_at, point.decision_note = actor, timezone.now(), note.strip()
    point.save()
    audit_record(
        actor=actor,
        action="risks.riskpoint.dismiss",
        obj=point,
        before=before,
        after=snapshot(point, ["status", "decision_note"]),
    )
    return point


@transaction.atomic
def work_plan_create(
    *,
    actor,
    risk_point: RiskPoint,
    title: str,
    measures: str,
    owner,
    starts_on: date,
    review_dates: list[date],
    status: str = WorkPlanStatus.ACTIVE,
) -> WorkPlan:
    """Write the special work plan of an accepted risk point, with its scheduled review dates."""
    point = RiskPoint.objects.select_for_update().get(pk=risk_point.pk)
    _require_leader(actor, point.station)
    errors = {}
    if not (measures or "").strip():
        errors["measures"] = [_("请填写工作措施。")]
    if (
        owner is None
        or not owner.is_active
        or owner.role not in STAFF_ROLES
        or (owner.station_id not in (None, point.station_id))
    ):
        errors["owner"] = [_("责任人必须是本所或分局的在职民警/领导。")]
    bad = [d for d in review_dates if d < starts_on]
    if bad:
        errors["review_dates"] = [_("评估日期不能早于方案开始日期。")]
    if not review_dates:
        errors["review_dates"] = [_("至少安排一个评估日期。")]
    if errors:
        raise ValidationError(errors)
    if point.status != RiskPointStatus.ACCEPTED:
        raise StateConflict(_("只有已确定的风险点可以制定专项工作方案。"))
    if WorkPlan.objects.filter(risk_point=point).exists():
        raise StateConflict(_("该风险点已有专项工作方案。"))
    plan = WorkPlan(
        risk_point=point,
        title=title,
        measures=measures,
        owner=owner,
        starts_on=starts_on,
        status=status,
        created_by=actor,
    )
    plan.full_clean()
    plan.save()
    WorkPlanReview.objects.bulk_create(
        [WorkPlanReview(plan=plan, review_on=d) for d in sorted(set(review_dates))]
    )
    audit_record(
        actor=actor,
        action="risks.workplan.create",
        obj=plan,
        after={
            **snapshot(plan, ["title", "owner", "status", "starts_on"]),
            "reviews": [d.isoformat() for d in sorted(set(review_dates))],
        },
    )
    return plan


@transaction.atomic
def work_plan_review_done(
    *, actor, review: WorkPlanReview, note: str = "", status: str | None = None
) -> WorkPlanReview:
    """Record that a scheduled review took place; optionally move the plan's status."""
    review = WorkPlanReview.objects.select_for_update().select_related("plan__risk_point").get(pk=review.pk)
    plan = review.plan
    _require_station_actor(actor, plan.risk_point.station)
    if status is not None and status not in WorkPlanStatus.values:
        raise ValidationError({"status": [_("未知的方案状态。")]})
    if review.done_at is not None:
        raise StateConflict(_("该次评估已完成。"))
    review.done_at, review.done_by, review.note = timezone.now(), actor, note or ""
    review.save()
    if status and status != plan.status:
        plan.status = status
        plan.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="risks.workplan.review",
        obj=plan,
        after={"review": review.pk, "note": review.note, "status": plan.status},
    )
    return review


# --------------------------------------------------------------------------- campaigns

CAMPAIGN_ADMINS = frozenset({Role.BUREAU_LEADER, Role.ADMIN})


@transaction.atomic
def campaign_create(*, actor, name: str, starts_on: date, ends_on: date, description: str = "") -> Campaign:
    """Start a concentrated campaign (bureau leaders)."""
    if actor.role not in CAMPAIGN_ADMINS:
        raise PermissionDenied(_("只有分局领导可以发起集中统一行动。"))
    campaign = Campaign(
        name=name, starts_on=starts_on, ends_on=ends_on, description=description, created_by=actor
    )
    campaign.full_clean()
    campaign.save()
    audit_record(
        actor=actor,
        action="risks.campaign.create",
        obj=campaign,
        after=snapshot(campaign, ["name", "starts_on", "ends_on"]),
    )
    return campaign


def _check_in_period(campaign: Campaign, day: date, field: str) -> None:
    if not campaign.starts_on <= day <= campaign.ends_on:
        raise ValidationError(
            {
                field: [
                    _("日期须在行动期间（%(a)s 至 %(b)s）内。")
                    % {"a": campaign.starts_on, "b": campaign.ends_on}
                ]
            }
        )


@transaction.atomic
def operation_create(
    *,
    actor,
    campaign: Campaign,
    date: date,
    title: str,
    officers_deployed: int,
    stations=(),
    zones: str = "",
    note: str = "",
    named_officers=None,
) -> CampaignOperation:
    """Record one operation of a campaign (leaders; station leaders for their own station only);
    ``named_officers``: the accounts among the people deployed (active users of its stations)."""
    if actor.role not in LEADER_ROLES:
        raise PermissionDenied(_("只有领导可以登记行动批次。"))
    stations = list(stations)
    for s in stations:
        _require_station_actor(actor, s)
    _check_in_period(campaign, date, "date")
    if officers_deployed is None or officers_deployed < 0:
        raise ValidationError({"officers_deployed": [_("出动警力须为非负整数。")]})
    named = station_people(
        station=None,
        # the operation's stations; none named: the actor's own, or any station for the sub-bureau
        stations=stations or ([actor.station] if actor.station_id else Station.objects.all()),
        usernames=named_officers,
        field="named_officers",
        head_count=officers_deployed,
    )
    op = CampaignOperation(
        campaign=campaign,
        date=date,
        title=title,
        officers_deployed=officers_deployed,
        zones=zones,
        note=note,
        created_by=actor,
    )
    op.full_clean()
    op.save()
    op.stations.set(stations)
    if named:
        op.named_officers.set(named)
    audit_record(
        actor=actor,
        action="risks.campaign.operation",
        obj=op,
        after={
            **snapshot(op, ["date", "title", "officers_deployed", "zones"]),
            "stations": [s.pk for s in stations],
            "named_officers": [u.username for u in named],
        },
    )
    return op


@transaction.atomic
def inspection_create(
    *,
    actor,
    campaign: Campaign,
    station: Station,
    venue_name: str,
    venue_type: str,
    inspected_on: date,
    problems: list[str] = (),
    operation: CampaignOperation | None = None,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    note: str = "",
) -> VenueInspection:
    """Record a venue inspection with the problems found (each may later become a hazard)."""
    _require_station_actor(actor, station)
    _check_in_period(campaign, inspected_on, "inspected_on")
    if operation is not None and operation.campaign_id != campaign.pk:
        raise ValidationError({"operation": [_("行动批次不属于该行动。")]})
    inspection = VenueInspection(
        campaign=campaign,
        operation=operation,
        station=station,
        venue_name=venue_name,
        venue_type=venue_type,
        inspected_on=inspected_on,
        address=address,
        lat=lat,
        lon=lon,
        note=note,
        inspector=actor,
    )
    inspection.full_clean()
    inspection.save()
    texts = [p.strip()[:300] for p in problems if p and p.strip()]
    InspectionProblem.objects.bulk_create(
        [InspectionProblem(inspection=inspection, description=t) for t in texts]
    )
    audit_record(
        actor=actor,
        action="risks.campaign.inspection",
        obj=inspection,
        after={
            **snapshot(inspection, ["venue_name", "venue_type", "station", "inspected_on"]),
            "problems": texts,
        },
    )
    return inspection


@transaction.atomic
def problem_rectify(
    *, actor, problem: InspectionProblem, note: str = "", at: datetime | None = None
) -> InspectionProblem:
    """Record an on-the-spot rectification of a problem found at an inspection."""
    problem = InspectionProblem.objects.select_for_update().select_related("inspection").get(pk=problem.pk)
    _require_station_actor(actor, problem.inspection.station)
    at = _check_at(at)
    if problem.hazard_id is not None:
        raise StateConflict(_("该问题已转为隐患，请在隐患台账中整改销号。"))
    if problem.rectified_at is not None:
        raise StateConflict(_("该问题已整改。"))
    problem.rectified_at, problem.rectify_note = at, (note or "")[:300]
    problem.save()
    audit_record(
        actor=actor,
        action="risks.campaign.problem_rectify",
        obj=problem,
        after=snapshot(problem, ["rectified_at", "rectify_note"]),
    )
    return problem


@transaction.atomic
def problem_promote(
    *, actor, problem: InspectionProblem, category: str, level: str, rectify_by: datetime, title: str = ""
) -> Hazard:
    """Put a problem found at an inspection on the hazard ledger."""
    problem = InspectionProblem.objects.select_for_update().select_related("inspection").get(pk=problem.pk)
    inspection = problem.inspection
    _require_station_actor(actor, inspection.station)
    if problem.hazard_id is not None or problem.rectified_at is not None:
        raise StateConflict(_("该问题已整改或已转为隐患。"))
    hazard = hazard_create(
        actor=actor,
        station=inspection.station,
        title=(title or f"{inspection.venue_name}：{problem.description}")[:200],
        category=category,
        level=level,
        rectify_by=rectify_by,
        found_at=timezone.now(),
        address=inspection.address,
        lat=inspection.lat,
        lon=inspection.lon,
        responsible_party=inspection.venue_name,
        notes=_("来自集中行动“%(c)s”场所检查") % {"c": inspection.campaign.name},
    )
    problem.hazard = hazard
    problem.save(update_fields=["hazard"])
    audit_record(
        actor=actor, action="risks.campaign.problem_promote", obj=problem, after={"hazard": hazard.pk}
    )
    return hazard


@transaction.atomic
def violations_record(
    *,
    actor,
    campaign: Campaign,
    station: Station,
    date: date,
    count: int,
    note: str = "",
    officers_deployed: int | None = None,
) -> CampaignViolationTally:
    """Set the typed tally (手工录入) of a station's day of the campaign: violations (and officers
    deployed) of work with no record. Violations on patrol records are counted from the records."""
    _require_station_actor(actor, station)
    _check_in_period(campaign, date, "date")
    if count is None or count < 0:
        raise ValidationError({"count": [_("数量须为非负整数。")]})
    if officers_deployed is not None and officers_deployed < 0:
        raise ValidationError({"officers_deployed": [_("出动警力须为非负整数。")]})
    tally, _created = CampaignViolationTally.objects.select_for_update().get_or_create(
        campaign=campaign,
        station=station,
        date=date,
        defaults={
            "count": count,
            "note": note,
            "recorded_by": actor,
            "officers_deployed": officers_deployed or 0,
        },
    )
    before = None if _created else snapshot(tally, ["count", "officers_deployed"])
    if not _created:
        tally.count, tally.note, tally.recorded_by = count, note, actor
        if officers_deployed is not None:
            tally.officers_deployed = officers_deployed
        tally.save()
    audit_record(
        actor=actor,
        action="risks.campaign.violations",
        obj=tally,
        before=before,
        after=snapshot(tally, ["date", "station", "count", "officers_deployed"]),
    )
    return tally
