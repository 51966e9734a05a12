"""The 110 ↔ 12345 diversion catalogue: seeded, suggested, picked at intake and on the incident, the
clocks of a diverted call, and the counts per direction, item and month."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import selectors, services
from incidents.models import DiversionItem, Incident, SlaClock
from qianwan.exchange.models import InboundEvent, OutboundEvent
from qianwan.notify.models import Notification
from qianwan.org.models import DutyRoster
from tests.errors import error_fields
from tests.incidents.factories import make_incident, payload, record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def queued_tasks(callbacks) -> set[str]:
    """Names of the Celery tasks the captured on-commit callbacks publish (publish_on_commit's lambdas)."""
    names = set()
    for callback in callbacks:
        for cell in callback.__closure__ or ():
            name = getattr(cell.cell_contents, "name", None)
            if isinstance(name, str):
                names.add(name)
    return names


def item(name):
    return DiversionItem.objects.select_related("category").get(name=name)


@pytest.fixture
def on_duty(leader, bureau, station):
    DutyRoster.objects.create(
        station=station, leader=leader, starts_at=T0 - timedelta(hours=2), ends_at=T0 + timedelta(hours=22)
    )
    DutyRoster.objects.create(
        station=None, leader=bureau, starts_at=T0 - timedelta(hours=2), ends_at=T0 + timedelta(hours=22)
    )


# ------------------------------------------------------------------------------------- seed


def test_catalogue_seeded_both_directions():
    to_12345 = selectors.diversion_catalogue(direction="to_12345")
    to_110 = selectors.diversion_catalogue(direction="to_110")
    names = {i.name for i in to_12345}
    assert {"劳资欠薪咨询", "占道经营", "装修施工噪音", "停水、水管爆裂", "道路、井盖损坏"} <= names
    assert {c for c in to_12345.values_list("category__name", flat=True)} >= {
        "水电气暖",
        "噪音扰民（非治安）",
        "物业纠纷",
        "市政设施损坏",
        "消费投诉",
    }
    assert {"正在发生的违法犯罪", "人身安全受到威胁", "交通事故现场", "紧急求助"} <= {i.name for i in to_110}
    assert len(to_12345) >= 20 and len(to_110) >= 8
    assert all(i.keyword_list() for i in [*to_12345, *to_110])


# ------------------------------------------------------------------------------------- suggestion


def test_suggestion_by_keyword_ranks_the_matching_item_first():
    found = selectors.diversion_suggest(category="dispute", text="老板拖欠工资三个月，想问怎么讨薪")
    assert found["divert"] is True
    assert found["items"][0].name == "劳资欠薪咨询"
    assert "拖欠工资" in found["reason"]


def test_suggestion_by_non_police_category_without_keyword():
    found = selectors.diversion_suggest(category="non_police", text="")
    assert found["divert"] is True and found["items"]
    assert all(i.category.direction == "to_12345" for i in found["items"])
    assert found["reason"] == "警情类别为“非警务”"


def test_no_suggestion_for_a_police_call():
    found = selectors.diversion_suggest(category="criminal", text="有人持刀抢劫")
    assert found == {"divert": False, "items": [], "matched_keywords": {}, "reason": ""}


def test_switched_off_item_is_not_suggested():
    DiversionItem.objects.filter(name="劳资欠薪咨询").update(is_active=False)
    found = selectors.diversion_suggest(category="dispute", text="拖欠工资")
    assert "劳资欠薪咨询" not in [i.name for i in found["items"]]


def test_catalogue_api_suggests(api_as, officer):
    response = api_as(officer).get("/api/v1/diversion-catalogue/", {"q": "门口路灯不亮，井盖也丢了"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["suggestion"]["divert"] is True
    first = body["suggestion"]["items"][0]
    assert first in (item("路灯、信号设施故障").pk, item("道路、井盖损坏").pk)
    assert body["results"][0]["id"] == first
    both = api_as(officer).get("/api/v1/diversion-catalogue/").json()
    assert both["suggestion"] is None and {r["direction"] for r in both["results"]} == {"to_12345", "to_110"}
    bad = api_as(officer).get("/api/v1/diversion-catalogue/", {"direction": "sideways"})
    assert bad.status_code == 400 and "direction" in error_fields(bad)


# ------------------------------------------------------------------------------------- intake


def test_intake_diversion_starts_no_clocks(
    time_machine, officer, on_duty, station, django_capture_on_commit_callbacks
):
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident = make_incident(
            station,
            officer,
            received_at=T0,
            category="non_police",
            description="楼上装修电钻噪音",
            divert_to="12345",
            catalogue_item=item("装修施工噪音").pk,
        )
    # no timer task is queued (the outbound diversion's own work may be)
    assert "incidents.tasks.clock_fire" not in queued_tasks(callbacks)
    incident.refresh_from_db()
    assert incident.status == "diverted" and incident.diverted_to == "12345"
    assert incident.diversion_item.name == "装修施工噪音"
    clocks = SlaClock.objects.filter(incident=incident)
    assert clocks.count() == 4
    # nothing armed: no task id, no next step; every stage marked not needed
    assert all(c.not_needed and c.next_fire_at is None and not c.task_id for c in clocks)
    assert not Notification.objects.filter(key=f"incident:{incident.pk}:leader").exists()
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    assert services.clocks_sweep() == 0
    assert not Notification.objects.filter(thread=f"incident:{incident.pk}").exists()
    out = OutboundEvent.objects.get(kind="diversion", target="12345")
    assert out.payload["catalogue_item"] == item("装修施工噪音").pk


def test_intake_diversion_through_the_api(api_as, officer):
    body = payload(category="non_police", divert_to="12345", catalogue_item=item("占道经营").pk)
    response = api_as(officer).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "diverted" and data["diversion_item"] == item("占道经营").pk
    assert all(row["not_needed"] for row in data["sla"])
    assert [e["kind"] for e in data["events"]] == ["diverted"]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"divert_to": "12345", "catalogue_item": 999999}, "catalogue_item"),
        ({"divert_to": "12345", "catalogue_item": "紧急求助"}, "catalogue_item"),
        ({"divert_to": "grid"}, "divert_to"),
    ],
)
def test_intake_bad_diversion_is_400_and_writes_nothing(api_as, officer, extra, field):
    response = api_as(officer).post("/api/v1/incidents/", payload(**extra), format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response)
    assert not Incident.objects.exists()


