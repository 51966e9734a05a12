"""The fixed dispute endpoints of the REST contract, and the rules behind them."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from disputes.models import Dispute, DisputeEvent
from qianwan.audit.models import AuditEntry
from qianwan.exchange.models import OutboundEvent
from qianwan.org.choices import Role
from tests.disputes.factories import handled_dispute, local, make_block, make_dispute, make_incident
from tests.errors import error_code, error_fields

pytestmark = pytest.mark.django_db

BODY = {
    "station": "ADS",
    "address": "庵东镇兴业路18号",
    "lat": 30.283,
    "lon": 121.187,
    "category": "neighbour",
    "risk_level": "low",
    "summary": "楼上漏水，双方争吵",
    "incident": None,
}


@pytest.mark.parametrize(
    "level,channel", [("low", "grid_building"), ("medium", "mediation"), ("high", "multi_department")]
)
def test_create_sets_channel_from_level(api_as, officer, level, channel):
    response = api_as(officer).post("/api/v1/disputes/", {**BODY, "risk_level": level}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == channel and body["status"] == "open" and body["station"] == "ADS"
    assert body["id"] and body["number"].startswith("JF")
    dispute = Dispute.objects.get(pk=body["id"])
    assert AuditEntry.objects.filter(action="disputes.dispute.create", object_id=str(dispute.pk)).exists()
    assert DisputeEvent.objects.filter(dispute=dispute, kind="created").exists()


@pytest.mark.parametrize(
    "category",
    ["neighbour", "family", "labour", "commercial", "property_management", "traffic_compensation", "other"],
)
def test_every_contract_category_is_accepted(api_as, officer, category):
    response = api_as(officer).post("/api/v1/disputes/", {**BODY, "category": category}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"risk_level": "extreme"}, "risk_level"),
        ({"risk_level": None}, "risk_level"),
        ({"category": "murder"}, "category"),
        ({"summary": ""}, "summary"),
        ({"lat": 95}, "lat"),
        ({"lat": 30.2, "lon": None}, "lat"),
        ({"incident": 999999}, "incident"),
        ({"incident": "abc"}, "incident"),
        ({"occurred_at": "2999-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"parties": [{"name": "", "phone": "1"}]}, "parties"),
    ],
)
def test_bad_input_is_400_with_field(api_as, officer, patch, field):
    response = api_as(officer).post("/api/v1/disputes/", {**BODY, **patch}, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response), response.json()
    assert not Dispute.objects.exists()


def test_bad_level_message_is_actionable(api_as, officer):
    response = api_as(officer).post("/api/v1/disputes/", {**BODY, "risk_level": "x"}, format="json")
    assert "low" in error_fields(response)["risk_level"][0]


def test_officer_files_only_for_own_station(api_as, officer, other_station):
    response = api_as(officer).post("/api/v1/disputes/", {**BODY, "station": "CSS"}, format="json")
    assert response.status_code == 403
    # 403 comes before 400 (the contract's order)
    response = api_as(officer).post(
        "/api/v1/disputes/", {**BODY, "station": "CSS", "risk_level": "x"}, format="json"
    )
    assert response.status_code == 403


def test_bureau_unknown_station_is_400(api_as, bureau):
    response = api_as(bureau).post("/api/v1/disputes/", {**BODY, "station": "NOPE"}, format="json")
    assert response.status_code == 400 and "station" in error_fields(response)


def test_station_defaults_to_officers_own(api_as, officer):
    body = {k: v for k, v in BODY.items() if k != "station"}
    response = api_as(officer).post("/api/v1/disputes/", body, format="json")
    assert response.status_code == 201 and response.json()["station"] == "ADS"


def test_other_station_dispute_is_404(api_as, officer, make_user, station, other_station):
    other_officer = make_user(Role.OFFICER, station_=other_station, username="o-css")
    dispute = make_dispute(other_station, other_officer)
    client = api_as(officer)
    for method, url, body in [
        ("get", f"/api/v1/disputes/{dispute.pk}/", None),
        ("post", f"/api/v1/disputes/{dispute.pk}/resolve/", {}),
        ("post", f"/api/v1/disputes/{dispute.pk}/followups/", {"outcome": "stable"}),
        ("post", f"/api/v1/disputes/{dispute.pk}/retriage/", {"risk_level": "x"}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (url, response.status_code)
    assert dispute.pk not in [d["id"] for d in client.get("/api/v1/disputes/").json()["results"]]


def test_resolve_moves_to_handled_and_twice_is_409(api_as, officer):
    dispute = make_dispute(officer.station, officer)
    client = api_as(officer)
    response = client.post(f"/api/v1/disputes/{dispute.pk}/resolve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "handled" and response.json()["handled_at"]
    assert client.post(f"/api/v1/disputes/{dispute.pk}/resolve/", {}, format="json").status_code == 409


def test_followups_201_and_rules(api_as, officer):
    dispute = make_dispute(officer.station, officer)
    client = api_as(officer)
    url = f"/api/v1/disputes/{dispute.pk}/followups/"
    at = timezone.now().isoformat()
    # not handled yet: a state conflict
    assert client.post(url, {"at": at, "note": "", "outcome": "stable"}, format="json").status_code == 409
    client.post(f"/api/v1/disputes/{dispute.pk}/resolve/", {}, format="json")
    response = client.post(url, {"at": at, "note": "双方关系缓和", "outcome": "stable"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "stable" and response.json()["dispute"] == dispute.pk
    assert client.post(url, {"at": at, "outcome": "nonsense"}, format="json").status_code == 400
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.post(url, {"at": future, "outcome": "stable"}, format="json").status_code == 400
    before = (dispute.occurred_at - timedelta(days=1)).isoformat()  # before the dispute happened
    assert client.post(url, {"at": before, "outcome": "stable"}, format="json").status_code == 400
    assert len(client.get(url).json()) == 1


def test_followups_due_counts_current_local_month(api_as, officer):
    client = api_as(officer)
    with time_machine.travel(local(2026, 6, 10, 10, 0), tick=False):
        due_one = handled_dispute(officer.station, officer)
        done = handled_dispute(officer.station, officer)
        make_dispute(officer.station, officer)  # open: not due
        client.post(f"/api/v1/disputes/{done.pk}/followups/", {"outcome": "stable"}, format="json")
        client.post(f"/api/v1/disputes/{done.pk}/followups/", {"outcome": "stable"}, format="json")
        client.post(f"/api/v1/disputes/{due_one.pk}/followups/", {"outcome": "stable"}, format="json")
        body = client.get("/api/v1/disputes/followups-due/").json()
        assert [r["id"] for r in body["results"]] == [due_one.pk]
        assert body["results"][0]["month_followups"] == 1
    # 1 July 00:30 local is still 30 June in UTC: the month is the local one, so both are due again
    with time_machine.travel(local(2026, 7, 1, 0, 30), tick=False):
        ids = {r["id"] for r in client.get("/api/v1/disputes/followups-due/").json()["results"]}
        assert ids == {due_one.pk, done.pk}


def test_create_from_incident_links_it(api_as, officer, other_station):
    incident = make_incident(officer.station)
    client = api_as(officer)
    response = client.post("/api/v1/disputes/", {**BODY, "incident": incident.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["incident"] == incident.pk
    assert response.json()["occurred_at"].startswith(
        timezone.localtime(incident.received_at).strftime("%Y-%m-%d")
    )
    again = client.post("/api/v1/disputes/", {**BODY, "incident": incident.pk}, format="json")
    assert again.status_code == 400 and "incident" in error_fields(again)
    foreign = make_incident(other_station)
    response = client.post("/api/v1/disputes/", {**BODY, "incident": foreign.pk}, format="json")
    assert response.status_code == 400 and "incident" in error_fields(response)


def test_retriage_is_for_leaders_with_reason_and_audited(api_as, officer, leader):
    dispute = make_dispute(officer.station, officer, risk_level="low")
    url = f"/api/v1/disputes/{dispute.pk}/retriage/"
    assert api_as(officer).post(url, {"risk_level": "high", "reason": "x"}, format="json").status_code == 403
    client = api_as(leader)
    assert client.post(url, {"risk_level": "high", "reason": ""}, format="json").status_code == 400
    assert client.post(url, {"risk_level": "bad", "reason": "x"}, format="json").status_code == 400
    response = client.post(url, {"risk_level": "high", "reason": "涉及多户，有群体性风险"}, format="json")
    assert response.status_code == 200
    assert response.json()["risk_level"] == "high" and response.json()["channel"] == "multi_department"
    entry = AuditEntry.objects.get(action="disputes.dispute.retriage", object_id=str(dispute.pk))
    assert entry.before["risk_level"] == "low" and entry.after["reason"] == "涉及多户，有群体性风险"
    assert entry.actor == leader


def test_channel_contact_prefills_handling_org(api_as, officer):
    from disputes.models import ChannelContact

    ChannelContact.objects.create(
        station=officer.station, channel="mediation", organisation="庵东镇调解办", contact_name="陈主任"
    )
    response = api_as(officer).post("/api/v1/disputes/", {**BODY, "risk_level": "medium"}, format="json")
    assert response.json()["handling_org"] == "庵东镇调解办"


def test_block_and_officer_follow_the_place(api_as, officer, make_user):
    community = make_user(Role.OFFICER, username="community")
    block = make_block(officer.station, officer=community)
    body = api_as(officer).post("/api/v1/disputes/", BODY, format="json").json()
    assert body["block"] == block.pk and body["officer"] == community.display_name
    far = (
        api_as(officer).post("/api/v1/disputes/", {**BODY, "lat": 30.40, "lon": 121.40}, format="json").json()
    )
    assert far["block"] is None and far["officer"] == officer.display_name


def test_parties_masked_for_bureau_and_revealed_with_audit(api_as, officer, bureau):
    dispute = make_dispute(officer.station, officer)
    own = api_as(officer).get(f"/api/v1/disputes/{dispute.pk}/").json()
    assert own["parties"][0]["name"] == "张三" and own["parties"][0]["phone"] == "13800001111"
    client = api_as(bureau)
    masked = client.get(f"/api/v1/disputes/{dispute.pk}/").json()
    assert masked["parties"][0]["name"] == "张*" and masked["parties"][0]["phone"] == "138****1111"
    revealed = client.post(f"/api/v1/disputes/{dispute.pk}/reveal/", {}, format="json")
    assert revealed.status_code == 200 and revealed.json()[0]["name"] == "张三"
    assert AuditEntry.objects.filter(action="disputes.parties.reveal", actor=bureau).exists()


def test_push_creates_outbound_and_ack_shows(api_as, officer, grid):
    dispute = make_dispute(officer.station, officer)
    client = api_as(officer)
    response = client.post(f"/api/v1/disputes/{dispute.pk}/push/", {"note": "请网格关注"}, format="json")
    assert response.status_code == 200, response.content
    event = OutboundEvent.objects.get(source_type="disputes.dispute", source_id=str(dispute.pk))
    assert event.target == "grid" and event.kind == "dispute"
    assert client.post(f"/api/v1/disputes/{dispute.pk}/push/", {}, format="json").status_code == 409
    ack = api_as(grid).post(
        f"/api/v1/exchange/outbound/{event.pk}/ack/",
        {"status": "accepted", "note": "已派网格员"},
        format="json",
    )
    assert ack.status_code == 200
    pushes = client.get(f"/api/v1/disputes/{dispute.pk}/").json()["pushes"]
    assert pushes[0]["status"] == "accepted" and pushes[0]["ack_note"] == "已派网格员"


def test_status_flow_and_conflicts(api_as, officer, leader):
    dispute = make_dispute(officer.station, officer)
    client = api_as(officer)
    base = f"/api/v1/disputes/{dispute.pk}"
    assert client.post(f"{base}/close/", {}, format="json").status_code == 409
    assert client.post(f"{base}/start/", {}, format="json").json()["status"] == "in_progress"
    assert client.post(f"{base}/notes/", {"note": "调解办约谈双方"}, format="json").status_code == 201
    assert client.post(f"{base}/notes/", {"note": ""}, format="json").status_code == 400
    assert client.post(f"{base}/escalate/", {"note": ""}, format="json").status_code == 400
    assert (
        client.post(f"{base}/escalate/", {"note": "一方扬言报复"}, format="json").json()["status"]
        == "escalated"
    )
    assert client.post(f"{base}/resolve/", {}, format="json").json()["status"] == "handled"
    refused = client.post(f"{base}/close/", {}, format="json")
    assert refused.status_code == 409 and error_code(refused) == "followups_required"
    for outcome in ("stable", "resolved"):
        assert client.post(f"{base}/followups/", {"outcome": outcome}, format="json").status_code == 201
    assert client.post(f"{base}/close/", {}, format="json").json()["status"] == "closed"
    assert client.post(f"{base}/resolve/", {}, format="json").status_code == 409
    kinds = list(DisputeEvent.objects.filter(dispute=dispute).values_list("kind", flat=True))
    assert kinds == ["created", "started", "note", "escalated", "resolved", "followup", "followup", "closed"]


def test_list_filters(api_as, officer):
    make_dispute(officer.station, officer, category="labour", risk_level="high")
    make_dispute(officer.station, officer, category="family")
    client = api_as(officer)
    assert client.get("/api/v1/disputes/?category=labour").json()["count"] == 1
    assert client.get("/api/v1/disputes/?risk_level=high&status=open").json()["count"] == 1
    today = timezone.localdate().isoformat()
    assert client.get(f"/api/v1/disputes/?occurred_after={today}").json()["count"] == 2
    assert client.get("/api/v1/disputes/?occurred_after=garbage").status_code == 400


def test_kpis_endpoint(api_as, officer, other_station):
    make_dispute(officer.station, officer)
    client = api_as(officer)
    today = timezone.localdate().isoformat()
    body = client.get(f"/api/v1/kpis/disputes/?from={today}&to={today}").json()
    assert body["disputes"] == 1 and body["disputes_yoy"]["counts"]["this_year"] == 1
    assert body["disputes_yoy"]["change"]["change"] is None  # no base
    assert client.get(f"/api/v1/kpis/disputes/?from={today}&to={today}&station=CSS").status_code == 403
    assert client.get("/api/v1/kpis/disputes/").status_code == 400
