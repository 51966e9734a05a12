"""Demo data: a generated standard-address register for the demo stations (a few thousand addresses,
more for the busy stations). Idempotent: an existing register is left as it is."""

import random

from qianwan.org.models import Station

from .generate import addresses_for, place_all
from .models import StandardAddress

PER_STATION = {"ADS": 1200, "CSS": 900, "SJC": 700, "BHS": 400, "XPS": 400}


def load() -> str:
    if StandardAddress.objects.exists():
        return f"{StandardAddress.objects.count()} standard addresses (kept)"
    rng = random.Random(2026)
    rows = []
    for station in Station.objects.filter(code__in=list(PER_STATION)).order_by("code"):
        rows.extend(addresses_for(station, PER_STATION[station.code], rng))
    place_all(rows)
    StandardAddress.objects.bulk_create(rows, batch_size=1000)
    return f"{len(rows)} standard addresses"


def reset() -> None:
    StandardAddress.objects.filter(code__startswith="330282").delete()
