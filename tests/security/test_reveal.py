"""Revealing masked personal data on a record's page (issue 16, "revealing is an audited action").

Bureau leaders and admins read an incident's caller and a dispute's parties masked; a click (a POST)
shows them in clear and writes an audit row naming who, when, which record and which fields. Station
staff see the values in clear already (no button, nothing to reveal: 403), liaisons and partner
accounts may not (403), a missing record is a 404; none of those writes an audit row."""

import pytest
from django.urls import reverse

from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from tests.disputes.factories import make_dispute
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

CALLER = "13912345678"
MASKED = "139****5678"


@pytest.fixture
def incident(station, officer):
    return make_incident(station, officer, caller_phone=CALLER)


def _button(url_name: str, pk: int) -> str:
    return f'action="{reverse(url_name, args=[pk])}"'


def _reveals():
    return AuditEntry.objects.filter(action__endswith=".reveal")


@pytest.mark.parametrize("role", [Role.BUREAU_LEADER, Role.ADMIN])
def test_incident_caller_is_masked_until_an_audited_reveal(role, incident, make_user, client):
    user = make_user(role, username=f"rv-{role}")
    client.force_login(user)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert MASKED in page and CALLER not in page
    assert _button("incidents:reveal", incident.pk) in page  # the button
    assert not _reveals().exists()

    response = client.post(reverse("incidents:reveal", args=[incident.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert CALLER in page and _button("incidents:reveal", incident.pk) not in page
    entry = _reveals().get()
    assert entry.action == "personal_data.reveal"
    assert entry.actor == user and entry.at is not None
    assert (entry.object_type, entry.object_id) == ("incidents.incident", str(incident.pk))
    assert entry.after["fields"] == ["caller_phone"]
    assert CALLER not in str(entry.after)  # the audit row says what was seen, not the value

    # the next visit is masked again: a reveal is for this answer only
    assert CALLER not in client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.STATION_LEADER, Role.LIAISON, Role.GRID_CLIENT])
def test_incident_reveal_refused_to_other_roles(role, incident, make_user, client):
    client.force_login(make_user(role, username=f"no-{role}"))
    assert client.post(reverse("incidents:reveal", args=[incident.pk])).status_code == 403
    assert not _reveals().exists()


def test_station_staff_see_the_caller_without_a_button(incident, officer, client):
    client.force_login(officer)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert CALLER in page and _button("incidents:reveal", incident.pk) not in page


def test_incident_reveal_of_a_missing_record_is_404(bureau, client):
    client.force_login(bureau)
    assert client.post(reverse("incidents:reveal", args=[999999])).status_code == 404
    assert client.get(reverse("incidents:reveal", args=[1])).status_code == 405
    assert not _reveals().exists()


@pytest.mark.parametrize("role", [Role.BUREAU_LEADER, Role.ADMIN])
def test_dispute_parties_are_masked_until_an_audited_reveal(role, station, officer, make_user, client):
    dispute = make_dispute(station, officer)
    user = make_user(role, username=f"rvd-{role}")
    client.force_login(user)
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "张*" in page and "138****1111" in page and "张三" not in page and "13800001111" not in page
    assert _button("disputes:reveal", dispute.pk) in page
    assert not _reveals().exists()

    page = client.post(reverse("disputes:reveal", args=[dispute.pk])).content.decode()
    assert "张三" in page and "13800001111" in page
    entry = _reveals().get()
    assert entry.actor == user and (entry.object_type, entry.object_id) == (
        "disputes.dispute",
        str(dispute.pk),
    )
    assert entry.after["fields"] == ["parties.name", "parties.phone"]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.STATION_LEADER, Role.LIAISON, Role.GRID_CLIENT])
def test_dispute_reveal_refused_to_other_roles(role, station, officer, make_user, client):
    dispute = make_dispute(station, officer)
    client.force_login(make_user(role, username=f"nod-{role}"))
    assert client.post(reverse("disputes:reveal", args=[dispute.pk])).status_code == 403
    assert not _reveals().exists()
