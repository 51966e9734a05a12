"""District-scale synthetic records for the other mechanisms, proportional to the incidents, for the
benchmark (``manage.py gendata_district``). The incidents themselves come from ``incidents.generate``.

Proportions per incident, calibrated on the report's yearly figures at ~200,000 incidents a year:
4,560 dispute cases (2.3%), 650 hazards, road accidents, patrols, enterprise services and fraud
victims. Rows only, no services (no notifications, no audit, no timers — this is history, not
activity), numbered with a run tag so that runs add up. Generation is vectorised with numpy (one
array per column); on PostgreSQL the rows go in with COPY, elsewhere with ``bulk_create``. Columns a
generator does not set get the model field's default, exactly as ``bulk_create`` would give them.
"""

import io
import json
import time
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import connection, models, transaction
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
BATCH = 5000  # rows per bulk_create statement (databases without COPY)
DAY = 86400.0


def _seconds(rng, n: int, start: datetime, end: datetime, decline: float = 0.06) -> np.ndarray:
    """``n`` sorted instants (epoch seconds) in [start, end), thinning by ``decline`` a year (so
    year-over-year falls)."""
    span = (end - start).total_seconds()
    years = span / (365.25 * DAY)
    # inverse-CDF sampling of an exponential density exp(-k t) on [0, years]
    k = -np.log(1 - decline) if decline else 0.0
    u = rng.random(n)
    t = -np.log(1 - u * (1 - np.exp(-k * years))) / k if k else u * years
    return start.timestamp() + np.sort(t * 365.25 * DAY)


