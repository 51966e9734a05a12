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
from tests import images
from tests.errors import error_fields

pytestmark = pytest.mark.django_db

PNG = images.PNG
JPEG = images.JPEG
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
    upload = SimpleUploadedFile(name, content, content_type="text/html")
    assert uploads.validate_upload(upload, kinds=uploads.ALL_KINDS) == kind


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
        uploads.validate_upload(SimpleUploadedFile(name, content), kinds=uploads.ALL_KINDS)
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


# ---------------------------------------------------------------- images: parsed, pixel cap


def test_short_kind_names_and_the_default_kinds():
    assert uploads.validate_upload(SimpleUploadedFile("a", PDF), kinds=("pdf",)) == Kind.PDF
    with pytest.raises(ValidationError, match="PDF"):
        uploads.validate_upload(SimpleUploadedFile("a.png", PNG), kinds=("pdf",))
    # JPEG, PNG and PDF unless a call says otherwise: a spreadsheet is not an attachment
    with pytest.raises(ValidationError, match="按文件内容识别"):
        uploads.validate_upload(SimpleUploadedFile("a.xlsx", _xlsx()))


def test_image_pixel_cap(settings):
    # a header claiming 10000×5000 (50 MP) in a 60-byte file: refused without decoding anything
    bomb = images.png_claiming(10_000, 5_000)
    assert len(bomb) < 100
    with pytest.raises(ValidationError, match="像素过大"):
        uploads.validate_upload(SimpleUploadedFile("a.png", bomb))
    # Pillow's own bomb guard (far above our cap) answers the same way
    with pytest.raises(ValidationError, match="像素过大"):
        uploads.validate_upload(SimpleUploadedFile("a.png", images.png_claiming(60_000, 60_000)))
    settings.QIANWAN_UPLOAD_MAX_PIXELS = 100
    big = images.image_bytes("JPEG", size=(20, 10))
    with pytest.raises(ValidationError, match="20×10"):
        uploads.validate_upload(SimpleUploadedFile("a.jpg", big))
    assert uploads.validate_upload(SimpleUploadedFile("a.jpg", big), max_pixels=200) == Kind.JPEG


@pytest.mark.parametrize(
    "content",
    [
        PNG[:40],  # truncated
        PNG[:-8] + b"\x00" * 8,  # IEND checksum broken
        b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG marker and nothing else
        b"\x89PNG\r\n\x1a\n<script>alert(1)</script>",  # a PNG signature in front of HTML
    ],
)
def test_broken_images_are_refused(content):
    with pytest.raises(ValidationError, match="损坏"):
        uploads.validate_upload(SimpleUploadedFile("a.png", content))


def test_serving_by_stored_name(media):
    png = uploads.store_upload(SimpleUploadedFile("x.png", PNG), folder="t")
    pdf = uploads.store_upload(SimpleUploadedFile("x.pdf", PDF), folder="t")
    from django.core.files.storage import default_storage

    legacy = default_storage.save("t/report.html", io.BytesIO(b"<script>alert(1)</script>"))

    class Field:  # a FieldFile stand-in: name and path, as file_response reads them
        def __init__(self, name):
            self.name, self.path = name, default_storage.path(name)

        def __bool__(self):
            return True

    image = uploads.serve_file(Field(png.name), stem="lecture-1")
    assert image["Content-Type"] == Kind.PNG and image["Content-Disposition"].startswith("inline")
    assert image["X-Content-Type-Options"] == "nosniff" and "sandbox" in image["Content-Security-Policy"]
    document = uploads.serve_file(Field(pdf.name), stem="lecture-1")
    assert document["Content-Disposition"] == 'attachment; filename="lecture-1.pdf"'
    old = uploads.serve_file(Field(legacy), stem="lecture-2")
    assert old["Content-Type"] == "application/octet-stream"
    assert old["Content-Disposition"] == 'attachment; filename="lecture-2.bin"'


# ---------------------------------------------------------------- the reproduction (issue 16, item 7)


def _lecture_payload(station):
    from django.utils import timezone

    from tests.enterprises.factories import EnterpriseFactory, LecturerTeamFactory

    LecturerTeamFactory(code="legal-aid")
    return {
        "team": "legal-aid",
        "enterprises": [EnterpriseFactory(station=station).pk],
        "held_on": timezone.localdate().isoformat(),
        "topic": "反诈宣讲",
        "audience_count": 50,
    }


