"""Service requests → assignment → visit → feedback once; referrals; lectures; liaison scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enterprises.choices import RequestStatus
from enterprises.models import ServiceRequest
from qianwan.audit.models import AuditEntry
from qianwan.notify.models import InboxItem
from qianwan.org.choices import Role
from tests.errors import error_fields, error_message
from tests.factories import enterprise_for

from .factories import EnterpriseFactory, LecturerTeamFactory, ServiceRequestFactory, ServiceTypeFactory


@pytest.fixture
def liaison(make_user, station):
    return make_user(Role.LIAISON, username="lia")


@pytest.fixture
def service_type(db):
    return ServiceTypeFactory(code="talent-screening", name="人才入职审查")


def test_liaison_journey_over_the_api(api_as, liaison, officer, station, service_type):
    lia = api_as(liaison)
    created = lia.post(
        "/api/v1/service-requests/",
        {"service_type": "talent-screening", "description": "新员工20人"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["enterprise"] == liaison.enterprise_id
        and body["channel"] == "portal"
        and body["status"] == "requested"
    )
    rid = body["id"]

    off = api_as(officer)
    assigned = off.post(f"/api/v1/service-requests/{rid}/assign/", {"officer": officer.pk}, format="json")
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"

    visited_at = timezone.now().isoformat()
    visit = off.post(
        "/api/v1/service-visits/",
        {"request": rid, "visited_at": visited_at, "summary": "上门审查"},
        format="json",
    )
    assert visit.status_code == 201, visit.content
    assert visit.json()["officers"][0]["id"] == officer.pk
    assert visit.json()["service_type"] == "talent-screening"
    request = ServiceRequest.objects.get(pk=rid)
    assert request.status == RequestStatus.SERVICED and request.first_visit_at is not None
    assert InboxItem.objects.filter(
        recipient=liaison, notification__kind="enterprise_request_serviced"
    ).exists()

    rated = lia.post(
        f"/api/v1/service-requests/{rid}/feedback/",
        {"satisfied": True, "score": 5, "comment": "很好"},
        format="json",
    )
    assert rated.status_code == 200, rated.content
    assert rated.json()["status"] == "closed" and rated.json()["satisfied"] is True
    again = lia.post(
        f"/api/v1/service-requests/{rid}/feedback/", {"satisfied": False, "score": 1}, format="json"
    )
    assert again.status_code == 409
    assert "只能评价一次" in error_message(again)
    assert ServiceRequest.objects.get(pk=rid).score == 5
    assert AuditEntry.objects.filter(action="service_request.feedback", object_id=str(rid)).count() == 1


def test_feedback_before_the_visit_is_409(api_as, liaison, service_type):
    request = ServiceRequestFactory(enterprise=liaison.enterprise, service_type=service_type)
    response = api_as(liaison).post(
        f"/api/v1/service-requests/{request.pk}/feedback/", {"satisfied": True, "score": 5}, format="json"
    )
    assert response.status_code == 409


def test_feedback_bad_score_is_400(api_as, liaison, service_type):
    request = ServiceRequestFactory(enterprise=liaison.enterprise, status=RequestStatus.SERVICED)
    response = api_as(liaison).post(
        f"/api/v1/service-requests/{request.pk}/feedback/", {"satisfied": True, "score": 9}, format="json"
    )
    assert response.status_code == 400 and "score" in error_fields(response)


def test_officer_cannot_give_feedback(api_as, officer, station):
    request = ServiceRequestFactory(enterprise=enterprise_for(station), status=RequestStatus.SERVICED)
    assert (
        api_as(officer)
        .post(
            f"/api/v1/service-requests/{request.pk}/feedback/", {"satisfied": True, "score": 5}, format="json"
        )
        .status_code
        == 403
    )


class TestLiaisonReachingAnotherEnterprise:
    """Another enterprise's records answer 404 (never 403: their existence is not revealed)."""

    @pytest.fixture
    def other(self, station):
        return EnterpriseFactory(station=station)

    def test_request_detail_and_actions(self, api_as, liaison, other):
        request = ServiceRequestFactory(enterprise=other, status=RequestStatus.SERVICED)
        client = api_as(liaison)
        assert client.get(f"/api/v1/service-requests/{request.pk}/").status_code == 404
        assert (
            client.post(
                f"/api/v1/service-requests/{request.pk}/feedback/",
                {"satisfied": True, "score": 5},
                format="json",
            ).status_code
            == 404
        )
        assert (
            client.post(f"/api/v1/service-requests/{request.pk}/cancel/", {}, format="json").status_code
            == 404
        )
        assert client.get("/api/v1/service-requests/").json()["count"] == 0

    def test_request_for_another_enterprise_is_refused(self, api_as, liaison, other, service_type):
        response = api_as(liaison).post(
            "/api/v1/service-requests/",
            {"enterprise": other.pk, "service_type": service_type.code},
            format="json",
        )
        assert response.status_code == 400 and "enterprise" in error_fields(response)
        assert not ServiceRequest.objects.exists()

    def test_pages(self, client, liaison, other):
        request = ServiceRequestFactory(enterprise=other, status=RequestStatus.SERVICED)
        client.force_login(liaison)
        assert client.get(f"/enterprises/requests/{request.pk}/").status_code == 404
        assert (
            client.post(
                f"/enterprises/requests/{request.pk}/feedback/", {"satisfied": "1", "score": "5"}
            ).status_code
            == 404
        )
        assert client.get(f"/enterprises/registry/{other.pk}/").status_code == 404
        assert client.get(f"/enterprises/registry/{liaison.enterprise_id}/").status_code == 200
        assert client.get("/enterprises/registry/").status_code == 403  # the registry is for staff


