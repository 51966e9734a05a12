"""Sealed rollups of the dispatch figures, so that a year or five of incidents read hundreds of rows.

A period is read as: sealed months that lie wholly inside it (``IncidentStat`` unit ``month``), sealed
days for the rest, and the raw incident rows of whatever is not sealed — usually only today.
Every part, sealed or raw, comes out of the same computation (``raw_parts``), so a sealed unit holds
exactly what its raw rows would give at the moment it was sealed: counts simply add, and arrival
fractiles come from the merged one-second histogram (nearest rank; never an average of percentiles).

Keeping the seals honest:

- ``touch(received_at)`` runs inside every service transaction that changes an incident's figures;
  for a unit that ended more than ``TOUCH_AFTER`` ago it clears the seal and bumps its version (the
  current day and month are never sealed, so ordinary intake touches nothing). A write that decided
  not to touch would have to stay open longer than ``SEAL_AFTER - TOUCH_AFTER`` for a seal to miss it.
- ``refresh()`` (beat, and ``gendata``) seals units that ended more than ``SEAL_AFTER`` ago. It reads
  the seal's version first, computes, and seals only if the version is unchanged — a write that
  commits in between leaves the unit unsealed for the next run. A unit with a stage still pending
  (before its deadline) is not sealed either.
- Bulk loaders that bypass the services (``incidents.generate``) call ``unseal_range``.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Least, TruncMonth
from django.utils import timezone

from qianwan.kpi import add_months, local_day_range, local_tz

from .choices import STAGE_FIELD, STAGES, Status
from .models import Incident, IncidentStat, IncidentStatSeal, SlaClock, StatUnit

SEAL_AFTER = timedelta(hours=3)
TOUCH_AFTER = timedelta(hours=1)
BUCKET_SECONDS = 10
LAST_BUCKET = 120  # 10-second buckets 0…1200 s; the last one holds everything from 1200 s on
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95}
# The order of IncidentStat.counts: changing it needs a migration that empties the stats and seals.
COUNT_KEYS = ["incidents", "diverted", "out_of_order", "with_arrival"] + [
    f"{stage}__{kind}" for stage in STAGES for kind in ("within", "late", "missing", "pending")
]
KEY = {key: i for i, key in enumerate(COUNT_KEYS)}
_I32 = np.dtype("<i4")


@dataclass
class Part:
    """The figures of one station × category (× local month, when asked) from one source."""

    month: tuple[int, int] | None
    station_id: int
    category: str
    counts: np.ndarray  # int64, in COUNT_KEYS order
    arrivals: np.ndarray  # shape (k, 2): seconds ascending, count
    buckets: np.ndarray | None  # shape (len(STAGES), LAST_BUCKET + 1)


# ---------------------------------------------------------------------------------------------------
# Raw rows → parts


def _aggregates() -> dict:
    not_diverted = ~Q(status=Status.DIVERTED)
    aggs = {
        "incidents": Count("id"),
        "diverted": Count("id", filter=Q(status=Status.DIVERTED)),
        "out_of_order": Count(
            "id", filter=Q(arrival_seconds__isnull=False, dispatch_seconds__gt=F("arrival_seconds"))
        ),
        "with_arrival": Count("id", filter=not_diverted & Q(arrival_seconds__isnull=False)),
    }
    for stage, prefix in STAGE_FIELD.items():
        aggs[f"{stage}__within"] = Count("id", filter=not_diverted & Q(**{f"{prefix}_met": True}))
        aggs[f"{stage}__late"] = Count(
            "id", filter=not_diverted & Q(**{f"{prefix}_met": False, f"{prefix}_seconds__isnull": False})
        )
        aggs[f"{stage}__missing"] = Count(
            "id", filter=not_diverted & Q(**{f"{prefix}_met": False, f"{prefix}_seconds__isnull": True})
        )
        # met not decided yet: pending, unless its clock is already overdue (then a miss; see below)
        aggs[f"{stage}__pending"] = Count("id", filter=not_diverted & Q(**{f"{prefix}_met__isnull": True}))
    return aggs


def _month_of(value) -> tuple[int, int]:
    if isinstance(value, datetime):
        value = timezone.localtime(value, local_tz()) if timezone.is_aware(value) else value
    return (value.year, value.month)


def open_overdue_clocks(now: datetime):
    """Open clocks past their deadline whose miss the timer has not recorded yet (at most seconds old
    while the workers run)."""
    return SlaClock.objects.filter(done_at__isnull=True, met__isnull=True, not_needed=False, deadline__lt=now)


def raw_parts(
    ranges: list[tuple[datetime, datetime]],
    *,
    station=None,
    now: datetime,
    by_month: bool = False,
    arrivals: bool = True,
    buckets: bool = False,
    only_incidents: bool = False,
) -> list[Part]:
    """Parts computed from the incident rows received in ``ranges`` ([start, end) pairs);
    ``only_incidents`` counts the incidents and nothing else."""
    if not ranges:
        return []
    where = Q()
    for start, end in ranges:
        where |= Q(received_at__gte=start, received_at__lt=end)
    qs = Incident.objects.filter(where)
    if station is not None:
        qs = qs.filter(station=station)
    keys = ["station_id", "category"]
    if by_month:
        qs = qs.annotate(month=TruncMonth("received_at", tzinfo=local_tz()))
        keys = ["month", *keys]

    def key_of(row) -> tuple:
        return (_month_of(row["month"]) if by_month else None, row["station_id"], row["category"])

    parts: dict[tuple, Part] = {}
    aggregates = {"incidents": Count("id")} if only_incidents else _aggregates()
    for row in qs.values(*keys).annotate(**aggregates).order_by():
        key = key_of(row)
        counts = np.zeros(len(COUNT_KEYS), np.int64)
        for name in aggregates:
            counts[KEY[name]] = row[name]
        parts[key] = Part(*key, counts=counts, arrivals=np.zeros((0, 2), _I32), buckets=None)
    if not parts or only_incidents:
        return list(parts.values())
    needed = qs.exclude(status=Status.DIVERTED)
    # a stage never done whose deadline has passed is a miss now, even before the timer records it
    clock_keys = [f"incident__{k}" if k != "month" else "month" for k in keys]
    clocks = open_overdue_clocks(now).filter(incident__in=needed.values("pk"))
    if by_month:
        clocks = clocks.annotate(month=TruncMonth("incident__received_at", tzinfo=local_tz()))
    for row in clocks.values(*clock_keys, "stage").annotate(n=Count("id")).order_by():
        key = (
            _month_of(row["month"]) if by_month else None,
            row["incident__station_id"],
            row["incident__category"],
        )
        counts = parts[key].counts
        counts[KEY[f"{row['stage']}__missing"]] += row["n"]
        counts[KEY[f"{row['stage']}__pending"]] -= row["n"]
    if arrivals:
        hist = defaultdict(list)
        rows = (
            needed.filter(arrival_seconds__isnull=False)
            .values(*keys, "arrival_seconds")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            hist[key_of(row)].append((row["arrival_seconds"], row["n"]))
        for key, pairs in hist.items():
            pairs.sort()
            parts[key].arrivals = np.array(pairs, dtype=np.int64).astype(_I32).reshape(-1, 2)
    if buckets:
        for part in parts.values():
            part.buckets = np.zeros((len(STAGES), LAST_BUCKET + 1), np.int64)
        for i, stage in enumerate(STAGES):
            field = f"{STAGE_FIELD[stage]}_seconds"
            rows = (
                needed.filter(**{f"{field}__isnull": False})
                .annotate(bucket=Least(F(field) / BUCKET_SECONDS, LAST_BUCKET))
                .values(*keys, "bucket")
                .annotate(n=Count("id"))
                .order_by()
            )
            for row in rows:
                parts[key_of(row)].buckets[i, max(0, int(row["bucket"]))] += row["n"]
    return list(parts.values())


# ---------------------------------------------------------------------------------------------------
# Reading a period: sealed parts + raw parts


def _days(date_from: date, date_to: date):
    day = date_from
    while day <= date_to:
        yield day
        day += timedelta(days=1)


def _month_last_day(year: int, month: int) -> date:
    y, m = add_months(year, month, 1)
    return date(y, m, 1) - timedelta(days=1)


def plan(date_from: date, date_to: date) -> tuple[list[date], list[date], list[tuple[date, date]]]:
    """Split local days ``date_from``..``date_to`` into sealed months, sealed days and raw day spans."""
    seals = IncidentStatSeal.objects.filter(
        sealed_at__isnull=False, start__gte=date_from.replace(day=1), start__lte=date_to
    ).values_list("unit", "start")
    sealed = {StatUnit.MONTH: set(), StatUnit.DAY: set()}
    for unit, start in seals:
        sealed[unit].add(start)
    months, days, raw = [], [], []
    year, month = date_from.year, date_from.month
    while date(year, month, 1) <= date_to:
        first, last = date(year, month, 1), _month_last_day(year, month)
        if first >= date_from and last <= date_to and first in sealed[StatUnit.MONTH]:
            months.append(first)
        else:
            for day in _days(max(first, date_from), min(last, date_to)):
                if day in sealed[StatUnit.DAY]:
                    days.append(day)
                elif raw and raw[-1][1] == day - timedelta(days=1):
                    raw[-1] = (raw[-1][0], day)
                else:
                    raw.append((day, day))
        year, month = add_months(year, month, 1)
    return months, days, raw


def _decode(blob, shape_cols: int) -> np.ndarray:
    return np.frombuffer(bytes(blob) if blob else b"", dtype=_I32).reshape(-1, shape_cols)


def parts_for(
    date_from: date,
    date_to: date,
    *,
    station=None,
    now: datetime,
    by_month: bool = False,
    arrivals: bool = True,
    buckets: bool = False,
    only_incidents: bool = False,
) -> list[Part]:
    """Every part of the local period: sealed rows where they exist, raw rows for the rest."""
    months, days, raw = plan(date_from, date_to)
    parts = []
    if months or days:
        qs = IncidentStat.objects.filter(
            Q(unit=StatUnit.MONTH, start__in=months) | Q(unit=StatUnit.DAY, start__in=days)
        )
        if station is not None:
            qs = qs.filter(station=station)
        fields = ["start", "station_id", "category", "counts"]
        fields += ["arrival_hist"] if arrivals and not only_incidents else []
        fields += ["stage_buckets"] if buckets else []
        for row in qs.values_list(*fields):
            row = dict(zip(fields, row, strict=True))
            parts.append(
                Part(
                    month=(row["start"].year, row["start"].month) if by_month else None,
                    station_id=row["station_id"],
                    category=row["category"],
                    counts=_decode(row["counts"], len(COUNT_KEYS))[0].astype(np.int64),
                    arrivals=_decode(row.get("arrival_hist"), 2),
                    buckets=_decode(row["stage_buckets"], LAST_BUCKET + 1) if buckets else None,
                )
            )
    ranges = [local_day_range(a, b) for a, b in raw]
    parts += raw_parts(
        ranges,
        station=station,
        now=now,
        by_month=by_month,
        arrivals=arrivals and not only_incidents,
        buckets=buckets,
        only_incidents=only_incidents,
    )
    return parts


# ---------------------------------------------------------------------------------------------------
# Combining parts


class Combined:
    """Parts merged once, then summed per group: counts add; arrival fractiles are the nearest rank
    over the merged one-second histogram — the value at position ⌈p·n⌉ of all the durations in
    order, the same rank PostgreSQL's ``percentile_disc`` takes."""

    DENSE_CELLS = 4_000_000  # above this many histogram cells, index only the seconds that occur

    def __init__(self, parts: list[Part]):
        self.parts = parts
        self.matrix = (
            np.stack([part.counts for part in parts]) if parts else np.zeros((0, len(COUNT_KEYS)), np.int64)
        )
        lengths = [len(part.arrivals) for part in parts]
        pairs = (
            np.concatenate([part.arrivals for part in parts]).astype(np.int64)
            if sum(lengths)
            else np.zeros((0, 2), np.int64)
        )
        self.seconds, self.n = pairs[:, 0], pairs[:, 1]
        self.owner = np.repeat(np.arange(len(parts)), lengths)

    def figures(self, labels: np.ndarray | None = None, groups: int = 1) -> list[tuple[dict, dict]]:
        """(counts, fractiles) for each group; ``labels`` gives each part's group 0…groups-1
        (None: one group of everything)."""
        if labels is None:
            labels = np.zeros(len(self.parts), np.int64)
        counts = np.zeros((groups, len(COUNT_KEYS)), np.int64)
        np.add.at(counts, labels, self.matrix)
        fractiles = self._fractiles(labels, groups)
        return [(dict(zip(COUNT_KEYS, counts[g].tolist(), strict=True)), fractiles[g]) for g in range(groups)]

    def _fractiles(self, labels: np.ndarray, groups: int) -> list[dict]:
        empty = dict.fromkeys(PERCENTILES)
        if not len(self.n):
            return [empty] * groups
        low, high = int(self.seconds.min()), int(self.seconds.max())
        if (high - low + 1) * groups <= self.DENSE_CELLS:
            values, index = np.arange(low, high + 1), self.seconds - low
        else:
            values, index = np.unique(self.seconds, return_inverse=True)
            index = index.ravel()
        width = len(values)
        cells = labels[self.owner] * width + index
        # exact: float64 holds whole counts far beyond any number of incidents
        hist = np.bincount(cells, weights=self.n, minlength=groups * width).reshape(groups, width)
        cumulative = np.cumsum(hist, axis=1)
        out = []
        for g in range(groups):
            total = int(cumulative[g, -1])
            if not total:
                out.append(empty)
                continue
            out.append(
                {
                    name: int(values[int(np.searchsorted(cumulative[g], max(1, math.ceil(p * total))))])
                    for name, p in PERCENTILES.items()
                }
            )
        return out


