"""`make bench-city` (issue 21): the lists, searches, KPIs and intake at a city's 10 million incidents.

Runs only when asked (``BENCH_CITY=1``, which the make target sets; ``make bench`` skips it). The
database is the one ``DATABASE_URL`` names (``qianwan_city`` from the make target): emptied and built
with ``loaddemo`` + ``gendata --incidents 10000000 --months 36`` (incidents, audit rows, the other
lists' records, the rollup) unless a finished build of that size marked it complete (table
``bench_city_state``), then served by gunicorn with the deployment's
config. One sequential client measures, after a ``/healthz`` floor in the same run, p50/p95 (and each
over the floor) of:

- page one of every list, API and HTML, with no filter, a period matching about 1% of the rows and one
  matching about half; the 100th page (page size 100) reached by following ``next``;
- type-ahead and global search (when the places issue's endpoints exist);
- the dispatch KPI over 12 and 36 months;
then intake req/s with 8 client threads, and gunicorn worker RSS. Before serving, each API list's page
one and a deep keyset page are EXPLAINed (ANALYZE, BUFFERS); a query that reads more than 20,000 rows
of one table fails the run.

Flags: ``--incidents N`` (default 10,000,000), ``--months M`` (36), ``--samples K`` (20 per measure),
``--rebuild``. Build ≈ 13 min and ≈ 33 GB of disk at 10M on 2 cores; the measures ≈ 6 min.
"""

import http.client
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench import pct

ROW_LIMIT = 20_000
STATE_TABLE = "bench_city_state"

# (name, API path, HTML path, API period parameter, HTML period parameter)
LISTS = [
    ("incidents", "/api/v1/incidents/", "/incidents/list/", "received_after", "received_after"),
    ("exchange inbound", "/api/v1/exchange/inbound/", "/exchange/inbound/", "created_after", "created_after"),
    ("exchange outbound", "/api/v1/exchange/outbound/", None, None, None),
    ("hazards", "/api/v1/hazards/", "/risks/", "found_after", "found_after"),
    ("disputes", "/api/v1/disputes/", "/disputes/", "occurred_after", "occurred_after"),
    ("patrols", "/api/v1/traffic/patrols/", "/traffic/patrols/", "started_after", "started_after"),
    ("accidents", "/api/v1/traffic/accidents/", "/traffic/accidents/", "occurred_after", "occurred_after"),
    ("service visits", "/api/v1/service-visits/", "/enterprises/visits/", "from", "from"),
    ("audit trail", None, "/audit/", None, "date_from"),
]


def _flag(flags, name, default):
    if name in flags:
        return type(default)(flags[flags.index(name) + 1])
    return default


