"""A worker or beat process that finds the reminders stopped exits, so that its supervisor restarts it.

Docker's ``restart: unless-stopped`` restarts a container whose process exits, not one that is merely
unhealthy; a worker whose consumer hangs on a half-open broker connection, or a beat that stopped
sending, stays up and silent. A daemon thread in each process (started from the Celery signals in
``qianwan/celery.py``) reads the beat sweep's heartbeat from the database every
``WATCHDOG_INTERVAL_SECONDS``. When it is older than ``WATCHDOG_STALE_SECONDS`` while the database and
the broker both answer — restarting cannot help while the broker is down, so an outage never makes
the process exit — and the process has itself been up that long (a fresh process gets one full
period for the sweep to run), the process logs why and exits: SIGTERM for a clean stop, then
``os._exit`` if that has not ended it within ``WATCHDOG_EXIT_GRACE_SECONDS``.
"""

import logging
import os
import signal
import threading
import time

from django.conf import settings
from django.db import connections

logger = logging.getLogger("qianwan.watchdog")

WATCHDOG_EXIT_GRACE_SECONDS = 20
EXIT_CODE = 75  # EX_TEMPFAIL: try again

_started = False


def _broker_ok() -> bool:
    from qianwan.views import _broker_ok as broker_answers  # the /healthz check: one definition

    return broker_answers()


def verdict(*, started_monotonic: float, max_age: float) -> str | None:
    """Why this process should exit now, or None. Raises nothing; a database error means "keep going"
    (the database is down: restarting would not help either)."""
    from qianwan.notify.heartbeat import heartbeat_age

    up = time.monotonic() - started_monotonic
    if up < max_age:
        return None
    try:
        age = heartbeat_age()
    except Exception:
        return None
    if age is not None and age <= max_age:
        return None
    if not _broker_ok():
        return None
    return (
        f"the reminders' heartbeat is {'missing' if age is None else f'{age:.0f} s old'} (limit {max_age} s) "
        f"while the database and the broker answer; exiting so that the supervisor restarts this process"
    )


def _exit(reason: str, role: str) -> None:
    logger.critical("watchdog (%s, pid %s): %s", role, os.getpid(), reason)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(WATCHDOG_EXIT_GRACE_SECONDS)
    logger.critical("watchdog (%s, pid %s): still running after SIGTERM; exiting now", role, os.getpid())
    os._exit(EXIT_CODE)


def _loop(role: str, started: float, max_age: float, interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            reason = verdict(started_monotonic=started, max_age=max_age)
        finally:
            connections.close_all()  # this thread's own connection: a fresh one each time
        if reason:
            _exit(reason, role)
            return


def start(role: str) -> bool:
    """Start the watchdog thread of this process once (``role``: "worker" or "beat"); False when off."""
    global _started
    max_age = settings.WATCHDOG_STALE_SECONDS
    if _started or not max_age:
        return False
    _started = True
    interval = max(1, min(settings.WATCHDOG_INTERVAL_SECONDS, max_age))
    thread = threading.Thread(
        target=_loop, args=(role, time.monotonic(), max_age, interval), name="qianwan-watchdog", daemon=True
    )
    thread.start()
    logger.info("watchdog (%s) on: exits when the heartbeat is older than %s s", role, max_age)
    return True