def sum_buckets(parts: list[Part]) -> np.ndarray:
    total = np.zeros((len(STAGES), LAST_BUCKET + 1), np.int64)
    for part in parts:
        if part.buckets is not None and part.buckets.size:
            total += part.buckets
    return total


# ---------------------------------------------------------------------------------------------------
# Sealing and unsealing


def _unit_range(unit: str, start: date) -> tuple[datetime, datetime]:
    last = start if unit == StatUnit.DAY else _month_last_day(start.year, start.month)
    return local_day_range(start, last)


def _invalidate(unit: str, start: date) -> None:
    bump = {"sealed_at": None, "version": F("version") + 1}
    if IncidentStatSeal.objects.filter(unit=unit, start=start).update(**bump):
        return
    try:
        with transaction.atomic():
            IncidentStatSeal.objects.create(unit=unit, start=start, version=1)
    except IntegrityError:  # a builder created it meanwhile
        IncidentStatSeal.objects.filter(unit=unit, start=start).update(**bump)


def touch(received_at: datetime, now: datetime | None = None) -> None:
    """An incident received at ``received_at`` changed: unseal its day and month if they may be sealed.
    Call inside the writer's transaction."""
    now = now or timezone.now()
    day = timezone.localtime(received_at, local_tz()).date()
    for unit, start in ((StatUnit.DAY, day), (StatUnit.MONTH, day.replace(day=1))):
        if _unit_range(unit, start)[1] <= now - TOUCH_AFTER:
            _invalidate(unit, start)


