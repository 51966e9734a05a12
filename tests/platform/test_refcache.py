"""The reference data each process keeps (qianwan/refcache.py): an edit made in another process reaches
the next call, a rolled-back edit is never kept, a shift change is seen without any edit, and a cache
that cannot be reached only costs queries."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from incidents import services
from incidents.models import SlaClock, SlaPolicy
from qianwan import refcache
from qianwan.loopback import free_port
from qianwan.notify.models import InboxItem
from qianwan.org import selectors
from qianwan.org.choices import Role
from qianwan.org.models import ApiToken, DutyRoster
from tests.conftest import database_url
from tests.incidents.factories import payload

ROOT = Path(__file__).resolve().parents[2]


class request_scope:
    """The signals a web request sends around its work, without closing the test's database
    connection (as Django's test client does)."""

    def __enter__(self):
        request_started.disconnect(close_old_connections)
        try:
            request_started.send(sender=None)
        finally:
            request_started.connect(close_old_connections)

    def __exit__(self, *exc):
        request_finished.disconnect(close_old_connections)
        try:
            request_finished.send(sender=None)
        finally:
            request_finished.connect(close_old_connections)


def _in_another_process(code: str) -> None:
    """Run ``code`` (after django.setup()) in a fresh interpreter on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qianwan.settings.test",
        "DATABASE_URL": database_url(connection),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db(transaction=True)
def test_an_edit_in_another_process_reaches_the_next_call(api_as, officer, make_user, station):
    if connection.vendor != "postgresql":
        pytest.skip("the other process needs a database it can share")
    client, kept = api_as(officer), api_as(officer)
    first = client.post("/api/v1/incidents/", payload(), format="json").json()
    assert kept.get("/api/v1/notifications/unread/").status_code == 200
    kept_token = ApiToken.objects.latest("pk")
    assert [c["limit_seconds"] for c in first["sla"] if c["stage"] == "dispatch"] == [60]
    newcomer = make_user(Role.STATION_LEADER, username="night-leader")
    refcache.reset()  # (the user just made was a local write: the values must come from the other process)
    client.post("/api/v1/incidents/", payload(), format="json")  # fills this process's values again

    # the admin, in another process, lengthens the dispatch limit, puts a leader on duty and revokes a
    # token
    now = timezone.now()
    _in_another_process(
        "from incidents.models import SlaPolicy; from qianwan.org.models import DutyRoster, User\n"
        "p = SlaPolicy.objects.get(category=''); p.dispatch_seconds = 90; p.save()\n"
        f"DutyRoster.objects.create(station_id={station.pk}, leader=User.objects.get(pk={newcomer.pk}),"
        f" starts_at='{(now - timedelta(hours=1)).isoformat()}', ends_at='{(now + timedelta(hours=8)).isoformat()}')\n"
        "from django.utils import timezone; from qianwan.org.models import ApiToken\n"
        f"t = ApiToken.objects.get(pk={kept_token.pk}); t.revoked_at = timezone.now(); t.save()"
    )
    assert kept.get("/api/v1/notifications/unread/").status_code == 401  # revoked there: refused here
    second = client.post("/api/v1/incidents/", payload(), format="json").json()
    assert SlaClock.objects.get(incident_id=second["id"], stage="dispatch").limit_seconds == 90
    leaders = InboxItem.objects.filter(notification__key=f"incident:{second['id']}:leader")
    assert list(leaders.values_list("recipient__username", flat=True)) == ["night-leader"]


@pytest.mark.django_db
def test_a_rolled_back_edit_is_never_kept(officer):
    with request_scope():
        assert services.policy_for("dispute").dispatch_seconds == 60
        with pytest.raises(RuntimeError), transaction.atomic():
            policy = SlaPolicy.objects.get(category="")
            policy.dispatch_seconds = 30
            policy.save()
            assert services.policy_for("dispute").dispatch_seconds == 30  # its own write, read through
            raise RuntimeError("the edit fails")
        assert services.policy_for("dispute").dispatch_seconds == 60
    with request_scope():
        assert services.policy_for("dispute").dispatch_seconds == 60


@pytest.mark.django_db
def test_a_shift_change_needs_no_edit(station, make_user, time_machine, django_assert_num_queries):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    day = make_user(Role.STATION_LEADER, username="day")
    night = make_user(Role.STATION_LEADER, username="night")
    hours = lambda n: now + timedelta(hours=n)  # noqa: E731
    DutyRoster.objects.create(station=station, leader=day, starts_at=hours(-4), ends_at=hours(4))
    DutyRoster.objects.create(station=station, leader=night, starts_at=hours(4), ends_at=hours(16))
    DutyRoster.objects.create(station=station, leader=night, starts_at=hours(-72), ends_at=hours(-60))
    with request_scope():
        assert selectors.duty_leaders(station=station, at=now) == [day]
    with request_scope(), django_assert_num_queries(0):  # the roster ahead is kept
        assert selectors.duty_leaders(station=station, at=hours(4)) == [night]
        assert selectors.duty_leaders(station=station, at=hours(3.99)) == [day]
    # after the last shift: the station's leaders by role, without asking for the roster again
    with request_scope(), django_assert_num_queries(1):
        assert set(selectors.duty_leaders(station=station, at=hours(17))) == {day, night}
    # before what is kept (a day back): asked of the database, which knows the old shift
    with request_scope(), django_assert_num_queries(1):
        assert selectors.duty_leaders(station=station, at=hours(-66)) == [night]


@pytest.mark.django_db
def test_an_unreachable_cache_only_costs_queries(django_assert_num_queries):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=down), request_scope():
        for _ in range(2):
            with django_assert_num_queries(1):  # read from the database each time, and right
                assert services.policy_for("dispute").dispatch_seconds == 60
    with request_scope():  # the cache back: kept again
        services.policy_for("dispute")
        with django_assert_num_queries(0):
            assert services.policy_for("dispute").dispatch_seconds == 60


@pytest.mark.django_db
def test_nothing_found_is_not_kept_and_nothing_outlives_the_backstop(
    station, monkeypatch, django_assert_num_queries
):
    with request_scope():
        with django_assert_num_queries(2):  # codes a client makes up do not fill the memory
            assert selectors.station_by_code("NOPE") is None
            assert selectors.station_by_code("NOPE") is None
        assert selectors.station_by_code("ADS") == station
        with django_assert_num_queries(0):
            assert selectors.station_by_code("ADS") == station
    monkeypatch.setattr(refcache, "MAX_AGE_SECONDS", -1)  # as if the values were older than the backstop
    with request_scope(), django_assert_num_queries(1):
        assert selectors.station_by_code("ADS") == station
