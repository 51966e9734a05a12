"""Creating notifications (exactly once per key), the inbox, and delivering on channels."""

import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import refcache
from qianwan.audit.services import audit_record, snapshot
from qianwan.errors import StateConflict
from qianwan.masking import mask_personal, mask_text
from qianwan.tasking import publish_on_commit
from qianwan.webhooks import backoff_seconds

from . import acks, channels
from .choices import ContactKind, DeliveryStatus, Level
from .links import absolute_url
from .models import (
    AckLink,
    Channel,
    ContactMethod,
    Delivery,
    DeliveryAttempt,
    Heartbeat,
    InboxItem,
    Notification,
)

# A claimed send (status "sending") that has not finished within this many seconds — its worker was
# killed mid-send — is tried again by the sweep (the receiver may then see that delivery id twice).
# Far above NOTIFY_HTTP_TIMEOUT_SECONDS, so a slow send is never claimed twice.
CLAIM_SECONDS = settings.NOTIFY_CLAIM_SECONDS


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


@refcache.cached
def _contacts_for(user_ids: tuple[int, ...]) -> tuple[ContactMethod, ...]:
    """The enabled contact methods of these people (kept per process, qianwan/refcache.py)."""
    return tuple(ContactMethod.objects.filter(user_id__in=user_ids, enabled=True).order_by("user_id", "id"))


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
    thread: str = "",
    due_at=None,
) -> tuple[Notification, bool]:
    """Create the notification for ``key`` unless it exists; returns (notification, created).

    The unique key makes this exactly-once even when two workers race: the loser's insert fails
    inside a savepoint and it returns the winner's row without delivering anything.

    ``new_key=True``: the caller guarantees that no notification can have ``key`` yet (it names a row
    the caller inserted in its open transaction), so the look-up and the savepoints are skipped; a
    duplicate would then raise IntegrityError in the caller's transaction.

    ``thread``: notifications about one thing (``incident:<id>``) show as one thread in the inbox.
    ``due_at``: when the message was planned to go out (a clock's step); each recipient's inbox item
    and each delivery then store their lateness against it.

    Personal data is stored masked (issue 16, one masking rule): phone and ID numbers in the title and
    body, personal keys of the payload. The text goes to group robots, e-mail and SMS, beyond the role
    rules; the record's own page (behind them) has the clear value.
    """
    title, body = mask_text(title), mask_text(body)
    payload = mask_personal(payload) if payload else payload
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
                "thread": thread,
                "due_at": due_at,
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
    lateness_ms = _lateness_ms(notification.due_at, timezone.now())
    items = InboxItem.objects.bulk_create(
        [
            InboxItem(notification=notification, recipient=u, lateness_ms=lateness_ms)
            for u in unique_recipients.values()
        ]
    )
    targets = (
        list(channels) if channels is not None else _default_channels(kind, station.pk if station else None)
    )
    now = timezone.now()
    # one message per group channel, and one per recipient's contact method that takes this level
    personal = []
    if items:
        item_of = {i.recipient_id: i for i in items}
        for contact in _contacts_for(tuple(sorted(item_of))):
            if contact.wants(fields["level"]):
                personal.append(
                    Delivery(
                        notification=notification,
                        contact=contact,
                        inbox_item=item_of[contact.user_id],
                        next_attempt_at=now,
                    )
                )
    deliveries = Delivery.objects.bulk_create(
        [Delivery(notification=notification, channel=c, next_attempt_at=now) for c in targets if c.enabled]
        + personal
    )
    from .tasks import deliver

    for delivery in deliveries:
        publish_on_commit(deliver, delivery.pk)
    return notification, True


def _lateness_ms(due_at, at) -> int | None:
    """``at`` − ``due_at`` in whole milliseconds (negative when early), None without a planned time."""
    if due_at is None:
        return None
    return round((at - due_at).total_seconds() * 1000)


def heartbeat_record(*, name: str, at=None) -> None:
    """Stamp the periodic job ``name`` as having run now (one row per name, upserted: two workers
    sweeping at once both succeed). No audit row: this is the machine's pulse, every 15 s."""
    import os
    import socket

    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=at or timezone.now(), host=f"{socket.gethostname()}:{os.getpid()}")],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at", "host"],
    )


def inbox_for(*, user):
    return InboxItem.objects.filter(recipient=user).select_related("notification", "notification__station")


