"""The sealed rollup: sealed days and months give exactly the figures of the raw rows; a write to a
sealed unit unseals it in the same transaction; a write racing a seal wins; unsettled units stay raw."""

import io
from collections import Counter
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents import rollup, selectors
from incidents.generate import generate
from incidents.models import Incident, IncidentEvent, IncidentStat, IncidentStatSeal, SlaPolicy, StatUnit
from qianwan.kpi import local_tz, nearest_rank
from tests.incidents.factories import make_incident, record, settled

pytestmark = pytest.mark.django_db


def _snapshot(now, station=None):
    today = timezone.localdate(now)
    periods = [
        (today - timedelta(days=364), today),  # a year to today (sealed months, days and raw today)
        (today - timedelta(days=29), today),
        (today - timedelta(days=40), today - timedelta(days=1)),
        (today - timedelta(days=8), today - timedelta(days=8)),  # one sealed day
    ]
    return {
        "kpis": [
            selectors.dispatch_kpis(date_from=a, date_to=b, station=station, now=now) for a, b in periods
        ],
        "trend": selectors.incident_trend(months=24, station=station, now=now),
        "stages": [
            selectors.stage_distribution(date_from=a, date_to=b, station=station, now=now) for a, b in periods
        ],
    }


@pytest.fixture
def history(station, other_station):
    """75 days of generated incidents plus the awkward cases, made through the services."""
    now = timezone.now()
    generate(n=2500, start=now - timedelta(days=75), end=now, seed=11)
    old = now - timedelta(days=9)
    make_incident(station, received_at=old)  # nothing done and the timers never ran: overdue misses
    diverted = make_incident(station, received_at=old + timedelta(hours=1), category="non_police")
    record(diverted, "dispatched", after=200)
    record(diverted, "diverted", after=230, target="12345")
    settled(
        other_station, received_at=old + timedelta(hours=2), dispatch=400, arrival=300, category="traffic"
    )
    return now


def test_sealed_figures_equal_the_raw_figures(history, station):
    now = history
    raw = _snapshot(now), _snapshot(now, station)
    sealed = rollup.refresh(now)
    assert sealed["month"] >= 1 and sealed["day"] >= 70 and sealed["skipped"] == 0
    assert IncidentStat.objects.filter(unit=StatUnit.MONTH).exists()
    assert (_snapshot(now), _snapshot(now, station)) == raw
    # the sealed path really is used: a year reads no raw row older than today
    months, days, raw_spans = rollup.plan(
        timezone.localdate(now) - timedelta(days=364), timezone.localdate(now)
    )
    assert months and days and raw_spans[-1][1] == timezone.localdate(now)
    assert all(
        b >= timezone.localdate(now - rollup.SEAL_AFTER) - timedelta(days=1) for _a, b in raw_spans[1:]
    )
    # a second run has nothing left to do
    assert rollup.refresh(now) == {"day": 0, "month": 0, "skipped": 0}


def test_a_correction_unseals_its_day_and_month_in_the_same_transaction(station):
    now = timezone.now()
    received = now - timedelta(days=6)
    incident = settled(station, received_at=received, dispatch=30, video=60, leader=90, arrival=300)
    rollup.refresh(now)
    day = timezone.localtime(received, local_tz()).date()
    seal = IncidentStatSeal.objects.get(unit=StatUnit.DAY, start=day)
    assert seal.sealed_at is not None
    before = selectors.dispatch_kpis(date_from=day, date_to=day, now=now)
    assert before["stages"]["arrival"]["within"] == 1

    arrived = IncidentEvent.objects.get(incident=incident, kind="arrived")
    record(incident, "arrived", after=700, supersedes=arrived.pk, note="到场时间更正")
    seal.refresh_from_db()
    assert seal.sealed_at is None and seal.version > 0
    month = IncidentStatSeal.objects.filter(unit=StatUnit.MONTH, start=day.replace(day=1)).first()
    assert month is None or month.sealed_at is None  # None: the month is not over, never sealed
    after = selectors.dispatch_kpis(date_from=day, date_to=day, now=now)
    assert (after["stages"]["arrival"]["within"], after["stages"]["arrival"]["late"]) == (0, 1)
    assert after["arrival_p50_seconds"] == 700
    rollup.refresh(now)
    assert IncidentStatSeal.objects.get(pk=seal.pk).sealed_at is not None
    assert selectors.dispatch_kpis(date_from=day, date_to=day, now=now) == after


