"""The long fault scenarios, run by ``make faults`` only (marker ``faults_long``, deselected by default):
10 Redis restarts under a worker holding ETA clock tasks, 5 outages of 30 s with calls flowing, the
lateness with the worker up, and a 200-incident burst. Loss and duplicates are asserted (counted as
distinct delivery ids at the receiver); lateness is printed in the session's table, not asserted."""

import time

import pytest

from qianwan.loopback import wait_until
from qianwan.notify.models import InboxItem
from tests.reliability import scenes
from tests.reliability.test_broker_outage import assert_alive, held_eta_tasks, redis_restarts

pytestmark = [pytest.mark.faults_long, pytest.mark.django_db(transaction=True)]


def _finish(incidents, worker, timeout: float):
    try:
        wait_until(lambda: not scenes.unfinished(incidents), timeout, interval=1, message="every reminder")
    except AssertionError:
        raise AssertionError(f"{scenes.unfinished(incidents)[:20]}\n{worker.log()[-3000:]}") from None


def _no_loss_no_duplicate(receiver):
    result = scenes.tally(receiver)
    assert not result.lost, result.lost
    assert not result.duplicated, result.duplicated
    assert not result.unknown, result.unknown


def test_worker_holding_eta_tasks_survives_10_redis_restarts(
    redis_server, worker_factory, publish_to, make_user, station
):
    worker = worker_factory(redis_server.url, pool="prefork", concurrency=2).start()
    pid = worker.pid
    publish_to(redis_server.url)
    rounds, survived = 10, 0
    for _ in range(rounds):
        # fresh timers each round (this Redis keeps nothing across a restart): default limits, the
        # first step 45 s away, so the worker holds them as ETA messages through the stop
        scenes.take_calls(station, 3)
        wait_until(lambda: held_eta_tasks(redis_server.url) >= 3, 20, message="ETA tasks held")
        time.sleep(1)
        if redis_restarts(redis_server, worker, 1) != 1:
            break
        survived += 1
    scenes.note(
        f"worker alive after {survived} of {rounds} Redis restarts holding ETA clock tasks (pid {pid})"
    )
    assert survived == rounds, worker.log()[-3000:]
    assert_alive(worker, pid)


def test_lateness_with_the_worker_up(
    redis_server, worker_factory, publish_to, http_receiver, make_user, station
):
    """No fault: the deployed sweeps (15 s), 10 calls; the ETA timers do the work."""
    scenes.set_scene(make_user, station, http_receiver.url)
    worker = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2).start()
    publish_to(redis_server.url)
    incidents = scenes.take_calls(station, 10)
    _finish(incidents, worker, 120)
    time.sleep(2)
    _no_loss_no_duplicate(http_receiver)
    scenes.record("worker up, 10 calls", http_receiver)


def test_five_outages_of_30_s_under_the_same_worker(
    redis_server, worker_factory, publish_to, http_receiver, make_user, station
):
    """Calls keep coming; Redis goes away for 30 s five times; the deployed sweeps (15 s). The same
    worker process delivers every due step exactly once."""
    scenes.set_scene(make_user, station, http_receiver.url)
    worker = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2).start()
    pid = worker.pid
    publish_to(redis_server.url)
    incidents, outages = [], []
    for _ in range(5):
        incidents += scenes.take_calls(station, 3)
        time.sleep(2)
        down = scenes.timezone.now()
        redis_server.stop()
        incidents += scenes.take_calls(station, 1)  # a call taken while the broker is away
        time.sleep(30)
        assert_alive(worker, pid)
        redis_server.start()
        outages.append((down, scenes.timezone.now()))
        time.sleep(10)
    _finish(incidents, worker, 180)
    time.sleep(16)  # one more sweep: nothing is sent twice
    assert_alive(worker, pid)
    _no_loss_no_duplicate(http_receiver)
    scenes.record("5 Redis outages of 30 s", http_receiver, outages=outages, alive="5/5")


def test_burst_of_200_incidents_reaches_every_on_duty_leader(
    redis_server, worker_factory, publish_to, http_receiver, make_user, station
):
    """Typhoon night: 200 calls at once. Every step of every incident is delivered once and every
    breach reaches the station's duty leader in the app."""
    scenes.set_scene(make_user, station, http_receiver.url)
    worker = worker_factory(redis_server.url, beat=True, pool="prefork", concurrency=2).start()
    publish_to(redis_server.url)
    incidents = scenes.take_calls(station, 200)
    _finish(incidents, worker, 900)
    time.sleep(16)
    _no_loss_no_duplicate(http_receiver)
    breaches = InboxItem.objects.filter(
        recipient__username="scene-leader", notification__kind="incidents.sla_breach"
    ).values_list("notification__payload__incident", flat=True)
    assert set(breaches) == set(incidents)
    scenes.record("burst of 200 calls, worker up", http_receiver)