def unread_count(*, user) -> int:
    return InboxItem.objects.filter(recipient=user, read_at__isnull=True).count()


def _threaded(qs):
    """Items annotated with their thread: the notification's ``thread``, else its own key."""
    return qs.annotate(
        thread_key=Coalesce(NullIf(F("notification__thread"), Value("")), F("notification__key"))
    )


def inbox_version(*, user) -> str:
    """Changes whenever the user's inbox does: a new item, one read or one acknowledged."""
    agg = InboxItem.objects.filter(recipient=user).aggregate(
        last=Max("id"),
        unread=Count("id", filter=Q(read_at__isnull=True)),
        acked=Count("id", filter=Q(acknowledged_at__isnull=False)),
    )
    return f"{agg['last'] or 0}-{agg['unread']}-{agg['acked']}"


def unread_threads(*, user) -> int:
    """The header badge: how many threads (incidents) have something unread."""
    unread = _threaded(InboxItem.objects.filter(recipient=user, read_at__isnull=True))
    return unread.values("thread_key").distinct().count()


def inbox_threads(*, user, only_unread: bool = False):
    """The inbox, one row per thread, newest first: how many notifications, how many unread, the
    latest time and whether one is waiting to be acknowledged (a values queryset to paginate; fill a
    page's rows with ``inbox_thread_rows``)."""
    groups = (
        _threaded(InboxItem.objects.filter(recipient=user))
        .values("thread_key")
        .annotate(
            count=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            pending_ack=Count("id", filter=Q(acknowledged_at__isnull=True) & ~Q(notification__ack_action="")),
            latest_at=Max("notification__created_at"),
        )
        .order_by("-latest_at", "thread_key")
    )
    return groups.filter(unread__gt=0) if only_unread else groups


def inbox_thread_rows(*, user, groups, now=None) -> list[dict]:
    """The rows of one page of ``inbox_threads``: each with its latest notification, the item to
    acknowledge (the newest waiting one) and the age of the latest update in seconds."""
    now = now or timezone.now()
    groups = list(groups)
    keys = [g["thread_key"] for g in groups]
    items = (
        _threaded(InboxItem.objects.filter(recipient=user))
        .filter(thread_key__in=keys)
        .select_related("notification", "notification__station")
        .order_by("-notification__created_at", "-id")
    )
    latest, to_ack = {}, {}
    for item in items:
        latest.setdefault(item.thread_key, item)
        if item.acknowledged_at is None and item.notification.ack_action:
            to_ack.setdefault(item.thread_key, item)
    rows = []
    for group in groups:
        item = latest[group["thread_key"]]
        age = max(0, int((now - group["latest_at"]).total_seconds()))
        rows.append(
            {
                **group,
                "latest": item,
                "to_ack": to_ack.get(group["thread_key"]),
                "age_minutes": age // 60,
                "age_seconds": age % 60,
            }
        )
    return rows


@transaction.atomic
def inbox_mark_thread_read(*, user, threads: Iterable[str]) -> int:
    """Mark every unread item of the user's ``threads`` read; returns how many items."""
    qs = _threaded(InboxItem.objects.filter(recipient=user, read_at__isnull=True)).filter(
        thread_key__in=list(threads)
    )
    return InboxItem.objects.filter(pk__in=list(qs.values_list("pk", flat=True))).update(
        read_at=timezone.now()
    )


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
    if item.notification.thread:
        # the thread is acknowledged for this person: its earlier notifications stop waiting too
        InboxItem.objects.filter(
            recipient=user, notification__thread=item.notification.thread, acknowledged_at__isnull=True
        ).exclude(notification__ack_action="").update(
            acknowledged_at=at, read_at=Coalesce(F("read_at"), Value(at))
        )
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
    delivery = Delivery.objects.select_related("channel", "contact", "inbox_item", "notification").get(
        pk=delivery_id
    )
    started = time.monotonic()
    if delivery.contact_id:
        result = channels.send_personal(delivery)
    else:
        result = channels.send(delivery.channel, delivery.notification, str(delivery.uid))
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
            delivery.lateness_ms = _lateness_ms(delivery.notification.due_at, delivery.delivered_at)
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
                "lateness_ms",
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


# ---------------------------------------------------------------------------------------------------
# Links: absolute for every message, and a one-time acknowledge link for a person's own message