def _ts(seconds: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    """Aware UTC timestamps; NaT where ``mask`` is False."""
    out = pd.Series(pd.to_datetime(seconds, unit="s", utc=True))
    return out.where(pd.Series(mask), pd.NaT) if mask is not None else out


def _local_dates(seconds: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    """Local (current time zone) calendar dates of instants; None where ``mask`` is False."""
    tz = str(timezone.get_current_timezone())
    days = pd.Series(pd.to_datetime(seconds, unit="s", utc=True)).dt.tz_convert(tz).dt.date
    return days.where(pd.Series(mask), None) if mask is not None else days


def _pick(rng, values, n: int, p=None) -> np.ndarray:
    """``n`` draws from ``values`` (uniform, or with probabilities ``p``), as an object array."""
    values = np.array([str(v) if not isinstance(v, int | float) else v for v in values], dtype=object)
    return values[rng.choice(len(values), size=n, p=p)]


def _users():
    from qianwan.org.models import User

    a, _ = User.objects.get_or_create(username="gendata-a", defaults={"role": "admin"})
    b, _ = User.objects.get_or_create(username="gendata-b", defaults={"role": "admin"})
    return a, b


# --------------------------------------------------------------------------- writing


def _defaults(model, columns: dict, now: datetime) -> dict:
    """Every concrete column but the primary key: the generator's arrays, else the field's default
    (``auto_now``/``auto_now_add`` fields: ``now``)."""
    out = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.attname in columns:
            out[field.attname] = columns[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            out[field.attname] = now
        else:
            value = field.get_default()
            if isinstance(value, models.Choices):
                value = value.value
            out[field.attname] = value
    return out


def _frame(columns: dict, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {k: (v if isinstance(v, np.ndarray | pd.Series) else [v] * n) for k, v in columns.items()}
    )


def _copy_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _write(model, columns: dict, n: int, now: datetime, use_copy: bool | None = None) -> int:
    """Insert ``n`` rows given as column arrays (attnames); COPY on PostgreSQL, else bulk_create."""
    if n == 0:
        return 0
    columns = _defaults(model, columns, now)
    if connection.vendor == "postgresql" if use_copy is None else use_copy:
        frame = _frame({k: _copy_value(v) for k, v in columns.items()}, n)
        for name in frame.columns:
            if frame[name].dtype == bool:
                frame[name] = frame[name].map({True: "t", False: "f"})
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S.%f+00")
        buffer.seek(0)
        table = connection.ops.quote_name(model._meta.db_table)
        attnames = {f.attname: f.column for f in model._meta.concrete_fields}
        names = ", ".join(connection.ops.quote_name(attnames[c]) for c in frame.columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            # '' stays '' (an empty string), \N is NULL
            raw.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        return n
    frame = _frame(columns, n).astype(object)
    frame = frame.where(frame.notna(), None)
    objs = []
    for record in frame.to_dict("records"):
        for key, value in record.items():
            if isinstance(value, pd.Timestamp):
                record[key] = value.floor("us").to_pydatetime()
            elif isinstance(value, np.generic):
                record[key] = value.item()
        objs.append(model(**record))
    for i in range(0, len(objs), BATCH):
        model.objects.bulk_create(objs[i : i + BATCH], batch_size=BATCH)
    return n


def _load(model, columns: dict, n: int, progress, label: str) -> int:
    from incidents.generate import _skip_fk_triggers

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                _skip_fk_triggers(cursor)  # every foreign key here was read from the database
        _write(model, columns, n, timezone.now())
    if progress:
        progress(label, n)
    return n


def _numbers(tag: str, letter: str, n: int) -> np.ndarray:
    return np.array([f"{tag}{letter}{i:07d}" for i in range(n)], dtype=object)


# --------------------------------------------------------------------------- generators


def disputes(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from disputes.choices import CHANNEL_FOR_LEVEL, Category, FollowupOutcome, RiskLevel, Status
    from disputes.models import Dispute, Followup

    user_a, _ = _users()
    now = timezone.now().timestamp()
    at = _seconds(rng, n, start, end)
    levels = _pick(rng, [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH], n, p=[0.6, 0.3, 0.1])
    handled = at + rng.gamma(2, 3, n) * DAY
    done = handled < now
    pushed = at + DAY
    pushed_ok = (rng.random(n) < 0.04) & (pushed < now)
    channel = {str(k): str(v) for k, v in CHANNEL_FOR_LEVEL.items()}
    columns = {
        "number": _numbers(tag, "D", n),
        "station_id": np.array(stations)[rng.integers(len(stations), size=n)],
        "category": _pick(rng, Category.values, n),
        "risk_level": levels,
        "channel": np.array([channel[v] for v in levels], dtype=object),
        "status": np.where(done, str(Status.HANDLED), str(Status.IN_PROGRESS)).astype(object),
        "summary": "纠纷（基准数据）",
        "occurred_at": _ts(at),
        "handled_at": _ts(handled, done),
        "pushed_at": _ts(pushed, pushed_ok),
        "followup_until": _local_dates(handled + 90 * DAY, done),
        "created_by_id": user_a.pk,
    }
    _load(Dispute, columns, n, progress, "disputes")
    # follow-ups of the handled ones: each of the 3 months after handling, 2 visits (85%) or 0–1
    created = list(
        Dispute.objects.filter(number__startswith=f"{tag}D", handled_at__isnull=False)
        .order_by("number")
        .values_list("id", flat=True)
    )
    ids, base = np.array(created, dtype=np.int64), handled[done]
    m = len(ids)
    parts_id, parts_at = [], []
    for month in range(3):
        visits = np.where(rng.random(m) < 0.85, 2, rng.integers(0, 2, size=m))
        for v in range(2):
            when = base + (30 * month + 5 + 12 * v + rng.random(m) * 5) * DAY
            keep = (v < visits) & (when < now)
            parts_id.append(ids[keep])
            parts_at.append(when[keep])
    f_ids, f_at = np.concatenate(parts_id), np.concatenate(parts_at)
    order = np.lexsort((f_at, f_ids))
    f_ids, f_at = f_ids[order], f_at[order]
    _load(
        Followup,
        {"dispute_id": f_ids, "at": _ts(f_at), "outcome": FollowupOutcome.values[0], "by_id": user_a.pk},
        len(f_ids),
        progress,
        "followups",
    )
    return n


def hazards(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from risks.choices import HazardCategory, HazardLevel, HazardStatus
    from risks.models import Hazard

    user_a, user_b = _users()
    now = timezone.now().timestamp()
    found = _seconds(rng, n, start, end, decline=0.0)
    rectify_by = found + rng.integers(7, 45, size=n) * DAY
    done = found + rng.gamma(2, 8, n) * DAY
    roll = rng.random(n)
    closed_at = done + 2 * DAY
    was_closed = (done < now) & (roll < 0.8)
    closed = was_closed & (closed_at <= now)
    rectified = (was_closed & ~closed) | ((done < now) & (roll >= 0.8) & (roll < 0.88))
    status = np.full(n, str(HazardStatus.OPEN), dtype=object)
    status[rectified] = str(HazardStatus.RECTIFIED)
    status[closed] = str(HazardStatus.CLOSED)
    has_rectified = closed | rectified
    columns = {
        "number": _numbers(tag, "H", n),
        "title": "隐患（基准数据）",
        "category": _pick(rng, HazardCategory.values, n),
        "level": _pick(rng, HazardLevel.values, n, p=[0.5, 0.3, 0.15, 0.05]),
        "station_id": np.array(stations)[rng.integers(len(stations), size=n)],
        "found_at": _ts(found),
        "rectify_by": _ts(rectify_by),
        "status": status,
        "recorded_by_id": user_a.pk,
        "rectified_at": _ts(done, has_rectified),
        "rectified_by_id": pd.Series(np.where(has_rectified, user_a.pk, 0))
        .astype("Int64")
        .mask(~has_rectified),
        "closed_at": _ts(closed_at, closed),
        "closed_by_id": pd.Series(np.where(closed, user_b.pk, 0)).astype("Int64").mask(~closed),
    }
    return _load(Hazard, columns, n, progress, "hazards")


def accidents(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from qianwan.org.models import Station
    from traffic.models import Accident

    where = {
        pk: (lat or 30.3, lon or 121.2) for pk, lat, lon in Station.objects.values_list("id", "lat", "lon")
    }
    causes = ["speeding", "drunk_driving", "wrong_way", "failure_to_yield", "distraction", "lane_change"]
    at = _seconds(rng, n, start, end, decline=0.1)
    kind = _pick(rng, ["property", "injury", "death"], n, p=[0.85, 0.135, 0.015])
    station = np.array(stations)[rng.integers(len(stations), size=n)]
    lat = np.array([where.get(s, (30.3, 121.2))[0] for s in station]) + rng.normal(0, 0.01, n)
    lon = np.array([where.get(s, (30.3, 121.2))[1] for s in station]) + rng.normal(0, 0.01, n)
    hurt = kind != "property"
    columns = {
        "number": _numbers(tag, "A", n),
        "occurred_at": _ts(at),
        "address": "滨海二路（基准数据）",
        "road": "滨海二路",
        "station_id": station,
        "lat": lat,
        "lon": lon,
        "type": kind,
        "vehicles": rng.integers(1, 4, size=n),
        "injured": np.where(hurt, rng.integers(1, 3, size=n), 0),
        "deaths": (kind == "death").astype(np.int64),
        "cause": _pick(rng, causes, n),
        "handled_by": np.where(hurt, "brigade", "station").astype(object),
        "status": "closed",
        "closed_at": _ts(at + 3 * DAY),
    }
    return _load(Accident, columns, n, progress, "accidents")


def patrols(rng, n: int, start, end, tag: str, progress=None) -> int:
    from traffic.models import Patrol, Team

    teams = np.array(list(Team.objects.filter(home_zone__isnull=False).values_list("id", "home_zone_id")))
    if not len(teams):
        return 0
    at = _seconds(rng, n, start, end, decline=0.0)
    chosen = teams[rng.integers(len(teams), size=n)]
    columns = {
        "team_id": chosen[:, 0],
        "zone_id": chosen[:, 1],
        "kind": _pick(rng, ["routine", "racing", "wrong_way"], n, p=[0.9, 0.05, 0.05]),
        "started_at": _ts(at),
        "ended_at": _ts(at + 7200),
        "officers": rng.integers(2, 5, size=n),
    }
    return _load(Patrol, columns, n, progress, "patrols")


def services(rng, n_requests: int, n_visits: int, start, end, tag: str, progress=None) -> int:
    from enterprises.models import Enterprise, ServiceRequest, ServiceType, ServiceVisit

    enterprises = np.array(list(Enterprise.objects.values_list("id", "station_id")))
    types = np.array(list(ServiceType.objects.values_list("id", flat=True)))
    if not len(enterprises) or not len(types):
        return 0
    user_a, _ = _users()
    now = timezone.now().timestamp()
    n = n_requests
    at = _seconds(rng, n, start, end, decline=0.0)
    ent = enterprises[rng.integers(len(enterprises), size=n)]
    visit = at + rng.gamma(2, 1.5, n) * DAY
    feedback = visit + 2 * DAY
    done = feedback < now
    requests = {
        "enterprise_id": ent[:, 0],
        "station_id": ent[:, 1],
        "service_type_id": types[rng.integers(len(types), size=n)],
        "channel": "officer",
        "requested_by_id": user_a.pk,
        "feedback_by_id": pd.Series(np.where(done, user_a.pk, 0)).astype("Int64").mask(~done),
        "status": np.where(done, "closed", "assigned").astype(object),
        "requested_at": _ts(at),
        "first_visit_at": _ts(visit, done),
        "satisfied": pd.Series(rng.random(n) < 0.986, dtype="boolean").mask(~done),
        "score": pd.Series(rng.integers(4, 6, size=n)).astype("Int64").mask(~done),
        "feedback_at": _ts(feedback, done),
    }
    _load(ServiceRequest, requests, n, progress, "service requests")
    m = n_visits
    at = _seconds(rng, m, start, end, decline=0.0)
    ent = enterprises[rng.integers(len(enterprises), size=m)]
    visits = {
        "enterprise_id": ent[:, 0],
        "station_id": ent[:, 1],
        "service_type_id": types[rng.integers(len(types), size=m)],
        "kind": "visit",
        "visited_at": _ts(at),
        "summary": "走访（基准数据）",
        "created_by_id": user_a.pk,
    }
    return n + _load(ServiceVisit, visits, m, progress, "visits")


def victims(rng, n: int, start, end, tag: str, progress=None) -> int:
    from antifraud.models import Victim
    from enterprises.models import Enterprise

    enterprises = np.array(list(Enterprise.objects.values_list("id", flat=True)))
    if not len(enterprises):
        return 0
    at = _seconds(rng, n, start, end, decline=0.3)
    columns = {
        "enterprise_id": enterprises[rng.integers(len(enterprises), size=n)],
        "name": "员工",
        "occurred_on": _local_dates(at),
        "fraud_type": _pick(rng, ["brushing", "investment", "loan", "impersonate_official"], n),
        "amount_lost": rng.integers(500, 50000, size=n),
    }
    return _load(Victim, columns, n, progress, "victims")


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
        models_ = (
            Incident,
            Dispute,
            Followup,
            Hazard,
            Accident,
            Patrol,
            ServiceRequest,
            ServiceVisit,
            Victim,
        )
        with connection.cursor() as cursor:
            for model in models_:
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{verb} {model._meta.db_table}")
    return counts
