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
    return {"incident": incident, "dispute": dispute, "enterprise": liaison.enterprise}


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


# every page of the project (no path parameter), plus the record pages of the seeded records
RECORD_PAGES = {
    "incidents:detail": "incident",
    "disputes:detail": "dispute",
    "antifraud:enterprise": "enterprise",
}
SKIP_PAGES = {"logout", "notify:ack_link", "healthz"}


def _walkable_pages() -> list[tuple[str, str]]:
    from tests.conftest import url_routes

    pages = []
    for name, route in sorted({r for r in url_routes() if r[0]}):
        if route.startswith(("api/", "admin/", "i18n/")) or name in SKIP_PAGES:
            continue
        if "<" not in route:
            pages.append((name, "/" + route))
        elif name in RECORD_PAGES:
            pages.append((name, "/" + route.split("<")[0] + "{" + RECORD_PAGES[name] + "}/"))
    return pages


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.GRID_CLIENT])
def test_every_page_shows_no_unmasked_value(role, seeded, make_user, client):
    """Every page without a parameter and the seeded records' pages, as ``role``."""
    client.force_login(make_user(role, username=f"every-{role}"))
    ids = {
        "incident": seeded["incident"].pk,
        "dispute": seeded["dispute"].pk,
        "enterprise": seeded["enterprise"].pk,
    }
    reached, leaks = 0, []
    for _name, page in _walkable_pages():
        response = client.get(page.format(**ids))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        reached += 1
        leaks += [(page, v) for v in _leaks(response.content.decode(), role)]
    assert reached >= (3 if role == Role.LIAISON else 20), reached
    assert leaks == [], leaks


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


# ---------------------------------------------------------------- exports (Excel downloads)

# every view that answers a file of records, with the query that makes it answer one; a view whose
# source writes a workbook or a file attachment and has no row here fails test_every_export_is_walked
EXPORTS = {
    "incidents:list": "?export=xlsx",
    "disputes:index": "?export=xlsx",
    "traffic:patrol_list": "?export=xlsx",
    "traffic:joint_list": "?export=xlsx",
    "traffic:accident_list": "?export=xlsx",
    "traffic:asset_list": "?export=xlsx",
    "risks:reconciliation": "?export=xlsx",
    "dashboard:report_download": "",  # the monthly report (built in the fixture)
    "exports:download": "",  # a background export's file (the incident list's, run in the walk)
}
NOT_RECORD_EXPORTS = {
    "enterprises:import_template": "the empty import template: headers and an example row, no records",
    "places:import_template": "the empty address import template: headers and an example row, no records",
}
# "export=": a list on the shared list page (qianwan/listing.py) that hands render_list its export
_FILE_MARKERS = (
    '"export"',
    "export=",
    "xlsx.response(",
    "xlsx_response(",
    "FileResponse(",
    "text/csv",
    "as_attachment",
)


def _file_views() -> set[str]:
    import inspect

    from django.urls import URLPattern, URLResolver, get_resolver

    found = set()

    def walk(resolver, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and namespace:
                view = inspect.unwrap(entry.callback)
                module = getattr(view, "__module__", "") or ""
                if module.startswith(("django.", "rest_framework", "drf_spectacular")):
                    continue
                try:
                    source = inspect.getsource(view)
                except (OSError, TypeError):
                    continue
                if any(marker in source for marker in _FILE_MARKERS):
                    found.add(f"{namespace}:{entry.name}")

    walk(get_resolver(), None)
    return found


def test_every_export_is_walked():
    """A new download of records cannot ship without entering the masking walk."""
    missing = _file_views() - set(EXPORTS) - set(NOT_RECORD_EXPORTS)
    assert not missing, f"views that answer files but are not in EXPORTS: {sorted(missing)}"
    assert set(EXPORTS) <= _file_views() | {"dashboard:report_download"}


def _workbook_text(content: bytes) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row
    )


