from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qianwan.org.choices import Role
from traffic.models import Accident, Shift

from .factories import (
    make_accident,
    make_asset,
    make_joint,
    make_patrol,
    make_shift,
    make_zone,
    team_with_members,
)

pytestmark = pytest.mark.django_db

DT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def world(station):
    zone = make_zone()
    team = team_with_members(station)
    make_shift(zone, team)
    make_asset()
    make_patrol(zone, team, violations={"speeding": 2})
    make_joint(station)
    make_accident(station, injured=1)
    return {"zone": zone, "team": team}


@pytest.mark.parametrize(
    "name",
    [
        "index",
        "roster",
        "patrol_list",
        "patrol_create",
        "joint_list",
        "joint_create",
        "accident_list",
        "accident_create",
        "asset_list",
        "asset_create",
        "kpis",
    ],
)
def test_pages_render_for_officer(client, officer, world, name):
    client.force_login(officer)
    response = client.get(reverse(f"traffic:{name}"))
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()  # CSP: no inline scripts


@pytest.mark.parametrize("name", ["index", "roster", "accident_list", "kpis"])
def test_pages_refuse_liaison_and_grid(client, make_user, world, name):
    for role in (Role.LIAISON, Role.GRID_CLIENT):
        client.force_login(make_user(role, username=f"u-{role}"))
        assert client.get(reverse(f"traffic:{name}")).status_code == 403


def test_map_data_has_zones_assets_accidents(client, officer, world):
    client.force_login(officer)
    features = client.get(reverse("traffic:map_data")).json()["features"]
    layers = {f["properties"]["layer"] for f in features}
    assert layers == {"zones", "assets", "accidents"}
    zone = next(f for f in features if f["properties"]["layer"] == "zones")
    assert zone["properties"]["team"] == world["team"].name
    assert zone["properties"]["tag"] == world["zone"].name  # named on the map itself


def test_map_legend_names_every_colour_drawn(client, officer, world):
    client.force_login(officer)
    data = client.get(reverse("traffic:map_data")).json()
    legend = {item["color"] for item in data["legend"]}
    assert all(item["label"] for item in data["legend"])
    drawn = {f["properties"]["color"] for f in data["features"]}
    assert drawn and drawn <= legend, drawn - legend


