"""Incidents benchmark: data generation, the incident list right after it, `sealstats --verify` over
the whole rollup, `kpis/dispatch` over a year vs pandas, intake throughput under gunicorn vs a bare
authenticated endpoint, and reminder lateness with a real Celery worker.

Flags: --incidents N (default 1,000,000; env BENCH_INCIDENTS), --quick (100,000), --calls N (KPI and
list calls), --seconds S (each throughput run), --reminders N, --skip-list, --skip-verify, --skip-kpi,
--skip-intake, --skip-reminders, --load-tool wrk|python (throughput load generator; default wrk when
installed, else Python threads).

Targets (issues 3 and 17): kpis/dispatch p95 ≤ 300 ms and ≥ 20× pandas; the incident list (100 rows)
p95 ≤ 100 ms right after `gendata` (no ANALYZE but its own); `sealstats --verify` over the 14 months
≤ 60 s; intake ≥ 200 req/s; reminder lateness p99 ≤ 2 s.
"""

import argparse
import math
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench import pct

ROOT = Path(__file__).resolve().parents[1]


def _args(argv):
    parser = argparse.ArgumentParser(prog="bench incidents")
    parser.add_argument("--incidents", type=int, default=int(os.environ.get("BENCH_INCIDENTS", 1_000_000)))
    parser.add_argument("--quick", action="store_true", help="100,000 incidents, shorter runs")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--reminders", type=int, default=40)
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--skip-kpi", action="store_true")
    parser.add_argument("--skip-intake", action="store_true")
    parser.add_argument("--skip-reminders", action="store_true")
    parser.add_argument("--load-tool", choices=["wrk", "python"], help="default: wrk when installed")
    args, _unknown = parser.parse_known_args(argv)
    if args.quick:
        args.incidents = min(args.incidents, 100_000)
        args.calls = min(args.calls, 10)
        args.seconds = min(args.seconds, 5.0)
    return args


def _setup_org():
    from qianwan.org import demo
    from qianwan.org.choices import Role
    from qianwan.org.models import Station, User
    from qianwan.org.services import token_create

    demo.load()
    bureau = User.objects.get(username="bureau")
    officer = User.objects.get(username="officer")
    assert officer.role == Role.OFFICER
    return Station.objects.get(code="ADS"), bureau, officer, token_create


def _ensure_incidents(n: int) -> bool:
    """Top the generated incidents up to ``n``; True when this run generated some (the rollup is
    sealed separately, by ``_seal``)."""
    from django.utils import timezone

    from incidents.generate import ProgressBar, generate
    from incidents.models import Incident

    have = Incident.objects.filter(number__startswith="G").count()
    if have >= n:
        print(f"data: {have:,} generated incidents already present")
        return False
    missing = n - have
    end = timezone.now()
    started = time.monotonic()
    generate(
        n=missing,
        start=end - timedelta(days=426),
        end=end,
        prefix="G",
        seed=have + 7,
        progress=ProgressBar(sys.stderr),
    )
    seconds = time.monotonic() - started
    print(f"gendata: {missing:,} incidents (+clocks, events) in {seconds:.1f}s = {missing / seconds:,.0f}/s")
    return True


def _seal() -> None:
    """Seal the rollup's settled days and months (what the beat job does every 10 minutes)."""
    from incidents.services import stats_refresh

    started = time.monotonic()
    sealed = stats_refresh(limit=None)
    print(
        f"rollup: sealed {sealed['day']:,} days and {sealed['month']:,} months in "
        f"{time.monotonic() - started:.1f}s (the beat job keeps them sealed)"
    )


def _analyzed() -> str:
    """When the planner statistics of the incident and clock tables were last taken (by a bulk
    load's own ANALYZE or by autovacuum)."""
    from django.db import connection

    from incidents.models import Incident, SlaClock

    tables = [Incident._meta.db_table, SlaClock._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, GREATEST(last_analyze, last_autoanalyze), n_mod_since_analyze "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s) ORDER BY relname",
            [tables],
        )
        rows = cursor.fetchall()
    return "; ".join(
        f"{name} analysed {when:%H:%M:%S} UTC, {changed:,} rows changed since"
        if when
        else f"{name} never analysed"
        for name, when, changed in rows
    )


