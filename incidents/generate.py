"""Realistic synthetic incidents with their clocks and timeline, for the demo and the benchmark.

Distributions (per incident, seconds from receipt): dispatch ~ lognormal(median 32 s), video supervision
~ dispatch + lognormal(median 45 s), leader notified ~ lognormal(median 110 s), arrival ~ lognormal
(median 312 s, σ 0.45) — calibrated so that about 83% of arrivals are within 8 minutes, the report's
82.9%. Calls follow the hours of a day (quiet 02–06, busy 09–11 and 15–22); about 6% are non-police calls
diverted to 12345; about 1% are closed without anyone arriving (caller cancelled).

Generation is vectorised with numpy; on PostgreSQL the rows go in with COPY, elsewhere bulk_create.
"""

import io
import json
import time
from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from qianwan.org.models import User

from . import rollup
from .choices import DEFAULT_LIMITS, STAGE_EVENT, STAGES, Category, EventKind, Status
from .models import Incident, IncidentEvent, IncidentStatSeal, SlaClock, SlaPolicy

CATEGORY_WEIGHTS = {
    Category.PUBLIC_ORDER: 0.24,
    Category.DISPUTE: 0.25,
    Category.TRAFFIC: 0.18,
    Category.HELP: 0.12,
    Category.FRAUD: 0.06,
    Category.CRIMINAL: 0.06,
    Category.NON_POLICE: 0.06,
    Category.OTHER: 0.03,
}
# relative call volume per local hour 00..23
HOUR_WEIGHTS = np.array(
    [3, 2, 1.5, 1, 1, 1.2, 2, 3.5, 5, 6, 6.5, 6, 5, 5, 5.5, 6, 6, 6.5, 7, 7.5, 7.5, 6.5, 5, 4], dtype=float
)
ROADS = [
    "兴业路",
    "滨海二路",
    "崇寿大道",
    "新浦路",
    "滨海四路",
    "四灶浦路",
    "杭州湾大道",
    "海川大道",
    "金源大道",
]
DESCRIPTIONS = {
    Category.PUBLIC_ORDER: ["酒后滋事", "有人在店门口打架", "噪音扰民", "可疑人员徘徊"],
    Category.DISPUTE: ["邻里纠纷", "劳资纠纷，讨要工资", "家庭纠纷", "租房押金纠纷"],
    Category.TRAFFIC: ["两车刮擦", "电动车与行人相撞", "货车占道", "路口事故有人受伤"],
    Category.HELP: ["老人走失", "钥匙锁在车内", "儿童走失", "醉酒人员倒地"],
    Category.FRAUD: ["网络刷单被骗", "冒充客服退款诈骗", "虚假投资理财"],
    Category.CRIMINAL: ["电动车被盗", "入室盗窃", "手机被抢"],
    Category.NON_POLICE: ["路灯损坏", "小区停水", "噪声投诉（工地）", "占道经营"],
    Category.OTHER: ["其他求助"],
}
OPEN_DIVERSION_TARGET = "12345"


def _lognormal(rng, median: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, n)