def unseal_range(start: datetime, end: datetime) -> int:
    """Unseal every day and month that overlaps [start, end) (after a bulk load)."""
    first = timezone.localtime(start, local_tz()).date()
    last = timezone.localtime(end, local_tz()).date()
    return (
        IncidentStatSeal.objects.filter(
            Q(unit=StatUnit.DAY, start__gte=first, start__lte=last)
            | Q(unit=StatUnit.MONTH, start__gte=first.replace(day=1), start__lte=last)
        )
        .filter(sealed_at__isnull=False)
        .update(sealed_at=None, version=F("version") + 1)
    )


def _month_from_days(start: date) -> list[Part] | None:
    """A month's parts as the sum of its sealed days (counts add, histograms merge), or None while a
    day of it is not sealed. Read after the month's version: a write in between fails the seal."""
    last = _month_last_day(start.year, start.month)
    days = IncidentStatSeal.objects.filter(
        unit=StatUnit.DAY, start__gte=start, start__lte=last, sealed_at__isnull=False
    )
    if days.count() != (last - start).days + 1:
        return None
    groups = defaultdict(list)
    rows = IncidentStat.objects.filter(unit=StatUnit.DAY, start__gte=start, start__lte=last).values_list(
        "station_id", "category", "counts", "arrival_hist", "stage_buckets"
    )
    for station_id, category, counts, hist, buckets in rows:
        groups[(station_id, category)].append(
            (_decode(counts, len(COUNT_KEYS))[0], _decode(hist, 2), _decode(buckets, LAST_BUCKET + 1))
        )
    parts = []
    for (station_id, category), members in groups.items():
        pairs = np.concatenate([hist for _c, hist, _b in members]).astype(np.int64)
        seconds, inverse = np.unique(pairs[:, 0], return_inverse=True)
        n = np.bincount(inverse.ravel(), weights=pairs[:, 1], minlength=len(seconds)).astype(np.int64)
        parts.append(
            Part(
                month=None,
                station_id=station_id,
                category=category,
                counts=sum(c.astype(np.int64) for c, _h, _b in members),
                arrivals=np.stack([seconds, n], axis=1),
                buckets=sum(b.astype(np.int64) for _c, _h, b in members),
            )
        )
    return parts


