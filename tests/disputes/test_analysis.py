"""综合研判: YoY and growth-rate change with counts and the exact test, hot blocks, the heat table."""

import math
from datetime import date

import pytest

from disputes import selectors
from disputes.selectors import _shift_year
from qianwan.kpi import binomial_two_sided_p
from qianwan.org.choices import Role
from tests.disputes.factories import POINT_A, POINT_B, local, make_block, make_incident, raw_dispute

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": date(2026, 1, 1), "date_to": date(2026, 6, 30)}


def _spread(station, year, n, **kw):
    for i in range(n):
        raw_dispute(station, local(year, 1 + i % 6, 1 + i % 27, 10, 0), **kw)


def test_yoy_and_growth_change(officer, station):
    _spread(station, 2026, 11)
    _spread(station, 2025, 12)
    _spread(station, 2024, 10)
    raw_dispute(station, local(2026, 7, 1, 0, 0))  # outside the period (local 1 July)
    raw_dispute(station, local(2025, 12, 31, 23, 59))  # outside both years' periods
    result = selectors.yoy(user=officer, **PERIOD, source="disputes")
    assert result["counts"] == {"this_year": 11, "last_year": 12, "two_years_ago": 10}
    assert result["change"]["change"] == pytest.approx(-1 / 12)
    assert result["change"]["p"] == pytest.approx(binomial_two_sided_p(11, 23, 0.5))
    assert result["change"]["significant"] is False
    growth = result["growth"]
    assert growth["now"] == pytest.approx(-1 / 12) and growth["before"] == pytest.approx(0.2)
    assert growth["points"] == pytest.approx(-1 / 12 - 0.2)
    assert growth["relative"] == pytest.approx((-1 / 12 - 0.2) / 0.2)
    assert growth["expected"] == 14.4
    z = (math.log(11) + math.log(10) - 2 * math.log(12)) / math.sqrt(1 / 11 + 4 / 12 + 1 / 10)
    assert growth["p"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2))) and growth["significant"] is False


def test_yoy_counts_only_below_five_and_dash_on_zero(officer, station):
    _spread(station, 2026, 7)
    _spread(station, 2025, 3)
    result = selectors.yoy(user=officer, **PERIOD, source="disputes")
    # the selector gives the change on any base; the pages show counts only below 5
    assert result["change"]["change"] == pytest.approx(4 / 3) and result["change"]["before"] == 3
    assert result["change"]["p"] is not None  # the test still runs on small counts
    assert result["growth"]["now"] is None and result["growth"]["points"] is None
    _spread(station, 2026, 1)
    empty = selectors.yoy(
        user=officer, date_from=date(2030, 1, 1), date_to=date(2030, 1, 31), source="disputes"
    )
    assert empty["change"]["change"] is None


def test_significant_drop_is_flagged(officer, station):
    _spread(station, 2026, 20)
    _spread(station, 2025, 45)
    _spread(station, 2024, 40)
    result = selectors.yoy(user=officer, **PERIOD, source="disputes")
    assert result["change"]["significant"] is True and result["growth"]["significant"] is True


def test_yoy_of_dispute_incidents_is_scoped(officer, station, other_station):
    for i in range(6):
        make_incident(station, received_at=local(2026, 3, 1 + i, 9, 0))
        make_incident(station, received_at=local(2025, 3, 1 + i, 9, 0))
    make_incident(station, received_at=local(2026, 3, 9, 9, 0), category="traffic")
    make_incident(other_station, received_at=local(2026, 3, 9, 9, 0))
    result = selectors.yoy(user=officer, **PERIOD)
    assert result["counts"]["this_year"] == 6 and result["change"]["change"] == 0.0


