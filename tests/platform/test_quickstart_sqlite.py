"""`make run` on a fresh machine: the embedded default (SQLite, no DATABASE_URL) migrates and loads the
whole demo, and its pages answer. The suite itself runs on PostgreSQL, so without this test a
PostgreSQL-only query in the demo generator breaks the quick start unseen (it did once: a range
lookup on a foreign key in the SQLite branch of gendata's officer naming)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PAGES = """
import django
django.setup()
from django.test import Client
from django.contrib.auth import get_user_model
User = get_user_model()
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(User.objects.get(username="officer"))
for path in ("/", "/incidents/board/", "/incidents/list/", "/disputes/blocks/", "/places/", "/incidents/out-now/"):
    status = client.get(path).status_code
    print(path, status)
    assert status == 200, (path, status)
"""


@pytest.mark.integration
def test_the_demo_loads_and_serves_on_the_embedded_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        QIANWAN_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="qianwan.settings.local", DJANGO_DEBUG="0"
    )

    def run(*args):
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    run("manage.py", "migrate", "--noinput", "-v0")
    assert "demo data loaded" in run("manage.py", "loaddemo")
    assert (tmp_path / "qianwan.sqlite3").exists()  # the embedded default, not the suite's PostgreSQL
    run("manage.py", "collectstatic", "--noinput", "-v0")  # as make run does (manifest storage)
    run("-c", PAGES)
