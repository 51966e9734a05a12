"""Measuring like the trade: shared helpers every app's KPI selectors use.

- Rates come with their counts; a zero denominator gives ``None`` (JSON null), never 0 or an error.
- Percentiles are nearest-rank: the value at position ⌈p·n⌉ of the sorted values (``percentile_disc``).
- Changes against a zero or missing base are ``None`` ("—"); below ``MIN_EVENTS`` events a change is
  not shown as a percentage.
- Count changes carry a Poisson test Z = 2(√now − √before); |Z| ≥ 2 is flagged as likely real.
- Proportions carry a 95% Wilson interval.
- Days and months are Asia/Shanghai.
"""

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

MIN_EVENTS = 5
Z_95 = 1.959963984540054


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day_range(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in aware datetimes for local dates ``date_from``..``date_to`` inclusive."""
    tz = local_tz()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=local_tz())


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def local_month_range(year: int, month: int) -> tuple[datetime, datetime]:
    return month_start(year, month), month_start(*add_months(year, month, 1))


def month_last_day(year: int, month: int) -> date:
    """The last calendar day of a month."""
    y, m = add_months(year, month, 1)
    return date(y, m, 1) - timedelta(days=1)


def rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


def nearest_rank(sorted_values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile of already sorted values (None for no values)."""
    n = len(sorted_values)
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n))
    return sorted_values[rank - 1]


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    if n == 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_z(now: int, before: int) -> float:
    """Z for a change of two Poisson counts (variance-stabilised): 2(√now − √before)."""
    return 2 * (math.sqrt(now) - math.sqrt(before))


def count_change(now: int, before: int | None) -> dict:
    """A count change the way the dashboard shows it: fraction (or None), Z and a significance flag."""
    if before is None:
        return {"now": now, "before": None, "change": None, "z": None, "significant": None}
    z = poisson_z(now, before)
    shown = before >= MIN_EVENTS
    return {
        "now": now,
        "before": before,
        "change": (now - before) / before if before and shown else None,
        "z": round(z, 2),
        "significant": abs(z) >= 2,
    }


def proportion(successes: int, n: int) -> dict:
    """A proportion with its counts and 95% Wilson interval (rate None below one event)."""
    interval = wilson_interval(successes, n)
    return {
        "successes": successes,
        "n": n,
        "rate": rate(successes, n),
        "ci_low": interval[0] if interval else None,
        "ci_high": interval[1] if interval else None,
        "shown": n >= MIN_EVENTS,
    }
