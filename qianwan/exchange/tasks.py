from celery import shared_task
from django.utils import timezone

from qianwan.tasking import publish

from . import services
from .choices import PushStatus
from .models import OutboundEvent


@shared_task
def outbound_push(event_id: int) -> None:
    """Push one outbound event to its partner; schedules the next try on failure."""
    delay = services.outbound_push_attempt(event_id)
    if delay is not None:
        publish(outbound_push, event_id, countdown=delay)


@shared_task
def outbound_push_sweep() -> int:
    """Beat: push every due outbound event no task picked up (broker outage, lost message)."""
    due = OutboundEvent.objects.filter(push_status=PushStatus.PENDING, push_next_at__lte=timezone.now())
    ids = list(due.order_by("push_next_at").values_list("pk", flat=True)[:200])
    for event_id in ids:
        services.outbound_push_attempt(event_id)
    return len(ids)
