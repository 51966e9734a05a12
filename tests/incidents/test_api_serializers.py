"""The incident serializers write their fields out directly (the intake and list answers); their output
must be exactly what DRF's generic path makes of the declared fields, byte for byte once rendered."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from incidents import selectors
from incidents.api.serializers import IncidentDetailSerializer, IncidentSerializer, SlaSerializer
from incidents.models import Incident, SlaClock
from tests.incidents.factories import make_incident, record

pytestmark = pytest.mark.django_db


def _incidents(station):
    """Incidents in every state the answer can show: new, with steps (late and in time), overdue, with
    the timer's marks, corrected, diverted, closed, without coordinates."""
    now = timezone.now()
    new = make_incident(station, lat=30.33, lon=121.25)
    bare = make_incident(station, address="", description="", caller_phone="", lat=None, lon=None)
    stepped = make_incident(station, received_at=now - timedelta(minutes=4), lat=30.1, lon=121.0)
    record(stepped, "dispatched", after=30)
    first_video = record(stepped, "video_supervised", after=200)  # late: met is False
    record(stepped, "video_supervised", after=110, supersedes=first_video.pk, note="更正")
    SlaClock.objects.filter(incident=stepped, stage="leader").update(
        warned_at=now - timedelta(minutes=1, seconds=15), breached_at=now - timedelta(minutes=1)
    )
    overdue = make_incident(station, received_at=now - timedelta(minutes=20))
    SlaClock.objects.filter(incident=overdue).update(
        warned_at=now - timedelta(minutes=19),
        breached_at=now - timedelta(minutes=18),
        escalated_at=now - timedelta(minutes=10),
    )
    diverted = make_incident(station, category="non_police", received_at=now - timedelta(minutes=2))
    record(diverted, "dispatched", after=20)
    record(diverted, "diverted", after=60, target="12345", note="路灯损坏")
    closed = make_incident(station, received_at=now - timedelta(hours=2))
    for kind, after in [
        ("dispatched", 40),
        ("video_supervised", 90),
        ("leader_notified", 150),
        ("arrived", 400),
        ("closed", 3600),
    ]:
        record(closed, kind, after=after)
    return [new, bare, stepped, overdue, diverted, closed]


def _rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.mark.parametrize("role", ["officer", "bureau_leader"])  # the phone unmasked, and masked
def test_direct_output_is_drf_generic_output(station, make_user, role):
    user = make_user(role=role, station=station if role == "officer" else None)
    ids = [i.pk for i in _incidents(station)]
    context = {"request": SimpleNamespace(user=user), "now": timezone.now()}
    for serializer_class, queryset in [
        (IncidentSerializer, selectors.incident_list(user=user)),
        (IncidentDetailSerializer, selectors.incident_detail(user=user)),
    ]:
        for incident in queryset.filter(pk__in=ids):
            direct = serializer_class(incident, context=context).data
            generic = serializers.ModelSerializer.to_representation(
                serializer_class(incident, context=context), incident
            )
            assert _rendered(direct) == _rendered(generic), incident.number
            assert list(direct) == serializer_class.Meta.fields
        # many=True goes through the same direct path
        many = serializer_class(queryset.filter(pk__in=ids).order_by("pk"), many=True, context=context).data
        assert [row["id"] for row in many] == sorted(ids)


def test_sla_rows_are_the_sla_serializer_output(station):
    now = timezone.now()
    ids = [i.pk for i in _incidents(station)]
    blocks = [
        selectors.sla_block(incident, now)
        for incident in Incident.objects.filter(pk__in=ids).prefetch_related("clocks")
    ]
    rows = [row for block in blocks for row in block]
    # every value a row can hold is covered: done and open, met True/False/None, overdue, the marks
    assert {row["met"] for row in rows} == {True, False, None}
    assert {row["overdue"] for row in rows} == {True, False}
    assert any(row["not_needed"] for row in rows)
    for mark in ("warned_at", "breached_at", "escalated_at"):
        assert any(row[mark] is not None for row in rows), mark
    for block in blocks:
        assert _rendered(SlaSerializer.rows(block)) == _rendered(SlaSerializer(block, many=True).data)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_category_display_is_djangos(language):
    from django.utils import translation

    from incidents.choices import Category

    field = Incident._meta.get_field("category")
    with translation.override(language):
        for value in [*Category.values, "not-a-category"]:
            incident = Incident(category=value)
            assert incident.get_category_display() == incident._get_FIELD_display(field), value
