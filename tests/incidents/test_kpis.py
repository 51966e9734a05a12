"""KPI math: nearest-rank percentiles, rates with counts, P90 ≤ limit ⇔ rate ≥ 90%, local months."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents import selectors
from incidents.choices import Category
from incidents.models import Incident
from qianwan.kpi import binomial_two_sided_p
from tests.errors import error_fields, error_message
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


def test_trend_local_months_changes_and_exact_test(station, time_machine):
    time_machine.move_to(datetime(2026, 6, 15, 10, 0, tzinfo=SH), tick=False)
    _bulk(station, {(2025, 5): 10, (2025, 6): 4, (2026, 4): 20, (2026, 5): 10, (2026, 6): 9})
    months = {m["month"]: m for m in selectors.incident_trend(months=3)["months"]}
    assert list(months) == ["2026-04", "2026-05", "2026-06"]
    may = months["2026-05"]
    # 2026-05-01 00:30 Shanghai is 2026-04-30 16:30 UTC: still May, locally
    assert may["incidents"] == 10 and may["partial"] is False
    assert may["mom_change"] == pytest.approx(-0.5) and may["yoy_change"] == pytest.approx(0.0)
    assert may["mom_change"] == may["mom"]["change"] and may["yoy_change"] == may["yoy"]["change"]
    # 10 in May (31 days) against 20 in April (30 days): binomtest(10, 30, 31/61) p = 0.0987…
    assert may["mom"]["p"] == pytest.approx(binomial_two_sided_p(10, 30, 31 / 61))
    assert may["mom"]["significant"] is (may["mom"]["p"] < 0.05)
    june = months["2026-06"]
    assert june["partial"] is True
    # the API gives the change on any base (4 is below 5: the pages show counts only)
    assert june["yoy"]["before"] == 4 and june["yoy_change"] == pytest.approx(1.25)
    assert june["yoy_change"] == june["yoy"]["change"]
    april = months["2026-04"]
    assert april["mom_change"] is None and april["mom"]["change"] is None  # zero base
    assert april["yoy_change"] is None


def test_partial_month_is_compared_with_the_same_elapsed_span(station, time_machine):
    """Month-to-date on 5 December 10:00 against 1–5 November 10:00 and 1–5 December 10:00 a year
    before, never against whole months; exposures are the spans' lengths."""
    now = datetime(2026, 12, 5, 10, 0, tzinfo=SH)
    at = [
        datetime(2026, 11, 2, 9, 0, tzinfo=SH),
        datetime(2026, 11, 5, 9, 59, tzinfo=SH),  # inside the span
        datetime(2026, 11, 5, 10, 0, tzinfo=SH),  # the same moment: outside, like now
        datetime(2026, 11, 20, 9, 0, tzinfo=SH),
        datetime(2025, 12, 1, 0, 0, tzinfo=SH),
        datetime(2025, 12, 28, 0, 0, tzinfo=SH),
        datetime(2026, 12, 3, 8, 0, tzinfo=SH),
    ]
    for i, received in enumerate(at):
        Incident.objects.create(number=f"S{i}", station=station, category="dispute", received_at=received)
    time_machine.move_to(now, tick=False)
    rows = selectors.incident_trend(months=2)["months"]
    nov, dec = rows
    assert nov["partial"] is False and nov["incidents"] == 4
    assert dec["partial"] is True and dec["incidents"] == 1
    assert dec["mom"]["before"] == 2 and dec["yoy"]["before"] == 1
    span = 4 + 10 / 24
    assert dec["mom"]["exposure_now"] == pytest.approx(span) and dec["mom"][
        "exposure_before"
    ] == pytest.approx(span)
    assert dec["mom"]["p"] == pytest.approx(binomial_two_sided_p(1, 3, 0.5))
    assert dec["mom_change"] == pytest.approx(-0.5)
    assert dec["mom"]["before_until"].startswith("2026-11-05T10:00")


