"""Traffic incidents → the team on duty in their zone, by the beat sweep, exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from traffic import services
from traffic.models import IncidentAlert
from traffic.tasks import incident_alert_sweep

from .factories import make_shift, make_zone, team_with_members

pytestmark = pytest.mark.django_db


def incident(station, *, n=1, category="traffic", lat=30.2826, lon=121.1862, received_at=None):
    # Only the base fields the traffic app reads; the incidents app owns the rest.
    return Incident.objects.create(
        number=f"JQ-T-{n:04d}",
        station=station,
        category=category,
        received_at=received_at or timezone.now() - timedelta(minutes=1),
        address="兴业路与滨海大道路口",
        lat=lat,
        lon=lon,
    )


def test_sweep_notifies_team_on_duty_exactly_once(station, make_user, django_capture_on_commit_callbacks):
    zone = make_zone()
    team = team_with_members(station, n=3)
    make_shift(zone, team)
    traffic = incident(station)
    incident(station, n=2, category="dispute")
    with django_capture_on_commit_callbacks(execute=True):
        assert incident_alert_sweep() == 1
    alert = IncidentAlert.objects.get(incident=traffic)
    assert alert.outcome == "team_notified" and alert.team == team and alert.zone == zone
    notification = Notification.objects.get(key=f"traffic:incident:{traffic.pk}:team")
    assert alert.notification == notification and team.name in notification.title
    member_users = {m.user_id for m in team.members.all()}
    assert (
        set(InboxItem.objects.filter(notification=notification).values_list("recipient_id", flat=True))
        == member_users
    )
    # the next sweeps, and a direct second call (a second worker), change nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert incident_alert_sweep() == 0
        assert services.incident_alert(traffic.pk) is None
    assert Notification.objects.filter(kind="traffic.incident_team").count() == 1
    assert InboxItem.objects.filter(notification=notification).count() == 3
    assert IncidentAlert.objects.count() == 1


def test_point_outside_every_zone_tells_the_station_duty_leader(station, make_user):
    make_zone()
    leader = make_user(Role.STATION_LEADER, username="ads-leader")
    far = incident(station, lat=31.9, lon=121.2)
    no_point = incident(station, n=2, lat=None, lon=None)
    assert incident_alert_sweep() == 2
    assert IncidentAlert.objects.get(incident=far).outcome == "outside_zones"
    assert IncidentAlert.objects.get(incident=no_point).outcome == "no_location"
    notification = Notification.objects.get(key=f"traffic:incident:{far.pk}:team")
    assert "不在任何巡区" in notification.title
    assert list(notification.inbox_items.values_list("recipient", flat=True)) == [leader.pk]


def test_zone_without_team_on_duty_falls_back_to_duty_leader(station, make_user):
    make_zone()
    leader = make_user(Role.STATION_LEADER, username="ads-leader")
    call = incident(station)
    incident_alert_sweep()
    alert = IncidentAlert.objects.get(incident=call)
    assert alert.outcome == "no_team" and alert.team is None
    assert list(alert.notification.inbox_items.values_list("recipient", flat=True)) == [leader.pk]


def test_old_incidents_are_not_routed(station):
    make_zone()
    incident(station, received_at=timezone.now() - timedelta(days=2))
    assert incident_alert_sweep() == 0
    assert not IncidentAlert.objects.exists()


def test_alerts_api_is_scoped(api_as, officer, make_user, station, other_station):
    make_zone()
    incident(station)
    incident(other_station, n=2, lat=30.2488, lon=121.1315)
    incident_alert_sweep()
    assert api_as(officer).get("/api/v1/traffic/incident-alerts/").json()["count"] == 1
    assert api_as(make_user(Role.BUREAU_LEADER)).get("/api/v1/traffic/incident-alerts/").json()["count"] == 2
