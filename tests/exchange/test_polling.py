"""Polling the exchange (issue 18, "Pollable API"): `?since=<cursor>` in commit order, no gap and no
repeat while events are acked and added between calls; only documented query parameters."""

import threading
import time

import pytest
from django.db import connection, transaction

from qianwan.exchange import services
from qianwan.exchange.choices import OutboundKind
from qianwan.exchange.models import OutboundEvent
from qianwan.org.choices import Role
from tests.conftest import token_client
from tests.errors import error_code, error_fields

pytestmark = pytest.mark.django_db

OUT = "/api/v1/exchange/outbound/"


def _outbound(station, target="grid", title="事件"):
    return services.outbound_create(
        actor=None, target=target, kind=OutboundKind.OTHER, title=title, station=station
    )


@pytest.fixture
def grid_api(api_as, grid):
    return api_as(grid)


def _walk(client, url=OUT, cursor="", page_size=2, limit=50):
    """Follow next_cursor until caught up; returns the (id, status) of every result in order and the
    final cursor."""
    seen = []
    for _ in range(limit):
        sep = "&" if "?" in url else "?"
        body = client.get(f"{url}{sep}since={cursor}&page_size={page_size}").json()
        assert set(body) == {"results", "next_cursor"}, body
        if not body["results"]:
            assert body["next_cursor"] == cursor
            return seen, cursor
        seen += [(e["id"], e["status"]) for e in body["results"]]
        cursor = body["next_cursor"]
    raise AssertionError("never caught up")


def test_since_walks_every_event_once_in_change_order(grid_api, station):
    events = [_outbound(station, title=f"E{i}") for i in range(5)]
    _outbound(station, target="12345")  # another partner's: never in grid's poll
    first = grid_api.get(f"{OUT}?since=&page_size=2").json()
    assert [e["id"] for e in first["results"]] == [events[0].pk, events[1].pk]
    seen, cursor = _walk(grid_api)
    assert [pk for pk, _ in seen] == [e.pk for e in events]
    # caught up: the same cursor comes back with nothing, until something changes
    body = grid_api.get(f"{OUT}?since={cursor}").json()
    assert body == {"results": [], "next_cursor": cursor}


def test_default_and_maximum_page_size(grid_api, station):
    OutboundEvent.objects.bulk_create(
        [
            OutboundEvent(target="grid", kind=OutboundKind.OTHER, title=f"B{i}", station=station)
            for i in range(120)
        ]
    )
    assert len(grid_api.get(f"{OUT}?since=").json()["results"]) == 100
    assert len(grid_api.get(f"{OUT}?since=&page_size=500").json()["results"]) == 120
    too_big = grid_api.get(f"{OUT}?since=&page_size=501")
    assert too_big.status_code == 400 and error_code(too_big) == "page_size_invalid"


def test_an_event_comes_back_only_after_it_changed(grid_api, station):
    a, b = _outbound(station), _outbound(station)
    _, cursor = _walk(grid_api)
    url = f"{OUT}{a.pk}/ack/"
    assert grid_api.post(url, {"status": "accepted"}, format="json").status_code == 200
    seen, cursor = _walk(grid_api, cursor=cursor)
    assert seen == [(a.pk, "accepted")]
    # a replayed ack changes nothing, so nothing comes back
    assert grid_api.post(url, {"status": "accepted"}, format="json").status_code == 200
    assert _walk(grid_api, cursor=cursor) == ([], cursor)
    assert b.pk not in [pk for pk, _ in seen]


def test_acking_and_adding_between_pages_misses_nothing(grid_api, station):
    """The issue's failure: 6 pending events, acking while paging missed 2. With since, every pending
    event is seen, and every later change too, none twice for the same change."""
    pending = [_outbound(station, title=f"P{i}") for i in range(6)]
    cursor, seen, added = "", [], []
    for step in range(20):
        body = grid_api.get(f"{OUT}?status=pending&since={cursor}&page_size=2").json()
        if not body["results"]:
            break
        for event in body["results"]:
            seen.append(event["id"])
            ack = grid_api.post(f"{OUT}{event['id']}/ack/", {"status": "accepted"}, format="json")
            assert ack.status_code == 200
        if step < 2:  # new events arrive while the partner pages
            added.append(_outbound(station, title=f"N{step}").pk)
        cursor = body["next_cursor"]
    assert sorted(seen) == sorted([e.pk for e in pending] + added)
    assert len(seen) == len(set(seen))
    assert grid_api.get(f"{OUT}?status=pending").json()["count"] == 0


@pytest.mark.parametrize(
    "query,code",
    [
        ("since=&page=1", "invalid"),
        ("since=&cursor=abc", "invalid"),  # cursor pages the list, since polls: not both
        ("cursor=abc", "cursor_invalid"),
        ("since=abc", "cursor_invalid"),
        ("since=-1", "cursor_invalid"),
        ("since=1e3", "cursor_invalid"),
        ("created_after=2030-01-01", "unknown_parameter"),
        ("status=pending&ordering=id", "unknown_parameter"),
    ],
)
def test_bad_poll_and_unknown_parameters_are_400(grid_api, station, query, code):
    _outbound(station)
    response = grid_api.get(f"{OUT}?{query}")
    assert response.status_code == 400 and error_code(response) == code, response.json()


