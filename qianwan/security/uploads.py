"""Uploads for every app: size and type limits by content sniffing, safe stored names under
MEDIA_ROOT (outside the web root), and serving a stored file only to a caller whose scope covers it.

Every file field of the platform goes through here (rosters, imports, letters, evidence, lecture
materials; the field-records photos next). Usage in a service::

    stored = store_upload(upload, folder="antifraud/letters", kinds=("pdf", "jpeg", "png"))
    Letter.objects.create(..., file=stored.name, content_type=stored.content_type, size=stored.size)

and in a view (the queryset is already the caller's scope, so out-of-scope is a 404)::

    return serve_scoped(request, queryset=letter_list(user=request.user), pk=pk, file_field="file")

Never trust the file name or the browser's Content-Type: both are chosen by the uploader.
"""

import hashlib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000  # 40 megapixels (api-contract.md, attachments)


class Kind:
    """Upload kinds we accept, as MIME types (what we store and serve back)."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    CSV = "text/csv"


EXTENSIONS = {Kind.JPEG: "jpg", Kind.PNG: "png", Kind.PDF: "pdf", Kind.XLSX: "xlsx", Kind.CSV: "csv"}
LABELS = {Kind.JPEG: "JPEG", Kind.PNG: "PNG", Kind.PDF: "PDF", Kind.XLSX: "Excel (.xlsx)", Kind.CSV: "CSV"}
ALL_KINDS = (Kind.JPEG, Kind.PNG, Kind.PDF, Kind.XLSX)  # CSV only where a caller asks for it
IMAGES_AND_PDF = (Kind.JPEG, Kind.PNG, Kind.PDF)
IMAGES = (Kind.JPEG, Kind.PNG)
SHORT_NAMES = {
    "jpeg": Kind.JPEG,
    "jpg": Kind.JPEG,
    "png": Kind.PNG,
    "pdf": Kind.PDF,
    "xlsx": Kind.XLSX,
    "csv": Kind.CSV,
}


def max_upload_bytes() -> int:
    return int(getattr(settings, "QIANWAN_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_image_pixels() -> int:
    return int(getattr(settings, "QIANWAN_UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def as_kinds(kinds) -> tuple[str, ...]:
    """Kinds given as short names ("jpeg", "png", "pdf", "xlsx") or MIME types, as MIME types."""
    return tuple(SHORT_NAMES.get(k, k) for k in kinds)


def _is_xlsx(fileobj) -> bool:
    """An .xlsx is a ZIP holding ``[Content_Types].xml`` and ``xl/workbook.xml`` (OOXML).

    A bare ZIP, a .docx or a renamed archive is not accepted. Only the ZIP directory is read, never
    the members' content, so a ZIP bomb costs nothing here.
    """
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    finally:
        fileobj.seek(0)
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def _is_csv(fileobj) -> bool:
    """Text a CSV reader can take: UTF-8 (with or without BOM) or GB18030, no NUL bytes. Only tried
    where CSV is allowed (a text file is no binary kind's impostor)."""
    fileobj.seek(0)
    head = fileobj.read(65536)
    fileobj.seek(0)
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    if b"\x00" in head or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):  # binary, or markup
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start >= len(head) - 3:  # a character cut at the 64 KB mark
                return True
    return False


def sniff(fileobj) -> str | None:
    """The kind the content actually is (by magic bytes), or None."""
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    if isinstance(head, str):  # a text-mode file is never one of our binary kinds
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if head.startswith(b"%PDF-"):
        return Kind.PDF
    if head.startswith(b"PK\x03\x04") and _is_xlsx(fileobj):
        return Kind.XLSX
    return None


