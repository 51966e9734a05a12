"""Project-level pages: health check, the workbench home, error pages."""

import importlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qianwan.notify import services as notify_services
from qianwan.notify.heartbeat import worker_status
from qianwan.org import selectors as org_selectors

DOMAIN_APPS = ["incidents", "risks", "enterprises", "traffic", "antifraud", "disputes", "places"]


def _broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_FOLDER
        return folder.is_dir() or not folder.exists()
    if url.startswith(("redis://", "rediss://")):
        import redis

        try:
            return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
        except redis.RedisError:
            return False
    from qianwan.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request):
    """200 with database/broker/worker status; 503 only when the database is unreachable. ``worker`` is
    "stale" when the reminders' beat sweep has not run for WORKER_STALE_SECONDS (60 s)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "down"
    broker = "ok" if _broker_ok() else "down"
    worker = "stale"
    if database == "ok":
        try:
            worker = worker_status()
        except Exception:  # the row cannot be read: nothing says the reminders run
            worker = "stale"
    return JsonResponse(
        {"database": database, "broker": broker, "worker": worker}, status=200 if database == "ok" else 503
    )


def _workbench_panels(user) -> list[dict]:
    """Each domain app may offer ``selectors.workbench_panel(*, user)`` → {"title", "rows", "url"} or None."""
    panels = []
    for app in DOMAIN_APPS:
        try:
            module = importlib.import_module(f"{app}.selectors")
        except ModuleNotFoundError:
            continue
        panel_fn = getattr(module, "workbench_panel", None)
        panel = panel_fn(user=user) if panel_fn else None
        if panel:
            panels.append(panel)
    return panels


@login_required
def workbench(request):
    """The home page: unread notifications and what each mechanism needs from this user now."""
    inbox = notify_services.inbox_thread_rows(
        user=request.user, groups=notify_services.inbox_threads(user=request.user, only_unread=True)[:10]
    )
    return render(
        request,
        "workbench.html",
        {
            "inbox": inbox,
            "panels": _workbench_panels(request.user),
            "duty_rows": org_selectors.duty_now_panel(user=request.user),
        },
    )


def bad_request(request, exception=None):
    return render(request, "errors/error.html", {"code": 400}, status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", {"code": 403}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", {"code": 404}, status=404)