def test_visit_cannot_predate_the_request(api_as, officer, station):
    request = ServiceRequestFactory(enterprise=enterprise_for(station))
    early = (request.requested_at - timedelta(hours=1)).isoformat()
    response = api_as(officer).post(
        "/api/v1/service-visits/", {"request": request.pk, "visited_at": early, "summary": "x"}, format="json"
    )
    assert response.status_code == 400 and "visited_at" in error_fields(response)


def test_visit_in_the_future_is_400(api_as, officer, station):
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = api_as(officer).post(
        "/api/v1/service-visits/",
        {"enterprise": enterprise_for(station).pk, "visited_at": future, "summary": "x"},
        format="json",
    )
    assert response.status_code == 400


def test_visit_with_officer_of_another_station_is_400(api_as, officer, make_user, station, other_station):
    stranger = make_user(Role.OFFICER, station_=other_station, username="stranger")
    response = api_as(officer).post(
        "/api/v1/service-visits/",
        {
            "enterprise": enterprise_for(station).pk,
            "visited_at": timezone.now().isoformat(),
            "summary": "x",
            "officers": [stranger.pk],
        },
        format="json",
    )
    assert response.status_code == 400  # not in the caller's scope: "does not exist"


def test_cancelled_request_cannot_be_visited_or_cancelled_again(api_as, liaison, officer, station):
    request = ServiceRequestFactory(enterprise=liaison.enterprise)
    assert (
        api_as(liaison).post(f"/api/v1/service-requests/{request.pk}/cancel/", {}, format="json").status_code
        == 200
    )
    assert (
        api_as(liaison).post(f"/api/v1/service-requests/{request.pk}/cancel/", {}, format="json").status_code
        == 409
    )
    response = api_as(officer).post(
        "/api/v1/service-visits/",
        {"request": request.pk, "visited_at": timezone.now().isoformat(), "summary": "x"},
        format="json",
    )
    assert response.status_code == 409


def test_assign_needs_someone(api_as, officer, station):
    request = ServiceRequestFactory(enterprise=enterprise_for(station))
    assert (
        api_as(officer).post(f"/api/v1/service-requests/{request.pk}/assign/", {}, format="json").status_code
        == 400
    )
    team = LecturerTeamFactory(code="legal-aid")
    response = api_as(officer).post(
        f"/api/v1/service-requests/{request.pk}/assign/", {"team": "legal-aid"}, format="json"
    )
    assert response.status_code == 200 and response.json()["assigned_team"] == team.code


