"""Partners kept apart (issue 18, "Partners"): each grid_client acts for exactly one partner and
sees, posts and acks only its own partner's events; `external_id` is unique per partner; a caller
phone reaches only a partner that declares it needs it. Every rule is tried from both partners."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from qianwan.exchange import services
from qianwan.exchange.choices import OutboundKind
from qianwan.exchange.models import InboundEvent, OutboundEvent, Partner, PartnerAccount
from qianwan.org.choices import Role
from qianwan.org.models import User
from tests.conftest import token_client
from tests.errors import error_code
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db

PARTNERS = ["grid", "12345"]
OTHER = {"grid": "12345", "12345": "grid"}
PHONE = "13800001234"


def inbound(source, external_id="EXT-1", **kw):
    return {
        "external_id": external_id,
        "source": source,
        "category": "dispute",
        "title": f"{source} 来件",
        "lat": 30.283,
        "lon": 121.187,
        **kw,
    }


@pytest.fixture
def partner_client(make_user, station):
    """partner_client("grid") / partner_client("12345"): a token client of a grid_client of that partner."""
    made = {}

    def make(code):
        if code not in made:
            made[code] = token_client(make_user(Role.GRID_CLIENT, username=f"client-{code}", partner=code))
        return made[code]

    return make


def _outbound(station, target, payload=None):
    return services.outbound_create(
        actor=None,
        target=target,
        kind=OutboundKind.HAZARD,  # a referral: what kpis/exchange counts as outbound
        title=f"给 {target}",
        station=station,
        payload=payload,
    )


# ------------------------------------------------------------------------------ partner_missing


def test_grid_client_without_partner_is_403_partner_missing_everywhere(make_user, station):
    client = token_client(make_user(Role.GRID_CLIENT, username="lonely", partner=None))
    event = _outbound(station, "grid")
    today = timezone.localdate().isoformat()
    calls = [
        client.get("/api/v1/exchange/inbound/"),
        client.get("/api/v1/exchange/outbound/"),
        client.get(f"/api/v1/exchange/outbound/{event.pk}/"),
        client.post("/api/v1/exchange/inbound/", inbound("grid"), format="json"),
        client.post(f"/api/v1/exchange/outbound/{event.pk}/ack/", {"status": "accepted"}, format="json"),
        client.get(f"/api/v1/kpis/exchange/?from={today}&to={today}"),
    ]
    for response in calls:
        assert response.status_code == 403 and error_code(response) == "partner_missing", response.content
    assert not InboundEvent.objects.exists()
    event.refresh_from_db()
    assert event.status == "pending"


def test_disabled_partner_is_403(partner_client, station):
    client = partner_client("grid")
    Partner.objects.filter(code="grid").update(enabled=False)
    response = client.get("/api/v1/exchange/outbound/")
    assert response.status_code == 403 and error_code(response) == "partner_missing"


# ------------------------------------------------------------------------------------ posting


@pytest.mark.parametrize("code", PARTNERS)
def test_posts_only_as_its_own_source(partner_client, station, code):
    client = partner_client(code)
    refused = client.post("/api/v1/exchange/inbound/", inbound(OTHER[code]), format="json")
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    assert not InboundEvent.objects.exists()
    ok = client.post("/api/v1/exchange/inbound/", inbound(code), format="json")
    assert ok.status_code == 201 and ok.json()["source"] == code


def test_external_id_is_unique_per_partner(partner_client, station):
    grid, hotline = partner_client("grid"), partner_client("12345")
    first = grid.post("/api/v1/exchange/inbound/", inbound("grid", "SAME-1"), format="json")
    second = hotline.post("/api/v1/exchange/inbound/", inbound("12345", "SAME-1"), format="json")
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] != second.json()["id"] and second.json()["source"] == "12345"
    for client, code, created in ((grid, "grid", first), (hotline, "12345", second)):
        again = client.post("/api/v1/exchange/inbound/", inbound(code, "SAME-1", title="改"), format="json")
        assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
        assert again.json()["title"] == f"{code} 来件"
    assert InboundEvent.objects.filter(external_id="SAME-1").count() == 2


def test_admin_posts_for_any_source(api_as, admin_user, station):
    for code in PARTNERS:
        response = api_as(admin_user).post("/api/v1/exchange/inbound/", inbound(code, "A-1"), format="json")
        assert response.status_code == 201 and response.json()["source"] == code


# ------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize("code", PARTNERS)
def test_lists_and_reads_only_its_own_inbound(partner_client, api_as, bureau, station, code):
    mine = partner_client(code).post("/api/v1/exchange/inbound/", inbound(code, "M-1"), format="json").json()
    theirs = (
        partner_client(OTHER[code])
        .post("/api/v1/exchange/inbound/", inbound(OTHER[code], "T-1"), format="json")
        .json()
    )
    client = partner_client(code)
    assert [e["id"] for e in client.get("/api/v1/exchange/inbound/").json()["results"]] == [mine["id"]]
    assert client.get(f"/api/v1/exchange/inbound/{mine['id']}/").status_code == 200
    hidden = client.get(f"/api/v1/exchange/inbound/{theirs['id']}/")
    assert hidden.status_code == 404 and error_code(hidden) == "not_found"
    assert api_as(bureau).get("/api/v1/exchange/inbound/").json()["count"] == 2


@pytest.mark.parametrize("code", PARTNERS)
def test_lists_reads_and_acks_only_outbound_addressed_to_it(partner_client, api_as, bureau, station, code):
    mine, theirs = _outbound(station, code), _outbound(station, OTHER[code])
    client = partner_client(code)
    listed = client.get("/api/v1/exchange/outbound/").json()
    assert [e["id"] for e in listed["results"]] == [mine.pk]
    assert client.get(f"/api/v1/exchange/outbound/?target={OTHER[code]}").json()["count"] == 0
    assert client.get(f"/api/v1/exchange/outbound/{theirs.pk}/").status_code == 404
    ack = client.post(f"/api/v1/exchange/outbound/{theirs.pk}/ack/", {"status": "handled"}, format="json")
    assert ack.status_code == 404 and error_code(ack) == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == "pending" and not theirs.acks.exists()
    ok = client.post(f"/api/v1/exchange/outbound/{mine.pk}/ack/", {"status": "handled"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "handled"
    assert api_as(bureau).get("/api/v1/exchange/outbound/").json()["count"] == 2


@pytest.mark.parametrize("code", PARTNERS)
def test_exchange_kpi_counts_only_its_own(partner_client, api_as, bureau, station, code):
    for i in range(2):
        partner_client(code).post("/api/v1/exchange/inbound/", inbound(code, f"K{i}"), format="json")
    for i in range(3):
        partner_client(OTHER[code]).post(
            "/api/v1/exchange/inbound/", inbound(OTHER[code], f"K{i}"), format="json"
        )
    _outbound(station, code)
    for _ in range(4):
        _outbound(station, OTHER[code])
    today = timezone.localdate().isoformat()
    url = f"/api/v1/kpis/exchange/?from={today}&to={today}"
    mine = partner_client(code).get(url).json()
    assert mine["inbound"] == 2 and mine["outbound"] == 1
    everything = api_as(bureau).get(url).json()
    assert everything["inbound"] == 5 and everything["outbound"] == 5


# ------------------------------------------------------------------------------- caller phone


def _divert(officer, station):
    incident = make_incident(station, caller_phone=PHONE)
    record(incident, "diverted", actor=officer, after=30, target="12345")
    return OutboundEvent.objects.get(source_type="incidents.incident", source_id=str(incident.pk))


def test_caller_phone_reaches_only_the_partner_that_needs_it(
    partner_client, api_as, officer, bureau, admin_user, station
):
    event = _divert(officer, station)
    assert event.target == "12345" and event.payload["caller_phone"] == PHONE
    hotline = partner_client("12345").get(f"/api/v1/exchange/outbound/{event.pk}/").json()
    assert hotline["payload"]["caller_phone"] == PHONE
    for user in (officer, bureau, admin_user):
        seen = api_as(user).get(f"/api/v1/exchange/outbound/{event.pk}/").json()
        assert seen["payload"]["caller_phone"] == "138****1234", user.role
    # the grid platform does not declare the need: an event for it shows the phone masked
    to_grid = _outbound(station, "grid", payload={"caller_phone": PHONE, "note": "转网格"})
    grid_view = partner_client("grid").get(f"/api/v1/exchange/outbound/{to_grid.pk}/").json()
    assert grid_view["payload"] == {"caller_phone": "138****1234", "note": "转网格"}
    listed = partner_client("12345").get("/api/v1/exchange/outbound/").json()["results"]
    assert [e["payload"]["caller_phone"] for e in listed] == [PHONE]


def test_default_partners_declare_their_needs():
    assert Partner.objects.get(code="12345").receives_caller_phone is True
    assert Partner.objects.get(code="grid").receives_caller_phone is False
    secrets = set(Partner.objects.values_list("secret", flat=True))
    assert len(secrets) == Partner.objects.count() and all(len(s) >= 32 for s in secrets)


def test_push_carries_the_phone_only_to_a_partner_that_needs_it(officer, station, http_receiver):
    Partner.objects.filter(code__in=PARTNERS).update(push_url=f"{http_receiver.url}/events")
    http_receiver.responses = [(200, "{}"), (200, "{}")]
    diverted = _divert(officer, station)
    to_grid = _outbound(station, "grid", payload={"caller_phone": PHONE})
    services.outbound_push_attempt(diverted.pk)
    services.outbound_push_attempt(to_grid.pk)
    phones = {r["json"]["id"]: r["json"]["payload"]["caller_phone"] for r in http_receiver.requests}
    assert phones == {diverted.pk: PHONE, to_grid.pk: "138****1234"}


# ------------------------------------------------------------------------- accounts and demo


def test_apitoken_partner_creates_partner_and_binds_the_account(station):
    out = StringIO()
    call_command("apitoken", "wx-bridge", "--role", "grid_client", "--partner", "wx-gov", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    partner = Partner.objects.get(code="wx-gov")
    assert PartnerAccount.objects.get(user__username="wx-bridge").partner == partner
    assert partner.secret and partner.receives_caller_phone is False
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/exchange/outbound/").status_code == 200
    # moving the account to another partner: still exactly one
    call_command("apitoken", "wx-bridge", "--role", "grid_client", "--partner", "grid", stdout=StringIO())
    assert PartnerAccount.objects.filter(user__username="wx-bridge").get().partner.code == "grid"


def test_demo_partner_accounts(db):
    call_command("loaddemo", stdout=StringIO())
    call_command("loaddemo", stdout=StringIO())
    assert PartnerAccount.objects.get(user__username="grid").partner.code == "grid"
    hotline = User.objects.get(username="hotline")
    assert hotline.role == Role.GRID_CLIENT and hotline.partner_account.partner.code == "12345"


def test_ack_at_inside_the_window(partner_client, station):
    event = _outbound(station, "grid")
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    response = partner_client("grid").post(
        f"/api/v1/exchange/outbound/{event.pk}/ack/", {"status": "accepted", "at": at}, format="json"
    )
    assert response.status_code == 200