def test_a_30_mb_html_lecture_upload_is_refused(api_as, officer, station, media):
    from enterprises.models import Lecture

    html = b"<html><script>alert(document.cookie)</script>" + b" " * (30 * 1024 * 1024)
    response = api_as(officer).post(
        "/api/v1/lectures/",
        {**_lecture_payload(station), "materials": SimpleUploadedFile("report.html", html, "text/html")},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert "过大" in " ".join(error_fields(response)["materials"])
    small = SimpleUploadedFile("report.html", b"<html><script>alert(1)</script></html>", "text/html")
    response = api_as(officer).post(
        "/api/v1/lectures/", {**_lecture_payload(station), "materials": small}, format="multipart"
    )
    assert response.status_code == 400
    assert "按文件内容识别" in " ".join(error_fields(response)["materials"])
    assert not Lecture.objects.exists()
    assert not any(p.is_file() for p in Path(media).rglob("*"))


def test_lecture_materials_stored_under_a_random_name_and_served_safely(
    api_as, client, officer, station, media
):
    from enterprises.models import Lecture

    response = api_as(officer).post(
        "/api/v1/lectures/",
        {**_lecture_payload(station), "materials": SimpleUploadedFile("宣讲课件.html", PDF, "text/html")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    lecture = Lecture.objects.get()
    assert lecture.materials.name.startswith("enterprises/lectures/") and lecture.materials.name.endswith(
        ".pdf"
    )
    assert "课件" not in lecture.materials.name
    client.force_login(officer)
    served = client.get(response.json()["materials"])
    assert served.status_code == 200 and served["Content-Type"] == Kind.PDF
    assert served["Content-Disposition"] == f'attachment; filename="lecture-{lecture.pk}.pdf"'
    assert served["X-Content-Type-Options"] == "nosniff" and "sandbox" in served["Content-Security-Policy"]


def test_lecture_page_form_refuses_html(client, officer, station, media):
    from enterprises.models import Lecture

    payload = _lecture_payload(station)
    from enterprises.models import LecturerTeam

    payload["team"] = LecturerTeam.objects.get(code="legal-aid").pk
    client.force_login(officer)
    response = client.post(
        "/enterprises/lectures/new/",
        {**payload, "materials": SimpleUploadedFile("report.html", b"<html></html>", "text/html")},
    )
    assert response.status_code == 400 and "按文件内容识别" in response.content.decode()
    assert not Lecture.objects.exists()


# ---------------------------------------------------------------- every file field goes through it

# model file field → the upload endpoint that fills it (None: written by the server, never uploaded)
FILE_FIELDS = {
    "antifraud.RosterImport.file": ("/api/v1/antifraud/roster-imports/", "file"),
    "antifraud.ResponsibilityLetter.file": ("/api/v1/antifraud/letters/", "file"),
    "enterprises.ImportJob.file": ("/api/v1/enterprise-imports/", "file"),
    "enterprises.Lecture.materials": ("/api/v1/lectures/", "materials"),
    "risks.HazardEvidence.file": ("/api/v1/hazards/{hazard}/evidence/", "file"),
    "dashboard.MonthlyReport.file": None,  # the monthly report the server renders
    "attachments.Attachment.file": ("/api/v1/attachments/", "file"),
    "attachments.Attachment.thumbnail": None,  # made by the server from the cleaned image
    # uploaded through the page /places/import/ only (no API endpoint); refusing HTML there is tested in
    # tests/places/test_register.py::test_the_import_page_refuses_html_by_content
    "places.AddressImportJob.file": None,
}


def test_every_file_field_is_in_the_table():
    from django.apps import apps
    from django.db import models

    found = {
        f"{m._meta.app_label}.{m.__name__}.{f.name}"
        for m in apps.get_models()
        if not m.__module__.startswith("django.")
        for f in m._meta.get_fields()
        if isinstance(f, models.FileField)
    }
    assert found == set(FILE_FIELDS), "a new file field needs a row here and a test below"


@pytest.mark.parametrize("field", [k for k, v in FILE_FIELDS.items() if v])
def test_every_upload_endpoint_refuses_html_by_content(field, api_as, make_user, station, media):
    """HTML under each endpoint's expected name is refused with the validator's message."""
    from qianwan.org.choices import Role
    from tests.factories import enterprise_for
    from tests.risks.factories import make_hazard

    path, file_field = FILE_FIELDS[field]
    officer = make_user(Role.OFFICER)
    enterprise = enterprise_for(station)
    liaison = make_user(Role.LIAISON, enterprise=enterprise)
    data, actor = {}, officer
    if field.startswith("antifraud.RosterImport"):
        data, actor, name = {"enterprise": enterprise.pk}, liaison, "roster.xlsx"
    elif field.startswith("antifraud.ResponsibilityLetter"):
        data = {
            "enterprise": enterprise.pk,
            "signatory": "甲",
            "signed_on": "2026-01-01",
            "valid_until": "2026-12-31",
        }
        actor, name = liaison, "letter.pdf"
    elif field.startswith("enterprises.ImportJob"):
        name = "registry.xlsx"
    elif field.startswith("enterprises.Lecture"):
        data, name = _lecture_payload(station), "slides.pdf"
    elif field.startswith("attachments.Attachment"):
        data, name = {"record": f"hazard:{make_hazard(station, officer).pk}"}, "photo.jpg"
    else:
        path, name = path.format(hazard=make_hazard(station, officer).pk), "photo.jpg"
    html = SimpleUploadedFile(name, b"<html><script>alert(1)</script></html>", "image/jpeg")
    response = api_as(actor).post(path, {**data, file_field: html}, format="multipart")
    assert response.status_code == 400, response.content
    assert "按文件内容识别" in " ".join(error_fields(response)[file_field])
    assert not any(p.is_file() for p in Path(media).rglob("*"))
