"""The Celery app. Schedules, routes, acks_late and time limits live in settings (CELERY_*).

Versions: celery 5.6.3 + kombu 5.6.2 are pinned (constraints.txt). Under celery 5.7.0 + kombu 5.7.0 a
worker that holds unacknowledged messages (the incident clocks' ETA tasks) dies when Redis goes
away: celery 5.7.0's ``Consumer.on_connection_error_after_connected`` calls ``connection.close()``
after ``connection.collect()``; ``collect()`` has already detached the transport
(``transport.client = None``) but left the default channel, so ``close()`` closes that channel again,
and kombu's redis ``Channel.close`` → ``QoS.restore_unacked`` rebuilds its connection pool from
``self.connection.client`` → ``AttributeError: 'NoneType' object has no attribute 'hostname'`` in
``_connparams``, which ``ignore_errors`` does not catch → "Unrecoverable error", the worker exits.
tests/reliability/test_broker_outage.py fails on that pair.
"""

import os
import sys

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qianwan.settings.local")

app = Celery("qianwan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_ready.connect
def _worker_watchdog(sender=None, **kwargs):
    """The worker's main process watches the reminders' heartbeat (qianwan/watchdog.py)."""
    from qianwan import watchdog

    watchdog.start("worker")


@signals.beat_init.connect
def _beat_watchdog(sender=None, **kwargs):
    """A standalone beat watches it too (a beat embedded in a worker, ``-B``, is the worker's)."""
    if "worker" in sys.argv:
        return
    from qianwan import watchdog

    watchdog.start("beat")
