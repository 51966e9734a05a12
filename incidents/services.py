"""Writes for incidents: taking a call, recording steps, the SLA clocks' timers, diversion, inbound grid
events accepted as incidents, and the duty leader's acknowledgement."""

import math
import uuid
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import refcache
from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.exchange import services as exchange_services
from qianwan.exchange.choices import InboundStatus, OutboundKind
from qianwan.exchange.models import Partner
from qianwan.notify.choices import Level
from qianwan.notify.heartbeat import CLOCKS_SWEEP_HEARTBEAT
from qianwan.notify.services import heartbeat_record, notification_send
from qianwan.org import selectors as org_selectors
from qianwan.org.choices import DutyPost, Role, RoutedBy
from qianwan.org.models import User
from qianwan.org.people import station_people
from qianwan.org.scopes import can_act_for_station
from qianwan.tasking import publish_on_commit
from qianwan.validators import earlier_to_the_second, field_errors, normalize_phone, validate_phone

from . import rollup, selectors
from .choices import (
    EVENT_STAGE,
    STAGE_EVENT,
    STAGE_FIELD,
    STAGES,
    Category,
    ChainTarget,
    DiversionDirection,
    EventKind,
    SkipReason,
    Stage,
    Status,
    TimerStep,
)
from .models import (
    DiversionCategory,
    DiversionItem,
    EscalationChain,
    EscalationStep,
    Incident,
    IncidentEvent,
    SlaClock,
    SlaPolicy,
)

FUTURE_TOLERANCE = timedelta(minutes=5)
LEADER_ACK_ACTION = "incidents.leader_ack"
INCIDENT_FIELDS = [
    "number",
    "station",
    "routed_by",
    "category",
    "status",
    "received_at",
    "address",
    "lat",
    "lon",
]


# ---------------------------------------------------------------------------------------------------
# SLA policy


@refcache.cached
def policy_for(category: str) -> SlaPolicy:
    """The policy in force for ``category``: its own row if configured, else the default row."""
    policies = {p.category: p for p in SlaPolicy.objects.filter(category__in=[category, ""])}
    policy = policies.get(category) or policies.get("")
    if policy is None:  # the data migration creates the default; never fail a call for want of it
        policy, _created = SlaPolicy.objects.get_or_create(category="")
    return policy


def policy_snapshot(policy: SlaPolicy) -> dict:
    return {
        "policy_id": policy.pk,
        "limits": policy.limits(),
        "warn_before_seconds": policy.warn_before_seconds,
        "escalate_after_seconds": policy.escalate_after_seconds,
    }


def elapsed_seconds(received_at: datetime, done_at: datetime) -> int:
    """Whole seconds from receipt, rounded up, so that ``elapsed ≤ limit`` ⇔ ``done_at ≤ deadline``."""
    return max(0, math.ceil((done_at - received_at).total_seconds()))


# ---------------------------------------------------------------------------------------------------
# Timers


def _steps(clock: SlaClock):
    return [
        (TimerStep.WARN, clock.warn_at, "warned_at"),
        (TimerStep.BREACH, clock.deadline, "breached_at"),
        (TimerStep.ESCALATE, clock.escalate_at, "escalated_at"),
    ]


def _next_step_time(clock: SlaClock, now: datetime) -> datetime | None:
    """When the clock's next unfired step is due (None when the stage is done or not needed)."""
    if clock.done_at is not None or clock.not_needed or clock.stopped_at is not None:
        return None
    times = []
    for step, at, marker in _steps(clock):
        if at is None or getattr(clock, marker) is not None:
            continue
        if step == TimerStep.WARN and now >= clock.deadline:
            continue  # too late to warn: the breach step is what is due
        times.append(at)
        break
    entry = _next_chain_entry(clock)
    if entry is not None:
        times.append(clock.deadline + timedelta(seconds=clock.chain[entry][0]))
    return min(times, default=None)


def _chain_repeat_stopped(clock: SlaClock, entry: list) -> bool:
    """A repeat is not sent once someone acknowledged after its step's first notification went out."""
    if entry[4] == 0 or clock.acknowledged_at is None:
        return False
    first = next((e for e in clock.chain if e[3] == entry[3] and e[4] == 0), None)
    fired = first and first[5]
    return bool(fired) and clock.acknowledged_at >= datetime.fromisoformat(fired)


def _next_chain_entry(clock: SlaClock) -> int | None:
    """Index of the configured chain's next entry to send (None: no chain, or nothing left)."""
    for index in range(clock.chain_next, len(clock.chain)):
        if not _chain_repeat_stopped(clock, clock.chain[index]):
            return index
    return None


def _arm(clocks, now: datetime) -> SlaClock | None:
    """Arm an incident's timer: every clock of ``clocks`` (all of one incident's) with a step left gets
    its ``next_fire_at`` and one fresh task id, shared. Returns the lead clock — the one whose step is
    due first — for `_publish`, or None when no step is left. One ETA task per incident, not per
    clock: it fires whatever is due across the incident's clocks when it runs, then arms the next."""
    pending = []
    for clock in clocks:
        clock.next_fire_at = _next_step_time(clock, now)
        clock.task_id = ""
        if clock.next_fire_at is not None:
            pending.append(clock)
    if not pending:
        return None
    task_id = uuid.uuid4().hex
    for clock in pending:
        clock.task_id = task_id
    return min(pending, key=lambda c: (c.next_fire_at, c.pk or 0))


def _publish(lead: SlaClock | None) -> None:
    """Queue the incident timer's ETA task (addressed to its lead clock) once the transaction commits."""
    from .tasks import clock_fire

    if lead is None:
        return
    # the task carries the id stored on the rows: a re-armed timer makes this message a no-op
    publish_on_commit(clock_fire, lead.pk, lead.task_id, eta=lead.next_fire_at, task_id=lead.task_id)


def _disarm(clock: SlaClock) -> None:
    clock.next_fire_at = None
    clock.task_id = ""


def _clock_key(clock: SlaClock) -> str:
    """The notification key prefix of a clock's steps; a restarted clock's steps are new messages."""
    if clock.restarted_at is None:
        return f"clock:{clock.pk}"
    return f"clock:{clock.pk}:restart:{clock.restarted_at.timestamp():.0f}"


