"""Senders for each channel kind. Each returns a SendResult and never raises for a receiver's fault."""

import base64
import hashlib
import hmac
import json
import time
import urllib.parse

from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from qianwan.webhooks import SendResult, post_json

from .choices import ChannelKind


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_dingtalk_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp_ms = timestamp_ms or int(time.time() * 1000)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


DELIVERY_HEADER = "X-Qianwan-Delivery"


def message_text(notification, delivery_id: str = "") -> str:
    """The text of a message; with ``delivery_id`` its last line names the delivery, so that a person
    (or a receiver that only sees the text) can tell a resend from a new message."""
    text = f"【{notification.title}】\n{notification.body}".strip()
    if notification.link:
        text += f"\n{notification.link}"
    if delivery_id:
        text += "\n" + _("投递编号：%(id)s") % {"id": delivery_id}
    return text


def _post_robot(url: str, notification, delivery_id: str) -> SendResult:
    """DingTalk and WeCom robots answer HTTP 200 with ``{"errcode": 0}`` on success. The delivery id
    goes in the ``X-Qianwan-Delivery`` header and in the text."""
    result = post_json(
        url,
        {"msgtype": "text", "text": {"content": message_text(notification, delivery_id)}},
        headers={DELIVERY_HEADER: delivery_id} if delivery_id else None,
    )
    if not result.ok:
        return result
    try:
        errcode = json.loads(result.response).get("errcode", 0)
    except (ValueError, AttributeError):
        return SendResult(
            ok=False, status_code=result.status_code, response=result.response, error="response is not JSON"
        )
    if errcode != 0:
        return SendResult(
            ok=False, status_code=result.status_code, response=result.response, error=f"errcode {errcode}"
        )
    return result


def send(channel, notification, delivery_id: str = "") -> SendResult:
    """Send ``notification`` on ``channel``; ``delivery_id`` (the Delivery's uid) travels with it."""
    if channel.kind == ChannelKind.DINGTALK:
        return _post_robot(signed_dingtalk_url(channel.url, channel.secret), notification, delivery_id)
    if channel.kind == ChannelKind.WECOM:
        return _post_robot(channel.url, notification, delivery_id)
    if channel.kind == ChannelKind.EMAIL:
        recipients = [a.strip() for a in channel.email_to.split(",") if a.strip()]
        headers = {DELIVERY_HEADER: delivery_id} if delivery_id else {}
        try:
            EmailMessage(
                notification.title, message_text(notification, delivery_id), None, recipients, headers=headers
            ).send(fail_silently=False)
        except Exception as exc:  # SMTP and socket errors of every kind
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
        return SendResult(ok=True)
    return SendResult(ok=False, error=f"unknown channel kind {channel.kind}")