def seal(unit: str, start: date, now: datetime | None = None) -> bool:
    """Compute one unit from its raw rows and seal it, unless it changed meanwhile or is not settled."""
    now = now or timezone.now()
    if _unit_range(unit, start)[1] > now - SEAL_AFTER:
        return False
    record, _ = IncidentStatSeal.objects.get_or_create(unit=unit, start=start)
    if record.sealed_at is not None:
        return False
    version = record.version
    parts = _month_from_days(start) if unit == StatUnit.MONTH else None
    if parts is None:
        parts = raw_parts([_unit_range(unit, start)], now=now, buckets=True)
    if any(part.counts[KEY[f"{stage}__pending"]] for part in parts for stage in STAGES):
        return False  # a stage still before its deadline: not settled yet
    with transaction.atomic():
        sealed = IncidentStatSeal.objects.filter(pk=record.pk, version=version, sealed_at__isnull=True)
        if not sealed.update(sealed_at=now):
            return False
        IncidentStat.objects.filter(unit=unit, start=start).delete()
        IncidentStat.objects.bulk_create(
            [
                IncidentStat(
                    unit=unit,
                    start=start,
                    station_id=part.station_id,
                    category=part.category,
                    counts=part.counts.astype(_I32).tobytes(),
                    arrival_hist=part.arrivals.astype(_I32).tobytes(),
                    stage_buckets=part.buckets.astype(_I32).tobytes(),
                )
                for part in parts
            ]
        )
    return True