def test_a_write_that_commits_while_a_unit_is_computed_keeps_it_unsealed(station, monkeypatch):
    """The builder reads the seal's version, computes, and seals only if the version is unchanged."""
    now = timezone.now()
    received = now - timedelta(days=4)
    incident = settled(station, received_at=received, dispatch=30, arrival=300)
    day = timezone.localtime(received, local_tz()).date()
    computed = rollup.raw_parts

    def compute_then_a_correction_lands(*args, **kwargs):
        parts = computed(*args, **kwargs)
        if not IncidentEvent.objects.filter(incident=incident, supersedes__isnull=False).exists():
            arrived = IncidentEvent.objects.get(incident=incident, kind="arrived")
            record(incident, "arrived", after=900, supersedes=arrived.pk)
        return parts

    monkeypatch.setattr(rollup, "raw_parts", compute_then_a_correction_lands)
    assert rollup.seal(StatUnit.DAY, day, now) is False
    assert IncidentStatSeal.objects.get(unit=StatUnit.DAY, start=day).sealed_at is None
    monkeypatch.setattr(rollup, "raw_parts", computed)
    assert rollup.seal(StatUnit.DAY, day, now) is True
    assert selectors.dispatch_kpis(date_from=day, date_to=day, now=now)["arrival_p50_seconds"] == 900


def test_a_unit_with_a_stage_still_before_its_deadline_is_not_sealed(station):
    policy = SlaPolicy.objects.get(category="")
    policy.arrival_seconds = 3 * 86400  # a limit longer than the day is old
    policy.save()
    now = timezone.now()
    received = now - timedelta(days=1, hours=6)
    make_incident(station, received_at=received)
    day = timezone.localtime(received, local_tz()).date()
    assert rollup.seal(StatUnit.DAY, day, now) is False
    assert not IncidentStatSeal.objects.filter(unit=StatUnit.DAY, start=day, sealed_at__isnull=False).exists()
    figures = selectors.dispatch_kpis(date_from=day, date_to=day, now=now)
    assert figures["stages"]["arrival"]["pending"] == 1


def test_nothing_recent_is_ever_sealed(station):
    now = timezone.now()
    make_incident(station, received_at=now - timedelta(minutes=30))
    rollup.refresh(now)
    today = timezone.localdate(now)
    assert not IncidentStatSeal.objects.filter(start=today, sealed_at__isnull=False).exists()
    assert not IncidentStatSeal.objects.filter(unit=StatUnit.MONTH, start=today.replace(day=1)).exists()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 5)), max_size=30),
        min_size=1,
        max_size=8,
    )
)
def test_fractiles_of_merged_histograms_are_the_nearest_rank_of_all_values(histograms):
    np = rollup.np
    owner, seconds, counts, values, by_station = [], [], [], [], {0: [], 1: [], 2: []}
    for i, hist in enumerate(histograms):
        for s, n in hist:  # the same second may come twice in one part: they simply add
            owner.append(i)
            seconds.append(s)
            counts.append(n)
            values += [s] * n
            by_station[i % 3] += [s] * n
    parts = rollup.Parts(
        month=np.full(len(histograms), -1),
        station_id=np.arange(len(histograms)) % 3,
        category=np.array(["dispute"] * len(histograms), object),
        counts=np.zeros((len(histograms), len(rollup.COUNT_KEYS)), np.int64),
        arrival_seconds=np.array(seconds, np.int64),
        arrival_n=np.array(counts, np.int64),
        arrival_owner=np.array(owner, np.int64),
        buckets=None,
    )
    expected = {name: nearest_rank(sorted(values), p) for name, p in rollup.PERCENTILES.items()}
    for dense_cells in (rollup.Combined.DENSE_CELLS, 0):  # a dense histogram, or only the seconds seen
        combined = rollup.Combined(parts)
        combined.DENSE_CELLS = dense_cells
        assert combined.figures()[0][1] == expected
        groups = combined.figures(parts.station_id, 3)
        for g in range(3):
            mine = sorted(by_station[g])
            assert groups[g][1] == {name: nearest_rank(mine, p) for name, p in rollup.PERCENTILES.items()}


