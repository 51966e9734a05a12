"""Demo incidents: ~3,000 settled incidents over 14 months for the demo stations (generated, fast), and
a few calls in progress on the ADS duty board with their timers armed. Idempotent."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from qianwan.exchange.models import OutboundEvent
from qianwan.org.models import User

from . import rollup
from .generate import generate
from .models import Incident

DEMO_PREFIX = "D"
DEMO_COUNT = 2500
DEMO_MARK = "【演示】"

LIVE_CALLS = [
    # seconds ago, category, address, description, steps done (kind, seconds after receipt)
    (25, "dispute", "前湾新区兴业路18号", "邻里因停车位争吵", []),
    (95, "traffic", "前湾新区杭州湾大道与滨海二路口", "两车刮擦，无人受伤", [("dispatched", 40)]),
    (
        290,
        "public_order",
        "前湾新区海川大道1288号",
        "酒后滋事",
        [("dispatched", 30), ("video_supervised", 85)],
    ),
]


def load() -> str:
    if Incident.objects.filter(number__startswith=DEMO_PREFIX).exists():
        return "already loaded"
    end = timezone.now()
    n = generate(
        n=DEMO_COUNT, start=end - timedelta(days=426), end=end, prefix=DEMO_PREFIX, seed=110, chunk=DEMO_COUNT
    )
    officer = User.objects.filter(username="officer").first()
    live = 0
    if officer is not None and officer.station_id:
        from . import services

        now = timezone.now()
        crew = list(
            User.objects.filter(station=officer.station, is_active=True, role="officer")
            .order_by("username")
            .values_list("username", flat=True)[:2]
        )
        for ago, category, address, description, steps in LIVE_CALLS:
            received = now - timedelta(seconds=ago)
            incident = services.incident_create(
                actor=officer,
                station=officer.station,
                category=category,
                received_at=received,
                address=address,
                description=DEMO_MARK + description,
                caller_phone="13905741234",
            )
            for kind, after in steps:
                # the dispatch names who went (the field records: "out now" on the station page)
                named = crew if kind in ("dispatched", "arrived") else None
                services.incident_record_event(
                    actor=officer,
                    incident=incident,
                    kind=kind,
                    at=received + timedelta(seconds=after),
                    officers=named,
                    unit="前湾巡1" if named else "",
                )
            live += 1
    return f"{n} incidents generated, {live} calls in progress"


def reset() -> None:
    demo = Incident.objects.filter(number__startswith=DEMO_PREFIX) | Incident.objects.filter(
        description__startswith=DEMO_MARK
    )
    ids = [str(pk) for pk in demo.values_list("pk", flat=True)]
    with transaction.atomic():
        # the rows go without the services: unseal their days and months in the same transaction
        rollup.unseal_incidents(demo)
        OutboundEvent.objects.filter(source_type="incidents.incident", source_id__in=ids).delete()
        demo.delete()
