"""Hazard evidence moved onto the attachment store: the data migration turns every ``HazardEvidence``
file into an attachment of its hazard (same uploader, time, note, name; re-encoded image, thumbnail,
the SHA-256 of the file as uploaded), and running it again adds nothing."""

import hashlib
import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone

from qianwan.attachments.models import Attachment
from risks.models import HazardEvidence
from tests.field.test_attachments import gps_jpeg

from .factories import PDF, make_hazard

pytestmark = pytest.mark.django_db

migration = importlib.import_module("qianwan.attachments.migrations.0003_hazard_evidence_to_attachments")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def old_evidence(hazard, user, name, content, content_type, *, days_ago=30, note=""):
    """A row as the risks app wrote it before the move."""
    item = HazardEvidence(
        hazard=hazard,
        original_name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        note=note,
        uploaded_by=user,
    )
    item.file.save("evidence", ContentFile(content), save=False)
    item.save()
    HazardEvidence.objects.filter(pk=item.pk).update(uploaded_at=timezone.now() - timedelta(days=days_ago))
    item.refresh_from_db()
    return item


def test_existing_evidence_becomes_attachments_of_its_hazard(officer):
    hazard = make_hazard(officer.station, officer)
    photo = gps_jpeg()
    jpg = old_evidence(hazard, officer, "现场.jpg", photo, "image/jpeg", note="现场照片")
    pdf = old_evidence(hazard, None, "整改通知.pdf", PDF, "application/pdf", days_ago=3)
    assert not Attachment.objects.exists()

    migration.copy_hazard_evidence(apps, None)

    items = {a.original_name: a for a in Attachment.objects.filter(record_kind="hazard", record_id=hazard.pk)}
    assert set(items) == {"现场.jpg", "整改通知.pdf"}
    a = items["现场.jpg"]
    assert a.uploaded_by_id == officer.pk and a.uploaded_at == jpg.uploaded_at and a.note == "现场照片"
    assert a.sha256 == jpg.sha256 and a.content_type == "image/jpeg" and a.thumbnail
    assert a.file.name != jpg.file.name and a.size == a.file.size
    assert round(a.lat, 3) == 30.29 and round(a.lon, 3) == 121.185 and a.taken_at is not None
    with a.file.open("rb") as fh:
        assert b"Exif" not in fh.read()  # re-encoded without metadata, like every attachment
    p = items["整改通知.pdf"]
    assert p.uploaded_by_id is None and p.uploaded_at == pdf.uploaded_at and not p.thumbnail
    with p.file.open("rb") as fh:
        assert fh.read() == PDF

    # a second run adds nothing
    migration.copy_hazard_evidence(apps, None)
    assert Attachment.objects.count() == 2
    assert HazardEvidence.objects.count() == 2  # the old rows stay (read-only) this round


def test_evidence_endpoint_lists_migrated_files(api_as, officer):
    hazard = make_hazard(officer.station, officer)
    old = old_evidence(hazard, officer, "report.pdf", PDF, "application/pdf", note="旧材料")
    migration.copy_hazard_evidence(apps, None)
    client = api_as(officer)
    listed = client.get(f"/api/v1/hazards/{hazard.pk}/evidence/").json()
    assert [(e["original_name"], e["note"], e["sha256"]) for e in listed] == [
        ("report.pdf", "旧材料", old.sha256)
    ]
    r = client.get(listed[0]["url"])
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