def _clock_link(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/"


def _notify_step(clock: SlaClock, incident: Incident, step: str, now: datetime, due_at: datetime) -> None:
    """Send one timer step's notification; ``due_at`` is when the step was planned (its lateness,
    fired − due, is stored per recipient and per delivery)."""
    stage = Stage(clock.stage).label
    number = incident.number
    payload = {"incident": incident.pk, "clock": clock.pk, "stage": clock.stage, "step": step}
    if step == TimerStep.WARN:
        notification_send(
            key=f"{_clock_key(clock)}:warn",
            kind="incidents.sla_warning",
            level=Level.WARNING,
            title=_("即将超时：%(number)s %(stage)s") % {"number": number, "stage": stage},
            body=_("“%(stage)s”将于 %(deadline)s 到时，请尽快处置。")
            % {"stage": stage, "deadline": timezone.localtime(clock.deadline).strftime("%H:%M:%S")},
            recipients=org_selectors.station_users(station=incident.station, roles=(Role.OFFICER,)),
            station=incident.station,
            link=_clock_link(incident),
            thread=f"incident:{incident.pk}",
            payload=payload,
            due_at=due_at,
        )
    elif step == TimerStep.BREACH:
        if clock.chain:
            return  # a configured chain: its first entries, due at the breach, notify
        notification_send(
            key=f"{_clock_key(clock)}:breach",
            kind="incidents.sla_breach",
            level=Level.BREACH,
            title=_("已超时：%(number)s %(stage)s") % {"number": number, "stage": stage},
            body=_("警情 %(number)s（%(category)s，%(address)s）“%(stage)s”已超过 %(limit)d 秒时限。")
            % {
                "number": number,
                "category": incident.get_category_display(),
                "address": incident.address or "—",
                "stage": stage,
                "limit": clock.limit_seconds,
            },
            recipients=org_selectors.duty_leaders(station=incident.station, at=now),
            station=incident.station,
            link=_clock_link(incident),
            thread=f"incident:{incident.pk}",
            payload=payload,
            due_at=due_at,
            ack_action=LEADER_ACK_ACTION,
        )
    else:
        notification_send(
            key=f"{_clock_key(clock)}:escalate",
            kind="incidents.sla_escalation",
            level=Level.ESCALATION,
            title=_("超时未处置，升级指挥中心：%(number)s %(stage)s") % {"number": number, "stage": stage},
            body=_("%(station)s 警情 %(number)s “%(stage)s”超时后仍未完成。")
            % {"station": incident.station.name, "number": number, "stage": stage},
            recipients=org_selectors.duty_leaders(station=None, at=now),
            station=None,
            link=_clock_link(incident),
            thread=f"incident:{incident.pk}",
            payload=payload,
            due_at=due_at,
        )


def _chain_recipients(target: str, person_id: int | None, station, now: datetime) -> list:
    """Who a chain entry notifies, read from the rota as the entry fires; nobody on the rota for the
    post → the station's leaders."""
    station_leaders = lambda: list(org_selectors.station_users(station=station, roles=(Role.STATION_LEADER,)))  # noqa: E731
    if target == ChainTarget.ON_DUTY_OFFICER:
        return org_selectors.on_duty(station=station, at=now, post=DutyPost.OFFICER) or station_leaders()
    if target == ChainTarget.DUTY_LEADER:
        return org_selectors.duty_leaders(station=station, at=now)
    if target == ChainTarget.STATION_LEADERS:
        return station_leaders()
    if target == ChainTarget.COMMAND_CENTRE:
        return org_selectors.duty_leaders(station=None, at=now)
    person = User.objects.filter(pk=person_id, is_active=True).first()
    return [person] if person else station_leaders()


def _notify_chain_entry(clock: SlaClock, incident: Incident, index: int, entry: list, now: datetime) -> None:
    """One entry of a configured escalation chain: one notification (key clock:<id>:chain:<index>)."""
    offset, target, person_id, number, repeat = entry[:5]
    stage = Stage(clock.stage).label
    title = _("已超时：%(number)s %(stage)s") % {"number": incident.number, "stage": stage}
    if repeat:
        title += _("（第%(n)d次重复提醒）") % {"n": repeat}
    notification_send(
        key=f"{_clock_key(clock)}:chain:{index}",
        kind="incidents.sla_breach" if number == 0 else "incidents.sla_escalation",
        level=Level.BREACH if number == 0 else Level.ESCALATION,
        title=title,
        body=_(
            "%(station)s 警情 %(number)s（%(category)s，%(address)s）“%(stage)s”已超过 %(limit)d 秒时限，升级第%(step)d步：%(target)s。"
        )
        % {
            "station": incident.station.name,
            "number": incident.number,
            "category": incident.get_category_display(),
            "address": incident.address or "—",
            "stage": stage,
            "limit": clock.limit_seconds,
            "step": number + 1,
            "target": ChainTarget(target).label,
        },
        recipients=_chain_recipients(target, person_id, incident.station, now),
        station=None if target == ChainTarget.COMMAND_CENTRE else incident.station,
        link=_clock_link(incident),
        thread=f"incident:{incident.pk}",
        payload={
            "incident": incident.pk,
            "clock": clock.pk,
            "stage": clock.stage,
            "step": "chain",
            "chain_step": number,
            "repeat": repeat,
        },
        due_at=clock.deadline + timedelta(seconds=offset),
        ack_action=LEADER_ACK_ACTION,
    )


def _run_due_steps(clock: SlaClock, incident: Incident, now: datetime) -> list[str]:
    """Run every due step of one clock of a locked incident once (markers set, not saved)."""
    fired = []
    for step, at, marker in _steps(clock):
        if at is None or at > now or getattr(clock, marker) is not None:
            continue
        if step == TimerStep.WARN and now >= clock.deadline:
            # too late to warn: the breach step is what is due. Never silently: the clock records it
            # with its reason and the incident's timeline shows it (a breach is never skipped)
            if clock.warn_skipped_at is None:
                clock.warn_skipped_at = now
                clock.warn_skip_reason = SkipReason.DEADLINE_PASSED
            continue
        setattr(clock, marker, now)
        if step == TimerStep.BREACH:
            # the miss is certain now: record it where the KPIs and filters read it
            clock.met = False
            Incident.objects.filter(pk=incident.pk).update(**{f"{STAGE_FIELD[clock.stage]}_met": False})
            rollup.touch(incident.received_at, now)
        _notify_step(clock, incident, step, now, at)
        fired.append(step)
    if clock.chain and clock.breached_at is not None:
        while clock.chain_next < len(clock.chain):
            index, entry = clock.chain_next, clock.chain[clock.chain_next]
            if clock.deadline + timedelta(seconds=entry[0]) > now:
                break
            clock.chain_next += 1
            if _chain_repeat_stopped(clock, entry):
                continue  # acknowledged since this step first went out: no re-notification
            entry[5] = now.isoformat()
            _notify_chain_entry(clock, incident, index, entry, now)
            fired.append("chain")
    return fired


def _fire(incident: Incident, clocks: list[SlaClock], now: datetime) -> tuple[list[str], int]:
    """Run the due steps of a locked incident's clocks and re-arm its timer. Returns the steps run
    and how many clocks ran one."""
    fired, clocks_fired = [], 0
    for clock in clocks:
        if clock.next_fire_at is not None and clock.next_fire_at <= now:
            steps = _run_due_steps(clock, incident, now)
            fired += steps
            clocks_fired += bool(steps)
    _publish(_arm(clocks, now))
    SlaClock.objects.bulk_update(
        clocks,
        [
            "warned_at",
            "breached_at",
            "escalated_at",
            "warn_skipped_at",
            "warn_skip_reason",
            "met",
            "next_fire_at",
            "task_id",
            "chain",
            "chain_next",
        ],
    )
    return fired, clocks_fired


def _locking(*, skip_locked: bool = False):
    """Incidents read FOR UPDATE: the incident row is the one mutex of its clocks, taken first by every
    writer of them (the timer, recording a step, closing) so that they queue instead of deadlocking.
    Locks the incident only, not the station it joins."""
    return Incident.objects.select_for_update(skip_locked=skip_locked, of=("self",)).select_related("station")


@transaction.atomic
def clock_fire(*, clock_id: int, task_id: str | None = None, now: datetime | None = None) -> list[str]:
    """Fire the due timer steps of the incident that clock ``clock_id`` belongs to, then arm its next.
    Called by the incident timer's ETA task (``task_id``; the clock is the lead it was armed for) and,
    without a task id, by tests and tools. A task whose id no clock of the incident carries any more
    (re-armed, or every stage done) does nothing."""
    now = now or timezone.now()
    incident_id = SlaClock.objects.filter(pk=clock_id).values_list("incident_id", flat=True).first()
    incident = _locking().filter(pk=incident_id).first()
    if incident is None:
        return []
    clocks = list(SlaClock.objects.filter(incident=incident).order_by("deadline", "pk"))
    due = any(c.next_fire_at is not None and c.next_fire_at <= now for c in clocks)
    if task_id is not None:
        carriers = [c for c in clocks if c.task_id == task_id]
        if not carriers:
            return []  # stale: re-armed since, or every stage done
        if not due and any(c.pk == clock_id for c in carriers):
            return []  # early: its lead clock still waits
        # else due, or the lead's stage was done before its step: re-arm for the steps still left
    elif not due:
        return []
    return _fire(incident, clocks, now)[0]


def clocks_sweep(*, now: datetime | None = None, grace_seconds: float = 2.0, limit: int = 500) -> int:
    """Fire every due clock that no task fired (lost message, broker restart); returns how many clocks
    ran a step. Safe with two workers: each incident is claimed with ``SKIP LOCKED`` in its own
    transaction and its clocks re-read once locked."""
    now = now or timezone.now()
    # a grace period lets the ETA task, due at the same instant, do its own work first
    cutoff = now - timedelta(seconds=grace_seconds)
    incident_ids = SlaClock.objects.filter(next_fire_at__lte=cutoff).order_by("next_fire_at")
    incident_ids = dict.fromkeys(incident_ids.values_list("incident_id", flat=True)[:limit])
    fired = 0
    for incident_id in incident_ids:
        with transaction.atomic():
            incident = _locking(skip_locked=True).filter(pk=incident_id).first()
            if incident is None:
                continue
            clocks = list(SlaClock.objects.filter(incident=incident).order_by("deadline", "pk"))
            if any(c.next_fire_at is not None and c.next_fire_at <= cutoff for c in clocks):
                fired += _fire(incident, clocks, now)[1]
    # the reminders' pulse: /healthz, the duty board's banner and the processes' watchdog read it
    heartbeat_record(name=CLOCKS_SWEEP_HEARTBEAT)
    return fired


# ---------------------------------------------------------------------------------------------------
# Incidents


def incident_input_errors(*, received_at, lat, lon, caller_phone, now=None) -> dict:
    """A call's field problems, all of them (``{field: [messages]}``); the call form runs it too so
    that one submit shows every error at once."""
    return _validate_common(
        received_at=received_at, lat=lat, lon=lon, caller_phone=caller_phone, now=now or timezone.now()
    )


def _validate_common(*, received_at, lat, lon, caller_phone, now) -> dict:
    errors = {}
    if received_at is None:
        errors["received_at"] = [_("必须填写接警时间。")]
    elif timezone.is_naive(received_at):
        errors["received_at"] = [_("接警时间必须带时区。")]
    elif received_at > now + FUTURE_TOLERANCE:
        errors["received_at"] = [_("接警时间不能晚于当前时间5分钟以上。")]
    if (lat is None) != (lon is None):
        errors["lat"] = [_("纬度和经度必须同时提供。")]
    else:
        if lat is not None and not -90 <= lat <= 90:
            errors["lat"] = [_("纬度必须在 -90 到 90 之间（WGS84）。")]
        if lon is not None and not -180 <= lon <= 180:
            errors["lon"] = [_("经度必须在 -180 到 180 之间（WGS84）。")]
    errors.update(field_errors([("caller_phone", validate_phone, caller_phone)]))
    return errors


def _next_incident_id() -> int | None:
    """The new incident's id drawn from its sequence before the insert (PostgreSQL), so that the insert
    writes the number, which contains the id, instead of a second UPDATE (a counter row would
    serialise intake). None elsewhere: the row is numbered after its insert."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Incident._meta.db_table])
        return cursor.fetchone()[0]


def _incident_number(received_at: datetime, pk: int) -> str:
    return f"J{timezone.localtime(received_at):%Y%m%d}{pk:07d}"


def _set_prefetched(instance, name: str, rows: list) -> None:
    """Attach ``rows`` as the prefetched ``instance.<name>.all()``, as ``prefetch_related`` would
    (the rows were written in this transaction; filtering the relation still queries)."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


@transaction.atomic
def incident_create(
    *,
    actor,
    station=None,
    category: str,
    received_at: datetime,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    description: str = "",
    caller_phone: str = "",
    source_inbound=None,
    routed_by: str | None = None,
    divert_to: str = "",
    catalogue_item: int | None = None,
    standard_address=None,
) -> Incident:
    """Take a call: write the incident, freeze the SLA policy in force, open one clock per stage, tell
    the duty leader (acknowledging records `leader_notified`) and arm the clocks' timers on commit.

    Without ``station`` the call goes to the station whose boundary contains its point, else to the
    nearest station's headquarters; ``routed_by`` records which (``given`` when a station was named).

    With ``divert_to`` (a hotline partner's code) the call is diverted as it is taken: its clocks are
    written already stopped as not needed, no timer is armed, the duty leader is not paged, and the
    `diverted` step (with ``catalogue_item``, a 110 → 12345 catalogue item id) is recorded at once.
    ``catalogue_item`` without ``divert_to`` records the 12345 → 110 item the call came under."""
    now = timezone.now()
    errors = _validate_common(received_at=received_at, lat=lat, lon=lon, caller_phone=caller_phone, now=now)
    if station is None and "lat" not in errors and "lon" not in errors:
        station, routed_by = org_selectors.route_point(lat=lat, lon=lon)
        if station is None:
            raise ValidationError({"station": [_("请指定派出所，或填写坐标以按辖区自动分派。")]})
    elif routed_by is None:
        routed_by = RoutedBy.GIVEN
    if station is None:
        raise ValidationError(errors)
    if not can_act_for_station(actor, station):
        raise PermissionDenied(_("只能为本所登记警情。"))
    if category not in Category.values:
        errors["category"] = [_("未知的警情类别：%(c)s") % {"c": category}]
    if divert_to and _hotline_partner(divert_to) is None:
        errors["divert_to"] = [_("“%(target)s”不是已配置的热线平台。") % {"target": divert_to}]
    item = None
    if catalogue_item is not None:
        direction = DiversionDirection.TO_12345 if divert_to else DiversionDirection.TO_110
        item, problem = _catalogue_item(catalogue_item, direction)
        if problem:
            errors["catalogue_item"] = [problem]
    if errors:
        raise ValidationError(errors)
    policy = policy_for(category)
    snap = policy_snapshot(policy)
    caller_phone = normalize_phone(caller_phone)  # repeat calls match the normalised number
    from places.selectors import repeat_count

    repeats = repeat_count(
        received_at=received_at,
        phone=caller_phone,
        standard_address_id=standard_address.pk if standard_address else None,
        lat=lat,
        lon=lon,
    )
    pk = _next_incident_id()
    incident = Incident.objects.create(
        id=pk,
        number=_incident_number(received_at, pk) if pk else f"TMP-{uuid.uuid4().hex[:24]}",
        station=station,
        routed_by=routed_by,
        category=category,
        received_at=received_at,
        address=address,
        standard_address=standard_address,
        repeat_count=repeats,
        lat=lat,
        lon=lon,
        description=description,
        caller_phone=caller_phone,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        sla_policy=policy,
        sla_snapshot=snap,
        source_inbound=source_inbound,
        diversion_item=None if divert_to else item,
    )
    if pk is None:  # no sequence to draw from first: number the row once the insert gave its id
        incident.number = _incident_number(received_at, incident.pk)
        Incident.objects.filter(pk=incident.pk).update(number=incident.number)
    rollup.touch(received_at, now)  # a call logged days late lands in a sealed day
    warn = timedelta(seconds=snap["warn_before_seconds"])
    escalate = timedelta(seconds=snap["escalate_after_seconds"])
    # the escalation chain in force for the station, frozen like the limits (empty: the built-in)
    chain_steps = selectors.chain_steps_for(station.pk)
    clocks = []
    for stage in STAGES:
        deadline = received_at + timedelta(seconds=snap["limits"][stage])
        clocks.append(
            SlaClock(
                incident=incident,
                stage=stage,
                limit_seconds=snap["limits"][stage],
                deadline=deadline,
                warn_at=deadline - warn if snap["warn_before_seconds"] else None,
                escalate_at=None if chain_steps else deadline + escalate,
                chain=selectors.expand_chain(chain_steps),
            )
        )
    if divert_to:
        # diverted as it is taken: the police stages are not needed, and nothing is armed or paged
        for clock in clocks:
            clock.not_needed = True
            clock.stopped_at = now
        SlaClock.objects.bulk_create(clocks)
    else:
        lead = _arm(clocks, now)
        SlaClock.objects.bulk_create(clocks)
        _publish(lead)  # one ETA task for the incident's first step
    audit_record(
        actor=actor, action="incident.create", obj=incident, after=snapshot(incident, INCIDENT_FIELDS)
    )
    if divert_to:
        incident_record_event(
            actor=actor,
            incident=incident,
            kind=EventKind.DIVERTED,
            at=max(now, received_at),
            note=_("接警时直接分流"),
            target=divert_to,
            catalogue_item=catalogue_item,
        )
        incident = Incident.objects.select_related("station").get(pk=incident.pk)
        _set_prefetched(incident, "clocks", list(incident.clocks.order_by("deadline")))
        _set_prefetched(incident, "events", list(incident.events.order_by("at", "id")))
        return incident
    notification_send(
        key=f"incident:{incident.pk}:leader",
        kind="incidents.new",
        level=Level.INFO,
        title=_("新警情：%(number)s %(category)s")
        % {"number": incident.number, "category": incident.get_category_display()},
        body=_("%(time)s %(address)s %(description)s（确认即记录“已通报值班所领导”）")
        % {
            "time": timezone.localtime(received_at).strftime("%H:%M:%S"),
            "address": address,
            "description": description[:80],
        },
        recipients=org_selectors.duty_leaders(station=station, at=now),
        station=station,
        link=_clock_link(incident),
        thread=f"incident:{incident.pk}",
        payload={"incident": incident.pk},
        ack_action=LEADER_ACK_ACTION,
        new_key=True,  # the key names the incident inserted above: no notification can have it yet
    )
    # what the API answers with, as read back it would be: the new clocks and an empty timeline
    _set_prefetched(incident, "clocks", clocks)
    _set_prefetched(incident, "events", [])
    return incident


def _hotline_partner(target: str) -> Partner | None:
    return Partner.objects.filter(code=target, enabled=True, is_hotline=True).first()


def _catalogue_item(item_id, direction: str) -> tuple[DiversionItem | None, str]:
    """The active catalogue item ``item_id`` of ``direction``, or the reason it cannot be used."""
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        return None, _("分流目录事项必须是事项编号（整数）。")
    item = DiversionItem.objects.select_related("category").filter(pk=item_id).first()
    if item is None:
        return None, _("分流目录中没有编号为 %(id)s 的事项。") % {"id": item_id}
    if not (item.is_active and item.category.is_active):
        return None, _("分流目录事项“%(item)s”已停用。") % {"item": item.name}
    if item.category.direction != direction:
        return None, _("“%(item)s”属于“%(direction)s”方向，不能用于此处（应为“%(expected)s”）。") % {
            "item": item.name,
            "direction": item.category.get_direction_display(),
            "expected": DiversionDirection(direction).label,
        }
    return item, ""


def _effective_events(incident: Incident) -> dict[str, IncidentEvent]:
    """The event in force per kind: the last of each correction chain."""
    events = list(incident.events.all().order_by("id"))
    superseded = {e.supersedes_id for e in events if e.supersedes_id}
    return {e.kind: e for e in events if e.pk not in superseded}


def _diversion_active(effective: dict[str, IncidentEvent]) -> bool:
    """Whether the incident is diverted now: its latest `diverted` is not followed by the hotline's
    `diversion_rejected`."""
    diverted = effective.get(EventKind.DIVERTED)
    rejected = effective.get(EventKind.DIVERSION_REJECTED)
    return diverted is not None and (rejected is None or rejected.pk < diverted.pk)


def _final_kind(effective: dict[str, IncidentEvent]) -> str | None:
    """The event that ended the incident for the police (`closed`, or a diversion not rejected)."""
    if EventKind.CLOSED in effective:
        return EventKind.CLOSED
    return EventKind.DIVERTED if _diversion_active(effective) else None


def clock_start(incident: Incident, clock: SlaClock) -> datetime:
    """Where a clock counts from: receipt, or the time it was restarted."""
    return clock.restarted_at or incident.received_at


def _apply_stage(incident: Incident, stage: str, at: datetime) -> None:
    clock = SlaClock.objects.select_for_update().get(incident=incident, stage=stage)
    elapsed = elapsed_seconds(clock_start(incident, clock), at)
    clock.done_at = at
    clock.met = elapsed <= clock.limit_seconds
    clock.not_needed = False
    _disarm(clock)
    clock.save(update_fields=["done_at", "met", "not_needed", "next_fire_at", "task_id"])
    prefix = STAGE_FIELD[stage]
    setattr(incident, f"{prefix}_seconds", elapsed)
    setattr(incident, f"{prefix}_met", clock.met)


@transaction.atomic
def incident_record_event(
    *,
    actor,
    incident: Incident,
    kind: str,
    at: datetime | None,
    note: str = "",
    target: str = "",
    supersedes: int | None = None,
    catalogue_item: int | None = None,
    officers: list[str] | None = None,
    unit: str = "",
) -> IncidentEvent:
    """Append a step to the timeline, validated against the contract's rules, and stamp its clock.

    A correction (``supersedes`` = the id of the event it corrects) appends a new event of the same
    kind that takes the old one's place; the old row stays. `closed` and `diverted` end the incident for
    the police; `diverted` puts an event for the hotline in the exchange outbox.
    """
    incident = _locking().get(pk=incident.pk)
    if not can_act_for_station(actor, incident.station):
        raise PermissionDenied(_("只能处置本所的警情。"))
    now = timezone.now()
    # 400: the input itself
    errors = {}
    if kind not in EventKind.values:
        errors["kind"] = [_("未知的环节：%(kind)s") % {"kind": kind}]
    if at is None:
        errors["at"] = [_("必须填写时间。")]
    elif timezone.is_naive(at):
        errors["at"] = [_("时间必须带时区。")]
    elif earlier_to_the_second(at, incident.received_at):
        errors["at"] = [_("时间不能早于接警时间。")]
    elif at > now + FUTURE_TOLERANCE:
        errors["at"] = [_("时间不能晚于当前时间5分钟以上。")]
    corrected = None
    if supersedes is not None:
        corrected = IncidentEvent.objects.filter(pk=supersedes, incident=incident).first()
        if corrected is None:
            errors["supersedes"] = [_("要更正的环节不属于该警情。")]
        elif corrected.kind != kind:
            errors["supersedes"] = [_("更正必须与原环节类型相同。")]
        elif kind == EventKind.DIVERTED:
            errors["supersedes"] = [_("分流不能更正，请联系热线平台。")]
    if kind == EventKind.DIVERSION_REJECTED:
        errors["kind"] = [_("“分流被退回”只能由热线平台退回分流时记录。")]
    if kind == EventKind.DIVERTED and supersedes is None:
        if not target:
            errors["target"] = [_("分流必须指定去向，如 12345。")]
        elif _hotline_partner(target) is None:
            errors["target"] = [_("“%(target)s”不是已配置的热线平台。") % {"target": target}]
    item = None
    if catalogue_item is not None:
        if kind != EventKind.DIVERTED or supersedes is not None:
            errors["catalogue_item"] = [_("只有分流环节可以选择分流目录事项。")]
        else:
            item, problem = _catalogue_item(catalogue_item, DiversionDirection.TO_12345)
            if problem:
                errors["catalogue_item"] = [problem]
    named = []
    if officers or unit:
        if kind not in (EventKind.DISPATCHED, EventKind.ARRIVED):
            key = "officers" if officers else "unit"
            errors[key] = [_("只有派警和到场环节可以填写出警民警和呼号。")]
        elif officers:
            try:
                named = station_people(station=incident.station, usernames=officers, field="officers")
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    # 409: the timeline's state
    effective = _effective_events(incident)
    if corrected is not None:
        if IncidentEvent.objects.filter(supersedes=corrected).exists():
            raise StateConflict(_("该环节已被更正过，请更正最新的记录。"))
    else:
        if kind in effective and not (kind == EventKind.DIVERTED and not _diversion_active(effective)):
            raise StateConflict(
                _("“%(kind)s”已记录，每个环节只能记录一次（如需修改请提交更正）。")
                % {"kind": EventKind(kind).label}
            )
        final = _final_kind(effective)
        if final is not None:
            raise StateConflict(
                _("警情已%(final)s，不能再记录其他环节。") % {"final": EventKind(final).label}
            )
        if kind == EventKind.ARRIVED and EventKind.DISPATCHED not in effective:
            raise StateConflict(_("须先记录派警，才能记录到场。"))
    before = snapshot(incident, ["status", "closed_at", "diverted_to"])
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        at=at,
        note=note,
        target=target if kind == EventKind.DIVERTED else "",
        unit=(unit or "").strip()[:40],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        supersedes=corrected,
    )
    if named:
        event.officers.set(named)
    update_fields = []
    stage = EVENT_STAGE.get(kind)
    if stage is not None:
        _apply_stage(incident, stage, at)
        prefix = STAGE_FIELD[stage]
        update_fields += [f"{prefix}_seconds", f"{prefix}_met"]
    elif kind == EventKind.CLOSED:
        incident.status = Status.CLOSED
        incident.closed_at = at
        update_fields += ["status", "closed_at"]
        if corrected is None:
            update_fields += _end_clocks(incident, now, diverted=False)
    elif kind == EventKind.DIVERTED:
        incident.status = Status.DIVERTED
        incident.closed_at = at
        incident.diverted_to = target
        incident.diversion_item = item
        update_fields += ["status", "closed_at", "diverted_to", "diversion_item"]
        update_fields += _end_clocks(incident, now, diverted=True)
    incident.save(update_fields=sorted(set(update_fields)))
    rollup.touch(incident.received_at, now)
    audit_record(
        actor=actor,
        action="incident.correct_event" if corrected else "incident.record_event",
        obj=incident,
        before=before,
        after={
            **snapshot(incident, ["status", "closed_at", "diverted_to"]),
            "event": {
                "id": event.pk,
                "kind": kind,
                "at": at.isoformat(),
                "supersedes": supersedes,
                **({"officers": [u.username for u in named], "unit": event.unit} if named or unit else {}),
            },
        },
    )
    if kind == EventKind.CLOSED and corrected is None and incident.source_inbound_id:
        # the grid/12345 event this incident came from is done: its partner hears `handled`
        exchange_services.inbound_result_closed(
            actor=actor,
            event_id=incident.source_inbound_id,
            note=note or _("警情 %(number)s 已办结") % {"number": incident.number},
            at=at,
        )
    if kind == EventKind.DIVERTED:
        exchange_services.outbound_create(
            actor=actor,
            target=target,
            kind=OutboundKind.DIVERSION,
            title=_("非警务警情分流：%(number)s") % {"number": incident.number},
            payload={
                "incident_number": incident.number,
                "category": incident.category,
                "received_at": timezone.localtime(incident.received_at).isoformat(),
                "address": incident.address,
                "lat": incident.lat,
                "lon": incident.lon,
                "description": incident.description,
                "caller_phone": incident.caller_phone,
                "note": note,
                "catalogue_item": item.pk if item else None,
                "catalogue_item_name": str(item) if item else "",
            },
            station=incident.station,
            source=incident,
        )
    return event


