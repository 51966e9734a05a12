"""A real Celery worker on real Redis delivers a notification to a real HTTP receiver."""

import time

import pytest

from qianwan.notify import services
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, Delivery
from qianwan.org.choices import Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_delivers_and_retries(celery_worker_proc, http_receiver, make_user):
    officer = make_user(Role.OFFICER, username="int-officer")
    http_receiver.responses = [(503, "busy"), (200, '{"errcode": 0}')]
    channel = Channel.objects.create(name="wecom", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/hook")
    notification, _ = services.notification_send(
        key="int-1", kind="t", title="集成测试", recipients=[officer], channels=[channel]
    )
    delivery = Delivery.objects.get(notification=notification)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.DELIVERED:
            break
        time.sleep(0.2)
    assert delivery.status == DeliveryStatus.DELIVERED, celery_worker_proc.log()[-2000:]
    assert delivery.attempts == 2 and len(http_receiver.requests) == 2
