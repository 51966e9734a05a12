"""Pages: render, forms keep input on error, create from an incident / inbound event, export, query counts."""

from io import BytesIO

import pytest
import time_machine
from django.urls import reverse

from disputes.models import Dispute
from qianwan.audit.models import AuditEntry
from qianwan.exchange.models import InboundEvent, OutboundEvent
from qianwan.org.choices import Role
from tests.disputes.factories import (
    handled_dispute,
    local,
    make_block,
    make_dispute,
    make_incident,
    raw_dispute,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, officer):
    client.force_login(officer)
    return client


PAGES = ["index", "create", "triage", "followups_due", "analysis", "blocks", "casefiles"]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["officer", "station_leader", "bureau_leader", "admin"])
def test_pages_render_for_staff(client, make_user, station, name, role):
    user = make_user(role, username=f"u-{role}")
    make_dispute(station, make_user(Role.OFFICER, username="maker"))
    client.force_login(user)
    response = client.get(reverse(f"disputes:{name}"))
    assert response.status_code == 200, (name, role)


@pytest.mark.parametrize("role", ["grid_client", "liaison"])
def test_pages_refuse_other_roles(client, make_user, role):
    client.force_login(make_user(role, username=f"u-{role}"))
    assert client.get(reverse("disputes:index")).status_code == 403
    client.logout()
    assert client.get(reverse("disputes:index")).status_code == 302


def test_detail_other_station_is_404(web, make_user, other_station):
    dispute = make_dispute(other_station, make_user(Role.OFFICER, station_=other_station, username="x"))
    assert web.get(reverse("disputes:detail", args=[dispute.pk])).status_code == 404
    assert web.post(reverse("disputes:action", args=[dispute.pk, "resolve"])).status_code == 404


