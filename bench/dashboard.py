"""Benchmark of the leader dashboard (not a timed test).

    DATABASE_URL=postgres://…/qianwan_bench .venv/bin/python -m bench.dashboard [--runs 15]

Prints p50/p95 (nearest rank) of server time for the dashboard's data endpoints over one year and
five years, the live endpoint and the dashboard page, each through the whole Django stack (test
client: middleware, auth, rendering), with the number of SQL queries per request; then the same
headline figures computed the naive way — the period's incident rows loaded into pandas — measured
in the same run, and the ratio. Load data first: ``manage.py loaddemo`` then
``manage.py gendata_district --incidents 1000000 --years 5``.

Targets (issue 9): data endpoints p95 ≤ 300 ms for a year, ≤ 800 ms for 5 years; page p95 ≤ 500 ms.
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta

from bench import pct


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qianwan.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log overhead
    # the page's {% static %} without a collectstatic manifest
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # start-up as a served process does it (qianwan/wsgi.py: URLconf loaded, start-up objects frozen
    # out of the garbage collector's sight)
    import qianwan.wsgi  # noqa: F401


def _time(fn, runs: int, warmup: int = 2) -> tuple[list[float], object]:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, result


def _naive(date_from: date, date_to: date) -> dict:
    """The figures the naive way: every incident row of the period into pandas, then rates,
    nearest-rank percentiles and monthly counts computed there."""
    import numpy as np
    import pandas as pd
    from django.db import connection

    from qianwan.kpi import local_day_range

    start, end = local_day_range(date_from, date_to)
    sql = (
        "SELECT station_id, status, received_at, dispatch_met, video_supervision_met, leader_notified_met, "
        "arrival_met, arrival_seconds FROM incidents_incident WHERE received_at >= %s AND received_at < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        frame = pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
    frame = frame[frame.status != "diverted"]
    out = {"incidents": len(frame)}
    for stage in ("dispatch", "video_supervision", "leader_notified", "arrival"):
        met = frame[f"{stage}_met"]
        decided = met.notna()
        out[f"{stage}_rate"] = float((met[decided] == True).sum() / decided.sum()) if decided.sum() else None  # noqa: E712
    arrivals = np.sort(frame.arrival_seconds.dropna().to_numpy())
    if len(arrivals):
        for name, p in (("p50", 0.5), ("p90", 0.9)):
            out[f"arrival_{name}"] = int(arrivals[max(1, int(np.ceil(p * len(arrivals)))) - 1])
    local = pd.to_datetime(frame.received_at, utc=True).dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    months = local.dt.to_period("M")
    out["months"] = months.value_counts().sort_index().to_dict()
    out["by_station"] = frame.groupby("station_id").size().to_dict()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args, _unknown = parser.parse_known_args(argv)
    _setup()

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from incidents.models import Incident
    from qianwan.org.models import User

    user, _ = User.objects.get_or_create(username="bench-bureau", defaults={"role": "bureau_leader"})
    client = Client()
    client.force_login(user)
    today = timezone.localdate()
    year = {"period": "custom", "from": str(today - timedelta(days=364)), "to": str(today)}
    five = {"period": "custom", "from": str(today - timedelta(days=365 * 5 - 1)), "to": str(today)}
    total = Incident.objects.count()
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor}); incidents: {total:,}")
    print(f"runs per figure: {args.runs} (after 2 warm-up requests); times in ms, server side\n")

    cases = [
        ("figures, 1 year", "/api/v1/dashboard/figures/", year, 300),
        ("charts, 1 year", "/api/v1/dashboard/charts/", year, 300),
        ("figures, 5 years", "/api/v1/dashboard/figures/", five, 800),
        ("charts, 5 years", "/api/v1/dashboard/charts/", five, 800),
        ("live", "/api/v1/dashboard/live/", {}, 300),
        ("page, this month", "/dashboard/", {}, 500),
        ("page, 1 year", "/dashboard/", year, 500),
    ]
    print(f"{'figure':<20}{'p50':>9}{'p95':>9}{'target':>9}{'queries':>9}  ok")
    results = {}
    for label, url, params, target in cases:

        def call(url=url, params=params):
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response

        queries = []

        def count(execute, sql, params_, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params_, many, context)

        with connection.execute_wrapper(count):
            client.get(url, params)
        samples, _ = _time(call, args.runs)
        p50, p95 = pct(samples, 0.5), pct(samples, 0.95)
        results[label] = (p50, p95)
        ok = "yes" if p95 <= target else "NO"
        print(f"{label:<20}{p50:>9.0f}{p95:>9.0f}{target:>9}{len(queries):>9}  {ok}")

    print("\nsame figures, two ways: the incidents selectors (dispatch_kpis with per-station rows +")
    print("incident_trend, what the dispatch panel reads) vs the naive way (rows into pandas)")
    print(
        f"{'period':<20}{'selectors p50':>14}{'p95':>8}{'pandas p50':>12}{'p95':>8}{'rows':>10}{'ratio':>8}"
    )
    from incidents.selectors import dispatch_kpis, incident_trend

    for label, params in (("1 year", year), ("5 years", five)):
        d_from, d_to = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        runs = max(3, args.runs // 2)
        sel, _ = _time(
            lambda d_from=d_from, d_to=d_to: (
                dispatch_kpis(date_from=d_from, date_to=d_to),
                incident_trend(months=12),
            ),
            runs,
            warmup=1,
        )
        pan, naive = _time(lambda d_from=d_from, d_to=d_to: _naive(d_from, d_to), runs, warmup=1)
        s50, s95, p50, p95 = pct(sel, 0.5), pct(sel, 0.95), pct(pan, 0.5), pct(pan, 0.95)
        print(
            f"{label:<20}{s50:>14.0f}{s95:>8.0f}{p50:>12.0f}{p95:>8.0f}{naive['incidents']:>10,}"
            f"{p50 / s50:>7.1f}x"
        )
    # the two ways agree (a sanity check of the benchmark, not of the KPI code)
    k = dispatch_kpis(
        date_from=date.fromisoformat(year["from"]), date_to=date.fromisoformat(year["to"]), breakdowns=False
    )
    naive = _naive(date.fromisoformat(year["from"]), date.fromisoformat(year["to"]))
    print(
        f"\ncheck (1 year): arrival P90 {k['arrival_p90_seconds']} s vs pandas {naive.get('arrival_p90')} s; "
        f"8-min rate {k['arrival_rate']:.4f} vs pandas {naive['arrival_rate']:.4f} "
        "(pandas leaves open-past-deadline stages out; the selector counts them as misses)"
    )
    return 0


def run(flags: list[str]) -> None:
    """Entry point for ``python -m bench`` (bench/__main__.py)."""
    main(flags)


if __name__ == "__main__":
    raise SystemExit(main())
