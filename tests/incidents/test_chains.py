"""Escalation chains: configured steps with waits and repeats, acknowledgement, frozen at receipt."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from incidents import services
from incidents.models import EscalationChain, SlaClock
from qianwan.notify.models import InboxItem, Notification
from qianwan.notify.services import inbox_acknowledge
from qianwan.org.choices import Role
from qianwan.org.models import DutyRoster
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def rota(leader, bureau, station, make_user):
    DutyRoster.objects.create(
        station=station, leader=leader, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=9)
    )
    DutyRoster.objects.create(
        station=None, leader=bureau, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=9)
    )
    deputy = make_user(Role.STATION_LEADER, username="deputy")
    chief = make_user(Role.BUREAU_LEADER, username="chief")
    return {"leader": leader, "bureau": bureau, "deputy": deputy, "chief": chief}


def steps(*rows):
    keys = ("target", "wait_seconds", "repeat_times", "repeat_every_seconds", "person")
    return [dict(zip(keys, (*row, None)[:5] if len(row) < 5 else row, strict=False)) for row in rows]


def sent(clock):
    """(key suffix, sorted recipients) of every chain notification of ``clock``, in order."""
    rows = Notification.objects.filter(key__startswith=f"clock:{clock.pk}:").order_by("id")
    return [
        (
            n.key.split(":", 2)[2],
            sorted(InboxItem.objects.filter(notification=n).values_list("recipient__username", flat=True)),
        )
        for n in rows
    ]


def fire(time_machine, clock, seconds):
    time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)
    return services.clock_fire(clock_id=clock.pk)


def test_no_chain_configured_keeps_the_built_in_behaviour(time_machine, rota, station):
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    clock = SlaClock.objects.get(incident=incident, stage="dispatch")
    assert clock.chain == [] and clock.escalate_at == T0 + timedelta(seconds=180)


def test_a_chain_repeats_until_acknowledged_then_escalates(time_machine, rota, station):
    services.escalation_chain_save(
        actor=rota["bureau"],
        station=None,
        steps=steps(
            ("duty_leader", 0, 2, 30),  # at the breach, again at +30 and +60 unless acknowledged
            ("station_leaders", 60, 0, 0),
            ("person", 60, 0, 0, rota["chief"]),
        ),
    )
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    dispatch = SlaClock.objects.get(incident=incident, stage="dispatch")  # deadline T0 + 60
    assert dispatch.escalate_at is None and len(dispatch.chain) == 5
    fire(time_machine, dispatch, 45)  # the warning, as before
    assert fire(time_machine, dispatch, 60) == ["breach", "chain"]
    assert fire(time_machine, dispatch, 90) == ["chain"]
    assert sent(dispatch)[1:] == [("chain:0", ["leader"]), ("chain:1", ["leader"])]
    # the leader acknowledges at +100: the third reminder (+120) is not sent; the next step is
    item = InboxItem.objects.get(notification__key=f"clock:{dispatch.pk}:chain:1")
    time_machine.move_to(T0 + timedelta(seconds=100), tick=False)
    inbox_acknowledge(user=rota["leader"], item=item)
    fire(time_machine, dispatch, 120)
    dispatch.refresh_from_db()
    assert [k for k, _ in sent(dispatch)] == ["warn", "chain:0", "chain:1", "chain:3"]
    assert sent(dispatch)[-1] == ("chain:3", ["deputy", "leader"])
    # the 2-minute stage breached at +120, after the acknowledgement: its own chain, repeats and all
    video = SlaClock.objects.get(incident=incident, stage="video_supervision")
    fire(time_machine, video, 150)
    assert [k for k, _ in sent(video)] == ["chain:0", "chain:1"]
    fire(time_machine, dispatch, 180)
    dispatch.refresh_from_db()
    assert sent(dispatch)[-1] == ("chain:4", ["chief"])
    assert Notification.objects.get(key=f"clock:{dispatch.pk}:chain:4").level == "escalation"


def test_a_stale_acknowledgement_never_pages_again(time_machine, rota, station):
    services.escalation_chain_save(actor=rota["bureau"], station=None, steps=steps(("duty_leader", 0, 1, 30)))
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    dispatch = SlaClock.objects.get(incident=incident, stage="dispatch")
    fire(time_machine, dispatch, 90)  # breach and its one repeat, both due (a late sweep)
    time_machine.move_to(T0 + timedelta(seconds=100), tick=False)
    record(incident, "dispatched", after=100)
    mine = Notification.objects.filter(key__startswith=f"clock:{dispatch.pk}:")
    before = mine.count()
    # late acknowledgements, after the stage was done: the first acknowledges the leader's thread
    item = InboxItem.objects.filter(notification__key=f"clock:{dispatch.pk}:chain:1").get()
    inbox_acknowledge(user=item.recipient, item=item)
    assert (
        not InboxItem.objects.filter(recipient=item.recipient, acknowledged_at__isnull=True)
        .exclude(notification__ack_action="")
        .exists()
    )
    dispatch.refresh_from_db()
    assert dispatch.next_fire_at is None
    services.clocks_sweep(now=T0 + timedelta(seconds=400))
    assert mine.count() == before  # (the later stages' own chains page on, as they should)


def test_the_station_chain_overrides_the_default_and_is_frozen_at_receipt(
    time_machine, rota, station, other_station
):
    services.escalation_chain_save(
        actor=rota["bureau"], station=None, steps=steps(("command_centre", 0, 0, 0))
    )
    services.escalation_chain_save(
        actor=rota["bureau"], station=station, steps=steps(("station_leaders", 0, 0, 0))
    )
    time_machine.move_to(T0, tick=False)
    incident = make_incident(station, received_at=T0)
    other = make_incident(other_station, received_at=T0)
    assert SlaClock.objects.get(incident=incident, stage="dispatch").chain[0][1] == "station_leaders"
    assert SlaClock.objects.get(incident=other, stage="dispatch").chain[0][1] == "command_centre"
    services.escalation_chain_reset(actor=rota["bureau"], station=station)
    clock = SlaClock.objects.get(incident=incident, stage="dispatch")
    assert clock.chain[0][1] == "station_leaders"  # an open incident keeps its chain
    fire(time_machine, clock, 60)
    assert sent(clock)[-1] == ("chain:0", ["deputy", "leader"])


def test_bad_steps_are_refused(rota, leader):
    for bad in (
        steps(("", 0, 0, 0)),
        steps(("duty_leader", -5, 0, 0)),
        steps(("person", 0, 0, 0)),
        steps(("duty_leader", 0, 2, 0)),
        [],
    ):
        with pytest.raises(ValidationError):
            services.escalation_chain_save(actor=rota["bureau"], station=None, steps=bad)
    with pytest.raises(PermissionDenied):
        services.escalation_chain_save(actor=leader, station=None, steps=steps(("duty_leader", 0, 0, 0)))
    assert not EscalationChain.objects.exists()


def _formset(rows):
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{i}-{key}"] = value
    return data


def test_chain_page_saves_and_shows_errors(rota, station, leader):
    client = Client()
    client.force_login(rota["bureau"])
    page = client.get("/incidents/escalation/")
    assert page.status_code == 200 and "系统默认" in page.content.decode()
    assert client.get("/incidents/escalation/edit/").status_code == 200
    bad = client.post(
        "/incidents/escalation/edit/",
        _formset([{"target": "", "wait_seconds": "30"}, {"target": "duty_leader", "wait_seconds": "-1"}]),
    )
    text = bad.content.decode()
    assert bad.status_code == 400 and "每一步必须选择通知对象" in text and "不能为负数" in text
    assert not EscalationChain.objects.exists()
    good = client.post(
        f"/incidents/escalation/edit/?station={station.code}",
        _formset(
            [
                {
                    "target": "on_duty_officer",
                    "wait_seconds": "0",
                    "repeat_times": "1",
                    "repeat_every_seconds": "20",
                },
                {"target": "person", "person": str(rota["chief"].pk), "wait_seconds": "60"},
                {"target": "", "wait_seconds": "", "repeat_times": "", "repeat_every_seconds": ""},
            ]
        ),
    )
    assert good.status_code == 302, good.content.decode()[:3000]
    chain = EscalationChain.objects.get(station=station)
    assert [(s.target, s.wait_seconds, s.repeat_times, s.person_id) for s in chain.steps.all()] == [
        ("on_duty_officer", 0, 1, None),
        ("person", 60, 0, rota["chief"].pk),
    ]
    assert "本所设置" in client.get("/incidents/escalation/").content.decode()
    client.force_login(leader)
    assert client.get("/incidents/escalation/").status_code == 200
    assert client.get("/incidents/escalation/edit/").status_code == 403