@pytest.mark.parametrize("name", ["patrol_list", "joint_list", "accident_list", "asset_list"])
def test_excel_export(client, officer, world, name):
    client.force_login(officer)
    response = client.get(reverse(f"traffic:{name}") + "?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == 2


def test_roster_form_shows_overlap_error_and_keeps_input(client, leader, station, world):
    client.force_login(leader)
    start = timezone.localtime(timezone.now() + timedelta(minutes=30))
    data = {
        "zone": world["zone"].pk,
        "team": world["team"].pk,
        "starts_at": start.strftime(DT),
        "ends_at": (start + timedelta(hours=4)).strftime(DT),
    }
    response = client.post(reverse("traffic:roster"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "同一人不能同时在两个班次" in body and start.strftime(DT) in body
    assert Shift.objects.count() == 1


def test_roster_schedules_a_shift(client, leader, station, world):
    client.force_login(leader)
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(hour=8, minute=0)
    data = {
        "zone": world["zone"].pk,
        "team": world["team"].pk,
        "starts_at": start.strftime(DT),
        "ends_at": (start + timedelta(hours=12)).strftime(DT),
    }
    response = client.post(reverse("traffic:roster"), data, follow=True)
    assert response.status_code == 200 and "已排班" in response.content.decode()
    assert Shift.objects.count() == 2


def test_officer_cannot_post_roster(client, officer, world):
    client.force_login(officer)
    assert client.post(reverse("traffic:roster"), {}).status_code == 403


def test_accident_form_outside_every_zone_warns(client, officer, station, world):
    client.force_login(officer)
    data = {
        "occurred_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(DT),
        "station": station.pk, "address": "区外某路", "lat": "31.9", "lon": "121.2", "type": "",
        "vehicles": 1, "injured": 0, "deaths": 0, "cause": "other", "handled_by": "station",
    }  # fmt: skip
    response = client.post(reverse("traffic:accident_create"), data, follow=True)
    assert response.status_code == 200
    assert "不在任何巡区" in response.content.decode()
    assert Accident.objects.filter(zone__isnull=True).count() == 1


def test_accident_form_bad_input_keeps_everything(client, officer, station, world):
    client.force_login(officer)
    data = {
        "occurred_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(DT),
        "station": station.pk, "address": "兴业路口", "lat": "30.2826", "lon": "121.1862", "type": "property",
        "vehicles": 2, "injured": 1, "deaths": 0, "cause": "speeding", "handled_by": "station",
    }  # fmt: skip
    response = client.post(reverse("traffic:accident_create"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "事故类型与伤亡人数不符" in body and "兴业路口" in body
    data["injured"] = -1
    assert client.post(reverse("traffic:accident_create"), data).status_code == 400


def test_accident_detail_and_close(client, officer, station, world):
    accident = Accident.objects.get()
    client.force_login(officer)
    page = client.get(reverse("traffic:accident_detail", args=[accident.pk])).content.decode()
    assert accident.number in page and world["team"].name in page
    client.post(reverse("traffic:accident_close", args=[accident.pk]))
    accident.refresh_from_db()
    assert accident.status == "closed"


def test_accident_detail_other_station_is_404(client, make_user, other_station, world):
    client.force_login(make_user(Role.OFFICER, station_=other_station, username="css-o"))
    accident = Accident.objects.get()
    assert client.get(reverse("traffic:accident_detail", args=[accident.pk])).status_code == 404


def test_patrol_form_negative_count(client, officer, world):
    client.force_login(officer)
    start = timezone.localtime(timezone.now() - timedelta(hours=3))
    data = {
        "team": world["team"].pk, "zone": world["zone"].pk, "kind": "racing", "started_at": start.strftime(DT),
        "ended_at": (start + timedelta(hours=1)).strftime(DT), "officers": 2, "v_speeding": -3,
    }  # fmt: skip
    response = client.post(reverse("traffic:patrol_create"), data)
    assert response.status_code == 400
    data["v_speeding"] = 3
    assert client.post(reverse("traffic:patrol_create"), data).status_code == 302


def test_kpi_page_bad_period_is_400(client, officer, world):
    client.force_login(officer)
    assert client.get(reverse("traffic:kpis") + "?date_from=2026-05-01&date_to=2026-01-01").status_code == 400
    page = client.get(reverse("traffic:kpis") + "?date_from=2026-01-01&date_to=2026-12-31")
    assert page.status_code == 200


def test_workbench_shows_open_accidents(client, officer, world):
    client.force_login(officer)
    body = client.get("/").content.decode()
    assert Accident.objects.get().number in body


# --- bad filter input on the lists: a 400 page with the errors next to the fields, no rows, no file ----

EMPTY = {
    "patrol_list": "没有巡逻记录。",
    "joint_list": "没有联合巡逻记录。",
    "accident_list": "没有事故记录。",
    "asset_list": "没有设施。",
}


@pytest.mark.parametrize(
    "name, good, bad, message",
    [
        ("patrol_list", {"kind": "routine"}, {"kind": "bogus"}, "bogus"),
        (
            "patrol_list",
            {"started_after": "2000-01-01"},
            {"started_after": "2026-02-30"},
            "输入一个有效的日期",
        ),
        ("joint_list", {"date_after": "2000-01-01"}, {"date_before": "tomorrow"}, "输入一个有效的日期"),
        ("joint_list", {"station": "ADS"}, {"station": "CSS"}, "派出所代码“CSS”不存在或不在您的管辖范围内。"),
        ("accident_list", {"major": "false"}, {"major": "perhaps"}, "请选择“是”或“否”，或留空表示不限。"),
        (
            "accident_list",
            {"station": "ADS"},
            {"station": "NOPE"},
            "派出所代码“NOPE”不存在或不在您的管辖范围内。",
        ),
        ("asset_list", {"kind": "camera"}, {"status": "bogus"}, "bogus"),
    ],
)
def test_list_bad_filter_is_400_with_errors_and_no_rows(
    client, officer, other_station, world, name, good, bad, message
):
    client.force_login(officer)
    url = reverse(f"traffic:{name}")
    ok = client.get(url, good)
    assert ok.status_code == 200 and EMPTY[name] not in ok.content.decode()
    response = client.get(url, bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'class="error" role="alert"' in html
    assert EMPTY[name] in html  # no rows
    export = client.get(url, {**bad, "export": "xlsx"})
    assert export.status_code == 400 and not export["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert message in export.content.decode()


# --- bad input: the roster's ?week= and the asset maintenance form ------------------------------------


def test_roster_bad_week_is_400_without_shifts(client, officer, world):
    client.force_login(officer)
    ok = client.get(reverse("traffic:roster"), {"week": timezone.localdate().isoformat()})
    assert ok.status_code == 200 and world["team"].name in ok.content.decode()
    for bad in ("next", "2026-13-01", "2026-02-30", "0001-01-01", "9999-12-31"):
        response = client.get(reverse("traffic:roster"), {"week": bad})
        html = response.content.decode()
        assert response.status_code == 400, bad
        assert f"周次“{bad}”无效，请输入该周中的一个日期（YYYY-MM-DD）" in html, bad
        assert world["team"].name not in html and world["zone"].name not in html, bad


def test_asset_maintenance_invalid_post_is_400_and_changes_nothing(client, leader, world):
    from traffic.models import Asset

    asset = Asset.objects.get()
    client.force_login(leader)
    url = reverse("traffic:asset_detail", args=[asset.pk])
    for data in (
        {"status": "bogus", "maintenance_status": "ok"},
        {"status": "active", "maintenance_status": "ok", "last_maintained_on": "2026-02-30"},
    ):
        response = client.post(url, data)
        html = response.content.decode()
        assert response.status_code == 400, data
        assert 'class="error"' in html or 'role="alert"' in html, data
    asset.refresh_from_db()
    assert asset.status == "active" and asset.last_maintained_on is None
