"""Type-ahead, search and repeats over the API and the pages: scope, masking, audit, bad input, the
SQLite fallback branch."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from places import selectors
from places.models import StandardAddress
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from tests.errors import error_code, error_fields
from tests.incidents.factories import make_incident, payload

pytestmark = pytest.mark.django_db


def test_typeahead_best_match_first(api_as, officer, addresses):
    resp = api_as(officer).get("/api/v1/addresses/", {"q": "兴业路12"})
    assert resp.status_code == 200, resp.content
    first = resp.json()["results"][0]
    assert first["code"] == "A001"
    assert set(first) == {"id", "code", "text", "lat", "lon", "station", "block", "grid"}
    assert first["station"] == "ADS"
    words = api_as(officer).get("/api/v1/addresses/", {"q": "庵东 海塘"}).json()["results"]
    assert [a["code"] for a in words] == ["A003"]


def test_the_sqlite_fallback_matches_plainly(addresses):
    """The branch SQLite takes (no pg_trgm): every word contained, the shortest address first."""
    qs = selectors.address_matches(StandardAddress.objects.all(), "兴业路", trigram=False)
    assert [a.code for a in qs] == ["A001", "A002"]
    assert "similarity" not in str(qs.query)
    assert list(selectors.address_matches(StandardAddress.objects.all(), "无此路", trigram=False)) == []


@pytest.mark.parametrize("q", ["", "a", " 兴 ", "\t\n"])
def test_a_query_shorter_than_two_characters_is_a_hint(api_as, officer, q):
    for path in ("/api/v1/addresses/", "/api/v1/search/"):
        resp = api_as(officer).get(path, {"q": q})
        assert resp.status_code == 400
        assert error_code(resp) == "query_too_short"
        assert "q" in error_fields(resp)


@pytest.mark.parametrize(
    "q",
    ["%%", "' OR 1=1 --", "兴业" * 400, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\\x00\\", "١٢٣٤٥", "JQ" + "9" * 300, "13800001234\x00"],
)
def test_any_search_input_answers_without_a_500(api_as, officer, client, q, addresses):
    assert api_as(officer).get("/api/v1/search/", {"q": q}).status_code in (200, 400)
    assert api_as(officer).get("/api/v1/addresses/", {"q": q}).status_code in (200, 400)
    client.force_login(officer)
    assert client.get("/places/search/", {"q": q}).status_code in (200, 400)
    assert client.get("/places/addresses.json", {"q": q}).status_code in (
        200,
        400,
    )  # NUL: the middleware's 400


def test_search_is_scoped_another_stations_incident_is_not_found(
    api_as, officer, bureau, station, other_station
):
    own = make_incident(station, caller_phone="13911112222")
    theirs = make_incident(other_station, caller_phone="13911112222")
    found = api_as(officer).get("/api/v1/search/", {"q": theirs.number}).json()["results"]
    assert found == []
    by_phone = api_as(officer).get("/api/v1/search/", {"q": "139 1111 2222"}).json()["results"]
    assert [r["id"] for r in by_phone if r["kind"] == "incident"] == [own.pk]
    assert set(by_phone[0]) == {"kind", "id", "title", "url"}
    everywhere = api_as(bureau).get("/api/v1/search/", {"q": "13911112222"}).json()["results"]
    assert {r["id"] for r in everywhere if r["kind"] == "incident"} == {own.pk, theirs.pk}
    # bureau leaders do not call back: the phone is masked in their results
    assert all("13911112222" not in r["title"] for r in everywhere)
    assert any("139****2222" in r["title"] for r in everywhere)


def test_a_search_by_phone_is_audited(api_as, officer, station):
    make_incident(station, caller_phone="13911112222")
    api_as(officer).get("/api/v1/search/", {"q": "13911112222"})
    entry = AuditEntry.objects.get(action="search.personal")
    assert entry.actor == officer
    assert entry.after["search_by"] == "phone" and entry.after["results"] == 1
    assert entry.after["phone"] == "139****2222"  # the audit log keeps it masked
    api_as(officer).get("/api/v1/search/", {"q": "兴业路"})
    assert AuditEntry.objects.filter(action="search.personal").count() == 1


def test_search_finds_addresses_hazards_and_party_names(api_as, officer, addresses, station):
    from disputes.services import dispute_create

    dispute_create(
        actor=officer,
        station=station,
        category="neighbour",
        risk_level="low",
        summary="噪音",
        parties=[{"name": "张三丰", "phone": "13900001111", "role": "applicant"}],
    )
    kinds = {r["kind"] for r in api_as(officer).get("/api/v1/search/", {"q": "兴业路"}).json()["results"]}
    assert "address" in kinds
    party = api_as(officer).get("/api/v1/search/", {"q": "张三丰"}).json()["results"]
    assert [r["kind"] for r in party] == ["party"]
    assert AuditEntry.objects.filter(action="search.personal", after__search_by="name").exists()


def test_an_incidents_repeats(api_as, officer, station, other_station, addresses):
    now = timezone.now()
    a001 = addresses[0]
    same_phone = make_incident(
        station, caller_phone="13911112222", received_at=now - timedelta(hours=5), lat=30.29, lon=121.17
    )
    same_address = make_incident(
        station,
        caller_phone="13800009999",
        received_at=now - timedelta(hours=2),
        standard_address=a001,
        lat=a001.lat,
        lon=a001.lon,
    )
    nearby = make_incident(
        station,
        caller_phone="13800008888",
        received_at=now - timedelta(hours=1),
        lat=a001.lat + 0.0005,
        lon=a001.lon,
    )
    make_incident(station, caller_phone="13911112222", received_at=now - timedelta(hours=80))  # too old
    make_incident(other_station, caller_phone="13911112222", received_at=now - timedelta(hours=3))  # not mine
    resp = api_as(officer).post(
        "/api/v1/incidents/",
        payload(caller_phone="+86 139 1111 2222", address_code="A001", lat=None, lon=None),
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["address_code"] == "A001" and body["lat"] == a001.lat and body["address"] == a001.text
    assert body["repeat_count"] == 4  # every station's calls count for the mark
    repeats = api_as(officer).get(f"/api/v1/incidents/{body['id']}/repeats/").json()["results"]
    assert [r["id"] for r in repeats] == [nearby.pk, same_address.pk, same_phone.pk]  # newest first, in scope
    assert (
        repeats[2]["reasons"] == ["phone"]
        and "address" in repeats[1]["reasons"]
        and repeats[0]["reasons"] == ["nearby"]
    )


def test_repeats_of_another_stations_incident_is_404(api_as, officer, other_station):
    theirs = make_incident(other_station)
    assert api_as(officer).get(f"/api/v1/incidents/{theirs.pk}/repeats/").status_code == 404


def test_an_unknown_address_code_is_400(api_as, officer, bounded):
    resp = api_as(officer).post("/api/v1/incidents/", payload(address_code="NOPE"), format="json")
    assert resp.status_code == 400
    assert "address_code" in error_fields(resp)
    assert not Incident.objects.exists()


def test_the_api_accepts_a_point_outside_the_district_and_flags_it(api_as, officer, bounded):
    resp = api_as(officer).post("/api/v1/incidents/", payload(lat=31.5, lon=122.5), format="json")
    assert resp.status_code == 201
    assert resp.json()["outside_district"] is True
    inside = (
        api_as(officer).post("/api/v1/incidents/", payload(lat=30.283, lon=121.187), format="json").json()
    )
    assert inside["outside_district"] is False
    assert inside["address_standardised"] is False  # free text that matched nothing: 未标准化


def test_the_page_refuses_a_point_outside_the_district(client, officer, bounded):
    client.force_login(officer)
    data = {
        "category": "dispute",
        "address": "某地",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S"),
        "station": officer.station_id,
        "lat": "31.5",
        "lon": "122.5",
    }
    resp = client.post("/incidents/new/", data)
    assert resp.status_code == 400
    assert "不在本分局辖区内" in resp.content.decode()
    assert not Incident.objects.exists()


def test_hazard_and_inbound_accept_an_address_code(api_as, officer, admin_user, addresses):
    hazard = api_as(officer).post(
        "/api/v1/hazards/",
        {
            "title": "消防通道堵塞",
            "category": "fire",
            "level": "low",
            "address_code": "A003",
            "rectify_by": (timezone.localdate() + timedelta(days=5)).isoformat(),
        },
        format="json",
    )
    assert hazard.status_code == 201, hazard.content
    assert hazard.json()["lat"] == addresses[2].lat and hazard.json()["address"] == addresses[2].text
    inbound = api_as(admin_user).post(
        "/api/v1/exchange/inbound/",
        {
            "external_id": "G-1",
            "source": "grid",
            "category": "dispute",
            "title": "噪音",
            "address_code": "A001",
        },
        format="json",
    )
    assert inbound.status_code == 201, inbound.content
    assert inbound.json()["address"] == addresses[0].text and inbound.json()["station"] == "ADS"


def test_a_dispute_from_a_standard_address_lands_in_its_block(api_as, client, officer, leader, bounded):
    from disputes.models import Dispute
    from disputes.services import block_save
    from tests.places.conftest import make_address

    station, _other = bounded
    block = block_save(
        actor=leader,
        station=station,
        name="兴业路片区",
        polygon=[[30.282, 121.186], [30.282, 121.189], [30.285, 121.189], [30.285, 121.186]],
    )
    make_address("D001")
    body = {
        "station": "ADS",
        "address_code": "D001",
        "category": "neighbour",
        "risk_level": "low",
        "summary": "噪音",
    }
    resp = api_as(officer).post("/api/v1/disputes/", body, format="json")
    assert resp.status_code == 201, resp.content
    assert Dispute.objects.get(pk=resp.json()["id"]).block == block
    # the page: the hidden code the type-ahead fills
    client.force_login(officer)
    page = client.post(
        "/disputes/new/",
        {
            "station": station.pk,
            "category": "neighbour",
            "risk_level": "low",
            "summary": "楼上噪音",
            "address": "随便写的",
            "address_code": "D001",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    latest = Dispute.objects.order_by("-id").first()
    assert latest.block == block and latest.standard_address.code == "D001"


def test_the_kpi_page_counts_repeat_calls(client, officer, station):
    make_incident(station, caller_phone="13911112222")
    make_incident(station, caller_phone="13911112222")
    client.force_login(officer)
    resp = client.get("/incidents/kpi/")
    assert resp.status_code == 200
    assert 'data-kpi="repeats-month"' in resp.content.decode()
    assert Incident.objects.filter(repeat_count__gt=0).count() == 1


def test_liaison_cannot_search(api_as, make_user):
    liaison = make_user(Role.LIAISON)
    assert api_as(liaison).get("/api/v1/search/", {"q": "兴业路"}).status_code == 403


def test_the_accident_form_takes_a_standard_address_and_refuses_a_point_outside(officer, addresses):
    from traffic.forms import AccidentForm

    base = {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "station": officer.station_id,
        "address": "随手写",
        "vehicles": 1,
        "injured": 0,
        "deaths": 0,
        "cause": "other",
        "handled_by": "station",
    }
    outside = AccidentForm({**base, "lat": 31.5, "lon": 122.5}, user=officer)
    assert not outside.is_valid()
    assert "不在本分局辖区内" in str(outside.errors["lat"])
    picked = AccidentForm({**base, "address_code": "A003", "lat": 30.29, "lon": 121.18}, user=officer)
    assert picked.is_valid(), picked.errors
    assert picked.cleaned_data["address"] == addresses[2].text
    assert "address_code" not in picked.cleaned_data and "standard_address" not in picked.cleaned_data


def test_the_joint_patrol_form_checks_its_pin_and_adds_no_field(officer, bounded):
    from traffic.forms import JointPatrolForm

    base = {
        "date": timezone.localdate().isoformat(),
        "station": officer.station_id,
        "organisers": "所",
        "location": "路口",
        "police": 1,
        "grid_workers": 0,
        "enterprise_security": 0,
        "volunteers": 0,
    }
    inside = JointPatrolForm({**base, "lat": 30.283, "lon": 121.187}, user=officer)
    assert inside.is_valid(), inside.errors
    assert set(inside.cleaned_data) == set(inside.fields)
    outside = JointPatrolForm({**base, "lat": 31.5, "lon": 122.5}, user=officer)
    assert not outside.is_valid() and "不在本分局辖区内" in str(outside.errors["lat"])
