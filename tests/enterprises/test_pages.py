"""Server-rendered pages: who may open them, forms that keep input on error, the liaison journey."""

import pytest
from django.utils import timezone

from enterprises.choices import RequestStatus
from enterprises.models import (
    Alliance,
    Enterprise,
    FirstResponse,
    Lecture,
    Referral,
    ServiceRequest,
    ServiceVisit,
)
from qianwan.org.choices import Role
from tests.factories import enterprise_for

from .factories import (
    AllianceFactory,
    EnterpriseFactory,
    LecturerTeamFactory,
    ReferralFactory,
    ServiceRequestFactory,
    ServiceTypeFactory,
    uscc,
)

STAFF_PAGES = [
    "/enterprises/",
    "/enterprises/registry/",
    "/enterprises/registry/new/",
    "/enterprises/registry/import/",
    "/enterprises/requests/",
    "/enterprises/requests/new/",
    "/enterprises/visits/",
    "/enterprises/visits/new/",
    "/enterprises/referrals/",
    "/enterprises/referrals/new/",
    "/enterprises/lectures/",
    "/enterprises/lectures/new/",
    "/enterprises/alliances/",
    "/enterprises/alliances/new/",
    "/enterprises/responses/",
    "/enterprises/responses/new/",
]
LIAISON_PAGES = [
    "/enterprises/",
    "/enterprises/requests/",
    "/enterprises/requests/new/",
    "/enterprises/visits/",
    "/enterprises/referrals/",
    "/enterprises/lectures/",
    "/enterprises/alliances/",
    "/enterprises/responses/",
    "/enterprises/responses/new/",
]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_render(client, officer, url):
    client.force_login(officer)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", LIAISON_PAGES)
def test_liaison_pages_render(client, make_user, url):
    client.force_login(make_user(Role.LIAISON, username="lia"))
    assert client.get(url).status_code == 200


def test_portal_shows_the_anti_fraud_status(client, make_user):
    client.force_login(make_user(Role.LIAISON, username="lia"))
    html = client.get("/enterprises/").content.decode()
    assert "反诈责任书" in html and "未签或已过期" in html


@pytest.mark.parametrize(
    "url", ["/enterprises/registry/", "/enterprises/visits/new/", "/enterprises/alliances/new/"]
)
def test_liaison_is_refused_staff_pages(client, make_user, url):
    client.force_login(make_user(Role.LIAISON, username="lia"))
    assert client.get(url).status_code == 403


def test_grid_and_anonymous(client, grid):
    assert client.get("/enterprises/").status_code == 302
    client.force_login(grid)
    assert client.get("/enterprises/").status_code == 403


def test_detail_pages_render(client, officer, station):
    e = enterprise_for(station)
    request = ServiceRequestFactory(enterprise=e)
    referral = ReferralFactory(enterprise=e)
    alliance = AllianceFactory(
        station=station, members=[e, *[EnterpriseFactory(station=station) for _ in range(9)]]
    )
    client.force_login(officer)
    for url in [
        f"/enterprises/registry/{e.pk}/",
        f"/enterprises/registry/{e.pk}/edit/",
        f"/enterprises/requests/{request.pk}/",
        f"/enterprises/referrals/{referral.pk}/",
        f"/enterprises/alliances/{alliance.pk}/",
        f"/enterprises/alliances/{alliance.pk}/edit/",
    ]:
        assert client.get(url).status_code == 200, url


def test_other_station_detail_is_404(client, officer, other_station):
    e = EnterpriseFactory(station=other_station)
    request = ServiceRequestFactory(enterprise=e)
    client.force_login(officer)
    assert client.get(f"/enterprises/registry/{e.pk}/").status_code == 404
    assert client.get(f"/enterprises/requests/{request.pk}/").status_code == 404
    assert client.post(f"/enterprises/requests/{request.pk}/visit/", {"summary": "x"}).status_code == 404


