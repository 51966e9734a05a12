from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qianwan.audit.models import AuditEntry
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from tests.errors import error_fields
from traffic import selectors, services
from traffic.models import Accident, JointPatrol, Patrol, PatrolViolation

from .factories import make_accident, make_joint, make_patrol, make_shift, make_zone, team_with_members

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- patrols


def test_patrol_with_violations_by_type(station):
    zone = make_zone()
    team = team_with_members(station)
    patrol = make_patrol(zone, team, kind="racing", violations={"racing": 3, "speeding": 2, "no_helmet": 0})
    assert dict(patrol.violations.values_list("type", "count")) == {"racing": 3, "speeding": 2}
    assert AuditEntry.objects.filter(action="traffic.patrol.create", object_id=str(patrol.pk)).exists()


@pytest.mark.parametrize(
    "violations",
    [
        {"speeding": -1},
        [{"type": "speeding", "count": -5}],
        {"nonsense": 1},
        {"speeding": 1.5},
        [{"type": "racing", "count": 1}, {"type": "racing", "count": 2}],
    ],
)
def test_bad_violation_counts_are_refused(station, violations):
    zone = make_zone()
    team = team_with_members(station)
    with pytest.raises(ValidationError) as exc:
        make_patrol(zone, team, violations=violations)
    assert "violations" in exc.value.message_dict
    assert not Patrol.objects.exists() and not PatrolViolation.objects.exists()


def test_negative_counts_via_api_are_400(api_as, officer, station):
    zone = make_zone()
    team = team_with_members(station)
    start = timezone.now() - timedelta(hours=2)
    base = {
        "team": team.pk,
        "zone": zone.code,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
    }
    client = api_as(officer)
    r = client.post(
        "/api/v1/traffic/patrols/", {**base, "violations": [{"type": "speeding", "count": -1}]}, format="json"
    )
    assert r.status_code == 400 and "violations" in error_fields(r)
    r = client.post("/api/v1/traffic/patrols/", {**base, "officers": -2}, format="json")
    assert r.status_code == 400 and "officers" in error_fields(r)
    r = client.post(
        "/api/v1/traffic/joint-patrols/",
        {"date": "2026-06-01", "station": "ADS", "organisers": "x", "location": "y", "volunteers": -3},
        format="json",
    )
    assert r.status_code == 400 and "volunteers" in error_fields(r)
    r = client.post(
        "/api/v1/traffic/accidents/",
        {
            "occurred_at": start.isoformat(),
            "station": "ADS",
            "address": "x",
            "lat": 30.28,
            "lon": 121.19,
            "injured": -1,
        },
        format="json",
    )
    assert r.status_code == 400 and "injured" in error_fields(r)
    r = client.post(
        "/api/v1/traffic/patrols/", {**base, "violations": [{"type": "speeding", "count": 4}]}, format="json"
    )
    assert r.status_code == 201 and r.json()["violations_total"] == 4


def test_campaign_patrol_needs_campaign_and_counts_toward_it(station):
    from risks.models import Campaign

    zone = make_zone()
    team = team_with_members(station)
    with pytest.raises(ValidationError) as exc:
        make_patrol(zone, team, kind="campaign")
    assert "campaign" in exc.value.message_dict
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="夏季治安巡防", starts_on=today - timedelta(days=10), ends_on=today
    )
    make_patrol(zone, team, kind="campaign", campaign=campaign, officers=6, violations={"speeding": 5})
    make_patrol(zone, team, kind="routine", officers=2, violations={"speeding": 1})
    tallies = selectors.campaign_patrol_tallies(campaign=campaign)
    assert tallies == {
        "campaign": campaign.pk,
        "patrols": 1,
        "officer_deployments": 6,
        "traffic_violations": 5,
    }


def test_officer_cannot_log_patrol_in_a_zone_of_another_station(station, other_station, make_user):
    zone = make_zone("Z00", 0, 0, stations=[other_station])
    team = team_with_members(station)
    with pytest.raises(PermissionDenied):
        make_patrol(zone, team, actor=make_user(Role.OFFICER)) if False else services.patrol_create(
            actor=make_user(Role.OFFICER), team=team, zone=zone, kind="routine",
            started_at=timezone.now() - timedelta(hours=2), ended_at=timezone.now() - timedelta(hours=1),
        )  # fmt: skip


def test_joint_patrol_counts_and_zero_participants(station):
    joint = make_joint(station, lat=30.2826, lon=121.1862)
    assert joint.participants == 10
    with pytest.raises(ValidationError):
        make_joint(station, grid_workers=0, enterprise_security=0, volunteers=0, police=0)
    with pytest.raises(ValidationError):
        make_joint(station, lat=30.28)
    outside = make_joint(station, lat=31.9, lon=121.2)
    assert outside.zone is None and JointPatrol.objects.count() == 2


# ---------------------------------------------------------------- accidents


def test_accident_gets_its_zone_and_number(station):
    zone = make_zone()
    accident = make_accident(station, injured=2)
    assert accident.zone == zone and accident.type == "injury"
    assert accident.number.startswith("SG") and accident.number.endswith("0001")
    assert make_accident(station).number.endswith("0002")


