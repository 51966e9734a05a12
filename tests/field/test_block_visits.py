"""Block patrols and visits (issue 22, item 2): heat, hot, overdue, the suggestion, the API and the sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import patrols
from disputes.models import Block, BlockVisit, Dispute, PatrolPolicy
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from tests.errors import error_fields

pytestmark = pytest.mark.django_db


def make_block(station, name, officer=None):
    return Block.objects.create(station=station, name=name, officer=officer)


def add_disputes(block, n, *, days_ago=5):
    at = timezone.now() - timedelta(days=days_ago)
    for i in range(n):
        Dispute.objects.create(
            station=block.station,
            block=block,
            number=f"JF-{block.pk}-{days_ago}-{i}",
            category="neighbour",
            risk_level="low",
            channel="grid_building",
            summary="邻里噪音",
            occurred_at=at,
        )


@pytest.fixture
def town(station, make_user):
    """Four blocks of one station: A hot (5 disputes), B 2, C 1, D none; A's officer is 'beat'."""
    beat = make_user(Role.OFFICER, username="beat", full_name="片警")
    a, b, c, d = (make_block(station, n, beat if n == "A" else None) for n in "ABCD")
    add_disputes(a, 5)
    add_disputes(b, 2)
    add_disputes(c, 1)
    add_disputes(a, 4, days_ago=120)  # outside the 90 days
    return {"A": a, "B": b, "C": c, "D": d, "beat": beat}


def rows_by_name(station):
    return {r["block"].name: r for r in patrols.block_rows(Block.objects.filter(station=station))}


def test_hot_is_top_quarter_with_at_least_three(town, station):
    rows = rows_by_name(station)
    assert rows["A"]["heat"] == 5 and rows["A"]["hot"]
    assert not rows["B"]["hot"] and not rows["C"]["hot"]
    assert patrols.hot_threshold([5, 5, 5, 5, 1]) == 5 and patrols.hot_threshold([]) is None
    assert not any(r["hot"] for r in patrols.block_rows([town["B"]]))


def test_overdue_cleared_by_a_visit_and_threshold_per_station(api_as, town, station):
    assert rows_by_name(station)["A"]["overdue"]  # never visited
    api = api_as(town["beat"])
    old = (timezone.now() - timedelta(days=15)).isoformat()
    resp = api.post(
        f"/api/v1/dispute-blocks/{town['A'].pk}/visits/", {"at": old, "kind": "patrol"}, format="json"
    )
    assert resp.status_code == 201, resp.content
    assert rows_by_name(station)["A"]["overdue"]  # 15 days > 14
    PatrolPolicy.objects.create(station=station, overdue_days=20)
    assert not rows_by_name(station)["A"]["overdue"]
    PatrolPolicy.objects.filter(station=station).update(overdue_days=14)
    resp = api.post(
        f"/api/v1/dispute-blocks/{town['A'].pk}/visits/",
        {"at": timezone.now().isoformat(), "kind": "visit", "officers": ["beat"], "findings": "一切正常"},
        format="json",
    )
    assert resp.status_code == 201
    assert resp.json()["officers"] == ["beat"] and resp.json()["id"]
    assert not rows_by_name(station)["A"]["overdue"]
    listed = api.get(f"/api/v1/dispute-blocks/{town['A'].pk}/visits/").json()
    assert listed["count"] == 2 and listed["results"][0]["kind"] == "visit"
    detail = api.get(f"/api/v1/dispute-blocks/{town['A'].pk}/").json()
    assert detail["visits_30d"] == 2 and detail["last_visit_at"]


def test_visit_bad_input(api_as, town, station, other_station, make_user):
    api = api_as(town["beat"])
    url = f"/api/v1/dispute-blocks/{town['A'].pk}/visits/"
    future = (timezone.now() + timedelta(minutes=10)).isoformat()
    resp = api.post(url, {"at": future, "kind": "patrol"}, format="json")
    assert resp.status_code == 400 and "at" in error_fields(resp)
    make_user(Role.OFFICER, station_=other_station, username="away")
    resp = api.post(url, {"at": timezone.now().isoformat(), "officers": ["away"]}, format="json")
    assert resp.status_code == 400 and "away" in " ".join(error_fields(resp)["officers"])
    resp = api.post(url, {"at": timezone.now().isoformat(), "kind": "stroll"}, format="json")
    assert resp.status_code == 400 and "kind" in error_fields(resp)
    foreign = make_block(other_station, "X")
    resp = api.post(
        f"/api/v1/dispute-blocks/{foreign.pk}/visits/", {"at": timezone.now().isoformat()}, format="json"
    )
    assert resp.status_code == 404
    assert api.get(f"/api/v1/dispute-blocks/{foreign.pk}/visits/").status_code == 404
    assert not BlockVisit.objects.exists()


def test_suggestion_ranks_heat_over_recent_visits(town, station):
    BlockVisit.objects.create(block=town["A"], at=timezone.now() - timedelta(days=1))
    BlockVisit.objects.create(block=town["A"], at=timezone.now() - timedelta(days=2))
    BlockVisit.objects.create(block=town["A"], at=timezone.now() - timedelta(days=3))
    ranked = [(r["block"].name, r["score"]) for r in patrols.patrol_suggestion(station=station)]
    # A: 5 / (1 + 3) = 1.25; B: 2 / 1 = 2; C: 1 / 1 = 1; D has no heat
    assert ranked == [("B", 2.0), ("A", 1.25), ("C", 1.0)]


def test_overdue_notice_once_per_period_to_the_officer(town, station, make_user):
    leader = make_user(Role.STATION_LEADER, username="boss")
    assert patrols.overdue_sweep() == 1
    assert patrols.overdue_sweep() == 0  # same period: nothing again
    note = Notification.objects.get(kind="block_overdue")
    assert note.level == "info" and note.thread == f"block:{town['A'].pk}"
    assert list(
        InboxItem.objects.filter(notification=note).values_list("recipient__username", flat=True)
    ) == ["beat"]
    # a visit 20 days ago starts a new overdue period: one more notice
    BlockVisit.objects.create(block=town["A"], at=timezone.now() - timedelta(days=20))
    assert patrols.overdue_sweep() == 1
    assert patrols.overdue_sweep() == 0
    # no officer: the station's leaders hear of it
    Block.objects.filter(pk=town["A"].pk).update(officer=None)
    assert patrols.overdue_sweep() == 1
    assert InboxItem.objects.filter(recipient=leader, notification__kind="block_overdue").count() == 1


def test_pages_blocks_visit_form_and_home(client, town, station):
    client.force_login(town["beat"])
    page = client.get("/disputes/blocks/").content.decode()
    assert f'data-block="{town["A"].pk}" data-overdue' in page
    home = client.get("/").content.decode()
    assert "热点片区“A”待巡访" in home
    resp = client.post(
        f"/disputes/blocks/{town['A'].pk}/visits/",
        {"kind": "patrol", "officers": ["beat"], "findings": "巡查"},
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    page = client.get("/disputes/blocks/").content.decode()
    assert f'data-block="{town["A"].pk}" data-overdue' not in page
    assert "热点片区“A”待巡访" not in client.get("/").content.decode()
