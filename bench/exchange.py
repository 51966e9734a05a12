"""Benchmark of partner polling of the outbox (not a timed test).

    DATABASE_URL=postgres://…/qianwan_bench .venv/bin/python -m bench.exchange [--events 1000000] [--runs 30]

Tops the outbox up to ``--events`` outbound events (half for `grid`, half for `12345`, a third of
them acked; inserted in SQL with consecutive change numbers), then times `GET
/api/v1/exchange/outbound/?since=<cursor>&page_size=100` through the whole Django stack (test
client: middleware, token auth, partner scope, serialisation) as the `grid` partner and as the
bureau: the first page, pages in the middle and at the end of the stream, and with a status filter.
Prints p50/p95 (nearest rank) per case and the SQL plan of the poll query.

Target (issue 18): p95 ≤ 100 ms per page with 1M events.
"""

import argparse
import os
import sys
import time

from bench import pct


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qianwan.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _top_up(target_count: int) -> int:
    from django.db import connection, transaction

    from qianwan.exchange.models import ChangeCounter, OutboundEvent
    from qianwan.org.models import Station

    have = OutboundEvent.objects.count()
    missing = target_count - have
    if missing <= 0:
        return have
    station_ids = list(Station.objects.values_list("pk", flat=True)) or [None]
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        counter = ChangeCounter.objects.select_for_update().filter(stream="outbound").first()
        highest = OutboundEvent.objects.order_by("-change_seq").values_list("change_seq", flat=True).first()
        base = max(counter.value if counter else 0, highest or 0)
        cursor.execute(
            f"""
            INSERT INTO {OutboundEvent._meta.db_table}
                (target, kind, title, payload, station_id, source_type, source_id, status, ack_note,
                 created_at, push_status, push_attempts, push_error, change_seq)
            SELECT CASE WHEN g %% 2 = 0 THEN 'grid' ELSE '12345' END, 'other', '基准事件 ' || g,
                   jsonb_build_object('n', g, 'note', '基准'), (%s::bigint[])[1 + g %% %s], '', '',
                   CASE WHEN g %% 3 = 0 THEN 'handled' ELSE 'pending' END, '',
                   now() - make_interval(secs => (%s - g)), 'not_configured', 0, '', %s + g
            FROM generate_series(1, %s) AS g
            """,  # noqa: S608
            [station_ids, len(station_ids), missing, base, missing],
        )
        ChangeCounter.objects.update_or_create(stream="outbound", defaults={"value": base + missing})
        cursor.execute(f"ANALYZE {OutboundEvent._meta.db_table}")
    print(f"inserted {missing:,} outbound events in {time.monotonic() - started:.0f}s")
    return target_count


def _time(fn, runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args, _ = parser.parse_known_args(argv)
    _setup()
    from django.db import connection
    from rest_framework.test import APIClient

    from qianwan.exchange.models import OutboundEvent
    from qianwan.exchange.services import partner_account_set
    from qianwan.org import services as org_services
    from qianwan.org.choices import Role

    total = _top_up(args.events)
    grid = org_services.user_provision(actor=None, username="bench-grid", role=Role.GRID_CLIENT)
    partner_account_set(actor=None, user=grid, code="grid")
    bureau = org_services.user_provision(actor=None, username="bench-bureau", role=Role.BUREAU_LEADER)
    clients = {}
    for name, user in (("grid", grid), ("bureau", bureau)):
        _, key = org_services.token_create(actor=None, user=user, name="bench")
        clients[name] = APIClient()
        clients[name].credentials(HTTP_AUTHORIZATION=f"Token {key}")
    top = OutboundEvent.objects.order_by("-change_seq").values_list("change_seq", flat=True).first() or 0
    cases = [
        ("first page", ""),
        ("middle", str(top // 2)),
        ("near the end", str(max(top - 150, 0))),
        ("caught up", str(top)),
    ]
    print(f"{total:,} outbound events; GET /api/v1/exchange/outbound/?since=…&page_size=100, ms")
    print(f"{'caller':<8}{'case':<28}{'p50':>8}{'p95':>8}{'rows':>7}")
    for who in ("grid", "bureau"):
        for label, cursor in [*cases, ("middle, status=pending", str(top // 2))]:
            url = f"/api/v1/exchange/outbound/?since={cursor}&page_size=100"
            if "status" in label:
                url += "&status=pending"
            response = clients[who].get(url)
            assert response.status_code == 200, response.content[:300]
            rows = len(response.json()["results"])
            samples = _time(lambda url=url, who=who: clients[who].get(url), args.runs)
            print(f"{who:<8}{label:<28}{pct(samples, 0.5):>8.1f}{pct(samples, 0.95):>8.1f}{rows:>7}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN ANALYZE SELECT id FROM {OutboundEvent._meta.db_table} "  # noqa: S608
            "WHERE target = 'grid' AND change_seq > %s ORDER BY change_seq LIMIT 100",
            [top // 2],
        )
        print("\n".join(row[0] for row in cursor.fetchall()))
    return 0


def run(flags: list[str]) -> None:
    """Entry point for ``python -m bench`` (bench/__main__.py)."""
    main(flags)


if __name__ == "__main__":
    raise SystemExit(main())
