"""Pages: ledger, detail actions, reconciliation with Excel export, map, warning, campaigns."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from qianwan.org.choices import Role
from risks import selectors
from risks.models import Hazard

from .factories import make_campaign, make_hazard, make_hotspot_run, make_risk_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer2(make_user):
    return make_user(Role.OFFICER, username="officer2")


def test_ledger_page_lists_own_station_and_filters(client, officer, other_station, make_user):
    make_hazard(officer.station, officer, title="楼道堆放杂物")
    make_hazard(
        other_station, make_user(Role.OFFICER, station_=other_station, username="c1"), title="外所隐患"
    )
    client.force_login(officer)
    page = client.get("/risks/").content.decode()
    assert "楼道堆放杂物" in page and "外所隐患" not in page
    assert "楼道堆放杂物" not in client.get("/risks/?level=major").content.decode()
    r = client.get("/risks/?level=bogus")  # a bad filter is a 400 with the error, never a 500 or all rows
    assert r.status_code == 400 and "bogus" in r.content.decode() and "楼道堆放杂物" not in r.content.decode()


def test_liaison_and_anonymous_cannot_open_pages(client, make_user):
    assert client.get("/risks/").status_code == 302
    client.force_login(make_user(Role.LIAISON, username="lia"))
    for url in ("/risks/", "/risks/map/", "/risks/reconciliation/", "/risks/warning/", "/risks/campaigns/"):
        assert client.get(url).status_code == 403, url


def test_create_form_keeps_input_on_error_then_saves(client, officer):
    client.force_login(officer)
    data = {
        "title": "仓库违规住人",
        "category": "fire",
        "level": "high",
        "station": officer.station.pk,
        "rectify_by": "2000-01-01",
    }
    r = client.post("/risks/hazards/new/", data)
    assert r.status_code == 200 and "仓库违规住人" in r.content.decode() and "整改期限" in r.content.decode()
    data["rectify_by"] = (timezone.localdate() + timedelta(days=3)).isoformat()
    r = client.post("/risks/hazards/new/", data)
    hazard = Hazard.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/risks/hazards/{hazard.pk}/"


def test_detail_page_walks_the_ledger(client, officer, officer2):
    hazard = make_hazard(officer.station, officer)
    client.force_login(officer)
    assert (
        client.post(f"/risks/hazards/{hazard.pk}/", {"step": "rectify", "rectify-note": "已整改"}).status_code
        == 302
    )
    # the recorder sees no close form and a direct post is refused
    page = client.get(f"/risks/hazards/{hazard.pk}/").content.decode()
    assert "另一人核对" in page
    assert client.post(f"/risks/hazards/{hazard.pk}/", {"step": "close", "close-note": ""}).status_code == 403
    client.force_login(officer2)
    assert (
        client.post(f"/risks/hazards/{hazard.pk}/", {"step": "close", "close-note": "核对无误"}).status_code
        == 302
    )
    hazard.refresh_from_db()
    assert hazard.status == "closed" and hazard.closed_by == officer2
    r = client.post(f"/risks/hazards/{hazard.pk}/", {"step": "close", "close-note": ""})
    assert r.status_code == 400 and "只有已整改" in r.content.decode()
    assert "对账销号 → 已销号" in client.get(f"/risks/hazards/{hazard.pk}/").content.decode()


def test_reconciliation_numbers_and_excel(client, officer, officer2, leader):
    station = officer.station
    now = timezone.now()
    # closed by a leader after officer2 rectified: independent of recorder and rectifier
    h1 = make_hazard(station, officer, found_at=now - timedelta(days=10))
    from risks import services

    services.hazard_rectify(actor=officer2, hazard=h1)
    services.hazard_close(actor=leader, hazard=h1)
    # closed by the rectifier (officer2), who is not the recorder: verified but not independent
    h2 = make_hazard(station, officer, found_at=now - timedelta(days=8))
    services.hazard_rectify(actor=officer2, hazard=h2)
    services.hazard_close(actor=officer2, hazard=h2)
    make_hazard(
        station, officer, found_at=now - timedelta(days=5), rectify_by=now - timedelta(days=1)
    )  # overdue
    make_hazard(station, officer, status="rectified", found_at=now - timedelta(days=3))
    data = selectors.reconciliation(
        user=leader, date_from=(now - timedelta(days=40)).date(), date_to=timezone.localdate()
    )
    total = data["total"]
    assert (total["found"], total["rectified"], total["closed"], total["overdue"]) == (4, 3, 2, 1)
    assert total["close_rate"] == 0.5 and total["independent"] == 1 and total["independent_share"] == 0.5
    assert total["median_days_to_close"] is not None
    assert [row["station"].code for row in data["stations"]] == ["ADS"]
    assert sum(m["found"] for m in data["months"]) == 4

    client.force_login(leader)
    page = client.get("/risks/reconciliation/").content.decode()
    assert "2/4" in page and "50.0%" not in page  # below 5 events: counts only
    r = client.get("/risks/reconciliation/?export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[2][0] == station.name and rows[2][1:4] == (4, 3, 2)
    assert len(wb.worksheets) == 2


def test_reconciliation_other_station_is_not_offered_to_station_roles(client, leader, other_station):
    client.force_login(leader)
    r = client.get("/risks/reconciliation/?station=CSS")
    page = r.content.decode()
    assert r.status_code == 400 and "崇寿派出所" not in page and "庵东派出所" in page
    assert "选择一个有效的选项" in page and 'id="by-station"' not in page


def test_map_page_is_offline_and_data_has_layers(client, api_as, officer, settings):
    settings.MAP_TILE_URL = ""
    make_hazard(officer.station, officer, level="major")
    make_hazard(officer.station, officer, level="low", rectify_in_days=-2, found_days_ago=30)
    make_hazard(officer.station, officer, status="closed")
    make_risk_point(officer.station, status="accepted")
    client.force_login(officer)
    page = client.get("/risks/map/").content.decode()
    assert "leaflet/leaflet.js" in page and "risks/map.js" in page and "qianwan-district.geojson" in page
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
    data = api_as(officer).get("/api/v1/risks/map/").json()
    layers = [f["properties"]["layer"] for f in data["features"]]
    assert layers.count("hazard_open") == 1 and layers.count("hazard_overdue") == 1
    assert layers.count("hazard_closed") == 1 and layers.count("risk_points") == 1 and "stations" in layers
    assert all(f["properties"]["url"].startswith("/risks/") for f in data["features"])
    assert {layer["id"] for layer in data["layers"]} >= {"hazard_open", "hotspots", "stations"}
    major = api_as(officer).get("/api/v1/risks/map/?level=major&layers=hazard_open").json()
    assert [f["properties"]["level"] for f in major["features"]] == ["major"]
    assert api_as(officer).get("/api/v1/risks/map/?level=nope").status_code == 400
    assert api_as(officer).get("/api/v1/risks/map/?layers=moon").status_code == 400


def test_map_data_query_count_is_constant(api_as, officer, django_assert_max_num_queries):
    client = api_as(officer)
    make_hazard(officer.station, officer)
    with django_assert_max_num_queries(10) as ctx:
        client.get("/api/v1/risks/map/")
    few = len(ctx.captured_queries)
    for _ in range(10):
        make_hazard(officer.station, officer)
    with django_assert_max_num_queries(few):
        client.get("/api/v1/risks/map/")


def test_warning_page_and_leader_decision(client, leader, officer):
    point = make_risk_point(officer.station)
    client.force_login(officer)
    assert point.name in client.get("/risks/warning/").content.decode()
    assert (
        client.post(
            "/risks/warning/", {"category": "dispute", "period_end": "2026-06-01", "days": 28}
        ).status_code
        == 404
    )
    client.force_login(leader)
    r = client.post(
        f"/risks/risk-points/{point.pk}/", {"step": "dismiss", "decide-note": "", "decide-name": ""}
    )
    assert r.status_code == 400 and "排除理由" in r.content.decode()
    r = client.post(
        f"/risks/risk-points/{point.pk}/", {"step": "accept", "decide-note": "确定", "decide-name": ""}
    )
    assert r.status_code == 302
    point.refresh_from_db()
    assert point.status == "accepted"
    r = client.post(
        "/risks/warning/", {"category": "dispute", "period_end": timezone.localdate().isoformat(), "days": 28}
    )
    assert r.status_code == 302


def test_campaign_pages(client, bureau, officer):
    campaign = make_campaign(name="百日行动")
    client.force_login(officer)
    assert "百日行动" in client.get("/risks/campaigns/").content.decode()
    r = client.post(
        f"/risks/campaigns/{campaign.pk}/",
        {
            "step": "inspection",
            "inspection-station": officer.station.pk,
            "inspection-venue_name": "天天足浴",
            "inspection-venue_type": "entertainment",
            "inspection-inspected_on": timezone.localdate().isoformat(),
            "inspection-problems": "消防通道堵塞\n无证经营",
        },
    )
    assert r.status_code == 302
    page = client.get(f"/risks/campaigns/{campaign.pk}/").content.decode()
    assert "天天足浴" in page and "消防通道堵塞" in page
    client.force_login(bureau)
    r = client.post(
        "/risks/campaigns/", {"name": "冬季行动", "starts_on": "2026-12-01", "ends_on": "2026-11-01"}
    )
    assert r.status_code == 400 and "结束日期" in r.content.decode()


def test_workbench_panel_lists_open_hazards(client, officer):
    make_hazard(officer.station, officer, title="待办隐患一")
    client.force_login(officer)
    assert "待办隐患一" in client.get("/").content.decode()


def test_map_data_has_hot_cells_of_the_latest_run_in_scope(api_as, officer, station, other_station):
    import random

    from risks import hotspots, services

    from .factories import incidents_bulk

    rng = random.Random(11)
    centre = (30.2830, 121.1870)
    points = [(centre[0] + rng.uniform(-4e-4, 4e-4), centre[1] + rng.uniform(-4e-4, 4e-4)) for _ in range(20)]
    points += [(rng.uniform(30.25, 30.36), rng.uniform(121.12, 121.33)) for _ in range(60)]
    incidents_bulk(points, station=station)
    from incidents.models import Incident

    Incident.objects.filter(lat__range=(centre[0] - 5e-4, centre[0] + 5e-4)).filter(
        lon__range=(centre[1] - 5e-4, centre[1] + 5e-4)
    ).update(address="兴业路夜市")
    services.hotspot_run_compute(category="dispute", period_end=timezone.localdate(), days=28)
    data = api_as(officer).get("/api/v1/risks/map/?layers=hotspots").json()
    cells = [f for f in data["features"] if f["properties"]["layer"] == "hotspots"]
    assert cells and all(f["geometry"]["type"] == "Polygon" for f in cells)
    ring = cells[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    hot = hotspots.point_cell(*centre)
    assert hot in [f["properties"]["h3"] for f in cells]
    # each block is named on the map by a place a person knows, in words (no Gi*, no H3 id)
    tags = {f["properties"]["h3"]: f["properties"]["tag"] for f in cells}
    assert tags[hot] == "兴业路夜市"
    for cell in cells:
        props = cell["properties"]
        assert props["tag"] != props["h3"], props  # unnamed: no label rather than an id
        assert "Gi*" not in props["detail"] and "热点等级" in props["detail"]
    assert {"shape": "area", "color": cells[0]["properties"]["color"]}.items() <= next(
        item for item in data["legend"] if item.get("color") == cells[0]["properties"]["color"]
    ).items()


def test_hazard_from_an_accepted_risk_point(client, officer):
    point = make_risk_point(officer.station, status="accepted")
    client.force_login(officer)
    page = client.get(f"/risks/hazards/new/?risk_point={point.pk}").content.decode()
    assert f'value="{point.pk}"' in page
    r = client.post(
        "/risks/hazards/new/",
        {
            "title": "夜宵摊占道经营",
            "category": "public_order",
            "level": "medium",
            "station": officer.station.pk,
            "rectify_by": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "lat": point.lat,
            "lon": point.lon,
            "risk_point": point.pk,
        },
    )
    assert r.status_code == 302
    assert Hazard.objects.get().risk_point == point


def test_hazard_form_ignores_a_risk_point_that_is_no_id(client, officer):
    make_risk_point(officer.station, status="accepted")
    client.force_login(officer)
    for value in ("²", "١", "abc", "99999999999999999999999"):
        r = client.get("/risks/hazards/new/", {"risk_point": value})
        assert r.status_code == 200 and f'value="{value}"' not in r.content.decode(), value


# --------------------------------------------------------------------------- bad filter input: 400, no rows

XLSX = "application/vnd.openxmlformats"


def test_ledger_bad_filters_are_400_with_errors_and_no_rows(client, officer, other_station):
    make_hazard(officer.station, officer, title="楼道堆放杂物")
    client.force_login(officer)
    assert client.get("/risks/", {"level": "medium"}).status_code == 200
    for query, message in (
        ({"found_after": "2026-02-30"}, "输入一个有效的日期"),
        ({"overdue": "perhaps"}, "请选择“是”或“否”，或留空表示不限。"),
        ({"station": other_station.code}, f"派出所代码“{other_station.code}”不存在或不在您的管辖范围内。"),
    ):
        r = client.get("/risks/", query)
        html = r.content.decode()
        assert r.status_code == 400, query
        assert message in html and 'class="error" role="alert"' in html, query
        assert "楼道堆放杂物" not in html and "没有符合条件的隐患" in html, query


def test_reconciliation_bad_period_is_400_without_figures_or_file(client, officer):
    make_hazard(officer.station, officer)
    client.force_login(officer)
    ok = client.get("/risks/reconciliation/", {"date_from": "2026-01-01", "date_to": "2026-03-31"})
    assert ok.status_code == 200 and 'id="by-station"' in ok.content.decode()
    for query, message in (
        ({"date_from": "2026-13-01"}, "输入一个有效的日期"),
        ({"date_from": "2026-03-01", "date_to": "2026-01-01"}, "“发现日期止”不能早于“发现日期起”。"),
    ):
        r = client.get("/risks/reconciliation/", query)
        html = r.content.decode()
        assert r.status_code == 400 and message in html, query
        assert 'id="by-station"' not in html and 'id="by-month"' not in html and "export=xlsx" not in html
        export = client.get("/risks/reconciliation/", {**query, "export": "xlsx"})
        assert export.status_code == 400 and not export["Content-Type"].startswith(XLSX), query
        assert message in export.content.decode()


def test_map_unknown_level_is_400_without_map(client, officer):
    client.force_login(officer)
    assert client.get("/risks/map/", {"level": "major"}).status_code == 200
    r = client.get("/risks/map/", {"level": "nope"})
    html = r.content.decode()
    assert r.status_code == 400 and "没有“nope”这一隐患等级" in html and "data-qw-map" not in html


def test_warning_bad_point_filter_is_400_without_points(client, officer, other_station):
    point = make_risk_point(officer.station)
    client.force_login(officer)
    ok = client.get("/risks/warning/", {"status": "candidate"})
    assert ok.status_code == 200 and point.name in ok.content.decode()
    for query, message in (
        ({"status": "bogus"}, "bogus"),
        ({"station": other_station.code}, f"派出所代码“{other_station.code}”"),
    ):
        r = client.get("/risks/warning/", query)
        html = r.content.decode()
        assert r.status_code == 400 and message in html and point.name not in html, query


def test_warning_run_param_bad_is_400_and_unknown_is_404(client, officer):
    run = make_hotspot_run()
    point = make_risk_point(officer.station)
    client.force_login(officer)
    ok = client.get("/risks/warning/", {"run": run.pk})
    assert ok.status_code == 200 and 'class="total-row"' in ok.content.decode()
    for bad in ("latest", "-1", "1e3", "²"):
        r = client.get("/risks/warning/", {"run": bad})
        html = r.content.decode()
        assert r.status_code == 400, bad
        assert f"分析批次编号“{bad}”无效，请从“最新热点分析”中选择。" in html, bad
        assert point.name not in html and f"?run={run.pk}" not in html, bad
    for missing in (run.pk + 1000, "99999999999999999"):
        assert client.get("/risks/warning/", {"run": missing}).status_code == 404