def _complete(cursor) -> int:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (incidents bigint, finished_at timestamptz)")
    cursor.execute(f"SELECT incidents FROM {STATE_TABLE} ORDER BY finished_at DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    return row[0] if row else 0


def build(n: int, months: int, rebuild: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        done = _complete(cursor)
    if done == n and not rebuild:
        print(f"database complete ({done:,} incidents): reused", flush=True)
        return
    started = time.monotonic()
    # from empty: another size's build, or one that was interrupted, would otherwise add up
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STATE_TABLE}")  # noqa: S608
    call_command("loaddemo")
    call_command("gendata", incidents=n, months=months)  # the other lists' records and the rollup too
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {STATE_TABLE} VALUES (%s, now())", [n])  # noqa: S608
    print(
        f"built {n:,} incidents over {months} months in {(time.monotonic() - started) / 60:.1f} min",
        flush=True,
    )


def _scanned_rows(plan: dict) -> dict[str, int]:
    """Rows each table's scan nodes read (actual rows × loops, plus rows removed by filters)."""
    out: dict[str, int] = {}

    def walk(node):
        if "Relation Name" in node:
            loops = node.get("Actual Loops", 1)
            read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
            out[node["Relation Name"]] = out.get(node["Relation Name"], 0) + int(read)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return out


def explain_lists(user) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) page one and a deep keyset page of each API list; the failures."""
    from django.db import connection
    from django.test import RequestFactory
    from django.urls import resolve
    from rest_framework.request import Request

    from qianwan.api.pagination import after_position, keyset

    failures = []
    for name, api, *_ in LISTS:
        if api is None:
            continue
        match = resolve(api)
        view = match.func.cls(**match.func.initkwargs)
        view.action_map = {"get": "list"}
        view.action = "list"
        django_request = RequestFactory().get(api)
        django_request.user = user
        view.request = Request(django_request)
        view.request.user = user
        view.format_kwarg = None
        queryset = view.filter_queryset(view.get_queryset())
        keys = keyset(queryset)
        ordered = queryset.order_by(*[k.order_expression() for k in keys]) if keys else queryset
        pages = [("page 1", ordered[:100])]
        if keys:
            deep = ordered[9_900:9_901]
            row = deep.first()
            if row is not None:
                values = [getattr(row, k.path) if "__" not in k.path else None for k in keys]
                if None not in values:
                    pages.append(("page 100", ordered.filter(after_position(keys, values))[:100]))
        for label, qs in pages:
            sql, params = qs.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            rows = _scanned_rows(plan)
            worst = max(rows.values(), default=0)
            verdict = "ok" if worst <= ROW_LIMIT else "FAIL"
            print(
                f"  plan {name:18s} {label:8s} {plan['Execution Time']:8.1f} ms  rows read {rows}  {verdict}"
            )
            if worst > ROW_LIMIT:
                failures.append(f"{name} {label}: {rows}")
    return failures


class Client:
    def __init__(self, port, *, token=None, cookie=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Accept": "application/json"} if token else {}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        if cookie:
            self.headers["Cookie"] = cookie

    def get(self, path) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return (time.perf_counter() - started) * 1000, response.status, body


def measure(client, path, samples) -> tuple[float | None, float | None, int]:
    client.get(path)  # warm
    times, status = [], 0
    for _ in range(samples):
        ms, status, _ = client.get(path)
        times.append(ms)
    return pct(times, 0.5), pct(times, 0.95), status


def hundredth_page(client, path, samples) -> tuple[float | None, float | None, int]:
    """Follow ``next`` from page one (page size 100) to page 100, ``samples`` times; time page 100."""
    times, status = [], 0
    for _ in range(max(1, samples // 5)):
        url = f"{path}?page_size=100"
        for _i in range(99):
            _ms, status, body = client.get(url)
            nxt = json.loads(body).get("next") if status == 200 else None
            if not nxt:
                return None, None, status
            url = nxt[nxt.index("/api/") :]
        ms, status, _ = client.get(url)
        times.append(ms)
    return pct(times, 0.5), pct(times, 0.95), status


def worker_rss_mb(port: int) -> list[float]:
    """RSS of the gunicorn processes serving ``port`` (master and workers)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            if f"GUNICORN_BIND=127.0.0.1:{port}".encode() not in environ:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return sorted(out)


