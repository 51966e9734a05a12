from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from qianwan.kpi import local_tz
from traffic import selectors

from .factories import make_accident, make_asset, make_joint, make_patrol, make_zone, team_with_members

pytestmark = pytest.mark.django_db


def at(d: date, hour=10):
    return datetime.combine(d, time(hour), tzinfo=local_tz())


def test_yoy_with_counts_and_poisson_flag(station):
    make_zone()
    d = date(2026, 3, 10)
    for i in range(25):
        make_accident(station, occurred_at=at(d.replace(year=2025)) + timedelta(minutes=i))
    for i in range(10):
        make_accident(station, occurred_at=at(d) + timedelta(minutes=i))
    yoy = selectors.accidents_yoy(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    assert yoy["accidents"]["now"] == 10 and yoy["accidents"]["before"] == 25
    assert yoy["accidents"]["change"] == pytest.approx(-0.6)
    assert yoy["accidents"]["significant"] is True
    small = selectors.accidents_yoy(date_from=date(2026, 3, 10), date_to=date(2026, 3, 10), station=station)
    assert small["deaths"]["change"] is None  # zero base → "—"


def test_traffic_kpis_counts(station, other_station):
    zone = make_zone()
    team = team_with_members(station)
    make_patrol(zone, team, kind="racing", violations={"racing": 4})
    make_patrol(zone, team, kind="wrong_way", violations={"wrong_way": 2, "speeding": 1})
    make_joint(station)
    make_accident(station, injured=2)
    make_accident(station, deaths=1)
    make_accident(other_station, lat=30.2488, lon=121.1315)
    today = timezone.localdate()
    k = selectors.traffic_kpis(date_from=today - timedelta(days=1), date_to=today, station=station)
    assert k["accidents"] == 2 and k["deaths"] == 1 and k["injured"] == 2 and k["fatal_accidents"] == 1
    assert k["zero_major_goal_met"] is True and k["major_accidents"] == 0
    assert k["patrols"]["racing_wrong_way_patrols"] == 2 and k["patrols"]["violations"] == 7
    assert k["patrols"]["violations_by_type"] == {"racing": 4, "wrong_way": 2, "speeding": 1}
    assert k["joint_patrols"]["rounds"] == 1 and k["joint_patrols"]["volunteers"] == 4
    # every station's (the accidents are 2 hours old: yesterday, just after local midnight)
    assert selectors.traffic_kpis(date_from=today - timedelta(days=1), date_to=today)["accidents"] == 3


def test_kpi_api_station_scope(api_as, officer, station, other_station):
    assert (
        api_as(officer).get("/api/v1/kpis/traffic/?from=2026-01-01&to=2026-12-31&station=CSS").status_code
        == 403
    )
    assert api_as(officer).get("/api/v1/kpis/traffic/?from=2026-12-31&to=2026-01-01").status_code == 400
    body = api_as(officer).get("/api/v1/kpis/traffic/?from=2026-01-01&to=2026-12-31").json()
    assert body["station"] == "ADS" and body["yoy"]["accidents"]["now"] == 0


def test_hotspots_flag_the_cluster(station):
    make_zone()
    now = timezone.now() - timedelta(hours=3)
    for i in range(8):
        make_accident(
            station, lat=30.3000 + i * 0.00002, lon=121.2000, occurred_at=now - timedelta(minutes=i)
        )
    for i in range(3):
        make_accident(
            station, lat=30.29 + i * 0.01, lon=121.22 + i * 0.01, occurred_at=now - timedelta(minutes=30 + i)
        )
    today = timezone.localdate()
    cells = selectors.accident_hotspots(date_from=today - timedelta(days=1), date_to=today)
    top = cells[0]
    assert top["accidents"] == 8 and top["hotspot"] is True and len(top["boundary"]) == 6
    assert all(not c["hotspot"] for c in cells[1:])
    assert selectors.accident_hotspots(date_from=date(2020, 1, 1), date_to=date(2020, 1, 2)) == []


def test_before_after_same_length_windows(station):
    make_zone()
    today = date(2026, 6, 1)
    installed = today - timedelta(days=20)  # only 20 days since: both windows shrink to 20 days
    asset = make_asset(installed_on=installed)
    near = {"lat": asset.lat + 0.001, "lon": asset.lon}  # ~111 m
    for days in (5, 10, 15, 25):  # 25 days before is outside the 20-day window
        make_accident(station, occurred_at=at(installed - timedelta(days=days)), **near)
    make_accident(station, occurred_at=at(installed + timedelta(days=3)), **near)
    make_accident(
        station, occurred_at=at(installed - timedelta(days=3)), lat=asset.lat + 0.02, lon=asset.lon
    )  # 2 km away
    result = selectors.asset_before_after(asset=asset, radius_m=500, window_days=90, today=today)
    assert result["window_days"] == 20 and result["comparable"] is True
    assert result["change"]["before"] == 3 and result["change"]["now"] == 1
    assert result["change"]["significant"] is False
    no_date = make_asset(code="CAM-ND", installed_on=None)
    assert selectors.asset_before_after(asset=no_date)["comparable"] is False


def test_before_after_api_params(api_as, officer, station):
    make_zone()
    asset = make_asset()
    client = api_as(officer)
    assert client.get(f"/api/v1/traffic/assets/{asset.pk}/before-after/?radius_m=10").status_code == 400
    body = client.get(f"/api/v1/traffic/assets/{asset.pk}/before-after/?radius_m=300&window_days=14").json()
    assert body["window_days"] == 14 and body["change"]["now"] == 0