def _list_bench(bureau, token_create, calls: int, fresh: bool) -> float:
    """GET /api/v1/incidents/?page_size=100 through the whole Django stack (token auth, scope, filters,
    pagination with its count, serialisation) as the bureau, who sees every incident."""
    import gc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    _, key = token_create(actor=None, user=bureau)
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = "/api/v1/incidents/?page_size=100"
    when = "right after gendata (its own ANALYZE, none by hand)" if fresh else "on reused data"
    print(f"incident list {when}: {_analyzed()}")
    t = time.perf_counter()
    response = client.get(url)  # the first request: connection, token, caches
    first = time.perf_counter() - t
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    rows = len(body["results"])
    # the count is bounded (issue 21): exact up to 10,000, else null with count_at_least
    count = f"{body['count']:,}" if body["count"] is not None else f"more than {body['count_at_least']:,}"
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    n_queries = len(queries.captured_queries)
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    count_ms = sum(float(q["time"]) for q in queries.captured_queries if "COUNT(" in q["sql"]) * 1000
    # as in a gunicorn worker (qianwan/gunicorn_conf.py freezes the preloaded heap before forking): what
    # this process holds before the timed calls is not walked by every full garbage collection
    gc.freeze()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content[:300]
    p50, p95 = pct(times, 0.5), pct(times, 0.95)
    print(
        f"incident list GET {url}: {rows} of {count} rows, {n_queries} SQL queries; first request "
        f"{first * 1000:.0f} ms; over {calls} calls p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"(goal p95 ≤ 100 ms) {'ok' if p95 <= 0.1 else 'MISSED'}"
    )
    print(f"  one request's SQL: {sql_ms:.0f} ms, of which the list's COUNT {count_ms:.0f} ms")
    return p95


def _verify_bench() -> float:
    """`manage.py sealstats --verify` over every sealed unit: each recomputed from its raw rows."""
    import io

    from django.core.management import call_command

    from incidents.models import IncidentStatSeal

    sealed = IncidentStatSeal.objects.filter(sealed_at__isnull=False)
    first = sealed.order_by("start").values_list("start", flat=True).first()
    last = sealed.order_by("-start").values_list("start", flat=True).first()
    out = io.StringIO()
    started = time.monotonic()
    call_command("sealstats", "--verify", stdout=out)  # exits 1 (CommandError) on any mismatch
    seconds = time.monotonic() - started
    print(f"sealstats --verify ({first} … {last}): {out.getvalue().strip().splitlines()[-1]}")
    print(
        f"sealstats --verify wall time {seconds:.1f}s (goal ≤ 60 s over 14 months) "
        f"{'ok' if seconds <= 60 else 'MISSED'}"
    )
    return seconds


