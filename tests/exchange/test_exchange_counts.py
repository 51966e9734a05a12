"""The exchange figures match their words (issue 17): a known set of events, each definition checked."""

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes import services as dispute_services
from incidents import services as incident_services
from qianwan.dashboard import selectors as dashboard_selectors
from qianwan.dashboard.periods import parse_period
from qianwan.exchange import selectors, services
from qianwan.exchange.choices import OutboundKind
from qianwan.exchange.models import InboundEvent, OutboundEvent
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db


def _inbound(station, key):
    event, _created = services.inbound_receive(
        actor=None,
        data={
            "external_id": f"GRID-{key}",
            "source": "grid",
            "category": "dispute",
            "title": f"来件 {key}",
            "address": "庵东镇兴业路12号",
            "lat": station.lat,
            "lon": station.lon,
        },
    )
    return InboundEvent.objects.get(pk=event.pk)


@pytest.fixture
def known_set(station, officer, grid):
    """Referrals: 2 diversions (one acked handled), 1 hazard hand-over, 1 dispute push.
    Inbound: A → incident closed; B → incident still open; C → dispute resolved; D → rejected;
    E → handled with a note; F → pending. Working them puts 5 status-feedback events in the outbox."""
    diverted = make_incident(station, actor=officer, category="non_police")
    record(diverted, "diverted", actor=officer, after=60, target="12345")
    first = OutboundEvent.objects.get(kind=OutboundKind.DIVERSION)
    services.outbound_ack(actor=None, event=first, status="handled")
    second = make_incident(station, actor=officer, category="non_police")
    record(second, "diverted", actor=officer, after=60, target="12345")
    for kind in (OutboundKind.HAZARD, OutboundKind.DISPUTE):
        services.outbound_create(actor=None, target="grid", kind=kind, title=str(kind), station=station)

    a, b, c, d, e, _f = (_inbound(station, k) for k in "ABCDEF")
    incident_a = incident_services.incident_accept_inbound(actor=officer, event=a, category="dispute")
    record(incident_a, "closed", actor=officer, after=1)
    incident_services.incident_accept_inbound(actor=officer, event=b, category="dispute")
    dispute = dispute_services.dispute_accept_inbound(
        actor=officer, event=c, station=station, category="neighbour", risk_level="low", summary="楼道堆物"
    )
    dispute_services.dispute_resolve(actor=officer, dispute=dispute, note="已调解")
    services.inbound_work(actor=officer, event=d, status="rejected", note="不属公安管辖")
    services.inbound_work(actor=officer, event=e, status="handled", note="已现场处置")
    return {"a": a, "c": c, "e": e, "d": d}


def test_each_exchange_figure_counts_what_its_definition_says(known_set, bureau, station):
    today = timezone.localdate()
    k = selectors.exchange_kpis(user=bureau, date_from=today, date_to=today)
    assert OutboundEvent.objects.filter(kind=OutboundKind.INBOUND_STATUS).count() >= 5
    # pushed: the 4 referrals, never the automatic status feedback
    assert k["outbound"] == 4 and k["outbound_handled"] == 1 and k["outbound_handled_rate"] == 0.25
    # inbound: 6 sent, 1 rejected counted apart, handled = A (incident closed), C (dispute resolved),
    # E (handled with a note); B's incident is open and F pending
    assert k["inbound"] == 6 and k["inbound_rejected"] == 1
    assert k["inbound_handled"] == 3 and k["inbound_handled_rate"] == pytest.approx(3 / 5)
    # an inbound event accepted as an incident counts as handled only once that incident is closed
    handled = set(
        InboundEvent.objects.filter(selectors.inbound_handled_q()).values_list("external_id", flat=True)
    )
    assert handled == {"GRID-A", "GRID-C", "GRID-E"}


def test_the_api_and_the_dashboard_give_the_same_counts_and_definitions(known_set, api_as, bureau, client):
    today = timezone.localdate().isoformat()
    body = api_as(bureau).get(f"/api/v1/kpis/exchange/?from={today}&to={today}").json()
    assert (body["outbound"], body["inbound"], body["inbound_rejected"], body["inbound_handled"]) == (
        4,
        6,
        1,
        3,
    )
    assert body["inbound_handled_rate"] == pytest.approx(0.6)
    period = parse_period({"period": "custom", "from": today, "to": today})
    data = dashboard_selectors.figures(user=bureau, period=period)
    cards = {c["key"]: c for s in data["sections"] if s["key"] == "exchange" for c in s["cards"]}
    assert (
        cards["outbound"]["value"] == 4 and "不含对来件办理结果的自动反馈" in cards["outbound"]["definition"]
    )
    assert cards["inbound_rejected"]["value"] == 1
    assert (cards["inbound_handled"]["num"], cards["inbound_handled"]["den"]) == (3, 5)
    assert "（来件 − 退回）" in cards["inbound_handled"]["definition"]
    assert (cards["outbound_handled"]["num"], cards["outbound_handled"]["den"]) == (1, 4)

    # the drill-down lists exactly the counted set
    client.force_login(bureau)
    page = client.get(cards["outbound"]["url"])
    assert page.status_code == 200
    listed = {e.pk for e in page.context["page"]}
    counted = set(selectors.counted_outbound(OutboundEvent.objects.all()).values_list("pk", flat=True))
    assert listed == counted and len(listed) == 4
    assert "不含对来件办理结果的自动反馈" in page.content.decode()
    inbound_page = client.get(cards["inbound"]["url"])
    assert inbound_page.status_code == 200 and len(list(inbound_page.context["page"])) == 6
    rejected_page = client.get(cards["inbound_rejected"]["url"])
    assert [e.external_id for e in rejected_page.context["page"]] == ["GRID-D"]
    handled_page = client.get(cards["outbound_handled"]["url"])
    assert len(list(handled_page.context["page"])) == 1


def test_referral_list_refuses_bad_filters(client, bureau):
    client.force_login(bureau)
    r = client.get(reverse("exchange:outbound_list"), {"kind": "inbound_status"})
    assert r.status_code == 400  # status feedback is not a referral: no such choice
    r = client.get(reverse("exchange:outbound_list"), {"created_after": "2026-13-01"})
    assert r.status_code == 400
