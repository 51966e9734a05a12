"""Real processes on loopback for the fault tests: a Redis server we can stop, Celery workers we can
SIGKILL, the web app under gunicorn, and a TCP proxy in front of PostgreSQL we can cut.

Everything binds to 127.0.0.1 on spare ports from 56400 up and is stopped by the fixture that
started it (by its own process id).
"""

import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from qianwan.loopback import free_port, stop_process, wait_until
from tests.conftest import ROOT, CeleryWorker, celery_conf, child_env, database_url


class RedisServer:
    """A throw-away redis-server on its own port; ``stop()`` and ``start()`` keep the port."""

    def __init__(self, workdir: Path):
        self.port = free_port(56400)
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        import redis

        def up():
            try:
                return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
            except redis.RedisError:
                return False

        wait_until(up, 10, message="redis-server")
        return self

    def stop(self):
        if self.proc:
            stop_process(self.proc)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def worker_factory(transactional_db, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("worker processes need PostgreSQL")
    workers = []

    def make(
        redis_url: str, *, beat: bool = False, pool: str = "solo", concurrency: int | None = None, **env
    ) -> CeleryWorker:
        var = tmp_path / f"var{len(workers)}"
        var.mkdir()
        worker = CeleryWorker(
            child_env(connection, REDIS_URL=redis_url, QIANWAN_VAR_DIR=var, **env),
            tmp_path / f"worker{len(workers)}.log",
            name="reliab",
            beat=beat,
            pool=pool,
            concurrency=concurrency,
        )
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


class Web:
    """The WSGI app under gunicorn on loopback, reading the test database."""

    def __init__(self, env: dict, logfile: Path, workers: int = 2):
        self.port = free_port(56500)
        self.env, self.logfile, self.workers = env, logfile, workers
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "qianwan.wsgi:application",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(self.workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.logfile.open("ab"),
            stderr=subprocess.STDOUT,
        )

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn died:\n{self.logfile.read_text()[-3000:]}")
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_until(up, 40, message="gunicorn")
        return self

    def stop(self):
        if self.proc:
            stop_process(self.proc)


@pytest.fixture
def web_factory(transactional_db, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the web process needs PostgreSQL")
    webs = []

    def make(*, redis_url: str, db_port: int | None = None, **env) -> Web:
        extra = {"REDIS_URL": redis_url, "QIANWAN_VAR_DIR": tmp_path / f"webvar{len(webs)}"}
        if db_port:
            extra["DATABASE_URL"] = database_url(connection, host="127.0.0.1", port=db_port)
        extra.update(env)
        web = Web(child_env(connection, **extra), tmp_path / f"web{len(webs)}.log")
        webs.append(web)
        return web.start()

    yield make
    for web in webs:
        web.stop()


class TcpProxy:
    """A loopback TCP proxy; ``cut()`` closes the listener and every open connection (the database
    "goes away"), ``restore()`` listens again on the same port."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port(56600)
        self.listener = None
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()

    def restore(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        if self.listener:
            try:  # shutdown wakes the thread blocked in accept(); close alone would leave it listening
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                except OSError:
                    pass
            self.conns = []


@pytest.fixture
def db_proxy(transactional_db):
    from django.db import connection

    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432)).restore()
    yield proxy
    proxy.cut()


@pytest.fixture
def publish_to():
    """``publish_to(url)``: this test process publishes its tasks to the broker at ``url`` (a throw-away
    redis-server) instead of running them eagerly; restored afterwards."""
    from qianwan.celery import app

    old = {}

    def redirect(url: str):
        old.update(celery_conf(app, broker_url=url, broker_write_url=url, task_always_eager=False))

    yield redirect
    if old:
        celery_conf(app, **old)


class Supervisor:
    """What Docker's ``restart: unless-stopped`` does, in a thread: start a process, and start it again
    ``delay`` seconds after it exits, for as long as the test runs. ``exits`` records each exit code."""

    def __init__(self, start, delay: float = 1.0):
        self.start_process, self.delay = start, delay
        self.exits: list[int] = []
        self.starts = 0
        self.current = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.current = self.start_process()
        self.starts = 1
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            proc = self.current.proc
            if proc.poll() is not None:
                self.exits.append(proc.returncode)
                if self._stop.wait(self.delay):
                    return
                self.current = self.start_process()
                self.starts += 1
            self._stop.wait(0.2)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)


class CeleryBeat:
    """A standalone ``celery beat`` process (the beat container), logging to ``logfile``."""

    def __init__(self, env: dict, logfile: Path, schedule: Path):
        self.env, self.logfile, self.schedule = env, logfile, schedule
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qianwan",
                "beat",
                "--loglevel=INFO",
                "-s",
                str(self.schedule),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.logfile.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def stop(self):
        if self.proc:
            stop_process(self.proc)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The lateness table of the fault scenarios that ran (numbers printed, not asserted as time)."""
    from tests.reliability.scenes import REPORT, format_row

    if not REPORT:
        return
    terminalreporter.section("reminder lateness under faults (fired − due; seconds)")
    for row in REPORT:
        terminalreporter.write_line(format_row(row))
