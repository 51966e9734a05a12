"""The demo and the generator on the record (issue 22, item 5): the campaign summary computed from
records shows the seed's figures; calls name officers; hot blocks have visits with photos."""

import os

import pytest
from django.core.management import call_command

from disputes import patrols
from disputes.models import Block, BlockVisit
from incidents.models import IncidentEvent
from qianwan.attachments.models import Attachment
from risks import selectors as risk_selectors
from risks.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_demo_campaign_summary_from_records_shows_the_seed_figures():
    call_command("loaddemo", stdout=open(os.devnull, "w"))
    campaign = Campaign.objects.get()
    summary = risk_selectors.campaign_summary(campaign=campaign)
    assert summary["operations"] == 7
    assert summary["officer_deployments"] >= 4000
    assert summary["venues_inspected"] >= 2000
    assert summary["problems_rectified"] >= 2500
    assert summary["violations"] >= 2250
    # the typed share is small and apart: the figure comes from the patrol records
    assert summary["manual"]["violations"] < 100
    assert summary["violations"] - summary["manual"]["violations"] >= 2250
    assert summary["patrols"] >= 63
    # the calls in progress name their officers
    assert IncidentEvent.objects.filter(kind="dispatched", officers__isnull=False).exists()
    # the hot blocks were walked, with photos; one is overdue
    rows = patrols.block_rows(Block.objects.all())
    hot = [r for r in rows if r["hot"]]
    assert hot and any(r["overdue"] for r in hot) and any(not r["overdue"] for r in hot)
    visits = BlockVisit.objects.filter(block__in=[r["block"] for r in hot])
    assert Attachment.objects.filter(
        record_kind="block_visit", record_id__in=visits.values_list("pk", flat=True), lat__isnull=False
    ).exists()
    call_command("loaddemo", stdout=open(os.devnull, "w"))  # idempotent
    assert risk_selectors.campaign_summary(campaign=campaign) == summary


def test_gendata_names_officers_and_generates_block_visits(station, other_station, make_user):
    from qianwan.org.choices import Role

    make_user(Role.OFFICER, username="g1")
    make_user(Role.OFFICER, username="g2")
    Block.objects.create(station=station, name="基准片区")
    call_command("gendata_district", incidents=2000, years=1, chunk=1000, stdout=open(os.devnull, "w"))
    named = IncidentEvent.objects.filter(kind="dispatched", incident__station=station, officers__isnull=False)
    assert named.exists()
    assert not IncidentEvent.objects.filter(
        kind="dispatched", incident__station=station, officers__isnull=True
    ).exists()
    assert BlockVisit.objects.filter(block__station=station).count() == 20
