from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qianwan.org.choices import Role
from traffic import selectors, services
from traffic.models import Shift, ShiftAssignment

from .factories import MemberFactory, make_shift, make_zone, team_with_members

pytestmark = pytest.mark.django_db


def test_team_on_duty_selector(station):
    zone = make_zone()
    team = team_with_members(station)
    now = timezone.now()
    assert selectors.team_on_duty(zone, now) is None
    make_shift(zone, team, start=now - timedelta(hours=1), hours=8)
    assert selectors.team_on_duty(zone, now) == team
    assert selectors.team_on_duty(zone, now + timedelta(hours=6, minutes=59)) == team
    assert selectors.team_on_duty(zone, now + timedelta(hours=7)) is None  # ends_at is exclusive


def test_overlapping_shift_for_the_same_member_is_refused_with_names(station):
    zone_a = make_zone("Z11", 1, 1)
    zone_b = make_zone("Z12", 1, 2)
    team = team_with_members(station, n=2)
    start = timezone.now()
    make_shift(zone_a, team, start=start, hours=8)
    with pytest.raises(ValidationError) as exc:
        make_shift(zone_b, team, start=start + timedelta(hours=7), hours=8)
    message = " ".join(exc.value.message_dict["starts_at"])
    assert "同一人不能同时在两个班次" in message
    assert team.members.first().name in message and zone_a.name in message
    assert Shift.objects.count() == 1 and ShiftAssignment.objects.count() == 2  # nothing half-written
    # back to back is fine
    make_shift(zone_b, team, start=start + timedelta(hours=8), hours=8)


def test_overlap_through_explicit_members(station):
    zone_a = make_zone("Z11", 1, 1)
    team = team_with_members(station, n=3)
    first, second, third = list(team.members.all())
    start = timezone.now()
    services.shift_create(
        actor=None,
        zone=zone_a,
        team=team,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        members=[first],
    )
    services.shift_create(
        actor=None,
        zone=zone_a,
        team=team,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        members=[second, third],
    )
    with pytest.raises(ValidationError):
        services.shift_create(
            actor=None,
            zone=zone_a,
            team=team,
            starts_at=start + timedelta(hours=3),
            ends_at=start + timedelta(hours=5),
            members=[third],
        )


def test_member_of_another_team_is_refused(station):
    zone = make_zone()
    team = team_with_members(station)
    stranger = MemberFactory()
    start = timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.shift_create(
            actor=None,
            zone=zone,
            team=team,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            members=[stranger],
        )
    assert "members" in exc.value.message_dict


@pytest.mark.parametrize("hours,field", [(0, "ends_at"), (-2, "ends_at"), (25, "ends_at")])
def test_bad_shift_times(station, hours, field):
    zone = make_zone()
    team = team_with_members(station)
    start = timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.shift_create(
            actor=None, zone=zone, team=team, starts_at=start, ends_at=start + timedelta(hours=hours)
        )
    assert field in exc.value.message_dict


def test_team_without_members_cannot_be_scheduled(station):
    from .factories import TeamFactory

    with pytest.raises(ValidationError):
        make_shift(make_zone(), TeamFactory())


def test_officer_cannot_schedule_and_other_station_leader_cannot(station, other_station, make_user):
    zone = make_zone()
    team = team_with_members(station)
    start = timezone.now()
    with pytest.raises(PermissionDenied):
        services.shift_create(
            actor=make_user(Role.OFFICER),
            zone=zone,
            team=team,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    css_leader = make_user(Role.STATION_LEADER, station_=other_station, username="lcss")
    with pytest.raises(PermissionDenied):
        services.shift_create(
            actor=css_leader, zone=zone, team=team, starts_at=start, ends_at=start + timedelta(hours=1)
        )


def test_api_overlapping_shift_is_400_with_message(api_as, leader, station):
    zone = make_zone()
    team = team_with_members(station)
    start = timezone.now().replace(microsecond=0)
    client = api_as(leader)
    payload = {
        "zone": zone.code,
        "team": team.pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
    }
    response = client.post("/api/v1/traffic/shifts/", payload, format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["members"]) == 2
    payload["starts_at"] = (start + timedelta(hours=2)).isoformat()
    response = client.post("/api/v1/traffic/shifts/", payload, format="json")
    assert response.status_code == 400
    assert "同一人不能同时在两个班次" in str(response.json()["starts_at"])
    body = client.get(f"/api/v1/traffic/on-duty/?zone={zone.code}").json()
    assert body["team"]["name"] == team.name


def test_shift_cancel(api_as, leader, station):
    zone = make_zone()
    team = team_with_members(station)
    shift = make_shift(zone, team, start=timezone.now() + timedelta(hours=1))
    assert api_as(leader).delete(f"/api/v1/traffic/shifts/{shift.pk}/").status_code == 204
    past = make_shift(zone, team, start=timezone.now() - timedelta(hours=10), hours=2)
    assert api_as(leader).delete(f"/api/v1/traffic/shifts/{past.pk}/").status_code == 409


def test_on_duty_unknown_zone_is_400(api_as, officer):
    assert api_as(officer).get("/api/v1/traffic/on-duty/?zone=NOPE").status_code == 400
    assert api_as(officer).get("/api/v1/traffic/on-duty/").status_code == 400
