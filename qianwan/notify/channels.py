"""Senders for each channel kind. Each returns a SendResult and never raises for a receiver's fault."""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from qianwan.webhooks import SendResult, get_json, post_json

from .choices import ChannelKind, ContactKind
from .links import absolute_url

logger = logging.getLogger(__name__)


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


def delivery_line(delivery_id: str) -> str:
    return _("投递编号：%(id)s") % {"id": delivery_id}


def message_text(notification, delivery_id: str = "") -> str:
    """The text of a message; with ``delivery_id`` its last line names the delivery, so that a person
    (or a receiver that only sees the text) can tell a resend from a new message."""
    text = f"【{notification.title}】\n{notification.body}".strip()
    if notification.link:
        # a group message carries only the absolute link, which needs a login to open
        text += f"\n{absolute_url(notification.link)}"
    if delivery_id:
        text += "\n" + delivery_line(delivery_id)
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


# ---------------------------------------------------------------------------------------------------
# Personal messages: the corporate applications' work notices (after their access-token step), SMS
# through an HTTP gateway, e-mail. Each carries the absolute link and, when the notification asks for
# an acknowledgement, the person's own one-time acknowledge link.

TOKEN_CACHE_KEY = "qianwan:notify:access-token:{kind}:{app}"  # noqa: S105 (a cache key, not a secret)


def _token_key(kind: str) -> str:
    """Per application and API address: a token of another app (or of a test's stand-in) is never used."""
    if kind == ContactKind.DINGTALK:
        app = f"{settings.DINGTALK_OAUTH_URL}|{settings.DINGTALK_APP_KEY}"
    else:
        app = f"{settings.WECOM_API_URL}|{settings.WECOM_CORP_ID}|{settings.WECOM_AGENT_ID}"
    return TOKEN_CACHE_KEY.format(kind=kind, app=hashlib.sha256(app.encode()).hexdigest()[:16])


def personal_text(delivery) -> str:
    from .services import ack_link_create

    text = message_text(delivery.notification)
    if delivery.notification.ack_action and delivery.inbox_item_id:
        text += "\n" + _("确认收到（免登录，仅一次有效）：") + ack_link_create(item=delivery.inbox_item)
    return text + "\n" + delivery_line(str(delivery.uid))


def _json(result: SendResult) -> dict | None:
    try:
        data = json.loads(result.response)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _failed(result: SendResult, error: str) -> SendResult:
    return SendResult(ok=False, status_code=result.status_code, response=result.response, error=error)


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # the cache down: ask for a new token
        return None


def _cache_set(key: str, value: str, timeout: int) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as exc:  # the cache down: the next send asks for a token again
        logger.warning("could not keep the access token: %s", exc)


def _forget_token(kind: str) -> None:
    try:
        cache.delete(_token_key(kind))
    except Exception as exc:
        logger.warning("could not drop the access token: %s", exc)


def access_token(kind: str) -> tuple[str | None, SendResult | None]:
    """The corporate application's access token (kept in the cache until shortly before it expires):
    (token, None), or (None, the failed result of the token step)."""
    key = _token_key(kind)
    token = _cache_get(key)
    if token:
        return token, None
    if kind == ContactKind.DINGTALK:
        result = post_json(
            settings.DINGTALK_OAUTH_URL,
            {"appKey": settings.DINGTALK_APP_KEY, "appSecret": settings.DINGTALK_APP_SECRET},
        )
        data = _json(result) if result.ok else None
        token, expires = (data or {}).get("accessToken"), (data or {}).get("expireIn", 7200)
    else:
        query = urllib.parse.urlencode(
            {"corpid": settings.WECOM_CORP_ID, "corpsecret": settings.WECOM_CORP_SECRET}
        )
        result = get_json(f"{settings.WECOM_API_URL}/cgi-bin/gettoken?{query}")
        data = _json(result) if result.ok else None
        ok = data is not None and data.get("errcode", 0) == 0
        token, expires = (
            ((data or {}).get("access_token") if ok else None),
            (data or {}).get("expires_in", 7200),
        )
    if not result.ok:
        return None, result
    if not token:
        return None, _failed(result, "access token step: no token in the answer")
    _cache_set(key, token, max(60, int(expires) - 300))
    return token, None


def _errcode_result(kind: str, result: SendResult) -> SendResult:
    if not result.ok:
        return result
    data = _json(result)
    if data is None:
        return _failed(result, "response is not JSON")
    if data.get("errcode", 0) != 0:
        _forget_token(kind)  # an expired or revoked token: the next try asks for a new one
        return _failed(result, f"errcode {data.get('errcode')}")
    return result


def _agent(value: str):
    """The application's agent id: a number in both APIs' JSON."""
    return int(value) if str(value).isdigit() else value


def send_personal(delivery) -> SendResult:
    """One message to one person by one of their contact methods."""
    contact = delivery.contact
    text = personal_text(delivery)
    delivery_header = {DELIVERY_HEADER: str(delivery.uid)}
    if contact.kind in (ContactKind.DINGTALK, ContactKind.WECOM):
        token, failure = access_token(contact.kind)
        if failure is not None:
            return failure
        if contact.kind == ContactKind.DINGTALK:
            url = f"{settings.DINGTALK_API_URL}/topapi/message/corpconversation/asyncsend_v2?access_token={token}"
            body = {
                "agent_id": _agent(settings.DINGTALK_AGENT_ID),
                "userid_list": contact.address,
                "msg": {"msgtype": "text", "text": {"content": text}},
            }
        else:
            url = f"{settings.WECOM_API_URL}/cgi-bin/message/send?access_token={token}"
            body = {
                "touser": contact.address,
                "msgtype": "text",
                "agentid": _agent(settings.WECOM_AGENT_ID),
                "text": {"content": text},
            }
        return _errcode_result(contact.kind, post_json(url, body, headers=delivery_header))
    if contact.kind == ContactKind.SMS:
        if not settings.SMS_GATEWAY_URL:
            return SendResult(ok=False, error="SMS_GATEWAY_URL is not set")
        headers = dict(delivery_header)
        if settings.SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_TOKEN}"
        return post_json(
            settings.SMS_GATEWAY_URL, {"mobile": contact.address, "content": text}, headers=headers
        )
    if contact.kind == ContactKind.EMAIL:
        try:
            EmailMessage(
                delivery.notification.title, text, None, [contact.address], headers=delivery_header
            ).send(fail_silently=False)
        except Exception as exc:  # SMTP and socket errors of every kind
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
        return SendResult(ok=True)
    return SendResult(ok=False, error=f"unknown contact kind {contact.kind}")
