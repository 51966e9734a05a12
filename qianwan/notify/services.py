"""Creating notifications (exactly once per key), the inbox, and delivering on channels."""

import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import refcache
from qianwan.errors import StateConflict
from qianwan.tasking import publish_on_commit
from qianwan.webhooks import backoff_seconds

from . import acks, channels
from .choices import DeliveryStatus, Level
from .models import Channel, Delivery, DeliveryAttempt, InboxItem, Notification

CLAIM_SECONDS = 120


@refcache.cached
def _default_channels(kind: str, station_id: int | None) -> tuple[Channel, ...]:
    """The enabled channels a notification of ``kind`` goes out on: the station's and the
    sub-bureau's (kept per process, qianwan/refcache.py)."""
    qs = Channel.objects.filter(enabled=True, broadcast_only=False)
    qs = (
        qs.filter(Q(station__isnull=True) | Q(station_id=station_id))
        if station_id
        else qs.filter(station__isnull=True)
    )
    return tuple(c for c in qs if not c.kinds or kind in c.kinds)


def notification_send(
    *,
    key: str,
    kind: str,
    title: str,
    recipients: Iterable,
    body: str = "",
    station=None,
    link: str = "",
    level: str = Level.INFO,
    payload: dict | None = None,
    channels: Iterable[Channel] | None = None,
    ack_action: str = "",
    new_key: bool = False,
) -> tuple[Notification, bool]:
    """Create the notification for ``key`` unless it exists; returns (notification, created).

    The unique key makes this exactly-once even when two workers race: the loser's insert fails
    inside a savepoint and it returns the winner's row without delivering anything.

    ``new_key=True``: the caller guarantees that no notification can have ``key`` yet (it names a row
    the caller inserted in its open transaction), so the look-up and the savepoints are skipped; a
    duplicate would then raise IntegrityError in the caller's transaction.
    """
    with transaction.atomic(savepoint=not new_key):
        return _send(
            key=key,
            new_key=new_key,
            recipients=recipients,
            channels=channels,
            fields={
                "kind": kind,
                "title": title[:200],
                "body": body,
                "link": link,
                "level": level,
                "station": station,
                "payload": payload or {},
                "ack_action": ack_action,
            },
        )


def _send(*, key, new_key, recipients, channels, fields) -> tuple[Notification, bool]:
    kind, station = fields["kind"], fields["station"]
    if new_key:
        notification = Notification.objects.create(key=key, **fields)
    else:
        existing = Notification.objects.filter(key=key).first()
        if existing:
            return existing, False
        try:
            with transaction.atomic():
                notification = Notification.objects.create(key=key, **fields)
        except IntegrityError:
            return Notification.objects.get(key=key), False
    unique_recipients = {u.pk: u for u in recipients if u is not None}
    InboxItem.objects.bulk_create(
        [InboxItem(notification=notification, recipient=u) for u in unique_recipients.values()]
    )
    targets = (
        list(channels) if channels is not None else _default_channels(kind, station.pk if station else None)
    )
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        [Delivery(notification=notification, channel=c, next_attempt_at=now) for c in targets if c.enabled]
    )
    from .tasks import deliver

    for delivery in deliveries:
        publish_on_commit(deliver, delivery.pk)
    return notification, True


def inbox_for(*, user):
    return InboxItem.objects.filter(recipient=user).select_related("notification", "notification__station")


def unread_count(*, user) -> int:
    return InboxItem.objects.filter(recipient=user, read_at__isnull=True).count()


@transaction.atomic
def inbox_mark_read(*, user, item_ids: Iterable[int] | None = None) -> int:
    """Mark some (or, with no ids, all) of the user's unread items read; returns how many."""
    qs = InboxItem.objects.filter(recipient=user, read_at__isnull=True)
    if item_ids is not None:
        qs = qs.filter(pk__in=list(item_ids))
    return qs.update(read_at=timezone.now())


@transaction.atomic
def inbox_acknowledge(*, user, item: InboxItem, at=None) -> InboxItem:
    """Acknowledge a notification; runs the registered handler (e.g. records `leader_notified`)."""
    item = (
        InboxItem.objects.select_for_update().select_related("notification").get(pk=item.pk, recipient=user)
    )
    if item.acknowledged_at is not None:
        raise StateConflict(_("该通知已确认。"))
    at = at or timezone.now()
    item.acknowledged_at = at
    item.read_at = item.read_at or at
    item.save(update_fields=["acknowledged_at", "read_at"])
    handler = acks.get(item.notification.ack_action) if item.notification.ack_action else None
    if handler:
        handler(notification=item.notification, user=user, at=at)
    return item


def _claim(delivery_id: int, now) -> bool:
    """Conditional update: only one worker gets to send a given try."""
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_until__lt=now
    )
    return bool(
        Delivery.objects.filter(due, pk=delivery_id).update(
            status=DeliveryStatus.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
        )
    )


def delivery_attempt(delivery_id: int) -> int | None:
    """Make one try at a due delivery; log it. Returns the seconds until the next try, or None."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("channel", "notification").get(pk=delivery_id)
    started = time.monotonic()
    result = channels.send(delivery.channel, delivery.notification)
    duration_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        delivery.attempts += 1
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            ok=result.ok,
            status_code=result.status_code,
            response=result.response,
            error=result.error,
            duration_ms=duration_ms,
        )
        delay = None
        if result.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.last_error = ""
        elif delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS or not result.retryable:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = result.error
        else:
            delay = backoff_seconds(delivery.attempts)
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            delivery.last_error = result.error
        delivery.claimed_until = None
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "delivered_at",
                "next_attempt_at",
                "last_error",
                "claimed_until",
            ]
        )
    return delay


def deliveries_due(*, limit: int = 200) -> list[int]:
    now = timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_until__lt=now
    )
    return list(Delivery.objects.filter(due).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
