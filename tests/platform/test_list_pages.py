"""The shared list page (qianwan/listing.py, issues 19 and 21): default windows only when the URL names no
period, "全部时间", a drill-down link that carries its period, bounded counts with "精确计数", cursor
links and a refused tampered cursor."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import Incident
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role

pytestmark = pytest.mark.django_db

LIST = "/incidents/list/"


def _incident(station, number, *, days_ago, status="closed"):
    return Incident.objects.create(
        number=number,
        station=station,
        category="help",
        status=status,
        received_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def browser(make_user):
    client = Client()
    client.force_login(make_user(Role.BUREAU_LEADER, username="bl"))
    return client


def _numbers(response) -> set[str]:
    return {row["incident"].number for row in response.context["rows"]}


def test_incident_list_opens_on_30_days_plus_open_items(browser, station):
    _incident(station, "OLD-CLOSED", days_ago=40)
    _incident(station, "OLD-OPEN", days_ago=400, status="open")
    _incident(station, "NEW-CLOSED", days_ago=2)
    page = browser.get(LIST)
    assert page.status_code == 200
    assert _numbers(page) == {"OLD-OPEN", "NEW-CLOSED"}
    html = page.content.decode()
    assert "最近 30 天及全部未办结" in html and "全部时间" in html and 'data-window="default"' in html
    assert "共 2 条" in html
    everything = browser.get(f"{LIST}?period=all")
    assert _numbers(everything) == {"OLD-CLOSED", "OLD-OPEN", "NEW-CLOSED"}
    assert 'data-window="all"' in everything.content.decode()
    # the window also bounds the export of the page as it opens
    assert browser.get(f"{LIST}?export=xlsx").status_code == 200


def test_a_drill_down_link_with_its_period_is_not_windowed(browser, station):
    _incident(station, "OLD-CLOSED", days_ago=40)
    _incident(station, "OLDER-CLOSED", days_ago=90)
    day = timezone.localdate() - timedelta(days=45)
    link = f"{LIST}?received_after={day.isoformat()}&received_before={(day + timedelta(days=10)).isoformat()}"
    page = browser.get(link)
    assert page.status_code == 200 and _numbers(page) == {"OLD-CLOSED"}
    assert 'data-window="default"' not in page.content.decode()
    # a filter that names no period keeps the window
    windowed = browser.get(f"{LIST}?category=help")
    assert _numbers(windowed) == set()


def test_audit_trail_opens_on_seven_days(make_user, station):
    leader = make_user(Role.BUREAU_LEADER, username="bl2")
    AuditEntry.objects.create(action="test.recent", actor_label="x", object_repr="近期")
    old = AuditEntry.objects.create(action="test.old", actor_label="x", object_repr="早前")
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=8))
    client = Client()
    client.force_login(leader)
    reprs = {row["entry"].object_repr for row in client.get("/audit/").context["rows"]}
    assert "近期" in reprs and "早前" not in reprs
    reprs = {row["entry"].object_repr for row in client.get("/audit/?period=all").context["rows"]}
    assert {"近期", "早前"} <= reprs


def test_bounded_count_exact_link_and_cursor_pages(browser, station):
    now = timezone.now()
    Incident.objects.bulk_create(
        [
            Incident(
                number=f"B{i:06d}", station=station, category="help", received_at=now - timedelta(seconds=i)
            )
            for i in range(10_050)
        ],
        batch_size=2000,
    )
    page = browser.get(LIST)
    html = page.content.decode()
    assert "超过 10,000 条" in html and "精确计数" in html and "count=exact" in html
    exact = browser.get(f"{LIST}?count=exact").content.decode()
    assert "共 10,050 条" in exact
    first = [row["incident"].pk for row in page.context["rows"]]
    next_url = page.context["page"].next_url
    assert "cursor=" in next_url
    second = browser.get(LIST + next_url)
    assert second.status_code == 200
    second_ids = [row["incident"].pk for row in second.context["rows"]]
    assert len(second_ids) == 50 and not set(first) & set(second_ids)
    back = browser.get(LIST + second.context["page"].previous_url)
    assert [row["incident"].pk for row in back.context["rows"]] == first
    cursor = next_url.split("cursor=")[1].split("&")[0]
    assert browser.get(f"{LIST}?cursor={cursor[:-4]}AAAA").status_code == 400
    assert browser.get(f"{LIST}?category=help&cursor={cursor}").status_code == 400


@pytest.mark.parametrize(
    "url",
    ["/risks/", "/disputes/", "/traffic/patrols/", "/traffic/accidents/", "/exchange/inbound/"],
)
def test_the_other_lists_render_on_the_shared_page(browser, url):
    response = browser.get(url)
    assert response.status_code == 200, url
    if url != "/exchange/inbound/":
        assert "data-window=" in response.content.decode(), url


def test_a_dashboard_drill_down_counts_exactly_and_keeps_its_period(browser, station):
    from qianwan.dashboard.cards import link

    _incident(station, "OLD-CLOSED", days_ago=40)
    day = timezone.localdate() - timedelta(days=45)
    url = link("incidents:list", received_after=day.isoformat())
    assert "count=exact" in url and f"received_after={day.isoformat()}" in url
    page = browser.get(url)
    assert _numbers(page) == {"OLD-CLOSED"} and page.context["page"].exact
    assert "共 1 条" in page.content.decode()


def test_the_windowed_count_adds_its_two_parts_once(browser, station, monkeypatch):
    """The default window is counted as "recent" plus "open and older" (each on its own index): an
    open recent incident is counted once, and the sum is bounded like any count."""
    _incident(station, "NEW-OPEN", days_ago=1, status="open")
    _incident(station, "NEW-CLOSED", days_ago=3)
    _incident(station, "OLD-OPEN", days_ago=90, status="open")
    _incident(station, "OLD-CLOSED", days_ago=90)
    page = browser.get(LIST)
    assert page.context["page"].count == 3 and "共 3 条" in page.content.decode()
    assert browser.get(f"{LIST}?count=exact").context["page"].count == 3
    from django.test import RequestFactory

    from incidents.views import LIST_WINDOW
    from qianwan import listing

    request = RequestFactory().get(LIST)
    _qs, state = listing.apply_window(request, Incident.objects.all(), LIST_WINDOW)
    monkeypatch.setattr(listing, "COUNT_LIMIT", 2)
    assert listing._count(state.count_parts, exact=False) is None  # past the bound across the parts
    assert listing._count(state.count_parts, exact=True) == 3
    monkeypatch.setattr(listing, "COUNT_LIMIT", 3)
    assert listing._count(state.count_parts, exact=False) == 3


def test_audit_dates_are_local_days(make_user):
    """``date_from``/``date_to`` are Asia/Shanghai days, filtered as instants (the time index)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    leader = make_user(Role.BUREAU_LEADER, username="bl3")
    for label, at in (
        ("before", datetime(2026, 11, 23, 23, 59, 30, tzinfo=tz)),
        ("first", datetime(2026, 11, 24, 0, 0, 10, tzinfo=tz)),
        ("last", datetime(2026, 11, 25, 23, 59, 50, tzinfo=tz)),
        ("after", datetime(2026, 11, 26, 0, 0, 5, tzinfo=tz)),
    ):
        entry = AuditEntry.objects.create(action="test.day", actor_label="x", object_repr=label)
        AuditEntry.objects.filter(pk=entry.pk).update(at=at)
    client = Client()
    client.force_login(leader)
    rows = client.get("/audit/?date_from=2026-11-24&date_to=2026-11-25&action=test.day").context["rows"]
    assert {row["entry"].object_repr for row in rows} == {"first", "last"}
