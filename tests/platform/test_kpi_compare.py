"""The one comparison rule (qianwan.kpi.compare_counts): exact conditional binomial test of two
Poisson counts with their periods' lengths as exposure."""

import time

import numpy as np
import pytest

from qianwan.kpi import binomial_two_sided_p, compare_counts

# scipy.stats.binomtest(k, n, p).pvalue, computed with scipy 1.x in a scratch virtualenv
SCIPY = [
    (1, 1, 0.5, 1.0),
    (3, 7, 0.5, 1.0),
    (17425, 33148, 31 / 59, 0.9298818624142977),
    (15723, 33148, 28 / 59, 0.9298818624142913),
    (10, 30, 0.5, 0.09873714670538905),
    (239, 2050, 5 / 35, 0.0005751226976398316),
    (5, 5, 0.5, 0.0625),
    (0, 12, 0.3, 0.02333065833100001),
    (3, 5, 0.4, 0.39520000000000005),
    (812, 1661, 31 / 61, 0.11632362286873181),
    (7, 8, 0.2, 8.448000000000004e-05),
    (0, 7, 0.9, 9.999999999999985e-08),
    (50, 55, 0.5, 2.1358426138817774e-10),
    (662, 3000, 0.1977248844239654, 0.0018207654565572974),
]


@pytest.mark.parametrize("k,n,p,expected", SCIPY)
def test_p_value_matches_scipy_binomtest(k, n, p, expected):
    assert binomial_two_sided_p(k, n, p) == pytest.approx(expected, rel=1e-9)


def test_february_against_january_at_an_unchanged_daily_rate_is_not_flagged():
    c = compare_counts(15723, 17425, exposure_now=28, exposure_before=31)
    assert c["significant"] is False
    assert c["p"] > 0.5
    assert c["change"] == pytest.approx(15723 / 17425 - 1)
    # the same counts treated as equal periods are a real drop: exposure is what makes the difference
    assert compare_counts(15723, 17425)["significant"] is True


def test_zero_or_missing_base():
    assert compare_counts(5, 0)["change"] is None
    assert compare_counts(5, 0)["p"] == pytest.approx(0.0625)
    missing = compare_counts(5, None)
    assert missing["change"] is None and missing["p"] is None and missing["significant"] is None
    assert compare_counts(0, 0)["p"] == 1.0 and compare_counts(0, 0)["significant"] is False


@pytest.mark.parametrize("rate", [3, 30, 300, 3000])
def test_no_real_change_is_flagged_at_most_five_and_a_half_percent(rate):
    """Both periods drawn from the same Poisson rate (seeded): the flag rate stays at the test's
    level; the exact test is conservative at small counts but not blind at large ones."""
    rng = np.random.default_rng(20261205 + rate)
    trials = 4000
    started = time.monotonic()
    now = rng.poisson(rate, trials)
    before = rng.poisson(rate, trials)
    flagged = sum(compare_counts(int(a), int(b))["significant"] for a, b in zip(now, before, strict=True))
    share = flagged / trials
    assert share <= 0.055, share
    if rate >= 300:
        assert share >= 0.03, share
    assert time.monotonic() - started < 5


def test_unequal_exposures_keep_the_level():
    """Spans of 5 and 7 days at one daily rate: still at most 5.5% flagged."""
    np_rng = np.random.default_rng(7)
    flagged = 0
    for _ in range(3000):
        a, b = int(np_rng.poisson(40 * 5)), int(np_rng.poisson(40 * 7))
        flagged += compare_counts(a, b, exposure_now=5, exposure_before=7)["significant"]
    assert flagged / 3000 <= 0.055


def test_a_real_change_is_flagged():
    # 239 in 5 days against 1,811 in 30 (47.8 vs 60.4 a day): a real drop, of a fifth, not of 86.8%
    c = compare_counts(239, 1811, exposure_now=5, exposure_before=30)
    assert c["significant"] is True and c["p"] < 0.01
    assert compare_counts(60, 100)["significant"] is True
    assert compare_counts(95, 100)["significant"] is False
