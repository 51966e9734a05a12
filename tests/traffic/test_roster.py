from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qianwan.kpi import local_tz
from qianwan.org.choices import Role
from tests.errors import error_fields
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
    assert "同一人不能同时在两个班次" in str(error_fields(response)["starts_at"])
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


# --- the roster calendar: selectors.roster_week ------------------------------------------------------


def _next_monday():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


def _at(day, hour=0):
    """Local (Asia/Shanghai) ``hour`` o'clock of ``day`` as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=local_tz())


def _cells(week, zone) -> list[list[Shift]]:
    return next(row["cells"] for row in week["rows"] if row["zone"] == zone)


def test_roster_week_puts_a_night_shift_on_both_days_and_a_midnight_end_on_one(station, officer):
    monday = _next_monday()
    zone = make_zone(stations=[station])
    team, relief = team_with_members(station), team_with_members(station)
    night = make_shift(zone, team, start=_at(monday, 20), hours=8)  # Mon 20:00 → Tue 04:00
    evening = make_shift(zone, team, start=_at(monday + timedelta(days=1), 16), hours=8)  # → Wed 00:00
    before = make_shift(zone, relief, start=_at(monday - timedelta(days=1), 16), hours=8)  # → Mon 00:00
    early = make_shift(zone, relief, start=_at(monday, 0), hours=6)  # Mon 00:00 → 06:00

    week = selectors.roster_week(user=officer, monday=monday)

    assert week["days"] == [monday + timedelta(days=i) for i in range(7)]
    assert [row["zone"] for row in week["rows"]] == [zone]
    cells = _cells(week, zone)
    assert cells[0] == [early, night]  # Monday: in start order
    assert cells[1] == [night, evening]  # Tuesday: the night shift's second day
    assert cells[2] == []  # Wednesday: the evening shift ends at 00:00, exclusive
    assert all(cell == [] for cell in cells[3:])
    assert before not in [s for cell in cells for s in cell]  # ended at the week's first instant


def test_roster_week_shows_an_officer_only_the_shifts_of_his_stations_zones(
    station, other_station, officer, bureau, make_user
):
    monday = _next_monday()
    ours = make_zone("Z11", 1, 1, stations=[station])
    theirs = make_zone("Z12", 1, 2, stations=[other_station])
    our_shift = make_shift(ours, team_with_members(station), start=_at(monday, 8))
    their_shift = make_shift(theirs, team_with_members(other_station), start=_at(monday, 8))

    week = selectors.roster_week(user=officer, monday=monday)
    # zones are the district's shared picture: the other station's zone keeps its row, empty
    assert [row["zone"] for row in week["rows"]] == [ours, theirs]
    assert _cells(week, ours)[0] == [our_shift]
    assert all(cell == [] for cell in _cells(week, theirs))

    css_officer = make_user(Role.OFFICER, station_=other_station, username="css-officer")
    week = selectors.roster_week(user=css_officer, monday=monday)
    assert all(cell == [] for cell in _cells(week, ours))
    assert _cells(week, theirs)[0] == [their_shift]

    week = selectors.roster_week(user=bureau, monday=monday)
    assert _cells(week, ours)[0] == [our_shift] and _cells(week, theirs)[0] == [their_shift]


def test_roster_week_has_no_row_for_an_inactive_zone(station, officer, bureau):
    monday = _next_monday()
    active = make_zone("Z11", 1, 1, stations=[station])
    retired = make_zone("Z12", 1, 2, stations=[station])
    make_shift(active, team_with_members(station), start=_at(monday, 8))
    make_shift(retired, team_with_members(station), start=_at(monday, 8))
    services.zone_update(actor=None, zone=retired, is_active=False)  # its shift stays on record

    for user in (officer, bureau):
        week = selectors.roster_week(user=user, monday=monday)
        assert [row["zone"] for row in week["rows"]] == [active]
        assert len(_cells(week, active)[0]) == 1


def test_roster_week_reads_zones_and_shifts_once_each(station, officer, django_assert_num_queries):
    monday = _next_monday()
    zones = [make_zone(f"Z1{col}", 1, col, stations=[station]) for col in range(3)]
    with django_assert_num_queries(2):
        week = selectors.roster_week(user=officer, monday=monday)
    assert len(week["rows"]) == 3 and not any(c for row in week["rows"] for c in row["cells"])

    for zone in zones:
        team = team_with_members(station)
        for day in range(0, 7, 2):
            make_shift(zone, team, start=_at(monday + timedelta(days=day), 20), hours=8)
    with django_assert_num_queries(2):
        week = selectors.roster_week(user=officer, monday=monday)
        # what the page reads of each shift: its team, its times, nothing more
        names = [s.team.name for row in week["rows"] for cell in row["cells"] for s in cell]
    assert len(names) == 3 * 7  # 4 night shifts per zone, 3 of them spanning two days of the week


def test_roster_page_query_count_does_not_grow_with_the_shifts(client, station, leader):
    monday = _next_monday()
    url = reverse("traffic:roster")
    zone_a, zone_b = make_zone("Z11", 1, 1, stations=[station]), make_zone("Z12", 1, 2, stations=[station])
    make_shift(zone_a, team_with_members(station), start=_at(monday, 8))
    client.force_login(leader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"week": monday.isoformat()})
        assert response.status_code == 200
        return len(ctx)

    one = queries()
    for zone in (zone_a, zone_b):
        team = team_with_members(station)
        for day in range(1, 7):
            make_shift(zone, team, start=_at(monday + timedelta(days=day), 20), hours=8)
    assert queries() == one
