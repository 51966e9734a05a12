"""KPI math: nearest-rank percentiles, rates with counts, P90 ≤ limit ⇔ rate ≥ 90%, local months."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents import selectors
from incidents.models import Incident
from tests.incidents.factories import make_incident, record, settled

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 5, 10, 9, 0, tzinfo=SH)


def kpis(**kw):
    return selectors.dispatch_kpis(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31), **kw)


def full(station, arrival, i=0, **kw):
    return settled(
        station,
        received_at=DAY + timedelta(minutes=i),
        dispatch=30,
        video=60,
        leader=90,
        arrival=arrival,
        **kw,
    )


def test_nearest_rank_percentiles_and_rate_with_counts(station):
    arrivals = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    for i, a in enumerate(arrivals):
        full(station, a, i)
    data = kpis()
    # nearest rank: ⌈0.5·10⌉ = 5th → 500; ⌈0.9·10⌉ = 9th → 900; ⌈0.95·10⌉ = 10th → 1000
    assert (data["arrival_p50_seconds"], data["arrival_p90_seconds"], data["arrival_p95_seconds"]) == (
        500,
        900,
        1000,
    )
    assert data["arrival_rate"] == pytest.approx(4 / 10)
    assert data["stages"]["arrival"] == {
        "eligible": 10,
        "within": 4,
        "late": 6,
        "missing": 0,
        "pending": 0,
        "rate": 0.4,
    }
    assert data["dispatch_rate"] == 1.0 and data["incidents"] == 10


@pytest.mark.parametrize(
    "arrivals",
    [
        [300] * 9 + [481],  # 90% within → P90 = 300 ≤ 480
        [300] * 8 + [481, 481],  # 80% → P90 = 481 > 480
        [480] * 9 + [900],  # the limit itself counts as within
        [100] * 18 + [479, 481],  # 95%
        [481] * 3 + [10] * 17,  # 85%
        [200] * 27 + [500] * 3,  # exactly 90%
        [200] * 26 + [500] * 4,  # 86.7%
    ],
)
def test_p90_within_limit_exactly_when_rate_at_least_90(station, arrivals):
    for i, a in enumerate(arrivals):
        full(station, a, i)
    data = kpis()
    assert (data["arrival_p90_seconds"] <= 480) == (data["arrival_rate"] >= 0.9)


def test_diverted_excluded_from_stage_rates_and_counted(station):
    full(station, 300, 0)
    diverted = make_incident(station, received_at=DAY + timedelta(minutes=5), category="non_police")
    record(diverted, "dispatched", after=200)  # late, but a diverted incident needs no stage
    record(diverted, "diverted", after=230, target="12345")
    data = kpis()
    assert data["incidents"] == 2 and data["diverted"] == 1
    assert data["stages"]["dispatch"]["eligible"] == 1 and data["dispatch_rate"] == 1.0


def test_never_done_counts_as_miss_once_overdue_and_pending_is_left_out(station, time_machine):
    now = datetime(2026, 5, 20, 12, 0, tzinfo=SH)
    time_machine.move_to(now, tick=False)
    full(station, 300, 0)  # all met
    make_incident(
        station, received_at=now - timedelta(minutes=30)
    )  # nothing done, long overdue, timers never ran
    fresh = make_incident(station, received_at=now - timedelta(seconds=30))  # still within every limit
    record(fresh, "dispatched", after=20)
    data = kpis(now=now)
    arrival = data["stages"]["arrival"]
    assert arrival == {"eligible": 2, "within": 1, "late": 0, "missing": 1, "pending": 1, "rate": 0.5}
    assert data["stages"]["dispatch"]["eligible"] == 3 and data["stages"]["dispatch"]["missing"] == 1
    assert data["incidents"] == 3


def test_out_of_order_timestamps_counted(station):
    incident = full(station, 300, 0)
    Incident.objects.filter(pk=incident.pk).update(dispatch_seconds=400)  # arrival recorded before dispatch
    assert kpis()["out_of_order"] == 1


def test_period_is_local_days_inclusive(station):
    # 2026-04-30 16:30 UTC is 2026-05-01 00:30 in Shanghai: inside May
    settled(
        station, received_at=datetime(2026, 4, 30, 16, 30, tzinfo=ZoneInfo("UTC")), dispatch=10, arrival=100
    )
    # 2026-05-31 16:30 UTC is 2026-06-01 00:30 in Shanghai: outside May
    settled(
        station, received_at=datetime(2026, 5, 31, 16, 30, tzinfo=ZoneInfo("UTC")), dispatch=10, arrival=100
    )
    assert kpis()["incidents"] == 1


def test_breakdowns_per_station_and_category(station, other_station):
    full(station, 300, 0, category="traffic")
    full(station, 600, 1, category="dispute")
    full(other_station, 200, 2, category="traffic")
    data = kpis()
    by_station = {r["station"]: r for r in data["by_station"]}
    assert by_station["ADS"]["incidents"] == 2 and by_station["ADS"]["arrival_rate"] == 0.5
    assert by_station["CSS"]["arrival_rate"] == 1.0
    by_category = {r["category"]: r for r in data["by_category"]}
    assert by_category["traffic"]["incidents"] == 2 and by_category["traffic"]["arrival_p50_seconds"] == 200
    assert kpis(station=other_station)["incidents"] == 1


def test_empty_period_rates_are_null():
    data = kpis()
    assert data["incidents"] == 0 and data["arrival_rate"] is None and data["arrival_p90_seconds"] is None


def test_kpi_api_station_scope(api_as, officer, bureau, station, other_station):
    full(station, 300, 0)
    full(other_station, 300, 1)
    url = "/api/v1/kpis/dispatch/?from=2026-05-01&to=2026-05-31"
    response = api_as(officer).get(url)
    assert response.status_code == 200 and response.json()["incidents"] == 1
    assert api_as(officer).get(url + "&station=CSS").status_code == 403
    assert api_as(bureau).get(url).json()["incidents"] == 2
    assert api_as(bureau).get(url + "&station=CSS").json()["incidents"] == 1
    assert api_as(bureau).get(url + "&station=NOPE").status_code == 400
    assert api_as(bureau).get("/api/v1/kpis/dispatch/?from=2026-05-31&to=2026-05-01").status_code == 400
    assert api_as(bureau).get("/api/v1/kpis/dispatch/").status_code == 400
    data = api_as(bureau).get(url).json()
    for key in (
        "incidents",
        "dispatch_rate",
        "video_supervision_rate",
        "leader_notified_rate",
        "arrival_rate",
        "arrival_p50_seconds",
        "arrival_p90_seconds",
        "diverted",
    ):
        assert key in data


def _bulk(station, month_counts):
    """Incidents at local month starts (+1 h), created quickly through the generator-free path."""
    for (year, month), n in month_counts.items():
        for i in range(n):
            Incident.objects.create(
                number=f"T{year}{month:02d}{i:04d}{station.code}",
                station=station,
                category="dispute",
                received_at=datetime(year, month, 1, 0, 30, tzinfo=SH) + timedelta(minutes=i),
            )


def test_trend_local_months_changes_and_poisson(station, time_machine):
    time_machine.move_to(datetime(2026, 6, 15, 10, 0, tzinfo=SH), tick=False)
    _bulk(station, {(2025, 5): 10, (2025, 6): 4, (2026, 4): 20, (2026, 5): 10, (2026, 6): 9})
    months = {m["month"]: m for m in selectors.incident_trend(months=3)["months"]}
    assert list(months) == ["2026-04", "2026-05", "2026-06"]
    may = months["2026-05"]
    # 2026-05-01 00:30 Shanghai is 2026-04-30 16:30 UTC: still May, locally
    assert may["incidents"] == 10
    assert may["mom_change"] == pytest.approx(-0.5) and may["yoy_change"] == pytest.approx(0.0)
    assert (
        may["mom"]["z"] == pytest.approx(round(2 * (10**0.5 - 20**0.5), 2))
        and may["mom"]["significant"] is True
    )
    june = months["2026-06"]
    assert june["partial"] is True and june["yoy_change"] == pytest.approx(1.25)
    assert june["yoy"]["change"] is None  # base below 5 events: no percentage shown
    april = months["2026-04"]
    assert april["mom_change"] is None  # zero base
    assert april["yoy_change"] is None


def test_trend_api(api_as, officer, bureau, station):
    assert api_as(officer).get("/api/v1/kpis/incident-trend/?months=12").json()["months"].__len__() == 12
    assert api_as(officer).get("/api/v1/kpis/incident-trend/?months=12&station=CSS").status_code == 403
    assert api_as(bureau).get("/api/v1/kpis/incident-trend/?months=0").status_code == 400
    assert api_as(bureau).get("/api/v1/kpis/incident-trend/?months=abc").status_code == 400


def test_kpi_query_count_is_constant(station, other_station, django_assert_max_num_queries):
    full(station, 300, 0)
    with django_assert_max_num_queries(12) as first:
        kpis()
    for i in range(1, 10):
        full(other_station if i % 2 else station, 300 + i, i, category="traffic" if i % 3 else "help")
    with django_assert_max_num_queries(len(first.captured_queries)):
        kpis()