def test_enterprise_form_bad_code_keeps_input(client, officer, station):
    client.force_login(officer)
    wrong = uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1")
    response = client.post(
        "/enterprises/registry/new/",
        {
            "kind": "enterprise",
            "name": "填写的名字",
            "credit_code": wrong,
            "station": station.pk,
            "employee_count": 5,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "校验位错误" in html and "填写的名字" in html
    ok = client.post(
        "/enterprises/registry/new/",
        {
            "kind": "enterprise",
            "name": "好企业",
            "credit_code": uscc(1),
            "station": station.pk,
            "employee_count": 5,
        },
    )
    assert ok.status_code == 302 and Enterprise.objects.filter(name="好企业").exists()


def test_liaison_journey_on_pages(client, make_user, officer, station):
    ServiceTypeFactory(code="area-patrol", name="片区安保大巡防")
    liaison = make_user(Role.LIAISON, username="lia")
    client.force_login(liaison)
    service_type = ServiceTypeFactory(code="area-patrol")
    response = client.post(
        "/enterprises/requests/new/", {"service_type": service_type.pk, "description": "夜间巡逻"}
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.enterprise == liaison.enterprise and request.channel == "portal"

    client.force_login(officer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/enterprises/requests/{request.pk}/visit/", {"visited_at": now, "summary": "夜巡一次"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.SERVICED and ServiceVisit.objects.filter(request=request).exists()

    client.force_login(liaison)
    assert "提交评价" in client.get(f"/enterprises/requests/{request.pk}/").content.decode()
    response = client.post(
        f"/enterprises/requests/{request.pk}/feedback/", {"satisfied": "1", "score": "5", "comment": "好"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.satisfied is True
    again = client.post(
        f"/enterprises/requests/{request.pk}/feedback/", {"satisfied": "0", "score": "1"}, follow=True
    )
    assert "只能评价一次" in again.content.decode()
    request.refresh_from_db()
    assert request.score == 5


def test_staff_forms(client, officer, leader, station):
    e = enterprise_for(station)
    team = LecturerTeamFactory(code="legal-aid")
    client.force_login(officer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert (
        client.post(
            "/enterprises/visits/new/",
            {"enterprise": e.pk, "kind": "visit", "visited_at": now, "summary": "走访"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/enterprises/referrals/new/", {"enterprise": e.pk, "partner": "court", "summary": "纠纷"}
        ).status_code
        == 302
    )
    referral = Referral.objects.get()
    assert (
        client.post(
            f"/enterprises/referrals/{referral.pk}/", {"status": "accepted", "note": "已受理"}
        ).status_code
        == 302
    )
    lecture = client.post(
        "/enterprises/lectures/new/",
        {
            "team": team.pk,
            "enterprises": [e.pk],
            "held_on": timezone.localdate().isoformat(),
            "topic": "普法",
            "audience_count": 50,
        },
    )
    assert lecture.status_code == 302 and Lecture.objects.count() == 1
    members = [e, *[EnterpriseFactory(station=station) for _ in range(9)]]
    form = {
        "name": "守望一号",
        "station": station.pk,
        "area": "兴业路",
        "members": [m.pk for m in members],
        "leader_member": e.pk,
        "contacts": "张三,13800000000,保卫科长",
    }
    assert client.post("/enterprises/alliances/new/", form).status_code == 302
    alliance = Alliance.objects.get()
    assert alliance.contacts == [{"name": "张三", "phone": "13800000000", "duty": "保卫科长"}]
    response = client.post(f"/enterprises/alliances/{alliance.pk}/", {"place": "路口", "message": "纠纷"})
    assert response.status_code == 302
    # an officer's override is refused on the form, a leader's is accepted
    small = {**form, "members": [m.pk for m in members[:3]], "override_reason": "片区小"}
    response = client.post(f"/enterprises/alliances/{alliance.pk}/edit/", small)
    assert response.status_code == 400 and "所领导" in response.content.decode()
    client.force_login(leader)
    assert client.post(f"/enterprises/alliances/{alliance.pk}/edit/", small).status_code == 302
    assert alliance.memberships.count() == 3
    client.force_login(officer)
    response = client.post(
        "/enterprises/responses/new/",
        {
            "alliance": alliance.pk,
            "member": e.pk,
            "occurred_at": now,
            "place": "路口",
            "action_taken": "劝阻",
            "outcome": "平息",
        },
    )
    assert response.status_code == 302
    fr = FirstResponse.objects.get()
    assert client.post(f"/enterprises/responses/{fr.pk}/confirm/").status_code == 302
    fr.refresh_from_db()
    assert fr.status == "confirmed"


def test_workbench_panels(client, officer, make_user, station):
    ServiceRequestFactory(enterprise=enterprise_for(station))
    client.force_login(officer)
    assert "待上门的企业服务需求" in client.get("/").content.decode()
    liaison = make_user(Role.LIAISON, username="lia")
    ServiceRequestFactory(enterprise=liaison.enterprise, status=RequestStatus.SERVICED)
    client.force_login(liaison)
    assert "待评价的服务" in client.get("/").content.decode()


def test_schema_has_the_endpoints(api_as, admin_user):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in [
        "/api/v1/enterprises/",
        "/api/v1/enterprise-imports/",
        "/api/v1/service-types/",
        "/api/v1/lecturer-teams/",
        "/api/v1/service-requests/{id}/feedback/",
        "/api/v1/service-requests/{id}/assign/",
        "/api/v1/service-visits/",
        "/api/v1/referrals/{id}/status/",
        "/api/v1/lectures/",
        "/api/v1/alliances/{id}/call/",
        "/api/v1/watch-calls/",
        "/api/v1/first-responses/{id}/confirm/",
        "/api/v1/kpis/enterprise-services/",
        "/api/v1/kpis/watch/",
    ]:
        assert path in paths, path
    params = {p["name"] for p in paths["/api/v1/service-visits/"]["get"]["parameters"]}
    assert {"from", "to", "station", "enterprise", "service_type"} <= params
    kpi = paths["/api/v1/kpis/enterprise-services/"]["get"]
    assert {p["name"] for p in kpi["parameters"]} >= {"from", "to", "station"}


# --- bad filter input: a 400 page with the errors next to the fields, no rows --------------------------

LISTS = {
    "/enterprises/registry/": ("没有符合条件的企业。", {"kind": "bogus"}, "bogus"),
    "/enterprises/requests/": ("没有服务需求。", {"from": "2026-02-30"}, "输入一个有效的日期"),
    "/enterprises/visits/": ("没有走访记录。", {"to": "tomorrow"}, "输入一个有效的日期"),
    "/enterprises/referrals/": ("没有移送记录。", {"status": "bogus"}, "bogus"),
    "/enterprises/lectures/": ("没有宣讲记录。", {"enterprise": "abc"}, "输入一个数字"),
    "/enterprises/alliances/": ("没有联盟。", {"is_active": "perhaps"}, "请选择“是”或“否”，或留空表示不限。"),
    "/enterprises/responses/": ("没有先期处置记录。", {"status": "bogus"}, "bogus"),
}


@pytest.fixture
def one_of_each(station):
    enterprise = EnterpriseFactory(station=station)
    ServiceRequestFactory(enterprise=enterprise)
    from .factories import FirstResponseFactory, LectureFactory, VisitFactory

    VisitFactory(enterprise=enterprise)
    ReferralFactory(enterprise=enterprise)
    LectureFactory(station=station)
    FirstResponseFactory(alliance=AllianceFactory(station=station, members__n=3))


@pytest.mark.parametrize("url", list(LISTS))
def test_list_bad_filter_is_400_with_errors_and_no_rows(client, officer, other_station, one_of_each, url):
    empty, bad, message = LISTS[url]
    client.force_login(officer)
    ok = client.get(url, {"station": officer.station.code})
    assert ok.status_code == 200 and empty not in ok.content.decode()
    for query, text in ((bad, message), ({"station": other_station.code}, "不存在或不在您的管辖范围内")):
        response = client.get(url, query)
        html = response.content.decode()
        assert response.status_code == 400, query
        assert text in html and 'class="error" role="alert"' in html, query
        assert empty in html, query  # no rows


def test_liaison_filtering_by_station_is_400(client, make_user, station, one_of_each):
    client.force_login(make_user(Role.LIAISON, username="lia"))
    response = client.get("/enterprises/requests/", {"station": station.code})
    assert response.status_code == 400 and "不存在或不在您的管辖范围内" in response.content.decode()
    assert client.get("/enterprises/requests/").status_code == 200


def test_overview_bad_period_or_other_station_is_400_without_figures(client, officer, other_station):
    client.force_login(officer)
    ok = client.get("/enterprises/", {"date_from": "2026-01-01", "date_to": "2026-01-31"})
    assert ok.status_code == 200 and 'data-kpi="visits"' in ok.content.decode()
    for query, message in (
        ({"date_from": "2026-13-01"}, "输入一个有效的日期"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "“截止日期”不能早于“起始日期”。"),
        ({"station": other_station.pk}, "选择一个有效的选项"),
    ):
        response = client.get("/enterprises/", query)
        html = response.content.decode()
        assert response.status_code == 400 and message in html, query
        assert 'data-kpi="visits"' not in html and other_station.name not in html, query