def refresh(now: datetime | None = None, limit: int | None = None) -> dict:
    """Seal every unsealed day and month that ended more than ``SEAL_AFTER`` ago (at most ``limit``
    units per call, oldest first). Safe to run twice at once: the seal's version decides."""
    now = now or timezone.now()
    first = Incident.objects.order_by("received_at").values_list("received_at", flat=True).first()
    sealed = {"day": 0, "month": 0, "skipped": 0}
    if first is None:
        return sealed
    first_day = timezone.localtime(first, local_tz()).date()
    last_day = timezone.localtime(now - SEAL_AFTER, local_tz()).date() - timedelta(days=1)
    done = set(
        IncidentStatSeal.objects.filter(sealed_at__isnull=False, start__gte=first_day.replace(day=1))
        .values_list("unit", "start")
        .order_by()
    )
    todo = []
    year, month = first_day.year, first_day.month
    while date(year, month, 1) <= last_day:
        start = date(year, month, 1)
        if _month_last_day(year, month) <= last_day and (StatUnit.MONTH, start) not in done:
            todo.append((StatUnit.MONTH, start))
        year, month = add_months(year, month, 1)
    todo += [(StatUnit.DAY, d) for d in _days(first_day, last_day) if (StatUnit.DAY, d) not in done]
    # oldest first, each month after its days (it is then merged from them, not read again)
    todo.sort(key=lambda unit: (_unit_range(*unit)[1], unit[0] == StatUnit.MONTH))
    for unit, start in todo[:limit] if limit else todo:
        if seal(unit, start, now):
            sealed[unit] += 1
        else:
            sealed["skipped"] += 1
    return sealed