def _image_problem(upload, limit: int) -> str | None:
    """Why an upload that starts like a JPEG/PNG is not an acceptable image, or None: it must parse
    (header and, for PNG, every chunk's checksum) and stay within ``limit`` pixels. Pillow reads the
    dimensions from the header without decoding, so an image bomb costs nothing here."""
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > limit:
                return _("图片像素过大（%(w)d×%(h)d），不能超过 %(mp)d 百万像素。") % {
                    "w": width,
                    "h": height,
                    "mp": limit // 1_000_000,
                }
            image.verify()
    except Image.DecompressionBombError:
        return _("图片像素过大，不能超过 %(mp)d 百万像素。") % {"mp": limit // 1_000_000}
    except (OSError, SyntaxError, ValueError, EOFError):
        return _("图片文件已损坏或不完整，无法识别。")
    finally:
        upload.seek(0)
    return None


def validate_upload(
    upload,
    *,
    kinds=None,
    allowed=None,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    field: str = "file",
) -> str:
    """Check an UploadedFile's size, its type sniffed from the content (never the name or the
    browser's Content-Type) and, for images, its pixel count; returns the content type (a
    :class:`Kind`) or raises ``ValidationError({field: [message]})`` with a message a person can act
    on. ``kinds``: short names or MIME types, JPEG/PNG/PDF by default (``allowed`` is the same)."""
    allowed = as_kinds(kinds or allowed or IMAGES_AND_PDF)
    if upload is None:
        raise ValidationError({field: [_("请选择要上传的文件。")]})
    limit = max_bytes or max_upload_bytes()
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    if size == 0:
        raise ValidationError({field: [_("文件为空。")]})
    if size > limit:
        raise ValidationError(
            {
                field: [
                    _("文件过大（%(size).1f MB），单个文件不能超过 %(limit)s MB。")
                    % {"size": size / 1048576, "limit": f"{limit / 1048576:.1f}".removesuffix(".0")}
                ]
            }
        )
    kind = sniff(upload)
    if kind is None and Kind.CSV in allowed and _is_csv(upload):
        kind = Kind.CSV
    if kind is None or kind not in allowed:
        names = "、".join(LABELS[k] for k in allowed)
        raise ValidationError({field: [_("只能上传 %(kinds)s 文件（按文件内容识别）。") % {"kinds": names}]})
    if kind in IMAGES:
        problem = _image_problem(upload, max_pixels or max_image_pixels())
        if problem:
            raise ValidationError({field: [problem]})
    return kind


def safe_name(kind: str, *, folder: str) -> str:
    """``<folder>/<yyyy>/<mm>/<random>.<ext>``: nothing of the uploader's name reaches the disk."""
    folder = "/".join(part for part in folder.strip("/").split("/") if part not in ("", ".", ".."))
    today = timezone.localdate()
    return f"{folder}/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{EXTENSIONS[kind]}"


@dataclass(frozen=True)
class StoredFile:
    name: str  # the storage name, to put in a FileField
    content_type: str  # sniffed, never the browser's
    size: int
    sha256: str
    original_name: str  # for display only, never for a path


def store_upload(
    upload,
    *,
    folder: str,
    kinds=None,
    allowed=None,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    field: str = "file",
) -> StoredFile:
    """Validate and save an upload under MEDIA_ROOT with a random name. Call it inside the service
    transaction; a rollback leaves an unreferenced file under MEDIA_ROOT (never served: files are
    served only through a record)."""
    kind = validate_upload(
        upload, kinds=kinds, allowed=allowed, max_bytes=max_bytes, max_pixels=max_pixels, field=field
    )
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    name = default_storage.save(safe_name(kind, folder=folder), upload)
    original = Path(str(getattr(upload, "name", "") or "upload")).name[-200:]
    return StoredFile(
        name=name, content_type=kind, size=size, sha256=digest.hexdigest(), original_name=original
    )


def media_is_outside_web_root() -> bool:
    """MEDIA_ROOT must be neither inside a static directory nor served by a URL pattern."""
    media = Path(settings.MEDIA_ROOT).resolve()
    # STATICFILES_DIRS entries may be (prefix, path) pairs
    dirs = [d[1] if isinstance(d, (tuple, list)) else d for d in settings.STATICFILES_DIRS]
    static_dirs = [Path(settings.STATIC_ROOT), *(Path(d) for d in dirs)]
    return all(
        media != s.resolve() and s.resolve() not in media.parents and media not in s.resolve().parents
        for s in static_dirs
    )


def file_response(fieldfile, *, content_type: str, download_name: str) -> FileResponse:
    """Stream a stored file with its sniffed type; images inline, everything else as a download."""
    try:
        path = Path(fieldfile.path).resolve()
    except SuspiciousFileOperation as exc:  # a stored name that would leave MEDIA_ROOT
        raise Http404 from exc
    if Path(settings.MEDIA_ROOT).resolve() not in path.parents or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=content_type)
    disposition = "inline" if content_type in (Kind.JPEG, Kind.PNG) else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{download_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # a stored file opened in the browser runs no script, loads nothing and cannot be framed
    response["Content-Security-Policy"] = FILE_CSP
    return response


FILE_CSP = "default-src 'none'; img-src 'self'; frame-ancestors 'none'; sandbox"


def stored_kind(name: str) -> str:
    """The content type of a file stored by :func:`store_upload`, from the extension it gave it;
    anything else (a file stored before the validator) is served as an opaque download."""
    ext = (name or "").rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    return next((kind for kind, e in EXTENSIONS.items() if e == ext), "application/octet-stream")


def serve_file(fieldfile, *, stem: str) -> FileResponse:
    """Serve a stored file of a record the caller may already see; the type comes from the stored
    name (our random name and sniffed extension), the download name from ``stem``."""
    if not fieldfile:
        raise Http404
    content_type = stored_kind(fieldfile.name)
    ext = EXTENSIONS.get(content_type, "bin")
    return file_response(fieldfile, content_type=content_type, download_name=f"{stem}.{ext}")


def serve_scoped(
    request, *, queryset, pk, file_field: str = "file", content_type_field: str = "content_type"
) -> FileResponse:
    """Serve ``getattr(obj, file_field)`` of the object ``pk`` of ``queryset``, which must already be
    the caller's scope (``scope_queryset`` or the app's selector): out of scope is a 404, exactly like
    a missing record."""
    if not request.user.is_authenticated:
        raise Http404
    obj = get_object_or_404(queryset, pk=pk)
    fieldfile = getattr(obj, file_field)
    if not fieldfile:
        raise Http404
    content_type = getattr(obj, content_type_field, "") or stored_kind(fieldfile.name)
    if content_type not in EXTENSIONS:
        content_type = "application/octet-stream"
    ext = EXTENSIONS.get(content_type, "bin")
    return file_response(
        fieldfile, content_type=content_type, download_name=f"{obj._meta.model_name}-{obj.pk}.{ext}"
    )
