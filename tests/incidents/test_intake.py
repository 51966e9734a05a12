"""Taking a call over the API (`POST /api/v1/incidents/`): a fixed number of queries whatever the data,
and an answer equal to reading the incident back."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident
from qianwan.notify.choices import ChannelKind
from qianwan.notify.models import Channel, InboxItem
from qianwan.org.choices import Role
from qianwan.org.models import DutyRoster
from tests.incidents.factories import make_incident, payload, record

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"

# id from the sequence; incident; clocks (one bulk insert); audit row; notification; inbox items (one
# bulk insert); deliveries (one bulk insert); + the savepoint pair of the service's transaction inside
# the test's own transaction; the count of earlier calls it repeats (places.selectors.repeat_count)
INTAKE_QUERIES = 10
# the first call after reference data changed also reads it (qianwan/refcache.py): the token, the
# station by its code, the SLA policy, the escalation chain, the duty roster's one-off entries and its
# rotations, the channels and the duty leaders' contact methods, and the stations' boundaries (the
# answer's `outside_district`)
INTAKE_QUERIES_COLD = INTAKE_QUERIES + 9


def post_counting(client) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, payload(), format="json")
    assert response.status_code == 201, response.content
    return response.json(), [q["sql"] for q in queries.captured_queries]


def test_one_post_runs_a_constant_number_of_queries(api_as, officer, make_user, station):
    now = timezone.now()
    first_leader = make_user(Role.STATION_LEADER, username="duty-1")
    DutyRoster.objects.create(
        station=station,
        leader=first_leader,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
    )
    Channel.objects.create(
        name="所群", kind=ChannelKind.WECOM, url="http://127.0.0.1:9/hook", station=station
    )
    client = api_as(officer)
    client.post(URL, payload(), format="json")  # the token's first use also stamps its last_used_at
    _, small = post_counting(client)
    assert len(small) == INTAKE_QUERIES, "\n".join(small)

    # more of everything one POST reads or writes: incidents, clocks and events, duty leaders (inbox
    # recipients), channels (deliveries)
    for i in range(6):
        record(make_incident(station), "dispatched", after=10 + i)
    for i in range(4):
        DutyRoster.objects.create(
            station=station,
            leader=make_user(Role.STATION_LEADER, username=f"duty-{i + 2}"),
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=8),
        )
        Channel.objects.create(
            name=f"群{i}", kind=ChannelKind.WECOM, url="http://127.0.0.1:9/x", station=station
        )
    _, cold = post_counting(client)  # the rows just added are read once
    assert len(cold) == INTAKE_QUERIES_COLD, "\n".join(cold)
    data, large = post_counting(client)
    assert len(large) == len(small), "\n".join(large)
    assert InboxItem.objects.filter(notification__key=f"incident:{data['id']}:leader").count() == 5


def test_answer_equals_the_incident_read_back(api_as, officer, bureau, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    for client in (api_as(officer), api_as(bureau)):
        created = client.post(URL, payload(caller_phone="13912345678"), format="json")
        assert created.status_code == 201, created.content
        read = client.get(f"{URL}{created.json()['id']}/")
        assert created.json() == read.json()
    first, second = Incident.objects.order_by("id")
    # numbered by the insert itself: J + local receipt day + the id
    assert first.number == f"J{timezone.localtime(first.received_at):%Y%m%d}{first.pk:07d}"
    assert second.number.endswith(f"{second.pk:07d}")
