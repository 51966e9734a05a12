"""The early-warning page in plain words: 热点等级 instead of Gi* z/p, places by block or address
instead of H3 ids, neighbour-only (0/0) cells not listed as 新出现, candidates named by address."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from qianwan.org.choices import Role
from risks import services
from risks.models import HotspotCell, RiskPoint
from risks.selectors import hot_level

from .factories import incidents_bulk
from .test_hotspots import cluster, scatter

pytestmark = pytest.mark.django_db


def test_hot_level_words():
    assert [hot_level(z) for z in (1.5, 1.96, 2.6, 3.3, None)] == ["不显著", "较高", "高", "极高", "—"]


def test_warning_page_names_places_and_levels(client, station, make_user):
    leader = make_user(Role.STATION_LEADER, username="ads-leader")
    rng = random.Random(42)
    incidents_bulk(
        scatter(rng, 150) + cluster(rng, 25), station=station, received_at=timezone.now() - timedelta(days=5)
    )
    incidents_bulk(scatter(rng, 150), station=station, received_at=timezone.now() - timedelta(days=40))
    # the cluster's incidents were reported at one address
    Incident.objects.filter(lat__range=(30.2995, 30.3007), lon__range=(121.2196, 121.2208)).update(
        address="庵东镇夜宵一条街8号"
    )
    run = services.hotspot_run_compute(category="dispute", period_end=timezone.localdate(), days=28)
    point = RiskPoint.objects.get()
    assert "庵东镇夜宵一条街8号" in point.name and "121." not in point.name

    client.force_login(leader)
    response = client.get("/risks/warning/")
    html = response.content.decode()
    assert "热点等级" in html and "Gi*" not in html
    hot = HotspotCell.objects.filter(run=run, is_hot=True)
    assert not any(c.h3_index in html for c in hot)  # no raw H3 ids on the page
    listed = response.context["cells"]
    assert listed and all(c.count or c.previous_count for c in listed)
    assert any(c.place == "庵东镇夜宵一条街8号" for c in listed)
    assert all(c.level in ("较高", "高", "极高") for c in listed)
    neighbour_only = hot.filter(count=0, previous_count=0).count()
    assert response.context["neighbour_only"] == neighbour_only
    if neighbour_only:
        assert "两期均无警情的网格" in html
