import time

from django.core.management.base import BaseCommand

from incidents.services import stats_refresh


class Command(BaseCommand):
    help = (
        "Seal every settled day and month of the dispatch KPI rollup now (the beat job does at most 120 "
        "units every 10 minutes; run this after importing history)."
    )

    def handle(self, *args, **opts):
        started = time.monotonic()
        sealed = stats_refresh(limit=None)
        self.stdout.write(
            f"sealed {sealed['day']:,} days and {sealed['month']:,} months in "
            f"{time.monotonic() - started:.1f}s ({sealed['skipped']:,} not settled yet)"
        )
