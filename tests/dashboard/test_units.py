"""Every figure carries its unit (issue 19 item 4): the dashboard's count cards show the unit beside
the value, and the list headers name theirs."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def test_count_cards_carry_their_unit(client, bureau, station):
    make_incident(station)
    client.force_login(bureau)
    r = client.get(reverse("dashboard:index"), {"period": "year", "year": str(timezone.localdate().year)})
    assert r.status_code == 200
    cards = {c["key"]: c for s in r.context["data"]["sections"] for c in s["cards"]}
    assert cards["incidents"]["unit"] == "起" and cards["found"]["unit"] == "处"
    html = r.content.decode()
    block = re.search(r'data-key="incidents".*?</div>\s*</div>', html, re.S).group(0)
    assert re.search(r'<span class="unit" data-unit> 起</span>', block)


def test_traffic_headers_name_their_units(client, officer):
    client.force_login(officer)
    html = client.get(reverse("traffic:accident_list")).content.decode()
    for header in ("车辆（辆）", "受伤（人）", "死亡（人）"):
        assert f">{header}</th>" in html
