"""Realistic synthetic incidents with their clocks and timeline, for the demo and the benchmark.

Distributions (per incident, seconds from receipt): dispatch ~ lognormal(median 32 s), video supervision
~ dispatch + lognormal(median 45 s), leader notified ~ lognormal(median 110 s), arrival ~ lognormal
(median 312 s, σ 0.45) — calibrated so that about 83% of arrivals are within 8 minutes, the report's
82.9%. Calls follow the hours of a day (quiet 02–06, busy 09–11 and 15–22); about 6% are non-police calls
diverted to 12345; about 1% are closed without anyone arriving (caller cancelled).

Generation is vectorised with numpy; on PostgreSQL the rows go in with COPY, elsewhere bulk_create.
"""

import io
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from qianwan.audit.models import AuditEntry
from qianwan.bulkload import deferred_indexes
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
# every address and description a generated incident can have, indexed (road × 399 + number − 1; the
# category's row and the pick modulo its length)
ADDRESSES = np.array([f"前湾新区{road}{k}号" for road in ROADS for k in range(1, 400)], dtype=object)
DESCRIPTION_COUNTS = np.array([len(DESCRIPTIONS[c]) for c in CATEGORY_WEIGHTS])
DESCRIPTION_TABLE = np.array(
    [DESCRIPTIONS[c] + [""] * (DESCRIPTION_COUNTS.max() - len(DESCRIPTIONS[c])) for c in CATEGORY_WEIGHTS],
    dtype=object,
)


def _lognormal(rng, median: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, n)


def _day_chunks(rng, n: int, span_days: int, chunk: int):
    """The day (offset from the first local midnight) of each of ``n`` incidents, as consecutive
    sorted chunks of at most ``chunk``: the days are one multinomial draw (every day equally likely,
    exactly as independent uniform draws), walked in time order so that ids, numbers and every
    time-keyed index grow at their right end instead of everywhere at once."""
    per_day = rng.multinomial(n, np.full(span_days, 1.0 / span_days))
    days: list[int] = []
    counts: list[int] = []
    filled = 0
    for day, count in enumerate(per_day.tolist()):
        while count:
            take = min(count, chunk - filled)
            days.append(day)
            counts.append(take)
            filled += take
            count -= take
            if filled == chunk:
                yield np.repeat(days, counts)
                days, counts, filled = [], [], 0
    if filled:
        yield np.repeat(days, counts)


class Batch:
    """One chunk of generated incidents as column arrays (seconds from receipt; NaN = not done),
    received on the given ``days`` (offsets from ``local_start``), in time order."""

    def __init__(
        self, *, rng, days: np.ndarray, local_start: datetime, end: datetime, stations: list, prefix: str
    ):
        n = self.n = len(days)
        hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        second = rng.integers(0, 3600, n)
        received = local_start.timestamp() + days * 86400.0 + hour * 3600.0 + second
        received = np.minimum(received, end.timestamp() - 3600)  # nothing in the last hour: all settled
        # every other column is drawn independently of the time, so sorting the times alone keeps
        # each incident's distribution and gives time-ordered ids
        self.received = np.sort(np.floor(received))
        weights = np.array([s["weight"] for s in stations], dtype=float)
        self.station_idx = rng.choice(len(stations), n, p=weights / weights.sum())
        cats = list(CATEGORY_WEIGHTS)
        cat_p = np.array(list(CATEGORY_WEIGHTS.values()))
        self.category_idx = rng.choice(len(cats), n, p=cat_p / cat_p.sum())
        self.categories = np.array([c.value for c in cats], dtype=object)[self.category_idx]
        self.category_labels = np.array([str(c.label) for c in cats])[self.category_idx]
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
        self.address = ADDRESSES[road * 399 + num - 1]
        pick = rng.integers(0, 100, n)
        self.description = DESCRIPTION_TABLE[self.category_idx, pick % DESCRIPTION_COUNTS[self.category_idx]]
        self.phone = (rng.integers(3000000000, 9999999999, n) + 10_000_000_000).astype(str)
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


