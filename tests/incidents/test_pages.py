"""Server-rendered pages: access, forms, the board's JSON, the list with its Excel export, KPIs."""

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from incidents.models import Incident
from qianwan.exchange import services as exchange_services
from qianwan.org.choices import Role
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db

PAGES = [
    "/incidents/",
    "/incidents/board/",
    "/incidents/board.json",
    "/incidents/new/",
    "/incidents/list/",
    "/incidents/kpi/",
]


@pytest.mark.parametrize("url", PAGES)
def test_page_access(client, make_user, url):
    assert client.get(url).status_code == 302  # anonymous → login
    for role, expected in [(Role.LIAISON, 403), (Role.GRID_CLIENT, 403)]:
        client.force_login(make_user(role, username=f"{role}-x"))
        assert client.get(url).status_code == expected
    for role in (Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN):
        client.force_login(make_user(role, username=f"{role}-y"))
        assert client.get(url, follow=True).status_code == 200


def test_other_station_detail_is_404(client, officer, other_station):
    incident = make_incident(other_station)
    client.force_login(officer)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/incidents/{incident.pk}/events/", {"kind": "dispatched"}).status_code == 404


def test_detail_shows_timeline_clocks_and_dispute_link(client, officer):
    incident = make_incident(officer.station, received_at=timezone.now() - timedelta(seconds=100))
    record(incident, "dispatched", actor=officer, after=40)
    client.force_login(officer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="/disputes/new/?incident={incident.pk}"' in html and "转为纠纷" in html
    assert 'data-event="dispatched"' in html and "13800001234" in html


def test_bureau_leader_sees_masked_phone_on_detail(client, bureau, station):
    incident = make_incident(station)
    client.force_login(bureau)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "138****1234" in html and "13800001234" not in html


def _call_form(officer, received_at: datetime) -> dict:
    return {
        "caller_phone": "13800001234",
        "category": "dispute",
        "address": "兴业路1号",
        "description": "吵架",
        "received_at": timezone.localtime(received_at).strftime("%Y-%m-%dT%H:%M:%S"),
        "station": officer.station.pk,
    }


def test_call_form_creates_and_keeps_input_on_error(client, officer):
    client.force_login(officer)
    response = client.post("/incidents/new/", _call_form(officer, timezone.now() + timedelta(hours=1)))
    assert response.status_code == 400
    html = response.content.decode()
    assert "兴业路1号" in html and "吵架" in html and "5分钟" in html
    assert not Incident.objects.exists()
    response = client.post("/incidents/new/", _call_form(officer, timezone.now()))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.station == officer.station and incident.created_by == officer


def test_officer_cannot_pick_another_station(client, officer, other_station):
    client.force_login(officer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    response = client.post(
        "/incidents/new/",
        {"category": "dispute", "address": "x", "received_at": now, "station": other_station.pk},
    )
    assert response.status_code == 400 and not Incident.objects.exists()


def test_one_click_step_and_conflict_message(client, officer):
    incident = make_incident(officer.station)
    client.force_login(officer)
    response = client.post(
        f"/incidents/{incident.pk}/events/", {"kind": "dispatched", "next": "/incidents/board/"}
    )
    assert response.status_code == 302 and response["Location"] == "/incidents/board/"
    assert incident.events.filter(kind="dispatched").count() == 1
    response = client.post(f"/incidents/{incident.pk}/events/", {"kind": "dispatched"}, follow=True)
    assert "只能记录一次" in response.content.decode()
    response = client.post(f"/incidents/{incident.pk}/events/", {"kind": "diverted"})
    assert response.status_code == 400 and "去向" in response.content.decode()
    response = client.post(
        f"/incidents/{incident.pk}/events/", {"kind": "closed", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/incidents/{incident.pk}/"


def test_board_json_has_countdown_data(client, officer, other_station):
    mine = make_incident(officer.station)
    make_incident(other_station)
    closed = make_incident(officer.station)
    record(closed, "closed", after=5)
    client.force_login(officer)
    data = client.get("/incidents/board.json").json()
    assert [i["id"] for i in data["incidents"]] == [mine.pk]
    row = data["incidents"][0]
    assert row["next_kind"] == "dispatched" and len(row["sla"]) == 4 and row["sla"][0]["deadline"]
    assert data["now"]


def test_board_json_and_list_query_counts_do_not_grow(client, officer, django_assert_max_num_queries):
    client.force_login(officer)
    for _ in range(2):
        make_incident(officer.station)
    with django_assert_max_num_queries(20) as small_board:
        client.get("/incidents/board.json")
    with django_assert_max_num_queries(30) as small_list:
        client.get("/incidents/list/")
    for _ in range(10):
        record(make_incident(officer.station), "dispatched", after=5)
    with django_assert_max_num_queries(len(small_board.captured_queries)):
        assert len(client.get("/incidents/board.json").json()["incidents"]) == 12
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        client.get("/incidents/list/")


def test_excel_export_follows_filters_and_masks(client, bureau, station):
    a = make_incident(station, category="traffic")
    make_incident(station, category="dispute")
    record(a, "dispatched", after=30)
    client.force_login(bureau)
    response = client.get("/incidents/list/?category=traffic&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "警情编号" and len(rows) == 2
    assert rows[1][0] == a.number and rows[1][6] == "138****1234"
    assert rows[1][8] == 30 and rows[1][9] == "达标"


def test_kpi_page_shows_rate_with_counts(client, leader, station):
    base = timezone.now() - timedelta(minutes=30)
    if timezone.localtime(base).month != timezone.localtime().month:
        base = timezone.now()
    for i, arrival in enumerate([200, 300, 400, 470, 600]):
        incident = make_incident(station, received_at=base - timedelta(minutes=i))
        record(incident, "dispatched", after=20)
        record(incident, "arrived", after=arrival)
    client.force_login(leader)
    html = client.get("/incidents/kpi/").content.decode()
    assert "80.0%" in html and "4 / 5" in html


def test_inbound_accept_creates_incident_and_reports_back(client, officer, grid):
    event, _ = exchange_services.inbound_receive(
        actor=grid,
        data={
            "external_id": "G-1",
            "source": "grid",
            "category": "dispute",
            "title": "楼道纠纷",
            "address": "兴业路2号",
            "lat": 30.28,
            "lon": 121.18,
        },
    )
    client.force_login(officer)
    html = client.get(f"/exchange/inbound/{event.pk}/").content.decode()
    assert "受理为警情" in html
    response = client.post(f"/incidents/from-inbound/{event.pk}/", {"category": "dispute"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.source_inbound == event and incident.address == "兴业路2号"
    event.refresh_from_db()
    assert event.status == "accepted" and event.result_id == str(incident.pk)
    from qianwan.exchange.models import OutboundEvent

    assert OutboundEvent.objects.filter(
        kind="inbound_status", target="grid", source_id=str(event.pk)
    ).exists()
    # a second accept is refused with a message, no second incident
    response = client.post(f"/incidents/from-inbound/{event.pk}/", {"category": "dispute"}, follow=True)
    assert Incident.objects.count() == 1


def test_workbench_panel(client, officer):
    make_incident(officer.station)
    client.force_login(officer)
    assert "处置中的警情" in client.get("/").content.decode()


# --- bad filter input: a 400 page with the errors next to the fields, no rows, no file ----------------

XLSX = "application/vnd.openxmlformats"


def test_list_bad_filter_is_400_with_errors_and_no_rows(client, officer):
    incident = make_incident(officer.station, category="traffic")
    client.force_login(officer)
    ok = client.get("/incidents/list/", {"category": "traffic"})
    assert ok.status_code == 200 and incident.number in ok.content.decode()
    for query, message in (
        ({"category": "bogus"}, "bogus"),
        ({"received_after": "2026-13-40"}, "请输入日期（YYYY-MM-DD）或带时区的时间（ISO 8601）。"),
        ({"sla_breached": "maybe"}, "请选择“是”或“否”，或留空表示不限。"),
    ):
        response = client.get("/incidents/list/", query)
        html = response.content.decode()
        assert response.status_code == 400, query
        assert message in html and 'class="error" role="alert"' in html, query
        assert incident.number not in html and "没有符合条件的警情" in html, query
        export = client.get("/incidents/list/", {**query, "export": "xlsx"})
        assert export.status_code == 400 and not export["Content-Type"].startswith(XLSX), query
        assert message in export.content.decode() and incident.number not in export.content.decode()


def test_list_station_outside_scope_is_400_and_shows_nothing(client, officer, other_station):
    theirs = make_incident(other_station)
    mine = make_incident(officer.station)
    client.force_login(officer)
    for code in (other_station.code, "NOPE"):
        response = client.get("/incidents/list/", {"station": code})
        html = response.content.decode()
        assert response.status_code == 400
        assert f"派出所代码“{code}”不存在或不在您的管辖范围内。" in html
        assert theirs.number not in html and mine.number not in html
        export = client.get("/incidents/list/", {"station": code, "export": "xlsx"})
        assert export.status_code == 400 and not export["Content-Type"].startswith(XLSX)
    assert client.get("/incidents/list/", {"station": officer.station.code}).status_code == 200


def test_kpi_and_board_bad_station_is_400_without_figures(client, officer, bureau, other_station):
    client.force_login(bureau)
    assert client.get("/incidents/kpi/", {"station": other_station.code}).status_code == 200
    response = client.get("/incidents/kpi/", {"station": "NOPE"})
    html = response.content.decode()
    assert response.status_code == 400 and "派出所代码“NOPE”不存在或不在您的管辖范围内。" in html
    assert 'data-kpi="arrival-rate-month"' not in html
    response = client.get("/incidents/board/", {"station": "NOPE"})
    assert response.status_code == 400 and "派出所代码“NOPE”" in response.content.decode()
    assert "data-board " not in response.content.decode()
    assert client.get("/incidents/board.json", {"station": "NOPE"}).status_code == 400
    client.force_login(officer)  # an officer asking for another station: the same 400, nothing of theirs
    assert client.get("/incidents/kpi/", {"station": officer.station.code}).status_code == 200
    response = client.get("/incidents/kpi/", {"station": other_station.code})
    html = response.content.decode()
    assert response.status_code == 400 and f"派出所代码“{other_station.code}”" in html
    assert 'data-kpi="arrival-rate-month"' not in html and other_station.name not in html
    assert client.get("/incidents/board/", {"station": other_station.code}).status_code == 400
    assert client.get("/incidents/board.json", {"station": other_station.code}).status_code == 400


def test_list_shows_every_filter_error_at_once(client, officer, other_station):
    client.force_login(officer)
    response = client.get(
        "/incidents/list/", {"category": "bogus", "sla_breached": "maybe", "station": other_station.code}
    )
    html = response.content.decode()
    assert response.status_code == 400 and html.count('class="error" role="alert"') == 3
