"""gendata_district's exchange history (issue 18, "the demo at the seed's volumes shows exchange figures
of the seed's order"): the referrals pushed to the grid and the events received, in the seed's ratio
(5,126 pushed and 869 received in a district year of ~200,000 incidents), ≥95% of the inbound handled by
the KPI's own rule, and a partner polling ``?since=`` sees every generated event exactly once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from qianwan.bulkload import generate_district
from qianwan.exchange import services
from qianwan.exchange.choices import OutboundKind
from qianwan.exchange.generate import PER_INCIDENT
from qianwan.exchange.models import InboundEvent, OutboundEvent

pytestmark = pytest.mark.django_db

OUT = "/api/v1/exchange/outbound/"
INCIDENTS = 20_000  # a tenth of the district year
SEED_YEAR = 200_000
PUSHED, RECEIVED = 5126, 869


@pytest.fixture
def generated(station, other_station):
    if connection.vendor != "postgresql":
        pytest.skip("the bulk load under test is PostgreSQL's COPY")
    end = timezone.now()
    start = end - timedelta(days=365)
    # an event from before the load: the generated numbers must come after it
    before = services.outbound_create(
        actor=None, target="grid", kind=OutboundKind.OTHER, title="此前的事件", station=station
    )
    counts = generate_district(incidents=INCIDENTS, start=start, end=end, seed=7)
    return counts, before, start, end


def test_year_shows_the_seed_ratio_of_exchange(generated, api_as, bureau):
    counts, _before, start, end = generated
    period = {"from": str(timezone.localdate(start)), "to": str(timezone.localdate(end))}
    body = api_as(bureau).get("/api/v1/kpis/exchange/", period).json()
    scale = INCIDENTS / SEED_YEAR
    assert abs(body["outbound"] - PUSHED * scale) <= 0.1 * PUSHED * scale, body
    assert abs(body["inbound"] - RECEIVED * scale) <= 0.1 * RECEIVED * scale, body
    assert body["inbound_handled_rate"] >= 0.95, body
    assert body["outbound_handled_rate"] >= 0.8, body
    assert body["inbound_handled"] < body["inbound"]  # a few still open (or sent back): not all by fiat
    print("kpis/exchange:", body)
    # pushed counts only the referrals: the status feedback the load also wrote is not among them
    feedback = OutboundEvent.objects.filter(kind=OutboundKind.INBOUND_STATUS).count()
    assert feedback == counts["exchange_feedback"] > 0
    referrals = OutboundEvent.objects.filter(kind__in=(OutboundKind.DISPUTE, OutboundKind.HAZARD)).count()
    assert body["outbound"] == referrals == counts["exchange_outbound"]
    assert InboundEvent.objects.filter(source="12345").exists()
    assert InboundEvent.objects.filter(source="12345").count() < 0.2 * body["inbound"]
    assert not OutboundEvent.objects.filter(station__isnull=True).exists()
    assert not InboundEvent.objects.filter(station__isnull=True).exists()


def test_ratios_give_the_seed_year():
    year = {k: round(v * SEED_YEAR) for k, v in PER_INCIDENT.items()}
    assert year["dispute_pushes"] + year["hazard_handovers"] == PUSHED
    assert year["inbound"] == RECEIVED


def test_since_walks_every_generated_event_once(generated, api_as, grid, station):
    _counts, before, _start, _end = generated
    client = api_as(grid)
    seen, seqs, cursor = [], [], ""
    for _ in range(100):
        page = client.get(f"{OUT}?since={cursor}&page_size=500").json()
        if not page["results"]:
            break
        seen += [e["id"] for e in page["results"]]
        cursor = page["next_cursor"]
    else:
        raise AssertionError("never caught up")
    expected = set(OutboundEvent.objects.filter(target="grid").values_list("id", flat=True))
    assert len(seen) == len(set(seen)) == len(expected) > 500
    assert set(seen) == expected
    seqs = dict(OutboundEvent.objects.values_list("id", "change_seq"))
    assert seen[0] == before.pk  # written before the load, numbered before it
    assert [seqs[i] for i in seen] == sorted(seqs[i] for i in seen)
    # the counter went on from the block: a new event is the only one after the cursor
    after = services.outbound_create(
        actor=None, target="grid", kind=OutboundKind.OTHER, title="此后的事件", station=station
    )
    page = client.get(f"{OUT}?since={cursor}").json()
    assert [e["id"] for e in page["results"]] == [after.pk]
