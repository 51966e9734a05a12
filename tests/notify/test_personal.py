"""Personal messages: each person's contact methods and levels, the corporate apps' access-token step,
SMS and SMTP, the one-time acknowledge link in the text; group robots carry only the absolute link."""

import re

import pytest
from django.test import Client

from qianwan.notify import services
from qianwan.notify.channels import _forget_token
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, ContactMethod, Delivery, InboxItem
from tests.notify.standins import CorporateApis, SmtpStandIn

pytestmark = pytest.mark.django_db
SITE = "https://qw.example.gov.cn"


@pytest.fixture
def apis(settings):
    stand_in = CorporateApis()
    stand_in.configure(settings)
    settings.SITE_URL = SITE
    yield stand_in
    for kind in ("dingtalk", "wecom"):  # each stand-in has its own port, so its own keys; tidy up
        _forget_token(kind)
    stand_in.close()


@pytest.fixture
def smtp(settings):
    server = SmtpStandIn()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield server
    server.stop()


def send(key, leader, level="breach", **kw):
    return services.notification_send(
        key=key,
        kind="incidents.sla_breach",
        level=level,
        title=f"已超时 {key}",
        body="派警超时",
        link="/incidents/7/",
        recipients=[leader],
        ack_action="test.noop",
        **kw,
    )[0]


def test_each_method_gets_the_levels_it_takes_with_the_token_step(
    apis, smtp, leader, http_receiver, django_capture_on_commit_callbacks
):
    ContactMethod.objects.create(user=leader, kind="dingtalk", address="manager4711")
    ContactMethod.objects.create(user=leader, kind="wecom", address="ZhangSan", levels=["breach"])
    ContactMethod.objects.create(user=leader, kind="sms", address="13800001234", levels=["escalation"])
    ContactMethod.objects.create(user=leader, kind="email", address="leader@ads.example")
    robot = Channel.objects.create(name="所群", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/robot")
    with django_capture_on_commit_callbacks(execute=True):
        notification = send("b1", leader, channels=[robot])
    assert set(
        Delivery.objects.filter(notification=notification, contact__isnull=False).values_list(
            "contact__kind", flat=True
        )
    ) == {"dingtalk", "wecom", "email"}
    assert Delivery.objects.filter(notification=notification, status=DeliveryStatus.DELIVERED).count() == 4
    by_kind = {m["kind"]: m for m in apis.messages}
    assert set(by_kind) == {"dingtalk", "wecom"} and by_kind["dingtalk"]["to"] == "manager4711"
    assert apis.tokens_issued == ["dk-0", "wc-1"] and apis.refused == []
    for message in [*by_kind.values(), {"text": smtp.received[0]["data"]}]:
        assert f"{SITE}/incidents/7/" in message["text"]
        assert re.search(rf"{SITE}/notifications/ack/\S+/", message["text"])
    assert smtp.received[0]["to"] == ["leader@ads.example"]
    # the group robot: the absolute link only, never a personal acknowledge link
    robot_text = http_receiver.requests[0]["json"]["text"]["content"]
    assert f"{SITE}/incidents/7/" in robot_text and "/notifications/ack/" not in robot_text
    # an escalation reaches the SMS gateway; the tokens are kept, not asked for again
    with django_capture_on_commit_callbacks(execute=True):
        send("e1", leader, level="escalation")
    assert [m["to"] for m in apis.messages if m["kind"] == "sms"] == ["13800001234"]
    assert len(apis.tokens_issued) == 2


def test_a_revoked_token_fails_the_try_and_the_next_try_asks_again(
    apis, leader, django_capture_on_commit_callbacks
):
    ContactMethod.objects.create(user=leader, kind="wecom", address="ZhangSan")
    with django_capture_on_commit_callbacks(execute=True):
        send("t1", leader)
    apis.tokens_issued[:] = []  # the service forgets every token it issued
    with django_capture_on_commit_callbacks(execute=True):
        notification = send("t2", leader)
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == DeliveryStatus.PENDING and "errcode 40014" in delivery.last_error
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    services.delivery_attempt(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and apis.tokens_issued == ["wc-0"]


def test_the_link_in_the_work_notice_acknowledges_from_a_phone(
    apis, leader, django_capture_on_commit_callbacks
):
    from qianwan.notify import acks

    seen = []
    acks.register("test.noop", lambda *, notification, user, at: seen.append(user.username))
    ContactMethod.objects.create(user=leader, kind="dingtalk", address="manager4711")
    with django_capture_on_commit_callbacks(execute=True):
        send("l1", leader)
    link = re.search(rf"{SITE}(/notifications/ack/\S+/)", apis.messages[0]["text"]).group(1)
    assert Client().post(link).status_code == 200
    assert seen == ["leader"] and InboxItem.objects.get(recipient=leader).acknowledged_at is not None