def _end_clocks(incident: Incident, now: datetime, *, diverted: bool) -> list[str]:
    """Stop the reminders of the stages not done. On diversion they are not needed (met stays null);
    on closure they can never be done, so they are misses (recorded now for the KPIs)."""
    fields = []
    for clock in SlaClock.objects.select_for_update().filter(incident=incident, done_at__isnull=True):
        clock.stopped_at = now
        _disarm(clock)
        if diverted:
            clock.not_needed = True
            clock.met = None
        else:
            clock.met = False
        clock.save(update_fields=["stopped_at", "next_fire_at", "task_id", "not_needed", "met"])
        field = f"{STAGE_FIELD[clock.stage]}_met"
        setattr(incident, field, clock.met)
        fields.append(field)
    return fields


def _restart_clocks(incident: Incident, start: datetime, now: datetime) -> list[SlaClock]:
    """The stages not done get new clocks from ``start``: the frozen limit, a fresh deadline and
    warning/escalation times, the timer markers cleared, ``restarted_at`` set. Returns all of the
    incident's clocks (for arming)."""
    snap = incident.sla_snapshot or {}
    warn_before = snap.get("warn_before_seconds", 0)
    escalate_after = snap.get("escalate_after_seconds")
    clocks = list(SlaClock.objects.select_for_update().filter(incident=incident).order_by("deadline", "pk"))
    for clock in clocks:
        if clock.done_at is not None:
            continue
        deadline = start + timedelta(seconds=clock.limit_seconds)
        clock.restarted_at = start
        clock.deadline = deadline
        clock.warn_at = deadline - timedelta(seconds=warn_before) if warn_before else None
        clock.escalate_at = (
            None if clock.chain or escalate_after is None else deadline + timedelta(seconds=escalate_after)
        )
        clock.met = None
        clock.not_needed = False
        clock.stopped_at = None
        clock.warned_at = clock.breached_at = clock.escalated_at = None
        clock.warn_skipped_at = None
        clock.warn_skip_reason = ""
        clock.acknowledged_at = None
        clock.chain = [entry[:5] + [None] for entry in clock.chain]
        clock.chain_next = 0
        setattr(incident, f"{STAGE_FIELD[clock.stage]}_met", None)
    return clocks


