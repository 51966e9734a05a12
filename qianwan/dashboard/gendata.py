"""District-scale synthetic records for the other mechanisms, proportional to the incidents, for the
benchmark (``manage.py gendata_district``). The incidents themselves come from ``incidents.generate``.

Proportions per incident, calibrated on the report's yearly figures at ~200,000 incidents a year:
4,560 dispute cases (2.3%), 650 hazards, road accidents, patrols, enterprise services and fraud
victims. Every record is written with ``bulk_create`` (rows only, no services: no notifications,
no audit, no timers — this is history, not activity), numbered with a run tag so that runs add up.
"""

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

PER_INCIDENT = {
    "disputes": 0.0228,
    "hazards": 0.0033,
    "accidents": 0.02,
    "patrols": 0.03,
    "service_requests": 0.0015,
    "visits": 0.0012,
    "victims": 0.001,
}
BATCH = 5000


def _times(rng, n: int, start: datetime, end: datetime, decline: float = 0.06) -> list[datetime]:
    """``n`` instants in [start, end), thinning by ``decline`` a year (so year-over-year falls)."""
    span = (end - start).total_seconds()
    years = span / (365.25 * 86400)
    # inverse-CDF sampling of an exponential density exp(-k t) on [0, years]
    k = -np.log(1 - decline) if decline else 0.0
    u = rng.random(n)
    t = -np.log(1 - u * (1 - np.exp(-k * years))) / k if k else u * years
    seconds = np.sort(t * 365.25 * 86400)
    base = start.timestamp()
    return [datetime.fromtimestamp(base + s, tz=timezone.get_current_timezone()) for s in seconds]


def _users():
    from qianwan.org.models import User

    a, _ = User.objects.get_or_create(username="gendata-a", defaults={"role": "admin"})
    b, _ = User.objects.get_or_create(username="gendata-b", defaults={"role": "admin"})
    return a, b


def _bulk(model, rows: list, progress: Callable[[str, int], None] | None, label: str) -> int:
    for i in range(0, len(rows), BATCH):
        with transaction.atomic():
            model.objects.bulk_create(rows[i : i + BATCH], batch_size=BATCH)
    if progress:
        progress(label, len(rows))
    return len(rows)


def disputes(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from disputes.choices import CHANNEL_FOR_LEVEL, Category, FollowupOutcome, RiskLevel, Status
    from disputes.models import Dispute, Followup

    user_a, _ = _users()
    cats = list(Category.values)
    levels = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]
    now = timezone.now()
    rows = []
    for i, at in enumerate(_times(rng, n, start, end)):
        level = levels[rng.choice(3, p=[0.6, 0.3, 0.1])]
        handled = at + timedelta(days=float(rng.gamma(2, 3)))
        status = Status.HANDLED if handled < now else Status.IN_PROGRESS
        pushed = at + timedelta(days=1) if rng.random() < 0.04 else None
        rows.append(
            Dispute(
                number=f"{tag}D{i:07d}",
                station_id=stations[rng.integers(len(stations))],
                category=cats[rng.integers(len(cats))],
                risk_level=level,
                channel=CHANNEL_FOR_LEVEL[level],
                status=status,
                summary="纠纷（基准数据）",
                occurred_at=at,
                handled_at=handled if status == Status.HANDLED else None,
                pushed_at=pushed if pushed and pushed < now else None,
                followup_until=(handled + timedelta(days=90)).date() if status == Status.HANDLED else None,
                created_by=user_a,
            )
        )
    _bulk(Dispute, rows, progress, "disputes")
    created = Dispute.objects.filter(number__startswith=f"{tag}D").values_list("id", "handled_at")
    followups = []
    for dispute_id, handled in created:
        if handled is None:
            continue
        for month in range(3):
            visits = 2 if rng.random() < 0.85 else int(rng.integers(0, 2))
            for v in range(visits):
                at = handled + timedelta(days=30 * month + 5 + 12 * v + float(rng.random() * 5))
                if at < now:
                    followups.append(
                        Followup(dispute_id=dispute_id, at=at, outcome=FollowupOutcome.values[0], by=user_a)
                    )
    _bulk(Followup, followups, progress, "followups")
    return len(rows)


