"""Shared fixtures: two stations, a user of every role in each scope, token-authenticated API clients.

The network is blocked except loopback (see ``_loopback_only``).
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from qianwan import refcache
from qianwan.loopback import celery_worker_command, stop_process, wait_until
from qianwan.org import services as org_services
from qianwan.org.choices import Role
from tests.factories import StationFactory, UserFactory, enterprise_for

ROLES = list(Role.values)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Each test starts with an empty reference-data cache: values a test read inside its rolled-back
    transaction must not reach the next test."""
    refcache.reset()
    yield
    refcache.reset()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Tests may talk to 127.0.0.1/localhost (PostgreSQL, Redis, test HTTP servers) and nothing else."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
                raise OSError(f"network access outside loopback is blocked in tests: {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def station(db):
    return StationFactory(code="ADS", name="庵东派出所", lat=30.2826, lon=121.1862)


@pytest.fixture
def other_station(db):
    return StationFactory(code="CSS", name="崇寿派出所", lat=30.2488, lon=121.1315)


@pytest.fixture
def make_user(db, station):
    """make_user(role, station=..., enterprise=..., partner=..., username=...) with the right scope by
    default (a grid_client acts for the partner ``grid`` unless ``partner`` names another, or None)."""

    def make(role: str, *, station_=None, enterprise=None, partner="grid", **kwargs):
        target_station = station_ or station
        if role in (Role.OFFICER, Role.STATION_LEADER):
            kwargs["station"] = target_station
        if role == Role.LIAISON:
            kwargs["enterprise"] = enterprise or enterprise_for(target_station)
        if role == Role.ADMIN:
            kwargs.update(is_staff=True, is_superuser=True)
        user = UserFactory(role=role, **kwargs)
        if role == Role.GRID_CLIENT and partner is not None:
            from qianwan.exchange.services import partner_account_set

            partner_account_set(actor=None, user=user, code=partner)
        return user

    return make


@pytest.fixture
def officer(make_user):
    return make_user(Role.OFFICER, username="officer")


@pytest.fixture
def leader(make_user):
    return make_user(Role.STATION_LEADER, username="leader")


@pytest.fixture
def bureau(make_user):
    return make_user(Role.BUREAU_LEADER, username="bureau")


@pytest.fixture
def grid(make_user):
    return make_user(Role.GRID_CLIENT, username="grid")


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin")


def token_client(user) -> APIClient:
    """An API client that authenticates with a real token, through the real authentication class."""
    _, key = org_services.token_create(actor=None, user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.user = user
    return client


@pytest.fixture
def api_as():
    return token_client


@pytest.fixture
def anon_api():
    return APIClient()


def database_url(connection, *, host: str | None = None, port: int | None = None) -> str:
    """The test database's URL for a child process (``host``/``port``: reach it another way, e.g. a proxy)."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host or db['HOST'] or '127.0.0.1'}:"
        f"{port or db['PORT'] or 5432}/{db['NAME']}"
    )


def child_env(connection, **extra) -> dict:
    """The environment of a worker or web process reading the test database, tasks not eager."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qianwan.settings.test",
        "QIANWAN_CELERY_EAGER": "0",
        "DATABASE_URL": database_url(connection),
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


class CeleryWorker:
    """A real Celery worker process, logging to ``logfile``; ``start()`` returns once it is ready.

    Solo pool by default (one process, so SIGKILL kills exactly the one sending); ``pool="prefork"``
    with ``concurrency`` is the deployed shape (a main process and its pool children). The worker runs
    in a session of its own, so ``stop()`` also ends pool children orphaned by a SIGKILL of the main
    process (by that process group's id)."""

    def __init__(
        self,
        env: dict,
        logfile: Path,
        *,
        name: str = "test",
        beat: bool = False,
        pool: str = "solo",
        concurrency: int | None = None,
    ):
        self.env, self.logfile, self.name, self.beat = env, logfile, name, beat
        self.pool, self.concurrency = pool, concurrency
        self.proc = None
        self.groups: list[int] = []

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 40):
        command = celery_worker_command(
            f"{self.name}-{os.getpid()}-{time.monotonic_ns()}@%h",
            pool=self.pool,
            concurrency=self.concurrency,
            beat_schedule=str(self.logfile.parent / "celerybeat-schedule") if self.beat else None,
        )
        start_at = len(self.log())
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.logfile.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.groups.append(self.proc.pid)
        try:
            wait_until(
                lambda: "ready." in self.log()[start_at:] or self.proc.poll() is not None,
                timeout,
                message="worker",
            )
        except AssertionError:
            self.stop()
            raise AssertionError(f"celery worker did not start:\n{self.log()[-3000:]}") from None
        if self.proc.poll() is not None:
            raise AssertionError(f"celery worker died:\n{self.log()[-3000:]}")
        return self

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def kill(self):
        """SIGKILL of the main process: no shutdown, no ack, nothing written by it after this instant
        (prefork pool children are not signalled; ``stop()`` ends them)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc:
            stop_process(self.proc)
        for group in self.groups:  # pool children left behind by a SIGKILL of their main process
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def celery_conf(app, **values) -> dict:
    """Set Celery settings in this process; returns the old values (to pass back). The app reads
    Django's settings with namespace CELERY, and on celery 5.6 a ``CELERY_``-prefixed key wins over
    the plain one, so both are set (setting ``app.conf.task_always_eager`` alone does nothing)."""
    conf = app.conf
    old = {key: conf.get(f"CELERY_{key.upper()}", conf.get(key)) for key in values}
    for key, value in values.items():
        conf[key] = conf[f"CELERY_{key.upper()}"] = value
    app._after_fork()  # connection and producer pools bound to an old broker URL
    return old


@pytest.fixture
def celery_worker_proc(transactional_db, tmp_path):
    """A real Celery worker process on real Redis, reading the test database.

    Tests using it see committed data only (transactional_db) and publish for real: eager mode is
    switched off in this process for the duration of the test. Yields the worker (``.log()``).
    """
    from django.db import connection

    from qianwan.celery import app as celery_app

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL must be set in CI for the Celery integration tests")
        pytest.skip("REDIS_URL not set: integration tests need a real Redis")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a server database (PostgreSQL)")
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no stale messages from an earlier run
    worker = CeleryWorker(child_env(connection, REDIS_URL=redis_url), tmp_path / "worker.log")
    old = celery_conf(celery_app, task_always_eager=False)
    try:
        yield worker.start()
    finally:
        celery_conf(celery_app, **old)
        worker.stop()


def url_routes() -> list[tuple[str | None, str]]:
    """(name, route) of every URL pattern of the project: names namespaced ("app:name"), routes as
    written in the URLconf (no leading slash, converters kept). For the tests that go over every page."""
    routes = []

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                routes.append((name, prefix + str(entry.pattern)))

    walk(get_resolver(), "", None)
    return routes


class HttpReceiver:
    """A real HTTP server on 127.0.0.1 standing in for a webhook receiver (DingTalk, WeCom, a partner).

    ``responses`` is a list of (status, body) served in order (the last one repeats); every request is
    recorded in ``requests`` as dicts with path, query, headers, json body, ``raw`` bytes and ``answered`` (False
    while its answer is being held: a send in flight). ``delay`` makes it slow.
    """

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.requests: list[dict] = []
        self.responses: list[tuple[int, str]] = [(200, '{"errcode": 0, "errmsg": "ok"}')]
        self.delay = 0.0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                import time
                from urllib.parse import parse_qs, urlsplit

                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode(errors="replace")
                record = {
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "headers": dict(self.headers),
                    "json": body,
                    "raw": raw,  # the exact bytes received (signature checks)
                    "answered": False,
                }
                receiver.requests.append(record)
                if receiver.delay:
                    time.sleep(receiver.delay)
                index = min(len(receiver.requests) - 1, len(receiver.responses) - 1)
                status, text = receiver.responses[index]
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                record["answered"] = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def delivery_ids(self) -> list[str]:
        """The ``X-Qianwan-Delivery`` header of every request received, in order (repeats kept)."""
        return [r["headers"].get("X-Qianwan-Delivery", "") for r in list(self.requests)]

    def in_flight(self) -> list[str]:
        """Delivery ids of the requests received and not answered yet."""
        return [r["headers"].get("X-Qianwan-Delivery", "") for r in list(self.requests) if not r["answered"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(autouse=True)
def _migration_data(request):
    """Reference rows that data migrations create (the grid and 12345 partners) are flushed by every
    transactional test; put them back for any test that uses the database."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    if not (marker or transactional or "db" in names):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps as django_apps

    from qianwan.exchange.migrations import _defaults

    _defaults.create(django_apps, None)
