import pytest
from django.utils import timezone

from qianwan.exchange import services as exchange_services
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db


def test_pages_render(client, officer, leader, bureau):
    incident = make_incident(officer.station, officer)
    record(incident, "dispatched", actor=officer, after=10)
    client.force_login(officer)
    for url in [
        "/incidents/",
        "/incidents/board/",
        "/incidents/board.json",
        "/incidents/new/",
        "/incidents/list/",
        f"/incidents/{incident.pk}/",
        "/incidents/kpi/",
        "/incidents/list/?export=xlsx",
    ]:
        r = client.get(url, follow=True)
        assert r.status_code == 200, (url, r.content[:2000])
    client.force_login(bureau)
    r = client.get("/incidents/kpi/?station=ADS")
    assert r.status_code == 200


def test_call_form_and_one_click(client, officer):
    client.force_login(officer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    r = client.post(
        "/incidents/new/",
        {
            "caller_phone": "13800001234",
            "category": "dispute",
            "address": "兴业路1号",
            "description": "吵架",
            "received_at": now,
            "station": officer.station.pk,
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    r = client.get(r["Location"])
    assert "转为纠纷" in r.content.decode()


def test_inbound_accept(client, officer, grid):
    event, _ = exchange_services.inbound_receive(
        actor=grid,
        data={
            "external_id": "G-1",
            "source": "grid",
            "category": "dispute",
            "title": "t",
            "lat": 30.28,
            "lon": 121.18,
        },
    )
    client.force_login(officer)
    r = client.get(f"/exchange/inbound/{event.pk}/")
    assert "受理为警情" in r.content.decode()
    r = client.post(f"/incidents/from-inbound/{event.pk}/", {"category": "dispute"})
    assert r.status_code == 302, r.content