@pytest.fixture
def monthly_report(station, make_user, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from qianwan.dashboard import services as dashboard_services

    prev = timezone.localdate().replace(day=1) - timedelta(days=1)
    bureau = make_user(Role.BUREAU_LEADER, username="report-maker")
    with django_capture_on_commit_callbacks(execute=True):
        dashboard_services.report_request(actor=bureau, year=prev.year, month=prev.month, station=station)
    from qianwan.dashboard.models import MonthlyReport

    return MonthlyReport.objects.get()


@pytest.mark.parametrize(
    "role", [Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN, Role.LIAISON]
)
def test_exports_show_no_unmasked_value(role, seeded, monthly_report, make_user, client):
    from django.urls import reverse

    client.force_login(make_user(role, username=f"export-{role}"))
    from django.test import override_settings

    from qianwan.api.models import ExportJob
    from qianwan.api.tasks import export_run

    with override_settings(EXPORT_ASYNC_ROWS=0):  # every export a background job
        client.get(reverse("incidents:list") + "?export=xlsx")
    job = ExportJob.objects.order_by("-pk").first()
    if job is not None:
        export_run(job.pk)
    reached, texts = 0, {}
    for name, query in EXPORTS.items():
        args = [monthly_report.pk] if name == "dashboard:report_download" else []
        if name == "exports:download":
            args = [job.pk if job is not None else 0]
        response = client.get(reverse(name, args=args) + query)
        if response.status_code != 200:
            continue
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert content[:2] == b"PK", f"{name} did not answer a workbook"
        reached += 1
        texts[name] = _workbook_text(content)
        assert _leaks(texts[name], role) == [], name
    if role == Role.LIAISON:
        return
    assert reached >= 6, "the walk reached too few exports to mean anything"
    # the seeded caller is in the incident export: in clear for station staff, masked for the others
    expected = CALLER if role in STATION_STAFF else mask_phone(CALLER)
    assert expected in texts["incidents:list"]
    assert expected in texts["exports:download"]  # the background file masks as the page's does


# ---------------------------------------------------------------- notifications

ID_NUMBER = "33028219900101123X"  # typed into a free-text field that a notification carries
NOTIFIED = (CALLER, PARTY_PHONE, EMPLOYEE, ID_NUMBER)  # never in clear on any notification path


@pytest.fixture
def notified(seeded, station, make_user, mailoutbox):
    """Notifications that carry personal data, through the real paths: a new incident whose brief
    text names the caller's number and ID number (to the duty leader, on the station's e-mail channel
    and the leader's own e-mail), and a message whose body and payload hold the others, sent to a user
    of every role."""
    from qianwan.notify import services as notify_services
    from qianwan.notify.choices import ChannelKind, ContactKind
    from qianwan.notify.models import Channel, ContactMethod, Delivery

    Channel.objects.create(
        name="所值班邮箱", kind=ChannelKind.EMAIL, email_to="duty@example.org", station=station
    )
    leader = make_user(Role.STATION_LEADER, username="duty-leader")
    ContactMethod.objects.create(user=leader, kind=ContactKind.EMAIL, address="leader@example.org")
    officer = make_user(Role.OFFICER, username="notify-officer")
    make_incident(
        station, officer, caller_phone=CALLER, description=f"报警人{CALLER}称被骗，身份证{ID_NUMBER}"
    )
    users = {role: make_user(role, username=f"inbox-{role}") for role in Role.values}
    users[Role.STATION_LEADER] = leader
    notify_services.notification_send(
        key="walk:personal",
        kind="test.personal",
        title=f"当事人 {PARTY_PHONE} 来电",
        body=f"员工电话 +86{EMPLOYEE}，报警人 {CALLER}",
        recipients=list(users.values()),
        payload={"caller_phone": CALLER, "parties": [{"name": PARTY_NAME, "phone": PARTY_PHONE}]},
    )
    for delivery in Delivery.objects.all():
        notify_services.delivery_attempt(delivery.pk)
    return users


def _clear(text: str) -> list[str]:
    return [value for value in (*NOTIFIED, PARTY_NAME) if value in text]


def test_notification_messages_carry_no_unmasked_value(notified, mailoutbox):
    """Robot, e-mail and personal messages: the text each channel sends, and the mails sent."""
    from qianwan.notify.channels import message_text, personal_text
    from qianwan.notify.models import Delivery, Notification

    assert Notification.objects.filter(kind="incidents.new").exists()
    texts = [message_text(n, "d-1") for n in Notification.objects.all()]
    texts += [personal_text(d) for d in Delivery.objects.filter(contact__isnull=False)]
    texts += [f"{m.subject}\n{m.body}" for m in mailoutbox]
    assert len(mailoutbox) >= 2  # the station channel and the leader's own e-mail
    assert any("139****0001" in t for t in texts)  # the numbers are there, masked
    assert [(t, _clear(t)) for t in texts if _clear(t)] == []
    stored = json.dumps(list(Notification.objects.values("title", "body", "payload")), ensure_ascii=False)
    assert _clear(stored) == []


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.GRID_CLIENT])  # a partner has no inbox
def test_inbox_and_notification_api_show_no_unmasked_value(role, notified, client, api_as):
    user = notified[role]
    api = api_as(user)
    listing = api.get("/api/v1/notifications/")
    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert rows, "the walk reached no notification"
    texts = [listing.content.decode(), api.get("/api/v1/notifications/unread/").content.decode()]
    texts += [api.get(f"/api/v1/notifications/{row['id']}/").content.decode() for row in rows]
    client.force_login(user)
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200
    texts.append(inbox.content.decode())
    assert [(t[:80], _clear(t)) for t in texts if _clear(t)] == []