@transaction.atomic
def incident_diversion_rejected(*, actor, incident_id: int, note: str = "", at: datetime | None = None):
    """The hotline rejected the incident's diversion (its ack ``rejected`` on the outbound event):
    `diversion_rejected` on the timeline with the partner's note, the incident back in the station's
    queue as open and not diverted, the stages not done restarted from the rejection time, and the
    station's duty leader told. Called by ``exchange.services.outbound_ack``; an incident that is not
    diverted (any more) is left alone and None returned."""
    incident = _locking().filter(pk=incident_id).first()
    if incident is None:
        return None
    effective = _effective_events(incident)
    if not _diversion_active(effective) or EventKind.CLOSED in effective:
        return None
    now = timezone.now()
    diverted = effective[EventKind.DIVERTED]
    # the rejection as the partner dates it, never before the diversion it answers nor in the future
    at = min(max(at or now, diverted.at), now)
    before = snapshot(incident, ["status", "closed_at", "diverted_to"])
    partner = incident.diverted_to
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=EventKind.DIVERSION_REJECTED,
        at=at,
        note=note,
        target=partner,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    incident.status = Status.OPEN
    incident.closed_at = None
    incident.diverted_to = ""
    clocks = _restart_clocks(incident, at, now)
    lead = _arm(clocks, now)
    SlaClock.objects.bulk_update(
        clocks,
        [
            "restarted_at",
            "deadline",
            "warn_at",
            "escalate_at",
            "met",
            "not_needed",
            "stopped_at",
            "warned_at",
            "breached_at",
            "escalated_at",
            "warn_skipped_at",
            "warn_skip_reason",
            "acknowledged_at",
            "chain",
            "chain_next",
            "next_fire_at",
            "task_id",
        ],
    )
    _publish(lead)
    incident.save(
        update_fields=["status", "closed_at", "diverted_to"] + [f"{p}_met" for p in STAGE_FIELD.values()]
    )
    rollup.touch(incident.received_at, now)
    audit_record(
        actor=actor,
        action="incident.diversion_rejected",
        obj=incident,
        before=before,
        after={
            **snapshot(incident, ["status", "closed_at", "diverted_to"]),
            "event": {"id": event.pk, "kind": event.kind, "at": at.isoformat(), "partner": partner},
        },
    )
    notification_send(
        key=f"incident:{incident.pk}:diversion_rejected:{event.pk}",
        kind="incidents.diversion_rejected",
        level=Level.WARNING,
        title=_("分流被退回：%(number)s %(category)s")
        % {"number": incident.number, "category": incident.get_category_display()},
        body=_(
            "%(partner)s 退回了分流的警情（%(address)s）：%(note)s。警情已回到本所待处置，未完成环节已重新计时。"
        )
        % {"partner": partner, "address": incident.address or "—", "note": note or "—"},
        recipients=org_selectors.duty_leaders(station=incident.station, at=now),
        station=incident.station,
        link=_clock_link(incident),
        thread=f"incident:{incident.pk}",
        payload={"incident": incident.pk},
        ack_action=LEADER_ACK_ACTION,
    )
    return event


