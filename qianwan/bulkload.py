"""Bulk loading of synthetic history for benchmarks: the shared plumbing every app's generator uses
(column arrays → COPY on PostgreSQL, ``bulk_create`` elsewhere) and ``generate_district``, which asks
each app for its records in proportion to the incidents (``manage.py gendata_district``). Each app's
own generator lives with its data (``disputes.generate``, ``risks.generate``, ``traffic.generate``,
``enterprises.generate``, ``antifraud.generate``); the incidents come from ``incidents.generate``.

Proportions per incident, calibrated on the report's yearly figures at ~200,000 incidents a year:
4,560 dispute cases (2.3%), 650 hazards, road accidents, patrols, enterprise services and fraud
victims; the exchange's referrals and inbound events (``qianwan.exchange.generate``) are calibrated
on the same district year. Rows only, no services (no notifications, no audit, no timers — this is
history, not activity), numbered with a run tag so that runs add up. Generation is vectorised with numpy (one
array per column); on PostgreSQL the rows go in with COPY, elsewhere with ``bulk_create``. Columns a
generator does not set get the model field's default, exactly as ``bulk_create`` would give them.
"""

import io
import json
import time
from contextlib import contextmanager
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
    "block_visits": 0.01,
}

BATCH = 5000  # rows per bulk_create statement (databases without COPY)
DAY = 86400.0


def seconds_in(rng, n: int, start: datetime, end: datetime, decline: float = 0.06) -> np.ndarray:
    """``n`` sorted instants (epoch seconds) in [start, end), thinning by ``decline`` a year (so
    year-over-year falls)."""
    span = (end - start).total_seconds()
    years = span / (365.25 * DAY)
    # inverse-CDF sampling of an exponential density exp(-k t) on [0, years]
    k = -np.log(1 - decline) if decline else 0.0
    u = rng.random(n)
    t = -np.log(1 - u * (1 - np.exp(-k * years))) / k if k else u * years
    return start.timestamp() + np.sort(t * 365.25 * DAY)


def timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    """Aware UTC timestamps; NaT where ``mask`` is False."""
    out = pd.Series(pd.to_datetime(seconds, unit="s", utc=True))
    return out.where(pd.Series(mask), pd.NaT) if mask is not None else out


def local_dates(seconds: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    """Local (current time zone) calendar dates of instants; None where ``mask`` is False."""
    tz = str(timezone.get_current_timezone())
    days = pd.Series(pd.to_datetime(seconds, unit="s", utc=True)).dt.tz_convert(tz).dt.date
    return days.where(pd.Series(mask), None) if mask is not None else days


def pick(rng, values, n: int, p=None) -> np.ndarray:
    """``n`` draws from ``values`` (uniform, or with probabilities ``p``), as an object array."""
    values = np.array([str(v) if not isinstance(v, int | float) else v for v in values], dtype=object)
    return values[rng.choice(len(values), size=n, p=p)]


def users():
    from qianwan.org.models import User

    a, _ = User.objects.get_or_create(username="gendata-a", defaults={"role": "admin"})
    b, _ = User.objects.get_or_create(username="gendata-b", defaults={"role": "admin"})
    return a, b


# --------------------------------------------------------------------------- writing


def _defaults(model, columns: dict, now: datetime, keep_pk: bool = False) -> dict:
    """Every concrete column but the primary key (unless ``keep_pk``): the generator's arrays, else
    the field's default (``auto_now``/``auto_now_add`` fields: ``now``)."""
    out = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and not keep_pk:
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


# tables a bulk load wrote since the last ``analyze_written()``: each load ends with ANALYZE of them
WRITTEN: set[str] = set()


def analyze_tables(tables) -> None:
    """Fresh planner statistics for ``tables`` (names or models) at the end of a bulk load (issue 21):
    without them the lists plan for empty tables until autovacuum comes round. ``VACUUM ANALYZE``
    outside a transaction (it also sets the visibility map), ``ANALYZE`` inside one."""
    if connection.vendor != "postgresql":
        return
    names = sorted({t if isinstance(t, str) else t._meta.db_table for t in tables})
    with connection.cursor() as cursor:
        for name in names:
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            cursor.execute(f"{verb} {connection.ops.quote_name(name)}")


DEFERRED_TABLE = "bulkload_deferred_index"


def _restore_deferred(cursor) -> list[str]:
    """Build again every index a bulk load dropped and has not rebuilt (this load's, or an
    interrupted one's); the names rebuilt."""
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED_TABLE} (name text PRIMARY KEY, definition text)")
    cursor.execute(f"SELECT name, definition FROM {DEFERRED_TABLE} ORDER BY name")  # noqa: S608
    rebuilt = []
    for name, definition in cursor.fetchall():
        cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        cursor.execute(f"DELETE FROM {DEFERRED_TABLE} WHERE name = %s", [name])  # noqa: S608
        rebuilt.append(name)
    return rebuilt


