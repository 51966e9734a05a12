from celery import shared_task

from qianwan.tasking import publish

from . import services


@shared_task
def outbound_push(event_id: int) -> None:
    """Push one outbound event to its partner; schedules the next try on failure."""
    delay = services.outbound_push_attempt(event_id)
    if delay is not None:
        publish(outbound_push, event_id, countdown=delay)


@shared_task
def outbound_push_sweep() -> int:
    """Beat: push every due outbound event no task picked up (broker outage, lost message)."""
    ids = services.outbound_push_due()
    for event_id in ids:
        services.outbound_push_attempt(event_id)
    return len(ids)


@shared_task
def inbound_sign_for_sweep() -> int:
    """Beat: remind the duty leaders of inbound events not signed for by their deadline (once each)."""
    return services.inbound_sign_for_sweep()