def leader_acknowledged(*, notification, user, at) -> None:
    """Ack handler (``incidents.leader_ack``): the duty leader acknowledged a notification about an
    incident, which records its `leader_notified` step at the acknowledgement time if not recorded yet.

    Runs inside the acknowledgement's transaction; it never fails the acknowledgement itself.
    """
    incident_id = (notification.payload or {}).get("incident")
    incident = _locking().filter(pk=incident_id).first()
    if incident is None:
        return
    # stops the re-notification of every step sent so far; a stage that breaches later starts its
    # own chain. Never re-arms a timer: a stale acknowledgement cannot page anyone.
    SlaClock.objects.filter(incident=incident, breached_at__isnull=False, done_at__isnull=True).filter(
        Q(acknowledged_at__isnull=True) | Q(acknowledged_at__lt=at)
    ).update(acknowledged_at=at)
    effective = _effective_events(incident)
    if EventKind.LEADER_NOTIFIED in effective or _final_kind(effective) is not None:
        return
    if not can_act_for_station(user, incident.station):
        return
    incident_record_event(
        actor=user,
        incident=incident,
        kind=EventKind.LEADER_NOTIFIED,
        at=max(at, incident.received_at),
        note=_("值班领导在通知中确认"),
    )


@transaction.atomic
def incident_accept_inbound(
    *, actor, event, category: str, note: str = "", catalogue_item: int | None = None
) -> Incident:
    """Accept an inbound grid/12345 event as an incident: the incident is received now, in the event's
    station (or the officer's), and the event's status flows back to its source as `accepted`."""
    station = event.station or getattr(actor, "station", None)
    routed_by = (event.routed_by or RoutedBy.GIVEN) if event.station else RoutedBy.GIVEN
    if station is None:
        raise ValidationError({"station": [_("该来件没有所属派出所，请由派出所民警受理。")]})
    if event.status != InboundStatus.PENDING:
        raise StateConflict(_("该来件已处理，不能再受理为警情。"))
    if Incident.objects.filter(source_inbound=event).exists():
        raise StateConflict(_("该来件已受理为警情。"))
    incident = incident_create(
        actor=actor,
        station=station,
        category=category,
        received_at=timezone.now(),
        address=event.address,
        lat=event.lat,
        lon=event.lon,
        description=f"[{event.external_id}] {event.title}\n{event.description}".strip(),
        source_inbound=event,
        routed_by=routed_by,
        catalogue_item=catalogue_item,  # a 12345 → 110 item
    )
    exchange_services.inbound_work(
        actor=actor,
        event=event,
        status=InboundStatus.ACCEPTED,
        note=note or _("已受理为警情 %(number)s") % {"number": incident.number},
        result=incident,
    )
    return incident


