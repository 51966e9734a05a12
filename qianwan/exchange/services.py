"""Writes to the exchange: inbound events (idempotent), the outbox, acks and pushes to partners."""

import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.org import selectors as org_selectors
from qianwan.org.choices import Role
from qianwan.tasking import publish_on_commit
from qianwan.webhooks import backoff_seconds, post_bytes

from .choices import FINAL_OUTBOUND, InboundStatus, OutboundKind, OutboundStatus, PushStatus
from .models import InboundEvent, OutboundAck, OutboundEvent, Partner, PartnerAccount

PUSH_CLAIM_SECONDS = 120
PUSH_MAX_ATTEMPTS = 8


@transaction.atomic
def partner_account_set(*, actor, user, code: str) -> Partner:
    """Make ``user`` (a grid_client) act for the partner ``code`` — its only one; the partner record is
    created (with its own secret) if missing."""
    if user.role != Role.GRID_CLIENT:
        raise ValidationError({"partner": [_("只有对接平台账号（grid_client）可以绑定对接平台。")]})
    if not re.fullmatch(r"[a-z0-9_-]{2,20}", code or ""):
        raise ValidationError(
            {"partner": [_("对接平台代码须为 2–20 位小写字母、数字、- 或 _：%(code)s") % {"code": code}]}
        )
    partner = Partner.objects.filter(code=code).first()
    if partner is None:
        partner = Partner(code=code, name=code)
        partner.full_clean()
        partner.save()
        audit_record(
            actor=actor,
            action="exchange.partner.create",
            obj=partner,
            after=snapshot(partner, fields=["code"]),
        )
    account = PartnerAccount.objects.filter(user=user).first()
    before = {"partner": account.partner.code} if account else None
    PartnerAccount.objects.update_or_create(user=user, defaults={"partner": partner})
    audit_record(
        actor=actor,
        action="exchange.partner.account",
        obj=user,
        before=before,
        after={"partner": partner.code},
    )
    return partner


def _notify_station_of_inbound(event: InboundEvent) -> None:
    from qianwan.notify.services import notification_send

    if event.station is None:
        recipients = org_selectors.users_with_role(Role.BUREAU_LEADER)
    else:
        recipients = org_selectors.station_users(
            station=event.station, roles=(Role.OFFICER, Role.STATION_LEADER)
        )
    notification_send(
        key=f"exchange.inbound:{event.pk}:received",
        kind="exchange.inbound",
        title=_("新的网格/热线事件：%(title)s") % {"title": event.title},
        body=f"{event.get_source_display()} {event.external_id} {event.address}",
        link=f"/exchange/inbound/{event.pk}/",
        station=event.station,
        recipients=recipients,
    )


@transaction.atomic
def inbound_receive(*, actor, data: dict) -> tuple[InboundEvent, bool]:
    """Store an inbound event once per ``(source, external_id)``; a replay returns the stored record.

    The event lands in the triage queue of the station whose boundary contains its point (outside
    every boundary the station with the nearest headquarters; the command centre's queue when it has
    no point); ``routed_by`` records which.
    """
    same = {"source": data["source"], "external_id": data["external_id"]}
    existing = InboundEvent.objects.filter(**same).first()
    if existing:
        return existing, False
    station, routed_by = org_selectors.route_point(lat=data.get("lat"), lon=data.get("lon"))
    event = InboundEvent(
        station=station,
        routed_by=routed_by,
        raw=data.get("raw") or {},
        sign_for_due_at=timezone.now() + timedelta(minutes=sign_for_minutes()),
        **{k: v for k, v in data.items() if k != "raw"},
    )
    event.full_clean(exclude=["external_id"])
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:  # a concurrent replay won the race
        return InboundEvent.objects.get(**same), False
    audit_record(
        actor=actor,
        action="exchange.inbound.receive",
        obj=event,
        after=snapshot(event, fields=["external_id", "source", "station", "status"]),
    )
    _notify_station_of_inbound(event)
    return event, True


def sign_for_minutes() -> int:
    return int(getattr(settings, "EXCHANGE_SIGN_FOR_MINUTES", 30))