def test_intake_with_other_directions_item_is_400(api_as, officer):
    body = payload(divert_to="12345", catalogue_item=item("紧急求助").pk)
    response = api_as(officer).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    assert "12345 → 110" in str(error_fields(response)["catalogue_item"])
    assert not Incident.objects.exists()


# ------------------------------------------------------------------------------------- later


def test_diverted_later_with_item_stops_clocks_before_next_step(time_machine, officer, on_duty, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0, category="non_police", description="小区物业费纠纷")
    armed = SlaClock.objects.get(incident=incident, stage="dispatch")
    assert armed.task_id and armed.next_fire_at == T0 + timedelta(seconds=45)
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    record(incident, "diverted", after=30, target="12345", catalogue_item=item("物业服务与收费").pk)
    # the task armed at intake now finds nothing to do, and nothing fires later
    time_machine.move_to(T0 + timedelta(seconds=45), tick=False)
    assert services.clock_fire(clock_id=armed.pk, task_id=armed.task_id) == []
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    assert services.clocks_sweep() == 0
    assert not Notification.objects.filter(key__startswith="clock:").exists()
    assert not SlaClock.objects.filter(incident=incident, not_needed=False).exists()
    incident.refresh_from_db()
    assert incident.diversion_item.name == "物业服务与收费"


def test_diverted_event_api_checks_the_item(api_as, officer):
    incident = make_incident(officer.station, category="non_police")
    url = f"/api/v1/incidents/{incident.pk}/events/"
    at = (incident.received_at + timedelta(seconds=30)).isoformat()
    body = {"kind": "diverted", "at": at, "target": "12345"}
    unknown = api_as(officer).post(url, {**body, "catalogue_item": 999999}, format="json")
    assert unknown.status_code == 400 and "catalogue_item" in error_fields(unknown)
    wrong_way = api_as(officer).post(url, {**body, "catalogue_item": item("交通事故现场").pk}, format="json")
    assert wrong_way.status_code == 400 and "catalogue_item" in error_fields(wrong_way)
    not_diversion = api_as(officer).post(
        url, {"kind": "dispatched", "at": at, "catalogue_item": item("占道经营").pk}, format="json"
    )
    assert not_diversion.status_code == 400 and "catalogue_item" in error_fields(not_diversion)
    incident.refresh_from_db()
    assert incident.status == "open" and not incident.events.exists()
    ok = api_as(officer).post(url, {**body, "catalogue_item": item("占道经营").pk}, format="json")
    assert ok.status_code == 201, ok.content
    assert (
        api_as(officer).get(f"/api/v1/incidents/{incident.pk}/").json()["diversion_item"]
        == item("占道经营").pk
    )


