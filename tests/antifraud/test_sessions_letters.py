from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from antifraud import selectors, services
from antifraud.models import ResponsibilityLetter
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from tests.errors import error_fields

from .factories import EmployeeFactory, EnterpriseFactory, FraudCaseFactory, WorkClassFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"


def test_record_session_and_coverage(api_as, liaison, ent):
    one, two = WorkClassFactory(enterprise=ent), WorkClassFactory(enterprise=ent)
    people = [EmployeeFactory(work_class=one) for _ in range(4)] + [EmployeeFactory(work_class=two)]
    case = FraudCaseFactory()
    payload = {
        "work_class": one.pk,
        "held_on": "2026-05-06",
        "kind": "morning_meeting",
        "case": case.pk,
        "speaker": people[0].pk,
        "attendees": [p.pk for p in people[:3]],
        "notes": "员工讲反诈：刷单返利",
    }
    with time_machine.travel(date(2026, 5, 20)):
        response = api_as(liaison).post("/api/v1/antifraud/sessions/", payload, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["attendee_count"] == 3 and response.json()["enterprise"] == ent.pk
        cover = api_as(liaison).get("/api/v1/antifraud/sessions/coverage/?month=2026-05").json()
    classes = {c["class"]: c for c in cover["classes"]}
    assert (classes[one.pk]["successes"], classes[one.pk]["n"]) == (3, 4)
    assert (classes[two.pk]["successes"], classes[two.pk]["n"]) == (0, 1)
    assert (cover["enterprises"][0]["successes"], cover["enterprises"][0]["n"]) == (3, 5)
    summary = selectors.sessions_summary(user=liaison, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))
    assert summary == {"sessions": 1, "by_kind": {"morning_meeting": 1}, "employees_reached": 3}


def test_session_bad_input(api_as, liaison, ent, station):
    one = WorkClassFactory(enterprise=ent)
    stranger = EmployeeFactory(work_class=WorkClassFactory(enterprise=EnterpriseFactory(station=station)))
    base = {"work_class": one.pk, "held_on": "2026-05-06", "kind": "morning_meeting", "attendees": []}
    response = api_as(liaison).post("/api/v1/antifraud/sessions/", base, format="json")
    assert response.status_code == 400 and "attendees" in error_fields(response)
    mine = EmployeeFactory(work_class=one)
    response = api_as(liaison).post(
        "/api/v1/antifraud/sessions/", {**base, "attendees": [mine.pk]}, format="json"
    )
    assert response.status_code == 400 and "speaker" in error_fields(
        response
    )  # morning meeting needs a speaker
    response = api_as(liaison).post(
        "/api/v1/antifraud/sessions/", {**base, "attendees": [stranger.pk]}, format="json"
    )
    assert response.status_code == 400 and "attendees" in error_fields(response)
    future = (date.today() + timedelta(days=5)).isoformat()
    response = api_as(liaison).post(
        "/api/v1/antifraud/sessions/",
        {**base, "kind": "class_study", "held_on": future, "attendees": [mine.pk]},
        format="json",
    )
    assert response.status_code == 400 and "held_on" in error_fields(response)


def letter(client, ent, name="letter.pdf", content=PDF, **extra):
    data = {
        "enterprise": ent.pk,
        "signatory": "茅忠群",
        "signatory_title": "董事长",
        "signed_on": "2026-01-10",
        "valid_until": "2026-12-31",
        "file": SimpleUploadedFile(name, content),
        **extra,
    }
    return client.post("/api/v1/antifraud/letters/", data, format="multipart")


def test_letter_upload_and_file_checks(api_as, liaison, ent, settings):
    client = api_as(liaison)
    with time_machine.travel(date(2026, 5, 20)):
        response = letter(client, ent)
        assert response.status_code == 201, response.content
        assert response.json()["is_valid"] is True
        # the content decides, never the name: a PDF called letter.exe is a PDF, stored as one
        renamed = letter(client, ent, name="letter.exe")
        assert renamed.status_code == 201, renamed.content
        stored = ResponsibilityLetter.objects.get(pk=renamed.json()["id"]).file.name
        assert stored.endswith(".pdf") and ".exe" not in stored
        ResponsibilityLetter.objects.filter(pk=renamed.json()["id"]).delete()
        assert letter(client, ent, name="fake.pdf", content=b"MZ\x90\x00 not a pdf").status_code == 400
        assert letter(client, ent, name="empty.png", content=b"").status_code == 400
        bad_dates = letter(client, ent, valid_until="2025-01-01")
        assert bad_dates.status_code == 400 and "valid_until" in error_fields(bad_dates)
    assert ResponsibilityLetter.objects.count() == 1


def test_missing_letters_list_and_monthly_reminder(api_as, officer, station, other_station, make_user):
    leader = make_user(Role.STATION_LEADER, username="sl")
    signed = EnterpriseFactory(station=station, name="已签企业")
    missing = EnterpriseFactory(station=station, name="未签企业")
    expired = EnterpriseFactory(station=station, name="过期企业")
    EnterpriseFactory(station=station, name="小企业", is_above_size=False)
    EnterpriseFactory(station=other_station, name="外所企业")
    ResponsibilityLetter.objects.create(
        enterprise=signed,
        signatory="甲",
        signed_on=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        file="x.pdf",
    )
    ResponsibilityLetter.objects.create(
        enterprise=expired,
        signatory="乙",
        signed_on=date(2025, 1, 1),
        valid_until=date(2025, 12, 31),
        file="y.pdf",
    )
    with time_machine.travel(date(2026, 5, 20)):
        names = {
            e["name"] for e in api_as(officer).get("/api/v1/antifraud/letters/missing/").json()["results"]
        }
        assert names == {"未签企业", "过期企业"}
        assert services.letters_missing_remind() == 2  # ADS and CSS
        assert services.letters_missing_remind() == 0  # once a month
        summary = selectors.letters_summary(user=officer)
    assert summary["above_size"] == 3 and summary["above_size_signed"] == 1
    assert summary["enterprises"] == 4 and summary["signed"] == 1 and summary["above_size_missing"] == 2
    note = Notification.objects.get(key__startswith=f"antifraud:letters-missing:{station.pk}:")
    assert "未签企业" in note.body and "已签企业" not in note.body
    assert set(InboxItem.objects.filter(notification=note).values_list("recipient", flat=True)) == {
        officer.pk,
        leader.pk,
    }
    assert missing.pk