@contextmanager
def deferred_indexes(tables, enabled: bool = True):
    """A bulk load into ``tables`` (names or models) without their secondary indexes: drop every
    index that is neither unique nor behind a constraint, load, then build each again in one sorted
    pass (PostgreSQL only; outside a transaction). Maintaining a dozen indexes row by row was half of
    a load's database time. The definitions wait in ``bulkload_deferred_index`` until rebuilt, so a
    load interrupted even by a kill leaves them to the next load, which builds them first (also with
    ``enabled`` False).
    While the load runs, the tables' other readers go without those indexes: a tool for building a
    benchmark database, not for a live one."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield []
        return
    names = sorted({t if isinstance(t, str) else t._meta.db_table for t in tables})
    with connection.cursor() as cursor:
        _restore_deferred(cursor)  # a killed load's
        dropped = []
        if enabled:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """,
                [names],
            )
            dropped = cursor.fetchall()
        with transaction.atomic():
            for name, definition in dropped:
                cursor.execute(f"INSERT INTO {DEFERRED_TABLE} VALUES (%s, %s)", [name, definition])  # noqa: S608
                cursor.execute(f"DROP INDEX {name}")
    if not dropped:
        yield []
        return
    try:
        yield [name for name, _ in dropped]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            try:
                _restore_deferred(cursor)
            finally:
                cursor.execute("RESET maintenance_work_mem")


def analyze_written() -> None:
    """ANALYZE every table ``write_rows`` wrote since the last call."""
    tables = set(WRITTEN)
    WRITTEN.clear()
    analyze_tables(tables)


def write_rows(
    model, columns: dict, n: int, now: datetime, use_copy: bool | None = None, keep_pk: bool = False
) -> int:
    """Insert ``n`` rows given as column arrays (attnames); COPY on PostgreSQL, else bulk_create.
    ``keep_pk``: the columns name the primary keys."""
    if n == 0:
        return 0
    WRITTEN.add(model._meta.db_table)
    columns = _defaults(model, columns, now, keep_pk)
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


def load_rows(model, columns: dict, n: int, progress, label: str) -> int:
    from incidents.generate import _skip_fk_triggers

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                _skip_fk_triggers(cursor)  # every foreign key here was read from the database
        write_rows(model, columns, n, timezone.now())
    if progress:
        progress(label, n)
    return n


def numbers(tag: str, letter: str, n: int) -> np.ndarray:
    return np.array([f"{tag}{letter}{i:07d}" for i in range(n)], dtype=object)


def generate_district(
    *, incidents: int, start: datetime, end: datetime, seed: int = 2026, progress=None
) -> dict[str, int]:
    """The other apps' records in proportion to ``incidents`` over [start, end)."""
    from antifraud import generate as antifraud_generate
    from disputes import generate as disputes_generate
    from enterprises import generate as enterprises_generate
    from qianwan.exchange import generate as exchange_generate
    from qianwan.org.models import Station
    from risks import generate as risks_generate
    from traffic import generate as traffic_generate

    rng = np.random.default_rng(seed + 1)
    stations = list(Station.objects.filter(is_active=True).values_list("id", flat=True))
    if not stations:
        raise RuntimeError("no active stations: run manage.py loaddemo first")
    tag = f"G{int(time.time()) % 100000:05d}"
    n = {k: max(1, round(v * incidents)) for k, v in PER_INCIDENT.items()}
    counts = {
        "disputes": disputes_generate.disputes(rng, n["disputes"], start, end, stations, tag, progress),
        "hazards": risks_generate.hazards(rng, n["hazards"], start, end, stations, tag, progress),
        "accidents": traffic_generate.accidents(rng, n["accidents"], start, end, stations, tag, progress),
        "patrols": traffic_generate.patrols(rng, n["patrols"], start, end, tag, progress),
        "services": enterprises_generate.services(
            rng, n["service_requests"], n["visits"], start, end, tag, progress
        ),
        "victims": antifraud_generate.victims(rng, n["victims"], start, end, tag, progress),
        "block_visits": disputes_generate.block_visits(rng, n["block_visits"], start, end, tag, progress),
    }
    # referrals to the grid and events from it, in proportion (their own ratios: exchange.generate)
    exchanged = exchange_generate.exchange(rng, incidents, start, end, stations, tag, progress)
    counts.update({f"exchange_{k}": v for k, v in exchanged.items()})
    # every table written above (write_rows keeps the list), plus the incidents the others point at
    from incidents.models import Incident

    WRITTEN.add(Incident._meta.db_table)
    analyze_written()
    return counts