def test_yoy_windows_that_overlap_count_each_row_in_every_window_it_falls_in(officer, station):
    """A period longer than a year: its three windows overlap, and each is counted on its own."""
    raw_dispute(station, local(2024, 3, 1, 10, 0))  # windows 1 and 2 (two years ago)
    raw_dispute(station, local(2025, 3, 1, 10, 0))  # windows 0 and 1
    raw_dispute(station, local(2026, 3, 1, 10, 0))  # window 0 only
    raw_dispute(station, local(2022, 12, 31, 23, 59))  # before every window (local date)
    raw_dispute(station, local(2026, 7, 1, 0, 0))  # after every window
    span = {"date_from": date(2025, 1, 1), "date_to": date(2026, 6, 30)}
    for source, make in (("disputes", None), ("incidents", make_incident)):
        if make is not None:
            for when in ((2024, 3, 1), (2025, 3, 1), (2026, 3, 1), (2026, 7, 1)):
                make(station, received_at=local(*when, 10, 0))
        counts = selectors.yoy(user=officer, **span, source=source)["counts"]
        assert counts == {"this_year": 2, "last_year": 2, "two_years_ago": 1}, source


def test_shift_year_handles_29_february():
    assert _shift_year(date(2028, 2, 29), -1) == date(2027, 2, 28)


def test_hot_blocks_by_block_and_category_with_trend_and_officer(officer, station, make_user):
    community = make_user(Role.OFFICER, username="community")
    a = make_block(station, "兴业路片区", officer=community, points=(POINT_A,))
    b = make_block(station, "滨海片区", points=(POINT_B,), rings=0)
    for _ in range(6):
        raw_dispute(station, local(2026, 5, 3, 21, 0), block=a, category="neighbour")
    raw_dispute(station, local(2026, 5, 4, 21, 0), block=a, category="labour")
    raw_dispute(station, local(2026, 5, 4, 9, 0), block=b, category="family", point=POINT_B)
    raw_dispute(
        station, local(2026, 4, 4, 9, 0), block=b, category="family", point=POINT_B
    )  # previous period
    make_incident(station, received_at=local(2026, 5, 6, 9, 0), lat=POINT_A[0], lon=POINT_A[1])
    make_incident(station, received_at=local(2026, 5, 6, 9, 0), lat=30.5, lon=121.5)  # in no block
    rows = selectors.hot_blocks(user=officer, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))
    top = rows[0]
    assert top["block"] == a and top["officer"] == community and top["total"] == 7
    cats = dict(zip(selectors.Category.values, top["categories"], strict=True))
    assert cats["neighbour"] == 6 and cats["labour"] == 1
    assert top["incidents"] == 1 and top["previous"] == 0 and top["trend"]["change"] is None
    second = next(r for r in rows if r["block"] == b)
    assert second["total"] == 1 and second["previous"] == 1 and second["officer"] is None


def test_heat_table_hour_of_week(officer, station):
    a = make_block(station, "兴业路片区")
    for _ in range(3):
        raw_dispute(station, local(2026, 5, 8, 20, 30), block=a)  # Friday 20:30 local (12:30 UTC)
    raw_dispute(station, local(2026, 5, 11, 2, 0), block=a)  # Monday 02:00
    heat = selectors.heat_table(user=officer, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))
    row = heat["rows"][0]
    assert row["total"] == 4 and len(row["cells"]) == 42 and len(heat["columns"]) == 42
    assert row["cells"][4 * 6 + 5] == {"n": 3, "level": 5}  # Friday, 20–24
    assert row["cells"][0]["n"] == 1  # Monday, 00–04
    assert str(row["top_hours"][0]).startswith("周五 20")


def test_dispute_map_cells(officer, station):
    raw_dispute(station, local(2026, 5, 8, 20, 30))
    raw_dispute(station, local(2026, 5, 8, 20, 30), point=POINT_B)
    data = selectors.dispute_map(user=officer, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))
    assert len(data["cells"]) == 2 and data["peak"] == 1 and data["cells"][0]["points"].count(",") == 6


def test_other_station_not_counted(officer, station, other_station):
    raw_dispute(other_station, local(2026, 5, 8, 20, 30))
    assert selectors.yoy(user=officer, **PERIOD, source="disputes")["counts"]["this_year"] == 0
    assert selectors.hot_blocks(user=officer, **PERIOD) == []
