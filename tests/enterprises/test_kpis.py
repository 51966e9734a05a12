"""KPIs per station and period: visits, services by type, lectures, audience, satisfaction with its
counts and Wilson interval, response time (nearest rank)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from enterprises import selectors
from enterprises.choices import RequestStatus
from qianwan.kpi import wilson_interval

from .factories import (
    EnterpriseFactory,
    LectureFactory,
    ServiceRequestFactory,
    ServiceTypeFactory,
    VisitFactory,
)

TZ = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/kpis/enterprise-services/?from=2026-06-01&to=2026-06-30"


def at(day, hour=10):
    return datetime(2026, 6, day, hour, tzinfo=TZ)


@pytest.fixture
def data(station, other_station):
    screening = ServiceTypeFactory(code="talent-screening", name="人才入职审查")
    patrol = ServiceTypeFactory(code="area-patrol", name="片区安保大巡防")
    e = EnterpriseFactory(station=station)
    # response times (hours): 1, 2, 3, 4, 10 → P50 = 3 h, P90 = 10 h (nearest rank)
    for i, hours in enumerate([1, 2, 3, 4, 10]):
        r = ServiceRequestFactory(
            enterprise=e,
            service_type=screening if i < 3 else patrol,
            requested_at=at(5 + i),
            first_visit_at=at(5 + i) + timedelta(hours=hours),
            status=RequestStatus.CLOSED,
            satisfied=i != 4,
            score=5 if i != 4 else 2,
            feedback_at=at(20 + i),
        )
        VisitFactory(enterprise=e, request=r, service_type=r.service_type, visited_at=r.first_visit_at)
    ServiceRequestFactory(enterprise=e, service_type=screening, requested_at=at(28))  # still waiting
    VisitFactory(enterprise=e, visited_at=at(1, 0) - timedelta(minutes=1))  # 31 May 23:59 local: outside
    VisitFactory(enterprise=e, visited_at=at(30, 23))  # inside
    LectureFactory(station=station, held_on=at(3).date(), audience_count=300, enterprises=[e])
    LectureFactory(station=station, held_on=at(4).date(), audience_count=450, enterprises=[e])
    LectureFactory(station=station, held_on=at(4).date().replace(month=7), audience_count=999)
    # another station's records never leak into ADS figures
    x = EnterpriseFactory(station=other_station)
    ServiceRequestFactory(
        enterprise=x,
        requested_at=at(6),
        status=RequestStatus.CLOSED,
        satisfied=False,
        score=1,
        feedback_at=at(7),
    )
    VisitFactory(enterprise=x, visited_at=at(6))
    LectureFactory(station=other_station, held_on=at(6).date(), audience_count=5000)


def test_service_kpis_for_an_officer(api_as, officer, data):
    body = api_as(officer).get(URL).json()
    assert body["visits"] == 6
    assert body["requests"] == 6
    assert (body["lectures"], body["audience"]) == (2, 750)
    s = body["satisfaction"]
    assert (s["successes"], s["n"], s["shown"]) == (4, 5, True)
    assert s["rate"] == pytest.approx(0.8)
    low, high = wilson_interval(4, 5)
    assert (s["ci_low"], s["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert s["mean_score"] == pytest.approx(4.4)
    rt = body["response_time"]
    assert (rt["n"], rt["waiting"], rt["p50_seconds"], rt["p90_seconds"]) == (5, 1, 3 * 3600, 10 * 3600)
    by_type = {row["code"]: row for row in body["services_by_type"]}
    assert (by_type["talent-screening"]["services"], by_type["talent-screening"]["requests"]) == (3, 4)
    assert by_type["area-patrol"]["services"] == 2


def test_bureau_sees_all_or_one_station(api_as, bureau, data):
    everything = api_as(bureau).get(URL).json()
    assert (
        everything["visits"] == 7 and everything["satisfaction"]["n"] == 6 and everything["audience"] == 5750
    )
    only_ads = api_as(bureau).get(URL + "&station=ADS").json()
    assert only_ads["visits"] == 6
    assert api_as(bureau).get(URL + "&station=NOPE").status_code == 400


def test_officer_asking_for_another_station_is_403(api_as, officer, data):
    assert api_as(officer).get(URL + "&station=CSS").status_code == 403


def test_bad_period_is_400(api_as, officer, station):
    assert (
        api_as(officer).get("/api/v1/kpis/enterprise-services/?from=2026-06-30&to=2026-06-01").status_code
        == 400
    )
    assert api_as(officer).get("/api/v1/kpis/enterprise-services/").status_code == 400


def test_empty_period_gives_nulls_not_errors(api_as, officer, station):
    body = api_as(officer).get("/api/v1/kpis/enterprise-services/?from=2020-01-01&to=2020-01-31").json()
    assert body["satisfaction"]["rate"] is None and body["satisfaction"]["ci_low"] is None
    assert body["response_time"]["p50_seconds"] is None


def test_few_feedbacks_are_flagged_not_shown(officer, station):
    e = EnterpriseFactory(station=station)
    ServiceRequestFactory(
        enterprise=e, status=RequestStatus.CLOSED, satisfied=True, score=5, feedback_at=at(10)
    )
    result = selectors.satisfaction(user=officer, date_from=at(1).date(), date_to=at(30).date())
    assert (result["n"], result["shown"]) == (1, False)


def test_liaison_and_grid_cannot_read_kpis(api_as, make_user, grid, station):
    from qianwan.org.choices import Role

    assert api_as(make_user(Role.LIAISON, username="lia")).get(URL).status_code == 403
    assert api_as(grid).get(URL).status_code == 403


def test_overview_page_shows_the_figures(client, officer, data):
    client.force_login(officer)
    html = client.get("/enterprises/?date_from=2026-06-01&date_to=2026-06-30").content.decode()
    assert 'data-kpi="visits">6<' in html
    assert "80.0%" in html and "4 / 5" in html
