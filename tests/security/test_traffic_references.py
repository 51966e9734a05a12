"""Issue 16, items 1 and 2: a traffic team's members, shifts, patrols and joint patrols may reference
only records of the actor's scope and of an allowed kind; anything else answers like a missing
record (400, the field named, the same message) — on the API, on the pages and in the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from qianwan.notify.models import InboxItem
from qianwan.org.choices import Role
from tests.errors import error_fields
from tests.factories import UserFactory, enterprise_for
from tests.traffic.factories import make_zone, team_with_members
from traffic import services
from traffic.models import JointPatrol, Member, Patrol, Shift

pytestmark = pytest.mark.django_db


def _same_as_missing(response, missing, field, value, missing_value):
    """``response`` refuses ``field`` exactly like ``missing`` (the reference that does not exist)."""
    assert response.status_code == missing.status_code == 400, response.content
    expected = [m.replace(str(missing_value), str(value)) for m in error_fields(missing)[field]]
    assert error_fields(response)[field] == expected


@pytest.fixture
def css_team(other_station):
    return team_with_members(other_station, name="崇寿一队")


@pytest.fixture
def ads_team(station):
    return team_with_members(station, name="庵东一队")


# ---------------------------------------------------------------- item 1: who may be a member


@pytest.mark.parametrize("who", ["liaison", "grid_client", "other_station_officer", "bureau_leader", "admin"])
def test_member_user_must_be_police_of_the_teams_station(
    who, api_as, leader, ads_team, other_station, station
):
    target = {
        "liaison": lambda: UserFactory(
            username="liaison", role=Role.LIAISON, enterprise=enterprise_for(station)
        ),
        "grid_client": lambda: UserFactory(username="liaison", role=Role.GRID_CLIENT),
        "other_station_officer": lambda: UserFactory(
            username="liaison", role=Role.OFFICER, station=other_station
        ),
        "bureau_leader": lambda: UserFactory(username="liaison", role=Role.BUREAU_LEADER),
        "admin": lambda: UserFactory(username="liaison", role=Role.ADMIN),
    }[who]()
    body = {"team": ads_team.pk, "kind": "station_police", "name": "张三"}
    response = api_as(leader).post(
        "/api/v1/traffic/members/", {**body, "user": target.username}, format="json"
    )
    missing = api_as(leader).post("/api/v1/traffic/members/", {**body, "user": "nobody-x"}, format="json")
    _same_as_missing(response, missing, "user", target.username, "nobody-x")
    assert not Member.objects.filter(user=target).exists()


def test_member_user_of_own_station_is_accepted(api_as, leader, ads_team, make_user):
    own = make_user(Role.OFFICER, username="own-officer")
    body = {"team": ads_team.pk, "kind": "station_police", "name": "李四", "user": own.username}
    response = api_as(leader).post("/api/v1/traffic/members/", body, format="json")
    assert response.status_code == 201, response.content
    assert Member.objects.get(user=own).team == ads_team


def test_bureau_leader_cannot_link_a_liaison_to_any_team(api_as, bureau, ads_team, station):
    liaison = UserFactory(username="liaison", role=Role.LIAISON, enterprise=enterprise_for(station))
    body = {"team": ads_team.pk, "kind": "station_police", "name": "张三", "user": "liaison"}
    response = api_as(bureau).post("/api/v1/traffic/members/", body, format="json")
    assert response.status_code == 400 and "user" in error_fields(response)
    # and a member of a CSS team must be a CSS account, even for the sub-bureau
    ads_officer = ads_team.members.exclude(user=None).first().user
    css_team = team_with_members(liaison.enterprise.station if False else _other(), name="别所队")
    body = {"team": css_team.pk, "kind": "station_police", "name": "王五", "user": ads_officer.username}
    Member.objects.filter(user=ads_officer).delete()
    response = api_as(bureau).post("/api/v1/traffic/members/", body, format="json")
    assert response.status_code == 400 and "user" in error_fields(response)


def _other():
    from tests.factories import StationFactory

    return StationFactory(code="XXS", name="新浦派出所")


def test_liaison_put_on_a_shift_receives_no_police_alert(leader, ads_team, station):
    """The reproduction end to end at the service: the liaison cannot be linked, so no alert."""
    liaison = UserFactory(username="liaison", role=Role.LIAISON, enterprise=enterprise_for(station))
    with pytest.raises(ValidationError) as exc:
        services.member_add(actor=leader, team=ads_team, name="张三", kind="station_police", user=liaison)
    assert "user" in exc.value.message_dict
    assert not InboxItem.objects.filter(recipient=liaison).exists()


def test_member_of_another_stations_team_is_refused_like_a_missing_team(api_as, leader, css_team):
    body = {"kind": "station_police", "name": "张三"}
    response = api_as(leader).post("/api/v1/traffic/members/", {**body, "team": css_team.pk}, format="json")
    missing = api_as(leader).post("/api/v1/traffic/members/", {**body, "team": 999999}, format="json")
    _same_as_missing(response, missing, "team", css_team.pk, 999999)
    assert css_team.members.count() == 2


# ---------------------------------------------------------------- item 2: cross-station writes


def _shift_body(team, zone):
    start = timezone.now() + timedelta(hours=1)
    return {
        "zone": zone.code,
        "team": team,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
    }


def test_leader_cannot_book_another_stations_team(api_as, leader, station, other_station, css_team, ads_team):
    zone = make_zone("Z11", 1, 1, stations=[station, other_station])
    response = api_as(leader).post("/api/v1/traffic/shifts/", _shift_body(css_team.pk, zone), format="json")
    missing = api_as(leader).post("/api/v1/traffic/shifts/", _shift_body(999999, zone), format="json")
    _same_as_missing(response, missing, "team", css_team.pk, 999999)
    assert not Shift.objects.exists()
    # the members of another station's team cannot be named either
    foreign_member = css_team.members.first()
    body = {**_shift_body(ads_team.pk, zone), "members": [foreign_member.pk]}
    response = api_as(leader).post("/api/v1/traffic/shifts/", body, format="json")
    assert response.status_code == 400 and "members" in error_fields(response)
    ok = api_as(leader).post("/api/v1/traffic/shifts/", _shift_body(ads_team.pk, zone), format="json")
    assert ok.status_code == 201, ok.content


def test_patrol_with_another_stations_team_is_refused(api_as, officer, station, other_station, css_team):
    zone = make_zone("Z11", 1, 1, stations=[station, other_station])
    start = timezone.now() - timedelta(hours=3)
    body = {
        "zone": zone.code,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
    }
    response = api_as(officer).post("/api/v1/traffic/patrols/", {**body, "team": css_team.pk}, format="json")
    missing = api_as(officer).post("/api/v1/traffic/patrols/", {**body, "team": 999999}, format="json")
    _same_as_missing(response, missing, "team", css_team.pk, 999999)
    assert not Patrol.objects.exists()


def test_joint_patrol_with_another_stations_enterprise_is_refused(api_as, officer, other_station):
    theirs = enterprise_for(other_station)
    body = {
        "date": timezone.localdate().isoformat(),
        "station": "ADS",
        "organisers": "庵东派出所",
        "location": "路口",
        "police": 2,
    }
    response = api_as(officer).post(
        "/api/v1/traffic/joint-patrols/", {**body, "enterprise": theirs.pk}, format="json"
    )
    missing = api_as(officer).post(
        "/api/v1/traffic/joint-patrols/", {**body, "enterprise": 999999}, format="json"
    )
    _same_as_missing(response, missing, "enterprise", theirs.pk, 999999)
    assert not JointPatrol.objects.exists()


def test_roster_form_offers_and_accepts_only_own_teams(
    client, leader, station, other_station, css_team, ads_team
):
    zone = make_zone("Z11", 1, 1, stations=[station, other_station])
    client.force_login(leader)
    page = client.get(reverse("traffic:roster"))
    assert page.status_code == 200
    choices = list(page.context["form"].fields["team"].queryset)
    assert ads_team in choices and css_team not in choices
    start = timezone.localtime() + timedelta(hours=1)
    data = {
        "zone": zone.pk,
        "team": css_team.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(reverse("traffic:roster"), data)
    assert response.status_code in (200, 400) and "team" in response.context["form"].errors
    assert not Shift.objects.exists()


def test_patrol_and_joint_forms_offer_only_own_station(
    client, officer, station, other_station, css_team, ads_team
):
    ours, theirs = enterprise_for(station), enterprise_for(other_station)
    client.force_login(officer)
    page = client.get(reverse("traffic:patrol_create"))
    teams = list(page.context["form"].fields["team"].queryset)
    assert ads_team in teams and css_team not in teams
    page = client.get(reverse("traffic:joint_create"))
    enterprises = list(page.context["form"].fields["enterprise"].queryset)
    assert ours in enterprises and theirs not in enterprises


# ---------------------------------------------------------------- other stations' teams: names only


def test_other_stations_members_are_readable_as_names_only(api_as, officer, bureau, css_team, ads_team):
    Member = css_team.members.model
    Member.objects.filter(team__in=[css_team, ads_team]).update(phone="13912345678")
    rows = {
        m["id"]: m for m in api_as(officer).get("/api/v1/traffic/members/?page_size=100").json()["results"]
    }
    theirs = [rows[m.pk] for m in css_team.members.all()]
    ours = [rows[m.pk] for m in ads_team.members.all()]
    assert all(m["name"] and m["phone"] == "" and m["user"] is None for m in theirs)
    assert all(m["phone"] == "13912345678" and m["user"] for m in ours)
    detail = api_as(officer).get(f"/api/v1/traffic/members/{css_team.members.first().pk}/").json()
    assert detail["phone"] == "" and detail["user"] is None
    team = api_as(officer).get(f"/api/v1/traffic/teams/{css_team.pk}/").content.decode()
    assert "13912345678" not in team and "-m0" not in team  # no phones, no usernames
    # the sub-bureau reads every member's contact
    rows = {
        m["id"]: m for m in api_as(bureau).get("/api/v1/traffic/members/?page_size=100").json()["results"]
    }
    assert rows[css_team.members.first().pk]["phone"] == "13912345678"