def test_count_order_is_the_stored_format():
    """IncidentStat.counts is a vector in this order; changing it needs a migration that empties the
    stats and seals (they are rebuilt by the next refresh)."""
    assert rollup.COUNT_KEYS[:4] == ["incidents", "diverted", "out_of_order", "with_arrival"]
    assert rollup.COUNT_KEYS[4:8] == [f"dispatch__{k}" for k in ("within", "late", "missing", "pending")]
    assert len(rollup.COUNT_KEYS) == 20


def _expected_histograms(ranges, period_of):
    """Each stage's duration buckets and the arrival histogram per (period, station, category), row by
    row in Python: the not-diverted incidents whose duration for that stage is recorded; a bucket is
    the duration divided by BUCKET_SECONDS, truncated, from 0 up to LAST_BUCKET (everything above)."""
    from incidents.choices import STAGE_FIELD, STAGES, Status

    buckets, arrivals = Counter(), Counter()
    for start, end in ranges:
        for row in (
            Incident.objects.filter(received_at__gte=start, received_at__lt=end)
            .exclude(status=Status.DIVERTED)
            .values()
        ):
            group = (period_of(row["received_at"]), row["station_id"], row["category"])
            for i, stage in enumerate(STAGES):
                seconds = row[f"{STAGE_FIELD[stage]}_seconds"]
                if seconds is not None:
                    buckets[
                        (*group, i, max(0, min(int(seconds / rollup.BUCKET_SECONDS), rollup.LAST_BUCKET)))
                    ] += 1
            if row["arrival_seconds"] is not None:
                arrivals[(*group, row["arrival_seconds"])] += 1
    return buckets, arrivals


def _histograms_of(parts, period_of_part):
    buckets, arrivals = Counter(), Counter()
    for i in range(len(parts)):
        group = (period_of_part(parts.month[i]), int(parts.station_id[i]), str(parts.category[i]))
        for stage, row in enumerate(parts.buckets[i] if parts.buckets is not None else []):
            for bucket in row.nonzero()[0]:
                buckets[(*group, stage, int(bucket))] += int(row[bucket])
        for seconds, n in parts.arrivals_of(i):
            arrivals[(*group, int(seconds))] += int(n)
    return buckets, arrivals