def test_partial_span_is_clamped_to_the_end_of_a_shorter_month():
    start = datetime(2026, 3, 1, tzinfo=SH)
    assert selectors.same_span(start, datetime(2026, 3, 31, 14, 0, tzinfo=SH), 1) == (
        datetime(2026, 2, 1, tzinfo=SH),
        datetime(2026, 3, 1, tzinfo=SH),
    )
    assert selectors.same_span(start, datetime(2026, 3, 28, 14, 0, tzinfo=SH), 1)[1] == datetime(
        2026, 2, 28, 14, 0, tzinfo=SH
    )
    leap = datetime(2028, 2, 1, tzinfo=SH)
    assert selectors.same_span(leap, datetime(2028, 2, 29, 8, 0, tzinfo=SH), 12) == (
        datetime(2027, 2, 1, tzinfo=SH),
        datetime(2027, 3, 1, tzinfo=SH),
    )


def test_a_trend_ending_mid_month_counts_to_its_end_only(station, time_machine):
    """A custom period ending on 15 March: the March row counts 1–15 March, not the whole month."""
    time_machine.move_to(datetime(2026, 4, 20, 10, 0, tzinfo=SH), tick=False)
    for i, day in enumerate([2, 10, 16, 30]):
        Incident.objects.create(
            number=f"M{i}",
            station=station,
            category="dispute",
            received_at=datetime(2026, 3, day, 9, tzinfo=SH),
        )
    rows = selectors.incident_trend(months=1, now=datetime(2026, 3, 16, tzinfo=SH))["months"]
    assert rows[0]["month"] == "2026-03" and rows[0]["incidents"] == 2 and rows[0]["partial"] is True
    whole = selectors.incident_trend(months=1, now=datetime(2026, 4, 1, tzinfo=SH))["months"]
    assert whole[0]["month"] == "2026-03" and whole[0]["incidents"] == 4 and whole[0]["partial"] is False


def test_trend_api(api_as, officer, bureau, station, time_machine):
    time_machine.move_to(datetime(2026, 6, 15, 10, 0, tzinfo=SH), tick=False)
    _bulk(station, {(2026, 4): 20, (2026, 5): 10, (2026, 6): 9})
    body = api_as(officer).get("/api/v1/kpis/incident-trend/?months=12").json()
    assert len(body["months"]) == 12
    last = body["months"][-1]
    assert last["partial"] is True and all(not m["partial"] for m in body["months"][:-1])
    assert set(last["mom"]) >= {"now", "before", "change", "p", "significant"} and "z" not in last["mom"]
    assert last["mom"]["before"] == 10 and last["mom_change"] == last["mom"]["change"]
    may = body["months"][-2]
    assert may["mom"]["p"] == pytest.approx(binomial_two_sided_p(10, 30, 31 / 61))
    assert api_as(officer).get("/api/v1/kpis/incident-trend/?months=12&station=CSS").status_code == 403
    for bad in ("months=0", "months=abc", "months=61", "station=NOPE"):
        resp = api_as(bureau).get(f"/api/v1/kpis/incident-trend/?{bad}")
        assert resp.status_code == 400, bad
        assert error_message(resp) or error_fields(resp), bad


def test_kpi_query_count_is_constant(station, other_station, django_assert_max_num_queries):
    full(station, 300, 0)
    with django_assert_max_num_queries(12) as first:
        kpis()
    for i in range(1, 10):
        full(other_station if i % 2 else station, 300 + i, i, category="traffic" if i % 3 else "help")
    with django_assert_max_num_queries(len(first.captured_queries)):
        kpis()


def test_stage_histograms_carry_each_categorys_own_limit(station):
    """A category with its own policy (traffic: arrival within 10 minutes) gets its own limit line."""
    from incidents.models import SlaPolicy

    SlaPolicy.objects.update_or_create(category="traffic", defaults={"arrival_seconds": 600})
    full(station, 300, 0)
    arrival = selectors.stage_distribution(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))["arrival"]
    limits = {row["limit_seconds"]: row["categories"] for row in arrival["limits"]}
    assert set(limits) == {480, 600}
    assert limits[600] == [str(Category.TRAFFIC.label)]
    assert str(Category.DISPUTE.label) in limits[480]
    dispatch = selectors.stage_distribution(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))["dispatch"]
    assert [row["limit_seconds"] for row in dispatch["limits"]] == [60]  # the traffic policy keeps 60 s
