"""Reads of attachments: a record's files, and one file if its record is in the caller's scope."""

from django.db.models import QuerySet

from . import registry
from .models import Attachment


def for_record(*, kind: str, record_id: int) -> QuerySet[Attachment]:
    return Attachment.objects.filter(record_kind=kind, record_id=record_id).select_related("uploaded_by")


def attachment_get(*, user, pk) -> Attachment | None:
    """The attachment ``pk`` if ``user`` may see its record, else None (404 for the caller)."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        return None
    item = Attachment.objects.filter(pk=int(pk)).select_related("uploaded_by").first()
    if item is None or item.record_kind not in registry.RECORDS:
        return None
    if not registry.visible(item.record_kind, user).filter(pk=item.record_id).exists():
        return None
    return item


def sees_capture_facts(user) -> bool:
    """Capture time and GPS position are shown to police roles only."""
    return getattr(user, "role", None) in registry.POLICE_ROLES
