"""One masking rule (issue 16, item 6): personal data seeded on every kind of record is found in clear
only by the roles that may see it — on every API response (list and detail of each GET operation in
the schema), the main pages, the audit log, the Django admin and the exchange outbox."""

import json
import re

import pytest
from django.template import Context, Template

from qianwan.audit.models import AuditEntry
from qianwan.masking import mask_personal, mask_phone
from qianwan.org.choices import Role
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db

CALLER = "13912340001"  # an incident's caller (also in the outbound diversion payload)
PARTY_PHONE = "13912340002"  # a dispute party
PARTY_NAME = "欧阳明月"
EMPLOYEE = "13912340003"  # an enterprise employee (anti-fraud roster)

STATION_STAFF = {Role.OFFICER, Role.STATION_LEADER}
# who may read each value in clear, on any path (a reveal aside); the partner gets the diversion
# payload (what it receives is the exchange catalogue's rule, branch w18)
MAY_SEE = {
    CALLER: STATION_STAFF | {Role.GRID_CLIENT},
    PARTY_PHONE: STATION_STAFF,
    PARTY_NAME: STATION_STAFF,
    EMPLOYEE: set(),
}


@pytest.fixture
def seeded(station, make_user):
    from antifraud import services as antifraud_services
    from tests.disputes.factories import make_dispute
    from tests.factories import enterprise_for

    officer = make_user(Role.OFFICER, username="seeder")
    incident = make_incident(station, officer, caller_phone=CALLER)
    record(incident, "diverted", actor=officer, after=30, target="12345")
    dispute = make_dispute(station, officer, parties=[{"name": PARTY_NAME, "phone": PARTY_PHONE}])
    liaison = make_user(Role.LIAISON, username="seed-liaison", enterprise=enterprise_for(station))
    antifraud_services.employee_create(
        actor=liaison, enterprise=liaison.enterprise, name="王小二", phone=EMPLOYEE
    )
    return {"incident": incident, "dispute": dispute}


def _leaks(text: str, role: str) -> list[str]:
    return [value for value, roles in MAY_SEE.items() if role not in roles and value in text]


def _get_operations() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, methods in schema["paths"].items() if "get" in methods)


def _ids(body) -> list:
    results = body.get("results") if isinstance(body, dict) else body if isinstance(body, list) else None
    return [r["id"] for r in results or [] if isinstance(r, dict) and "id" in r][:3]


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN] + [Role.ADMIN])
def test_api_walk_finds_no_unmasked_value(role, seeded, make_user, api_as, other_station):
    """GET every list operation of the schema, then the detail of its first records, as ``role``."""
    user = make_user(role, username=f"walk-{role}")
    client = api_as(user)
    seen, leaks = 0, []
    paths = _get_operations()
    for path in paths:
        if "{" in path:
            continue
        params = {"from": "2000-01-01", "to": "2100-12-31"} if "kpis" in path else {}
        response = client.get(path.replace("/api/v1/", "/api/v1/", 1), params)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("application/json"):
            continue
        seen += 1
        leaks += [(path, v) for v in _leaks(response.content.decode(), role)]
        body = response.json()
        detail = path.rstrip("/") + "/{id}/"
        if detail in paths:
            for pk in _ids(body):
                one = client.get(detail.replace("{id}", str(pk)))
                if one.status_code == 200:
                    seen += 1
                    leaks += [(detail, v) for v in _leaks(one.content.decode(), role)]
    assert seen > (1 if role == Role.GRID_CLIENT else 3), "the walk reached too little to mean anything"
    assert leaks == [], leaks


def test_the_walk_sees_the_clear_values_where_they_are_allowed(seeded, api_as, officer):
    """The seeded values are really on the paths walked (else the walk would prove nothing)."""
    client = api_as(officer)
    incident = client.get(f"/api/v1/incidents/{seeded['incident'].pk}/").content.decode()
    dispute = client.get(f"/api/v1/disputes/{seeded['dispute'].pk}/").content.decode()
    assert CALLER in incident and PARTY_PHONE in dispute and PARTY_NAME in dispute


