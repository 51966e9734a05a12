"""Shared fixtures: two stations, a user of every role in each scope, token-authenticated API clients.

The network is blocked except loopback (see ``_loopback_only``).
"""

import socket

import pytest
from rest_framework.test import APIClient

from qianwan.org import services as org_services
from qianwan.org.choices import Role
from tests.factories import StationFactory, UserFactory, enterprise_for

ROLES = list(Role.values)


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
    """make_user(role, station=..., enterprise=..., username=...) with the right scope by default."""

    def make(role: str, *, station_=None, enterprise=None, **kwargs):
        target_station = station_ or station
        if role in (Role.OFFICER, Role.STATION_LEADER):
            kwargs["station"] = target_station
        if role == Role.LIAISON:
            kwargs["enterprise"] = enterprise or enterprise_for(target_station)
        if role == Role.ADMIN:
            kwargs.update(is_staff=True, is_superuser=True)
        return UserFactory(role=role, **kwargs)

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


@pytest.fixture
def celery_worker_proc(transactional_db, tmp_path):
    """A real Celery worker process on real Redis, reading the test database.

    Tests using it see committed data only (transactional_db) and publish for real: eager mode is
    switched off in this process for the duration of the test. Yields a helper with ``.log()``.
    """
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

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
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    logfile = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qianwan.settings.test",
        "QIANWAN_CELERY_EAGER": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qianwan",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=root,
        env=env,
        stdout=logfile.open("wb"),
        stderr=subprocess.STDOUT,
    )
    old_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False

    class Worker:
        process = proc

        @staticmethod
        def log() -> str:
            return logfile.read_text(errors="replace")

    deadline = time.monotonic() + 30
    while "ready." not in Worker.log():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"celery worker did not start:\n{Worker.log()[-3000:]}")
        time.sleep(0.2)
    try:
        yield Worker
    finally:
        celery_app.conf.task_always_eager = old_eager
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class HttpReceiver:
    """A real HTTP server on 127.0.0.1 standing in for a webhook receiver (DingTalk, WeCom, a partner).

    ``responses`` is a list of (status, body) served in order (the last one repeats); every request is
    recorded in ``requests`` as dicts with path, query, headers and json body. ``delay`` makes it slow.
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
                receiver.requests.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "headers": dict(self.headers),
                        "json": body,
                    }
                )
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

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

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