class Batch:
    """One chunk of generated incidents as column arrays (seconds from receipt; NaN = not done)."""

    def __init__(self, *, rng, n: int, start: datetime, end: datetime, stations: list, prefix: str):
        self.n = n
        span_days = max(1, int((end - start).total_seconds() // 86400))
        local_start = timezone.localtime(start).replace(hour=0, minute=0, second=0, microsecond=0)
        day = rng.integers(0, span_days, n)
        hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        second = rng.integers(0, 3600, n)
        epoch0 = local_start.timestamp()
        received = epoch0 + day * 86400.0 + hour * 3600.0 + second
        received = np.minimum(received, end.timestamp() - 3600)  # nothing in the last hour: all settled
        self.received = np.floor(received)
        weights = np.array([s["weight"] for s in stations], dtype=float)
        self.station_idx = rng.choice(len(stations), n, p=weights / weights.sum())
        cats = list(CATEGORY_WEIGHTS)
        cat_p = np.array(list(CATEGORY_WEIGHTS.values()))
        self.category_idx = rng.choice(len(cats), n, p=cat_p / cat_p.sum())
        self.categories = np.array([c.value for c in cats], dtype=object)[self.category_idx]
        diverted = self.categories == Category.NON_POLICE.value
        cancelled = (~diverted) & (rng.random(n) < 0.012)
        dispatch = np.maximum(5, _lognormal(rng, 32, 0.45, n))
        video = dispatch + _lognormal(rng, 45, 0.5, n)
        leader = np.maximum(15, _lognormal(rng, 110, 0.45, n))
        arrival = np.maximum(dispatch + 20, _lognormal(rng, 312, 0.45, n))
        leader[rng.random(n) < 0.015] = np.nan  # leader never acknowledged
        arrival[cancelled] = np.nan
        for arr in (dispatch, video, leader, arrival):
            arr[diverted] = np.nan
        self.seconds = {
            "dispatch": np.ceil(dispatch),
            "video_supervision": np.ceil(video),
            "leader_notified": np.ceil(leader),
            "arrival": np.ceil(arrival),
        }
        self.diverted = diverted
        self.diverted_after = np.ceil(_lognormal(rng, 90, 0.4, n))
        after_arrival = np.where(np.isnan(arrival), dispatch + 300, arrival)
        self.closed_after = np.where(
            diverted, self.diverted_after, np.ceil(after_arrival + _lognormal(rng, 2400, 0.6, n))
        )
        lat = np.array([s["lat"] for s in stations])[self.station_idx]
        lon = np.array([s["lon"] for s in stations])[self.station_idx]
        self.lat = np.round(lat + rng.normal(0, 0.012, n), 6)
        self.lon = np.round(lon + rng.normal(0, 0.015, n), 6)
        road = rng.integers(0, len(ROADS), n)
        num = rng.integers(1, 400, n)
        self.address = [f"前湾新区{ROADS[r]}{k}号" for r, k in zip(road, num, strict=True)]
        pick = rng.integers(0, 100, n)
        self.description = [
            DESCRIPTIONS[Category(c)][p % len(DESCRIPTIONS[Category(c)])]
            for c, p in zip(self.categories, pick, strict=True)
        ]
        self.phone = [f"1{d}" for d in rng.integers(3000000000, 9999999999, n)]
        self.station_ids = np.array([s["id"] for s in stations])[self.station_idx]
        self.prefix = prefix


def _stations() -> list[dict]:
    from qianwan.org.models import Station

    stations = list(Station.objects.filter(is_active=True).order_by("code"))
    weights = [1.4, 1.0, 1.6, 1.1, 0.8]
    return [
        {
            "id": s.pk,
            "lat": s.lat or 30.3,
            "lon": s.lon or 121.2,
            "weight": weights[i % len(weights)],
        }
        for i, s in enumerate(stations)
    ]


def _snapshot(policy: SlaPolicy) -> dict:
    from .services import policy_snapshot

    return policy_snapshot(policy)


def _limits() -> tuple[SlaPolicy, dict]:
    from .services import policy_for

    policy = policy_for("")
    return policy, _snapshot(policy)


def _rows(batch: Batch, first_id: int, snap: dict):
    """Column dicts for incidents, clocks and events of one batch."""
    n = batch.n
    ids = np.arange(first_id, first_id + n)
    limits = snap["limits"]
    warn = snap["warn_before_seconds"]
    escalate = snap["escalate_after_seconds"]
    received = batch.received
    status = np.where(batch.diverted, Status.DIVERTED.value, Status.CLOSED.value)
    closed_at = received + batch.closed_after
    local_days = pd.to_datetime(received, unit="s", utc=True).tz_convert("Asia/Shanghai").strftime("%Y%m%d")
    incidents = {
        "id": ids,
        "number": [f"{batch.prefix}{d}{i:07d}" for d, i in zip(local_days, ids, strict=True)],
        "station_id": batch.station_ids,
        "category": batch.categories,
        "status": status,
        "received_at": received,
        "address": batch.address,
        "lat": batch.lat,
        "lon": batch.lon,
        "description": batch.description,
        "caller_phone": batch.phone,
        "closed_at": closed_at,
        "diverted_to": np.where(batch.diverted, OPEN_DIVERSION_TARGET, ""),
    }
    clocks = []
    events = []
    for stage in STAGES:
        secs = batch.seconds[stage]
        limit = limits[stage]
        done = ~np.isnan(secs)
        met = np.where(done, secs <= limit, np.where(batch.diverted, np.nan, 0.0))
        incidents[f"{stage}_seconds"] = secs
        incidents[f"{stage}_met"] = met
        deadline = received + limit
        done_at = received + secs
        open_until = np.where(batch.diverted, batch.diverted_after, np.inf)  # undone: open this long

        def open_past(offset, secs=secs, open_until=open_until, done=done):
            return np.where(done, secs > offset, open_until > offset)

        passed_warn = open_past(limit - warn) & (warn > 0)
        breached = open_past(limit)
        escalated = open_past(limit + escalate)
        clocks.append(
            {
                "incident_id": ids,
                "stage": np.full(n, str(stage.value)),
                "limit_seconds": np.full(n, limit),
                "deadline": deadline,
                "done_at": done_at,
                "met": met,
                "not_needed": batch.diverted & ~done,
                "stopped_at": np.where(done, np.nan, closed_at),
                "warn_at": deadline - warn if warn else np.full(n, np.nan),
                "escalate_at": deadline + escalate,
                "warned_at": np.where(passed_warn, deadline - warn, np.nan),
                "breached_at": np.where(breached, deadline, np.nan),
                "escalated_at": np.where(escalated, deadline + escalate, np.nan),
            }
        )
        events.append(
            {
                "incident_id": ids[done],
                "kind": np.full(int(done.sum()), STAGE_EVENT[stage].value),
                "at": done_at[done],
                "target": np.full(int(done.sum()), ""),
            }
        )
    events.append(
        {
            "incident_id": ids,
            "kind": np.where(batch.diverted, EventKind.DIVERTED.value, EventKind.CLOSED.value),
            "at": closed_at,
            "target": np.where(batch.diverted, OPEN_DIVERSION_TARGET, ""),
        }
    )
    return incidents, clocks, events


def _ts(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(values, unit="s", utc=True))


def _bool(values: np.ndarray) -> pd.Series:
    series = pd.Series(values, dtype="float").map({1.0: "t", 0.0: "f"})
    return series.where(series.notna(), None)


def _int(values: np.ndarray) -> pd.Series:
    return pd.Series(values).astype("Int64")


def _copy(cursor, table: str, frame: pd.DataFrame, text_columns: tuple[str, ...] = ()) -> None:
    """COPY a frame; ``text_columns`` are NOT NULL strings whose empty value must stay '' (not NULL)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S+00")
    buffer.seek(0)
    options = "FORMAT csv"
    if text_columns:
        options += f", FORCE_NOT_NULL ({', '.join(text_columns)})"
    cursor.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH ({options})", buffer)


def _write_copy(cursor, incidents, clocks, events, *, policy_id, snap_json, created_at) -> None:
    n = len(incidents["id"])
    frame = pd.DataFrame(
        {
            "id": incidents["id"],
            "number": incidents["number"],
            "station_id": incidents["station_id"],
            "category": incidents["category"],
            "status": incidents["status"],
            "received_at": _ts(incidents["received_at"]),
            "address": incidents["address"],
            "lat": incidents["lat"],
            "lon": incidents["lon"],
            "description": incidents["description"],
            "caller_phone": incidents["caller_phone"],
            "created_at": _ts(incidents["received_at"] + 20),
            "sla_policy_id": np.full(n, policy_id),
            "sla_snapshot": np.full(n, snap_json, dtype=object),
            **{f"{s}_seconds": _int(incidents[f"{s}_seconds"]) for s in STAGES},
            **{f"{s}_met": _bool(incidents[f"{s}_met"]) for s in STAGES},
            "closed_at": _ts(incidents["closed_at"]),
            "diverted_to": incidents["diverted_to"],
        }
    )
    _copy(cursor, "incidents_incident", frame, ("address", "description", "caller_phone", "diverted_to"))
    frames = []
    for c in clocks:
        frames.append(
            pd.DataFrame(
                {
                    "incident_id": c["incident_id"],
                    "stage": c["stage"],
                    "limit_seconds": c["limit_seconds"],
                    "deadline": _ts(c["deadline"]),
                    "done_at": _ts(c["done_at"]),
                    "met": _bool(c["met"]),
                    "not_needed": np.where(c["not_needed"], "t", "f"),
                    "stopped_at": _ts(c["stopped_at"]),
                    "warn_at": _ts(c["warn_at"]),
                    "escalate_at": _ts(c["escalate_at"]),
                    "warned_at": _ts(c["warned_at"]),
                    "breached_at": _ts(c["breached_at"]),
                    "escalated_at": _ts(c["escalated_at"]),
                    "warn_skip_reason": np.full(len(c["incident_id"]), ""),
                    "task_id": np.full(len(c["incident_id"]), ""),
                    "chain": np.full(len(c["incident_id"]), "[]"),  # the built-in escalation chain
                    "chain_next": np.zeros(len(c["incident_id"]), dtype=int),
                }
            )
        )
    _copy(cursor, "incidents_slaclock", pd.concat(frames, ignore_index=True), ("warn_skip_reason", "task_id"))
    frames = []
    for e in events:
        frames.append(
            pd.DataFrame(
                {
                    "incident_id": e["incident_id"],
                    "kind": e["kind"],
                    "at": _ts(e["at"]),
                    "note": np.full(len(e["incident_id"]), ""),
                    "target": e["target"],
                    "created_at": _ts(e["at"] + 5),
                }
            )
        )
    _copy(cursor, "incidents_incidentevent", pd.concat(frames, ignore_index=True), ("note", "target"))


def _write_orm(incidents, clocks, events, *, policy, snap) -> None:
    from datetime import UTC

    def dt(v):
        return None if v is None or np.isnan(v) or np.isinf(v) else datetime.fromtimestamp(float(v), tz=UTC)

    def b(v):
        return None if np.isnan(v) else bool(v)

    def i(v):
        return None if np.isnan(v) else int(v)

    n = len(incidents["id"])
    objs = [
        Incident(
            id=int(incidents["id"][k]),
            number=incidents["number"][k],
            station_id=int(incidents["station_id"][k]),
            category=incidents["category"][k],
            status=incidents["status"][k],
            received_at=dt(incidents["received_at"][k]),
            address=incidents["address"][k],
            lat=float(incidents["lat"][k]),
            lon=float(incidents["lon"][k]),
            description=incidents["description"][k],
            caller_phone=incidents["caller_phone"][k],
            sla_policy=policy,
            sla_snapshot=snap,
            closed_at=dt(incidents["closed_at"][k]),
            diverted_to=incidents["diverted_to"][k],
            **{f"{s}_seconds": i(incidents[f"{s}_seconds"][k]) for s in STAGES},
            **{f"{s}_met": b(incidents[f"{s}_met"][k]) for s in STAGES},
        )
        for k in range(n)
    ]
    Incident.objects.bulk_create(objs, batch_size=500)
    clock_objs = []
    for c in clocks:
        for k in range(len(c["incident_id"])):
            clock_objs.append(
                SlaClock(
                    incident_id=int(c["incident_id"][k]),
                    stage=str(c["stage"][k]),
                    limit_seconds=int(c["limit_seconds"][k]),
                    deadline=dt(c["deadline"][k]),
                    done_at=dt(c["done_at"][k]),
                    met=b(c["met"][k]),
                    not_needed=bool(c["not_needed"][k]),
                    stopped_at=dt(c["stopped_at"][k]),
                    warn_at=dt(c["warn_at"][k]),
                    escalate_at=dt(c["escalate_at"][k]),
                    warned_at=dt(c["warned_at"][k]),
                    breached_at=dt(c["breached_at"][k]),
                    escalated_at=dt(c["escalated_at"][k]),
                )
            )
    SlaClock.objects.bulk_create(clock_objs, batch_size=1000)
    event_objs = [
        IncidentEvent(
            incident_id=int(e["incident_id"][k]),
            kind=str(e["kind"][k]),
            at=dt(e["at"][k]),
            target=str(e["target"][k]),
        )
        for e in events
        for k in range(len(e["incident_id"]))
    ]
    IncidentEvent.objects.bulk_create(event_objs, batch_size=1000)


def name_officers(first_id: int, last_id: int) -> int:
    """Name two officers of the incident's station on each generated ``dispatched`` and ``arrived``
    step of incidents ``first_id``…``last_id`` (the same two on both, picked by the incident id), so
    "out now", the per-officer counts and the incident page have people at city scale too."""
    through = IncidentEvent.officers.through
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH staff AS (
                    SELECT station_id, array_agg(id ORDER BY id) AS ids
                    FROM org_user
                    WHERE is_active AND station_id IS NOT NULL AND role = 'officer'
                    GROUP BY station_id
                )
                INSERT INTO incidents_incidentevent_officers (incidentevent_id, user_id)
                SELECT DISTINCT e.id, s.ids[1 + ((i.id + pick.k) %% array_length(s.ids, 1))]
                FROM incidents_incidentevent e
                JOIN incidents_incident i ON i.id = e.incident_id
                JOIN staff s ON s.station_id = i.station_id
                CROSS JOIN (VALUES (0), (1)) AS pick(k)
                WHERE e.incident_id BETWEEN %s AND %s AND e.kind IN ('dispatched', 'arrived')
                ON CONFLICT DO NOTHING
                """,
                [first_id, last_id],
            )
            return cursor.rowcount
    staff: dict[int, list[int]] = {}
    for pk, station_id in (
        User.objects.filter(is_active=True, station__isnull=False, role="officer")
        .order_by("id")
        .values_list("id", "station_id")
    ):
        staff.setdefault(station_id, []).append(pk)
    rows = []
    events = IncidentEvent.objects.filter(
        incident_id__gte=first_id, incident_id__lte=last_id, kind__in=["dispatched", "arrived"]
    ).values_list("id", "incident_id", "incident__station_id")
    for event_id, incident_id, station_id in events:
        ids = staff.get(station_id) or []
        for k in {incident_id % len(ids), (incident_id + 1) % len(ids)} if ids else ():
            rows.append(through(incidentevent_id=event_id, user_id=ids[k]))
    through.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _skip_fk_triggers(cursor) -> None:
    """The generator builds every foreign key itself; as a superuser, skip the per-row FK triggers for
    this transaction (a plain user simply keeps them)."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except Exception:  # noqa: S110  (not a superuser: the checks stay on, only slower)
        pass


def _reserve_ids(n: int) -> int:
    """First of ``n`` consecutive incident ids, taken past the current maximum (and the sequence)."""
    last = Incident.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), %s)", [last + n]
            )
    return last + 1


def generate(
    *,
    n: int,
    start: datetime,
    end: datetime,
    prefix: str = "G",
    seed: int = 2026,
    chunk: int = 50_000,
    progress: Callable[[int, int], None] | None = None,
    use_copy: bool | None = None,
) -> int:
    """Insert ``n`` settled incidents received in [start, end) with their clocks and events."""
    stations = _stations()
    if not stations:
        raise RuntimeError("no active stations: load the organisation first (manage.py loaddemo)")
    rng = np.random.default_rng(seed)
    policy, snap = _limits()
    snap_json = json.dumps(snap)
    use_copy = connection.vendor == "postgresql" if use_copy is None else use_copy
    done = 0
    while done < n:
        size = min(chunk, n - done)
        batch = Batch(rng=rng, n=size, start=start, end=end, stations=stations, prefix=prefix)
        with transaction.atomic():
            # these rows bypass the services: unseal their days and months in the chunk's own
            # transaction, so an interrupted load never leaves a committed chunk under a stale seal
            rollup.unseal_range(start, end)
            first_id = _reserve_ids(size)
            incidents, clocks, events = _rows(batch, first_id, snap)
            if use_copy:
                with connection.cursor() as cursor:
                    _skip_fk_triggers(cursor)
                    _write_copy(
                        cursor.cursor if hasattr(cursor, "cursor") else cursor,
                        incidents,
                        clocks,
                        events,
                        policy_id=policy.pk,
                        snap_json=snap_json,
                        created_at=None,
                    )
            else:
                _write_orm(incidents, clocks, events, policy=policy, snap=snap)
            name_officers(first_id, first_id + size - 1)
        done += size
        if progress:
            progress(done, n)
    analyze(WRITTEN_TABLES)
    return done


WRITTEN_TABLES = [m._meta.db_table for m in (Incident, SlaClock, IncidentEvent, IncidentStatSeal)]


def analyze(tables: list[str]) -> None:
    """Fresh planner statistics for every table a bulk load wrote (without them the incident list
    scanned every clock row until autovacuum came round). VACUUM also sets the visibility map
    index-only scans rely on; it cannot run inside a transaction, ANALYZE can."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"ANALYZE {table}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {table}"  # noqa: S608
            )


class ProgressBar:
    """A plain text progress bar on a stream (no dependency)."""

    def __init__(self, stream, width: int = 40):
        self.stream = stream
        self.width = width
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / max(total, 1))
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{total:,} {elapsed:5.1f}s {rate:,.0f}/s"
        )
        self.stream.flush()
        if done >= total:
            self.stream.write("\n")


__all__ = ["DEFAULT_LIMITS", "ProgressBar", "generate"]