def test_referral_status_flow(api_as, officer, liaison, station):
    client = api_as(officer)
    created = client.post(
        "/api/v1/referrals/",
        {"enterprise": liaison.enterprise_id, "partner": "mediation_centre", "summary": "劳资纠纷"},
        format="json",
    )
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert (
        client.post(f"/api/v1/referrals/{rid}/status/", {"status": "accepted"}, format="json").json()[
            "status"
        ]
        == "accepted"
    )
    assert (
        client.post(
            f"/api/v1/referrals/{rid}/status/", {"status": "resolved", "note": "调解成功"}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/referrals/{rid}/status/", {"status": "returned"}, format="json").status_code
        == 409
    )
    assert (
        client.post(f"/api/v1/referrals/{rid}/status/", {"status": "bogus"}, format="json").status_code == 400
    )
    # the liaison follows its progress
    assert api_as(liaison).get(f"/api/v1/referrals/{rid}/").json()["status"] == "resolved"
    assert client.get("/api/v1/referrals/?partner=mediation_centre&status=resolved").json()["count"] == 1


def test_lecture_create_and_rules(api_as, officer, station, other_station):
    LecturerTeamFactory(code="anti-fraud")
    a, b = EnterpriseFactory(station=station), EnterpriseFactory(station=station)
    client = api_as(officer)
    today = timezone.localdate().isoformat()
    payload = {
        "team": "anti-fraud",
        "enterprises": [a.pk, b.pk],
        "held_on": today,
        "topic": "识破刷单",
        "audience_count": 300,
    }
    created = client.post("/api/v1/lectures/", payload, format="json")
    assert created.status_code == 201, created.content
    assert {e["id"] for e in created.json()["enterprises"]} == {a.pk, b.pk}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert (
        client.post("/api/v1/lectures/", {**payload, "held_on": tomorrow}, format="json").status_code == 400
    )
    assert (
        client.post("/api/v1/lectures/", {**payload, "audience_count": 0}, format="json").status_code == 400
    )
    foreign = EnterpriseFactory(station=other_station)
    assert (
        client.post("/api/v1/lectures/", {**payload, "enterprises": [foreign.pk]}, format="json").status_code
        == 400
    )


def test_lecture_with_materials_multipart(api_as, officer, station, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    LecturerTeamFactory(code="legal-aid")
    a = EnterpriseFactory(station=station)
    response = api_as(officer).post(
        "/api/v1/lectures/",
        {
            "team": "legal-aid",
            "enterprises": [a.pk],
            "held_on": timezone.localdate().isoformat(),
            "topic": "劳动合同",
            "audience_count": 80,
            "materials": SimpleUploadedFile("课件.pdf", b"%PDF-1.4 demo"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    url = response.json()["materials"]
    client.force_login(officer)
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_catalogue_is_editable_by_admin_only(api_as, admin_user, officer):
    created = api_as(admin_user).post(
        "/api/v1/service-types/", {"code": "new-svc", "name": "新服务"}, format="json"
    )
    assert created.status_code == 201
    assert (
        api_as(officer)
        .patch(f"/api/v1/service-types/{created.json()['id']}/", {"name": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        api_as(admin_user)
        .patch(f"/api/v1/service-types/{created.json()['id']}/", {"is_active": False}, format="json")
        .status_code
        == 200
    )


def test_inactive_service_type_cannot_be_requested(api_as, liaison):
    ServiceTypeFactory(code="old", is_active=False)
    response = api_as(liaison).post("/api/v1/service-requests/", {"service_type": "old"}, format="json")
    assert response.status_code == 400


def test_demo_loads_the_17_and_5_catalogue(db):
    from enterprises import demo
    from enterprises.models import LecturerTeam, ServiceType
    from qianwan.org import demo as org_demo

    org_demo.load()
    demo.load()
    demo.load()  # idempotent
    names = set(ServiceType.objects.values_list("name", flat=True))
    assert ServiceType.objects.count() == 17 and {"人才入职审查", "片区安保大巡防", "案件纠纷介入"} <= names
    teams = set(LecturerTeam.objects.values_list("name", flat=True))
    assert LecturerTeam.objects.count() == 5
    assert {"法律援助", "心理咨询", "反诈宣防"} <= {n.replace("宣讲团", "") for n in teams}
    from qianwan.org.models import User

    assert User.objects.get(username="liaison").enterprise.name == "方太集团"
    assert User.objects.get(username="liaison_geely").enterprise.name == "吉利汽车杭州湾基地"
