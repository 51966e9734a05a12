"""Reference data read on every call taken — the API token and its user, the station by its code, the
SLA policy of a category, the duty roster and the notification channels of a station — kept in each
process and dropped as soon as any of it changes anywhere.

A save or delete of a watched model (`watch`, from the apps' ``ready``) clears the process's values at
once and, on commit, writes a new random version into Django's cache (Redis when REDIS_URL is set,
else a file under var/, so that every web and worker process of the host sees it). Each web request
and each Celery task compares that version with the one its process filled its values under, once, at
its first cached read, and starts afresh on a mismatch: an edit in the admin reaches every process at
its next request or task. Outside a request or task (shell, commands, tests) every read compares.

That check is one cache GET per request instead of a query per value. When the cache cannot be
reached, nothing is cached (each read goes to the database) until it can, and no value is kept longer
than MAX_AGE_SECONDS whatever happens; while this thread has written a watched model that is not
committed yet, its reads bypass the values too, so that a rolled-back edit is never kept.
"""

import functools
import logging
import threading
import time
import uuid

from celery import signals as celery_signals
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

VERSION_KEY = "qianwan:refcache:version"
# a backstop: a change whose version could not be published (the cache down at that moment) reaches
# every process within this time all the same
MAX_AGE_SECONDS = 300
_UNKNOWN = object()  # the version after a failed check: never equal to one read later

_values: dict = {}
_filled_under = {"version": _UNKNOWN, "at": 0.0}
_thread = threading.local()  # scoped (in a request or task), checked (this one), pending (a write)


def _begin(**_kwargs) -> None:
    _thread.scoped, _thread.checked, _thread.pending = True, False, False


def _end(**_kwargs) -> None:
    _thread.scoped, _thread.checked = False, False


request_started.connect(_begin, dispatch_uid="refcache-begin")
request_finished.connect(_end, dispatch_uid="refcache-end")
celery_signals.task_prerun.connect(_begin, dispatch_uid="refcache-begin", weak=False)
celery_signals.task_postrun.connect(_end, dispatch_uid="refcache-end", weak=False)


def _usable() -> bool:
    """Whether this read may use (and fill) the cached values."""
    if getattr(_thread, "pending", False):
        return False
    if getattr(_thread, "checked", False):
        return True
    try:
        version = cache.get(VERSION_KEY)
    except Exception as exc:  # the cache's backend down: redis raises many types; read the database
        logger.warning("reference-data cache unavailable, reading the database: %s", exc)
        clear()
        return False
    if version != _filled_under["version"] or time.monotonic() - _filled_under["at"] > MAX_AGE_SECONDS:
        _values.clear()
        _filled_under.update(version=version, at=time.monotonic())
    if getattr(_thread, "scoped", False):
        _thread.checked = True
    return True


def cached(fn):
    """Memoise ``fn`` (positional, hashable arguments) under the reference-data version. A None result
    (nothing found) is not kept: what clients send cannot grow the process's memory."""

    @functools.wraps(fn)
    def wrapper(*args):
        if not _usable():
            return fn(*args)
        key = (fn, args)
        try:
            return _values[key]
        except KeyError:
            value = fn(*args)
            if value is not None:
                _values[key] = value
            return value

    return wrapper


def clear() -> None:
    """Forget this process's values (and the version they were read under)."""
    _values.clear()
    _filled_under["version"] = _UNKNOWN


def reset() -> None:
    """Start afresh, as a new request does: forget the values and this thread's uncommitted write
    (the test suite's fixture, between tests whose transactions are rolled back)."""
    clear()
    _thread.checked, _thread.pending = False, False


def _publish_version() -> None:
    _thread.pending = False
    clear()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception as exc:  # other processes keep their values until the cache is back and changes
        logger.error("could not publish a reference-data change to other processes: %s", exc)


def _changed(**_kwargs) -> None:
    clear()
    _thread.pending = True
    transaction.on_commit(_publish_version)


def watch(*models) -> None:
    """Drop the cached values whenever a row of one of ``models`` is saved or deleted."""
    for model in models:
        uid = f"refcache-{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid, weak=False)
