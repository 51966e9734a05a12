"""Photos on the HTML pages of field records (issue 22, item 4): the creation forms of patrols, joint
patrols and enterprise service visits take an optional photo, saved with the record in one transaction
(a refused file: 400, nothing saved); the pages of accidents, inspection problems (before/after) and
dispute follow-ups carry the shared upload form."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enterprises.models import ServiceVisit
from qianwan.attachments.models import Attachment
from risks import services as risk_services
from tests.disputes.factories import handled_dispute
from tests.factories import enterprise_for
from tests.images import JPEG
from tests.risks.factories import make_campaign
from tests.traffic.factories import make_accident, make_zone, team_with_members
from traffic.models import JointPatrol, Patrol

pytestmark = pytest.mark.django_db

HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def photo(content=JPEG, name="scene.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def patrol_payload(station):
    zone = make_zone(stations=[station])
    team = team_with_members(station)
    start = timezone.localtime(timezone.now() - timedelta(hours=2))
    return {
        "team": team.pk, "zone": zone.pk, "kind": "routine",
        "started_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "officers": 2,
    }  # fmt: skip


def test_patrol_form_saves_its_photo(client, officer, station):
    client.force_login(officer)
    form = client.get("/traffic/patrols/new/").content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="photo"' in form
    resp = client.post("/traffic/patrols/new/", {**patrol_payload(station), "photo": photo()})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    patrol = Patrol.objects.get()
    item = Attachment.objects.get()
    assert (item.record_kind, item.record_id, item.uploaded_by_id) == ("patrol", patrol.pk, officer.pk)


def test_patrol_form_with_a_bad_photo_saves_nothing(client, officer, station):
    client.force_login(officer)
    resp = client.post("/traffic/patrols/new/", {**patrol_payload(station), "photo": photo(HTML, "x.jpg")})
    assert resp.status_code == 400 and "JPEG" in resp.content.decode()
    assert not Patrol.objects.exists() and not Attachment.objects.exists()


def test_joint_patrol_form_saves_its_photo(client, officer, station):
    client.force_login(officer)
    resp = client.post(
        "/traffic/joint-patrols/new/",
        {
            "date": timezone.localdate().isoformat(), "station": station.pk, "organisers": "交警中队",
            "location": "兴业路口", "police": 2, "grid_workers": 1, "enterprise_security": 0, "volunteers": 0,
            "photo": photo(),
        },
    )  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    joint = JointPatrol.objects.get()
    assert Attachment.objects.filter(record_kind="joint_patrol", record_id=joint.pk).count() == 1


def test_service_visit_form_saves_its_photo_and_refuses_a_bad_one(client, officer, station):
    e = enterprise_for(station)
    client.force_login(officer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    payload = {"enterprise": e.pk, "kind": "visit", "visited_at": now, "summary": "走访"}
    bad = client.post("/enterprises/visits/new/", {**payload, "photo": photo(HTML, "x.jpg")})
    assert bad.status_code == 400 and not ServiceVisit.objects.exists()
    assert client.post("/enterprises/visits/new/", {**payload, "photo": photo()}).status_code == 302
    visit = ServiceVisit.objects.get()
    assert Attachment.objects.filter(record_kind="service_visit", record_id=visit.pk).count() == 1


def upload_via_page(client, ref, next_url, **extra):
    return client.post("/attachments/upload/", {"record": ref, "next": next_url, "file": photo(), **extra})


def test_accident_page_has_the_upload_form(client, officer, station):
    accident = make_accident(station)
    client.force_login(officer)
    url = f"/traffic/accidents/{accident.pk}/"
    page = client.get(url).content.decode()
    assert f'data-attachments="accident:{accident.pk}"' in page and 'action="/attachments/upload/"' in page
    assert upload_via_page(client, f"accident:{accident.pk}", url).status_code == 302
    assert f'data-attachment="{Attachment.objects.get().pk}"' in client.get(url).content.decode()


def test_problem_photos_before_and_after_on_the_campaign_page(client, officer, station):
    campaign = make_campaign()
    inspection = risk_services.inspection_create(
        actor=officer, campaign=campaign, station=station, venue_name="宾馆", venue_type="hotel",
        inspected_on=timezone.localdate(), problems=["消防通道堵塞"],
    )  # fmt: skip
    problem = inspection.problems.get()
    client.force_login(officer)
    url = f"/risks/campaigns/{campaign.pk}/"
    page = client.get(url).content.decode()
    assert f'data-attachments="problem:{problem.pk}"' in page and 'name="phase"' in page
    assert upload_via_page(client, f"problem:{problem.pk}", url, phase="after").status_code == 302
    item = Attachment.objects.get(record_kind="problem", record_id=problem.pk)
    assert item.phase == "after"
    assert 'data-phase="after"' in client.get(url).content.decode()


def test_followup_rows_have_the_upload_form(client, officer, station):
    from disputes import services as dispute_services

    dispute = handled_dispute(station, officer)
    followup = dispute_services.followup_record(actor=officer, dispute=dispute, outcome="stable", note="回访")
    client.force_login(officer)
    url = f"/disputes/{dispute.pk}/"
    page = client.get(url).content.decode()
    assert f'data-attachments="followup:{followup.pk}"' in page
    assert upload_via_page(client, f"followup:{followup.pk}", url).status_code == 302
    assert Attachment.objects.filter(record_kind="followup", record_id=followup.pk).count() == 1
