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
- Bulk loaders that bypass the services (``incidents.generate``, the demo reset) call
  ``unseal_range`` inside each chunk's transaction: it bumps the version of every day and month in
  range, sealed or not, and creates the seal rows that do not exist yet, so a builder that read a
  version before the chunk commits cannot seal without the chunk's rows (its version check fails or
  waits on the chunk's row locks), and an interrupted load leaves no stale seal behind.
- ``verify()`` (``manage.py sealstats --verify``, and a nightly sample from beat) recomputes sealed
  units from their raw rows and reports every one that differs; ``repair()`` reseals them.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import ExtractDay, TruncMonth
from django.utils import timezone

from qianwan.kpi import add_months, local_day_range, local_month_range, local_tz, month_last_day

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
class Parts:
    """Figures of station × category groups (× local month, when asked), column by column: row ``i``
    is one group from one source (a sealed day or month, or raw rows)."""

    month: np.ndarray  # int64 year * 12 + month - 1, or -1 when not split by month
    station_id: np.ndarray  # int64
    category: np.ndarray  # object (str)
    counts: np.ndarray  # int64 (rows, len(COUNT_KEYS))
    arrival_seconds: np.ndarray  # int64: the arrival histogram of all rows, one entry per (row, second)
    arrival_n: np.ndarray  # int64
    arrival_owner: np.ndarray  # int64: the row each entry belongs to
    buckets: np.ndarray | None  # int64 (rows, len(STAGES), LAST_BUCKET + 1)

    def __len__(self) -> int:
        return len(self.station_id)

    @classmethod
    def empty(cls, buckets: bool = False) -> "Parts":
        none = np.zeros(0, np.int64)
        return cls(
            month=none,
            station_id=none,
            category=np.zeros(0, object),
            counts=np.zeros((0, len(COUNT_KEYS)), np.int64),
            arrival_seconds=none,
            arrival_n=none,
            arrival_owner=none,
            buckets=np.zeros((0, len(STAGES), LAST_BUCKET + 1), np.int64) if buckets else None,
        )

    @classmethod
    def concat(cls, pieces: list["Parts"]) -> "Parts":
        pieces = [p for p in pieces if len(p)] or pieces[:1]
        offsets = np.cumsum([0] + [len(p) for p in pieces[:-1]])
        with_buckets = all(p.buckets is not None for p in pieces)
        return cls(
            month=np.concatenate([p.month for p in pieces]),
            station_id=np.concatenate([p.station_id for p in pieces]),
            category=np.concatenate([p.category for p in pieces]),
            counts=np.concatenate([p.counts for p in pieces]),
            arrival_seconds=np.concatenate([p.arrival_seconds for p in pieces]),
            arrival_n=np.concatenate([p.arrival_n for p in pieces]),
            arrival_owner=np.concatenate([p.arrival_owner + o for p, o in zip(pieces, offsets, strict=True)]),
            buckets=np.concatenate([p.buckets for p in pieces]) if with_buckets else None,
        )

    def arrivals_of(self, i: int) -> np.ndarray:
        """Row ``i``'s (seconds, count) pairs, seconds ascending."""
        mine = self.arrival_owner == i
        pairs = np.stack([self.arrival_seconds[mine], self.arrival_n[mine]], axis=1)
        return pairs[np.argsort(pairs[:, 0], kind="stable")]


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
    by_day: bool = False,
) -> Parts:
    """Parts computed from the incident rows received in ``ranges`` ([start, end) pairs);
    ``only_incidents`` counts the incidents and nothing else; ``by_day`` splits them by local day of
    the month (``Parts.month`` then holds the day of the month: ranges within one month; ``verify``)."""
    if not ranges:
        return Parts.empty(buckets)
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
    elif by_day:
        # an integer, not a date: no per-row conversion in Python (a month holds ~100k rows at 1M)
        qs = qs.annotate(month=ExtractDay("received_at", tzinfo=local_tz()))
        keys = ["month", *keys]

    def period_of(value):
        if by_month:
            return _month_of(value)
        return int(value) if by_day else None  # EXTRACT is numeric on PostgreSQL

    def key_of(row) -> tuple:
        return (period_of(row.get("month")), row["station_id"], row["category"])

    index: dict[tuple, int] = {}
    rows_counts = []
    aggregates = {"incidents": Count("id")} if only_incidents else _aggregates()
    for row in qs.values(*keys).annotate(**aggregates).order_by():
        index[key_of(row)] = len(rows_counts)
        counts = np.zeros(len(COUNT_KEYS), np.int64)
        for name in aggregates:
            counts[KEY[name]] = row[name]
        rows_counts.append(counts)
    if not index:
        return Parts.empty(buckets)
    keys_list = list(index)
    parts = Parts(
        month=np.array(
            [(k[0][0] * 12 + k[0][1] - 1) if by_month else (k[0] if by_day else -1) for k in keys_list],
            np.int64,
        ),
        station_id=np.array([k[1] for k in keys_list], np.int64),
        category=np.array([k[2] for k in keys_list], object),
        counts=np.stack(rows_counts),
        arrival_seconds=np.zeros(0, np.int64),
        arrival_n=np.zeros(0, np.int64),
        arrival_owner=np.zeros(0, np.int64),
        buckets=np.zeros((len(index), len(STAGES), LAST_BUCKET + 1), np.int64) if buckets else None,
    )
    if only_incidents:
        return parts
    needed = qs.exclude(status=Status.DIVERTED)
    # a stage never done whose deadline has passed is a miss now, even before the timer records it
    clock_keys = [f"incident__{k}" if k != "month" else "month" for k in keys]
    clocks = open_overdue_clocks(now).filter(incident__in=needed.values("pk"))
    if by_month:
        clocks = clocks.annotate(month=TruncMonth("incident__received_at", tzinfo=local_tz()))
    elif by_day:
        clocks = clocks.annotate(month=ExtractDay("incident__received_at", tzinfo=local_tz()))
    for row in clocks.values(*clock_keys, "stage").annotate(n=Count("id")).order_by():
        i = index[(period_of(row.get("month")), row["incident__station_id"], row["incident__category"])]
        parts.counts[i, KEY[f"{row['stage']}__missing"]] += row["n"]
        parts.counts[i, KEY[f"{row['stage']}__pending"]] -= row["n"]

    def owners(columns: dict) -> np.ndarray:
        period = columns.get("month")
        periods = (
            [period_of(v) for v in period] if period is not None else [None] * len(columns["station_id"])
        )
        return np.array(
            [index[k] for k in zip(periods, columns["station_id"], columns["category"], strict=True)],
            np.int64,
        )

    if buckets:
        # Sealing and ``verify`` read a day or a month of rows: one pass over them gives every stage's
        # buckets and the arrival histogram. Grouping in SQL by (group, stage, bucket) — and by the
        # second for arrivals — cost three times the scan; the rows' few integer columns, fetched
        # once and counted here, cost little more than the scan.
        fields = [f"{STAGE_FIELD[stage]}_seconds" for stage in STAGES]
        columns = _columns(needed.values(*keys, *fields).order_by())
        owner = owners(columns) if columns["station_id"] else np.zeros(0, np.int64)
        for i, field in enumerate(fields):
            seconds = np.array(columns[field], np.float64)  # NULL → nan: the stage was never recorded
            done = ~np.isnan(seconds)
            # the duration's BUCKET_SECONDS bucket, 0 (a negative duration too) up to LAST_BUCKET
            bucket = np.clip(seconds[done] // BUCKET_SECONDS, 0, LAST_BUCKET).astype(np.int64)
            np.add.at(parts.buckets, (owner[done], i, bucket), 1)
        if arrivals:
            seconds = np.array(columns["arrival_seconds"], np.float64)
            done = ~np.isnan(seconds)
            pairs = np.stack([owner[done], seconds[done].astype(np.int64)], axis=1)
            pairs, n = np.unique(pairs.reshape(-1, 2), axis=0, return_counts=True)
            parts.arrival_owner, parts.arrival_seconds = pairs[:, 0], pairs[:, 1]
            parts.arrival_n = n.astype(np.int64)
        return parts
    if arrivals:
        columns = _columns(
            needed.filter(arrival_seconds__isnull=False)
            .values(*keys, "arrival_seconds")
            .annotate(n=Count("id"))
            .order_by()
        )
        parts.arrival_owner = owners(columns) if columns["n"] else np.zeros(0, np.int64)
        parts.arrival_seconds = np.array(columns["arrival_seconds"], np.int64)
        parts.arrival_n = np.array(columns["n"], np.int64)
    return parts


def _columns(qs) -> dict[str, list]:
    """A grouped ``values()`` query as columns, straight from the cursor: the histogram queries
    return a row per (group, second), and Django's per-row conversion cost more than the query."""
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    # the SELECT's own order (values() fields and annotations interleave as the query builds them)
    names = [alias or expr.target.attname for expr, _sql, alias in compiler.select]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


# ---------------------------------------------------------------------------------------------------
# Reading a period: sealed parts + raw parts


def _days(date_from: date, date_to: date):
    day = date_from
    while day <= date_to:
        yield day
        day += timedelta(days=1)


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
        first, last = date(year, month, 1), month_last_day(year, month)
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


def _sealed_parts(qs, *, by_month: bool, arrivals: bool, buckets: bool) -> Parts:
    """Sealed ``IncidentStat`` rows as Parts: every blob column joined and decoded once."""
    fields = ["start", "station_id", "category", "counts"]
    fields += ["arrival_hist"] if arrivals else []
    fields += ["stage_buckets"] if buckets else []
    rows = list(qs.values_list(*fields))
    if not rows:
        return Parts.empty(buckets)
    columns = dict(zip(fields, zip(*rows, strict=True), strict=True))
    n = len(rows)
    starts = columns["start"]
    parts = Parts(
        month=np.array([d.year * 12 + d.month - 1 for d in starts], np.int64)
        if by_month
        else np.full(n, -1, np.int64),
        station_id=np.array(columns["station_id"], np.int64),
        category=np.array(columns["category"], object),
        counts=_decode(b"".join(map(bytes, columns["counts"])), len(COUNT_KEYS)).astype(np.int64),
        arrival_seconds=np.zeros(0, np.int64),
        arrival_n=np.zeros(0, np.int64),
        arrival_owner=np.zeros(0, np.int64),
        buckets=None,
    )
    if arrivals:
        blobs = [bytes(b) for b in columns["arrival_hist"]]
        pairs = _decode(b"".join(blobs), 2).astype(np.int64)
        parts.arrival_seconds, parts.arrival_n = pairs[:, 0], pairs[:, 1]
        parts.arrival_owner = np.repeat(np.arange(n), [len(b) // 8 for b in blobs])
    if buckets:
        parts.buckets = (
            _decode(b"".join(map(bytes, columns["stage_buckets"])), LAST_BUCKET + 1)
            .astype(np.int64)
            .reshape(n, len(STAGES), LAST_BUCKET + 1)
        )
    return parts


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
) -> Parts:
    """Every part of the local period: sealed rows where they exist, raw rows for the rest."""
    months, days, raw = plan(date_from, date_to)
    arrivals = arrivals and not only_incidents
    pieces = []
    if months or days:
        qs = IncidentStat.objects.filter(
            Q(unit=StatUnit.MONTH, start__in=months) | Q(unit=StatUnit.DAY, start__in=days)
        )
        if station is not None:
            qs = qs.filter(station=station)
        pieces.append(_sealed_parts(qs, by_month=by_month, arrivals=arrivals, buckets=buckets))
    ranges = [local_day_range(a, b) for a, b in raw]
    pieces.append(
        raw_parts(
            ranges,
            station=station,
            now=now,
            by_month=by_month,
            arrivals=arrivals,
            buckets=buckets,
            only_incidents=only_incidents,
        )
    )
    return Parts.concat(pieces)


# ---------------------------------------------------------------------------------------------------
# Combining parts


class Combined:
    """Parts merged once, then summed per group: counts add; arrival fractiles are the nearest rank
    over the merged one-second histogram — the value at position ⌈p·n⌉ of all the durations in
    order, the same rank PostgreSQL's ``percentile_disc`` takes."""

    DENSE_CELLS = 4_000_000  # above this many histogram cells, index only the seconds that occur

    def __init__(self, parts: Parts):
        self.parts = parts
        self.matrix = parts.counts
        self.seconds, self.n, self.owner = parts.arrival_seconds, parts.arrival_n, parts.arrival_owner

    def figures(self, labels: np.ndarray | None = None, groups: int = 1) -> list[tuple[dict, dict]]:
        """(counts, fractiles) for each group; ``labels`` gives each part's group 0…groups-1
        (None: one group of everything)."""
        if labels is None:
            labels = np.zeros(len(self.parts), np.int64)
        counts = np.zeros((groups, len(COUNT_KEYS)), np.int64)
        np.add.at(counts, labels, self.matrix)
        fractiles = self._fractiles(labels, groups)
        return [(dict(zip(COUNT_KEYS, counts[g].tolist(), strict=True)), fractiles[g]) for g in range(groups)]

    def by(self, keys: np.ndarray) -> list[tuple[object, dict, dict]]:
        """(key, counts, fractiles) for each distinct value of ``keys`` (one per part), keys ascending."""
        values, labels = np.unique(keys, return_inverse=True)
        figures = self.figures(labels.ravel(), len(values))
        return [(key, counts, pct) for key, (counts, pct) in zip(values.tolist(), figures, strict=True)]

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


def sum_buckets(parts: Parts) -> np.ndarray:
    if parts.buckets is None or not len(parts):
        return np.zeros((len(STAGES), LAST_BUCKET + 1), np.int64)
    return parts.buckets.sum(axis=0)


# ---------------------------------------------------------------------------------------------------
# Sealing and unsealing


def _unit_range(unit: str, start: date) -> tuple[datetime, datetime]:
    last = start if unit == StatUnit.DAY else month_last_day(start.year, start.month)
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
    """Unseal every day and month that overlaps [start, end) and bump its version, sealed or not
    (a seal row is created where none exists yet). Call inside the writer's transaction: until it
    commits, the rows stay locked and a concurrent ``seal`` of those units cannot succeed."""
    first = timezone.localtime(start, local_tz()).date()
    last = timezone.localtime(end - timedelta(microseconds=1), local_tz()).date() if end > start else first
    units = [(StatUnit.DAY, d) for d in _days(first, last)]
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        units.append((StatUnit.MONTH, date(year, month, 1)))
        year, month = add_months(year, month, 1)
    table = IncidentStatSeal._meta.db_table
    placeholders = ", ".join(["(%s, %s, 1, NULL)"] * len(units))
    params = [v for unit, day in units for v in (str(unit), day)]
    # one statement, in (unit, start) order, so two loaders lock the rows in the same order
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (unit, start, version, sealed_at) VALUES {placeholders} "  # noqa: S608
            f"ON CONFLICT (unit, start) DO UPDATE SET version = {table}.version + 1, sealed_at = NULL",
            params,
        )
    return len(units)


def unseal_incidents(qs) -> int:
    """Unseal the days and months of the incidents in ``qs`` (before deleting or rewriting them in
    bulk, in the same transaction)."""
    span = qs.order_by().aggregate(first=Min("received_at"), last=Max("received_at"))
    if span["first"] is None:
        return 0
    return unseal_range(span["first"], span["last"] + timedelta(microseconds=1))


def _month_from_days(start: date) -> Parts | None:
    """A month's parts as the sum of its sealed days (counts add, histograms merge), or None while a
    day of it is not sealed. Read after the month's version: a write in between fails the seal."""
    last = month_last_day(start.year, start.month)
    days = IncidentStatSeal.objects.filter(
        unit=StatUnit.DAY, start__gte=start, start__lte=last, sealed_at__isnull=False
    )
    if days.count() != (last - start).days + 1:
        return None
    qs = IncidentStat.objects.filter(unit=StatUnit.DAY, start__gte=start, start__lte=last)
    daily = _sealed_parts(qs, by_month=False, arrivals=True, buckets=True)
    if not len(daily):
        return Parts.empty(buckets=True)
    groups = sorted({(int(a), str(b)) for a, b in zip(daily.station_id, daily.category, strict=True)})
    index = {key: i for i, key in enumerate(groups)}
    label = np.array([index[(int(a), str(b))] for a, b in zip(daily.station_id, daily.category, strict=True)])
    counts = np.zeros((len(groups), len(COUNT_KEYS)), np.int64)
    np.add.at(counts, label, daily.counts)
    buckets = np.zeros((len(groups), len(STAGES), LAST_BUCKET + 1), np.int64)
    np.add.at(buckets, label, daily.buckets)
    # one entry per (group, second): identical seconds of a group's days merge
    keys = np.stack([label[daily.arrival_owner], daily.arrival_seconds], axis=1)
    merged, inverse = np.unique(keys, axis=0, return_inverse=True)
    n = np.bincount(inverse.ravel(), weights=daily.arrival_n, minlength=len(merged)).astype(np.int64)
    return Parts(
        month=np.full(len(groups), -1, np.int64),
        station_id=np.array([g[0] for g in groups], np.int64),
        category=np.array([g[1] for g in groups], object),
        counts=counts,
        arrival_seconds=merged[:, 1].astype(np.int64),
        arrival_n=n,
        arrival_owner=merged[:, 0].astype(np.int64),
        buckets=buckets,
    )


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
    if parts.counts[:, [KEY[f"{stage}__pending"] for stage in STAGES]].any():
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
                    station_id=int(parts.station_id[i]),
                    category=str(parts.category[i]),
                    counts=parts.counts[i].astype(_I32).tobytes(),
                    arrival_hist=parts.arrivals_of(i).astype(_I32).tobytes(),
                    stage_buckets=parts.buckets[i].astype(_I32).tobytes(),
                )
                for i in range(len(parts))
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
        if month_last_day(year, month) <= last_day and (StatUnit.MONTH, start) not in done:
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


