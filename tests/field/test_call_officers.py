"""People on a call (issue 22, item 1): who was dispatched, who arrived, who supervised; out now."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import selectors
from qianwan.org.choices import Role
from tests.errors import error_fields
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(make_user):
    return [
        make_user(Role.OFFICER, username="zhang", full_name="张三"),
        make_user(Role.OFFICER, username="li", full_name="李四"),
        make_user(Role.OFFICER, username="wang", full_name="王五"),
    ]


def events_url(incident):
    return f"/api/v1/incidents/{incident.pk}/events/"


def test_dispatch_and_arrival_name_officers_and_reinforcements(api_as, officer, crew, station):
    incident = make_incident(station, received_at=timezone.now() - timedelta(minutes=3))
    api = api_as(officer)
    at = timezone.now().isoformat()
    resp = api.post(
        events_url(incident),
        {"kind": "dispatched", "at": at, "officers": ["zhang", "li"], "unit": "庵东1组"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["officers"] == ["zhang", "li"] and resp.json()["unit"] == "庵东1组"
    resp = api.post(
        events_url(incident), {"kind": "arrived", "at": at, "officers": ["li", "wang"]}, format="json"
    )
    assert resp.status_code == 201, resp.content
    resp = api.post(events_url(incident), {"kind": "video_supervised", "at": at}, format="json")
    assert resp.status_code == 201
    body = api.get(f"/api/v1/incidents/{incident.pk}/").json()
    people = {row["username"]: row for row in body["officers"]}
    assert set(people) == {"zhang", "li", "wang"}
    assert people["zhang"]["dispatched_at"] and people["zhang"]["arrived_at"] is None
    assert people["li"]["dispatched_at"] and people["li"]["arrived_at"]
    assert people["wang"]["dispatched_at"] is None and people["wang"]["arrived_at"]  # reinforcement
    assert people["zhang"]["name"] == "张三"
    assert body["video_supervised_by"] == "officer"


def test_out_now_and_per_officer_counts(officer, crew, station):
    open_call = make_incident(station, received_at=timezone.now() - timedelta(minutes=5))
    record(open_call, "dispatched", after=30, officers=["zhang"])
    closed_call = make_incident(station, received_at=timezone.now() - timedelta(minutes=5))
    record(closed_call, "dispatched", after=30, officers=["li", "zhang"])
    record(closed_call, "closed", after=60)
    out = {row["user"].username: row for row in selectors.out_now(station=station)}
    assert set(out) == {"zhang"}
    assert [i.pk for i in out["zhang"]["incidents"]] == [open_call.pk]
    counts = {row["user"].username: row for row in selectors.officer_call_counts(station=station)}
    assert (counts["zhang"]["today"], counts["zhang"]["month"]) == (2, 2)
    assert (counts["li"]["today"], counts["li"]["month"]) == (1, 1)
    assert counts["wang"]["month"] == 0


@pytest.mark.parametrize("who", ["other_station", "inactive", "unknown"])
def test_bad_officer_is_400_naming_the_field(api_as, officer, crew, station, other_station, make_user, who):
    if who == "other_station":
        make_user(Role.OFFICER, station_=other_station, username="stranger")
    elif who == "inactive":
        make_user(Role.OFFICER, username="stranger", is_active=False)
    incident = make_incident(station)
    resp = api_as(officer).post(
        events_url(incident),
        {"kind": "dispatched", "at": timezone.now().isoformat(), "officers": ["zhang", "stranger"]},
        format="json",
    )
    assert resp.status_code == 400
    assert "stranger" in " ".join(error_fields(resp)["officers"])
    assert not incident.events.exists()  # nothing half-written


def test_officers_only_on_dispatch_and_arrival(api_as, officer, crew, station):
    incident = make_incident(station)
    resp = api_as(officer).post(
        events_url(incident),
        {"kind": "leader_notified", "at": timezone.now().isoformat(), "officers": ["zhang"]},
        format="json",
    )
    assert resp.status_code == 400 and "officers" in error_fields(resp)


def test_officers_must_be_a_list(api_as, officer, crew, station):
    incident = make_incident(station)
    resp = api_as(officer).post(
        events_url(incident),
        {"kind": "dispatched", "at": timezone.now().isoformat(), "officers": "zhang"},
        format="json",
    )
    assert resp.status_code == 400 and "officers" in error_fields(resp)


def test_pages_show_who_is_on_the_call(client, officer, crew, station):
    incident = make_incident(station, received_at=timezone.now() - timedelta(minutes=2))
    client.force_login(officer)
    resp = client.post(
        f"/incidents/{incident.pk}/events/",
        {"kind": "dispatched", "officers": ["zhang", "li"], "unit": "巡1"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-officer="zhang"' in page and 'data-officer="li"' in page and "巡1" in page
    board = client.get("/incidents/board.json").json()
    row = next(r for r in board["incidents"] if r["id"] == incident.pk)
    assert [o["username"] for o in row["officers"]] == ["zhang", "li"]
    assert {p["username"] for p in board["people"][str(station.pk)]} >= {"zhang", "li", "wang"}
    out = client.get("/incidents/out-now/").content.decode()
    assert 'data-out="zhang"' in out and 'data-out="wang"' not in out


def test_page_form_rejects_another_stations_officer(client, officer, crew, station, other_station, make_user):
    make_user(Role.OFFICER, station_=other_station, username="stranger")
    incident = make_incident(station)
    client.force_login(officer)
    resp = client.post(f"/incidents/{incident.pk}/events/", {"kind": "dispatched", "officers": ["stranger"]})
    assert resp.status_code == 400
    assert "stranger" in resp.content.decode()
    assert not incident.events.exists()


def test_picker_puts_the_duty_roster_of_the_moment_first(crew, station, make_user):
    from qianwan.org.models import DutyRoster

    boss = make_user(Role.STATION_LEADER, username="boss", full_name="阿所长")
    now = timezone.now()
    DutyRoster.objects.create(
        station=station,
        leader=crew[2],
        post="officer",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    DutyRoster.objects.create(
        station=station,
        leader=boss,
        post="leader",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    # yesterday's shift does not count
    DutyRoster.objects.create(
        station=station, leader=crew[0], post="officer", starts_at=now - timedelta(days=1, hours=2),
        ends_at=now - timedelta(days=1),
    )  # fmt: skip
    picker = selectors.dispatch_picker(station_id=station.pk, at=now)
    names = [p["username"] for p in picker]
    assert names[:2] == ["wang", "boss"]
    assert {p["username"] for p in picker if p["on_duty"]} == {"wang", "boss"}
    assert set(names) >= {"zhang", "li", "wang", "boss"}


def test_out_now_page_station_choice(client, bureau, officer, station, other_station):
    client.force_login(bureau)
    assert "请选择派出所" in client.get("/incidents/out-now/").content.decode()
    assert client.get("/incidents/out-now/?station=CSS").status_code == 200
    assert client.get("/incidents/out-now/?station=NOPE").status_code == 400
    client.force_login(officer)
    assert client.get("/incidents/out-now/?station=CSS").status_code == 400
