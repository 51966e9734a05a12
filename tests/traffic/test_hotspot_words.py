"""Issue 19 item 5 on the traffic figures page: accident hotspots named by their road (else address)
with a 热点等级 in words, never an H3 id, coordinates or "Gi* Z"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from traffic import selectors

from .factories import make_accident, make_zone

pytestmark = pytest.mark.django_db


def test_hotspots_named_by_road_with_a_level_in_words(client, leader, station):
    make_zone()
    now = timezone.now() - timedelta(hours=3)
    for i in range(8):
        make_accident(
            station,
            lat=30.3000 + i * 0.00002,
            lon=121.2000,
            occurred_at=now - timedelta(minutes=i),
            road="滨海大道" if i else "",
        )
    for i in range(3):
        make_accident(
            station, lat=30.29 + i * 0.01, lon=121.22 + i * 0.01, occurred_at=now - timedelta(minutes=30 + i)
        )
    client.force_login(leader)
    today = timezone.localdate()
    response = client.get(
        "/traffic/kpis/", {"date_from": (today - timedelta(days=1)).isoformat(), "date_to": today.isoformat()}
    )
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="hotspots"') :]
    table = table[: table.index("</table>")]
    cells = selectors.accident_hotspots(date_from=today - timedelta(days=1), date_to=today)
    assert "<td>滨海大道</td>" in table and "兴业路与滨海大道交叉口" in table
    assert "热点等级" in table and ("极高" in table or "高" in table)
    assert "Gi*" not in table
    assert all(c["cell"] not in table for c in cells)
    assert "place" not in cells[0]  # the API keeps its shape