def inbound_sign_for_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat: remind the duty leaders of the station (the command centre's for an event without one)
    of every inbound event still pending at its sign-for deadline — once per event (the notification
    key and ``sign_for_reminded_at``). Returns how many events were reminded of."""
    from qianwan.notify.choices import Level
    from qianwan.notify.services import notification_send

    now = now or timezone.now()
    due = InboundEvent.objects.filter(
        status=InboundStatus.PENDING, sign_for_reminded_at__isnull=True, sign_for_due_at__lte=now
    )
    ids = list(due.order_by("sign_for_due_at").values_list("pk", flat=True)[:limit])
    reminded = 0
    for event_id in ids:
        with transaction.atomic():
            event = (
                InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("station")
                .filter(pk=event_id, status=InboundStatus.PENDING, sign_for_reminded_at__isnull=True)
                .first()
            )
            if event is None:
                continue
            minutes = max(1, round((now - event.created_at).total_seconds() / 60))
            notification_send(
                key=f"exchange.inbound:{event.pk}:sign_for",
                kind="exchange.inbound_sign_for",
                level=Level.WARNING,
                title=_("来件超时未签收：%(title)s") % {"title": event.title},
                body=_(
                    "%(source)s 事件 %(id)s（%(address)s）已到达 %(minutes)d 分钟，仍未签收（受理或退回）。"
                )
                % {
                    "source": event.get_source_display(),
                    "id": event.external_id,
                    "address": event.address or "—",
                    "minutes": minutes,
                },
                recipients=org_selectors.duty_leaders(station=event.station, at=now),
                station=event.station,
                link=f"/exchange/inbound/{event.pk}/",
                payload={"inbound": event.pk},
                due_at=event.sign_for_due_at,
            )
            # bookkeeping, not a change the partner polls for: no new change number
            InboundEvent.objects.filter(pk=event.pk).update(sign_for_reminded_at=now)
            reminded += 1
    return reminded


TRIAGE_ROLES = (Role.BUREAU_LEADER, Role.ADMIN)


@transaction.atomic
def inbound_assign_station(*, actor, event: InboundEvent, station) -> InboundEvent:
    """The bureau's triage: give a pending inbound event (one without a location has no station) to
    ``station``, whose officers can then work it; audited, and the station is told."""
    from django.core.exceptions import PermissionDenied

    from qianwan.notify.services import notification_send

    if getattr(actor, "role", None) not in TRIAGE_ROLES:
        raise PermissionDenied(_("只有分局领导可以分派来件。"))
    if station is None or not getattr(station, "is_active", True):
        raise ValidationError({"station": [_("请选择一个有效的派出所。")]})
    event = InboundEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != InboundStatus.PENDING:
        raise StateConflict(
            _("事件当前状态为“%(current)s”，只有待研判的事件可以分派。")
            % {"current": event.get_status_display()}
        )
    if event.station_id == station.pk:
        return event
    before = snapshot(event, fields=["station"])
    event.station = station
    event.save(update_fields=["station"])
    audit_record(
        actor=actor,
        action="exchange.inbound.assign",
        obj=event,
        before=before,
        after=snapshot(event, fields=["station"]),
    )
    notification_send(
        key=f"exchange.inbound:{event.pk}:assigned:{station.pk}",
        kind="exchange.inbound",
        title=_("分局分派来件：%(title)s") % {"title": event.title},
        body=f"{event.get_source_display()} {event.external_id} {event.address}",
        link=f"/exchange/inbound/{event.pk}/",
        station=station,
        recipients=org_selectors.station_users(station=station, roles=(Role.OFFICER, Role.STATION_LEADER)),
    )
    return event


_INBOUND_MOVES = {
    InboundStatus.PENDING: {InboundStatus.ACCEPTED, InboundStatus.REJECTED, InboundStatus.HANDLED},
    InboundStatus.ACCEPTED: {InboundStatus.HANDLED},
}


@transaction.atomic
def inbound_work(
    *, actor, event: InboundEvent, status: str, note: str = "", result=None, at=None
) -> InboundEvent:
    """Move an inbound event to accepted / handled / rejected; the outcome flows back to its source.

    ``result`` is the record the police made of it (an incident, a dispute). Rejecting needs a reason.
    """
    event = InboundEvent.objects.select_for_update().get(pk=event.pk)
    if status not in _INBOUND_MOVES.get(event.status, set()):
        raise StateConflict(
            _("事件当前状态为“%(current)s”，不能改为“%(new)s”。")
            % {"current": event.get_status_display(), "new": InboundStatus(status).label}
        )
    if status == InboundStatus.REJECTED and not note.strip():
        raise ValidationError({"note": [_("退回事件必须填写理由。")]})
    before = snapshot(event, fields=["status", "outcome_note", "result_type", "result_id"])
    event.status = status
    event.worked_by = actor
    if note:
        event.outcome_note = note
    if result is not None:
        event.result_type = result._meta.label_lower
        event.result_id = str(result.pk)
    if status in (InboundStatus.HANDLED, InboundStatus.REJECTED):
        event.outcome_at = at or timezone.now()
    event.save()
    audit_record(
        actor=actor,
        action=f"exchange.inbound.{status}",
        obj=event,
        before=before,
        after=snapshot(event, fields=["status", "outcome_note", "result_type", "result_id"]),
    )
    outbound_create(
        actor=actor,
        target=event.source,
        kind=OutboundKind.INBOUND_STATUS,
        title=_("事件 %(id)s 办理状态：%(status)s")
        % {"id": event.external_id, "status": event.get_status_display()},
        payload={"external_id": event.external_id, "status": status, "note": note},
        station=event.station,
        source=event,
    )
    return event


@transaction.atomic
def inbound_result_closed(*, actor, event_id: int | None, note: str = "", at=None) -> InboundEvent | None:
    """The incident or dispute an inbound event became was closed: the event is ``handled`` and its
    partner hears it (an ``inbound_status`` event in its outbox). Nothing when there is no event or it
    is not ``accepted`` (already reported, or worked another way)."""
    if event_id is None:
        return None
    event = InboundEvent.objects.select_for_update().filter(pk=event_id).first()
    if event is None or event.status != InboundStatus.ACCEPTED:
        return None
    return inbound_work(actor=actor, event=event, status=InboundStatus.HANDLED, note=note, at=at)


def _local_times(value):
    """Datetimes in a payload as ISO 8601 in Asia/Shanghai (+08:00), like every time the API shows."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dict):
        return {k: _local_times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_local_times(v) for v in value]
    return value


@transaction.atomic
def outbound_create(
    *, actor, target: str, kind: str, title: str, payload: dict | None = None, station=None, source=None
) -> OutboundEvent:
    """Put an event in the outbox for ``target`` (a partner code); pushed too if the partner has a URL."""
    partner = Partner.objects.filter(code=target, enabled=True).first()
    if partner is None:
        raise ValidationError({"target": [_("未配置的对接平台：%(target)s") % {"target": target}]})
    event = OutboundEvent.objects.create(
        target=target,
        kind=kind,
        title=title[:200],
        payload=_local_times(payload or {}),
        station=station,
        source_type=source._meta.label_lower if source is not None else "",
        source_id=str(source.pk) if source is not None else "",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        push_status=PushStatus.PENDING if partner.push_url else PushStatus.NOT_CONFIGURED,
        push_next_at=timezone.now() if partner.push_url else None,
    )
    audit_record(
        actor=actor,
        action="exchange.outbound.create",
        obj=event,
        after=snapshot(event, fields=["target", "kind", "title", "source_type", "source_id"]),
    )
    if partner.push_url:
        from .tasks import outbound_push

        publish_on_commit(outbound_push, event.pk)
    return event


@transaction.atomic
def outbound_ack(*, actor, event: OutboundEvent, status: str, note: str = "", at=None) -> OutboundEvent:
    """A partner reports an outbound event's fate. The same ack again is harmless; a different ack
    after a final one (handled, rejected) is a conflict."""
    event = OutboundEvent.objects.select_for_update().get(pk=event.pk)
    if status == event.status:
        return event
    if event.status in FINAL_OUTBOUND:
        raise StateConflict(
            _("该事件已是最终状态“%(status)s”，不能再改为其他状态。")
            % {"status": event.get_status_display()},
            code="ack_conflict",
        )
    if status == OutboundStatus.PENDING:
        raise ValidationError({"status": [_("反馈状态只能是 accepted、handled 或 rejected。")]})
    before = snapshot(event, fields=["status", "ack_note", "acked_at"])
    at = at or timezone.now()
    event.status = status
    event.ack_note = note
    event.acked_at = at
    event.save(update_fields=["status", "ack_note", "acked_at"])
    OutboundAck.objects.create(event=event, status=status, note=note, at=at)
    audit_record(
        actor=actor,
        action="exchange.outbound.ack",
        obj=event,
        before=before,
        after=snapshot(event, fields=["status", "ack_note", "acked_at"]),
    )
    if (
        status == OutboundStatus.REJECTED
        and event.kind == OutboundKind.DIVERSION
        and event.source_type == "incidents.incident"
    ):
        # the hotline sends the call back: the incident returns to its station's queue
        from incidents.services import incident_diversion_rejected

        incident_diversion_rejected(actor=actor, incident_id=int(event.source_id), note=note, at=at)
    return event


def push_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` keyed with the partner's secret: the
    ``X-Qianwan-Signature`` header of a push (api-contract.md, "Grid platform exchange")."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def push_request(*, partner: Partner, event: OutboundEvent, timestamp: int | None = None):
    """The exact bytes and headers of one push of ``event`` to ``partner``: the body is serialised
    once and those bytes are signed (a receiver recomputes the HMAC over what it received)."""
    from .api.serializers import OutboundEventSerializer

    data = OutboundEventSerializer(event, context={"partner": partner}).data
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "X-Qianwan-Timestamp": str(timestamp),
        "X-Qianwan-Signature": push_signature(secret=partner.secret, timestamp=timestamp, body=body),
    }
    if partner.push_token:
        headers["Authorization"] = f"Bearer {partner.push_token}"
    return body, headers


def outbound_push_attempt(event_id: int) -> int | None:
    """One try at pushing an outbound event to its partner's URL; returns seconds to the next try."""
    now = timezone.now()
    due = Q(push_status=PushStatus.PENDING, push_next_at__lte=now)
    claimed = OutboundEvent.objects.filter(due, pk=event_id).update(
        push_next_at=now + timedelta(seconds=PUSH_CLAIM_SECONDS)
    )
    if not claimed:
        return None
    event = OutboundEvent.objects.get(pk=event_id)
    partner = Partner.objects.filter(code=event.target).first()
    if partner is None or not partner.push_url:
        OutboundEvent.objects.filter(pk=event_id).update(
            push_status=PushStatus.NOT_CONFIGURED, push_next_at=None
        )
        return None
    # signed afresh on every try: the timestamp is the sending time, so a receiver may refuse stale ones
    body, headers = push_request(partner=partner, event=event)
    result = post_bytes(partner.push_url, body, headers=headers)
    attempts = event.push_attempts + 1
    if result.ok:
        OutboundEvent.objects.filter(pk=event_id).update(
            push_status=PushStatus.PUSHED, push_attempts=attempts, push_next_at=None, push_error=""
        )
        return None
    if attempts >= PUSH_MAX_ATTEMPTS or not result.retryable:
        OutboundEvent.objects.filter(pk=event_id).update(
            push_status=PushStatus.FAILED, push_attempts=attempts, push_next_at=None, push_error=result.error
        )
        return None
    delay = backoff_seconds(attempts)
    OutboundEvent.objects.filter(pk=event_id).update(
        push_attempts=attempts,
        push_next_at=timezone.now() + timedelta(seconds=delay),
        push_error=result.error,
    )
    return delay


def outbound_push_due(*, limit: int = 200) -> list[int]:
    """Outbound events whose push is due (the sweep's work list)."""
    due = OutboundEvent.objects.filter(push_status=PushStatus.PENDING, push_next_at__lte=timezone.now())
    return list(due.order_by("push_next_at").values_list("pk", flat=True)[:limit])