def test_accident_outside_every_zone_is_kept_without_zone(api_as, officer, station):
    make_zone()
    response = api_as(officer).post(
        "/api/v1/traffic/accidents/",
        {
            "occurred_at": timezone.now().isoformat(),
            "station": "ADS",
            "address": "区外道路",
            "lat": 31.9,
            "lon": 121.2,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["zone"] is None and body["outside_zones"] is True
    listed = api_as(officer).get("/api/v1/traffic/accidents/?zone=none").json()
    assert listed["count"] == 1


def test_asset_outside_every_zone_is_400(api_as, officer, station):
    make_zone()
    response = api_as(officer).post(
        "/api/v1/traffic/assets/",
        {"kind": "camera", "code": "CAM-X", "name": "x", "road": "y", "lat": 31.9, "lon": 121.2},
        format="json",
    )
    assert response.status_code == 400
    assert "不在任何巡区" in str(error_fields(response)["lat"])


@pytest.mark.parametrize(
    "kwargs",
    [{"type": "property", "injured": 1}, {"type": "injury", "deaths": 1}, {"type": "death"}, {"injured": -1}],
)
def test_accident_type_must_agree_with_casualties(station, kwargs):
    with pytest.raises(ValidationError):
        make_accident(station, **kwargs)
    assert not Accident.objects.exists()


def test_three_deaths_alert_bureau_leaders_at_once_and_only_once(
    station, bureau, make_user, django_capture_on_commit_callbacks
):
    make_zone()
    second_bureau = make_user(Role.BUREAU_LEADER, username="bureau2")
    officer = make_user(Role.OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        minor = make_accident(station, deaths=2, injured=1)
    assert not Notification.objects.filter(kind="traffic.major_accident").exists()
    with django_capture_on_commit_callbacks(execute=True):
        major = make_accident(station, deaths=3, injured=2)
    notification = Notification.objects.get(key=f"traffic:accident:{major.pk}:major")
    assert notification.level == "escalation" and "死亡 3 人" in notification.title
    recipients = set(
        InboxItem.objects.filter(notification=notification).values_list("recipient__username", flat=True)
    )
    assert recipients == {bureau.username, second_bureau.username}
    assert officer.username not in recipients
    # the zero goal counts it
    today = timezone.localdate()
    kpis = selectors.traffic_kpis(date_from=today - timedelta(days=1), date_to=today)
    assert kpis["major_accidents"] == 1 and kpis["zero_major_goal_met"] is False and kpis["deaths"] == 5
    # a later correction (an injured person died) raises the minor one to major → one more alert
    services.accident_update(actor=None, accident=minor, deaths=3)
    assert Notification.objects.filter(kind="traffic.major_accident").count() == 2
    services.accident_update(actor=None, accident=minor, deaths=4)
    assert Notification.objects.filter(kind="traffic.major_accident").count() == 2


def test_accident_in_zone_notifies_team_on_duty(station):
    zone = make_zone()
    team = team_with_members(station)
    make_shift(zone, team)
    accident = make_accident(station)
    notification = Notification.objects.get(key=f"traffic:accident:{accident.pk}:team")
    users = {m.user_id for m in team.members.all()}
    assert set(notification.inbox_items.values_list("recipient_id", flat=True)) == users


def test_accident_close_twice_is_409(api_as, officer, station):
    accident = make_accident(station)
    client = api_as(officer)
    assert (
        client.post(f"/api/v1/traffic/accidents/{accident.pk}/close/", {}, format="json").status_code == 200
    )
    assert (
        client.post(f"/api/v1/traffic/accidents/{accident.pk}/close/", {}, format="json").status_code == 409
    )
    assert (
        client.patch(f"/api/v1/traffic/accidents/{accident.pk}/", {"deaths": 1}, format="json").status_code
        == 409
    )


def test_officer_cannot_file_accident_for_other_station(api_as, officer, other_station):
    response = api_as(officer).post(
        "/api/v1/traffic/accidents/",
        {
            "occurred_at": timezone.now().isoformat(),
            "station": "CSS",
            "address": "x",
            "lat": 30.25,
            "lon": 121.13,
        },
        format="json",
    )
    assert response.status_code == 403


def test_future_accident_is_400(api_as, officer, station):
    response = api_as(officer).post(
        "/api/v1/traffic/accidents/",
        {
            "occurred_at": (timezone.now() + timedelta(hours=1)).isoformat(),
            "station": "ADS",
            "address": "x",
            "lat": 30.28,
            "lon": 121.19,
        },
        format="json",
    )
    assert response.status_code == 400 and "occurred_at" in error_fields(response)


def test_linking_another_stations_incident_is_refused_like_a_missing_one(
    api_as, officer, station, other_station
):
    from .test_incident_sweep import incident

    theirs = incident(other_station, n=9)
    ours = incident(station, n=10)
    payload = {
        "occurred_at": timezone.now().isoformat(),
        "station": "ADS",
        "address": "x",
        "lat": 30.28,
        "lon": 121.19,
    }
    response = api_as(officer).post(
        "/api/v1/traffic/accidents/", {**payload, "incident": theirs.pk}, format="json"
    )
    missing = api_as(officer).post(
        "/api/v1/traffic/accidents/", {**payload, "incident": 999999}, format="json"
    )
    assert response.status_code == missing.status_code == 400
    assert error_fields(response)["incident"] == [
        m.replace("999999", str(theirs.pk)) for m in error_fields(missing)["incident"]
    ]
    response = api_as(officer).post(
        "/api/v1/traffic/accidents/", {**payload, "incident": ours.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["incident"] == ours.pk
