"""Absolute links on channels and the signed one-time acknowledge link that works without a login."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from incidents.models import IncidentEvent
from qianwan.audit.models import AuditEntry
from qianwan.notify import services
from qianwan.notify.channels import message_text
from qianwan.notify.models import AckLink, InboxItem, Notification
from qianwan.org.choices import Role
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@override_settings(SITE_URL="https://qw.example.gov.cn")
def test_channel_messages_carry_an_absolute_link(officer):
    notification, _ = services.notification_send(
        key="k", kind="t", title="T", link="/incidents/7/", recipients=[officer]
    )
    assert message_text(notification).endswith("\nhttps://qw.example.gov.cn/incidents/7/")


def _leader_item(incident, username="leader"):
    return InboxItem.objects.get(
        notification__key=f"incident:{incident.pk}:leader", recipient__username=username
    )


@override_settings(SITE_URL="https://qw.example.gov.cn")
def test_a_link_acknowledges_once_without_login_and_records_leader_notified(time_machine, leader, station):
    time_machine.move_to(timezone.now(), tick=False)
    incident = make_incident(station)
    item = _leader_item(incident)
    url = services.ack_link_create(item=item)
    assert url.startswith("https://qw.example.gov.cn/notifications/ack/")
    path = url.removeprefix("https://qw.example.gov.cn")
    phone = Client()  # nobody logged in
    page = phone.get(path)
    assert page.status_code == 200 and "确认收到" in page.content.decode()
    item.refresh_from_db()
    assert item.acknowledged_at is None  # opening (a link preview) changes nothing
    done = phone.post(path)
    assert done.status_code == 200 and "已确认" in done.content.decode()
    item.refresh_from_db()
    assert item.acknowledged_at is not None
    event = IncidentEvent.objects.get(incident=incident, kind="leader_notified")
    assert event.actor == leader
    assert AuditEntry.objects.filter(action="notify.ack_link", actor=leader).count() == 1
    # used again: a clear page, nothing changes
    again = phone.post(path)
    assert again.status_code == 410 and "只能使用一次" in again.content.decode()
    assert IncidentEvent.objects.filter(incident=incident).count() == 1
    assert AuditEntry.objects.filter(action="notify.ack_link_refused").count() == 1


def test_an_expired_or_tampered_link_changes_nothing(time_machine, leader, station):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    incident = make_incident(station)
    item = _leader_item(incident)
    path = services.ack_link_create(item=item).split("://", 1)[1].split("/", 1)[1]
    path = "/" + path
    time_machine.move_to(now + timedelta(hours=7), tick=False)  # the default lifetime is 6 h
    expired = Client().post(path)
    assert expired.status_code == 410 and "已过期" in expired.content.decode()
    tampered = Client().post(path[:-3] + "xyz/")
    assert tampered.status_code == 400 and "无效" in tampered.content.decode()
    item.refresh_from_db()
    assert item.acknowledged_at is None
    assert AckLink.objects.get().used_at is None
    assert not IncidentEvent.objects.filter(incident=incident).exists()


def test_a_link_ack_by_someone_who_may_not_act_records_no_step(
    time_machine, station, other_station, make_user
):
    time_machine.move_to(timezone.now(), tick=False)
    incident = make_incident(station)
    stranger = make_user(Role.STATION_LEADER, station_=other_station, username="stranger")
    notice = Notification.objects.get(key=f"incident:{incident.pk}:leader")  # nobody on duty: no inbox
    item = InboxItem.objects.create(notification=notice, recipient=stranger)
    path = "/" + services.ack_link_create(item=item).split("://", 1)[1].split("/", 1)[1]
    assert Client().post(path).status_code == 200
    item.refresh_from_db()
    assert item.acknowledged_at is not None
    assert not IncidentEvent.objects.filter(incident=incident).exists()