def stats_refresh(*, now: datetime | None = None, limit: int | None = 120) -> dict:
    """Seal the dispatch rollup's days and months that are settled (see ``incidents.rollup``)."""
    return rollup.refresh(now, limit=limit)


def stats_verify(
    *, since: date | None = None, units: list | None = None, now: datetime | None = None
) -> dict:
    """Compare the rollup's sealed units (from ``since``, or only ``units``) with their raw rows:
    ``{"checked": n, "mismatches": [{"unit", "start", "sealed", "raw"}]}``."""
    checked = rollup.IncidentStatSeal.objects.filter(sealed_at__isnull=False)
    if since is not None:
        checked = checked.filter(start__gte=since.replace(day=1))
    mismatches = rollup.verify(since=since, units=units, now=now)
    return {"checked": len(units) if units is not None else checked.count(), "mismatches": mismatches}


def stats_repair(*, mismatches: list[dict], now: datetime | None = None) -> int:
    """Unseal and reseal units found stale by ``stats_verify``; returns how many were resealed."""
    resealed = rollup.repair(mismatches, now=now)
    with transaction.atomic():
        for m in mismatches:
            seal = rollup.IncidentStatSeal.objects.get(unit=m["unit"], start=m["start"])
            audit_record(
                actor=None,
                action="incidents.stats.repair",
                obj=seal,
                before={"incidents": m["sealed"]},
                after={"incidents": m["raw"], "sealed": seal.sealed_at is not None},
            )
    return resealed