def test_unknown_parameters_on_every_exchange_endpoint(api_as, grid, admin_user, station, other_station):
    event = _outbound(station)
    client = api_as(grid)
    inbound = api_as(admin_user).post(
        "/api/v1/exchange/inbound/",
        {"external_id": "X1", "source": "grid", "category": "dispute", "title": "t"},
        format="json",
    )
    calls = [
        client.get("/api/v1/exchange/inbound/?received_since=2030-01-01"),
        client.get(f"/api/v1/exchange/inbound/{inbound.json()['id']}/?x=1"),
        client.get(f"{OUT}{event.pk}/?x=1"),
        client.post(f"{OUT}{event.pk}/ack/?x=1", {"status": "accepted"}, format="json"),
        client.post("/api/v1/exchange/inbound/?x=1", {"external_id": "X2", "source": "grid"}, format="json"),
        client.get("/api/v1/kpis/exchange/?from=2026-01-01&to=2026-01-31&x=1"),
    ]
    for response in calls:
        assert response.status_code == 400 and error_code(response) == "unknown_parameter", response.json()
        assert "x" in error_fields(response) or "received_since" in error_fields(response)
    event.refresh_from_db()
    assert event.status == "pending"
    # documented parameters and filters pass; another partner's record is 404 before the 400
    assert (
        client.get(f"{OUT}?status=pending&target=grid&kind=other&station=ADS&page=1&page_size=5").status_code
        == 200
    )
    assert client.get("/api/v1/exchange/inbound/?status=pending&source=grid&station=ADS").status_code == 200
    assert client.get("/api/v1/kpis/exchange/?from=2026-01-01&to=2026-01-31&format=json").status_code == 200
    theirs = _outbound(other_station, target="12345")
    assert client.get(f"{OUT}{theirs.pk}/?x=1").status_code == 404


def test_schema_describes_the_poll_answer(api_as, admin_user):
    schema = api_as(admin_user).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, name in (
        ("/api/v1/exchange/outbound/", "OutboundEvent"),
        ("/api/v1/exchange/inbound/", "InboundEvent"),
    ):
        operation = schema["paths"][path]["get"]
        params = {p["name"] for p in operation["parameters"]}
        assert {"since", "page", "page_size", "status"} <= params
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        union = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[-1]]
        refs = [item["$ref"].rsplit("/", 1)[-1] for item in union["oneOf"]]
        assert refs == [f"{name}Page", f"{name}Poll"]
        poll = schema["components"]["schemas"][f"{name}Poll"]
        assert set(poll["required"]) == {"results", "next_cursor"}


# --------------------------------------------------------------- commit order, real transactions


@pytest.mark.django_db(transaction=True)
def test_out_of_order_commits_are_never_skipped(station, make_user):
    """T1 writes an event and stays open; T2 writes one later and wants to commit first. T2 must wait
    for T1 (the change number is taken under the counter's row lock), so a poll between the two
    commits sees T1's event and the next poll T2's: nothing skipped. Each thread has its own connection."""
    grid = token_client(make_user(Role.GRID_CLIENT, username="grid-race"))
    t1_wrote, t1_commit, t2_done = threading.Event(), threading.Event(), threading.Event()
    ids, errors = {}, []

    def t1():
        try:
            with transaction.atomic():
                ids["t1"] = _outbound(station, title="T1").pk
                t1_wrote.set()
                assert t1_commit.wait(20)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    def t2():
        try:
            assert t1_wrote.wait(20)
            with transaction.atomic():
                ids["t2"] = _outbound(station, title="T2").pk
        except Exception as exc:
            errors.append(exc)
        finally:
            t2_done.set()
            connection.close()

    threads = [threading.Thread(target=t1), threading.Thread(target=t2)]
    for t in threads:
        t.start()
    assert t1_wrote.wait(20)
    time.sleep(0.5)
    # T2 is waiting for T1's lock: it has not committed, and a poll sees nothing yet
    assert not t2_done.is_set()
    first = grid.get(f"{OUT}?since=").json()
    assert first["results"] == []
    t1_commit.set()
    assert t2_done.wait(20)
    for t in threads:
        t.join(20)
    assert not errors, errors
    seen, _ = _walk(grid, page_size=1)
    assert [pk for pk, _ in seen] == [ids["t1"], ids["t2"]]
    t1_row, t2_row = OutboundEvent.objects.get(pk=ids["t1"]), OutboundEvent.objects.get(pk=ids["t2"])
    assert t1_row.change_seq < t2_row.change_seq


@pytest.mark.django_db(transaction=True)
def test_poll_between_two_commits_then_resume(station, make_user):
    """The same with a poll taken after T1 committed but before T2 did: the cursor from that poll still
    reaches T2's event."""
    grid = token_client(make_user(Role.GRID_CLIENT, username="grid-race2"))
    t2_wrote, t2_commit = threading.Event(), threading.Event()
    ids, errors = {}, []

    def t2():
        try:
            with transaction.atomic():
                ids["t2"] = _outbound(station, title="T2").pk
                t2_wrote.set()
                assert t2_commit.wait(20)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        ids["t1"] = _outbound(station, title="T1").pk
    thread = threading.Thread(target=t2)
    thread.start()
    assert t2_wrote.wait(20)
    middle = grid.get(f"{OUT}?since=").json()
    assert [e["id"] for e in middle["results"]] == [ids["t1"]]
    t2_commit.set()
    thread.join(20)
    assert not errors, errors
    after = grid.get(f"{OUT}?since={middle['next_cursor']}").json()
    assert [e["id"] for e in after["results"]] == [ids["t2"]]