# ------------------------------------------------------------------------------------- counts


def test_counts_per_direction_item_and_month(station, other_station):
    may = datetime(2026, 5, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    june = datetime(2026, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    noise, wages = item("装修施工噪音").pk, item("劳资欠薪咨询").pk
    for when, it in [(may, noise), (may, noise), (may, wages), (june, noise)]:
        make_incident(station, received_at=when, category="non_police", divert_to="12345", catalogue_item=it)
    plain = make_incident(station, received_at=june, category="non_police")
    record(plain, "diverted", after=60, target="12345")  # no item picked
    make_incident(station, received_at=june, category="dispute")  # not diverted
    # a call 12345 pushed to 110, accepted as an incident, under its item
    make_incident(
        station, received_at=june, category="criminal", catalogue_item=item("正在发生的违法犯罪").pk
    )
    # another station's diversion is not counted for this station
    make_incident(
        other_station, received_at=june, category="non_police", divert_to="12345", catalogue_item=noise
    )
    # the first minute of June in Shanghai is still May in UTC: counted in June
    make_incident(
        station,
        received_at=datetime(2026, 6, 1, 0, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
        category="non_police",
        divert_to="12345",
        catalogue_item=wages,
    )

    data = selectors.diversion_counts(
        date_from=may.date().replace(day=1), date_to=june.date(), station=station
    )
    assert data["months"] == [
        {"month": "2026-05", "incidents": 3, "to_12345": 3, "to_110": 0},
        {"month": "2026-06", "incidents": 5, "to_12345": 3, "to_110": 1},
    ]
    assert data["totals"] == {"to_12345": 6, "to_110": 1}
    by_item = {(e["direction"], e["item_label"]): (e["total"], e["months"]) for e in data["items"]}
    assert by_item == {
        ("to_12345", "噪音扰民（非治安） · 装修施工噪音"): (3, {"2026-05": 2, "2026-06": 1}),
        ("to_12345", "劳动保障 · 劳资欠薪咨询"): (2, {"2026-05": 1, "2026-06": 1}),
        ("to_12345", "未选目录事项"): (1, {"2026-06": 1}),
        ("to_110", "违法犯罪 · 正在发生的违法犯罪"): (1, {"2026-06": 1}),
    }
    whole = selectors.diversion_counts(date_from=may.date().replace(day=1), date_to=june.date())
    assert whole["totals"] == {"to_12345": 7, "to_110": 1}


def test_counts_include_accepted_12345_events(station, officer):
    event = InboundEvent.objects.create(
        external_id="H-1", source="12345", category="求助", title="老人走失", station=station
    )
    services.incident_accept_inbound(actor=officer, event=event, category="help")
    today = timezone.localdate()
    data = selectors.diversion_counts(date_from=today, date_to=today, station=station)
    assert data["totals"] == {"to_12345": 0, "to_110": 1}
    assert data["items"][0]["item_label"] == "未选目录事项"


def test_queued_tasks_sees_the_timer_of_a_normal_intake(station, officer, django_capture_on_commit_callbacks):
    """The probe the intake-diversion test relies on finds the timer task when there is one."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_incident(station, officer, category="non_police")
    assert "incidents.tasks.clock_fire" in queued_tasks(callbacks)


def test_accepted_12345_event_under_its_item(client, station, officer):
    event = InboundEvent.objects.create(
        external_id="H-2", source="12345", category="求助", title="有人持刀威胁", station=station
    )
    wrong = item("占道经营").pk
    with pytest.raises(ValidationError) as exc:
        services.incident_accept_inbound(
            actor=officer, event=event, category="criminal", catalogue_item=wrong
        )
    assert "catalogue_item" in exc.value.message_dict
    assert not Incident.objects.exists()
    client.force_login(officer)
    page = client.get(f"/exchange/inbound/{event.pk}/").content.decode()
    assert 'name="catalogue_item"' in page and "人身安全受到威胁" in page
    response = client.post(
        f"/incidents/from-inbound/{event.pk}/",
        {"category": "criminal", "catalogue_item": item("人身安全受到威胁").pk},
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.diversion_item == item("人身安全受到威胁")
    today = timezone.localdate()
    data = selectors.diversion_counts(date_from=today, date_to=today, station=station)
    assert [(e["direction"], e["item_label"], e["total"]) for e in data["items"]] == [
        ("to_110", "人身安全 · 人身安全受到威胁", 1)
    ]
