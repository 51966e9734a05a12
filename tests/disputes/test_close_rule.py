"""结案 needs DISPUTE_CLOSE_MIN_FOLLOWUPS follow-ups recorded after the dispute was marked handled, or a
station leader's approval with a reason (audited, on the record); otherwise 409 followups_required."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from disputes import services
from disputes.choices import Status
from disputes.models import Dispute, DisputeEvent
from qianwan.audit.models import AuditEntry
from qianwan.errors import StateConflict
from qianwan.org.choices import Role
from tests.disputes.factories import handled_dispute
from tests.errors import error_code, error_message

pytestmark = pytest.mark.django_db


def test_close_refused_until_two_followups(officer):
    dispute = handled_dispute(officer.station, officer)
    with pytest.raises(StateConflict) as exc:
        services.dispute_close(actor=officer, dispute=dispute)
    assert exc.value.code == "followups_required"
    assert "0" in exc.value.message and "2" in exc.value.message
    services.followup_record(actor=officer, dispute=dispute, outcome="stable")
    with pytest.raises(StateConflict):
        services.dispute_close(actor=officer, dispute=dispute)
    assert Dispute.objects.get(pk=dispute.pk).status == Status.HANDLED
    services.followup_record(actor=officer, dispute=dispute, outcome="resolved")
    assert services.dispute_close(actor=officer, dispute=dispute).status == Status.CLOSED


def test_minimum_is_a_setting(officer, settings):
    settings.DISPUTE_CLOSE_MIN_FOLLOWUPS = 1
    dispute = handled_dispute(officer.station, officer)
    with pytest.raises(StateConflict):
        services.dispute_close(actor=officer, dispute=dispute)
    services.followup_record(actor=officer, dispute=dispute, outcome="stable")
    assert services.dispute_close(actor=officer, dispute=dispute).status == Status.CLOSED
    settings.DISPUTE_CLOSE_MIN_FOLLOWUPS = 0
    assert services.dispute_close(actor=officer, dispute=handled_dispute(officer.station, officer)).closed_at


def test_followups_before_a_new_handling_do_not_count(officer):
    dispute = handled_dispute(officer.station, officer)
    for _ in range(2):
        services.followup_record(actor=officer, dispute=dispute, outcome="recurring")
    services.dispute_escalate(actor=officer, dispute=dispute, note="矛盾反复，一方扬言报复")
    services.dispute_resolve(actor=officer, dispute=dispute)
    with pytest.raises(StateConflict) as exc:
        services.dispute_close(actor=officer, dispute=dispute)
    assert exc.value.code == "followups_required"


def test_leader_approval_with_reason_closes_and_is_recorded(officer, leader):
    dispute = handled_dispute(officer.station, officer)
    with pytest.raises(PermissionDenied):  # an officer cannot approve
        services.dispute_close(actor=officer, dispute=dispute, approval_reason="当事人已搬走")
    with pytest.raises(StateConflict):  # the leader without a reason is refused like anyone
        services.dispute_close(actor=leader, dispute=dispute, approval_reason="  ")
    closed = services.dispute_close(
        actor=leader, dispute=dispute, approval_reason="当事人已搬离辖区，无法回访"
    )
    assert closed.status == Status.CLOSED
    assert closed.close_approved_by == leader and closed.close_approval_reason == "当事人已搬离辖区，无法回访"
    event = DisputeEvent.objects.get(dispute=dispute, kind="close_approved")
    assert event.actor == leader and event.note == "当事人已搬离辖区，无法回访"
    assert event.data == {"followups": 0, "required": 2}
    audit = AuditEntry.objects.get(action="disputes.dispute.close_approve", object_id=str(dispute.pk))
    assert audit.actor == leader and audit.after["close_approval_reason"] == "当事人已搬离辖区，无法回访"


def test_bureau_leader_is_not_a_station_leader(officer, make_user):
    bureau = make_user(Role.BUREAU_LEADER, username="bureau2")
    dispute = handled_dispute(officer.station, officer)
    with pytest.raises(PermissionDenied):
        services.dispute_close(actor=bureau, dispute=dispute, approval_reason="同意")


def test_api_409_then_leader_approval(api_as, officer, leader):
    dispute = handled_dispute(officer.station, officer)
    url = f"/api/v1/disputes/{dispute.pk}/close/"
    refused = api_as(officer).post(url, {"note": "回访完成"}, format="json")
    assert refused.status_code == 409
    assert error_code(refused) == "followups_required"
    assert "所领导" in error_message(refused)
    assert api_as(officer).post(url, {"approval_reason": "我批准"}, format="json").status_code == 403
    ok = api_as(leader).post(url, {"approval_reason": "当事人已搬离"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "closed"
    assert Dispute.objects.get(pk=dispute.pk).status == Status.CLOSED


def test_page_shows_the_count_and_the_leader_form(client, officer, leader):
    dispute = handled_dispute(officer.station, officer)
    client.force_login(officer)
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "处置后已回访 0 / 2 次" in page and "data-close-approve" not in page and "data-close " not in page
    # the service refuses the page's POST too, with the reason as a message
    response = client.post(f"/disputes/{dispute.pk}/close/", {"note": ""}, follow=True)
    assert "结案至少需要 2 次回访" in response.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == Status.HANDLED
    client.force_login(leader)
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "data-close-approve" in page
    empty = client.post(f"/disputes/{dispute.pk}/close/", {"approval_reason": ""}, follow=True)
    assert (
        Dispute.objects.get(pk=dispute.pk).status == Status.HANDLED
        and "结案至少需要" in empty.content.decode()
    )
    done = client.post(f"/disputes/{dispute.pk}/close/", {"approval_reason": "双方已和解"}, follow=True)
    assert "已结案" in done.content.decode()
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "批准结案" in page and "双方已和解" in page and leader.display_name in page


def test_validation_error_field_is_the_forms(leader, officer):
    dispute = handled_dispute(officer.station, officer)
    with pytest.raises(ValidationError) as exc:
        services._approve_close(actor=leader, dispute=dispute, reason="")
    assert "approval_reason" in exc.value.message_dict
