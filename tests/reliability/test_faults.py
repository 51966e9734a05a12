"""Fault injection with real processes on loopback: a worker SIGKILLed mid-delivery, Redis stopped
and restarted, the database connection cut, webhook receivers that time out or fail, and replays.

The reminders of every app are notifications delivered by ``qianwan.notify`` (exactly once per key,
one Delivery per channel, retried and swept by beat), so these tests drive that layer and the
exchange; the incidents app's own clock sweep is exercised in the Redis outage test.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
import time_machine
from django.db import connection
from django.utils import timezone

from incidents.models import SlaClock
from qianwan.exchange.models import InboundEvent, OutboundAck, OutboundEvent
from qianwan.loopback import wait_until
from qianwan.notify import services as notify_services
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, Delivery, DeliveryAttempt, Notification
from qianwan.org import services as org_services
from qianwan.org.choices import Role
from qianwan.webhooks import CONNECT_FAILED
from tests.reliability import scenes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _token(user) -> dict:
    _, key = org_services.token_create(actor=None, user=user)
    return {"Authorization": f"Token {key}"}


def _marker(request: dict) -> str:
    return request["json"]["text"]["content"].split("】")[0].lstrip("【")


def _inbound(external_id: str) -> dict:
    return {
        "external_id": external_id,
        "source": "grid",
        "category": "dispute",
        "title": f"网格事件 {external_id}",
        "description": "邻里噪音纠纷",
        "address": "庵东镇兴业路18号",
        "lat": 30.2826,
        "lon": 121.1862,
        "occurred_at": timezone.now().isoformat(),
    }


# --- 1. SIGKILL the worker while it sends --------------------------------------------------------


def test_sigkilled_prefork_worker_mid_send_loses_nothing_and_resends_at_most_the_send_in_flight(
    redis_server, worker_factory, publish_to, http_receiver, make_user, station
):
    """The deployed worker (prefork, beat) SIGKILLed mid-clock while a send is in flight (a slow
    receiver holds its answer), started again 5 s later: every due (clock, step, recipient) arrives,
    counted as distinct delivery ids at the receiver; only a send that was in flight at the kill may
    arrive twice, at most once more."""
    scenes.set_scene(make_user, station, http_receiver.url)
    http_receiver.delay = 1.0  # each send takes a second, so the kill lands mid-send
    env = {"CLOCKS_SWEEP_SECONDS": "3", "DELIVERIES_SWEEP_SECONDS": "3", "NOTIFY_CLAIM_SECONDS": "8"}
    worker = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2, **env).start()
    publish_to(redis_server.url)
    incidents = scenes.take_calls(station, 2)
    wait_until(
        lambda: len(http_receiver.requests) >= 3 and http_receiver.in_flight(), 40, message="a send in flight"
    )
    worker.kill()
    in_flight = set(http_receiver.in_flight())
    assert in_flight, "the kill did not land mid-send"
    armed = SlaClock.objects.filter(incident_id__in=incidents, next_fire_at__isnull=False).count()
    assert armed, "the kill did not land mid-clock"
    sent_before = len(http_receiver.requests)

    time.sleep(5)  # the supervisor's restart delay
    second = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2, **env).start()
    try:
        wait_until(lambda: not scenes.unfinished(incidents), 120, interval=0.5, message="every reminder")
    except AssertionError:
        raise AssertionError(f"{scenes.unfinished(incidents)}\n{second.log()[-3000:]}") from None
    time.sleep(4)  # one more sweep of each kind: nothing is sent again

    result = scenes.tally(http_receiver)
    assert not result.lost, result.lost  # every due step reached the receiver
    assert not result.unknown, result.unknown
    # at-least-once over HTTP: only a send the kill interrupted may arrive twice (the receiver had it,
    # our record of it died with the worker), at most once more; nothing else is ever sent twice
    assert set(result.duplicated) <= in_flight, (result.duplicated, in_flight)
    assert all(n == 2 for n in result.duplicated.values()), result.duplicated
    for delivery in Delivery.objects.all():
        assert DeliveryAttempt.objects.filter(delivery=delivery, ok=True).count() == 1, delivery.uid
    assert len(http_receiver.requests) > sent_before  # the second worker did the rest
    scenes.record(
        "worker SIGKILL mid-send, restart 5 s",
        http_receiver,
        resent=sum(n - 1 for n in result.duplicated.values()),
        in_flight=len(in_flight),
    )


# --- 2. Redis stops under a connected worker: the web keeps working, nothing is lost -------------


def test_redis_outage_web_keeps_serving_and_the_same_worker_catches_up(
    redis_server, web_factory, worker_factory, http_receiver, make_user, station, grid
):
    make_user(Role.OFFICER, username="outage-officer")
    Channel.objects.create(name="all", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/all")
    web = web_factory(redis_url=redis_server.url)
    # the deployed worker, with beat, connected before the outage and never restarted
    env = {"CLOCKS_SWEEP_SECONDS": "3", "DELIVERIES_SWEEP_SECONDS": "3"}
    worker = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2, **env).start()
    pid = worker.pid
    headers = _token(grid)
    wait_until(
        lambda: requests.get(f"{web.url}/healthz", timeout=5).json()["worker"] == "ok", 20, message="sweep"
    )
    assert requests.get(f"{web.url}/healthz", timeout=5).json() == {
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
    }

    redis_server.stop()
    health = requests.get(f"{web.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["broker"] == "down"
    started = time.monotonic()
    created = []
    for i in range(3):
        response = requests.post(
            f"{web.url}/api/v1/exchange/inbound/", json=_inbound(f"OUT-{i}"), headers=headers, timeout=30
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    assert time.monotonic() - started < 20  # a dead broker does not stall intake
    # the state is in the database: the events, their notifications and the pending deliveries
    assert InboundEvent.objects.filter(pk__in=created).count() == 3
    pending = Delivery.objects.filter(notification__key__startswith="exchange.inbound:")
    assert pending.count() == 3 and set(pending.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert http_receiver.requests == []

    # Redis returns; the same worker (and its beat) delivers within a sweep interval
    redis_server.start()
    assert requests.get(f"{web.url}/healthz", timeout=5).json()["broker"] == "ok"
    wait_until(lambda: pending.filter(status=DeliveryStatus.DELIVERED).count() == 3, 30, message="sweep")
    assert worker.alive() and worker.pid == pid, worker.log()[-3000:]
    ids = Counter(http_receiver.delivery_ids())
    assert set(ids) == {str(u) for u in pending.values_list("uid", flat=True)} and set(ids.values()) == {1}
    assert sorted(r["path"] for r in http_receiver.requests) == ["/all"] * 3


def test_incident_reminders_due_during_an_outage_fire_from_the_same_worker(
    redis_server, web_factory, worker_factory, http_receiver, make_user, station
):
    """Intake while the broker is down (the clocks' timers cannot be queued): the incident and its
    clocks are stored and the caller gets a 201; when Redis returns, the worker that stayed up through
    the outage fires (clock sweep) every step that fell due and delivers each exactly once — counted as
    distinct delivery ids at the receiver. The warnings whose deadline had already passed are recorded
    on their clocks as skipped, with the reason; no breach is skipped."""
    from incidents.models import Incident

    officer = make_user(Role.OFFICER, username="outage-intake")
    Channel.objects.create(name="all", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/all")
    web = web_factory(redis_url=redis_server.url)
    env = {"CLOCKS_SWEEP_SECONDS": "3", "DELIVERIES_SWEEP_SECONDS": "3"}
    worker = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2, **env).start()
    pid = worker.pid
    redis_server.stop()
    body = {
        "received_at": (timezone.now() - timedelta(seconds=150)).isoformat(),
        "station": station.code,
        "category": "dispute",
        "address": "庵东镇兴业路18号",
        "lat": 30.2826,
        "lon": 121.1862,
        "description": "双方争吵",
        "caller_phone": "13800000000",
    }
    response = requests.post(f"{web.url}/api/v1/incidents/", json=body, headers=_token(officer), timeout=30)
    assert response.status_code == 201, response.text
    incident = Incident.objects.get(pk=response.json()["id"])
    clocks = list(incident.clocks.all())
    assert len(clocks) >= 4
    assert not Notification.objects.filter(key__startswith="clock:").exists()
    time.sleep(3)

    redis_server.start()
    dispatch = [c for c in clocks if c.stage == "dispatch"][0]
    wait_until(
        lambda: Notification.objects.filter(key=f"clock:{dispatch.pk}:breach").exists(),
        30,
        message="the clock sweep's reminders",
    )
    wait_until(
        lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), 30, message="delivery"
    )
    time.sleep(4)  # one more sweep: nothing fires twice
    assert worker.alive() and worker.pid == pid, worker.log()[-3000:]
    dispatch.refresh_from_db()
    assert dispatch.breached_at is not None and dispatch.warned_at is None
    assert dispatch.warn_skipped_at is not None and dispatch.warn_skip_reason == "deadline_passed"
    # the receiver got every delivery, each id once (not a count of rows under a unique key)
    ids = Counter(http_receiver.delivery_ids())
    expected = {str(u) for u in Delivery.objects.values_list("uid", flat=True)}
    assert set(ids) == expected and set(ids.values()) == {1}, ids
    assert Delivery.objects.filter(notification__key=f"clock:{dispatch.pk}:breach").exists()


# --- 3. The database goes away ----------------------------------------------------------------


def test_database_cut_gives_503_and_clean_failures_then_recovers(db_proxy, web_factory, officer, station):
    web = web_factory(redis_url="redis://127.0.0.1:1/0", db_port=db_proxy.port)
    headers = _token(officer)
    assert requests.get(f"{web.url}/api/v1/stations/", headers=headers, timeout=10).status_code == 200

    db_proxy.cut()
    health = requests.get(f"{web.url}/healthz", timeout=20)
    assert health.status_code == 503 and health.json()["database"] == "down"
    failed = requests.get(f"{web.url}/api/v1/stations/", headers=headers, timeout=20)
    assert failed.status_code >= 500
    assert "Traceback" not in failed.text and "OperationalError" not in failed.text  # nothing leaks

    db_proxy.restore()
    wait_until(
        lambda: requests.get(f"{web.url}/healthz", timeout=10).status_code == 200, 20, message="recovery"
    )
    assert requests.get(f"{web.url}/api/v1/stations/", headers=headers, timeout=10).status_code == 200


def test_backend_terminated_next_request_recovers(web_factory, officer, station):
    """pg_terminate_backend on the web's persistent connections: at most the request that finds the
    dead connection fails (cleanly), the following ones work."""
    web = web_factory(redis_url="redis://127.0.0.1:1/0")
    headers = _token(officer)
    for _ in range(4):  # warm both gunicorn workers' persistent connections
        assert requests.get(f"{web.url}/api/v1/stations/", headers=headers, timeout=10).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        assert cursor.fetchone()[0] >= 1
    statuses = [
        requests.get(f"{web.url}/api/v1/stations/", headers=headers, timeout=10).status_code for _ in range(4)
    ]
    assert all(s in (200, 500, 503) for s in statuses)
    assert statuses[-2:] == [200, 200], statuses
    assert requests.get(f"{web.url}/healthz", timeout=10).status_code == 200


# --- 4. Webhook receivers that time out or fail ----------------------------------------------------


def test_failing_receivers_retry_with_backoff_bounded_and_do_not_block_others(settings, make_user):
    from tests.conftest import HttpReceiver

    settings.NOTIFY_HTTP_TIMEOUT_SECONDS = 1
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.NOTIFY_BACKOFF_BASE_SECONDS = 10
    slow, broken, fine = HttpReceiver(), HttpReceiver(), HttpReceiver()
    try:
        slow.delay = 2.5
        broken.responses = [(500, "internal error")]
        officer = make_user(Role.OFFICER, username="hook-officer")
        channels = {
            name: Channel.objects.create(name=name, kind=ChannelKind.WECOM, url=f"{r.url}/{name}")
            for name, r in (("slow", slow), ("broken", broken), ("fine", fine))
        }
        from qianwan.notify.tasks import deliveries_sweep

        start = timezone.now()
        with time_machine.travel(start, tick=True) as clock:
            notify_services.notification_send(
                key="hooks-1",
                kind="t",
                title="回调测试",
                recipients=[officer],
                channels=list(channels.values()),
            )
            # eager mode ran the first try of each already; the fine receiver was not held up
            assert len(fine.requests) == 1
            assert Delivery.objects.get(channel=channels["fine"]).status == DeliveryStatus.DELIVERED
            for _ in range(10):
                clock.shift(timedelta(seconds=200))
                deliveries_sweep()
        for name in ("slow", "broken"):
            delivery = Delivery.objects.get(channel=channels[name])
            log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
            assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 4, name
            assert [a.number for a in log] == [1, 2, 3, 4] and not any(a.ok for a in log)
            assert delivery.last_error
        assert len(broken.requests) == 4 and len(slow.requests) == 4  # bounded
        broken_log = DeliveryAttempt.objects.filter(delivery__channel=channels["broken"])
        assert set(broken_log.values_list("status_code", flat=True)) == {500}
        # a timeout is logged on the server; the delivery log shows only the generic failure (egress)
        assert all(
            a.error == CONNECT_FAILED
            for a in DeliveryAttempt.objects.filter(delivery__channel=channels["slow"])
        )
        assert len(fine.requests) == 1  # delivered once, never again
    finally:
        for r in (slow, broken, fine):
            r.close()


def test_backoff_grows_between_tries(settings, http_receiver, make_user):
    settings.NOTIFY_BACKOFF_BASE_SECONDS = 10
    settings.NOTIFY_MAX_ATTEMPTS = 5
    http_receiver.responses = [(500, "no")]
    officer = make_user(Role.OFFICER, username="backoff-officer")
    channel = Channel.objects.create(name="c", kind=ChannelKind.WECOM, url=f"{http_receiver.url}/c")
    start = timezone.now()
    gaps = []
    with time_machine.travel(start, tick=False) as clock:
        notify_services.notification_send(
            key="b-1", kind="t", title="t", recipients=[officer], channels=[channel]
        )
        delivery = Delivery.objects.get(channel=channel)
        for _ in range(3):
            delivery.refresh_from_db()
            gap = (delivery.next_attempt_at - timezone.now()).total_seconds()
            gaps.append(gap)
            clock.shift(timedelta(seconds=gap - 1))
            assert notify_services.deliveries_due() == []  # not before its time
            clock.shift(timedelta(seconds=1))
            notify_services.delivery_attempt(delivery.pk)
    assert gaps == [10, 20, 40]


# --- 5. Replays ------------------------------------------------------------------------------------


def test_inbound_and_acks_replayed_three_times_concurrently_are_stored_once(
    web_factory, grid, officer, station
):
    from qianwan.exchange import services as exchange_services

    web = web_factory(redis_url="redis://127.0.0.1:1/0")
    headers = _token(grid)
    results = []

    def post(url, body):
        results.append(requests.post(url, json=body, headers=headers, timeout=30))

    for round_ in range(2):  # concurrent replays, then sequential ones
        body = _inbound(f"REPLAY-{round_}")
        threads = [
            threading.Thread(target=post, args=(f"{web.url}/api/v1/exchange/inbound/", body))
            for _ in range(3)
        ]
        if round_ == 0:
            [t.start() for t in threads]
            [t.join() for t in threads]
        else:
            for t in threads:
                t.start()
                t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 200, 200, 201, 201], [r.text for r in results]
    assert {r.json()["id"] for r in results[:3]} | {r.json()["id"] for r in results[3:]} == set(
        InboundEvent.objects.filter(external_id__startswith="REPLAY-").values_list("pk", flat=True)
    )
    assert InboundEvent.objects.filter(external_id__startswith="REPLAY-").count() == 2
    assert Notification.objects.filter(key__startswith="exchange.inbound:").count() == 2

    event = exchange_services.outbound_create(
        actor=officer, target="grid", kind="dispute", title="推送网格", payload={}, station=station
    )
    results.clear()
    ack = {"status": "handled", "note": "已处理", "at": timezone.now().isoformat()}
    threads = [
        threading.Thread(target=post, args=(f"{web.url}/api/v1/exchange/outbound/{event.pk}/ack/", ack))
        for _ in range(3)
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for _ in range(3):
        post(f"{web.url}/api/v1/exchange/outbound/{event.pk}/ack/", ack)
    assert [r.status_code for r in results] == [200] * 6, [r.text for r in results]
    assert OutboundAck.objects.filter(event=event).count() == 1
    event = OutboundEvent.objects.get(pk=event.pk)
    assert event.status == "handled"
