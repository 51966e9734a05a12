"""Figures leaders can trust (issue 17): the small-number rule on every page, definitions that hold
against the numbers beside them, the unfinished month shown as such."""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from incidents.models import Incident
from qianwan.dashboard import selectors, services
from qianwan.dashboard.periods import parse_period
from qianwan.kpi import nearest_rank
from tests.errors import error_fields
from tests.incidents.factories import settled

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FROZEN = datetime(2026, 12, 5, 10, 0, tzinfo=SH)

PERCENT = re.compile(r"\d+\.\d+\s*%")
FRACTILE = re.compile(r"\d+\s*分\s*\d+\s*秒|(?<![\d分每])\d+\s*秒|\b\d+s\b")
FLAGS = ("⚑", "变化可能真实", "正常波动范围内", "p = ", "p < 0.0", "Z=")
FALSE_DEFINITION = "当且仅当"


def _visible(html: str) -> str:
    """The page's text without scripts, styles and tag attributes (definitions in tooltips stay
    checked by the definition tests)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _small_number_offences(text: str) -> list[str]:
    found = PERCENT.findall(text) + FRACTILE.findall(text)
    found += [flag for flag in FLAGS if flag in text]
    return found


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def two_incidents(frozen, station, other_station):
    """The station has 2 incidents (in November); the other station enough to show figures."""
    settled(
        station,
        received_at=datetime(2026, 11, 10, 9, tzinfo=SH),
        dispatch=30,
        video=60,
        leader=90,
        arrival=300,
    )
    settled(
        station,
        received_at=datetime(2026, 11, 12, 9, tzinfo=SH),
        dispatch=30,
        video=60,
        leader=90,
        arrival=700,
    )
    for i in range(12):
        settled(
            other_station,
            received_at=datetime(2026, 11, 1 + i, 9, tzinfo=SH),
            dispatch=30,
            video=60,
            leader=90,
            arrival=200 + 20 * i,
        )
    return station


def _report_page(client, user, station, month=(2026, 11), django_capture_on_commit_callbacks=None):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=user, year=month[0], month=month[1], station=station)
    report.refresh_from_db()
    return report, client.get(reverse("dashboard:report_detail", args=[report.pk]))


def test_a_station_with_two_incidents_shows_counts_only_everywhere(
    client, two_incidents, leader, django_capture_on_commit_callbacks
):
    """Every KPI page, the dashboard and the report for a station with 2 incidents: no percentage,
    no percentile, no flag — the counts only."""
    station = two_incidents
    client.force_login(leader)
    pages = [
        reverse("dashboard:index") + "?period=month&month=2026-11",
        reverse("dashboard:index") + "?period=custom&from=2026-11-01&to=2026-12-05",
        reverse("incidents:kpi"),
        reverse("traffic:kpis"),
        reverse("disputes:analysis"),
        reverse("antifraud:station"),
        reverse("antifraud:ranking"),
        reverse("antifraud:victims"),
        reverse("risks:reconciliation"),
        reverse("enterprises:index"),
    ]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        text = _visible(r.content.decode())
        assert _small_number_offences(text) == [], url
    report, page = _report_page(
        client, leader, station, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    assert page.status_code == 200 and report.figures
    text = _visible(page.content.decode())
    assert "2 / 2" in text or "1 / 2" in text  # counts stand in for the rate
    assert _small_number_offences(text) == []
    # the API figures behind the page keep the numbers (the rule is for pages and exports)
    cards = {c["key"]: c for s in report.figures["sections"] for c in s["cards"]}
    assert cards["arrival"]["den"] == 2 and cards["arrival"]["display"] == "1 / 2"
    assert cards["p90"]["display"] == "—" and "2 起有记录" in cards["p90"]["counts"]
    # the Excel export: the same texts, no fraction, p or flag below 5
    download = client.get(reverse("dashboard:report_download", args=[report.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    for sheet in workbook:
        for row in sheet.iter_rows(values_only=True):
            texts = " ".join(str(v) for v in row if isinstance(v, str))
            assert _small_number_offences(texts) == [], (sheet.title, row)
    sheet = workbook[[n for n in workbook.sheetnames if "快速反应" in n][0]]
    arrival_row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == "8分钟到场率")
    assert arrival_row[1] == "1 / 2" and arrival_row[2] is None and (arrival_row[3], arrival_row[4]) == (1, 2)


def test_the_figures_show_once_there_are_five(client, two_incidents, bureau, other_station):
    """The same pages for a station with 12 incidents do show percentages and fractiles (the test
    above can fail)."""
    client.force_login(bureau)
    r = client.get(reverse("dashboard:index") + f"?period=month&month=2026-11&station={other_station.code}")
    text = _visible(r.content.decode())
    assert PERCENT.search(text) and FRACTILE.search(text)


def _css_like(station):
    """32 incidents needing arrival: 28 arrived within 8 minutes (the slowest at 7分53秒), 4 never
    recorded an arrival (their deadlines long past)."""
    arrivals = [120 + 13 * i for i in range(25)] + [473] * 3
    for i, a in enumerate(arrivals):
        settled(
            station,
            received_at=datetime(2026, 11, 3, 8, tzinfo=SH) + timedelta(minutes=7 * i),
            dispatch=30,
            arrival=a,
        )
    for i in range(4):
        settled(
            station, received_at=datetime(2026, 11, 6, 8, tzinfo=SH) + timedelta(minutes=9 * i), dispatch=30
        )
    return arrivals


def test_dispatch_definitions_hold_against_the_numbers_beside_them(
    client, frozen, station, bureau, django_capture_on_commit_callbacks
):
    arrivals = _css_like(station)
    period = parse_period({"period": "month", "month": "2026-11"})
    data = selectors.figures(user=bureau, period=period, station=station)
    cards = {c["key"]: c for s in data["sections"] for c in s["cards"]}
    rows = Incident.objects.filter(station=station)
    # rate: within the limit (≤) ÷ incidents that need the stage, a step never done is a miss
    arrival = cards["arrival"]
    needed = rows.exclude(status="diverted")
    within = sum(1 for i in needed if i.arrival_seconds is not None and i.arrival_seconds <= 480)
    assert (arrival["num"], arrival["den"]) == (within, needed.count()) == (28, 32)
    assert arrival["display"] == "87.5%"
    # P90: nearest rank over the incidents that recorded an arrival, the number missing beside it
    p90 = cards["p90"]
    recorded = sorted(i.arrival_seconds for i in needed if i.arrival_seconds is not None)
    assert p90["value"] == nearest_rank(recorded, 0.9) == nearest_rank(sorted(arrivals), 0.9)
    assert p90["missing"] == sum(1 for i in needed if i.arrival_seconds is None) == 4
    assert "缺 4 起" in p90["counts"] and "28 起有记录" in p90["counts"]
    p50 = cards["p50"]
    assert p50["value"] == nearest_rank(recorded, 0.5) and "缺 4 起" in p50["counts"]
    # the definitions say so, and none claims "P90 ≤ 8 分钟 ⟺ rate ≥ 90%"
    assert "已记录到场" in p90["definition"] and "缺失" in p90["definition"]
    assert "最近秩" in p90["definition"] and "÷ 需要到场的警情" in arrival["definition"]
    for card in cards.values():
        assert FALSE_DEFINITION not in card["definition"]
    # P90 7分53秒 ≤ 8 minutes beside 87.5% < 90%: only true because the definition says why
    assert p90["value"] == 473 and p90["display"] == "7分53秒"

    client.force_login(bureau)
    for url in (
        reverse("dashboard:index") + f"?period=month&month=2026-11&station={station.code}",
        reverse("incidents:kpi") + f"?station={station.code}",
    ):
        html = client.get(url).content.decode()
        assert FALSE_DEFINITION not in html, url
    kpi = _visible(client.get(reverse("incidents:kpi") + f"?station={station.code}").content.decode())
    assert "缺 4 起" in kpi and "7分53秒" in kpi and "87.5%" in kpi
    assert "缺失在到场率中计为未达标" in kpi
    report, page = _report_page(
        client, bureau, station, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    text = page.content.decode()
    assert FALSE_DEFINITION not in text
    assert "7分53秒" in text and "缺 4 起" in text and "87.5%" in text and "已记录到场" in text


def test_finished_month_report_is_never_unfinished_and_the_current_month_is(frozen, station, bureau):
    for day in (3, 20):
        settled(station, received_at=datetime(2026, 11, day, 9, tzinfo=SH), dispatch=30, arrival=300)
    settled(station, received_at=datetime(2026, 12, 2, 9, tzinfo=SH), dispatch=30, arrival=300)
    november = selectors.figures(
        user=bureau, period=parse_period({"period": "month", "month": "2026-11"}), station=station
    )
    cards = {c["key"]: c for s in november["sections"] for c in s["cards"]}
    assert "未结束" not in cards["trend_mom"]["note"] and "至" not in cards["trend_mom"]["note"]
    assert cards["trend_mom"]["value"] == 2
    assert (
        selectors.trend_rows(period=parse_period({"period": "month", "month": "2026-11"}), station=station)[
            -1
        ]["partial"]
        is False
    )
    december = selectors.figures(user=bureau, period=parse_period({}), station=station)
    cards = {c["key"]: c for s in december["sections"] for c in s["cards"]}
    assert "至 12月5日" in cards["trend_mom"]["note"] and cards["trend_mom"]["value"] == 1
    # the same elapsed span: 1–5 November 10:00 held one incident (the 3rd), not the whole month's two
    assert cards["trend_mom"]["change"]["before"] == 1
    charts = selectors.charts(user=bureau, period=parse_period({}), station=station)
    assert charts["trend"]["partial"][-1] is True and not any(charts["trend"]["partial"][:-1])
    assert charts["trend"]["partial_label"] == "至 12月5日"


def test_streak_counts_finished_months_only(frozen, station, bureau):
    # 6, 5, 4 incidents in Sep, Oct, Nov: two months of decline; December's 1 so far is not a third
    for month, n in ((9, 6), (10, 5), (11, 4), (12, 1)):
        for i in range(n):
            settled(station, received_at=datetime(2026, month, 1 + i, 9, tzinfo=SH), dispatch=30, arrival=300)
    data = selectors.figures(user=bureau, period=parse_period({}), station=station)
    cards = {c["key"]: c for s in data["sections"] for c in s["cards"]}
    assert cards["decline"]["value"] == 2


def test_a_custom_period_ending_mid_month_uses_that_end_everywhere(frozen, station, bureau):
    for day in (2, 10, 16, 30):
        settled(station, received_at=datetime(2026, 3, day, 9, tzinfo=SH), dispatch=30, arrival=300)
    period = parse_period({"period": "custom", "from": "2026-03-01", "to": "2026-03-15"})
    data = selectors.figures(user=bureau, period=period, station=station)
    cards = {c["key"]: c for s in data["sections"] for c in s["cards"]}
    assert cards["incidents"]["value"] == 2
    assert cards["trend_mom"]["value"] == 2 and "至 3月15日" in cards["trend_mom"]["note"]
    assert "received_before=2026-03-15" in cards["trend_mom"]["url"]


def test_dashboard_api_refuses_unknown_and_mismatched_period_parameters(api_as, bureau):
    api = api_as(bureau)
    for query, field in (
        ({"period": "week"}, "period"),
        ({"period": "month", "month": "2026-13"}, "month"),
        ({"period": "custom", "from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"period": "month", "from": "2026-03-01"}, "from"),
        ({"perod": "month"}, "perod"),
    ):
        r = api.get("/api/v1/dashboard/figures/", query)
        assert r.status_code == 400, query
        assert field in error_fields(r), (query, r.json())