PAGES = [
    "/incidents/",
    "/incidents/{incident}/",
    "/disputes/",
    "/disputes/{dispute}/",
    "/audit/",
    "/exchange/",
]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN])
def test_main_pages_show_no_unmasked_value(role, seeded, make_user, client):
    client.force_login(make_user(role, username=f"page-{role}"))
    reached = 0
    for page in PAGES:
        url = page.format(incident=seeded["incident"].pk, dispute=seeded["dispute"].pk)
        response = client.get(url)
        if response.status_code != 200:
            continue
        reached += 1
        assert _leaks(response.content.decode(), role) == [], url
    assert reached >= 2


# ---------------------------------------------------------------- the reproduction (issue 16, item 6)


def test_bureau_leader_reads_the_outbound_payload_masked(seeded, make_user, api_as):
    from qianwan.exchange.models import OutboundEvent

    event = OutboundEvent.objects.get(target="12345")
    assert event.payload["caller_phone"] == CALLER  # stored as the partner will receive it
    for role in (Role.BUREAU_LEADER, Role.ADMIN):
        body = (
            api_as(make_user(role, username=f"x-{role}")).get(f"/api/v1/exchange/outbound/{event.pk}/").json()
        )
        assert body["payload"]["caller_phone"] == mask_phone(CALLER) == "139****0001"
    partner = make_user(Role.GRID_CLIENT, username="hotline", partner="12345")
    body = api_as(partner).get(f"/api/v1/exchange/outbound/{event.pk}/").json()
    assert body["payload"]["caller_phone"] == CALLER


def test_audit_snapshots_are_stored_masked(seeded):
    text = json.dumps([list(AuditEntry.objects.values_list("before", "after"))], ensure_ascii=False)
    for value in (CALLER, PARTY_PHONE, PARTY_NAME, EMPLOYEE):
        assert value not in text
    assert "139****0003" in text  # the employee's phone, masked, is still there to audit


def test_admin_shows_masked_values(seeded, make_user, client):
    from qianwan.exchange.models import OutboundEvent

    admin = make_user(Role.ADMIN, username="root", phone="13912340009")
    client.force_login(admin)
    entry = AuditEntry.objects.filter(action="antifraud.employee.create").get()
    outbound = OutboundEvent.objects.get(target="12345")
    for url in (
        f"/admin/incidents/incident/{seeded['incident'].pk}/change/",
        "/admin/org/user/",
        f"/admin/org/user/{admin.pk}/change/",
        f"/admin/audit/auditentry/{entry.pk}/change/",
        f"/admin/exchange/outboundevent/{outbound.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for value in (CALLER, EMPLOYEE, "13912340009"):
            assert value not in page, (url, value)
    assert (
        "139****0001"
        in client.get(f"/admin/incidents/incident/{seeded['incident'].pk}/change/").content.decode()
    )


def test_rows_written_before_are_masked_by_the_migration(station):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("qianwan.audit.migrations.0003_mask_personal_data_in_snapshots")
    AuditEntry.objects.create(
        actor_label="old",
        action="antifraud.employee.create",
        object_type="antifraud.employee",
        object_id="1",
        after={"name": "王小二", "phone": EMPLOYEE, "nested": {"caller_phone": CALLER}},
    )
    migration.mask_existing(apps, None)
    after = AuditEntry.objects.get(actor_label="old").after
    assert after == {"name": "王**", "phone": "139****0003", "nested": {"caller_phone": "139****0001"}}


def test_one_rule_in_templates_and_json():
    rendered = Template(
        '{% load masking %}{{ p|mask:"phone" }} {{ i|mask:"id_number" }} {{ n|mask:"name" }}'
    ).render(Context({"p": CALLER, "i": "330282199001011234", "n": PARTY_NAME}))
    assert rendered == "139****0001 330282********1234 欧***"
    data = {
        "parties": [{"name": PARTY_NAME, "phone": PARTY_PHONE}],
        "address": "兴业路",
        "name": "庵东派出所",
    }
    masked = mask_personal(data)
    assert masked == {
        "parties": [{"name": "欧***", "phone": "139****0002"}],
        "address": "兴业路",
        "name": "庵东派出所",  # a place's name is not personal
    }
    assert mask_personal(masked) == masked  # idempotent
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", mask_phone(CALLER))
