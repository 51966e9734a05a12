"""Synthetic enterprises history for benchmarks (``manage.py gendata_district``; plumbing: ``qianwan.bulkload``)."""

import numpy as np
import pandas as pd
from django.utils import timezone

from qianwan.bulkload import DAY, load_rows, seconds_in, timestamps, users


def services(rng, n_requests: int, n_visits: int, start, end, tag: str, progress=None) -> int:
    from enterprises.models import Enterprise, ServiceRequest, ServiceType, ServiceVisit

    enterprises = np.array(list(Enterprise.objects.values_list("id", "station_id")))
    types = np.array(list(ServiceType.objects.values_list("id", flat=True)))
    if not len(enterprises) or not len(types):
        return 0
    user_a, _ = users()
    now = timezone.now().timestamp()
    n = n_requests
    at = seconds_in(rng, n, start, end, decline=0.0)
    ent = enterprises[rng.integers(len(enterprises), size=n)]
    visit = at + rng.gamma(2, 1.5, n) * DAY
    feedback = visit + 2 * DAY
    done = feedback < now
    requests = {
        "enterprise_id": ent[:, 0],
        "station_id": ent[:, 1],
        "service_type_id": types[rng.integers(len(types), size=n)],
        "channel": "officer",
        "requested_by_id": user_a.pk,
        "feedback_by_id": pd.Series(np.where(done, user_a.pk, 0)).astype("Int64").mask(~done),
        "status": np.where(done, "closed", "assigned").astype(object),
        "requested_at": timestamps(at),
        "first_visit_at": timestamps(visit, done),
        "satisfied": pd.Series(rng.random(n) < 0.986, dtype="boolean").mask(~done),
        "score": pd.Series(rng.integers(4, 6, size=n)).astype("Int64").mask(~done),
        "feedback_at": timestamps(feedback, done),
    }
    load_rows(ServiceRequest, requests, n, progress, "service requests")
    m = n_visits
    at = seconds_in(rng, m, start, end, decline=0.0)
    ent = enterprises[rng.integers(len(enterprises), size=m)]
    visits = {
        "enterprise_id": ent[:, 0],
        "station_id": ent[:, 1],
        "service_type_id": types[rng.integers(len(types), size=m)],
        "kind": "visit",
        "visited_at": timestamps(at),
        "summary": "走访（基准数据）",
        "created_by_id": user_a.pk,
    }
    return n + load_rows(ServiceVisit, visits, m, progress, "visits")
