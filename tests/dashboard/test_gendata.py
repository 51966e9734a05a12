"""gendata_district: the other apps' records in proportion to the incidents, and the dashboard reads them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from disputes.models import Dispute
from qianwan.dashboard import selectors
from qianwan.dashboard.gendata import PER_INCIDENT
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
