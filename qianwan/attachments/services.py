"""Attaching files to field records and removing them: validated by the one upload validator
(qianwan/security/uploads.py), images cleaned (qianwan/attachments/images.py), audited."""

import hashlib
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record
from qianwan.org.choices import LEADER_ROLES
from qianwan.security.uploads import IMAGES, safe_name, validate_upload

from . import images, registry
from .models import Attachment, Phase

REMOVE_WINDOW = timedelta(hours=24)
FOLDER = "attachments"


def resolve_record(*, user, ref, field: str = "record"):
    """The record ``ref`` names (``"kind:ID"`` or a model instance), if ``user`` may see it; else a 400
    naming ``field`` (a record outside the scope reads exactly like a missing one)."""
    if hasattr(ref, "_meta"):
        kind = registry.kind_of(ref)
        if kind is None:
            raise ValidationError({field: [_("该类记录不能添加附件。")]})
        pk = ref.pk
    else:
        parsed = registry.parse_ref(ref)
        if parsed is None:
            kinds = "、".join(registry.RECORDS)
            raise ValidationError(
                {field: [_("记录格式应为“类型:编号”，类型为 %(kinds)s 之一。") % {"kinds": kinds}]}
            )
        kind, pk = parsed
    record = registry.visible(kind, user).filter(pk=pk).first()
    if record is None:
        raise ValidationError({field: [_("找不到该记录，或无权访问。")]})
    return kind, record


def attachment_add(
    *,
    actor,
    record,
    upload,
    phase: str = "",
    field: str = "file",
    note: str = "",
    max_bytes: int | None = None,
) -> tuple[Attachment, bool]:
    """Attach ``upload`` to ``record`` (a model instance or ``"kind:ID"``); returns (attachment,
    created). The same file on the same record again returns the existing one (created False);
    anything the validator refuses is a 400 and nothing is stored."""
    kind, obj = resolve_record(user=actor, ref=record)
    if not registry.may_attach(kind, actor):
        raise PermissionDenied(_("无权为该记录添加附件。"))
    if phase and phase not in Phase.values:
        raise ValidationError({"phase": [_("阶段只能是 before（整改前）或 after（整改后）。")]})
    content_type = validate_upload(upload, kinds=("jpeg", "png", "pdf"), field=field, max_bytes=max_bytes)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    digest = hashlib.sha256(data).hexdigest()
    existing = Attachment.objects.filter(record_kind=kind, record_id=obj.pk, sha256=digest).first()
    if existing is not None:
        return existing, False
    facts = {"taken_at": None, "lat": None, "lon": None}
    thumb = b""
    stored = data
    if content_type in IMAGES:
        try:
            stored, thumb, facts = images.clean_image(data, content_type)
        except (OSError, ValueError, SyntaxError) as exc:
            raise ValidationError({field: [_("图片文件已损坏或不完整，无法识别。")]}) from exc
    try:
        with transaction.atomic():
            item = Attachment(
                record_kind=kind,
                record_id=obj.pk,
                phase=phase or "",
                content_type=content_type,
                size=len(stored),
                sha256=digest,
                original_name=str(getattr(upload, "name", "") or "")[-200:],
                note=(note or "")[:200],
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
                **facts,
            )
            item.file.name = default_storage.save(safe_name(content_type, folder=FOLDER), ContentFile(stored))
            if thumb:
                item.thumbnail.name = default_storage.save(
                    safe_name("image/jpeg", folder=f"{FOLDER}/thumbs"), ContentFile(thumb)
                )
            item.save()
            audit_record(
                actor=actor,
                action="attachments.add",
                obj=item,
                after={
                    "record": item.record_ref,
                    "content_type": content_type,
                    "size": item.size,
                    "sha256": digest,
                },
            )
    except IntegrityError:  # the same file raced in on the same record: the winner's row
        _remove_files(item)
        return Attachment.objects.get(record_kind=kind, record_id=obj.pk, sha256=digest), False
    return item, True


def _remove_files(item: Attachment) -> None:
    for f in (item.file, item.thumbnail):
        if f and f.name:
            try:
                default_storage.delete(f.name)
            except OSError:
                pass


def can_remove(user, item: Attachment, now=None) -> bool:
    """The uploader within 24 hours of the upload, or a leader."""
    now = now or timezone.now()
    if getattr(user, "role", None) in LEADER_ROLES:
        return True
    return item.uploaded_by_id == getattr(user, "pk", None) and now - item.uploaded_at <= REMOVE_WINDOW


def attachment_remove(*, actor, item: Attachment) -> None:
    """Remove an attachment (the caller already sees its record); audited."""
    if not can_remove(actor, item):
        raise PermissionDenied(_("只有上传人（24小时内）或领导可以删除附件。"))
    before = {"record": item.record_ref, "sha256": item.sha256, "uploaded_by": item.uploaded_by_id}
    with transaction.atomic():
        audit_record(actor=actor, action="attachments.remove", obj=item, before=before)
        item.delete()
        transaction.on_commit(lambda: _remove_files(item))
