"""Session lifetime on shared station PCs (issue 16, "also to decide").

A signed-in browser session ends after ``SESSION_IDLE_TIMEOUT`` without activity (default 2 h) and in
any case ``SESSION_ABSOLUTE_LIFETIME`` after sign-in (default 12 h, one shift); the cookie itself
lives no longer than the absolute lifetime. Background polling — requests that carry
``X-Qianwan-Background: 1`` (the duty board's refresh, the unread badge) — does not count as
activity, so a board left open on a wall screen does not keep a session alive. An expired background
request answers 401 ``{"code": "session_expired"}`` (the board then shows a sign-in prompt instead of
stale data); an expired page request is signed out and meets the usual sign-in redirect.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.utils.translation import gettext as _

STARTED, SEEN = "_qw_auth_started", "_qw_auth_seen"
BACKGROUND_HEADER = "HTTP_X_QIANWAN_BACKGROUND"
# the last-seen time is written at most this often (a session write per click is not needed)
SEEN_RESOLUTION = 30


def is_background(request) -> bool:
    return request.META.get(BACKGROUND_HEADER) == "1"


@receiver(user_logged_in, dispatch_uid="qianwan.security.sessions.stamp")
def _stamp(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED] = now
        request.session[SEEN] = now


def expired(session, now: int) -> bool:
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:
        return False
    return now - seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_LIFETIME


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            session, now = request.session, int(time.time())
            if session.get(STARTED) is None:  # a session from before this rule: start counting now
                session[STARTED] = session[SEEN] = now
            elif expired(session, now):
                logout(request)
                if is_background(request) or request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "session_expired", "message": _("登录已超时，请重新登录。")}, status=401
                    )
            elif not is_background(request) and now - session[SEEN] >= SEEN_RESOLUTION:
                session[SEEN] = now
        return self.get_response(request)
