"""Checking evidence uploads: size, and type by the file's first bytes (never the name or the
browser's Content-Type, which the uploader controls)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import EvidenceKind

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_MAGIC = [
    (b"\xff\xd8\xff", EvidenceKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", EvidenceKind.PNG),
    (b"%PDF-", EvidenceKind.PDF),
]


def max_bytes() -> int:
    return int(getattr(settings, "RISKS_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> str | None:
    """The evidence kind the bytes start with, or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def check_upload(upload) -> str:
    """Validate an UploadedFile; returns its sniffed content type or raises ValidationError."""
    if upload is None:
        raise ValidationError({"file": [_("请选择要上传的文件。")]})
    limit = max_bytes()
    if upload.size == 0:
        raise ValidationError({"file": [_("文件为空。")]})
    if upload.size > limit:
        raise ValidationError(
            {
                "file": [
                    _("文件过大（%(size).1f MB），单个文件不能超过 %(limit).0f MB。")
                    % {"size": upload.size / 1048576, "limit": limit / 1048576}
                ]
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError({"file": [_("只能上传 JPEG、PNG 图片或 PDF 文件（按文件内容识别）。")]})
    return kind
