"""gendata's generator at city scale (issue 21, item 7): time-ordered chunks built on a second thread,
ids reserved up front, officers and audit rows written with the incidents, and secondary indexes
dropped for a large load and built again after — even after a load that was killed."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from disputes.models import Dispute
from incidents.generate import generate
from incidents.models import Incident, IncidentEvent, SlaClock
from qianwan.audit.models import AuditEntry
from qianwan.bulkload import DEFERRED_TABLE, deferred_indexes
from tests.incidents.factories import settled

LOADED = ["incidents_incident", "incidents_slaclock", "incidents_incidentevent", "audit_auditentry"]


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [LOADED],
        )
        return dict(cursor.fetchall())


def _officers(station, make_user, count):
    return [make_user("officer", username=f"gen-{station.code}-{k}") for k in range(count)]


@pytest.mark.django_db
def test_chunks_go_in_time_order_with_every_row_they_need(station, other_station, make_user):
    crew = _officers(station, make_user, 3)
    now = timezone.now()
    n = generate(n=3000, start=now - timedelta(days=40), end=now, seed=4, chunk=700, audit=True)
    assert n == 3000
    rows = list(Incident.objects.order_by("id").values_list("id", "received_at", "station_id", "number"))
    assert len(rows) == 3000 and len({r[3] for r in rows}) == 3000
    # ids follow time, except where a day is split between two chunks (at most one step back each)
    backwards = sum(1 for a, b in zip(rows, rows[1:], strict=False) if b[1] < a[1])
    assert backwards <= 3000 // 700
    assert SlaClock.objects.count() == 4 * 3000
    ids = {r[0] for r in rows}
    assert set(IncidentEvent.objects.values_list("incident_id", flat=True).distinct()) == ids
    # the reserved ids are past the sequences: the next incident and its steps do not collide
    settled(station, received_at=now - timedelta(hours=2), dispatch=30, arrival=300, close=900)
    assert Incident.objects.count() == 3001
    # two officers of the station on each dispatched/arrived step (the other station has none)
    through = IncidentEvent.officers.through
    named = through.objects.filter(
        incidentevent__incident__station=station, incidentevent__incident__number__startswith="G"
    )
    steps = IncidentEvent.objects.filter(
        incident__station=station, incident__number__startswith="G", kind__in=["dispatched", "arrived"]
    )
    assert named.count() == 2 * steps.count() > 0
    assert set(named.values_list("user_id", flat=True)) <= {u.pk for u in crew}
    assert not through.objects.filter(incidentevent__incident__station=other_station).exists()
    # one audit row per incident: its creation, by one of the station's officers
    audit = AuditEntry.objects.filter(action="incident.create", object_repr__startswith="G")
    assert audit.count() == 3000
    first = rows[0]
    entry = audit.get(object_id=str(first[0]))
    assert entry.after["number"] == first[3] and entry.after["station"] == first[2]
    assert entry.at == first[1] + timedelta(seconds=20)
    if first[2] == station.pk:
        assert entry.actor_id in {u.pk for u in crew}
    else:
        assert entry.actor_id is None and entry.actor_label == "system"


@pytest.mark.django_db(transaction=True)
def test_a_large_load_drops_secondary_indexes_and_builds_them_again(station):
    before = _indexes()
    seen = {}

    def look(done, total):
        seen.setdefault("during", _indexes())

    now = timezone.now()
    generate(
        n=1200,
        start=now - timedelta(days=20),
        end=now,
        chunk=400,
        audit=True,
        defer_indexes=True,
        progress=look,
    )
    during = seen["during"]
    dropped = set(before) - set(during)
    # the time, station, status, category and phone indexes go; unique ones and primary keys stay
    assert {"incidents_i_receive_029402_idx", "incident_phone_idx", "incident_status_received_idx"} <= dropped
    assert {"incidents_incident_pkey", "incidents_incident_number_key", "clock_once_per_stage"} <= set(during)
    assert _indexes() == before
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFERRED_TABLE}")  # noqa: S608
        assert cursor.fetchone()[0] == 0
    assert Incident.objects.count() == 1200


@pytest.mark.django_db(transaction=True)
def test_indexes_left_dropped_by_a_killed_load_come_back_with_the_next(station):
    before = _indexes()
    killed = deferred_indexes(LOADED)
    killed.__enter__()  # dropped and recorded; the process dies here, so no __exit__ ever runs
    assert set(_indexes()) < set(before)
    generate(n=50, start=timezone.now() - timedelta(days=3), end=timezone.now(), defer_indexes=False)
    assert _indexes() == before


@pytest.mark.django_db
def test_gendata_fills_the_other_lists_and_refuses_a_bad_span(station, other_station):
    out = io.StringIO()
    call_command("gendata", incidents=2000, months=3, chunk=800, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "peak memory" in text and "sealing" in text
    assert Incident.objects.count() == 2000
    assert AuditEntry.objects.filter(action="incident.create").count() == 2000
    assert Dispute.objects.exists()
    for months in (0, 61):
        with pytest.raises(CommandError, match="--months"):
            call_command("gendata", incidents=10, months=months)


@pytest.mark.django_db
def test_gendata_incidents_only_writes_no_audit(station):
    call_command(
        "gendata", incidents=300, months=60, incidents_only=True, stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert Incident.objects.count() == 300
    assert not AuditEntry.objects.filter(action="incident.create").exists()
    assert not Dispute.objects.exists()
