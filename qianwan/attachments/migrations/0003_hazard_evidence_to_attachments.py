"""Hazard evidence moves onto the attachment store: every ``risks.HazardEvidence`` file becomes an
``Attachment`` of record ``hazard:<id>`` with the same uploader, upload time, note and original name,
and what the store computes on upload (images re-encoded without metadata, capture time and GPS read
from the original, a thumbnail; the SHA-256 of the file as uploaded). The old rows and files are
left in place, read-only (nothing writes them any more); a later migration may drop them.

Idempotent: a file already on the hazard (same SHA-256) is skipped, so running it twice adds nothing."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations

FOLDER = "attachments"
IMAGES = ("image/jpeg", "image/png")


def copy_hazard_evidence(apps, schema_editor):
    from qianwan.attachments import images
    from qianwan.security.uploads import safe_name

    HazardEvidence = apps.get_model("risks", "HazardEvidence")
    Attachment = apps.get_model("attachments", "Attachment")
    for ev in HazardEvidence.objects.order_by("pk").iterator():
        try:
            with default_storage.open(ev.file.name, "rb") as fh:
                data = fh.read()
        except (OSError, ValueError):
            data = None  # the file is gone from the disk: keep the row pointing at the old name
        digest = hashlib.sha256(data).hexdigest() if data is not None else ev.sha256
        if Attachment.objects.filter(record_kind="hazard", record_id=ev.hazard_id, sha256=digest).exists():
            continue
        facts = {"taken_at": None, "lat": None, "lon": None}
        thumb_name = ""
        if data is None:
            file_name, size = ev.file.name, ev.size
        else:
            stored = data
            thumb = b""
            if ev.content_type in IMAGES:
                try:
                    stored, thumb, facts = images.clean_image(data, ev.content_type)
                except (OSError, ValueError, SyntaxError):
                    stored, thumb = data, b""  # unreadable image: kept as it was, no thumbnail
            file_name = default_storage.save(safe_name(ev.content_type, folder=FOLDER), ContentFile(stored))
            if thumb:
                thumb_name = default_storage.save(
                    safe_name("image/jpeg", folder=f"{FOLDER}/thumbs"), ContentFile(thumb)
                )
            size = len(stored)
        item = Attachment.objects.create(
            record_kind="hazard",
            record_id=ev.hazard_id,
            phase="",
            file=file_name,
            thumbnail=thumb_name,
            content_type=ev.content_type,
            size=size,
            sha256=digest,
            original_name=ev.original_name[-200:],
            note=ev.note,
            uploaded_by_id=ev.uploaded_by_id,
            **facts,
        )
        # uploaded_at is auto_now_add: the evidence's own time is written after the insert
        Attachment.objects.filter(pk=item.pk).update(uploaded_at=ev.uploaded_at)


class Migration(migrations.Migration):
    dependencies = [
        ("attachments", "0002_attachment_note"),
        ("risks", "0002_operation_named_officers_typed_deployments"),
    ]

    operations = [migrations.RunPython(copy_hazard_evidence, migrations.RunPython.noop)]