def test_create_from_incident_prefills_and_links(web, officer):
    incident = make_incident(officer.station, description="邻居装修噪音争吵")
    page = web.get(reverse("disputes:create") + f"?incident={incident.pk}")
    assert page.status_code == 200
    assert "邻居装修噪音争吵" in page.content.decode() and incident.number in page.content.decode()
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "category": "neighbour",
            "risk_level": "medium",
            "station": officer.station_id,
            "party1_name": "王五",
            "party1_phone": "13700003333",
        }
    )
    response = web.post(reverse("disputes:create"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    dispute = Dispute.objects.get(incident=incident)
    assert dispute.channel == "mediation" and dispute.parties.get().name == "王五"
    # a second time: straight to the existing dispute
    again = web.get(reverse("disputes:create") + f"?incident={incident.pk}")
    assert again.status_code == 302 and again.url == reverse("disputes:detail", args=[dispute.pk])


def test_create_form_keeps_input_on_error(web, officer):
    response = web.post(
        reverse("disputes:create"),
        {
            "station": officer.station_id,
            "category": "family",
            "risk_level": "",
            "summary": "夫妻争吵保留文字",
        },
    )
    assert response.status_code == 400
    assert "夫妻争吵保留文字" in response.content.decode() and "risk_level" in response.context["form"].errors


def test_accept_inbound_event_as_dispute(web, officer, grid):
    from qianwan.exchange.services import inbound_receive

    event, _ = inbound_receive(
        actor=grid,
        data={
            "external_id": "GRID-1",
            "source": "grid",
            "category": "neighbour",
            "title": "楼道堆物纠纷",
            "description": "两户争吵",
            "address": "兴业路",
            "lat": 30.283,
            "lon": 121.187,
        },
    )
    detail = web.get(reverse("exchange:inbound_detail", args=[event.pk]))
    assert "受理为纠纷" in detail.content.decode()
    form = web.get(reverse("disputes:create") + f"?inbound={event.pk}").context["form"]
    assert form.initial["category"] == "neighbour"
    data = {k: v for k, v in form.initial.items() if v not in (None, "")}
    data.update({"risk_level": "low", "station": officer.station_id})
    response = web.post(reverse("disputes:create"), data)
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    dispute = Dispute.objects.get(inbound_event=event)
    assert (
        event.status == "accepted"
        and event.result_type == "disputes.dispute"
        and event.result_id == str(dispute.pk)
    )
    assert OutboundEvent.objects.filter(kind="inbound_status", source_id=str(event.pk)).exists()
    assert web.post(reverse("disputes:create"), data).status_code == 400  # already accepted


def test_detail_actions_resolve_followup_retriage(web, officer, client, leader):
    dispute = make_dispute(officer.station, officer)
    url = reverse("disputes:detail", args=[dispute.pk])
    assert "张三" in web.get(url).content.decode()
    assert web.post(reverse("disputes:action", args=[dispute.pk, "resolve"]), {"note": ""}).status_code == 302
    response = web.post(reverse("disputes:action", args=[dispute.pk, "followup"]), {"outcome": "bogus"})
    assert response.status_code == 400
    web.post(reverse("disputes:action", args=[dispute.pk, "followup"]), {"outcome": "stable", "note": "平稳"})
    dispute.refresh_from_db()
    assert dispute.status == "handled" and dispute.followups.count() == 1
    assert web.post(reverse("disputes:action", args=[dispute.pk, "retriage"]), {}).status_code == 403
    client.force_login(leader)
    response = client.post(
        reverse("disputes:action", args=[dispute.pk, "retriage"]),
        {"risk_level": "high", "reason": "扬言报复"},
    )
    assert response.status_code == 302
    assert Dispute.objects.get(pk=dispute.pk).channel == "multi_department"
    assert client.post(reverse("disputes:action", args=[dispute.pk, "nope"])).status_code == 404


def test_bureau_sees_masked_and_reveal_is_audited(client, bureau, officer):
    dispute = make_dispute(officer.station, officer)
    client.force_login(bureau)
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "张*" in page and "张三" not in page and "138****1111" in page
    revealed = client.post(reverse("disputes:reveal", args=[dispute.pk])).content.decode()
    assert "张三" in revealed
    assert AuditEntry.objects.filter(action="disputes.parties.reveal", actor=bureau).exists()


def test_export_xlsx(web, officer):
    from openpyxl import load_workbook

    make_dispute(officer.station, officer, category="labour")
    make_dispute(officer.station, officer, category="family")
    response = web.get(reverse("disputes:index") + "?category=labour&export=xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    assert len(rows) == 2 and rows[1][3] == "劳资纠纷（欠薪）"


def test_list_query_count_does_not_grow(web, officer, django_assert_max_num_queries, api_as):
    block = make_block(officer.station, officer=officer)
    for _i in range(3):
        make_dispute(officer.station, officer, incident=make_incident(officer.station))
    with django_assert_max_num_queries(12) as small:
        web.get(reverse("disputes:index"))
    for i in range(25):
        make_dispute(officer.station, officer, incident=make_incident(officer.station))
        raw_dispute(officer.station, local(2026, 5, 1 + i, 10, 0), block=block)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert web.get(reverse("disputes:index")).status_code == 200
    client = api_as(officer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/api/v1/disputes/?page_size=100").json()["count"] == 53


def test_due_lists_query_count(web, officer, api_as, django_assert_max_num_queries):
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        handled_dispute(officer.station, officer)
    with time_machine.travel(local(2026, 6, 10, 10, 0), tick=False):
        with django_assert_max_num_queries(12) as small:
            web.get(reverse("disputes:followups_due"))
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        for _ in range(15):
            handled_dispute(officer.station, officer)
    with time_machine.travel(local(2026, 6, 10, 10, 0), tick=False):
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = web.get(reverse("disputes:followups_due"))
        assert len(page.context["page"]) == 16
        client = api_as(officer)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get("/api/v1/disputes/followups-due/").json()["count"] == 16


def test_analysis_page_shows_tables(client, leader, station):
    block = make_block(station, "兴业路片区")
    with time_machine.travel(local(2026, 6, 30, 10, 0), tick=False):
        for i in range(6):
            raw_dispute(station, local(2026, 3, 1 + i, 21, 0), block=block)
        client.force_login(leader)
        page = client.get(reverse("disputes:analysis") + "?date_from=2026-01-01&date_to=2026-06-30")
    html = page.content.decode()
    assert page.status_code == 200 and "兴业路片区" in html and "<svg" in html and "heat-5" in html


def test_workbench_panel(client, officer):
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        dispute = handled_dispute(officer.station, officer)
    with time_machine.travel(local(2026, 6, 10, 10, 0), tick=False):
        client.force_login(officer)
        html = client.get("/").content.decode()
    assert dispute.number in html


def test_casefile_page_create(web, officer):
    response = web.post(
        reverse("disputes:casefiles"),
        {"category": "labour", "title": "欠薪档案", "measures": "约谈", "review_every_days": 30},
    )
    assert response.status_code == 302
    assert "欠薪档案" in web.get(reverse("disputes:casefiles")).content.decode()
    assert (
        web.post(
            reverse("disputes:casefiles"), {"category": "labour", "title": "重复", "review_every_days": 30}
        ).status_code
        == 400
    )


def test_inbound_template_shows_button_only_when_pending(web, officer, grid):
    event = InboundEvent.objects.create(
        external_id="G-2", source="grid", category="x", title="t", station=officer.station, status="handled"
    )
    assert "受理为纠纷" not in web.get(reverse("exchange:inbound_detail", args=[event.pk])).content.decode()


# --- bad filter input: a 400 page with the errors next to the fields, no rows, no file ----------------


def test_list_bad_filters_are_400_with_errors_and_no_rows(web, officer, other_station):
    dispute = make_dispute(officer.station, officer, category="labour")
    ok = web.get(reverse("disputes:index"), {"category": "labour", "occurred_after": "2000-01-01"})
    assert ok.status_code == 200 and dispute.number in ok.content.decode()
    for query, message in (
        ({"occurred_after": "2026-02-30"}, "日期格式应为 YYYY-MM-DD 或 ISO 8601 时间。"),
        ({"occurred_before": "yesterday"}, "日期格式应为 YYYY-MM-DD 或 ISO 8601 时间。"),
        ({"category": "bogus"}, "bogus"),
        ({"o": "colour"}, "colour"),
        ({"station": other_station.code}, f"派出所代码“{other_station.code}”不存在或不在您的管辖范围内。"),
    ):
        response = web.get(reverse("disputes:index"), query)
        html = response.content.decode()
        assert response.status_code == 400, query
        assert message in html and 'class="error" role="alert"' in html, query
        assert dispute.number not in html and "没有符合条件的纠纷" in html, query
        export = web.get(reverse("disputes:index"), {**query, "export": "xlsx"})
        assert export.status_code == 400 and "spreadsheetml" not in export["Content-Type"], query
        assert message in export.content.decode() and dispute.number not in export.content.decode()


def test_analysis_bad_period_or_other_station_is_400_without_figures(client, leader, other_station):
    block = make_block(leader.station, "兴业路片区")
    with time_machine.travel(local(2026, 6, 30, 10, 0), tick=False):
        raw_dispute(leader.station, local(2026, 3, 1, 21, 0), block=block)
        client.force_login(leader)
        url = reverse("disputes:analysis")
        ok = client.get(
            url, {"date_from": "2026-01-01", "date_to": "2026-06-30", "station": leader.station.pk}
        )
        assert ok.status_code == 200 and "兴业路片区" in ok.content.decode()
        for query, message in (
            ({"date_from": "2026-13-01"}, "输入一个有效的日期"),
            ({"date_from": "2026-06-30", "date_to": "2026-01-01"}, "“结束日期”不能早于“开始日期”。"),
            ({"station": other_station.pk}, "选择一个有效的选项"),
        ):
            response = client.get(url, query)
            html = response.content.decode()
            assert response.status_code == 400 and message in html, query
            assert "兴业路片区" not in html and "heat-" not in html and other_station.name not in html, query