# ---------------------------------------------------------------------------------------------------
# Verifying seals against the raw rows


def _canonical(parts: Parts, unit_of_row: np.ndarray, group_of_row: np.ndarray) -> dict:
    """Per unit, its figures in one canonical form (sorted by group, then second): counts and stage
    buckets summed per group, the arrival histogram summed per (group, second). Vectorised: a month of
    a million-incident year is ~100k histogram entries."""
    if not len(parts):
        return {}
    groups = int(group_of_row.max()) + 1
    key = unit_of_row.astype(np.int64) * groups + group_of_row
    keys, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.zeros((len(keys), parts.counts.shape[1]), np.int64)
    np.add.at(counts, inverse, parts.counts)
    buckets = None
    if parts.buckets is not None:
        buckets = np.zeros((len(keys), *parts.buckets.shape[1:]), np.int64)
        np.add.at(buckets, inverse, parts.buckets)
    owner = parts.arrival_owner
    entries = (
        np.stack([key[owner], parts.arrival_seconds], axis=1) if len(owner) else np.zeros((0, 2), np.int64)
    )
    merged, where = np.unique(entries, axis=0, return_inverse=True)
    n = np.bincount(where.ravel(), weights=parts.arrival_n, minlength=len(merged)).astype(np.int64)
    out = {}
    unit_of_key = keys // groups
    unit_of_entry = merged[:, 0] // groups if len(merged) else np.zeros(0, np.int64)
    for unit in np.unique(unit_of_key).tolist():
        rows = unit_of_key == unit
        mine = unit_of_entry == unit
        out[unit] = (
            keys[rows] % groups,
            counts[rows],
            buckets[rows] if buckets is not None else None,
            np.column_stack([merged[mine, 0] % groups, merged[mine, 1], n[mine]]),
        )
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in zip(a, b, strict=True)
    )


