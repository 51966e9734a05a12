"""Evidence uploads: size and type by content (magic bytes), stored outside the web root, scoped download.
Hazard evidence lives in the attachment store (record ``hazard:ID``)."""

import pytest
from django.conf import settings as django_settings

from qianwan.attachments.models import Attachment
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from tests.errors import error_fields

from .factories import JPEG, PDF, PNG, make_hazard, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def post(client, hazard, file):
    return client.post(
        f"/api/v1/hazards/{hazard.pk}/evidence/", {"file": file, "note": "现场照片"}, format="multipart"
    )


@pytest.mark.parametrize(
    "name,content,declared,expected",
    [
        ("scene.jpg", JPEG, "image/jpeg", "image/jpeg"),
        ("scene.png", PNG, "image/png", "image/png"),
        ("report.pdf", PDF, "application/pdf", "application/pdf"),
        # the name and the declared type do not matter, the bytes do
        ("scan.bin", PNG, "application/octet-stream", "image/png"),
    ],
)
def test_accepted_types_are_stored_under_media_root(
    api_as, officer, media_root, name, content, declared, expected
):
    hazard = make_hazard(officer.station, officer)
    r = post(api_as(officer), hazard, upload(name, content, declared))
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["content_type"] == expected and data["original_name"] == name and data["note"] == "现场照片"
    item = Attachment.objects.get(pk=data["id"], record_kind="hazard", record_id=hazard.pk)
    assert data["size"] == item.size == item.file.size  # images are stored re-encoded, without metadata
    path = item.file.path
    assert path.startswith(str(media_root)) and name not in path
    assert not path.startswith(str(django_settings.BASE_DIR / "static"))
    assert AuditEntry.objects.filter(action="risks.hazard.evidence_add", object_id=str(hazard.pk)).exists()


@pytest.mark.parametrize(
    "name,content,declared",
    [
        ("photo.jpg", b"MZ\x90\x00 this is a windows executable", "image/jpeg"),
        ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("doc.pdf", b"PK\x03\x04 a zip pretending to be a pdf", "application/pdf"),
        ("note.txt", "普通文本".encode(), "text/plain"),
    ],
)
def test_wrong_type_is_400_and_nothing_kept(api_as, officer, media_root, name, content, declared):
    hazard = make_hazard(officer.station, officer)
    r = post(api_as(officer), hazard, upload(name, content, declared))
    assert r.status_code == 400
    assert "JPEG" in error_fields(r)["file"][0]
    assert not Attachment.objects.exists()


def test_too_large_is_400(api_as, officer, settings):
    settings.RISKS_EVIDENCE_MAX_BYTES = 1024
    hazard = make_hazard(officer.station, officer)
    r = post(api_as(officer), hazard, upload("big.jpg", JPEG + b"\x00" * 2048))
    assert r.status_code == 400 and "过大" in error_fields(r)["file"][0]
    assert not Attachment.objects.exists()


def test_default_limit_is_10_mb(api_as, officer):
    hazard = make_hazard(officer.station, officer)
    big = JPEG + b"\x00" * (10 * 1024 * 1024)
    r = post(api_as(officer), hazard, upload("huge.jpg", big))
    assert r.status_code == 400 and "10 MB" in error_fields(r)["file"][0]


def test_missing_or_empty_file_is_400(api_as, officer):
    hazard = make_hazard(officer.station, officer)
    client = api_as(officer)
    assert client.post(f"/api/v1/hazards/{hazard.pk}/evidence/", {}, format="multipart").status_code == 400
    assert post(client, hazard, upload("empty.jpg", b"")).status_code == 400


def test_download_checks_scope_and_sets_safe_headers(api_as, client, officer, other_station, make_user):
    hazard = make_hazard(officer.station, officer)
    item_id = post(api_as(officer), hazard, upload("report.pdf", PDF, "application/pdf")).json()["id"]
    r = api_as(officer).get(f"/api/v1/hazards/{hazard.pk}/evidence/{item_id}/")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PDF
    assert r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment")
    outsider = make_user(Role.OFFICER, station_=other_station, username="css-evidence")
    assert api_as(outsider).get(f"/api/v1/hazards/{hazard.pk}/evidence/{item_id}/").status_code == 404
    # the page route checks the same scope
    client.force_login(outsider)
    assert client.get(f"/risks/hazards/{hazard.pk}/evidence/{item_id}/").status_code == 404
    client.force_login(officer)
    assert client.get(f"/risks/hazards/{hazard.pk}/evidence/{item_id}/").status_code == 200
    # the media folder is not served by URL
    assert client.get(f"/media/{Attachment.objects.get().file.name}").status_code == 404


def test_page_upload_rejects_wrong_type_and_keeps_form(client, officer):
    hazard = make_hazard(officer.station, officer)
    client.force_login(officer)
    r = client.post(
        f"/risks/hazards/{hazard.pk}/",
        {
            "step": "evidence",
            "evidence-file": upload("x.jpg", b"GIF89a not allowed"),
            "evidence-note": "说明",
        },
    )
    assert r.status_code == 400
    assert "只能上传" in r.content.decode()
    assert not Attachment.objects.exists()


def test_same_file_again_is_200_with_the_existing_attachment(api_as, officer):
    hazard = make_hazard(officer.station, officer)
    client = api_as(officer)
    first = post(client, hazard, upload("a.pdf", PDF, "application/pdf"))
    again = post(client, hazard, upload("b.pdf", PDF, "application/pdf"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and Attachment.objects.count() == 1
    listed = client.get(f"/api/v1/hazards/{hazard.pk}/evidence/").json()
    assert [e["id"] for e in listed] == [first.json()["id"]]
    assert (
        client.get(f"/api/v1/hazards/{hazard.pk}/")
        .json()["evidence"][0]["url"]
        .endswith(f"/evidence/{first.json()['id']}/")
    )
    # the attachment store serves it too, to the same scope
    assert client.get(f"/api/v1/attachments/?record=hazard:{hazard.pk}").json()["count"] == 1
