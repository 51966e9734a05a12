"""A real Celery worker on real Redis runs the follow-up sweep; run twice, it still reminds once."""

import time

import pytest

from disputes.tasks import followup_sweep
from qianwan.notify.models import Notification
from tests.disputes.factories import handled_dispute

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sweep_env(monkeypatch):
    """The worker reads the cadence from its environment: remind at any hour, and a monthly count so
    high that a dispute with no visit is behind on any day of the month."""
    monkeypatch.setenv("DISPUTES_SWEEP_HOUR", "0")
    monkeypatch.setenv("DISPUTES_FOLLOWUPS_PER_MONTH", "40")


def test_worker_sweep_reminds_once(sweep_env, celery_worker_proc, officer, settings):
    settings.DISPUTES_FOLLOWUPS_PER_MONTH = 40
    dispute = handled_dispute(officer.station, officer)
    followup_sweep.delay()
    followup_sweep.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and celery_worker_proc.log().count("succeeded") < 2:
        time.sleep(0.2)
    log = celery_worker_proc.log()
    assert log.count("disputes.tasks.followup_sweep") >= 2 and log.count("succeeded") >= 2, log[-2000:]
    notes = Notification.objects.filter(kind="disputes.followup_behind")
    assert notes.count() == 1, log[-2000:]
    assert notes.get().key.startswith(f"disputes.followup_behind:{dispute.pk}:")
    assert list(notes.get().inbox_items.values_list("recipient", flat=True)) == [officer.pk]
