"""Browser (issue 19, items 7 and 4): a bureau leader follows each stage's 超时明细 to that stage's
misses, clicks a station's bar and its arrival-rate point through to the filtered list, sees the
target line named and no label cut off; the station filter is a dropdown of station names."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import artifact
from tests.incidents.factories import make_incident, settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def misses(bureau, station, other_station):
    now = timezone.now()
    start = max(now - timedelta(hours=2), timezone.localtime(now).replace(hour=0, minute=0, second=1))
    # ADS: six arrivals on time (100 %, enough for a rate), one of them dispatched late
    on_time = [
        settled(station, received_at=start, dispatch=30, video=60, leader=100, arrival=300) for _ in range(5)
    ]
    late_dispatch = settled(station, received_at=start, dispatch=90, video=100, leader=150, arrival=400)
    # CSS: a late arrival and one with nothing done for 10 minutes (every stage missed)
    late_arrival = settled(other_station, received_at=start, dispatch=30, video=60, leader=100, arrival=700)
    overdue = make_incident(other_station, received_at=now - timedelta(minutes=10))
    return {
        "on_time": on_time,
        "late_dispatch": late_dispatch,
        "late_arrival": late_arrival,
        "overdue": overdue,
    }


def _query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_stage_drilldown_and_chart_clicks(page, login, misses):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, "bureau")
    page.goto("/dashboard/")
    expected = {
        "dispatch": ("dispatch", {misses["late_dispatch"].number, misses["overdue"].number}),
        "arrival": ("arrival", {misses["late_arrival"].number, misses["overdue"].number}),
        "video": ("video_supervision", {misses["overdue"].number}),
        "leader": ("leader_notified", {misses["overdue"].number}),
    }
    every = {i.number for i in misses["on_time"]} | {
        misses[k].number for k in ("late_dispatch", "late_arrival", "overdue")
    }
    for key, (stage, numbers) in expected.items():
        page.goto("/dashboard/")
        with page.expect_navigation():
            page.locator(f".dash-card[data-key='{key}'] .counts a", has_text="超时明细").click()
        assert _query(page.url)["missed_stage"] == stage
        main = page.locator("main").inner_text()
        assert {n for n in every if n in main} == numbers, key
        # the list's filter shows what it filters by
        expect(page.locator("select[name=missed_stage]")).to_have_value(stage)

    page.goto("/dashboard/")
    chart = page.locator("#chart-stations[data-rendered='1']")
    expect(chart).to_be_attached(timeout=30000)
    # the red target line is named in the legend and on the chart
    expect(page.locator("#chart-stations g.legend")).to_contain_text("到场率目标 90%")
    expect(page.locator("#chart-stations g.annotation")).to_contain_text("目标 90%")
    # the rate label of a 100 % station sits inside the plot area, not cut off at its top
    plot_area = page.locator("#chart-stations .nsewdrag").first.bounding_box()
    label = page.locator("#chart-stations g.scatterlayer text", has_text="6 / 6")
    expect(label).to_have_count(1)
    box = label.bounding_box()
    assert box["y"] >= plot_area["y"] - 0.5, (box, plot_area)
    page.screenshot(path=artifact("dashboard-stations-chart.png"), full_page=True)

    # the ADS rate point opens ADS's arrival misses
    point = page.locator("#chart-stations g.scatterlayer path.point").first.bounding_box()
    with page.expect_navigation():
        page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
        page.mouse.click(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    query = _query(page.url)
    assert "/incidents/list/" in page.url and query["station"] == "ADS" and query["missed_stage"] == "arrival"

    # the CSS bar (near its foot, away from any point) opens CSS's incidents of the period
    page.goto("/dashboard/")
    expect(page.locator("#chart-stations[data-rendered='1']")).to_be_attached(timeout=30000)
    bars = page.locator("#chart-stations g.barlayer path")
    bar = bars.nth(1).bounding_box()
    with page.expect_navigation():
        page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] - 4)
        page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] - 4)
    query = _query(page.url)
    assert query["station"] == "CSS" and "missed_stage" not in query and "received_after" in query
    main = page.locator("main").inner_text()
    assert misses["late_arrival"].number in main and misses["late_dispatch"].number not in main
    assert not errors, errors


def test_station_filter_is_a_dropdown_of_names(page, login, officer, misses):
    login(page, "bureau")
    page.goto("/incidents/list/")
    select = page.locator("select[name=station]")
    expect(select.locator("option")).to_have_text(["全部", "庵东派出所", "崇寿派出所"])
    select.select_option(label="崇寿派出所")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**station=CSS**")
    main = page.locator("main").inner_text()
    assert misses["late_arrival"].number in main and misses["late_dispatch"].number not in main
    expect(page.locator("select[name=station]")).to_have_value("CSS")
    expect(page.locator("input[name=received_after]")).to_have_attribute("type", "date")
    page.context.clear_cookies()
    login(page, "officer")  # an officer is offered their own station only
    page.goto("/incidents/list/")
    expect(page.locator("select[name=station] option")).to_have_text(["全部", "庵东派出所"])
