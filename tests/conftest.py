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