def test_stage_buckets_and_arrivals_of_the_raw_rows_in_one_pass(history, station, other_station):
    """Sealing and verify read every stage's buckets and the arrival histogram of a span of rows in
    one scan: the same figures as counting the rows one by one, by day, by month and over a span."""
    now = history
    received = now - timedelta(days=20)
    settled(station, received_at=received, dispatch=5, video=1300, leader=119, arrival=1500)
    settled(other_station, received_at=received, dispatch=1199, arrival=1200, category="traffic")
    odd = settled(station, received_at=received, dispatch=30, arrival=300)
    Incident.objects.filter(pk=odd.pk).update(dispatch_seconds=-15, video_supervision_seconds=-5)
    tz = local_tz()
    day = timezone.localtime(received, tz).date()
    month = rollup.local_month_range(day.year, day.month)
    span = (now - timedelta(days=80), now)
    cases = [
        ([month], {"by_day": True}, lambda t: timezone.localtime(t, tz).day, int),
        (
            [span],
            {"by_month": True},
            lambda t: (timezone.localtime(t, tz).year, timezone.localtime(t, tz).month),
            lambda m: (int(m) // 12, int(m) % 12 + 1),
        ),
        (
            [(span[0], span[0] + timedelta(days=50)), (now - timedelta(days=25), now)],
            {},
            lambda t: None,
            lambda m: None,
        ),
    ]
    for ranges, split, period_of_row, period_of_part in cases:
        parts = rollup.raw_parts(ranges, now=now, buckets=True, **split)
        buckets, arrivals = _expected_histograms(ranges, period_of_row)
        assert sum(arrivals.values()) > 500 and any(k[-1] == rollup.LAST_BUCKET for k in buckets)
        assert _histograms_of(parts, period_of_part) == (buckets, arrivals), split
        # the arrival histogram alone (what period reads ask for) is the same
        alone = rollup.raw_parts(ranges, now=now, **split)
        assert _histograms_of(alone, period_of_part)[1] == arrivals


def test_histogram_blobs_round_trip(history):
    rollup.refresh(history)
    row = IncidentStat.objects.filter(unit=StatUnit.MONTH).first()
    pairs = rollup._decode(row.arrival_hist, 2)
    counts = dict(zip(rollup.COUNT_KEYS, rollup._decode(row.counts, len(rollup.COUNT_KEYS))[0], strict=True))
    assert counts["incidents"] > 0 and pairs[:, 1].sum() == counts["with_arrival"]
    assert list(pairs[:, 0]) == sorted(pairs[:, 0])
    buckets = rollup._decode(row.stage_buckets, rollup.LAST_BUCKET + 1)
    assert buckets.shape == (4, rollup.LAST_BUCKET + 1)
    assert int(buckets[3].sum()) == counts["with_arrival"]


def test_the_beat_job_seals_in_bounded_batches(station, settings):
    from incidents import tasks

    assert settings.CELERY_BEAT_SCHEDULE["incidents-stats-refresh"]["task"] == "incidents.tasks.stats_refresh"
    now = timezone.now()
    settled(station, received_at=now - timedelta(days=3), dispatch=30, arrival=300)
    first = tasks.stats_refresh.apply().get()
    assert first["day"] >= 1 and first["skipped"] == 0
    assert tasks.stats_refresh.apply().get() == {"day": 0, "month": 0, "skipped": 0}
    assert rollup.refresh(now, limit=1) == {"day": 0, "month": 0, "skipped": 0}


def test_incidents_cannot_be_deleted_in_the_admin(client, station):
    """Deleting a record would bypass the services (and leave a sealed unit stale): the admin refuses."""
    from qianwan.org.models import User

    admin_user = User.objects.create_superuser(username="root-admin", password="x-Admin-2026!", role="admin")
    incident = make_incident(station, received_at=timezone.now() - timedelta(days=5))
    client.force_login(admin_user)
    assert client.get(f"/admin/incidents/incident/{incident.pk}/delete/").status_code == 403
    assert client.get(f"/admin/incidents/incident/{incident.pk}/change/").status_code == 200


def test_sealstats_command_seals_history_at_once(station):
    from io import StringIO

    from django.core.management import call_command

    # 42 days back: in the first 3 hours after local midnight the last settled day is the day before
    # yesterday, and 40 days back left 39 sealed days
    settled(station, received_at=timezone.now() - timedelta(days=42), dispatch=30, arrival=300)
    out = StringIO()
    call_command("sealstats", stdout=out)
    assert "sealed" in out.getvalue()
    assert IncidentStatSeal.objects.filter(unit=StatUnit.DAY, sealed_at__isnull=False).count() >= 40


# ---------------------------------------------------------------------------------------------------
# A rollup that heals itself: bulk loads unseal per chunk, verify finds stale seals, repair reseals


def _local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=local_tz())


def _raw_month_counts(now, months=4):
    """Incidents per local month straight from the rows (no rollup)."""
    tz = local_tz()
    return Counter(
        (timezone.localtime(r, tz).year, timezone.localtime(r, tz).month)
        for r in Incident.objects.values_list("received_at", flat=True)
    )


