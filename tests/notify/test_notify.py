import base64
import hashlib
import hmac
import urllib.parse
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from qianwan.notify import services
from qianwan.notify.channels import dingtalk_sign, signed_dingtalk_url
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, Delivery, InboxItem, Notification
from qianwan.notify.tasks import deliveries_sweep
from qianwan.org.choices import Role
from qianwan.webhooks import CONNECT_FAILED
from tests.race import race

pytestmark = pytest.mark.django_db


def test_notification_created_once_per_key(officer, leader):
    first, created = services.notification_send(key="k1", kind="t", title="A", recipients=[officer, leader])
    again, created_again = services.notification_send(key="k1", kind="t", title="B", recipients=[officer])
    assert created and not created_again and first.pk == again.pk
    assert Notification.objects.count() == 1
    assert InboxItem.objects.filter(notification=first).count() == 2
    assert services.unread_count(user=officer) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_senders_create_one_notification(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections")
    officer = make_user(Role.OFFICER, username="race")
    results, _ = race(
        lambda: services.notification_send(key="race-key", kind="t", title="x", recipients=[officer])[1], n=4
    )
    assert sorted(results) == [False, False, False, True]
    assert InboxItem.objects.filter(recipient=officer).count() == 1


def test_dingtalk_signature_matches_the_documented_algorithm():
    secret, ts = "SEC000demo", 1700000000000
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    )
    assert dingtalk_sign(secret, ts) == urllib.parse.quote_plus(expected)
    url = signed_dingtalk_url("https://robot.example/send?access_token=abc", secret, ts)
    assert url.endswith(f"&timestamp={ts}&sign={dingtalk_sign(secret, ts)}")


def test_delivery_to_dingtalk_robot_on_local_server(
    officer, station, http_receiver, django_capture_on_commit_callbacks
):
    Channel.objects.create(
        name="庵东所钉钉群",
        kind=ChannelKind.DINGTALK,
        url=f"{http_receiver.url}/robot/send?access_token=t",
        secret="SECabc",
        station=station,
    )
    Channel.objects.create(
        name="其他所",
        kind=ChannelKind.WECOM,
        url=f"{http_receiver.url}/other",
        station=None,
        kinds=["other.kind"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(
            key="d1",
            kind="incident.breach",
            title="派警超时",
            body="ADS-1",
            station=station,
            recipients=[officer],
        )
    assert len(http_receiver.requests) == 1  # the WeCom channel subscribes to another kind only
    request = http_receiver.requests[0]
    assert request["path"] == "/robot/send" and request["json"]["msgtype"] == "text"
    assert "派警超时" in request["json"]["text"]["content"]
    ts = int(request["query"]["timestamp"][0])
    assert request["query"]["sign"][0] == urllib.parse.unquote_plus(dingtalk_sign("SECabc", ts))
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.attempt_log.get().ok


def test_webhook_retry_with_backoff_then_success(officer, http_receiver, settings):
    settings.NOTIFY_BACKOFF_BASE_SECONDS = 10
    http_receiver.responses = [
        (500, "boom"),
        (200, '{"errcode": 310000, "errmsg": "sign mismatch"}'),
        (200, '{"errcode": 0}'),
    ]
    channel = Channel.objects.create(name="WeCom", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/hook")
    notification, _ = services.notification_send(
        key="r1", kind="t", title="重试", recipients=[officer], channels=[channel]
    )
    delivery = Delivery.objects.get(notification=notification)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert services.delivery_attempt(delivery.pk) == 10
        assert services.delivery_attempt(delivery.pk) is None  # not due yet: no second try
        clock.shift(timedelta(seconds=10))
        assert services.delivery_attempt(delivery.pk) == 20  # exponential: 10, 20, …
        clock.shift(timedelta(seconds=20))
        assert deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    log = list(delivery.attempt_log.values_list("number", "ok", "status_code", "error"))
    assert log == [(1, False, 500, "HTTP 500"), (2, False, 200, "errcode 310000"), (3, True, 200, "")]
    assert len(http_receiver.requests) == 3


def test_delivery_gives_up_after_max_attempts_and_does_not_block_others(officer, http_receiver, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.NOTIFY_BACKOFF_BASE_SECONDS = 1
    bad = Channel.objects.create(name="bad", kind=ChannelKind.WECOM, url="http://127.0.0.1:9/unreachable")
    good = Channel.objects.create(name="good", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/ok")
    notification, _ = services.notification_send(
        key="g1", kind="t", title="x", recipients=[officer], channels=[bad, good]
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        deliveries_sweep()
        clock.shift(timedelta(seconds=5))
        deliveries_sweep()
    statuses = dict(Delivery.objects.filter(notification=notification).values_list("channel__name", "status"))
    assert statuses == {"bad": DeliveryStatus.FAILED, "good": DeliveryStatus.DELIVERED}
    failed = Delivery.objects.get(channel=bad)
    # a transport error is logged as a generic failure (no socket details: no port scanner)
    assert failed.attempts == 2 and failed.last_error == CONNECT_FAILED


def test_email_channel(officer, mailoutbox):
    channel = Channel.objects.create(
        name="mail", kind=ChannelKind.EMAIL, email_to="duty@example.org, b@example.org"
    )
    notification, _ = services.notification_send(
        key="m1", kind="t", title="邮件通知", body="正文", recipients=[officer], channels=[channel]
    )
    services.delivery_attempt(Delivery.objects.get(notification=notification).pk)
    assert mailoutbox[0].subject == "邮件通知" and mailoutbox[0].to == ["duty@example.org", "b@example.org"]


def test_inbox_api_is_own_only(api_as, officer, leader):
    services.notification_send(key="i1", kind="t", title="给民警", recipients=[officer])
    services.notification_send(key="i2", kind="t", title="给所领导", recipients=[leader])
    body = api_as(officer).get("/api/v1/notifications/").json()
    assert [r["title"] for r in body["results"]] == ["给民警"]
    leader_item = InboxItem.objects.get(recipient=leader)
    assert api_as(officer).post(f"/api/v1/notifications/{leader_item.pk}/read/").status_code == 404
    assert api_as(officer).get("/api/v1/notifications/unread/").json() == {"unread": 1}


def test_acknowledge_runs_registered_handler_once(api_as, leader):
    from qianwan.notify import acks

    seen = []
    acks.register("test.ack", lambda *, notification, user, at: seen.append((notification.key, user.pk)))
    services.notification_send(key="a1", kind="t", title="请确认", recipients=[leader], ack_action="test.ack")
    item = InboxItem.objects.get(recipient=leader)
    client = api_as(leader)
    response = client.post(f"/api/v1/notifications/{item.pk}/ack/")
    assert response.status_code == 200 and response.json()["acknowledged_at"]
    assert client.post(f"/api/v1/notifications/{item.pk}/ack/").status_code == 409
    assert seen == [("a1", leader.pk)]


def test_unread_count_page_endpoint(client, officer):
    client.force_login(officer)
    services.notification_send(key="u1", kind="t", title="x", recipients=[officer])
    assert client.get("/notifications/unread-count/").json() == {"unread": 1}
    client.post("/notifications/read/")
    assert client.get("/notifications/unread-count/").json() == {"unread": 0}
