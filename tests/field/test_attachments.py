"""Photos on field records (issue 22, item 4): the one validator, metadata stripped and kept as fields,
thumbnails, scoped serving, duplicates, removal rules."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from disputes.models import Block, BlockVisit
from qianwan.attachments.models import Attachment
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from tests.errors import error_fields
from tests.images import JPEG, PNG, png_claiming
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def gps_jpeg(size=(40, 20)) -> bytes:
    """A JPEG whose EXIF says: rotate 90° (orientation 6), taken 2026-12-01 10:20:30, at 30.29 N 121.185 E."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 17.0, 24.0), 3: "E", 4: (121.0, 11.0, 6.0)})
    exif.get_ifd(0x8769)[0x9003] = "2026:12:01 10:20:30"
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def up(content, name="photo.jpg", ctype="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=ctype)


def post(api, record, content, name="photo.jpg", **extra):
    return api.post(
        "/api/v1/attachments/", {"file": up(content, name), "record": record, **extra}, format="multipart"
    )


def test_exif_gps_gone_from_the_stored_file_and_kept_in_fields(api_as, officer, station, media_root):
    incident = make_incident(station)
    api = api_as(officer)
    resp = post(api, f"incident:{incident.pk}", gps_jpeg())
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["content_type"] == "image/jpeg" and body["thumbnail_url"]
    assert body["lat"] == pytest.approx(30.29) and body["lon"] == pytest.approx(121.185)
    assert body["taken_at"].startswith("2026-12-01T10:20:30")
    item = Attachment.objects.get()
    stored = Path(item.file.path).read_bytes()
    assert Path(media_root) in Path(item.file.path).parents
    image = Image.open(io.BytesIO(stored))
    assert dict(image.getexif()) == {} and b"Exif" not in stored  # no EXIF, no GPS left
    assert image.size == (20, 40)  # orientation applied before the metadata went
    # served back with the API's credentials: the same clean bytes; a thumbnail too
    served = api.get(body["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == stored
    assert api.get(body["thumbnail_url"]).status_code == 200
    listed = api.get(f"/api/v1/attachments/?record=incident:{incident.pk}").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]


def test_capture_facts_for_police_roles_only(api_as, officer, station, make_user):
    from enterprises.models import ServiceVisit  # noqa: F401  (the liaison's record kind)

    incident = make_incident(station)
    body = post(api_as(officer), f"incident:{incident.pk}", gps_jpeg()).json()
    from qianwan.attachments.api.serializers import AttachmentSerializer

    liaison = make_user(Role.LIAISON, username="liaison")

    class Req:
        user = liaison

    shown = AttachmentSerializer(Attachment.objects.get(pk=body["id"]), context={"request": Req()}).data
    assert "lat" not in shown and "taken_at" not in shown


def test_same_file_again_is_200_with_the_existing_one(api_as, officer, station):
    incident = make_incident(station)
    api = api_as(officer)
    first = post(api, f"incident:{incident.pk}", PNG, "a.png")
    again = post(api, f"incident:{incident.pk}", PNG, "b.png")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Attachment.objects.count() == 1
    pdf = post(api, f"incident:{incident.pk}", PDF, "r.pdf")
    assert pdf.status_code == 201 and pdf.json()["thumbnail_url"] is None


@pytest.mark.parametrize(
    "content,name",
    [
        (b"not an image at all", "photo.jpg"),  # not what its name says
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "photo.png"),  # a tampered type: PNG magic, no PNG
        (png_claiming(8000, 6000), "huge.png"),  # 48 megapixels
        (b"GIF89a" + b"\x00" * 20, "x.gif"),
    ],
)
def test_bad_files_are_400_and_nothing_stored(api_as, officer, station, media_root, content, name):
    incident = make_incident(station)
    resp = post(api_as(officer), f"incident:{incident.pk}", content, name)
    assert resp.status_code == 400 and "file" in error_fields(resp)
    assert not Attachment.objects.exists()
    assert not any(p.is_file() for p in Path(media_root).rglob("*")) if Path(media_root).exists() else True


def test_too_large_is_400(api_as, officer, station, settings):
    settings.QIANWAN_UPLOAD_MAX_BYTES = 1000
    incident = make_incident(station)
    resp = post(api_as(officer), f"incident:{incident.pk}", JPEG + b"\x00" * 2000)
    assert resp.status_code == 400 and "file" in error_fields(resp)
    assert not Attachment.objects.exists()


def test_scope_record_400_and_file_404(api_as, officer, station, other_station, make_user):
    foreign = make_incident(other_station)
    api = api_as(officer)
    for ref in (f"incident:{foreign.pk}", "incident:999999", "nonsense", "spaceship:1"):
        resp = post(api, ref, JPEG)
        assert resp.status_code == 400 and "record" in error_fields(resp), ref
    assert api.get(f"/api/v1/attachments/?record=incident:{foreign.pk}").status_code == 400
    other = make_user(Role.OFFICER, station_=other_station, username="css")
    body = post(api_as(other), f"incident:{foreign.pk}", JPEG).json()
    for url in (f"/api/v1/attachments/{body['id']}/", body["url"], body["thumbnail_url"]):
        assert api.get(url).status_code == 404
    assert api.delete(f"/api/v1/attachments/{body['id']}/").status_code == 404


def test_remove_by_uploader_within_a_day_or_a_leader(api_as, officer, leader, station, make_user):
    incident = make_incident(station)
    colleague = make_user(Role.OFFICER, username="colleague")
    first = post(api_as(officer), f"incident:{incident.pk}", JPEG).json()
    assert api_as(colleague).delete(f"/api/v1/attachments/{first['id']}/").status_code == 403
    assert api_as(officer).delete(f"/api/v1/attachments/{first['id']}/").status_code == 204
    second = post(api_as(officer), f"incident:{incident.pk}", PNG, "b.png").json()
    Attachment.objects.filter(pk=second["id"]).update(uploaded_at=timezone.now() - timedelta(hours=25))
    assert api_as(officer).delete(f"/api/v1/attachments/{second['id']}/").status_code == 403
    assert api_as(leader).delete(f"/api/v1/attachments/{second['id']}/").status_code == 204
    assert AuditEntry.objects.filter(action="attachments.remove").count() == 2
    assert not Attachment.objects.exists()


def test_block_visit_with_a_photo_clears_the_overdue_mark(client, station, make_user):
    from disputes import patrols
    from tests.field.test_block_visits import add_disputes

    beat = make_user(Role.OFFICER, username="beat")
    block = Block.objects.create(station=station, name="热区", officer=beat)
    add_disputes(block, 4)
    assert patrols.block_rows([block])[0]["overdue"]
    client.force_login(beat)
    resp = client.post(
        f"/disputes/blocks/{block.pk}/visits/",
        {"kind": "visit", "officers": ["beat"], "findings": "走访商户", "photo": up(gps_jpeg())},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    visit = BlockVisit.objects.get()
    item = Attachment.objects.get(record_kind="block_visit", record_id=visit.pk)
    assert item.lat == pytest.approx(30.29)
    assert not patrols.block_rows([block])[0]["overdue"]
    page = client.get(f"/disputes/blocks/{block.pk}/visits/").content.decode()
    assert f'data-attachment="{item.pk}"' in page and "data-capture" in page


def test_a_bad_photo_leaves_no_visit(client, station, make_user):
    beat = make_user(Role.OFFICER, username="beat")
    block = Block.objects.create(station=station, name="热区", officer=beat)
    client.force_login(beat)
    resp = client.post(f"/disputes/blocks/{block.pk}/visits/", {"kind": "visit", "photo": up(b"nope")})
    assert resp.status_code == 400
    assert not BlockVisit.objects.exists() and not Attachment.objects.exists()


def test_page_upload_on_the_incident(client, officer, station):
    incident = make_incident(station)
    client.force_login(officer)
    resp = client.post(
        "/attachments/upload/",
        {"record": f"incident:{incident.pk}", "file": up(JPEG), "next": f"/incidents/{incident.pk}/"},
    )
    assert resp.status_code == 302 and resp["Location"] == f"/incidents/{incident.pk}/"
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "data-attachment=" in page