def _api_month_counts(now):
    rows = selectors.incident_trend(months=4, now=now)["months"]
    return {tuple(int(x) for x in r["month"].split("-")): r["incidents"] for r in rows}


def _verify_exit(**kw):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    try:
        call_command("sealstats", "--verify", stdout=out, **kw)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_interrupted_bulk_load_and_raw_insert_are_found_and_repaired(station, other_station):
    now = timezone.now()
    start = now - timedelta(days=100)
    generate(n=600, start=start, end=now - timedelta(days=1), seed=3, chunk=300)
    rollup.refresh(now)
    assert _verify_exit() == (0, mock.ANY)

    # a second load interrupted after its first chunk: that chunk is committed, its units unsealed
    class Interrupted(Exception):
        pass

    def stop(done, total):
        raise Interrupted

    with pytest.raises(Interrupted):
        generate(
            n=600, start=start, end=now - timedelta(days=1), seed=4, chunk=200, prefix="X", progress=stop
        )
    later = now + timedelta(minutes=1)
    assert _api_month_counts(later) == {
        k: v for k, v in _raw_month_counts(later).items() if k in _api_month_counts(later)
    }
    code, _out = _verify_exit()
    assert code == 0  # nothing sealed over the interrupted chunk: its units were unsealed with it
    rollup.refresh(later)

    # bypass the services: a raw SQL insert into a sealed day
    day = timezone.localdate(now) - timedelta(days=20)
    assert IncidentStatSeal.objects.get(unit=StatUnit.DAY, start=day).sealed_at is not None
    from django.db import connection

    received = _local_midnight(day)
    columns = [
        f.column for f in Incident._meta.concrete_fields if f.column not in ("id", "number", "received_at")
    ]
    listed = ", ".join(columns)
    sql = (
        f"INSERT INTO incidents_incident (number, received_at, {listed}) "  # noqa: S608 (our column names)
        f"SELECT %s, %s, {listed} FROM incidents_incident ORDER BY id LIMIT 1"
    )
    with connection.cursor() as cursor:
        for i in range(3):
            cursor.execute(sql, [f"RAW{i}", received + timedelta(hours=10 + i)])
    stale = _api_month_counts(later)
    assert stale != {k: v for k, v in _raw_month_counts(later).items() if k in stale}

    code, out = _verify_exit()
    assert code == 1
    assert f"MISMATCH day {day}" in out and f"MISMATCH month {day.replace(day=1)}" in out
    assert "1 mismatches" not in out and "2 mismatches" in out

    code, out = _verify_exit(since=(day + timedelta(days=1)).isoformat())
    assert f"MISMATCH day {day}:" not in out  # --since leaves earlier days out (their month is checked)

    code, out = _verify_exit(repair=True)
    assert code == 0 and "repaired: resealed 2 of 2 units" in out
    assert _verify_exit() == (0, mock.ANY)
    fixed = _api_month_counts(later)
    assert fixed == {k: v for k, v in _raw_month_counts(later).items() if k in fixed}
    assert IncidentStatSeal.objects.get(unit=StatUnit.DAY, start=day).sealed_at is not None
    raw_day = Incident.objects.filter(
        received_at__gte=received, received_at__lt=received + timedelta(days=1)
    ).count()
    assert selectors.dispatch_kpis(date_from=day, date_to=day, now=later)["incidents"] == raw_day


def test_unseal_range_bumps_every_unit_sealed_or_not(station):
    now = timezone.now()
    day = timezone.localdate(now) - timedelta(days=10)
    settled(station, received_at=_local_midnight(day) + timedelta(hours=9), dispatch=30, arrival=300)
    rollup.refresh(now)
    sealed_day = IncidentStatSeal.objects.get(unit=StatUnit.DAY, start=day)
    other = day - timedelta(days=400)  # never sealed, no row yet
    start, end = rollup.local_day_range(other, day)
    rollup.unseal_range(start, end)
    sealed_day.refresh_from_db()
    assert sealed_day.sealed_at is None and sealed_day.version >= 2
    fresh = IncidentStatSeal.objects.get(unit=StatUnit.DAY, start=other)
    assert fresh.sealed_at is None and fresh.version == 1
    rollup.unseal_range(start, end)
    fresh.refresh_from_db()
    assert fresh.version == 2


