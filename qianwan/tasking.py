"""Queueing tasks safely: after commit, and never failing the caller when the broker is down.

Every job the platform queues is also represented by a row that a beat sweep picks up (a clock, a
delivery, an outbound push), so a message that cannot be published is not lost: it is logged and the
sweep sends it later.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def publish(task, *args, **options) -> str | None:
    """Send ``task`` now; return its id, or None when the broker could not take it."""
    try:
        result = task.apply_async(args=args, **options)
    except Exception as exc:  # broker down: kombu/redis raise many types; the sweep will recover
        logger.warning("could not publish %s%r: %s", task.name, args, exc)
        return None
    return result.id


def publish_on_commit(task, *args, **options) -> None:
    """Send ``task`` once the current transaction commits (never before the rows it reads exist)."""
    transaction.on_commit(lambda: publish(task, *args, **options))