class Staff:
    """Each station's active officers (``stations`` order): a padded id matrix, its row lengths, and
    their names (for the audit rows)."""

    def __init__(self, stations: list[dict]):
        people: dict[int, list[User]] = {}
        for user in User.objects.filter(is_active=True, station__isnull=False, role="officer").order_by("id"):
            people.setdefault(user.station_id, []).append(user)
        width = max([len(v) for v in people.values()] + [1])
        self.ids = np.zeros((len(stations), width), dtype=np.int64)
        self.lengths = np.zeros(len(stations), dtype=np.int64)
        self.names: dict[int, str] = {}
        for k, s in enumerate(stations):
            crew = people.get(s["id"], [])
            self.lengths[k] = len(crew)
            self.ids[k, : len(crew)] = [u.pk for u in crew]
            self.names.update({u.pk: u.display_name for u in crew})

    def pick(self, station_idx: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """The officer at ``offset`` (mod the crew) of each row's station; 0 where it has none."""
        lengths = self.lengths[station_idx]
        column = np.where(lengths > 0, offset % np.maximum(lengths, 1), 0)
        return np.where(lengths > 0, self.ids[station_idx, column], 0)


def _rows(batch: Batch, first_id: int, first_event_id: int, snap: dict, staff: Staff, audit: bool) -> dict:
    """Column arrays (epoch seconds for times, NaN = NULL) of every table one batch writes, keyed by
    table: incidents, their clocks and events (with their ids), the two officers named on each
    ``dispatched`` and ``arrived`` step, and (``audit``) each incident's creation in the audit trail."""
    n = batch.n
    ids = np.arange(first_id, first_id + n)
    limits = snap["limits"]
    warn = snap["warn_before_seconds"]
    escalate = snap["escalate_after_seconds"]
    received = batch.received
    closed_at = received + batch.closed_after
    local_days = np.datetime_as_string(
        pd.to_datetime(received, unit="s", utc=True)
        .tz_convert(timezone.get_current_timezone())
        .tz_localize(None)
        .values.astype("datetime64[D]"),
        unit="D",
    )
    numbers = np.char.add(
        np.char.add(batch.prefix, np.char.replace(local_days, "-", "")), np.char.zfill(ids.astype(str), 7)
    )
    incidents = {
        "id": ids,
        "number": numbers,
        "station_id": batch.station_ids,
        "category": batch.categories,
        "status": np.where(batch.diverted, Status.DIVERTED.value, Status.CLOSED.value),
        "received_at": received,
        "address": batch.address,
        "lat": batch.lat,
        "lon": batch.lon,
        "description": batch.description,
        "caller_phone": batch.phone,
        "created_at": received + 20,
        "closed_at": closed_at,
        "diverted_to": np.where(batch.diverted, OPEN_DIVERSION_TARGET, ""),
    }
    clocks: dict[str, list] = {}
    events: dict[str, list] = {}

    def add(table, **columns):
        for key, value in columns.items():
            table.setdefault(key, []).append(value)

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
        add(
            clocks,
            incident_id=ids,
            stage=np.full(n, str(stage.value)),
            limit_seconds=np.full(n, limit),
            deadline=deadline,
            done_at=done_at,
            met=met,
            not_needed=(batch.diverted & ~done).astype(float),
            stopped_at=np.where(done, np.nan, closed_at),
            warn_at=deadline - warn if warn else np.full(n, np.nan),
            escalate_at=deadline + escalate,
            warned_at=np.where(passed_warn, deadline - warn, np.nan),
            breached_at=np.where(open_past(limit), deadline, np.nan),
            escalated_at=np.where(open_past(limit + escalate), deadline + escalate, np.nan),
        )
        add(
            events,
            incident_id=ids[done],
            kind=np.full(int(done.sum()), STAGE_EVENT[stage].value),
            at=done_at[done],
            target=np.full(int(done.sum()), ""),
        )
    add(
        events,
        incident_id=ids,
        kind=np.where(batch.diverted, EventKind.DIVERTED.value, EventKind.CLOSED.value),
        at=closed_at,
        target=np.where(batch.diverted, OPEN_DIVERSION_TARGET, ""),
    )
    clocks = {k: np.concatenate(v) for k, v in clocks.items()}
    events = {k: np.concatenate(v) for k, v in events.items()}
    events["id"] = np.arange(first_event_id, first_event_id + len(events["incident_id"]))
    events["created_at"] = events["at"] + 5
    # two officers of the incident's station on each dispatched and arrived step (one where the
    # station has one), the same two on both, picked by the incident id
    named = np.isin(events["kind"], [EventKind.DISPATCHED.value, EventKind.ARRIVED.value])
    event_ids = events["id"][named]
    incident_of = events["incident_id"][named]
    station_idx = batch.station_idx[incident_of - first_id]
    first, second = staff.pick(station_idx, incident_of), staff.pick(station_idx, incident_of + 1)
    officers = {
        "incidentevent_id": np.concatenate(
            [event_ids[first > 0], event_ids[(second > 0) & (second != first)]]
        ),
        "user_id": np.concatenate([first[first > 0], second[(second > 0) & (second != first)]]),
    }
    tables = {"incidents": incidents, "clocks": clocks, "events": events, "officers": officers}
    if audit:
        actor = staff.pick(batch.station_idx, ids)
        stamps = _text_times(received)
        tables["audit"] = {
            "at": received + 20,
            "actor_id": np.where(actor > 0, actor, np.nan),
            "actor_label": [staff.names.get(a, "system") for a in actor.tolist()],
            "object_id": ids.astype(str),
            "object_repr": np.char.add(np.char.add(numbers, " "), batch.category_labels),
            "after": [
                f'{{"number": "{no}", "station": {st}, "category": "{cat}", "status": "open", '
                f'"received_at": "{at}", "address": "{addr}"}}'
                for no, st, cat, at, addr in zip(
                    numbers.tolist(),
                    batch.station_ids.tolist(),
                    batch.categories.tolist(),
                    stamps,
                    batch.address,
                    strict=True,
                )
            ],
        }
    return tables


# ------------------------------------------------------------------ writing: COPY (text format)

NULL = "\\N"
# every column COPY sets, per table; a column of the incident writer's arrays may be epoch seconds
# (TIMES), seconds or flags with NaN for NULL (INTS, FLAGS), or text (the rest)
COLUMNS = {
    "incidents": (
        Incident,
        "id number station_id category status received_at address lat lon description caller_phone "
        "created_at sla_policy_id sla_snapshot".split()
        + [f"{s}_seconds" for s in STAGES]
        + [f"{s}_met" for s in STAGES]
        + ["closed_at", "diverted_to"],
    ),
    "clocks": (
        SlaClock,
        "incident_id stage limit_seconds deadline done_at met not_needed stopped_at warn_at escalate_at "
        "warned_at breached_at escalated_at warn_skip_reason task_id chain chain_next".split(),
    ),
    "events": (IncidentEvent, "id incident_id kind at note target created_at".split()),
    "officers": (IncidentEvent.officers.through, ["incidentevent_id", "user_id"]),
    "audit": (
        AuditEntry,
        "at actor_id actor_label action object_type object_id object_repr after request_id".split(),
    ),
}
TIMES = set(
    "received_at created_at closed_at deadline done_at stopped_at warn_at escalate_at warned_at "
    "breached_at escalated_at at".split()
)
INTS = {f"{s}_seconds" for s in STAGES} | {"actor_id"}
FLAGS = {f"{s}_met" for s in STAGES} | {"met", "not_needed"}


def _text_times(seconds: np.ndarray) -> list[str]:
    """Epoch seconds → ISO UTC text (NaN/inf → NULL)."""
    seconds = np.asarray(seconds, dtype=float)
    missing = ~np.isfinite(seconds)
    out = np.datetime_as_string(
        np.where(missing, 0, seconds).astype("datetime64[s]"), unit="s", timezone="UTC"
    ).astype(object)
    out[missing] = NULL
    return out.tolist()


def _text(name: str, values, n: int):
    if isinstance(values, str):
        return itertools.repeat(values, n)
    if name in TIMES:
        return _text_times(values)
    values = np.asarray(values)
    if name in INTS or name in FLAGS:
        missing = np.isnan(values)
        if name in FLAGS:
            out = np.where(values > 0, "t", "f").astype(object)
        else:
            out = np.where(missing, 0, values).astype(np.int64).astype(str).astype(object)
        out[missing] = NULL
        return out.tolist()
    return values.astype(str).tolist()


def _copy_text(table: str, columns: dict, order: list[str], constants: dict) -> tuple[str, str]:
    """One table's rows as COPY text (tab-separated, \\N for NULL); every value here is generated
    from fixed vocabularies without tabs, newlines or backslashes, so nothing needs escaping."""
    n = len(next(iter(columns.values())))
    cols = [_text(c, constants[c] if c in constants else columns[c], n) for c in order]
    body = "\n".join(map("\t".join, zip(*cols, strict=False))) + "\n" if n else ""
    return f"COPY {table} ({', '.join(order)}) FROM STDIN", body


def _format(tables: dict, *, policy_id: int, snap_json: str) -> list[tuple[str, str]]:
    constants = {
        "sla_policy_id": str(policy_id),
        "sla_snapshot": snap_json,
        "warn_skip_reason": "",
        "task_id": "",
        "chain": "[]",  # the built-in escalation chain
        "chain_next": "0",
        "note": "",
        "action": "incident.create",
        "object_type": Incident._meta.label_lower,
        "request_id": "",
    }
    out = []
    for key, columns in tables.items():
        model, order = COLUMNS[key]
        out.append(_copy_text(model._meta.db_table, columns, order, constants))
    return out


def _write_orm(tables: dict, *, policy: SlaPolicy, snap: dict) -> None:
    """Databases without COPY (the embedded default): the same columns through ``bulk_create``."""
    from qianwan.bulkload import timestamps, write_rows

    now = timezone.now()
    for key, columns in tables.items():
        model, _order = COLUMNS[key]
        n = len(next(iter(columns.values())))
        values = {}
        for name, array in columns.items():
            array = np.asarray(array) if not isinstance(array, list) else np.array(array, dtype=object)
            if name in TIMES:
                values[name] = timestamps(np.nan_to_num(array, posinf=0), np.isfinite(array))
            elif name in INTS:
                values[name] = pd.Series(array).astype("Int64")
            elif name in FLAGS:
                values[name] = pd.Series(array, dtype="float").map({1.0: True, 0.0: False}).astype(object)
            elif name == "after":
                values[name] = np.array([json.loads(v) for v in array], dtype=object)
            else:
                values[name] = array
        if key == "incidents":
            values.update(sla_policy_id=policy.pk, sla_snapshot=snap)
        if key == "audit":
            values.update(action="incident.create", object_type=Incident._meta.label_lower)
        write_rows(model, values, n, now, use_copy=False, keep_pk=True)


def _skip_fk_triggers(cursor) -> None:
    """The generator builds every foreign key itself; as a superuser, skip the per-row FK triggers for
    this transaction (a plain user simply keeps them)."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except Exception:  # noqa: S110  (not a superuser: the checks stay on, only slower)
        pass


def _reserve_ids(model, n: int) -> int:
    """First of ``n`` consecutive ids of ``model``, taken past the current maximum (and its sequence)."""
    last = model.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, last + n]
            )
    return last + 1


_DONE = object()


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
    audit: bool = False,
    defer_indexes: bool | None = None,
) -> int:
    """Insert ``n`` settled incidents received in [start, end) with their clocks, events and named
    officers (and, with ``audit``, each one's creation in the audit trail).

    Chunks go in time order, each in its own transaction that first unseals the days and months it
    touches (an interrupted load never leaves a committed chunk under a stale seal). A second thread
    builds the next chunk's rows while this one writes the last: on two cores, Python's work and the
    database's overlap instead of taking turns. Writes stay on the caller's connection (and in its
    transaction, when it has one).

    ``defer_indexes`` (default: when loading at least ``DEFER_AT`` incidents and no fewer than are
    there already): drop the tables' secondary indexes for the load and build them after
    (``qianwan.bulkload.deferred_indexes``)."""
    stations = _stations()
    if not stations:
        raise RuntimeError("no active stations: load the organisation first (manage.py loaddemo)")
    rng = np.random.default_rng(seed)
    policy, snap = _limits()
    snap_json = json.dumps(snap)
    staff = Staff(stations)
    use_copy = connection.vendor == "postgresql" if use_copy is None else use_copy
    first_id = _reserve_ids(Incident, n)
    first_event_id = _reserve_ids(IncidentEvent, n * (len(STAGES) + 1))
    local_start = timezone.localtime(start).replace(hour=0, minute=0, second=0, microsecond=0)
    span_days = max(1, int((end - start).total_seconds() // 86400))
    built: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def build():
        try:
            next_id, next_event = first_id, first_event_id
            for days in _day_chunks(rng, n, span_days, chunk):
                if stop.is_set():
                    return
                batch = Batch(
                    rng=rng, days=days, local_start=local_start, end=end, stations=stations, prefix=prefix
                )
                tables = _rows(batch, next_id, next_event, snap, staff, audit)
                span = (float(batch.received[0]), float(batch.received[-1]) + 1)
                payload = _format(tables, policy_id=policy.pk, snap_json=snap_json) if use_copy else tables
                next_id += batch.n
                next_event += len(tables["events"]["id"])
                built.put((batch.n, span, payload))
            built.put((0, None, _DONE))
        except BaseException as exc:  # handed to the writer, which raises it
            built.put((0, None, exc))

    loaded = WRITTEN_TABLES[:-1] + ([AuditEntry._meta.db_table] if audit else [])
    if defer_indexes is None:
        defer_indexes = n >= DEFER_AT and n >= _estimated_rows(Incident)
    builder = threading.Thread(target=build, name="gendata-build", daemon=True)
    done = 0
    with deferred_indexes(loaded, enabled=defer_indexes):
        builder.start()
        done = _write(built, builder, stop, n, progress, use_copy, policy, snap)
    analyze(loaded + WRITTEN_TABLES[-1:])
    return done


DEFER_AT = 500_000


def _estimated_rows(model) -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        row = cursor.fetchone()
    return max(0, row[0]) if row else 0


def _write(built, builder, stop, n, progress, use_copy, policy, snap) -> int:
    """The writer's side of ``generate``: each built chunk in its own transaction."""
    done = 0
    try:
        while True:
            size, span, payload = built.get()
            if payload is _DONE:
                break
            if isinstance(payload, BaseException):
                raise payload
            with transaction.atomic():
                rollup.unseal_range(
                    datetime.fromtimestamp(span[0], UTC), datetime.fromtimestamp(span[1], UTC)
                )
                if use_copy:
                    with connection.cursor() as cursor:
                        _skip_fk_triggers(cursor)
                        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
                        for sql, body in payload:
                            raw.copy_expert(sql, io.StringIO(body), size=1 << 20)
                else:
                    _write_orm(payload, policy=policy, snap=snap)
            done += size
            if progress:
                progress(done, n)
    finally:
        stop.set()
        while builder.is_alive():  # let a builder blocked on a full queue see the stop
            try:
                built.get(timeout=0.1)
            except queue.Empty:
                pass
        builder.join()
    return done


# the tables a load writes (the seals last: unsealed, never loaded)
WRITTEN_TABLES = [
    m._meta.db_table
    for m in (Incident, SlaClock, IncidentEvent, IncidentEvent.officers.through, IncidentStatSeal)
]


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