def _kpi_bench(bureau, token_create, calls: int) -> float:
    from django.db import connection
    from django.utils import timezone
    from rest_framework.test import APIClient

    _, key = token_create(actor=None, user=bureau)
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    today = timezone.localdate()
    start = today - timedelta(days=364)
    url = f"/api/v1/kpis/dispatch/?from={start}&to={today}"
    client.get(url)  # warm the cache and the connection
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content
    data = response.json()
    p50, p95 = pct(times, 0.5), pct(times, 0.95)
    print(
        f"kpis/dispatch one year: {data['incidents']:,} incidents, arrival rate {data['arrival_rate']:.3f}, "
        f"P50 {data['arrival_p50_seconds']}s P90 {data['arrival_p90_seconds']}s"
    )
    print(
        f"kpis/dispatch latency over {calls} calls: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (goal p95 ≤ 300 ms)"
    )

    # the same figures with pandas: load the year's rows, then compute rates and nearest-rank percentiles
    import pandas as pd

    from qianwan.kpi import local_day_range

    lo, hi = local_day_range(start, today)
    t = time.perf_counter()
    cols = ["id", "station_id", "category", "status", "received_at", "arrival_seconds"]
    cols += [f"{s}_met" for s in ("dispatch", "video_supervision", "leader_notified", "arrival")]
    query = f"SELECT {', '.join(cols)} FROM incidents_incident WHERE received_at >= %(lo)s AND received_at < %(hi)s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, {"lo": lo, "hi": hi})
        frame = pd.DataFrame(cursor.fetchall(), columns=cols)
    needed = frame[frame.status != "diverted"]
    figures = {"incidents": len(frame), "diverted": int((frame.status == "diverted").sum())}
    for stage in ("dispatch", "video_supervision", "leader_notified", "arrival"):
        met = needed[f"{stage}_met"]
        figures[f"{stage}_rate"] = float((met == True).sum() / met.notna().sum())  # noqa: E712
    arrivals = needed.arrival_seconds.dropna().sort_values().to_numpy()
    for name, p in (("p50", 0.5), ("p90", 0.9)):
        figures[name] = int(arrivals[max(1, math.ceil(p * len(arrivals))) - 1])
    for group in ("station_id", "category"):
        needed.groupby(group)["arrival_met"].agg(lambda s: (s == True).sum() / s.notna().sum())  # noqa: E712
    pandas_seconds = time.perf_counter() - t
    assert figures["incidents"] == data["incidents"] and figures["p90"] == data["arrival_p90_seconds"]
    print(
        f"pandas (load {len(frame):,} rows + same figures): {pandas_seconds * 1000:.0f} ms → "
        f"database path is {pandas_seconds / p50:.1f}× faster (goal ≥ 20×)"
    )
    return p95


