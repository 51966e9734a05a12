"""Synthetic risks history for benchmarks (``manage.py gendata_district``; plumbing: ``qianwan.bulkload``)."""

import numpy as np
import pandas as pd
from django.utils import timezone

from qianwan.bulkload import DAY, load_rows, numbers, pick, seconds_in, timestamps, users


def hazards(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from risks.choices import HazardCategory, HazardLevel, HazardStatus
    from risks.models import Hazard

    user_a, user_b = users()
    now = timezone.now().timestamp()
    found = seconds_in(rng, n, start, end, decline=0.0)
    rectify_by = found + rng.integers(7, 45, size=n) * DAY
    done = found + rng.gamma(2, 8, n) * DAY
    roll = rng.random(n)
    closed_at = done + 2 * DAY
    was_closed = (done < now) & (roll < 0.8)
    closed = was_closed & (closed_at <= now)
    rectified = (was_closed & ~closed) | ((done < now) & (roll >= 0.8) & (roll < 0.88))
    status = np.full(n, str(HazardStatus.OPEN), dtype=object)
    status[rectified] = str(HazardStatus.RECTIFIED)
    status[closed] = str(HazardStatus.CLOSED)
    has_rectified = closed | rectified
    columns = {
        "number": numbers(tag, "H", n),
        "title": "隐患（基准数据）",
        "category": pick(rng, HazardCategory.values, n),
        "level": pick(rng, HazardLevel.values, n, p=[0.5, 0.3, 0.15, 0.05]),
        "station_id": np.array(stations)[rng.integers(len(stations), size=n)],
        "found_at": timestamps(found),
        "rectify_by": timestamps(rectify_by),
        "status": status,
        "recorded_by_id": user_a.pk,
        "rectified_at": timestamps(done, has_rectified),
        "rectified_by_id": pd.Series(np.where(has_rectified, user_a.pk, 0))
        .astype("Int64")
        .mask(~has_rectified),
        "closed_at": timestamps(closed_at, closed),
        "closed_by_id": pd.Series(np.where(closed, user_b.pk, 0)).astype("Int64").mask(~closed),
    }
    return load_rows(Hazard, columns, n, progress, "hazards")
