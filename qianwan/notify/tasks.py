from celery import shared_task

from qianwan.tasking import publish

from . import services


@shared_task
def deliver(delivery_id: int) -> None:
    """One try at delivering a notification on a channel; schedules the next try on failure."""
    delay = services.delivery_attempt(delivery_id)
    if delay is not None:
        publish(deliver, delivery_id, countdown=delay)


@shared_task
def deliveries_sweep() -> int:
    """Beat, every 15 s: try every due delivery no task picked up (broker outage, lost message)."""
    count = 0
    for delivery_id in services.deliveries_due():
        services.delivery_attempt(delivery_id)
        count += 1
    return count
