"""The duty rota: rotations, one-off entries, swaps, who is on duty, the pages and the reminders."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from incidents import services as incident_services
from incidents.models import SlaClock
from qianwan.audit.models import AuditEntry
from qianwan.notify.models import InboxItem
from qianwan.org import selectors, services
from qianwan.org.choices import DutyPost, Role
from qianwan.org.models import DutyRoster, DutyRotation
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
D0 = date(2026, 6, 1)


def at(day: int, hour: float) -> datetime:
    return datetime.combine(D0 + timedelta(days=day), time(0), tzinfo=TZ) + timedelta(hours=hour)


@pytest.fixture
def trio(make_user):
    return [make_user(Role.STATION_LEADER, username=f"ld{i}", full_name=f"领导{i}") for i in range(3)]


def daily(actor, station, members, **kw):
    fields = {
        "name": "所领导日轮换",
        "post": DutyPost.LEADER,
        "period": "daily",
        "starts_on": D0,
        "shift_start": time(8),
        "shift_hours": 24,
    }
    fields.update(kw)
    return services.rotation_save(actor=actor, station=station, members=members, **fields)


def test_daily_rotation_goes_round_the_members_in_order(trio, station, bureau):
    daily(bureau, station, trio)
    holder = lambda d, h: [u.username for u in selectors.on_duty(station=station, at=at(d, h))]  # noqa: E731
    assert holder(0, 7.99) == []  # before the first shift
    assert holder(0, 8) == ["ld0"] and holder(1, 7.99) == ["ld0"]
    assert holder(1, 8) == ["ld1"] and holder(2, 12) == ["ld2"] and holder(3, 9) == ["ld0"]
    assert holder(30, 9) == [["ld0", "ld1", "ld2"][30 % 3]]


def test_weekly_rotation_and_a_day_shift_leave_nights_empty(trio, station, bureau):
    services.rotation_save(
        actor=bureau,
        station=station,
        name="周轮换",
        post=DutyPost.OFFICER,
        period="weekly",
        starts_on=D0,
        shift_start=time(8),
        shift_hours=12,
        members=trio[:2],
    )
    on = lambda d, h: [u.username for u in selectors.on_duty(station=station, at=at(d, h), post="officer")]  # noqa: E731
    assert on(0, 9) == ["ld0"] and on(0, 21) == []  # 08:00–20:00 only
    assert on(6, 19) == [] and on(7, 9) == ["ld1"] and on(14, 9) == ["ld0"]
    # the other post is not affected
    assert selectors.on_duty(station=station, at=at(0, 9)) == []


def test_an_override_takes_the_rotations_place_and_a_swap_exchanges_two_shifts(
    trio, station, bureau, make_user
):
    rotation = daily(bureau, station, trio)
    stand_in = make_user(Role.OFFICER, username="standin")
    services.duty_override_create(
        actor=bureau, station=station, person=stand_in, post="leader", starts_at=at(0, 10), ends_at=at(0, 12)
    )
    assert selectors.on_duty(station=station, at=at(0, 11)) == [stand_in]
    assert [u.username for u in selectors.on_duty(station=station, at=at(0, 12))] == ["ld0"]
    a, b = services.duty_swap(actor=bureau, station=station, first=(rotation, 1), second=(rotation, 2))
    assert [u.username for u in selectors.on_duty(station=station, at=at(1, 9))] == ["ld2"]
    assert [u.username for u in selectors.on_duty(station=station, at=at(2, 9))] == ["ld1"]
    assert "调班" in a.note and (a.starts_at, a.ends_at) == (at(1, 8), at(2, 8))
    assert AuditEntry.objects.filter(action="duty.override_create").count() == 3


def test_schedule_shows_gaps_and_overlaps(trio, station, bureau):
    daily(bureau, station, trio[:1], shift_hours=12)  # 08:00–20:00: nights are gaps
    daily(bureau, station, trio[1:2], name="第二班", shift_start=time(18), shift_hours=4)  # 18–22
    segments = selectors.duty_schedule(station=station, post="leader", start=at(0, 8), end=at(1, 8))
    shape = [
        (s["start"], s["end"], [u.username for u in s["people"]], s["gap"], s["overlap"]) for s in segments
    ]
    assert shape == [
        (at(0, 8), at(0, 18), ["ld0"], False, False),
        (at(0, 18), at(0, 20), ["ld0", "ld1"], False, True),
        (at(0, 20), at(0, 22), ["ld1"], False, False),
        (at(0, 22), at(1, 8), [], True, False),
    ]


def test_bad_rotations_are_refused_with_reasons(trio, station, other_station, make_user, bureau):
    with pytest.raises(ValidationError) as exc:
        daily(bureau, station, trio, shift_hours=25)
    assert "shift_hours" in exc.value.message_dict
    outsider = make_user(Role.STATION_LEADER, station_=other_station, username="outsider")
    with pytest.raises(ValidationError) as exc:
        daily(bureau, station, [trio[0], outsider])
    assert "members" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.duty_override_create(
            actor=bureau,
            station=station,
            person=trio[0],
            post="leader",
            starts_at=at(0, 10),
            ends_at=at(0, 9),
        )
    assert not DutyRotation.objects.exists() and not DutyRoster.objects.exists()


def test_reminders_go_to_the_rota_and_to_the_station_leaders_when_nobody_is_on_duty(
    time_machine, trio, station, bureau, make_user
):
    officer_on_duty = make_user(Role.OFFICER, username="ofc")
    daily(bureau, station, trio[1:2], shift_hours=12)  # 08:00–20:00
    time_machine.move_to(at(0, 9), tick=False)
    incident = make_incident(station, received_at=at(0, 9))
    new = InboxItem.objects.filter(notification__key=f"incident:{incident.pk}:leader")
    assert [i.recipient.username for i in new] == ["ld1"]
    clock = SlaClock.objects.get(incident=incident, stage="dispatch")
    # the shift ends before the breach: the rota at the moment the step fires is what counts
    services.duty_override_create(
        actor=bureau,
        station=station,
        person=trio[2],
        post="leader",
        starts_at=at(0, 9) + timedelta(seconds=50),
        ends_at=at(0, 10),
    )
    time_machine.move_to(at(0, 9) + timedelta(seconds=60), tick=False)
    incident_services.clock_fire(clock_id=clock.pk)
    breach = InboxItem.objects.filter(notification__key=f"clock:{clock.pk}:breach")
    assert [i.recipient.username for i in breach] == ["ld2"]
    # at night nobody is on the rota: the station's leaders, and the board warns
    time_machine.move_to(at(0, 21), tick=False)
    night = make_incident(station, received_at=at(0, 21))
    got = set(
        InboxItem.objects.filter(notification__key=f"incident:{night.pk}:leader").values_list(
            "recipient__username", flat=True
        )
    )
    assert got == {"ld0", "ld1", "ld2"}
    assert officer_on_duty.username not in got
    client = Client()
    client.force_login(trio[0])
    page = client.get("/incidents/board/")
    assert "当前无人值班" in page.content.decode() and "提醒将发给所领导" in page.content.decode()
    assert "当前无人值班" in client.get("/").content.decode()


def test_rota_pages_keep_the_rota(trio, station, other_station, make_user):
    leader = trio[0]
    client = Client()
    client.force_login(leader)
    form = {
        "name": "所领导轮换",
        "post": "leader",
        "period": "daily",
        "starts_on": "2026-06-01",
        "shift_start": "08:00",
        "shift_hours": "24",
        "members": "ld0, ld1 ld2",
    }
    response = client.post("/duty/rotations/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    rotation = DutyRotation.objects.get()
    assert [m.user.username for m in rotation.members.order_by("position")] == ["ld0", "ld1", "ld2"]
    page = client.get("/duty/").content.decode()
    assert "所领导轮换" in page and "领导0 → 领导1 → 领导2" in page
    # bad input: the form again with the reasons, nothing written
    bad = client.post("/duty/rotations/new/", {**form, "members": "ld0 nobody", "shift_hours": "30"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "nobody" in text and "不能超过轮换周期" in text
    assert DutyRotation.objects.count() == 1
    # another station's rota: 404, as if missing; an officer may read but not keep it
    assert client.get(f"/duty/?station={other_station.code}").status_code == 404
    theirs = DutyRotation.objects.create(
        station=other_station, name="x", starts_on=D0, shift_start=time(8), shift_hours=24
    )
    assert client.post(f"/duty/rotations/{theirs.pk}/delete/").status_code == 404
    officer = make_user(Role.OFFICER, username="reader")
    client.force_login(officer)
    assert client.get("/duty/").status_code == 200
    assert client.get("/duty/rotations/new/").status_code == 403
    assert client.post(f"/duty/rotations/{rotation.pk}/delete/").status_code == 404


def test_bureau_leader_keeps_the_command_centre_rota(bureau, make_user):
    other = make_user(Role.BUREAU_LEADER, username="bureau2")
    client = Client()
    client.force_login(bureau)
    response = client.post(
        "/duty/overrides/new/?centre=1",
        {
            "post": "leader",
            "person": other.pk,
            "starts_at": "2026-06-01T08:00",
            "ends_at": "2026-06-02T08:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    entry = DutyRoster.objects.get()
    assert entry.station is None and entry.leader == other
    assert selectors.on_duty(station=None, at=at(0, 9)) == [other]
    bad = client.post(
        "/duty/overrides/new/?centre=1",
        {
            "post": "leader",
            "person": other.pk,
            "starts_at": "2026-06-02T08:00",
            "ends_at": "2026-06-01T08:00",
        },
    )
    assert bad.status_code == 400 and "结束时间必须晚于开始时间" in bad.content.decode()