def hazards(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from risks.choices import HazardCategory, HazardLevel, HazardStatus
    from risks.models import Hazard

    user_a, user_b = _users()
    now = timezone.now()
    cats, levels = list(HazardCategory.values), list(HazardLevel.values)
    rows = []
    for i, found in enumerate(_times(rng, n, start, end, decline=0.0)):
        rectify_by = found + timedelta(days=int(rng.integers(7, 45)))
        done = found + timedelta(days=float(rng.gamma(2, 8)))
        roll = rng.random()
        status = HazardStatus.OPEN
        rectified_at = closed_at = None
        if done < now and roll < 0.8:
            status, rectified_at, closed_at = HazardStatus.CLOSED, done, done + timedelta(days=2)
            if closed_at > now:
                status, closed_at = HazardStatus.RECTIFIED, None
        elif done < now and roll < 0.88:
            status, rectified_at = HazardStatus.RECTIFIED, done
        rows.append(
            Hazard(
                number=f"{tag}H{i:07d}",
                title="隐患（基准数据）",
                category=cats[rng.integers(len(cats))],
                level=levels[rng.choice(4, p=[0.5, 0.3, 0.15, 0.05])],
                station_id=stations[rng.integers(len(stations))],
                found_at=found,
                rectify_by=rectify_by,
                status=status,
                recorded_by=user_a,
                rectified_at=rectified_at,
                rectified_by=user_a if rectified_at else None,
                closed_at=closed_at,
                closed_by=user_b if closed_at else None,
            )
        )
    return _bulk(Hazard, rows, progress, "hazards")


def accidents(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from qianwan.org.models import Station
    from traffic.models import Accident

    coords = dict(Station.objects.values_list("id", "lat"))
    lons = dict(Station.objects.values_list("id", "lon"))
    causes = ["speeding", "drunk_driving", "wrong_way", "failure_to_yield", "distraction", "lane_change"]
    rows = []
    for i, at in enumerate(_times(rng, n, start, end, decline=0.1)):
        kind = ["property", "injury", "death"][rng.choice(3, p=[0.85, 0.135, 0.015])]
        station = stations[rng.integers(len(stations))]
        rows.append(
            Accident(
                number=f"{tag}A{i:07d}",
                occurred_at=at,
                address="滨海二路（基准数据）",
                road="滨海二路",
                station_id=station,
                lat=(coords.get(station) or 30.3) + float(rng.normal(0, 0.01)),
                lon=(lons.get(station) or 121.2) + float(rng.normal(0, 0.01)),
                type=kind,
                vehicles=int(rng.integers(1, 4)),
                injured=int(rng.integers(1, 3)) if kind != "property" else 0,
                deaths=1 if kind == "death" else 0,
                cause=causes[rng.integers(len(causes))],
                handled_by="station" if kind == "property" else "brigade",
                status="closed",
                closed_at=at + timedelta(days=3),
            )
        )
    return _bulk(Accident, rows, progress, "accidents")


def patrols(rng, n: int, start, end, tag: str, progress=None) -> int:
    from traffic.models import Patrol, Team

    teams = list(Team.objects.filter(home_zone__isnull=False).values_list("id", "home_zone_id"))
    if not teams:
        return 0
    kinds = ["routine", "racing", "wrong_way"]
    rows = []
    for at in _times(rng, n, start, end, decline=0.0):
        team, zone = teams[rng.integers(len(teams))]
        rows.append(
            Patrol(
                team_id=team,
                zone_id=zone,
                kind=kinds[rng.choice(3, p=[0.9, 0.05, 0.05])],
                started_at=at,
                ended_at=at + timedelta(hours=2),
                officers=int(rng.integers(2, 5)),
            )
        )
    return _bulk(Patrol, rows, progress, "patrols")


def services(rng, n_requests: int, n_visits: int, start, end, tag: str, progress=None) -> int:
    from enterprises.models import Enterprise, ServiceRequest, ServiceType, ServiceVisit

    enterprises = list(Enterprise.objects.values_list("id", "station_id"))
    types = list(ServiceType.objects.values_list("id", flat=True))
    if not enterprises or not types:
        return 0
    user_a, _ = _users()
    now = timezone.now()
    requests = []
    for at in _times(rng, n_requests, start, end, decline=0.0):
        ent, st = enterprises[rng.integers(len(enterprises))]
        visit = at + timedelta(days=float(rng.gamma(2, 1.5)))
        feedback = visit + timedelta(days=2)
        done = feedback < now
        requests.append(
            ServiceRequest(
                enterprise_id=ent,
                station_id=st,
                service_type_id=types[rng.integers(len(types))],
                channel="officer",
                requested_by=user_a,
                feedback_by=user_a if done else None,
                status="closed" if done else "assigned",
                requested_at=at,
                first_visit_at=visit if done else None,
                satisfied=bool(rng.random() < 0.986) if done else None,
                score=int(rng.integers(4, 6)) if done else None,
                feedback_at=feedback if done else None,
            )
        )
    _bulk(ServiceRequest, requests, progress, "service requests")
    visits = []
    for at in _times(rng, n_visits, start, end, decline=0.0):
        ent, st = enterprises[rng.integers(len(enterprises))]
        visits.append(
            ServiceVisit(
                enterprise_id=ent,
                station_id=st,
                service_type_id=types[rng.integers(len(types))],
                kind="visit",
                visited_at=at,
                summary="走访（基准数据）",
                created_by=user_a,
            )
        )
    return len(requests) + _bulk(ServiceVisit, visits, progress, "visits")


def victims(rng, n: int, start, end, tag: str, progress=None) -> int:
    from antifraud.models import Victim
    from enterprises.models import Enterprise

    enterprises = list(Enterprise.objects.values_list("id", flat=True))
    if not enterprises:
        return 0
    kinds = ["brushing", "investment", "loan", "impersonate_official"]
    rows = [
        Victim(
            enterprise_id=enterprises[rng.integers(len(enterprises))],
            name="员工",
            occurred_on=timezone.localtime(at).date(),
            fraud_type=kinds[rng.integers(len(kinds))],
            amount_lost=Decimal(int(rng.integers(500, 50000))),
        )
        for at in _times(rng, n, start, end, decline=0.3)
    ]
    return _bulk(Victim, rows, progress, "victims")


def generate_district(
    *, incidents: int, start: datetime, end: datetime, seed: int = 2026, progress=None
) -> dict[str, int]:
    """The other apps' records in proportion to ``incidents`` over [start, end)."""
    from qianwan.org.models import Station

    rng = np.random.default_rng(seed + 1)
    stations = list(Station.objects.filter(is_active=True).values_list("id", flat=True))
    if not stations:
        raise RuntimeError("no active stations: run manage.py loaddemo first")
    tag = f"G{int(time.time()) % 100000:05d}"
    n = {k: max(1, round(v * incidents)) for k, v in PER_INCIDENT.items()}
    counts = {
        "disputes": disputes(rng, n["disputes"], start, end, stations, tag, progress),
        "hazards": hazards(rng, n["hazards"], start, end, stations, tag, progress),
        "accidents": accidents(rng, n["accidents"], start, end, stations, tag, progress),
        "patrols": patrols(rng, n["patrols"], start, end, tag, progress),
        "services": services(rng, n["service_requests"], n["visits"], start, end, tag, progress),
        "victims": victims(rng, n["victims"], start, end, tag, progress),
    }
    if connection.vendor == "postgresql":
        from antifraud.models import Victim
        from disputes.models import Dispute, Followup
        from enterprises.models import ServiceRequest, ServiceVisit
        from incidents.models import Incident
        from risks.models import Hazard
        from traffic.models import Accident, Patrol

        # VACUUM sets the visibility map after the bulk load, so that covering indexes give index-only
        # scans straight away (autovacuum would get there later); it cannot run inside a transaction
        models = (Incident, Dispute, Followup, Hazard, Accident, Patrol, ServiceRequest, ServiceVisit, Victim)
        with connection.cursor() as cursor:
            for model in models:
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{verb} {model._meta.db_table}")
    return counts
