"""Lists at city scale (issue 21, api-contract.md "Lists are paginated"): bounded counts, signed keyset
cursors walked while records are written, ``?page=`` up to the 10,000th record, and the errors.

Runs on the database of the suite (PostgreSQL in CI); the rows are made with ``bulk_create``."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident
from qianwan.org.choices import Role
from tests.errors import error_code, error_fields, error_message

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
BASE = timezone.now().replace(microsecond=0) - timedelta(days=1)


def _make(station, n: int, *, start: int = 0, prefix: str = "T") -> list[Incident]:
    # three incidents per minute: the ordering (-received_at, -id) needs its tie-break
    rows = [
        Incident(
            number=f"{prefix}{start + i:07d}",
            station=station,
            category="help",
            received_at=BASE - timedelta(minutes=(start + i) // 3),
            address="前湾路",
            description=f"第{start + i}起",
        )
        for i in range(n)
    ]
    return Incident.objects.bulk_create(rows, batch_size=2000)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _cursor(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.fixture
def big(station, other_station):
    """10,000 incidents of ADS and 60 of CSS (10,060 in all)."""
    _make(station, 10_000)
    _make(other_station, 60, start=10_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident") if connection.vendor == "postgresql" else None
    return Incident.objects.count()


def test_bounded_count_on_both_sides_of_10000(api_as, admin_user, big):
    client = api_as(admin_user)
    everything = client.get(f"{URL}?page_size=10").json()
    assert everything["count"] is None and everything["count_at_least"] == 10_000
    assert len(everything["results"]) == 10 and "cursor=" in everything["next"]
    exactly = client.get(f"{URL}?page_size=10&count=exact").json()
    assert exactly["count"] == 10_060 and "count_at_least" not in exactly
    at_limit = client.get(f"{URL}?page_size=10&station=ADS").json()
    assert at_limit["count"] == 10_000 and "count_at_least" not in at_limit
    small = client.get(f"{URL}?station=CSS&page_size=100").json()
    assert small["count"] == 60 and small["next"] is None and small["previous"] is None
    # a cursor page counts too, with the same bound
    second = client.get(_path(everything["next"])).json()
    assert second["count"] is None and second["count_at_least"] == 10_000


def test_walk_by_next_while_records_are_written_finds_each_record_once_in_page_order(
    api_as, admin_user, station, other_station, big
):
    client = api_as(admin_user)
    expected = list(Incident.objects.order_by("-received_at", "-id").values_list("id", flat=True))
    assert len(expected) == 10_060
    # ?page= gives the same order as far as it goes (20 pages of 500 = the 10,000th record)
    by_number = []
    for number in range(1, 21):
        by_number += [r["id"] for r in client.get(f"{URL}?page_size=500&page={number}").json()["results"]]
    assert by_number == expected[:10_000]

    seen: list[int] = []
    url = f"{URL}?page_size=500"
    pages = 0
    while url:
        body = client.get(url).json()
        seen += [r["id"] for r in body["results"]]
        pages += 1
        if pages == 3:
            # written mid-walk: the newest call, one tied with a row not reached yet (same minute), one
            # older than the cursor, and edits to records already seen and not yet seen
            not_reached = Incident.objects.get(pk=expected[5_000])
            Incident.objects.bulk_create(
                [
                    Incident(
                        number="NEW-NEWEST", station=station, category="help", received_at=timezone.now()
                    ),
                    Incident(
                        number="NEW-TIED",
                        station=station,
                        category="help",
                        received_at=not_reached.received_at,
                    ),
                    Incident(
                        number="NEW-OLD",
                        station=other_station,
                        category="help",
                        received_at=BASE - timedelta(days=30),
                    ),
                ]
            )
            Incident.objects.filter(pk__in=[expected[10], expected[7_000], expected[10_050]]).update(
                status="closed", description="已改"
            )
        url = _path(body["next"]) if body["next"] else None
    assert pages == 21  # 10,060 + the two new rows after the cursor, by 500
    new = dict(Incident.objects.filter(number__startswith="NEW-").values_list("number", "id"))
    assert new["NEW-NEWEST"] not in seen  # before the cursor: not reached again
    assert new["NEW-TIED"] in seen and new["NEW-OLD"] in seen  # ahead of the cursor: reached once
    original = [pk for pk in seen if pk in set(expected)]
    assert original == expected  # every record of the start once, in ?page= order
    assert len(seen) == len(set(seen))  # nothing twice, new rows included


def test_previous_link_walks_back(api_as, admin_user, big):
    client = api_as(admin_user)
    first = client.get(f"{URL}?page_size=100").json()
    assert first["previous"] is None
    second = client.get(_path(first["next"])).json()
    third = client.get(_path(second["next"])).json()
    back = client.get(_path(third["previous"])).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    start = client.get(_path(back["previous"])).json()
    assert [r["id"] for r in start["results"]] == [r["id"] for r in first["results"]]
    assert start["previous"] is None
    # page numbers link to page numbers going back, and forward to a cursor
    fifth = client.get(f"{URL}?page_size=100&page=5").json()
    assert "page=4" in fifth["previous"] and "cursor=" in fifth["next"]


def test_page_numbers_stop_at_the_10000th_record(api_as, admin_user, big):
    client = api_as(admin_user)
    last = client.get(f"{URL}?page_size=50&page=200")
    assert last.status_code == 200 and len(last.json()["results"]) == 50
    deeper = client.get(f"{URL}?page_size=50&page=201")
    assert deeper.status_code == 400 and error_code(deeper) == "page_too_deep"
    assert "next" in error_message(deeper) and "page" in error_fields(deeper)
    # from the deepest numbered page, next is a cursor and reaches the rest
    tail = client.get(_path(last.json()["next"])).json()
    assert len(tail["results"]) == 50


def test_bad_cursors_and_page_sizes_are_400(api_as, admin_user, make_user, station, big):
    client = api_as(admin_user)
    first = client.get(f"{URL}?page_size=20").json()
    cursor = _cursor(first["next"])
    ok = client.get(f"{URL}?page_size=20&cursor={cursor}")
    assert ok.status_code == 200
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    cases = {
        "tampered": client.get(f"{URL}?cursor={tampered}"),
        "truncated": client.get(f"{URL}?cursor={cursor[:20]}"),
        "garbage": client.get(f"{URL}?cursor=%25%25not"),
        "another filter": client.get(f"{URL}?station=ADS&cursor={cursor}"),
        "another ordering list": client.get(f"/api/v1/hazards/?cursor={cursor}"),
        "another user": api_as(make_user(Role.BUREAU_LEADER, username="b2")).get(f"{URL}?cursor={cursor}"),
    }
    for name, response in cases.items():
        assert response.status_code == 400 and error_code(response) == "cursor_invalid", name
        assert "cursor" in error_fields(response), name
    # another page size is the same walk: allowed
    assert client.get(f"{URL}?page_size=7&cursor={cursor}").status_code == 200
    for size in ("0", "501", "abc", "-1"):
        response = client.get(f"{URL}?page_size={size}")
        assert response.status_code == 400 and error_code(response) == "page_size_invalid", size
    both = client.get(f"{URL}?page=2&cursor={cursor}")
    assert both.status_code == 400 and "cursor" in error_fields(both)
    assert error_code(client.get(f"{URL}?count=maybe")) == "invalid"
    assert error_code(client.get(f"{URL}?page=0")) == "invalid"


def test_an_officer_cursor_stays_in_scope(api_as, make_user, other_station, big):
    officer = make_user(Role.OFFICER, username="o1")
    client = api_as(officer)
    body = client.get(f"{URL}?page_size=500&count=exact").json()
    assert body["count"] == 10_000
    ids = []
    url = f"{URL}?page_size=500"
    while url:
        page = client.get(url).json()
        ids += [r["id"] for r in page["results"]]
        url = _path(page["next"]) if page["next"] else None
    assert len(ids) == len(set(ids)) == 10_000
    assert not Incident.objects.filter(pk__in=ids, station=other_station).exists()


def test_schema_declares_bounded_count_and_cursor(api_as, admin_user):
    schema = api_as(admin_user).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    page = schema["components"]["schemas"]["PaginatedIncidentList"]
    assert page["properties"]["count"]["nullable"] is True
    assert "count_at_least" in page["properties"]
    params = {p["name"] for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"cursor", "count", "page", "page_size"} <= params
    assert "page_too_deep" in str(schema["components"]["schemas"]["Error"])