def test_a_seal_that_read_its_version_before_a_chunk_cannot_seal_without_it(station, monkeypatch):
    """A builder computes a unit while a bulk chunk (same transaction as its unseal) commits: the
    version it read is stale, so it does not seal."""
    now = timezone.now()
    day = timezone.localdate(now) - timedelta(days=5)
    at = _local_midnight(day) + timedelta(hours=8)
    settled(station, received_at=at, dispatch=30, arrival=300)
    real_raw_parts = rollup.raw_parts

    def raw_parts_then_bulk_load(*args, **kwargs):
        parts = real_raw_parts(*args, **kwargs)
        generate(n=5, start=at, end=at + timedelta(hours=1), seed=9, chunk=5, prefix="B")
        return parts

    monkeypatch.setattr(rollup, "raw_parts", raw_parts_then_bulk_load)
    assert rollup.seal(StatUnit.DAY, day, now) is False
    monkeypatch.setattr(rollup, "raw_parts", real_raw_parts)
    assert rollup.seal(StatUnit.DAY, day, now) is True
    assert selectors.dispatch_kpis(date_from=day, date_to=day, now=now)["incidents"] == 6


def test_demo_reset_unseals_what_it_deletes(station):
    from incidents import demo

    now = timezone.now()
    generate(
        n=40, start=now - timedelta(days=30), end=now - timedelta(days=2), seed=5, prefix=demo.DEMO_PREFIX
    )
    rollup.refresh(now)
    assert (
        selectors.dispatch_kpis(
            date_from=timezone.localdate(now) - timedelta(days=31), date_to=timezone.localdate(now), now=now
        )["incidents"]
        == 40
    )
    demo.reset()
    assert (
        selectors.dispatch_kpis(
            date_from=timezone.localdate(now) - timedelta(days=31), date_to=timezone.localdate(now), now=now
        )["incidents"]
        == 0
    )
    assert _verify_exit()[0] == 0


def test_bulk_load_analyzes_every_table_it_wrote(station):
    from django.db import connection

    from incidents.generate import WRITTEN_TABLES

    now = timezone.now()
    generate(n=30, start=now - timedelta(days=3), end=now - timedelta(days=1), seed=6)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)",
            [WRITTEN_TABLES],
        )
        analysed = {r[0] for r in cursor.fetchall()}
    assert analysed == set(WRITTEN_TABLES)
    assert {"incidents_incident", "incidents_slaclock", "incidents_incidentevent"} <= analysed


def test_nightly_sample_notifies_admins_of_a_mismatch(station, make_user):
    from django.db import connection

    from incidents.services import stats_verify_sample
    from qianwan.notify.models import Notification

    admin = make_user("admin")
    now = timezone.now()
    generate(n=50, start=now - timedelta(days=6), end=now - timedelta(days=2), seed=8)
    rollup.refresh(now)
    assert stats_verify_sample(size=100, now=now)["mismatches"] == 0
    assert not Notification.objects.filter(kind="incidents.stats_mismatch").exists()
    victim = Incident.objects.order_by("id").values_list("id", flat=True).first()
    with connection.cursor() as cursor:  # bypass the services (and the admin's refusal to delete)
        for table in ("incidents_slaclock", "incidents_incidentevent"):
            cursor.execute(f"DELETE FROM {table} WHERE incident_id = %s", [victim])  # noqa: S608
        cursor.execute("DELETE FROM incidents_incident WHERE id = %s", [victim])
    result = stats_verify_sample(size=100, now=now)
    assert result["mismatches"] >= 1  # its day (and its month, when that is over and sealed)
    note = Notification.objects.get(kind="incidents.stats_mismatch")
    assert list(note.inbox_items.values_list("recipient", flat=True)) == [admin.pk]
    assert "sealstats --verify --repair" in note.body