def stats_verify_sample(*, size: int = 60, now: datetime | None = None, seed: int | None = None) -> dict:
    """Nightly: verify a random sample of sealed units; on a mismatch, notify the admins (once per
    night and finding) — the fix is ``manage.py sealstats --verify --repair``."""
    import random

    now = now or timezone.now()
    units = list(rollup.IncidentStatSeal.objects.filter(sealed_at__isnull=False).values_list("unit", "start"))
    sample = random.Random(seed).sample(units, min(size, len(units)))
    result = stats_verify(units=sample, now=now)
    if result["mismatches"]:
        admins = org_selectors.users_with_role(Role.ADMIN)
        listed = "; ".join(
            f"{m['unit']} {m['start']}: {m['sealed']} / {m['raw']}" for m in result["mismatches"][:20]
        )
        notification_send(
            key=f"incidents:stats-verify:{timezone.localdate(now).isoformat()}",
            kind="incidents.stats_mismatch",
            level=Level.WARNING,
            title=_("警情统计汇总与原始记录不一致（%(n)d 个封存单元）") % {"n": len(result["mismatches"])},
            body=_("抽查 %(c)d 个封存单元，不一致：%(list)s。请运行 manage.py sealstats --verify --repair。")
            % {"c": result["checked"], "list": listed},
            recipients=admins,
            payload={"mismatches": [[m["unit"], m["start"].isoformat()] for m in result["mismatches"]]},
        )
    return {"checked": result["checked"], "mismatches": len(result["mismatches"])}


__all__ = [
    "STAGE_EVENT",
    "clock_fire",
    "clocks_sweep",
    "incident_accept_inbound",
    "incident_create",
    "incident_diversion_rejected",
    "incident_record_event",
    "leader_acknowledged",
    "policy_for",
    "stats_refresh",
    "stats_repair",
    "stats_verify",
    "stats_verify_sample",
]


# ---------------------------------------------------------------------------------------------------
# Escalation chains

MAX_CHAIN_STEPS = 10


