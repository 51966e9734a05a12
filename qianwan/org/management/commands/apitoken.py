from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from qianwan.org import services
from qianwan.org.choices import Role
from qianwan.org.models import Station


class Command(BaseCommand):
    help = "Create the user if missing, give it ROLE (and scope), and print a new API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--station", help="station code (officer, station_leader)")
        parser.add_argument("--enterprise", type=int, help="enterprise id (liaison)")
        parser.add_argument(
            "--partner", help="partner code (grid_client: grid, 12345, …; the partner is created if missing)"
        )
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="token lifetime in days (default: none)"
        )

    def handle(self, *args, **opts):
        from enterprises.models import Enterprise
        from qianwan.exchange import services as exchange_services
        from qianwan.exchange.models import PartnerAccount

        station = None
        if opts["station"]:
            station = Station.objects.filter(code=opts["station"]).first()
            if station is None:
                raise CommandError(f"Unknown station code: {opts['station']}")
        enterprise = None
        if opts["enterprise"] is not None:
            enterprise = Enterprise.objects.filter(pk=opts["enterprise"]).first()
            if enterprise is None:
                raise CommandError(f"Unknown enterprise id: {opts['enterprise']}")
        if opts["expires_days"] is not None and opts["expires_days"] <= 0:
            raise CommandError("--expires-days must be a positive number of days")
        if opts["partner"] and opts["role"] != Role.GRID_CLIENT:
            raise CommandError("--partner is only for --role grid_client")
        if (
            opts["role"] == Role.GRID_CLIENT
            and not opts["partner"]
            and not PartnerAccount.objects.filter(user__username=opts["username"]).exists()
        ):
            raise CommandError("a grid_client belongs to one partner: give --partner CODE (e.g. grid, 12345)")
        expires_at = timezone.now() + timedelta(days=opts["expires_days"]) if opts["expires_days"] else None
        try:
            with transaction.atomic():
                user = services.user_provision(
                    actor=None,
                    username=opts["username"],
                    role=opts["role"],
                    station=station,
                    enterprise=enterprise,
                )
                if opts["partner"]:
                    exchange_services.partner_account_set(actor=None, user=user, code=opts["partner"])
                token, key = services.token_create(
                    actor=None, user=user, name=opts["name"], expires_at=expires_at
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        partner = f" partner={opts['partner']}" if opts["partner"] else ""
        self.stdout.write(f"user {user.username} role={user.role}{partner} token prefix={token.prefix}")
        self.stdout.write(key)