def run(flags: list[str]) -> None:
    if os.environ.get("BENCH_CITY") != "1":
        print("bench.city: skipped (run it with `make bench-city`: ~20 min and ~33 GB at 10M)")
        return
    from django.contrib.auth import get_user_model
    from django.test import Client as DjangoClient
    from django.utils import timezone

    from bench._http import gunicorn, load
    from qianwan.org import services as org_services
    from qianwan.org.choices import Role

    n = _flag(flags, "--incidents", 10_000_000)
    months = _flag(flags, "--months", 36)
    samples = _flag(flags, "--samples", 20)
    build(n, months, "--rebuild" in flags)

    user, _ = get_user_model().objects.get_or_create(
        username="bench-city", defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    print("query plans (EXPLAIN ANALYZE, BUFFERS): more than 20,000 rows of one table fails", flush=True)
    failures = explain_lists(user)
    _token, key = org_services.token_create(actor=None, user=user)
    browser = DjangoClient()
    browser.force_login(user)
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    today = timezone.localdate()
    one_percent = (today - timedelta(days=round(months * 30.44 / 100))).isoformat()
    half = (today - timedelta(days=round(months * 30.44 / 2))).isoformat()

    rows = []
    with gunicorn(workers=2) as port:
        api = Client(port, token=key)
        html = Client(port, cookie=cookie)
        floor50, floor95, _ = measure(api, "/healthz", samples * 2)
        print(f"/healthz floor: p50 {floor50:.1f} ms, p95 {floor95:.1f} ms", flush=True)

        def add(label, result):
            p50, p95, status = result
            rows.append((label, p50, p95, status))
            if p50 is not None:
                print(
                    f"  {label:52s} p50 {p50:7.1f} ms ({p50 / floor50:5.1f}×)  p95 {p95:7.1f} ms "
                    f"({p95 / floor95:5.1f}×)  [{status}]",
                    flush=True,
                )
            else:
                print(f"  {label:52s} n/a [{status}]", flush=True)

        for name, api_path, html_path, api_period, html_period in LISTS:
            for kind, client, path, period in (
                ("API", api, api_path, api_period),
                ("HTML", html, html_path, html_period),
            ):
                if path is None:
                    continue
                add(f"{kind} {name} page 1", measure(client, path, samples))
                if period:
                    add(
                        f"{kind} {name} ~1% ({period}≥{one_percent})",
                        measure(client, f"{path}?{period}={one_percent}", samples),
                    )
                    add(
                        f"{kind} {name} ~50% ({period}≥{half})",
                        measure(client, f"{path}?{period}={half}", samples),
                    )
            if api_path:
                add(f"API {name} page 100 by next", hundredth_page(api, api_path, samples))
        add(
            "type-ahead /api/v1/addresses/?q=前湾",
            measure(api, "/api/v1/addresses/?q=%E5%89%8D%E6%B9%BE", samples),
        )
        add("search /api/v1/search/?q=前湾", measure(api, "/api/v1/search/?q=%E5%89%8D%E6%B9%BE", samples))
        for span in (12, 36):
            start = (today - timedelta(days=round(span * 30.44))).isoformat()
            add(
                f"KPI dispatch {span} months",
                measure(api, f"/api/v1/kpis/dispatch/?from={start}&to={today}", samples),
            )

        def body(n):
            # a different caller at a different point each time, as calls come (one number and one
            # point for all made every call a repeat of all the run's earlier ones)
            return {
                "received_at": timezone.now().isoformat(),
                "station": "ADS",
                "category": "help",
                "address": "前湾路 1 号",
                # 100,000 points over about 11 × 19 km before one comes round again
                "lat": round(30.25 + (n * 7919 % 100_000) / 1_000_000, 6),
                "lon": round(121.15 + (n * 104_729 % 100_000) / 500_000, 6),
                "description": "bench-city",
                "caller_phone": f"139{n:08d}",
            }

        intake = load(port, "/api/v1/incidents/", key, 20, body=body, connections=8)
        print(f"intake (8 connections): {intake.describe()}", flush=True)
        rss = worker_rss_mb(port)
        print(f"gunicorn RSS (MB, master and workers): {', '.join(f'{r:.0f}' for r in rss)}", flush=True)

    print("\n| measure | p50 ms | p95 ms | p50 / floor | p95 / floor |\n|---|---|---|---|---|")
    for label, p50, p95, _status in rows:
        if p50 is None:
            print(f"| {label} | n/a | n/a | | |")
        else:
            print(f"| {label} | {p50:.1f} | {p95:.1f} | {p50 / floor50:.1f}× | {p95 / floor95:.1f}× |")
    if failures:
        print("query plans reading more than 20,000 rows of a table:\n  " + "\n  ".join(failures))
        sys.exit(1)
