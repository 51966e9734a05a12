import resource
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.generate import ProgressBar, generate
from incidents.services import stats_refresh
from qianwan.bulkload import generate_district

MAX_MONTHS = 60


class Command(BaseCommand):
    help = (
        "Generate realistic synthetic data for benchmarks: --incidents N settled incidents with their SLA "
        "clocks, timeline, named officers and (unless --incidents-only) their creation in the audit trail, "
        "spread over --months months up to now; then, in proportion, the other lists' records (disputes, "
        "follow-ups, hazards, accidents, patrols, enterprise services, fraud victims, block visits, the "
        "exchange's events); then the sealed rollup. COPY on PostgreSQL. Load the organisation first "
        "(manage.py loaddemo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=0, help="how many incidents to generate")
        parser.add_argument(
            "--months", type=int, default=14, help=f"spread over this many months up to now (1–{MAX_MONTHS})"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--chunk", type=int, default=50_000)
        parser.add_argument(
            "--incidents-only",
            action="store_true",
            help="only the incidents (no audit rows, no other lists' records)",
        )

    def handle(self, *args, **opts):
        n = opts["incidents"]
        if n <= 0:
            raise CommandError("nothing to do: pass --incidents N (N > 0)")
        if not 1 <= opts["months"] <= MAX_MONTHS:
            raise CommandError(f"--months must be between 1 and {MAX_MONTHS}")
        if opts["chunk"] <= 0:
            raise CommandError("--chunk must be positive")
        everything = not opts["incidents_only"]
        end = timezone.now()
        start = end - timedelta(days=round(opts["months"] * 30.44))
        bar = ProgressBar(self.stderr._out if hasattr(self.stderr, "_out") else self.stderr)
        phases = []
        started = time.monotonic()
        try:
            total = generate(
                n=n,
                start=start,
                end=end,
                prefix="G",
                seed=opts["seed"],
                chunk=opts["chunk"],
                progress=bar,
                audit=everything,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        seconds = time.monotonic() - started
        phases.append(("incidents", seconds))
        self.stdout.write(
            f"incidents: {total:,} generated in {seconds:.1f}s ({total / max(seconds, 1e-9):,.0f}/s)"
        )
        if everything:
            mark = time.monotonic()
            counts = generate_district(incidents=n, start=start, end=end, seed=opts["seed"])
            phases.append(("other lists", time.monotonic() - mark))
            self.stdout.write(f"other lists: {counts} in {phases[-1][1]:.1f}s")
        mark = time.monotonic()
        sealed = stats_refresh(limit=None)
        phases.append(("sealing", time.monotonic() - mark))
        self.stdout.write(
            f"rollup: sealed {sealed['day']:,} days and {sealed['month']:,} months in {phases[-1][1]:.1f}s"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"total {time.monotonic() - started:.1f}s ("
            + ", ".join(f"{name} {s:.1f}s" for name, s in phases)
            + f"); peak memory {peak:,.0f} MB"
        )
