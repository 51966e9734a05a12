"""Synthetic antifraud history for benchmarks (``manage.py gendata_district``; plumbing: ``qianwan.bulkload``)."""

import numpy as np

from qianwan.bulkload import load_rows, local_dates, pick, seconds_in


def victims(rng, n: int, start, end, tag: str, progress=None) -> int:
    from antifraud.models import Victim
    from enterprises.models import Enterprise

    enterprises = np.array(list(Enterprise.objects.values_list("id", flat=True)))
    if not len(enterprises):
        return 0
    at = seconds_in(rng, n, start, end, decline=0.3)
    columns = {
        "enterprise_id": enterprises[rng.integers(len(enterprises), size=n)],
        "name": "员工",
        "occurred_on": local_dates(at),
        "fraud_type": pick(rng, ["brushing", "investment", "loan", "impersonate_official"], n),
        "amount_lost": rng.integers(500, 50000, size=n),
    }
    return load_rows(Victim, columns, n, progress, "victims")
