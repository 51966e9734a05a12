"""One set of identifier checks (qianwan/validators.py) used by every form, serializer and service that
takes a phone, an ID number, a USCC or a plate; all of a form's errors at once; no preselected
answers; a rating that contradicts the verdict refused; date inputs in the browser's own format."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from disputes.models import Dispute
from enterprises.choices import RequestStatus
from enterprises.models import ServiceRequest
from incidents.models import Incident
from qianwan.org.choices import Role
from qianwan.validators import (
    validate_landline,
    validate_mobile,
    validate_phone,
    validate_plate,
    validate_resident_id,
    validate_uscc,
)
from risks.models import Hazard
from tests.enterprises.factories import ServiceRequestFactory
from tests.errors import error_fields


def _ok(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "value,ok",
    [
        ("13800001111", True),
        ("+86 138 0000 1111", True),
        ("0574-63012345", True),
        ("057463012345", True),
        ("63012345", True),
        ("0574-63012345-801", True),
        ("400-123-4567", True),
        ("99999999999", False),  # 11 digits, not a mobile
        ("abc123", False),
        ("110", False),
        ("1380000111", False),
        ("0574-0123", False),
    ],
)
def test_phone(value, ok):
    assert _ok(validate_phone, value) is ok


def test_landline_and_mobile_are_separate_checks():
    assert _ok(validate_landline, "0574-63012345") and not _ok(validate_landline, "13800001111")
    assert _ok(validate_mobile, "13800001111") and not _ok(validate_mobile, "0574-63012345")


@pytest.mark.parametrize(
    "value,ok",
    [("浙B12345", True), ("浙BD12345", True), ("浙B1234挂", True), ("浙 B·12345", True), ("浙I12345", False),
     ("B12345", False), ("浙B123", False), ("浙B1234567", False)],
)  # fmt: skip
def test_plate(value, ok):
    assert _ok(validate_plate, value) is ok


def test_id_and_uscc_checks_still_work():
    assert _ok(validate_resident_id, "11010519491231002X") and not _ok(
        validate_resident_id, "110105194912310021"
    )
    assert _ok(validate_uscc, "91330200MA2AXXXX0Y") is False
    assert _ok(validate_uscc, "91350100M000100Y43")


@pytest.mark.django_db
def test_dispute_party_phone_refused_in_api_and_page(api_as, client, officer):
    body = {
        "category": "neighbour",
        "risk_level": "low",
        "summary": "漏水",
        "occurred_at": "2026-01-05T10:00:00+08:00",
        "parties": [{"name": "张三", "phone": "99999999999"}],
    }
    response = api_as(officer).post("/api/v1/disputes/", body, format="json")
    assert response.status_code == 400 and "parties" in error_fields(response)
    client.force_login(officer)
    page = client.post(
        "/disputes/new/",
        {
            "category": "neighbour",
            "risk_level": "low",
            "summary": "",
            "party1_name": "张三",
            "party1_phone": "99999999999",
        },
    )
    html = page.content.decode()
    assert page.status_code == 400
    # the phone's error and the missing summary's error on the same submit
    assert "手机号为以 1 开头的11位数字" in html and "该字段是必填项" in html
    assert not Dispute.objects.exists()


@pytest.mark.django_db
def test_dispute_handling_phone_refused(client, officer):
    from disputes import services
    from tests.disputes.factories import make_dispute

    dispute = make_dispute(officer.station, officer)
    with pytest.raises(ValidationError) as exc:
        services.dispute_update_handling(
            actor=officer, dispute=dispute, handling_org="调解委", handling_phone="abc123"
        )
    assert "handling_phone" in exc.value.message_dict
    client.force_login(officer)
    page = client.post(
        f"/disputes/{dispute.pk}/handling/", {"handling_org": "调解委", "handling_phone": "abc123"}
    )
    assert page.status_code == 400 and "电话号码格式不正确" in page.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).handling_phone != "abc123"


@pytest.mark.django_db
def test_hazard_contact_phone_refused(api_as, client, officer):
    body = {
        "title": "仓库违规住人",
        "category": "fire",
        "level": "high",
        "rectify_by": (datetime.date.today() + datetime.timedelta(days=3)).isoformat(),
        "responsible_contact": "abc123",
    }
    response = api_as(officer).post("/api/v1/hazards/", body, format="json")
    assert response.status_code == 400 and "responsible_contact" in error_fields(response)
    client.force_login(officer)
    page = client.post(
        "/risks/hazards/new/", {**body, "station": officer.station.pk, "rectify_by": "2000-01-01"}
    )
    html = page.content.decode()
    assert "固定电话为区号加7–8位号码" in html and "整改期限" in html
    assert not Hazard.objects.exists()


@pytest.mark.django_db
def test_call_form_shows_every_error_at_once_and_preselects_no_category(client, officer):
    client.force_login(officer)
    html = client.get("/incidents/new/").content.decode()
    assert '<option value="" selected>请选择</option>' in html
    future = (datetime.datetime.now() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    response = client.post(
        "/incidents/new/",
        {
            "caller_phone": "abc123",
            "category": "",
            "address": "",
            "received_at": future,
            "station": officer.station.pk,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"caller_phone", "category", "address", "received_at"}, errors
    assert "请选择警情类别" in response.content.decode()
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_incident_api_refuses_a_junk_phone(api_as, officer):
    body = {
        "received_at": "2026-01-05T10:00:00+08:00",
        "station": officer.station.code,
        "category": "dispute",
        "caller_phone": "99999999999",
    }
    response = api_as(officer).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400 and "caller_phone" in error_fields(response)


@pytest.fixture
def liaison(make_user):
    return make_user(Role.LIAISON, username="lia")


@pytest.mark.django_db
@pytest.mark.parametrize("satisfied,score,ok", [(False, 5, False), (False, 4, False), (True, 1, False), (True, 2, False),
                                                (False, 3, True), (True, 3, True), (False, 1, True), (True, 5, True)])  # fmt: skip
def test_rating_consistent_with_satisfaction(api_as, liaison, satisfied, score, ok):
    request = ServiceRequestFactory(enterprise=liaison.enterprise, status=RequestStatus.SERVICED)
    response = api_as(liaison).post(
        f"/api/v1/service-requests/{request.pk}/feedback/",
        {"satisfied": satisfied, "score": score},
        format="json",
    )
    assert (response.status_code == 200) is ok, response.content
    if not ok:
        assert response.status_code == 400 and "score" in error_fields(response)
        assert ServiceRequest.objects.get(pk=request.pk).feedback_at is None


@pytest.mark.django_db
def test_feedback_form_has_no_preselected_score(client, liaison):
    request = ServiceRequestFactory(enterprise=liaison.enterprise, status=RequestStatus.SERVICED)
    client.force_login(liaison)
    html = client.get(f"/enterprises/requests/{request.pk}/").content.decode()
    assert '<option value="" selected>请选择</option>' in html and 'value="5" selected' not in html
    response = client.post(f"/enterprises/requests/{request.pk}/feedback/", {"satisfied": "0"}, follow=True)
    assert ServiceRequest.objects.get(pk=request.pk).feedback_at is None
    assert "请选择评分" in response.content.decode()


def test_date_inputs_render_iso_in_both_languages():
    from django import forms

    from antifraud.forms import DateInput

    for language in ("zh-hans", "en"):
        with translation.override(language):
            for widget in (DateInput(), forms.DateInput(attrs={"type": "date"})):
                assert 'value="2026-12-05"' in widget.render("d", datetime.date(2026, 12, 5))
            assert forms.DateField().clean("2026/12/05") == datetime.date(2026, 12, 5)
