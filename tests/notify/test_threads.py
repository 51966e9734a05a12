"""The inbox: one thread per incident, updated as stages fire; the badge counts incidents."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from incidents import services as incident_services
from incidents.models import SlaClock
from qianwan.notify import services
from qianwan.notify.models import InboxItem
from qianwan.org.models import DutyRoster
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def on_duty(leader, station):
    DutyRoster.objects.create(
        station=station, leader=leader, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=5)
    )
    return leader


def test_one_thread_per_incident_updated_as_stages_fire(time_machine, on_duty, station):
    leader = on_duty
    client = Client()
    client.force_login(leader)
    time_machine.move_to(T0, tick=False)
    first = make_incident(station, received_at=T0)
    second = make_incident(station, received_at=T0 + timedelta(seconds=1))
    assert client.get("/notifications/unread-count/").json() == {"unread": 2}
    version = client.get("/notifications/version/").json()["version"]
    dispatch = SlaClock.objects.get(incident=first, stage="dispatch")
    time_machine.move_to(T0 + timedelta(seconds=125), tick=False)  # two of the first's stages breach
    incident_services.clock_fire(clock_id=dispatch.pk)
    assert InboxItem.objects.filter(recipient=leader).count() == 4
    assert client.get("/notifications/unread-count/").json() == {"unread": 2}  # still two incidents
    assert client.get("/notifications/version/").json()["version"] != version
    rows = services.inbox_thread_rows(user=leader, groups=services.inbox_threads(user=leader))
    by_thread = {r["thread_key"]: r for r in rows}
    top = by_thread[f"incident:{first.pk}"]
    assert (top["count"], top["unread"]) == (3, 3) and top["latest"].notification.level == "breach"
    assert by_thread[f"incident:{second.pk}"]["count"] == 1
    time_machine.move_to(T0 + timedelta(seconds=190), tick=False)
    page = client.get("/notifications/").content.decode()
    assert page.count("data-thread=") == 2 and "1分5秒前" in page
    assert page.count(f'data-thread="incident:{first.pk}"') == 1
    # reading the thread reads all of its notifications; the badge counts the other incident
    client.post("/notifications/read/", {"thread": f"incident:{first.pk}"})
    assert client.get("/notifications/unread-count/").json() == {"unread": 1}
    assert not InboxItem.objects.filter(
        notification__thread=f"incident:{first.pk}", read_at__isnull=True
    ).exists()


def test_notifications_without_a_thread_stay_separate(officer):
    for key in ("a", "b"):
        services.notification_send(key=key, kind="t", title=key, recipients=[officer])
    assert services.unread_threads(user=officer) == 2
    assert [
        r["count"]
        for r in services.inbox_thread_rows(user=officer, groups=services.inbox_threads(user=officer))
    ] == [1, 1]
