"""gendata_district: the other apps' records in proportion to the incidents, and the dashboard reads them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from disputes.models import Dispute
from qianwan.bulkload import PER_INCIDENT
from qianwan.dashboard import selectors
from qianwan.dashboard.periods import parse_period
from risks.models import Hazard
from traffic.models import Accident

pytestmark = pytest.mark.django_db


def test_gendata_district_proportional(station, other_station, bureau, capsys):
    call_command("gendata_district", incidents=4000, years=2, chunk=2000)
    out = capsys.readouterr().out
    assert "done in" in out
    assert Dispute.objects.count() == round(4000 * PER_INCIDENT["disputes"])
    assert Hazard.objects.count() == round(4000 * PER_INCIDENT["hazards"])
    assert Accident.objects.count() == round(4000 * PER_INCIDENT["accidents"])
    # handled disputes got follow-ups; verified close-outs are by a second person
    assert Dispute.objects.filter(followups__isnull=False).exists()
    closed = Hazard.objects.filter(status="closed").first()
    assert closed is None or closed.closed_by_id != closed.recorded_by_id
    today = timezone.localdate()
    period = parse_period({"period": "custom", "from": str(today - timedelta(days=365)), "to": str(today)})
    data = selectors.figures(user=bureau, period=period)
    cards = {c["key"]: c for s in data["sections"] for c in s["cards"]}
    assert cards["incidents"]["value"] > 1500
    assert cards["found"]["value"] > 0 and cards["accidents"]["value"] > 0
    assert cards["dispute_incidents"]["value"] > 0


def test_gendata_district_refuses_nonsense():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("gendata_district", incidents=0)


@pytest.mark.parametrize("use_copy", [True, False])
def test_column_writer_gives_what_bulk_create_gives(station, use_copy):
    """The vectorised writer (COPY, or bulk_create elsewhere): NULLs stay NULL, '' stays '', unset
    columns get the field's default, timestamps and dates round-trip."""
    import numpy as np
    import pandas as pd

    from qianwan.bulkload import local_dates as _local_dates
    from qianwan.bulkload import timestamps as _ts
    from qianwan.bulkload import write_rows as _write

    now = timezone.now()
    at = np.array([now.timestamp() - 86400 * 3, now.timestamp() - 3600])
    done = np.array([True, False])
    _write(
        Hazard,
        {
            "number": np.array(["X1", "X2"], dtype=object),
            "title": "隐患",
            "category": "fire",
            "level": "low",
            "station_id": station.pk,
            "found_at": _ts(at),
            "rectify_by": _ts(at + 86400 * 7),
            "status": np.array(["rectified", "open"], dtype=object),
            "rectified_at": _ts(at + 60, done),
            "reopen_count": pd.Series([2, 0]).astype("Int64"),
        },
        2,
        now,
        use_copy=use_copy,
    )
    a, b = Hazard.objects.get(number="X1"), Hazard.objects.get(number="X2")
    assert abs(a.found_at.timestamp() - at[0]) < 1e-3
    assert a.rectified_at is not None and b.rectified_at is None
    assert a.address == "" and a.notes == "" and a.lat is None and a.reopen_count == 2
    assert abs((a.created_at - now).total_seconds()) < 60
    assert a.reminder_stage == Hazard._meta.get_field("reminder_stage").get_default()
    assert b.status == "open" and b.closed_by_id is None
    assert list(_local_dates(at, done)) == [timezone.localtime(a.found_at).date(), None]