def _incidents_in(figures) -> int:
    return int(figures[1][:, KEY["incidents"]].sum()) if figures is not None else 0


def verify(
    *, since: date | None = None, units: list[tuple[str, date]] | None = None, now: datetime | None = None
) -> list[dict]:
    """Recompute every sealed unit (from ``since``, or only ``units``) from its raw rows and return
    those whose stored figures differ: ``[{"unit", "start", "sealed", "raw"}]`` (incident counts).

    Month by month: one set of grouped queries per month gives every day of it (and the month as the
    sum of its raw days), compared with the sealed rows decoded once."""
    now = now or timezone.now()
    seals = IncidentStatSeal.objects.filter(sealed_at__isnull=False)
    if since is not None:
        seals = seals.filter(start__gte=since.replace(day=1))
    wanted = set(units) if units is not None else None
    sealed_units = [
        (unit, start)
        for unit, start in seals.order_by("start", "unit").values_list("unit", "start")
        if (since is None or unit == StatUnit.MONTH or start >= since)
        and (wanted is None or (unit, start) in wanted)
    ]
    by_month: dict[tuple[int, int], list[tuple[str, date]]] = {}
    for unit, start in sealed_units:
        by_month.setdefault((start.year, start.month), []).append((unit, start))
    mismatches = []
    for (year, month), month_units in sorted(by_month.items()):
        raw = raw_parts([local_month_range(year, month)], now=now, buckets=True, by_day=True)
        stored_qs = IncidentStat.objects.filter(
            Q(unit=StatUnit.MONTH, start=date(year, month, 1))
            | Q(unit=StatUnit.DAY, start__in=[s for u, s in month_units if u == StatUnit.DAY])
        ).order_by("pk")
        stored = _sealed_parts(stored_qs, by_month=False, arrivals=True, buckets=True)
        stored_unit = np.array(
            [0 if u == StatUnit.MONTH else d.day for u, d in stored_qs.values_list("unit", "start")], np.int64
        )
        # one group numbering for both sides: (station, category) pairs
        pairs = sorted(
            {(int(a), str(b)) for a, b in zip(raw.station_id, raw.category, strict=True)}
            | {(int(a), str(b)) for a, b in zip(stored.station_id, stored.category, strict=True)}
        )
        index = {pair: i for i, pair in enumerate(pairs)}

        raw_groups, stored_groups = (
            np.array(
                [index[(int(a), str(b))] for a, b in zip(p.station_id, p.category, strict=True)], np.int64
            )
            for p in (raw, stored)
        )
        raw_days = _canonical(raw, raw.month, raw_groups)
        raw_month = _canonical(raw, np.zeros(len(raw), np.int64), raw_groups)
        sealed = _canonical(stored, stored_unit, stored_groups)
        for unit, start in month_units:
            at = 0 if unit == StatUnit.MONTH else start.day
            expected = (raw_month if unit == StatUnit.MONTH else raw_days).get(at)
            got = sealed.get(at)
            if not _same(expected, got):
                mismatches.append(
                    {
                        "unit": str(unit),
                        "start": start,
                        "sealed": _incidents_in(got),
                        "raw": _incidents_in(expected),
                    }
                )
    return mismatches


def repair(mismatches: list[dict], now: datetime | None = None) -> int:
    """Unseal and reseal the given units (days before their months, which merge from them)."""
    now = now or timezone.now()
    ordered = sorted(mismatches, key=lambda m: (m["unit"] == StatUnit.MONTH, m["start"]))
    with transaction.atomic():
        for m in ordered:
            _invalidate(m["unit"], m["start"])
    return sum(seal(m["unit"], m["start"], now) for m in ordered)
