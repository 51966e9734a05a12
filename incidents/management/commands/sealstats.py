import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from incidents.services import stats_refresh, stats_repair, stats_verify


class Command(BaseCommand):
    help = (
        "Seal every settled day and month of the dispatch KPI rollup now (the beat job does at most 120 "
        "units every 10 minutes; run this after importing history). --verify compares every sealed unit "
        "with its raw rows, prints the mismatches and exits 1 when there are any; --repair reseals them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--verify", action="store_true", help="compare sealed units with their raw rows")
        parser.add_argument("--repair", action="store_true", help="with --verify: reseal the mismatches")
        parser.add_argument("--since", help="with --verify: only units from this local date (YYYY-MM-DD)")

    def handle(self, *args, **opts):
        started = time.monotonic()
        if opts["since"] and not opts["verify"]:
            raise CommandError("--since goes with --verify")
        if opts["repair"] and not opts["verify"]:
            opts["verify"] = True
        if opts["verify"]:
            return self._verify(opts, started)
        sealed = stats_refresh(limit=None)
        self.stdout.write(
            f"sealed {sealed['day']:,} days and {sealed['month']:,} months in "
            f"{time.monotonic() - started:.1f}s ({sealed['skipped']:,} not settled yet)"
        )

    def _verify(self, opts, started):
        since = None
        if opts["since"]:
            try:
                since = date.fromisoformat(opts["since"])
            except ValueError:
                raise CommandError(f"--since: not a date (YYYY-MM-DD): {opts['since']!r}") from None
        result = stats_verify(since=since)
        for m in result["mismatches"]:
            self.stdout.write(
                f"MISMATCH {m['unit']} {m['start']}: sealed {m['sealed']:,} incidents, raw rows {m['raw']:,}"
            )
        self.stdout.write(
            f"verified {result['checked']:,} sealed units in {time.monotonic() - started:.1f}s: "
            f"{len(result['mismatches']):,} mismatches"
        )
        if not result["mismatches"]:
            return
        if opts["repair"]:
            resealed = stats_repair(mismatches=result["mismatches"])
            self.stdout.write(f"repaired: resealed {resealed:,} of {len(result['mismatches']):,} units")
            left = stats_verify(units=[(m["unit"], m["start"]) for m in result["mismatches"]])
            if left["mismatches"] or resealed < len(result["mismatches"]):
                raise CommandError(
                    f"{len(left['mismatches']):,} units still differ after the repair", returncode=1
                )
            return
        raise CommandError(
            f"{len(result['mismatches']):,} sealed units differ from their raw rows", returncode=1
        )
