import sys
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.generate import ProgressBar, generate
from incidents.services import stats_refresh
from qianwan.bulkload import generate_district


class Command(BaseCommand):
    help = (
        "District-scale benchmark data: N incidents (incidents.generate, COPY on PostgreSQL) over --years "
        "years, then disputes, follow-ups, hazards, accidents, patrols, enterprise services and fraud "
        "victims in proportion (vectorised; COPY on PostgreSQL). Load the organisation first (manage.py loaddemo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=1_000_000)
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--chunk", type=int, default=50_000)
        parser.add_argument("--skip-incidents", action="store_true", help="only the other apps' records")

    def handle(self, *args, **opts):
        n = opts["incidents"]
        if n <= 0 or opts["years"] <= 0:
            raise CommandError("--incidents and --years must be positive")
        end = timezone.now()
        start = end - timedelta(days=round(365.25 * opts["years"]))
        started = time.monotonic()
        if not opts["skip_incidents"]:
            generate(
                n=n,
                start=start,
                end=end,
                prefix="G",
                seed=opts["seed"],
                chunk=opts["chunk"],
                progress=ProgressBar(sys.stderr),
            )
            self.stdout.write(f"incidents: {n:,} in {time.monotonic() - started:.1f}s")

        def progress(label, count):
            self.stdout.write(f"{label}: {count:,} ({time.monotonic() - started:.1f}s)")

        try:
            counts = generate_district(
                incidents=n, start=start, end=end, seed=opts["seed"], progress=progress
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"done in {time.monotonic() - started:.1f}s: {counts}")
        sealing = time.monotonic()
        sealed = stats_refresh(limit=None)
        self.stdout.write(
            f"incident rollup: sealed {sealed['day']:,} days and {sealed['month']:,} months "
            f"in {time.monotonic() - sealing:.1f}s"
        )
