"""Incident reminders under fault, counted the way a receiver would: the set-up (a short SLA policy, a
duty roster, one robot channel pointing at a loopback receiver), the end state every run must reach,
and the lateness/loss/duplicate figures that ``make faults`` prints.

The unit of exactly-once, of lateness and of receiver counting is (clock, step, recipient): in the app
a recipient's inbox item, on a channel a delivery (one per notification and channel, whose id —
``Delivery.uid``, header ``X-Qianwan-Delivery`` — the receiver sees). Counting is done on what the
receiver got (distinct delivery ids), never on rows guarded by a unique constraint.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from incidents.models import SlaClock, SlaPolicy
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, Delivery, InboxItem
from qianwan.org.choices import Role
from qianwan.org.models import DutyRoster
from tests.incidents.factories import make_incident

# every step of an incident falls due within 19 s of receipt: warn 3 s before each deadline, the
# deadlines at 6/9/12/15 s, escalation 4 s after a breach
SHORT_POLICY = {
    "dispatch_seconds": 6,
    "video_supervision_seconds": 9,
    "leader_notified_seconds": 12,
    "arrival_seconds": 15,
    "warn_before_seconds": 3,
    "escalate_after_seconds": 4,
}
CATEGORY = "help"

# figures collected over the session, printed as a table at the end (tests/reliability/conftest.py)
REPORT: list[dict] = []


def set_scene(make_user, station, receiver_url: str) -> Channel:
    """The short policy for CATEGORY, an officer, a station duty leader and a command-centre leader on
    duty, and one sub-bureau robot channel (every kind) posting to ``receiver_url``."""
    SlaPolicy.objects.update_or_create(category=CATEGORY, defaults=SHORT_POLICY)
    make_user(Role.OFFICER, username="scene-officer")
    now = timezone.now()
    for username, role, where in (
        ("scene-leader", Role.STATION_LEADER, station),
        ("scene-bureau", Role.BUREAU_LEADER, None),
    ):
        leader = make_user(role, username=username)
        DutyRoster.objects.create(
            station=where, leader=leader, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=6)
        )
    return Channel.objects.create(name="duty-robot", kind=ChannelKind.WECOM, url=f"{receiver_url}/robot")


def take_calls(station, n: int) -> list[int]:
    """``n`` calls taken now (each publishes its timer's ETA task on commit); their ids."""
    return [make_incident(station, category=CATEGORY).pk for _ in range(n)]


def unfinished(incident_ids) -> list[str]:
    """What is still missing for these incidents' reminders to be complete (empty when done): every
    clock breached and escalated (never skipped), its warning sent or recorded as skipped, nothing
    armed, every delivery delivered."""
    missing = []
    for c in SlaClock.objects.filter(incident_id__in=incident_ids):
        if c.breached_at is None or c.escalated_at is None:
            missing.append(f"{c.incident_id}/{c.stage}: breach/escalate")
        elif c.warned_at is None and c.warn_skipped_at is None:
            missing.append(f"{c.incident_id}/{c.stage}: warning neither sent nor recorded as skipped")
        elif c.next_fire_at is not None:
            missing.append(f"{c.incident_id}/{c.stage}: still armed")
    pending = Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).count()
    if pending:
        missing.append(f"{pending} deliveries not delivered")
    return missing


def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


@dataclass
class Tally:
    """What the receiver got against what the database says was due."""

    expected: set[str]
    received: Counter
    lost: set[str] = field(init=False)
    duplicated: dict[str, int] = field(init=False)
    unknown: set[str] = field(init=False)

    def __post_init__(self):
        self.lost = self.expected - set(self.received)
        self.duplicated = {i: n for i, n in self.received.items() if n > 1}
        self.unknown = set(self.received) - self.expected


def tally(receiver) -> Tally:
    """Every delivery in the database (each a due (notification, channel)) against the distinct
    delivery ids the receiver got."""
    expected = {str(u) for u in Delivery.objects.values_list("uid", flat=True)}
    return Tally(expected=expected, received=Counter(receiver.delivery_ids()))


def note(text: str) -> None:
    """A line of its own in the session's table (e.g. how many Redis restarts a worker survived)."""
    REPORT.append({"text": text})
    print(text)


def _after_outage(due, delivered, outages) -> float:
    """Lateness counted from the broker's return when the step fell due during an outage (or before
    it and was still undelivered when it began): max(due, last return at or after due) … delivered."""
    start = due
    for down, up in outages:
        if down <= delivered and up >= due:
            start = max(start, up)
    return max(0.0, (delivered - start).total_seconds())


def record(scenario: str, receiver, *, back_at=None, outages=(), **extra) -> dict:
    """Lateness (fired − due) of the clock steps per recipient in the app and per delivery on the
    channel, p50/p99/max in seconds, with lost and duplicate counts; kept for the session's table.
    ``outages`` ((down, up) pairs; ``back_at`` for one ending then): also the lateness counted from
    the broker's return for the steps that fell due while it was away."""
    if back_at is not None:
        outages = [(back_at, back_at), *outages]
    result = tally(receiver)
    inbox = [
        ms / 1000
        for ms in InboxItem.objects.filter(notification__due_at__isnull=False).values_list(
            "lateness_ms", flat=True
        )
    ]
    deliveries = list(
        Delivery.objects.filter(notification__due_at__isnull=False).values_list(
            "lateness_ms", "notification__due_at", "delivered_at"
        )
    )
    channel = [ms / 1000 for ms, _, _ in deliveries if ms is not None]
    row = {
        "scenario": scenario,
        "steps": len(inbox),
        "deliveries": len(result.expected),
        "lost": len(result.lost),
        "duplicates": sum(n - 1 for n in result.duplicated.values()),
        "inbox_p50": nearest_rank(inbox, 0.5),
        "inbox_p99": nearest_rank(inbox, 0.99),
        "inbox_max": max(inbox, default=None),
        "channel_p50": nearest_rank(channel, 0.5),
        "channel_p99": nearest_rank(channel, 0.99),
        "channel_max": max(channel, default=None),
        **extra,
    }
    if outages:
        after = [_after_outage(due, delivered, outages) for _, due, delivered in deliveries if delivered]
        row["after_back_p99"] = nearest_rank(after, 0.99)
        row["after_back_max"] = max(after, default=None)
    REPORT.append(row)
    print(format_row(row))
    return row


def _s(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def format_row(row: dict) -> str:
    if "text" in row:
        return row["text"]
    text = (
        f"{row['scenario']:<34} steps={row['steps']:<5} deliveries={row['deliveries']:<5} "
        f"lost={row['lost']} dup={row['duplicates']} | inbox p50/p99/max {_s(row['inbox_p50'])}/"
        f"{_s(row['inbox_p99'])}/{_s(row['inbox_max'])} s | channel p50/p99/max {_s(row['channel_p50'])}/"
        f"{_s(row['channel_p99'])}/{_s(row['channel_max'])} s"
    )
    if "after_back_p99" in row:
        text += f" | after broker back p99/max {_s(row['after_back_p99'])}/{_s(row['after_back_max'])} s"
    for key in ("alive", "resent", "in_flight"):
        if key in row:
            text += f" | {key}={row[key]}"
    return text