ACK_LINK_SALT = "qianwan.notify.ack-link"


def ack_link_create(*, item: InboxItem, now=None) -> str:
    """A signed one-time acknowledge link for ``item`` (its recipient's own message): the signature
    carries the time it was made, the stored nonce makes it single use and revocable."""
    now = now or timezone.now()
    nonce = secrets.token_hex(16)
    AckLink.objects.create(
        inbox_item=item,
        nonce=nonce,
        expires_at=now + timedelta(seconds=settings.NOTIFY_ACK_LINK_MAX_AGE_SECONDS),
    )
    token = signing.TimestampSigner(salt=ACK_LINK_SALT).sign(f"{item.pk}.{nonce}")
    return absolute_url(reverse("notify:ack_link", args=[token]))


class AckLinkRefused(Exception):
    """Why an acknowledge link does nothing: ``invalid``, ``expired``, ``used`` or ``done`` (the
    notification was acknowledged already)."""

    def __init__(self, reason: str, link: AckLink | None = None):
        super().__init__(reason)
        self.reason, self.link = reason, link


def ack_link_read(*, token: str, lock: bool = False) -> AckLink:
    """The link ``token`` names, if it may still be used; raises AckLinkRefused otherwise."""
    try:
        value = signing.TimestampSigner(salt=ACK_LINK_SALT).unsign(
            token, max_age=timedelta(seconds=settings.NOTIFY_ACK_LINK_MAX_AGE_SECONDS)
        )
    except signing.SignatureExpired:
        raise AckLinkRefused("expired") from None
    except signing.BadSignature:
        raise AckLinkRefused("invalid") from None
    item_id, _sep, nonce = value.partition(".")
    qs = AckLink.objects.select_related("inbox_item__notification", "inbox_item__recipient")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(nonce=nonce, inbox_item_id=item_id).first() if item_id.isdigit() else None
    if link is None or not link.inbox_item.recipient.is_active:
        raise AckLinkRefused("invalid")
    if link.used_at is not None:
        raise AckLinkRefused("used", link)
    if link.expires_at <= timezone.now():
        raise AckLinkRefused("expired", link)
    if link.inbox_item.acknowledged_at is not None:
        raise AckLinkRefused("done", link)
    return link


def ack_link_use(*, token: str) -> InboxItem:
    """Acknowledge from a link, without a login, as the person it was sent to: once, before it expires.
    The acknowledgement runs the notification's handler as that person (an incident's
    `leader_notified` is recorded only if they may act for its station). Every use is audited, the
    refused ones too (in a transaction of their own: a refusal changes nothing else)."""
    try:
        with transaction.atomic():
            link = ack_link_read(token=token, lock=True)
            now = timezone.now()
            link.used_at = now
            link.save(update_fields=["used_at"])
            item = inbox_acknowledge(user=link.inbox_item.recipient, item=link.inbox_item, at=now)
            audit_record(
                actor=link.inbox_item.recipient,
                action="notify.ack_link",
                obj=link,
                after={"inbox_item": item.pk, "notification": item.notification_id, "acknowledged_at": now},
            )
            return item
    except AckLinkRefused as refused:
        if refused.link is not None:
            with transaction.atomic():
                audit_record(
                    actor=refused.link.inbox_item.recipient,
                    action="notify.ack_link_refused",
                    obj=refused.link,
                    after={"reason": refused.reason},
                )
        raise


# ---------------------------------------------------------------------------------------------------
# Personal contact methods and group channels, kept in pages


def _validate_contact(kind: str, address: str, levels: list[str]) -> dict:
    from django.core.validators import validate_email

    from qianwan.validators import validate_mobile

    errors = {}
    if kind not in ContactKind.values:
        errors["kind"] = [_("未知的联系方式：%(k)s") % {"k": kind}]
    address = (address or "").strip()
    if not address:
        errors["address"] = [_("必须填写账号、号码或邮箱。")]
    elif kind == ContactKind.SMS:
        try:
            validate_mobile(address)
        except ValidationError as exc:
            errors["address"] = exc.messages
    elif kind == ContactKind.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            errors["address"] = [_("请输入有效的邮箱地址。")]
    elif len(address) > 64:
        errors["address"] = [_("钉钉/企业微信用户ID不超过64个字符。")]
    unknown = [level for level in levels if level not in Level.values]
    if unknown:
        errors["levels"] = [_("未知的级别：%(l)s") % {"l": "、".join(unknown)}]
    return errors


