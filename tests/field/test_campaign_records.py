"""Campaign totals from the records (issue 22, item 3): the summary equals sums taken directly from its
operations, patrols, inspections and problems; typed tallies shown apart, never added twice."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from qianwan.org.choices import Role
from risks import selectors, services
from risks.models import CampaignOperation, CampaignViolationTally, InspectionProblem, VenueInspection
from tests.errors import error_fields
from tests.risks.factories import make_campaign
from tests.traffic.factories import make_patrol, make_zone, team_with_members
from traffic.models import Patrol, PatrolViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(station, bureau, officer, leader, make_user):
    campaign = make_campaign()
    zone = make_zone(stations=[station])
    team = team_with_members(station)
    make_user(Role.OFFICER, username="p1")
    make_user(Role.OFFICER, username="p2")
    return {"campaign": campaign, "zone": zone, "team": team}


def direct_sums(campaign):
    ops = CampaignOperation.objects.filter(campaign=campaign)
    patrols = Patrol.objects.filter(campaign=campaign)
    tallies = CampaignViolationTally.objects.filter(campaign=campaign)
    problems = InspectionProblem.objects.filter(inspection__campaign=campaign)
    loose = [p for p in patrols if p.operation_id is None]
    return {
        "operations": ops.count(),
        "officer_deployments": sum(o.officers_deployed for o in ops)
        + sum(p.officers for p in loose)
        + sum(t.officers_deployed for t in tallies),
        "venues_inspected": VenueInspection.objects.filter(campaign=campaign).count(),
        "problems_found": problems.count(),
        "problems_rectified": problems.filter(rectified_at__isnull=False).count(),
        "violations": (
            PatrolViolation.objects.filter(patrol__campaign=campaign).aggregate(n=Sum("count"))["n"] or 0
        )
        + sum(t.count for t in tallies),
    }


def test_summary_equals_sums_of_its_records(setting, station, bureau, officer, api_as):
    campaign, zone, team = setting["campaign"], setting["zone"], setting["team"]
    today = timezone.localdate()
    op = services.operation_create(
        actor=bureau, campaign=campaign, date=today, title="夜查", officers_deployed=20, stations=[station],
        named_officers=["p1", "p2"],
    )  # fmt: skip
    assert [u.username for u in op.named_officers.all()] == ["p1", "p2"]
    before = selectors.campaign_summary(campaign=campaign)
    # a patrol naming the campaign with 7 violations and 4 officers changes the summary
    make_patrol(
        zone,
        team,
        kind="campaign",
        campaign=campaign,
        officers=4,
        violations={"speeding": 5, "drunk_driving": 2},
    )
    after = selectors.campaign_summary(campaign=campaign)
    assert after["violations"] == before["violations"] + 7
    assert after["officer_deployments"] == before["officer_deployments"] + 4
    # under an operation: its violations count, its head count is the operation's (once)
    make_patrol(
        zone, team, kind="campaign", campaign=campaign, operation=op, officers=6, violations={"no_helmet": 3}
    )
    under = selectors.campaign_summary(campaign=campaign)
    assert under["violations"] == after["violations"] + 3
    assert under["officer_deployments"] == after["officer_deployments"]
    inspection = services.inspection_create(
        actor=officer, campaign=campaign, station=station, venue_name="宾馆", venue_type="hotel",
        inspected_on=today, problems=["消防通道堵塞", "登记不全"],
    )  # fmt: skip
    services.problem_rectify(actor=officer, problem=inspection.problems.first(), note="已整改")
    services.violations_record(
        actor=officer, campaign=campaign, station=station, date=today, count=11, officers_deployed=8
    )
    summary = selectors.campaign_summary(campaign=campaign)
    sums = direct_sums(campaign)
    assert {k: summary[k] for k in sums} == sums
    assert summary["manual"] == {"violations": 11, "officer_deployments": 8}
    assert summary["violations"] == 7 + 3 + 11 and summary["officer_deployments"] == 20 + 4 + 8
    body = api_as(bureau).get(f"/api/v1/campaigns/{campaign.pk}/summary/").json()
    assert body["manual"] == {"violations": 11, "officer_deployments": 8} and body["violations"] == 21


def test_more_named_officers_than_head_count_is_400(setting, station, officer, api_as, bureau):
    campaign, zone, team = setting["campaign"], setting["zone"], setting["team"]
    start = timezone.now() - timedelta(hours=2)
    resp = api_as(officer).post(
        "/api/v1/traffic/patrols/",
        {
            "team": team.pk, "zone": zone.code, "kind": "campaign", "campaign": campaign.pk,
            "started_at": start.isoformat(), "ended_at": (start + timedelta(hours=1)).isoformat(),
            "officers": 1, "named_officers": ["p1", "p2"],
        },
        format="json",
    )  # fmt: skip
    assert resp.status_code == 400 and "named_officers" in error_fields(resp)
    assert not Patrol.objects.exists()
    resp = api_as(bureau).post(
        f"/api/v1/campaigns/{campaign.pk}/operations/",
        {"date": timezone.localdate().isoformat(), "title": "夜查", "officers_deployed": 1,
         "stations": [station.code], "named_officers": ["p1", "p2"]},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 400 and "named_officers" in error_fields(resp)
    assert not CampaignOperation.objects.exists()


def test_patrol_api_names_operation_and_officers(setting, station, officer, bureau, api_as):
    campaign, zone, team = setting["campaign"], setting["zone"], setting["team"]
    op = services.operation_create(
        actor=bureau,
        campaign=campaign,
        date=timezone.localdate(),
        title="夜查",
        officers_deployed=5,
        stations=[station],
    )
    start = timezone.now() - timedelta(hours=2)
    resp = api_as(officer).post(
        "/api/v1/traffic/patrols/",
        {
            "team": team.pk, "zone": zone.code, "kind": "campaign", "campaign": campaign.pk, "operation": op.pk,
            "started_at": start.isoformat(), "ended_at": (start + timedelta(hours=1)).isoformat(),
            "officers": 3, "named_officers": ["p1"], "violations": [{"type": "speeding", "count": 2}],
        },
        format="json",
    )  # fmt: skip
    assert resp.status_code == 201, resp.content
    assert resp.json()["operation"] == op.pk and resp.json()["named_officers"] == ["p1"]


def test_patrol_form_warns_of_a_typed_tally(setting, station, officer, client):
    campaign, zone, team = setting["campaign"], setting["zone"], setting["team"]
    start = timezone.localtime(timezone.now() - timedelta(hours=2))
    services.violations_record(actor=officer, campaign=campaign, station=station, date=start.date(), count=9)
    client.force_login(officer)
    resp = client.post(
        "/traffic/patrols/new/",
        {
            "team": team.pk, "zone": zone.pk, "kind": "campaign", "campaign": campaign.pk,
            "started_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "officers": 2, "v_speeding": 3,
        },
        follow=True,
    )  # fmt: skip
    assert resp.status_code == 200
    assert "已有手工录入的违法统计（9 起）" in resp.content.decode()
    summary = selectors.campaign_summary(campaign=campaign)
    assert summary["violations"] == 12 and summary["manual"]["violations"] == 9


def test_dashboard_card_and_monthly_report_read_the_same_summary(setting, station, officer, bureau, client):
    from datetime import timedelta as _td

    from qianwan.dashboard import selectors as dashboard
    from qianwan.dashboard.periods import parse_period

    campaign, zone, team = setting["campaign"], setting["zone"], setting["team"]
    make_patrol(zone, team, kind="campaign", campaign=campaign, officers=4, violations={"speeding": 7})
    services.violations_record(
        actor=officer, campaign=campaign, station=station, date=timezone.localdate(), count=5
    )
    today = timezone.localdate()
    period = parse_period({"period": "custom", "from": str(today - _td(days=20)), "to": str(today)})
    data = dashboard.figures(user=bureau, period=period)
    rows = [c for s in data["sections"] for c in s.get("campaigns", [])]
    row = next(c for c in rows if c["name"] == campaign.name)
    summary = selectors.campaign_summary(campaign=campaign)
    assert row["violations"] == summary["violations"] == 12
    assert row["manual"] == summary["manual"] == {"violations": 5, "officer_deployments": 0}
    client.force_login(bureau)
    page = client.get(f"/dashboard/?period=custom&from={today - _td(days=20)}&to={today}").content.decode()
    assert 'data-manual="violations"' in page
    # the monthly report's workbook is built from the same figures
    import io

    from openpyxl import load_workbook

    from qianwan.dashboard import workbook

    book = load_workbook(io.BytesIO(workbook.build(data, title="月报")))
    cells = [[c.value for c in r] for ws in book.worksheets for r in ws.iter_rows()]
    line = next(r for r in cells if r and r[0] == campaign.name)
    assert line[2] == 4 and line[7:10] == [
        12,
        5,
        0,
    ]  # deployments; violations, typed violations, typed deployments
