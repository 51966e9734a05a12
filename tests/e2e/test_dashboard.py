"""Browser: a bureau leader opens the dashboard, sees drawn charts, changes the period, downloads the
monthly report."""

from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from incidents.generate import generate
from tests.e2e.conftest import artifact

pytestmark = pytest.mark.django_db(transaction=True)


def test_bureau_leader_dashboard_charts_period_and_report(
    page, login, bureau, station, other_station, tmp_path
):
    end = timezone.now()
    generate(n=1500, start=end - timedelta(days=420), end=end, seed=11, chunk=5000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    login(page, "bureau")
    page.click("nav.sidenav >> text=领导驾驶舱")
    expect(page.locator("h1.page-title")).to_contain_text("全分局")

    # the charts are drawn by plotly.js (served from the plotly wheel), not just present
    for chart in ("chart-trend", "chart-stations", "chart-stages"):
        # (parsing the 4.6 MB bundle takes seconds on a loaded CI machine)
        expect(page.locator(f"#{chart}[data-rendered='1']")).to_be_attached(timeout=30000)
    trend_points = page.locator("#chart-trend svg.main-svg g.scatterlayer path.point")
    expect(trend_points.first).to_be_visible()
    assert trend_points.count() >= 12
    assert page.locator("#chart-stations svg.main-svg g.barlayer path").count() >= 2
    assert page.locator("#chart-stages svg.main-svg g.barlayer path").count() > 20
    box = page.locator("#chart-trend svg.main-svg").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    # the live part filled itself in
    expect(page.locator("[data-live][data-refreshed]")).to_be_attached()
    expect(page.locator("[data-live-key='open_incidents'] [data-live-value]")).not_to_have_text("—")

    arrival = page.locator(".dash-card[data-key='arrival']")
    expect(arrival.locator(".value")).to_contain_text("%")
    expect(arrival.locator(".counts").first).to_contain_text("/")
    assert arrival.locator(".dash-def").get_attribute("title")
    page.screenshot(path=artifact("dashboard-month.png"), full_page=True)

    # change the period to the whole year; the figures follow
    month_total = int(page.locator(".dash-card[data-key='incidents'] .value a").inner_text().replace(",", ""))
    page.select_option("#id_period", "year")
    expect(page.locator("#id_year")).to_be_visible()
    expect(page.locator("#id_month")).to_be_hidden()
    page.click("form[data-period-form] button[type=submit]")
    page.wait_for_url("**period=year**")
    expect(page.locator("[data-period-label]")).to_contain_text(f"{timezone.localdate().year}年")
    year_total = int(page.locator(".dash-card[data-key='incidents'] .value a").inner_text().replace(",", ""))
    assert year_total >= month_total and year_total > 0
    expect(page.locator("#chart-trend[data-rendered='1']")).to_be_attached(timeout=30000)

    # drill down: the figure links to the list of the records behind it
    with page.expect_navigation():
        page.locator(".dash-card[data-key='incidents'] .value a").click()
    assert "/incidents/list/" in page.url and "received_after=" in page.url
    page.go_back()

    # the monthly report: built by the (eager) task, progress page, then download
    page.click("[data-report-submit]")
    page.wait_for_url("**/dashboard/reports/*/")
    download_link = page.locator("[data-report-download]")
    expect(download_link).to_be_visible()
    expect(page.locator("main")).to_contain_text("8分钟到场率")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "report.xlsx"
    info.value.save_as(path)
    wb = load_workbook(path)
    assert any("快速反应" in name for name in wb.sheetnames)
    page.screenshot(path=artifact("dashboard-report.png"), full_page=True)
    assert not page.external_requests
    assert not errors, errors


def test_the_unfinished_month_is_drawn_apart_with_its_date(page, login, bureau, station):
    """Clock frozen (ticking) at 2026-12-05 10:00: the trend's December point is hollow, on a dashed
    segment, labelled "至 12月5日"; November's card is not "unfinished"."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from tests.incidents.factories import settled

    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=sh), tick=True):
        for month, n in ((9, 6), (10, 7), (11, 6), (12, 2)):
            for i in range(n):
                settled(
                    station, received_at=datetime(2026, month, 1 + i, 9, tzinfo=sh), dispatch=30, arrival=300
                )
        login(page, "bureau")
        page.goto("/dashboard/")
        expect(page.locator("#chart-trend[data-rendered='1']")).to_be_attached(timeout=30000)
        trend = page.locator("#chart-trend")
        assert trend.get_attribute("data-partial-label") == "至 12月5日"
        assert trend.get_attribute("data-partial-month") == "2026-12"
        # plotly draws the label as text and the hollow point as an open-circle marker path
        expect(trend.locator("svg.main-svg g.textpoint text", has_text="至 12月5日")).to_be_visible()
        assert trend.locator("svg.main-svg g.scatterlayer .trace").count() >= 3  # whole, partial, a year ago
        card = page.locator(".dash-card[data-key='trend_mom']")
        expect(card).to_contain_text("至 12月5日")
        page.screenshot(path=artifact("dashboard-partial-month.png"), full_page=True)

        page.goto("/dashboard/?period=month&month=2026-11")
        expect(page.locator("#chart-trend[data-rendered='1']")).to_be_attached(timeout=30000)
        assert page.locator("#chart-trend").get_attribute("data-partial-label") == ""
        expect(page.locator(".dash-card[data-key='trend_mom']")).not_to_contain_text("未结束")
