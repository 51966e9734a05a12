from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.generate import ProgressBar, generate
from incidents.services import stats_refresh


class Command(BaseCommand):
    help = (
        "Generate realistic synthetic data for benchmarks. --incidents N inserts N settled incidents with "
        "their SLA clocks and timeline (COPY on PostgreSQL), spread over --months months up to now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=0, help="how many incidents to generate")
        parser.add_argument("--months", type=int, default=14, help="spread over this many months up to now")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--chunk", type=int, default=50_000)

    def handle(self, *args, **opts):
        n = opts["incidents"]
        if n <= 0:
            raise CommandError("nothing to do: pass --incidents N (N > 0)")
        end = timezone.now()
        start = end - timedelta(days=round(opts["months"] * 30.44))
        bar = ProgressBar(self.stderr._out if hasattr(self.stderr, "_out") else self.stderr)
        started = timezone.now()
        total = generate(
            n=n, start=start, end=end, prefix="G", seed=opts["seed"], chunk=opts["chunk"], progress=bar
        )
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"incidents: {total:,} generated in {seconds:.1f}s ({total / max(seconds, 1e-9):,.0f}/s)"
        )
        started = timezone.now()
        sealed = stats_refresh(limit=None)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"rollup: sealed {sealed['day']:,} days and {sealed['month']:,} months in {seconds:.1f}s"
        )
