"""Nothing skipped silently, and lateness kept: a warning whose deadline has passed when it comes due
is recorded on its clock with the reason and shown on the timeline (page and API); a breach is never
skipped; each fired step stores fired − due per recipient (inbox) and per delivery, and every
delivery carries its delivery id (header ``X-Qianwan-Delivery`` and in the text)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents import services
from incidents.choices import SkipReason
from incidents.models import SlaClock
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, Delivery, InboxItem, Notification
from qianwan.org.models import DutyRoster
from tests.incidents.factories import make_incident

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def on_duty(db, leader, bureau, station):
    for who, where in ((leader, station), (bureau, None)):
        DutyRoster.objects.create(
            station=where, leader=who, starts_at=T0 - timedelta(hours=2), ends_at=T0 + timedelta(hours=22)
        )
    return leader, bureau


@pytest.mark.django_db
def test_a_warning_past_its_deadline_is_recorded_with_its_reason_and_the_breach_still_fires(
    time_machine, api_as, client, officer, on_duty, station
):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    # nothing ran until after the dispatch deadline (60 s): e.g. the worker was down
    late = T0 + timedelta(seconds=65)
    time_machine.move_to(late, tick=False)
    assert services.clocks_sweep() == 1
    dispatch = SlaClock.objects.get(incident=incident, stage="dispatch")
    assert dispatch.warned_at is None
    assert dispatch.warn_skipped_at == late and dispatch.warn_skip_reason == SkipReason.DEADLINE_PASSED
    assert not Notification.objects.filter(key=f"clock:{dispatch.pk}:warn").exists()
    assert dispatch.breached_at == late  # the breach is never skipped
    breach = Notification.objects.get(key=f"clock:{dispatch.pk}:breach")
    # the other clocks' warnings were still ahead of their deadlines: not skipped
    assert not SlaClock.objects.filter(incident=incident, warn_skipped_at__isnull=False).exclude(
        pk=dispatch.pk
    )
    # a second sweep does not record it again
    time_machine.move_to(late + timedelta(seconds=1), tick=False)
    services.clocks_sweep()
    dispatch.refresh_from_db()
    assert dispatch.warn_skipped_at == late
    # lateness: fired 5 s after the deadline, per recipient
    assert breach.due_at == T0 + timedelta(seconds=60)
    assert set(InboxItem.objects.filter(notification=breach).values_list("lateness_ms", flat=True)) == {5000}

    # the API shows it on the clock …
    body = api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()
    row = next(r for r in body["sla"] if r["stage"] == "dispatch")
    assert row["warn_skipped_at"] is not None and row["warn_skip_reason"] == "deadline_passed"
    assert row["breached_at"] is not None
    assert all(r["warn_skipped_at"] is None for r in body["sla"] if r["stage"] != "dispatch")
    # … and the page's timeline, with the reason in words
    client.force_login(officer)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-skip="dispatch"' in page
    assert "即将超时提醒未发出" in page and "时限已过" in page


@pytest.mark.django_db
def test_a_late_warning_is_sent_not_skipped_and_stores_its_lateness(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    time_machine.move_to(T0 + timedelta(seconds=52), tick=False)  # warning due at 45 s, deadline 60 s
    services.clocks_sweep()
    dispatch = SlaClock.objects.get(incident=incident, stage="dispatch")
    assert dispatch.warned_at is not None and dispatch.warn_skipped_at is None
    warn = Notification.objects.get(key=f"clock:{dispatch.pk}:warn")
    assert warn.due_at == T0 + timedelta(seconds=45)
    assert list(InboxItem.objects.filter(notification=warn).values_list("lateness_ms", flat=True)) == [7000]


@pytest.mark.django_db
def test_every_delivery_carries_its_id_and_stores_its_lateness(
    time_machine, django_capture_on_commit_callbacks, http_receiver, officer, on_duty, station
):
    channel = Channel.objects.create(name="duty", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/hook")
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    time_machine.move_to(T0 + timedelta(seconds=61), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.clocks_sweep()  # eager: the breach is delivered once the sweep commits
    dispatch = SlaClock.objects.get(incident=incident, stage="dispatch")
    delivery = Delivery.objects.get(notification__key=f"clock:{dispatch.pk}:breach", channel=channel)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.lateness_ms == 1000
    sent = [r for r in http_receiver.requests if "已超时" in r["json"]["text"]["content"]]
    assert len(sent) == 1
    assert sent[0]["headers"]["X-Qianwan-Delivery"] == str(delivery.uid)
    assert str(delivery.uid) in sent[0]["json"]["text"]["content"]
    # ids are distinct per delivery
    uids = list(Delivery.objects.values_list("uid", flat=True))
    assert len(uids) == len(set(uids)) >= 2
