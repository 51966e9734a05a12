"""Dashboard page and data endpoints: scope, period picker, cards, drill-down links, query count."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.generate import generate
from qianwan.dashboard.periods import PeriodError, parse_period, previous_period

pytestmark = pytest.mark.django_db


def _incidents(n, days=400, seed=1):
    end = timezone.now()
    generate(n=n, start=end - timedelta(days=days), end=end, seed=seed, chunk=5000)


def _login(client, user):
    client.force_login(user)
    return client


def test_parse_period_kinds():
    today = date(2026, 5, 20)
    p = parse_period({}, today=today)
    assert (p.kind, p.date_from, p.date_to) == ("month", date(2026, 5, 1), today)
    p = parse_period({"period": "quarter", "quarter": "2026-Q1"}, today=today)
    assert (p.date_from, p.date_to) == (date(2026, 1, 1), date(2026, 3, 31))
    p = parse_period({"period": "year", "year": "2025"}, today=today)
    assert (p.date_from, p.date_to) == (date(2025, 1, 1), date(2025, 12, 31))
    p = parse_period({"period": "custom", "from": "2026-02-03", "to": "2026-02-10"}, today=today)
    assert p.days == 8
    assert previous_period(p).date_to == date(2026, 2, 2)
    for bad in (
        {"period": "week"},
        {"month": "2026-13"},
        {"period": "custom", "from": "2026-02-10", "to": "2026-02-01"},
        {"period": "custom", "from": "x"},
        {"period": "year", "year": "2030"},
    ):
        with pytest.raises(PeriodError):
            parse_period(bad, today=today)


def test_page_roles(client, make_user, officer, leader, bureau, admin_user, grid):
    url = reverse("dashboard:index")
    assert client.get(url).status_code == 302  # login page
    for user, expected in ((officer, 403), (grid, 403), (leader, 200), (bureau, 200), (admin_user, 200)):
        client.force_login(user)
        assert client.get(url).status_code == expected, user.role
    liaison = make_user("liaison", username="liaison1")
    client.force_login(liaison)
    assert client.get(url).status_code == 403


def test_station_leader_sees_own_station_only(client, leader, other_station):
    _login(client, leader)
    r = client.get(reverse("dashboard:index"))
    assert r.context["station"] == leader.station
    r = client.get(reverse("dashboard:index"), {"station": other_station.code})
    html = r.content.decode()  # a 400 with the message next to the form, nothing of the other station
    assert r.status_code == 400 and "只能查看本所的统计。" in html
    assert 'id="section-' not in html and other_station.name not in html
    assert client.get(reverse("dashboard:live"), {"station": other_station.code}).status_code == 403


def test_bureau_picks_station_and_bad_input_is_400(client, bureau, station):
    _login(client, bureau)
    r = client.get(reverse("dashboard:index"), {"station": station.code})
    assert r.status_code == 200 and r.context["station"] == station
    assert 'id="section-' in r.content.decode()
    for query, message in (
        ({"station": "NOPE"}, "未知的派出所代码"),
        ({"period": "custom", "from": "2026-01-10", "to": "2026-01-01"}, "结束日期不能早于开始日期"),
        ({"period": "month", "month": "2026-13"}, ""),
    ):
        r = client.get(reverse("dashboard:index"), query)
        html = r.content.decode()  # the message next to the form; no figures, charts or live part
        assert r.status_code == 400 and message in html and 'class="error" role="alert"' in html, query
        assert 'id="section-' not in html and "data-live" not in html and "chart-trend" not in html, query


def test_cards_show_counts_links_and_definitions(client, bureau, station):
    _incidents(400)
    _login(client, bureau)
    r = client.get(reverse("dashboard:index"), {"period": "year", "year": str(timezone.localdate().year)})
    assert r.status_code == 200
    sections = {s["key"]: s for s in r.context["data"]["sections"]}
    assert set(sections) == {
        "dispatch",
        "exchange",
        "hazards",
        "enterprises",
        "traffic",
        "antifraud",
        "disputes",
    }
    cards = {c["key"]: c for c in sections["dispatch"]["cards"]}
    arrival = cards["arrival"]
    assert arrival["den"] > 0 and arrival["counts"] == f"{arrival['num']} / {arrival['den']}"
    assert arrival["display"].endswith("%")
    assert arrival["url"].startswith("/incidents/list/?") and "received_after=" in arrival["url"]
    assert arrival["definition"]
    for section in sections.values():
        for card in section["cards"]:
            assert card["definition"], card["key"]
            if card["available"] and card["kind"] != "growth":
                assert card["url"] or card["key"] in {"outbound_handled"}, card["key"]
    html = r.content.decode()
    assert 'id="dashboard-charts"' in html and "plotly/plotly.min.js" in html
    assert "<script>" not in html  # no inline script: data goes through json_script
    # the drill-down link opens the list the figure was counted from
    lst = client.get(arrival["url"])
    assert lst.status_code == 200


def test_zero_base_and_small_counts(client, bureau):
    _login(client, bureau)
    r = client.get(reverse("dashboard:index"))
    cards = {c["key"]: c for s in r.context["data"]["sections"] for c in s["cards"]}
    assert cards["arrival"]["den"] == 0 and cards["arrival"]["display"] == "—"
    assert cards["close_rate"]["display"] == "—"


def test_below_five_events_no_percentage():
    from qianwan.dashboard.cards import count_card, rate_card

    card = rate_card("x", "x", "def", 3, 4)
    assert card["display"] == "3 / 4" and card["value"] is None and "不足5件" in card["note"]
    assert rate_card("x", "x", "d", 0, 0)["display"] == "—"
    assert rate_card("x", "x", "d", 9, 10)["display"] == "90.0%"
    from qianwan.kpi import compare_counts

    # a base below 5: the two counts, no percentage and no flag
    c = count_card("x", "x", "d", 3, change=compare_counts(3, 4))
    assert c["change"]["display"] == "3 / 4" and c["change"]["flag"] is None
    c = count_card("x", "x", "d", 1, change=compare_counts(1, 0))
    assert c["change"]["display"] == "—" and c["change"]["flag"] is None
    c = count_card("x", "x", "d", 60, change=compare_counts(60, 100))
    assert c["change"]["display"] == "↓ 40.0%" and c["change"]["flag"] == "significant"
    assert c["change"]["p_text"].startswith("p ")
    c = count_card("x", "x", "d", 5, change=compare_counts(5, 0))
    assert c["change"]["display"] == "—"


def test_api_figures_and_charts(api_as, bureau, leader, officer, other_station, anon_api):
    _incidents(300)
    api = api_as(bureau)
    r = api.get("/api/v1/dashboard/figures/", {"period": "year", "year": str(timezone.localdate().year)})
    assert r.status_code == 200
    assert r.json()["sections"][0]["key"] == "dispatch"
    r = api.get(
        "/api/v1/dashboard/charts/",
        {"period": "custom", "from": "2025-01-01", "to": str(timezone.localdate())},
    )
    assert r.status_code == 200
    body = r.json()
    assert len(body["trend"]["months"]) >= 12 and body["stations"]["codes"]
    assert body["stages"]["arrival"]["limit_seconds"] == 480 and sum(body["stages"]["arrival"]["y"]) > 0
    assert api.get("/api/v1/dashboard/figures/", {"period": "bogus"}).status_code == 400
    assert api.get("/api/v1/dashboard/figures/", {"station": "NOPE"}).status_code == 400
    assert (
        api_as(leader).get("/api/v1/dashboard/figures/", {"station": other_station.code}).status_code == 403
    )
    assert api_as(officer).get("/api/v1/dashboard/figures/").status_code == 403
    assert anon_api.get("/api/v1/dashboard/figures/").status_code == 401
    live = api_as(leader).get("/api/v1/dashboard/live/")
    assert live.status_code == 200 and "open_incidents" in live.json()


def test_stage_histogram_matches_rates(bureau):
    """The histogram reads the same durations the rates do: the count at or under the limit is the
    number within (buckets are 10 s; the 480 s limit is a bucket boundary)."""
    from incidents.selectors import dispatch_kpis
    from qianwan.dashboard.selectors import stage_histograms

    _incidents(500, days=60)
    period = parse_period(
        {
            "period": "custom",
            "from": str(timezone.localdate() - timedelta(days=70)),
            "to": str(timezone.localdate()),
        }
    )
    hist = stage_histograms(period=period)["arrival"]
    k = dispatch_kpis(date_from=period.date_from, date_to=period.date_to, breakdowns=False)
    assert sum(hist["y"]) == k["with_arrival"]


def test_query_count_is_bounded(client, bureau, django_assert_max_num_queries):
    """The page's queries do not grow with the number of records."""
    _login(client, bureau)
    _incidents(50, seed=3)
    url = reverse("dashboard:index")
    params = {"period": "year", "year": str(timezone.localdate().year)}
    client.get(url, params)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(50) as small:
        client.get(url, params)
    _incidents(2000, seed=4)
    with django_assert_max_num_queries(len(small.captured_queries)) as big:
        client.get(url, params)
    assert len(big.captured_queries) == len(small.captured_queries)
    # measured: 34 and 32 here; 42 and 40 on the district data, where sealed rollup rows are read too
    with django_assert_max_num_queries(48):
        client.get("/api/v1/dashboard/figures/", params)
