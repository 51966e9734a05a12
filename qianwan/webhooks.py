"""Posting JSON to a partner or a robot: one place for timeouts, error capture and back-off."""

from dataclasses import dataclass

import requests
from django.conf import settings


@dataclass
class SendResult:
    ok: bool
    status_code: int | None = None
    response: str = ""
    error: str = ""


def post_json(url: str, body: dict, *, headers: dict | None = None) -> SendResult:
    """POST ``body``; any 2xx is success. Never raises for the receiver's fault."""
    try:
        resp = requests.post(
            url, json=body, headers=headers or {}, timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
    text = resp.text[:1000]
    if not 200 <= resp.status_code < 300:
        return SendResult(
            ok=False, status_code=resp.status_code, response=text, error=f"HTTP {resp.status_code}"
        )
    return SendResult(ok=True, status_code=resp.status_code, response=text)


def post_bytes(
    url: str,
    body: bytes,
    *,
    headers: dict | None = None,
    content_type: str = "application/json; charset=utf-8",
) -> SendResult:
    """POST ``body`` exactly as given (a signed body must reach the receiver byte for byte, so the
    caller serialises it once and signs those bytes); any 2xx is success. Never raises for the
    receiver's fault. The same outbound rules as ``post_json``."""
    try:
        resp = requests.post(
            url,
            data=body,
            headers={**(headers or {}), "Content-Type": content_type},
            timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
    text = resp.text[:1000]
    if not 200 <= resp.status_code < 300:
        return SendResult(
            ok=False, status_code=resp.status_code, response=text, error=f"HTTP {resp.status_code}"
        )
    return SendResult(ok=True, status_code=resp.status_code, response=text)


def backoff_seconds(attempts: int) -> int:
    """Delay before try number ``attempts + 1``: base·2^(attempts−1), capped."""
    delay = settings.NOTIFY_BACKOFF_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return int(min(delay, settings.NOTIFY_BACKOFF_MAX_SECONDS))


def get_json(url: str, *, headers: dict | None = None) -> SendResult:
    """GET ``url`` (an access-token step that only answers GET, e.g. WeCom's ``gettoken``); any 2xx is
    success. Never raises for the receiver's fault. Outbound rules that apply to ``post_json`` must
    apply here too: it is the one other way out."""
    try:
        resp = requests.get(url, headers=headers or {}, timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
    text = resp.text[:1000]
    if not 200 <= resp.status_code < 300:
        return SendResult(
            ok=False, status_code=resp.status_code, response=text, error=f"HTTP {resp.status_code}"
        )
    return SendResult(ok=True, status_code=resp.status_code, response=text)
