"""Campaign summary computed from its records; bad input; station shares."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qianwan.org.choices import Role
from risks import selectors, services
from risks.models import InspectionProblem
from tests.errors import error_fields

from .factories import make_campaign, make_risk_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return make_campaign()


def test_summary_counts_every_kind_of_record(
    api_as, bureau, leader, officer, other_station, make_user, campaign
):
    today = timezone.localdate()
    css_officer = make_user(Role.OFFICER, station_=other_station, username="css-c")
    services.operation_create(
        actor=bureau,
        campaign=campaign,
        date=today,
        title="全域夜查",
        officers_deployed=120,
        stations=[officer.station, other_station],
    )
    services.operation_create(
        actor=leader,
        campaign=campaign,
        date=today,
        title="庵东专项",
        officers_deployed=30,
        stations=[officer.station],
    )
    a = services.inspection_create(
        actor=officer,
        campaign=campaign,
        station=officer.station,
        venue_name="星光KTV",
        venue_type="entertainment",
        inspected_on=today,
        problems=["安全出口堵塞", "灭火器过期", ""],
    )
    services.inspection_create(
        actor=officer,
        campaign=campaign,
        station=officer.station,
        venue_name="星光KTV",
        venue_type="entertainment",
        inspected_on=today,
        problems=[],
    )
    services.inspection_create(
        actor=css_officer,
        campaign=campaign,
        station=other_station,
        venue_name="崇寿旅馆",
        venue_type="hotel",
        inspected_on=today,
        problems=["未登记住客"],
    )
    first, second = a.problems.all()
    services.problem_rectify(actor=officer, problem=first, note="当场清理")
    hazard = services.problem_promote(
        actor=officer,
        problem=second,
        category="fire",
        level="medium",
        rectify_by=timezone.now() + timedelta(days=7),
    )
    services.violations_record(
        actor=officer, campaign=campaign, station=officer.station, date=today, count=40
    )
    services.violations_record(
        actor=officer, campaign=campaign, station=officer.station, date=today, count=45
    )  # corrected, not added
    services.violations_record(
        actor=css_officer, campaign=campaign, station=other_station, date=today, count=10
    )

    total = selectors.campaign_summary(campaign=campaign)
    assert total == {
        "operations": 2,
        "officer_deployments": 150,
        "venues_inspected": 3,
        "distinct_venues": 2,
        "problems_found": 3,
        "problems_rectified": 1,
        "problems_to_hazards": 1,
        "rectified_rate": pytest.approx(1 / 3),
        "violations": 55,
        "patrols": 0,
        "manual": {"violations": 55, "officer_deployments": 0},
    }
    # the promoted problem counts as rectified once its hazard is rectified
    services.hazard_rectify(actor=officer, hazard=hazard)
    assert selectors.campaign_summary(campaign=campaign)["problems_rectified"] == 2
    ads = selectors.campaign_summary(campaign=campaign, station=officer.station)
    assert ads["operations"] == 2 and ads["venues_inspected"] == 2 and ads["violations"] == 45
    # the API gives station roles their own share, bureau the whole
    r = api_as(officer).get(f"/api/v1/campaigns/{campaign.pk}/summary/")
    assert r.status_code == 200 and r.json()["violations"] == 45
    assert api_as(bureau).get(f"/api/v1/campaigns/{campaign.pk}/summary/").json()["violations"] == 55
    assert api_as(officer).get(f"/api/v1/campaigns/{campaign.pk}/summary/?station=CSS").status_code == 403


def test_bad_campaign_input(api_as, bureau, officer, leader, other_station, campaign):
    client = api_as(bureau)
    r = client.post(
        "/api/v1/campaigns/",
        {"name": "反了", "starts_on": "2026-09-01", "ends_on": "2026-06-01"},
        format="json",
    )
    assert r.status_code == 400 and "ends_on" in error_fields(r)
    outside = (campaign.ends_on + timedelta(days=1)).isoformat()
    r = api_as(leader).post(
        f"/api/v1/campaigns/{campaign.pk}/operations/",
        {"date": outside, "title": "x", "officers_deployed": 3},
        format="json",
    )
    assert r.status_code == 400 and "date" in error_fields(r)
    r = api_as(leader).post(
        f"/api/v1/campaigns/{campaign.pk}/operations/",
        {"date": campaign.starts_on.isoformat(), "title": "x", "officers_deployed": -1},
        format="json",
    )
    assert r.status_code == 400
    r = api_as(officer).post(
        f"/api/v1/campaigns/{campaign.pk}/inspections/",
        {
            "station": "ADS",
            "venue_name": "x",
            "venue_type": "spaceport",
            "inspected_on": campaign.starts_on.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 400 and "venue_type" in error_fields(r)
    r = api_as(officer).post(
        f"/api/v1/campaigns/{campaign.pk}/inspections/",
        {
            "station": "CSS",
            "venue_name": "x",
            "venue_type": "hotel",
            "inspected_on": campaign.starts_on.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 403
    r = api_as(officer).post(
        f"/api/v1/campaigns/{campaign.pk}/violations/",
        {"station": "ADS", "date": outside, "count": 1},
        format="json",
    )
    assert r.status_code == 400


def test_problem_promote_and_rectify_rules(api_as, officer, campaign):
    inspection = services.inspection_create(
        actor=officer,
        campaign=campaign,
        station=officer.station,
        venue_name="阳光网吧",
        venue_type="internet_cafe",
        inspected_on=campaign.starts_on,
        problems=["未实名", "消防通道堵塞"],
    )
    p1, p2 = inspection.problems.all()
    client = api_as(officer)
    deadline = (timezone.localdate() + timedelta(days=5)).isoformat()
    assert (
        client.post(
            f"/api/v1/campaign-problems/{p1.pk}/promote/",
            {"category": "fire", "level": "nuclear", "rectify_by": deadline},
            format="json",
        ).status_code
        == 400
    )
    r = client.post(
        f"/api/v1/campaign-problems/{p1.pk}/promote/",
        {"category": "fire", "level": "high", "rectify_by": deadline},
        format="json",
    )
    assert r.status_code == 201 and r.json()["status"] == "open" and "阳光网吧" in r.json()["title"]
    assert (
        client.post(
            f"/api/v1/campaign-problems/{p1.pk}/promote/",
            {"category": "fire", "level": "high", "rectify_by": deadline},
            format="json",
        ).status_code
        == 409
    )
    assert client.post(f"/api/v1/campaign-problems/{p1.pk}/rectify/", {}, format="json").status_code == 409
    assert (
        client.post(
            f"/api/v1/campaign-problems/{p2.pk}/rectify/", {"note": "已清理"}, format="json"
        ).status_code
        == 200
    )
    assert client.post(f"/api/v1/campaign-problems/{p2.pk}/rectify/", {}, format="json").status_code == 409
    assert InspectionProblem.objects.filter(hazard__isnull=False).count() == 1


def test_dashboard_lists_the_campaigns_of_the_period(api_as, bureau):
    def campaigns():
        body = api_as(bureau).get("/api/v1/dashboard/figures/").json()
        (hazards,) = [s for s in body["sections"] if s["key"] == "hazards"]
        return hazards["campaigns"]

    assert campaigns() == []
    make_campaign(
        name="去年行动",
        starts_on=timezone.localdate() - timedelta(days=400),
        ends_on=timezone.localdate() - timedelta(days=300),
    )
    make_campaign(name="当前行动")
    (running,) = campaigns()
    assert running["name"] == "当前行动" and running["operations"] == 0


def test_a_missing_or_malformed_posted_id_is_404(client, officer, leader, campaign):
    """The campaign page's problem_id and the risk point page's review_id: 404 like an unknown id."""
    client.force_login(officer)
    for value in (None, "", "abc", "²", "999999"):
        data = {"step": "rectify"} if value is None else {"step": "rectify", "problem_id": value}
        assert client.post(f"/risks/campaigns/{campaign.pk}/", data).status_code == 404, value
    point = make_risk_point(leader.station, status="accepted")
    services.work_plan_create(
        actor=leader,
        risk_point=point,
        title="专项整治",
        measures="夜间巡查",
        owner=officer,
        starts_on=timezone.localdate(),
        review_dates=[timezone.localdate() + timedelta(days=30)],
    )
    client.force_login(leader)
    for value in (None, "", "abc", "²", "999999"):
        data = {"step": "review"} if value is None else {"step": "review", "review_id": value}
        assert client.post(f"/risks/risk-points/{point.pk}/", data).status_code == 404, value