def _intake_in_process(key: str, body: dict, n: int = 20) -> tuple[int, float]:
    """Queries and mean milliseconds of one POST through the Django test client (no HTTP server)."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}")

    def post():
        response = client.post("/api/v1/incidents/", json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content

    post()  # the token's first use also stamps last_used_at
    connection.queries_log.clear()  # a full log (DEBUG during the data set-up) would count nothing
    with CaptureQueriesContext(connection) as queries:
        post()
    count = len(queries.captured_queries)  # now: later requests clear the log it slices
    with override_settings(DEBUG=False):  # timed as served (the bench process itself may run with DEBUG)
        started = time.perf_counter()
        for _ in range(n):
            post()
    return count, (time.perf_counter() - started) / n * 1000


def _intake_bench(officer, token_create, seconds: float, tool: str | None = None) -> None:
    """POST /api/v1/incidents/ under gunicorn as deployed (qianwan/gunicorn_conf.py: 2 sync workers)
    against a bare authenticated DRF endpoint (`notifications/unread`: token + one COUNT), same server."""
    from django.utils import timezone

    from . import _http

    _, key = token_create(actor=None, user=officer)
    body = {
        "received_at": timezone.now().isoformat(),  # one receipt time for the run (well within ±5 min)
        "station": "ADS",
        "category": "dispute",
        "address": "庵东镇兴业路1号",
        "lat": 30.28,
        "lon": 121.18,
        "description": "压测",
        "caller_phone": "13800000000",
    }
    queries, ms = _intake_in_process(key, body)
    print(f"intake in-process (Django test client): {queries} SQL queries per POST, {ms:.1f} ms per POST")
    env = {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    bare_path = "/api/v1/notifications/unread/"
    with _http.gunicorn(workers=2, env=env) as port:
        _http.load(port, bare_path, key, 1.0, tool=tool)  # warm both workers
        bare = _http.load(port, bare_path, key, seconds, tool=tool)
        intake = _http.load(port, "/api/v1/incidents/", key, seconds, body=body, tool=tool)
    print(f"load generator: {intake.tool} on loopback, 8 connections, {seconds:.0f} s per run")
    print(f"  bare authenticated DRF endpoint (GET {bare_path}): {bare.describe()}")
    print(f"  intake POST /api/v1/incidents/: {intake.describe()}")
    print(
        f"intake POST /api/v1/incidents/ under gunicorn (2 sync workers): {intake.rps:,.0f} req/s "
        f"(goal ≥ 200); bare authenticated DRF endpoint: {bare.rps:,.0f} req/s; "
        f"ratio {intake.rps / bare.rps:.2f}"
    )


def _wait_for_worker(proc, nodename: str, limit: float = 180.0) -> None:
    """Until the worker answers a ping: reminders published before it consumes would measure its
    start-up (tens of seconds on a loaded machine), not the timers."""
    from qianwan.celery import app
    from qianwan.loopback import wait_until

    def answers():
        if proc.poll() is not None:
            raise RuntimeError("the Celery worker exited (see var/bench-worker.log)")
        return app.control.ping(destination=[nodename], timeout=1.0)  # waits up to 1 s itself

    started = time.monotonic()
    wait_until(answers, limit, interval=0, message="the Celery worker (see var/bench-worker.log)")
    print(f"worker ready after {time.monotonic() - started:.1f}s")


def _reminder_bench(station, officer, n: int) -> None:
    import redis
    from django.conf import settings
    from django.utils import timezone

    from incidents import services
    from incidents.models import SlaClock
    from qianwan.loopback import celery_worker_command, stop_process
    from qianwan.notify.models import Notification

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        print("reminders: skipped (needs REDIS_URL)")
        return
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    env = {**os.environ, "DJANGO_DEBUG": "0"}
    log = open(ROOT / "var" / "bench-worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603  (our own venv binaries)
        celery_worker_command(f"bench-{os.getpid()}@%h", pool=None, concurrency=2, loglevel="WARNING"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_worker(proc, f"bench-{os.getpid()}@{socket.gethostname()}")
        clock_ids = []
        for i in range(n):
            # the dispatch warning (limit 60 s − 15 s) falls due 3–10 s from now
            due_in = 3 + (i % 8)
            received = timezone.now() + timedelta(seconds=due_in - 45)
            incident = services.incident_create(
                actor=officer, station=station, category="dispute", received_at=received, address="压测"
            )
            clock_ids.append(SlaClock.objects.get(incident=incident, stage="dispatch").pk)
        deadline = time.monotonic() + 60
        keys = [f"clock:{c}:warn" for c in clock_ids]
        while time.monotonic() < deadline and Notification.objects.filter(key__in=keys).count() < n:
            time.sleep(0.5)
        warn_at = dict(SlaClock.objects.filter(pk__in=clock_ids).values_list("pk", "warn_at"))
        lateness = [
            (created - warn_at[int(key.split(":")[1])]).total_seconds()
            for key, created in Notification.objects.filter(key__in=keys).values_list("key", "created_at")
        ]
        got = len(lateness)
        print(
            f"reminder lateness with a real worker ({got}/{n} fired): p50 {pct(lateness, 0.5):.3f}s, "
            f"p99 {pct(lateness, 0.99):.3f}s (goal p99 ≤ 2 s)"
            if lateness
            else "reminder lateness: no reminder fired (see var/bench-worker.log)"
        )
    finally:
        stop_process(proc, timeout=20)
        log.close()


def run(argv: list[str]) -> None:
    from django.db import connection

    args = _args(argv)
    if connection.vendor != "postgresql":
        print("bench incidents: needs PostgreSQL (DATABASE_URL); skipped")
        return
    station, bureau, officer, token_create = _setup_org()
    fresh = _ensure_incidents(args.incidents)
    if not args.skip_list:
        _list_bench(bureau, token_create, max(args.calls, 20), fresh)
    _seal()
    if not args.skip_verify:
        _verify_bench()
    if not args.skip_kpi:
        _kpi_bench(bureau, token_create, args.calls)
    if not args.skip_intake:
        _intake_bench(officer, token_create, args.seconds, args.load_tool)
    if not args.skip_reminders:
        _reminder_bench(station, officer, args.reminders)
