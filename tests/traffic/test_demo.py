import pytest

from traffic import demo, selectors
from traffic.models import Accident, Asset, PatrolZone

pytestmark = pytest.mark.django_db


def test_demo_loads_nine_zones_idempotently():
    from qianwan.org import demo as org_demo

    org_demo.load()
    summary = demo.load()
    assert "9 zones" in summary, summary
    assert PatrolZone.objects.count() == 9
    assert (
        Asset.objects.filter(kind="camera").count() == 12
        and Asset.objects.filter(kind="radar_sign").count() == 4
    )
    accidents = Accident.objects.count()
    assert accidents > 40
    assert not Accident.objects.filter(zone__isnull=True).exists()
    # every station's own location is inside a zone, and teams are on duty now
    for zone in PatrolZone.objects.all():
        assert selectors.team_on_duty(zone) is not None
    demo.load()
    assert PatrolZone.objects.count() == 9 and Accident.objects.count() == accidents
    demo.reset()
    assert not PatrolZone.objects.exists()
