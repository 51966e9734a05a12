"""Posting JSON to a partner or a robot: the one way out of the server (egress rules, timeouts,
error capture and back-off).

Every outbound HTTP request goes through :func:`post_json` (or :func:`get_json`), which first checks the URL against the
egress rules (:mod:`qianwan.egress`: https, allow-list, no loopback/link-local/metadata, private only
when listed), then connects to exactly the address it checked, never follows a redirect, and records
only a generic failure for transport errors, so the delivery log cannot be used to probe ports.
"""

import json
import logging
from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from qianwan.egress import EgressRefused, Target, check_url

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 64 * 1024
CONNECT_FAILED = "delivery failed: the receiver could not be reached"
REFUSED = "delivery refused: the address is not a permitted destination"


@dataclass
class SendResult:
    ok: bool
    status_code: int | None = None
    response: str = ""
    error: str = ""
    # False when trying again cannot help (the destination is not permitted): no retries
    retryable: bool = True


def _pool(target: Target, timeout: float):
    timeout = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            # a government network's own CA when its partners use one; else the public roots
            ca_certs=getattr(settings, "QIANWAN_EGRESS_CA_BUNDLE", "") or certifi.where(),
            server_hostname=target.host,  # SNI with the name, not the address
            assert_hostname=target.host,  # the certificate must be the name's
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)


def post_json(url: str, body: dict, *, headers: dict | None = None) -> SendResult:
    """POST ``body``; any 2xx is success. Never raises for the receiver's fault."""
    data = json.dumps(body, cls=DjangoJSONEncoder).encode("utf-8")
    return _send("POST", url, data, {"Content-Type": "application/json", **(headers or {})})


def get_json(url: str, *, headers: dict | None = None) -> SendResult:
    """GET ``url`` (an access-token step that only answers GET, e.g. WeCom's ``gettoken``) under the
    same egress rules; any 2xx is success. Never raises for the receiver's fault."""
    return _send("GET", url, None, headers or {})


def _send(method: str, url: str, data: bytes | None, headers: dict) -> SendResult:
    try:
        target = check_url(url)
    except EgressRefused as exc:
        log.warning("egress refused for %s: %s", url.split("?", 1)[0], exc.message)
        return SendResult(ok=False, error=REFUSED, retryable=False)
    all_headers = {"User-Agent": "qianwan-webhook/1", **headers, "Host": target.host_header}
    pool = _pool(target, settings.NOTIFY_HTTP_TIMEOUT_SECONDS)
    try:
        resp = pool.urlopen(
            method,
            target.path,
            body=data,
            headers=all_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            raw = resp.read(MAX_RESPONSE_BYTES)
        finally:
            resp.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # the details (refused, reset, timeout, TLS) go to the server log only
        log.warning("egress to %s failed: %s: %s", target.host, type(exc).__name__, exc)
        return SendResult(ok=False, error=CONNECT_FAILED)
    finally:
        pool.close()
    text = raw.decode("utf-8", errors="replace")[:1000]
    if not 200 <= resp.status < 300:
        return SendResult(ok=False, status_code=resp.status, response=text, error=f"HTTP {resp.status}")
    return SendResult(ok=True, status_code=resp.status, response=text)


def post_bytes(
    url: str,
    body: bytes,
    *,
    headers: dict | None = None,
    content_type: str = "application/json; charset=utf-8",
) -> SendResult:
    """POST ``body`` exactly as given (a signed body must reach the receiver byte for byte, so the
    caller serialises it once and signs those bytes) under the same egress rules; any 2xx is
    success. Never raises for the receiver's fault."""
    return _send("POST", url, body, {"Content-Type": content_type, **(headers or {})})


def backoff_seconds(attempts: int) -> int:
    """Delay before try number ``attempts + 1``: base·2^(attempts−1), capped."""
    delay = settings.NOTIFY_BACKOFF_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return int(min(delay, settings.NOTIFY_BACKOFF_MAX_SECONDS))
