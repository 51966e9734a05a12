"""Signed push to a partner's URL (api-contract.md, "Grid platform exchange"): a real HTTP receiver on
loopback recomputes the HMAC over the bytes it received, with the secret it shares with the platform."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from qianwan.exchange import services
from qianwan.exchange.choices import OutboundKind, PushStatus
from qianwan.exchange.models import OutboundEvent, Partner
from qianwan.exchange.tasks import outbound_push, outbound_push_sweep

pytestmark = pytest.mark.django_db


def receiver_verifies(request: dict, secret: str) -> bool:
    """What a partner does on receipt: HMAC-SHA256 over ``timestamp + "." + body`` with its secret,
    compared in constant time with the ``X-Qianwan-Signature`` header."""
    headers = request["headers"]
    timestamp = headers["X-Qianwan-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["raw"], hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["X-Qianwan-Signature"], f"sha256={expected}")


def _outbound(station, target):
    return services.outbound_create(
        actor=None,
        target=target,
        kind=OutboundKind.HAZARD,
        title="隐患移交：兴业路12号楼道堆物",
        payload={"note": "请网格员协助清理", "at": timezone.now()},
        station=station,
    )


def test_push_is_signed_with_the_partners_secret_and_retried_after_a_500(station, http_receiver, settings):
    settings.NOTIFY_BACKOFF_BASE_SECONDS = 5
    grid = Partner.objects.get(code="grid")
    grid.push_url = f"{http_receiver.url}/qianwan/events"
    grid.save()
    other_secret = Partner.objects.get(code="12345").secret
    http_receiver.responses = [(500, "oops"), (500, "oops"), (200, "{}")]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        start = int(timezone.now().timestamp())
        event = _outbound(station, "grid")
        assert event.push_status == PushStatus.PENDING
        outbound_push(event.pk)  # the task: first try → 500, the next one is scheduled, not sent now
        event.refresh_from_db()
        assert (event.push_status, event.push_attempts, event.push_error) == (
            PushStatus.PENDING,
            1,
            "HTTP 500",
        )
        assert len(http_receiver.requests) == 1
        assert services.outbound_push_attempt(event.pk) is None  # not due yet: no request
        assert len(http_receiver.requests) == 1
        clock.shift(timedelta(seconds=5))
        assert outbound_push_sweep() == 1  # second try → 500, back-off doubles
        event.refresh_from_db()
        assert event.push_next_at == timezone.now() + timedelta(seconds=10)
        clock.shift(timedelta(seconds=9))
        assert outbound_push_sweep() == 0
        clock.shift(timedelta(seconds=1))
        assert outbound_push_sweep() == 1  # third try → 200
    event.refresh_from_db()
    assert (event.push_status, event.push_attempts, event.push_error) == (PushStatus.PUSHED, 3, "")

    sent = http_receiver.requests
    assert [r["path"] for r in sent] == ["/qianwan/events"] * 3
    assert [int(r["headers"]["X-Qianwan-Timestamp"]) for r in sent] == [start, start + 5, start + 15]
    for request in sent:
        assert request["headers"]["Content-Type"].startswith("application/json")
        assert receiver_verifies(request, grid.secret)
        assert not receiver_verifies(request, other_secret)  # keyed with this partner's secret only
        body = json.loads(request["raw"].decode("utf-8"))  # the signed bytes are the JSON sent
        assert body["id"] == event.pk and body["target"] == "grid"
        assert body["payload"]["note"] == "请网格员协助清理"
    # a body changed in transit, or a replayed signature under another timestamp, fails the check
    tampered = {**sent[-1], "raw": sent[-1]["raw"].replace("清理".encode(), "拆除".encode())}
    assert not receiver_verifies(tampered, grid.secret)
    stale = {**sent[-1], "headers": {**sent[-1]["headers"], "X-Qianwan-Timestamp": str(start + 999)}}
    assert not receiver_verifies(stale, grid.secret)


def test_each_partner_gets_only_its_events_signed_with_its_own_secret(station, http_receiver):
    for code in ("grid", "12345"):
        Partner.objects.filter(code=code).update(push_url=f"{http_receiver.url}/{code}")
    Partner.objects.filter(code="12345").update(secret="another-partner-secret-" + "x" * 20)
    events = {code: _outbound(station, code) for code in ("grid", "12345")}
    for event in events.values():
        outbound_push(event.pk)
    assert len(http_receiver.requests) == 2
    for request in http_receiver.requests:
        code = request["path"].strip("/")
        assert request["json"]["id"] == events[code].pk
        assert receiver_verifies(request, Partner.objects.get(code=code).secret)
    assert set(OutboundEvent.objects.values_list("push_status", flat=True)) == {PushStatus.PUSHED}


def test_without_a_push_url_nothing_is_sent(station, http_receiver):
    event = _outbound(station, "grid")
    assert event.push_status == PushStatus.NOT_CONFIGURED
    outbound_push(event.pk)
    assert outbound_push_sweep() == 0
    assert http_receiver.requests == []
