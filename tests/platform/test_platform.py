import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.errors import error_code

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_reports_broker_down_but_stays_200(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "down", "worker": "stale"}


def test_healthz_worker_is_ok_while_the_sweep_runs_and_stale_after_60_s(client):
    """``worker`` reads the beat sweep's heartbeat row: ok within 60 s of a sweep, stale after, and
    still 200 (the web keeps working without the worker)."""
    import time_machine
    from django.utils import timezone

    from incidents.services import clocks_sweep

    assert client.get("/healthz").json()["worker"] == "stale"  # never swept
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        clocks_sweep()
        assert client.get("/healthz").json()["worker"] == "ok"
        clock.shift(60)
        assert client.get("/healthz").json()["worker"] == "ok"
        clock.shift(1)
        response = client.get("/healthz")
        assert response.status_code == 200 and response.json()["worker"] == "stale"
        clocks_sweep()
        assert client.get("/healthz").json()["worker"] == "ok"


def test_workerhealth_command_exits_1_when_stale_and_0_when_fresh():
    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    from incidents.services import clocks_sweep

    with pytest.raises(SystemExit) as exited:
        call_command("workerhealth")
    assert exited.value.code == 1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        clocks_sweep()
        call_command("workerhealth")  # fresh: returns normally (exit 0)
        clock.shift(61)
        with pytest.raises(SystemExit) as exited:
            call_command("workerhealth")
        assert exited.value.code == 1
        call_command("workerhealth", "--max-age", "120")


def test_healthz_with_redis_broker_up(client, settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("no Redis configured")
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    assert client.get("/healthz").json()["broker"] == "ok"


def test_healthz_is_503_without_database(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper
    from django.db.utils import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "down"


def test_everything_but_healthz_and_login_needs_auth(client):
    assert client.get("/api/v1/stations/").status_code == 401
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/").status_code == 302 and "/accounts/login/" in client.get("/")["Location"]
    assert client.get("/accounts/login/").status_code == 200


def test_schema_and_offline_docs(client, officer):
    client.force_login(officer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/stations/" in paths and "/api/v1/exchange/inbound/" in paths
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "//unpkg" not in docs


def test_unknown_paths_and_bad_json_are_4xx(api_as, admin_user):
    client = api_as(admin_user)
    assert client.get("/api/v1/nope/").status_code == 404
    response = client.post("/api/v1/stations/", "{not json", content_type="application/json")
    assert response.status_code == 400 and error_code(response) == "invalid_body"
    assert client.get("/api/v1/stations/?page=99").status_code == 404
    too_deep = client.get("/api/v1/stations/?page=999")
    assert too_deep.status_code == 400 and error_code(too_deep) == "page_too_deep"
    too_big = client.get("/api/v1/stations/?page_size=100000")
    assert too_big.status_code == 400 and error_code(too_big) == "page_size_invalid"
    assert client.get("/api/v1/stations/?page_size=500").status_code == 200


def test_docker_compose_is_valid():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "qianwan.settings.production"
        assert "DATABASE_URL" in env and "REDIS_URL" in env
    assert "gunicorn qianwan.wsgi:application" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:3] == ["celery", "-A", "qianwan"]
    assert services["beat"]["command"][3] == "beat"
    # the worker's and beat's healthchecks read the reminders' heartbeat, not a file or a ping
    for name in ("worker", "beat"):
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "workerhealth"], name
        assert services[name]["restart"] == "unless-stopped", name
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}
    # the modules the commands name exist in the project
    assert (ROOT / "qianwan" / "wsgi.py").exists() and (ROOT / "qianwan" / "celery.py").exists()
    assert (ROOT / "Dockerfile").exists()


def test_check_deploy_with_production_settings_is_clean():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by the e2e tests
        "DJANGO_SETTINGS_MODULE": "qianwan.settings.production",
        "DJANGO_SECRET_KEY": "a-very-long-and-random-production-secret-key-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "qianwan.police.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECRET_KEY")}
    env["DJANGO_SETTINGS_MODULE"] = "qianwan.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_secret_file_variant(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-0123456789-0123456789-0123456789-0123456789\n")
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="qianwan.settings.production", DJANGO_SECRET_KEY_FILE=str(secret))
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "from-a-file-0123456789-0123456789-0123456789-0123456789", result.stderr


def test_loaddemo_is_idempotent(db):
    from django.core.management import call_command

    from qianwan.org.models import Station, User

    call_command("loaddemo", stdout=open(os.devnull, "w"))
    counts = (Station.objects.count(), User.objects.count())
    call_command("loaddemo", stdout=open(os.devnull, "w"))
    assert (Station.objects.count(), User.objects.count()) == counts
    assert User.objects.filter(username="officer", station__code="ADS").exists()
    # the demo's closed disputes obey the close-out rule: two follow-ups or a leader's approval
    from django.db.models import Count, Q

    from disputes.models import Dispute

    closed = Dispute.objects.filter(status="closed").annotate(n=Count("followups"))
    assert closed.exists()
    assert (
        not closed.filter(n__lt=2)
        .filter(Q(close_approved_at__isnull=True) | Q(close_approval_reason=""))
        .exists()
    )
    assert closed.filter(n__lt=2, close_approved_by__role="station_leader").exists()


def test_makefile_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("install:", "run:", "test:", "bench:"):
        assert f"\n{target}" in makefile
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert [line for line in quick.splitlines() if line.startswith("make")] == ["make run", "make test"]
    assert shlex.split("bin/run-dev")  # the run script is in the repo
    assert (ROOT / "bin" / "run-dev").stat().st_mode & 0o111
