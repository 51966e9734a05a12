"""Measuring like the trade: shared helpers every app's KPI selectors use.

- Rates come with their counts; a zero denominator gives ``None`` (JSON null), never 0 or an error.
- Percentiles are nearest-rank: the value at position ⌈p·n⌉ of the sorted values (``percentile_disc``).
- Changes against a zero or missing base are ``None`` ("—"). The small-number rule (below
  ``MIN_EVENTS`` counts only: no percentage, percentile, interval or flag) is applied where figures are
  shown (``qianwan.templatetags.figures``), never here: the API gives changes on any base.
- Two counts are compared by ``compare_counts``: the exact conditional binomial test of two Poisson
  counts with their periods' lengths as exposure; p < 0.05 is flagged as likely real. It is the only
  comparison rule (month-over-month, year-over-year, before/after, growth).
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


ALPHA = 0.05
_RELATIVE_TIE = 1 + 1e-7  # outcomes this close to the observed one's probability count as "as likely"


def _log_pmf(x: int, n: int, log_p: float, log_q: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1) + x * log_p + (n - x) * log_q


def _tail(start: int, stop: int, step: int, n: int, p: float, log_p: float, log_q: float) -> float:
    """Σ pmf(x) for x = start, start+step, … towards ``stop`` (inclusive), by the ratio of neighbours,
    stopping once the terms no longer change the sum."""
    if (stop - start) * step < 0:
        return 0.0
    term = math.exp(_log_pmf(start, n, log_p, log_q))
    total = 0.0
    x = start
    odds = p / (1 - p)
    while True:
        total += term
        if x == stop or (term < total * 1e-17 and term > 0) or (term == 0 and total > 0):
            return total
        if step > 0:  # pmf(x+1) / pmf(x) = (n − x) / (x + 1) · p / q
            term *= (n - x) / (x + 1) * odds
        else:  # pmf(x−1) / pmf(x) = x / (n − x + 1) · q / p
            term *= x / (n - x + 1) / odds
        x += step


def binomial_two_sided_p(k: int, n: int, p: float) -> float:
    """Exact two-sided p of ``k`` successes of ``n`` at success probability ``p``: the sum of the
    probabilities of every outcome no more likely than ``k`` (``scipy.stats.binomtest``'s rule)."""
    if n == 0 or p <= 0 or p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    mean = n * p
    if k == mean:
        return 1.0
    limit = _log_pmf(k, n, log_p, log_q) + math.log(_RELATIVE_TIE)

    def unlikely(x: int) -> bool:
        return _log_pmf(x, n, log_p, log_q) <= limit

    if k < mean:
        # the first outcome above the mean that is no more likely than k (pmf falls from the mode on)
        lo, hi = math.ceil(mean), n
        if not unlikely(hi):
            other = 0.0
        else:
            while lo < hi:
                mid = (lo + hi) // 2
                if unlikely(mid):
                    hi = mid
                else:
                    lo = mid + 1
            other = _tail(lo, n, 1, n, p, log_p, log_q)
        own = _tail(k, 0, -1, n, p, log_p, log_q)
    else:
        lo, hi = 0, math.floor(mean)
        if not unlikely(lo):
            other = 0.0
        else:
            while lo < hi:  # the last outcome below the mean no more likely than k
                mid = (lo + hi + 1) // 2
                if unlikely(mid):
                    lo = mid
                else:
                    hi = mid - 1
            other = _tail(lo, 0, -1, n, p, log_p, log_q)
        own = _tail(k, n, 1, n, p, log_p, log_q)
    return min(1.0, own + other)


def compare_counts(
    now: int, before: int | None, *, exposure_now: float = 1.0, exposure_before: float = 1.0
) -> dict:
    """Compare two observed counts over periods of lengths ``exposure_now`` and ``exposure_before``
    (any one unit: days, hours, seconds) — the one comparison rule of every page, export and API.

    Given n = now + before, ``now`` ~ Binomial(n, T_now / (T_now + T_before)) when nothing changed;
    ``p`` is the exact two-sided p-value and ``significant`` is p < 0.05. ``change`` is the change
    of the count as a fraction of the base, None on a zero or missing base (shown as "—")."""
    if before is None or exposure_before <= 0 or exposure_now <= 0:
        return {
            "now": now,
            "before": before,
            "change": None,
            "p": None,
            "significant": None,
            "exposure_now": exposure_now,
            "exposure_before": exposure_before if before is not None else None,
        }
    share = exposure_now / (exposure_now + exposure_before)
    p_value = binomial_two_sided_p(now, now + before, share)
    return {
        "now": now,
        "before": before,
        "change": (now - before) / before if before else None,
        "p": p_value,
        "significant": p_value < ALPHA,
        "exposure_now": exposure_now,
        "exposure_before": exposure_before,
    }


def compare_growth(n0: int, n1: int, n2: int) -> dict:
    """Has the year-over-year growth changed? Three counts of the same span in three successive years:
    growth this year g1 = n0/n1 − 1 against last year's g2 = n1/n2 − 1. No change means
    λ0·λ2 = λ1²; the log of n0·n2/n1² has variance about 1/n0 + 4/n1 + 1/n2, so every count's own
    noise is counted (the earlier rule tested n0 against n1²/n2 as if that were exact). Two-sided
    normal p; flagged when p < 0.05 (half an event added to each count when this year has none).
    None without a base in either earlier year."""
    if min(n1, n2) <= 0:
        return {"now": None, "before": None, "points": None, "relative": None, "p": None, "significant": None}
    g1, g2 = n0 / n1 - 1, n1 / n2 - 1
    a, b, c = (n0, n1, n2) if n0 else (0.5, n1 + 0.5, n2 + 0.5)
    z = (math.log(a) + math.log(c) - 2 * math.log(b)) / math.sqrt(1 / a + 4 / b + 1 / c)
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return {
        "now": g1,
        "before": g2,
        "points": g1 - g2,
        "relative": (g1 - g2) / abs(g2) if g2 else None,
        "expected": round(n1 * n1 / n2, 1),
        "p": p_value,
        "significant": p_value < ALPHA,
    }


def span_days(start: datetime | date, end: datetime | date) -> float:
    """The real length of [start, end) in days (23 or 25 hours on a DST day, were there one)."""
    if isinstance(start, datetime):
        return (end - start).total_seconds() / 86400
    return float((end - start).days)


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
