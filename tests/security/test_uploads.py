"""The shared upload validator: size, type by content, safe names under MEDIA_ROOT, scoped serving."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory

from qianwan.security import uploads
from qianwan.security.uploads import Kind

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "警情"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize(
    "content,name,kind",
    [
        (PNG, "a.png", Kind.PNG),
        (JPEG, "a.jpg", Kind.JPEG),
        (PDF, "a.pdf", Kind.PDF),
        (None, "a.xlsx", Kind.XLSX),
        (PNG, "evil.pdf", Kind.PNG),  # the name lies; the content decides
    ],
)
def test_accepts_by_content(content, name, kind):
    content = content if content is not None else _xlsx()
    assert uploads.validate_upload(SimpleUploadedFile(name, content, content_type="text/html")) == kind


@pytest.mark.parametrize(
    "content,name",
    [
        (b"<html><script>alert(1)</script></html>", "a.png"),
        (b"MZ\x90\x00" + b"\x00" * 60, "a.pdf"),
        (b"GIF89a" + b"\x00" * 20, "a.gif"),
        (_zip(["word/document.xml", "[Content_Types].xml"]), "a.xlsx"),  # a .docx renamed
        (_zip(["a.txt"]), "a.xlsx"),
        (b"PK\x03\x04 not really a zip", "a.xlsx"),
        (b"%PD", "a.pdf"),
    ],
)
def test_refuses_other_content_with_a_message(content, name):
    with pytest.raises(ValidationError) as excinfo:
        uploads.validate_upload(SimpleUploadedFile(name, content))
    assert "按文件内容识别" in str(excinfo.value.message_dict["file"])


def test_allowed_kinds_are_per_call():
    with pytest.raises(ValidationError, match="PDF"):
        uploads.validate_upload(SimpleUploadedFile("a.png", PNG), allowed=(Kind.PDF,), field="letter")


def test_size_limits(settings):
    with pytest.raises(ValidationError, match="为空"):
        uploads.validate_upload(SimpleUploadedFile("a.png", b""))
    with pytest.raises(ValidationError, match="过大"):
        uploads.validate_upload(SimpleUploadedFile("a.png", PNG + b"\x00" * 2048), max_bytes=1024)
    settings.QIANWAN_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="过大"):
        uploads.validate_upload(SimpleUploadedFile("a.png", PNG))
    with pytest.raises(ValidationError, match="选择"):
        uploads.validate_upload(None)


def test_stored_under_media_root_with_a_random_name(media):
    stored = uploads.store_upload(SimpleUploadedFile("../../etc/passwd.png", PNG), folder="../evidence/./x")
    path = (Path(media) / stored.name).resolve()
    assert Path(media).resolve() in path.parents and path.read_bytes() == PNG
    assert stored.name.startswith("evidence/x/") and stored.name.endswith(".png")
    assert "passwd" not in stored.name and ".." not in stored.name
    assert stored.original_name == "passwd.png" and stored.size == len(PNG) and len(stored.sha256) == 64
    other = uploads.store_upload(SimpleUploadedFile("a.png", PNG), folder="evidence/x")
    assert other.name != stored.name


def test_media_root_is_outside_the_web_root(client, settings):
    from django.conf import settings as live

    assert uploads.media_is_outside_web_root()
    settings.MEDIA_ROOT = Path(live.STATICFILES_DIRS[0]) / "media"
    assert not uploads.media_is_outside_web_root()


def test_media_is_never_served_by_url(client, officer, media):
    from django.conf import settings as live

    stored = uploads.store_upload(SimpleUploadedFile("a.png", PNG), folder="evidence")
    client.force_login(officer)
    for prefix in (live.MEDIA_URL, "/media/", "/static/"):
        assert client.get(prefix + stored.name).status_code == 404


def test_serve_scoped_only_inside_the_scope(officer, make_user, station, other_station, media):
    """Real stored rows (the risks app's evidence model has the fields the helper expects); the
    queryset is the caller's scope, so another station's file is a 404 like a missing one."""
    from django.core.files.base import ContentFile

    from qianwan.org.scopes import scope_queryset
    from risks.models import HazardEvidence
    from tests.risks.factories import make_hazard

    def evidence(st):
        stored = uploads.store_upload(SimpleUploadedFile("a.pdf", PDF), folder="t")
        hazard = make_hazard(st, make_user("officer", station_=st))
        item = HazardEvidence(
            hazard=hazard,
            original_name="a.pdf",
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
        )
        item.file.save("a.pdf", ContentFile(PDF), save=False)
        item.save()
        return item

    mine, theirs = evidence(station), evidence(other_station)
    request = RequestFactory().get("/")
    request.user = officer
    scoped = scope_queryset(HazardEvidence.objects.all(), officer, station_field="hazard__station")

    response = uploads.serve_scoped(request, queryset=scoped, pk=mine.pk)
    assert response["Content-Type"] == Kind.PDF and response["Content-Disposition"].startswith("attachment")
    assert (
        response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    )
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF
    with pytest.raises(Http404):
        uploads.serve_scoped(request, queryset=scoped, pk=theirs.pk)
    # a stored name that escapes MEDIA_ROOT is refused
    mine.file.name = "../../outside.pdf"
    with pytest.raises(Http404):
        uploads.file_response(mine.file, content_type=Kind.PDF, download_name="x.pdf")


def test_anonymous_never_gets_a_file(officer):
    from django.contrib.auth.models import AnonymousUser

    from qianwan.notify.models import Notification

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(Http404):
        uploads.serve_scoped(request, queryset=Notification.objects.all(), pk=1)