def _validate_chain_steps(steps: list[dict]) -> list[str]:
    errors = []
    if not steps:
        errors.append(_("升级链至少需要一步。"))
    if len(steps) > MAX_CHAIN_STEPS:
        errors.append(_("升级链最多 %(n)d 步。") % {"n": MAX_CHAIN_STEPS})
    for number, step in enumerate(steps, start=1):
        prefix = _("第%(n)d步：") % {"n": number}
        target = step.get("target")
        if not target:
            errors.append(prefix + _("必须选择通知对象。"))
        elif target not in ChainTarget.values:
            errors.append(prefix + _("未知的通知对象：%(t)s") % {"t": target})
        elif target == ChainTarget.PERSON and step.get("person") is None:
            errors.append(prefix + _("通知“指定人员”时必须选择人员。"))
        for field, label in (
            ("wait_seconds", _("等待时间")),
            ("repeat_times", _("重复次数")),
            ("repeat_every_seconds", _("重复间隔")),
        ):
            value = step.get(field) or 0
            if not isinstance(value, int) or value < 0:
                errors.append(prefix + _("%(label)s不能为负数。") % {"label": label})
        if (step.get("repeat_times") or 0) > 10:
            errors.append(prefix + _("重复次数最多 10 次。"))
        if (step.get("repeat_times") or 0) > 0 and (step.get("repeat_every_seconds") or 0) <= 0:
            errors.append(prefix + _("设置了重复提醒时，重复间隔必须大于0秒。"))
    return errors


def _chain_snapshot(chain: EscalationChain) -> dict:
    return {
        "station": chain.station_id,
        "steps": [
            {
                "target": s.target,
                "person": s.person_id,
                "wait_seconds": s.wait_seconds,
                "repeat_times": s.repeat_times,
                "repeat_every_seconds": s.repeat_every_seconds,
            }
            for s in chain.steps.order_by("position")
        ],
    }


def _check_chain_keeper(actor) -> None:
    if getattr(actor, "role", None) not in (Role.BUREAU_LEADER, Role.ADMIN):
        raise PermissionDenied(_("只有分局领导可以设置升级链。"))


@transaction.atomic
def escalation_chain_save(*, actor, station, steps: list[dict]) -> EscalationChain:
    """Replace the escalation chain of ``station`` (None = the sub-bureau default) with ``steps``
    (dicts of target, person, wait_seconds, repeat_times, repeat_every_seconds) in order. Applies to
    incidents received afterwards; those already open keep the chain frozen at their receipt."""
    _check_chain_keeper(actor)
    errors = _validate_chain_steps(steps)
    if errors:
        raise ValidationError({"steps": errors})
    chain = EscalationChain.objects.select_for_update().filter(station=station).first()
    before = _chain_snapshot(chain) if chain else None
    if chain is None:
        chain = EscalationChain.objects.create(station=station)
    else:
        chain.steps.all().delete()
        chain.save(update_fields=["updated_at"])
    EscalationStep.objects.bulk_create(
        [
            EscalationStep(
                chain=chain,
                position=i,
                target=s["target"],
                person=s.get("person") if s["target"] == ChainTarget.PERSON else None,
                wait_seconds=s.get("wait_seconds") or 0,
                repeat_times=s.get("repeat_times") or 0,
                repeat_every_seconds=s.get("repeat_every_seconds") or 0,
            )
            for i, s in enumerate(steps)
        ]
    )
    audit_record(
        actor=actor, action="incident.chain_save", obj=chain, before=before, after=_chain_snapshot(chain)
    )
    return chain


@transaction.atomic
def escalation_chain_reset(*, actor, station) -> None:
    """Drop the chain of ``station`` (it follows the sub-bureau default again) or, for None, the
    sub-bureau default (the built-in chain applies again)."""
    _check_chain_keeper(actor)
    chain = EscalationChain.objects.select_for_update().filter(station=station).first()
    if chain is None:
        return
    audit_record(actor=actor, action="incident.chain_reset", obj=chain, before=_chain_snapshot(chain))
    chain.delete()


# ---------------------------------------------------------------------------------------------------
# Diversion catalogue (editable by bureau leaders and admins)

CATALOGUE_KEEPERS = (Role.BUREAU_LEADER, Role.ADMIN)
ITEM_FIELDS = ["category", "name", "description", "keywords", "incident_category", "position", "is_active"]
CATEGORY_FIELDS = ["direction", "name", "position", "is_active"]


def _check_catalogue_keeper(actor) -> None:
    if getattr(actor, "role", None) not in CATALOGUE_KEEPERS:
        raise PermissionDenied(_("只有分局领导或管理员可以维护分流目录。"))


def _save_model(actor, obj, fields: list[str], data: dict, action: str):
    before = snapshot(obj, fields) if obj.pk else None
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    obj.save()
    audit_record(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj, fields))
    return obj


@transaction.atomic
def diversion_category_save(
    *, actor, category: DiversionCategory | None = None, data: dict
) -> DiversionCategory:
    """Create or edit a catalogue category (direction, name, order, active)."""
    _check_catalogue_keeper(actor)
    if (
        category is not None
        and category.pk
        and data.get("direction", category.direction) != category.direction
    ):
        if category.incidents_count():
            raise ValidationError({"direction": [_("该类别的事项已被警情引用，不能改变方向。")]})
    return _save_model(
        actor, category or DiversionCategory(), CATEGORY_FIELDS, data, "incident.diversion_category_save"
    )


@transaction.atomic
def diversion_item_save(*, actor, item: DiversionItem | None = None, data: dict) -> DiversionItem:
    """Create or edit a catalogue item. Items referenced by incidents are never deleted: switch them
    off (``is_active``) and they leave the form and the suggestions but keep their counts."""
    _check_catalogue_keeper(actor)
    item = item or DiversionItem()
    if item.pk and "category" in data and data["category"].direction != item.category.direction:
        if item.incidents.exists():
            raise ValidationError({"category": [_("该事项已被警情引用，不能移到另一方向的类别。")]})
    return _save_model(actor, item, ITEM_FIELDS, data, "incident.diversion_item_save")


@transaction.atomic
def caller_phone_reveal(*, actor, incident: Incident) -> str:
    """The caller's number in clear for a role that sees it masked (bureau leaders, admins): an
    audited click (qianwan.masking.reveal: who, when, which incident, which field). Others: 403."""
    from qianwan.masking import may_reveal, reveal

    if not may_reveal(actor):
        raise PermissionDenied(_("无权查看完整个人信息。"))
    reveal(actor=actor, obj=incident, fields=["caller_phone"])
    return incident.caller_phone