@transaction.atomic
def contact_method_create(*, actor, user, kind: str, address: str, levels: list[str]) -> ContactMethod:
    """Add one of ``user``'s own ways of being reached (only they, or an admin, may)."""
    if actor.pk != user.pk and getattr(actor, "role", None) != "admin":
        raise PermissionDenied(_("只能维护本人的联系方式。"))
    errors = _validate_contact(kind, address, levels)
    if not errors and ContactMethod.objects.filter(user=user, kind=kind, address=address.strip()).exists():
        errors["address"] = [_("该联系方式已存在。")]
    if errors:
        raise ValidationError(errors)
    contact = ContactMethod.objects.create(user=user, kind=kind, address=address.strip(), levels=list(levels))
    audit_record(actor=actor, action="notify.contact_create", obj=contact, after=snapshot(contact))
    return contact


@transaction.atomic
def contact_method_delete(*, actor, contact: ContactMethod) -> None:
    if actor.pk != contact.user_id and getattr(actor, "role", None) != "admin":
        raise PermissionDenied(_("只能维护本人的联系方式。"))
    audit_record(actor=actor, action="notify.contact_delete", obj=contact, before=snapshot(contact))
    contact.delete()


def can_keep_channel(user, station) -> bool:
    """Station leaders keep their own station's group channels; bureau leaders and admins every
    station's and the sub-bureau's (no station)."""
    role = getattr(user, "role", None)
    if role in ("bureau_leader", "admin"):
        return True
    return (
        role == "station_leader"
        and station is not None
        and getattr(station, "pk", station) == user.station_id
    )


def channels_in_scope(*, user):
    qs = Channel.objects.select_related("station").order_by("station__code", "name")
    if getattr(user, "role", None) in ("bureau_leader", "admin"):
        return qs
    if getattr(user, "role", None) == "station_leader" and user.station_id:
        return qs.filter(station_id=user.station_id)
    return qs.none()


CHANNEL_FIELDS = [
    "name",
    "kind",
    "url",
    "secret",
    "email_to",
    "station",
    "kinds",
    "enabled",
    "broadcast_only",
]


@transaction.atomic
def channel_save(*, actor, channel: Channel | None = None, **fields) -> Channel:
    """Create or change a group channel (a DingTalk/WeCom robot or an e-mail list)."""
    station = fields.get("station")
    if not can_keep_channel(actor, station) or (
        channel is not None and not can_keep_channel(actor, channel.station)
    ):
        raise PermissionDenied(_("只能维护本所的推送渠道。"))
    before = snapshot(channel, CHANNEL_FIELDS) if channel else None
    channel = channel or Channel()
    for name in CHANNEL_FIELDS:
        if name in fields:
            setattr(channel, name, fields[name])
    channel.full_clean()
    channel.save()
    audit_record(
        actor=actor,
        action="notify.channel_update" if before else "notify.channel_create",
        obj=channel,
        before=before,
        after=snapshot(channel, [f for f in CHANNEL_FIELDS if f != "secret"]),
    )
    return channel


@transaction.atomic
def channel_test(*, actor, channel: Channel) -> Delivery:
    """Queue a test message on ``channel`` (its result shows in the delivery log)."""
    if not can_keep_channel(actor, channel.station):
        raise PermissionDenied(_("只能测试本所的推送渠道。"))
    notification, _created = notification_send(
        key=f"channel-test:{channel.pk}:{uuid.uuid4().hex}",
        kind="notify.test",
        title=_("测试消息：%(name)s") % {"name": channel.name},
        body=_("这是一条来自前湾分局警务运行平台的测试消息，由 %(who)s 发送。") % {"who": actor.display_name},
        recipients=[],
        channels=[channel],
        station=channel.station,
        link="/notifications/channels/",
    )
    audit_record(
        actor=actor, action="notify.channel_test", obj=channel, after={"notification": notification.pk}
    )
    return Delivery.objects.get(notification=notification, channel=channel)


def channel_log(*, channel: Channel, limit: int = 20):
    """The channel's delivery log: its latest tries, newest first."""
    return (
        DeliveryAttempt.objects.filter(delivery__channel=channel)
        .select_related("delivery__notification")
        .order_by("-at", "-id")[:limit]
    )
