"""Group channels and personal contact methods, kept in pages; "send test" and the delivery log."""

import pytest
from django.test import Client

from qianwan.loopback import free_port
from qianwan.notify.models import Channel, ContactMethod, DeliveryAttempt
from qianwan.org.choices import Role
from qianwan.webhooks import CONNECT_FAILED

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_send_test_to_an_unreachable_url_shows_the_failure_in_the_log(leader, station):
    client = logged_in(leader)
    dead = f"http://127.0.0.1:{free_port()}/robot/send"
    created = client.post(
        "/notifications/channels/new/",
        {"name": "庵东所值班群", "kind": "wecom", "url": dead, "station": station.pk, "enabled": "on"},
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    channel = Channel.objects.get()
    response = client.post(f"/notifications/channels/{channel.pk}/test/", follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "测试消息发送失败" in text and CONNECT_FAILED in text and "✗ 失败" in text
    attempt = DeliveryAttempt.objects.get(delivery__channel=channel)
    assert not attempt.ok and attempt.error == CONNECT_FAILED


def test_send_test_that_arrives(bureau, http_receiver):
    channel = Channel.objects.create(name="分局群", kind="wecom", url=f"{http_receiver.url}/hook")
    response = logged_in(bureau).post(f"/notifications/channels/{channel.pk}/test/", follow=True)
    assert "测试消息已送达" in response.content.decode()
    assert "测试消息" in http_receiver.requests[0]["json"]["text"]["content"]


def test_channel_scope_and_bad_input(leader, station, other_station, make_user):
    theirs = Channel.objects.create(
        name="崇寿群", kind="wecom", url="http://127.0.0.1:9/x", station=other_station
    )
    bureau_wide = Channel.objects.create(name="分局群", kind="wecom", url="http://127.0.0.1:9/y")
    client = logged_in(leader)
    assert client.get(f"/notifications/channels/{theirs.pk}/").status_code == 404
    assert client.post(f"/notifications/channels/{bureau_wide.pk}/test/").status_code == 404
    bad = client.post(
        "/notifications/channels/new/", {"name": "x", "kind": "dingtalk", "url": "", "station": station.pk}
    )
    assert bad.status_code == 400 and "机器人渠道必须填写 Webhook 地址" in bad.content.decode()
    other = client.post(
        "/notifications/channels/new/",
        {"name": "x", "kind": "wecom", "url": "http://127.0.0.1:9/z", "station": other_station.pk},
    )
    assert other.status_code == 400
    assert Channel.objects.count() == 2
    assert (
        logged_in(make_user(Role.OFFICER, username="o2")).get("/notifications/channels/").status_code == 403
    )


def test_my_contact_methods(officer):
    client = logged_in(officer)
    bad = client.post("/notifications/contacts/", {"kind": "sms", "address": "12345"})
    assert bad.status_code == 400 and "手机号应为以 1 开头的11位数字" in bad.content.decode()
    good = client.post(
        "/notifications/contacts/",
        {"kind": "sms", "address": "13800001234", "levels": ["breach", "escalation"]},
    )
    assert good.status_code == 302
    contact = ContactMethod.objects.get(user=officer)
    assert (
        contact.levels == ["breach", "escalation"] and contact.wants("breach") and not contact.wants("info")
    )
