"""Link records whose typed address (未标准化) is exactly a standard address's text — the later match
for free text the register did not know when the record was written (incidents, hazards, disputes)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from places.models import StandardAddress


class Command(BaseCommand):
    help = "Link incidents, hazards and disputes of the last --days whose address text is a standard address."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="records of the last N days (default 30)")

    def handle(self, *args, **opts):
        from disputes.models import Dispute
        from incidents.models import Incident
        from risks.models import Hazard

        since = timezone.now() - timedelta(days=opts["days"])
        match = Subquery(
            StandardAddress.objects.filter(text=OuterRef("address"), is_active=True).values("pk")[:1]
        )
        for model, when in ((Incident, "received_at"), (Hazard, "found_at"), (Dispute, "occurred_at")):
            rows = model.objects.filter(standard_address__isnull=True, **{f"{when}__gte": since}).exclude(
                address=""
            )
            rows = rows.filter(address__in=StandardAddress.objects.filter(is_active=True).values("text"))
            count = rows.update(standard_address=match)
            self.stdout.write(f"{model._meta.label}: {count} linked")
