"""The query shapes issue 21's 10M measurement changed (places side): repeat calls counted as a union
with the 100 m arm looked up by grid cell, and the search's short words and merged incident arms.
Each test holds the answer, not the plan: the plans are the benchmark's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes.models import Dispute
from places import search
from places.selectors import repeat_count
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("dlat", "dlon", "counted"),
    [
        (0.0005, 0.0, True),  # 56 m north, in the next grid cell
        (0.0, 0.0009, True),  # 87 m east
        (-0.0008, -0.0009, True),  # south-west, two cells away on each axis
        (0.0011, 0.0, False),  # 122 m north: outside the box
        (0.0, 0.0013, False),  # 126 m east
    ],
)
def test_the_100_m_arm_finds_calls_across_grid_cells(station, dlat, dlon, counted):
    now = timezone.now()
    lat, lon = 30.29999, 121.19999  # a point beside a cell corner
    make_incident(
        station, caller_phone="", received_at=now - timedelta(hours=1), lat=lat + dlat, lon=lon + dlon
    )
    assert repeat_count(received_at=now, lat=lat, lon=lon) == (1 if counted else 0)


def test_a_call_matched_three_ways_counts_once_and_old_ones_not_at_all(station):
    now = timezone.now()
    make_incident(
        station, caller_phone="13911112222", received_at=now - timedelta(hours=2), lat=30.3, lon=121.2
    )
    make_incident(
        station, caller_phone="13911112222", received_at=now - timedelta(hours=73), lat=30.3, lon=121.2
    )
    make_incident(
        station, caller_phone="13800000000", received_at=now - timedelta(hours=3), lat=30.3, lon=121.2
    )
    assert repeat_count(received_at=now, phone="139 1111 2222", lat=30.3, lon=121.2) == 2
    assert repeat_count(received_at=now, phone="13911112222") == 1
    assert repeat_count(received_at=now) == 0


def _dispute(station, number, *, days_ago, address):
    now = timezone.now()
    return Dispute.objects.create(
        number=number,
        station=station,
        category="neighbour",
        risk_level="low",
        summary="邻里噪音",
        address=address,
        occurred_at=now - timedelta(days=days_ago),
    )


def test_a_two_character_word_finds_recent_disputes_and_a_number_at_any_age(make_user, station):
    user = make_user("officer")
    recent = _dispute(station, "JF-RECENT-1", days_ago=10, address="滨海二路5号")
    _dispute(station, "JF-OLD-1", days_ago=200, address="滨海二路7号")
    assert [r["id"] for r in search._disputes(user, "滨海", "")] == [recent.pk]
    assert [r["id"] for r in search._disputes(user, "噪音", "")] == [recent.pk]  # the summary too
    old = Dispute.objects.get(number="JF-OLD-1")
    # three characters or more: every age (the trigram index answers)
    assert {r["id"] for r in search._disputes(user, "滨海二", "")} == {recent.pk, old.pk}
    assert [r["id"] for r in search._disputes(user, "jf-old-1", "")] == [old.pk]


def test_the_incident_arms_merge_newest_first_without_repeats(make_user, station, addresses):
    user = make_user("officer")
    now = timezone.now()
    a001 = addresses[0]
    at_address = [
        make_incident(station, received_at=now - timedelta(hours=h), standard_address=a001, address="别处")
        for h in (1, 30)
    ]
    typed = make_incident(station, received_at=now - timedelta(hours=5), address="兴业路 88 号")
    both = make_incident(
        station, received_at=now - timedelta(hours=3), standard_address=a001, address="兴业路 1 号"
    )
    make_incident(station, received_at=now - timedelta(days=9), address="兴业路 99 号")  # typed, too old
    rows = search._incidents(user, "兴业路", "", [a001.pk])
    assert [r["id"] for r in rows] == [at_address[0].pk, both.pk, typed.pk, at_address[1].pk]
