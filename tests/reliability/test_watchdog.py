"""A process that finds the reminders stopped exits, and its supervisor brings it back: the worker's
watchdog (qianwan/watchdog.py) reads the beat sweep's heartbeat from the database; with no beat it is
stale while the database and Redis answer, so the worker exits and the supervisor (standing in for
Docker's ``restart: unless-stopped``) starts it again. With beat running the heartbeat is fresh and the
worker stays; a SIGKILLed beat is restarted and the heartbeat goes on."""

import os
import signal
import time

import pytest
from django.db import connection

from qianwan.loopback import wait_until
from qianwan.notify.heartbeat import heartbeat_age
from tests.conftest import child_env
from tests.reliability.conftest import CeleryBeat, Supervisor

# about 50 s of real processes: run by `make faults` (with the long scenarios), not by `make test`
pytestmark = [pytest.mark.faults_long, pytest.mark.django_db(transaction=True)]

WATCHDOG = {
    "QIANWAN_WATCHDOG_STALE_SECONDS": "8",
    "QIANWAN_WATCHDOG_INTERVAL_SECONDS": "1",
    "CLOCKS_SWEEP_SECONDS": "1",
}


def test_stale_worker_exits_and_comes_back_and_a_killed_beat_comes_back(
    redis_server, worker_factory, tmp_path
):
    supervisors = []
    try:
        workers = Supervisor(
            lambda: worker_factory(redis_server.url, pool="prefork", concurrency=1, **WATCHDOG).start(),
            delay=1,
        ).start()
        supervisors.append(workers)
        first = workers.current
        # no beat: the sweep never runs; 8 s after it started the worker sees that and exits
        wait_until(lambda: workers.exits, 40, message="the stale worker exiting by itself")
        assert "watchdog (worker" in first.log() and "heartbeat is missing" in first.log(), first.log()[
            -2000:
        ]
        wait_until(lambda: workers.starts >= 2 and workers.current.alive(), 40, message="its restart")

        # beat (its own process, supervised too) sends the sweep every second: the heartbeat is fresh
        env = child_env(connection, REDIS_URL=redis_server.url, QIANWAN_VAR_DIR=tmp_path, **WATCHDOG)
        beats = Supervisor(
            lambda: CeleryBeat(env, tmp_path / "beat.log", tmp_path / "celerybeat-schedule").start(), delay=1
        ).start()
        supervisors.append(beats)
        wait_until(lambda: (heartbeat_age() or 99) < 3, 40, message="a fresh heartbeat")
        # a worker that had already decided to exit before beat came up finishes its exit and is
        # started again; from then on the heartbeat is fresh
        time.sleep(3)
        wait_until(lambda: workers.current.alive(), 40, message="a running worker")
        exits = len(workers.exits)
        worker = workers.current
        time.sleep(10)  # longer than the watchdog's limit: a worker whose sweep runs stays up
        assert len(workers.exits) == exits and workers.current is worker and worker.alive(), worker.log()[
            -2000:
        ]

        # SIGKILL beat: its supervisor starts it again and the sweep goes on
        killed = beats.current.proc.pid
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda: beats.starts >= 2 and beats.current.proc.pid != killed, 20, message="beat back")
        before = heartbeat_age()
        time.sleep(3)
        assert heartbeat_age() < 3 and worker.alive(), (before, beats.current.log()[-2000:])
        assert beats.exits == [-signal.SIGKILL], beats.current.log()[-2000:]
    finally:
        for supervisor in supervisors:
            supervisor.stop()
            supervisor.current.stop()
