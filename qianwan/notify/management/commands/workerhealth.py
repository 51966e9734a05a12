"""``manage.py workerhealth``: exit 0 when the reminders' beat sweep ran recently, else 1.

The worker and beat containers' healthcheck (docker-compose.yml): it reads the heartbeat row in the
database, so it sees a process that is up but stuck, which "the schedule file exists" or a ping of
one worker cannot."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from qianwan.notify.heartbeat import heartbeat_age


class Command(BaseCommand):
    help = "Exit 0 if the beat sweep's heartbeat is fresh (default: WORKER_STALE_SECONDS), else 1."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-age", type=float, default=None, help="seconds (default WORKER_STALE_SECONDS)"
        )

    def handle(self, *args, max_age=None, **options):
        limit = settings.WORKER_STALE_SECONDS if max_age is None else max_age
        try:
            age = heartbeat_age()
        except Exception as exc:  # database unreachable: unhealthy, with the reason
            self.stderr.write(f"stale: cannot read the heartbeat ({type(exc).__name__}: {exc})")
            sys.exit(1)
        if age is None:
            self.stderr.write("stale: the beat sweep has never run")
            sys.exit(1)
        if age > limit:
            self.stderr.write(f"stale: the beat sweep last ran {age:.0f} s ago (limit {limit:.0f} s)")
            sys.exit(1)
        self.stdout.write(f"ok: the beat sweep ran {age:.0f} s ago")
