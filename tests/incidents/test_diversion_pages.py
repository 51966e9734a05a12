"""The diversion catalogue's pages: the catalogue and its editors, the call form's suggestion and
intake diversion, the incident page, and the counts on the KPI page and the dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import DiversionCategory, DiversionItem, Incident, SlaClock
from qianwan.audit.models import AuditEntry
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def item(name):
    return DiversionItem.objects.get(name=name)


def call(station, **over):
    data = {
        "caller_phone": "13800001234",
        "category": "non_police",
        "address": "庵东镇兴业路1号",
        "description": "隔壁工地夜间施工噪音",
        "received_at": timezone.localtime().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S"),
        "station": station.pk,
    }
    data.update(over)
    return data


def test_catalogue_page_lists_both_directions(client, officer):
    client.force_login(officer)
    page = client.get("/incidents/diversion/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-direction="to_12345"' in html and 'data-direction="to_110"' in html
    assert "劳资欠薪咨询" in html and "交通事故现场" in html
    assert "/incidents/diversion/items/new/" not in html  # officers read it, do not edit it
    assert client.get(f"/incidents/diversion/items/{item('占道经营').pk}/").status_code == 403


def test_bureau_leader_edits_an_item_and_adds_one(client, bureau):
    client.force_login(bureau)
    it = item("占道经营")
    form = client.get(f"/incidents/diversion/items/{it.pk}/")
    assert form.status_code == 200
    response = client.post(
        f"/incidents/diversion/items/{it.pk}/",
        {
            "category": it.category_id,
            "name": "占道经营、流动摊贩",
            "keywords": "占道经营,摆摊,夜市摊",
            "incident_category": "non_police",
            "position": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    it.refresh_from_db()
    assert it.name == "占道经营、流动摊贩" and "夜市摊" in it.keyword_list()
    assert AuditEntry.objects.filter(action="incident.diversion_item_save").count() == 1
    # a duplicate name in the same category is refused with the form kept
    dup = client.post(
        "/incidents/diversion/items/new/",
        {"category": it.category_id, "name": "占道经营、流动摊贩", "keywords": "x", "position": 1},
    )
    assert dup.status_code == 400
    new_cat = client.post(
        "/incidents/diversion/categories/new/", {"direction": "to_12345", "name": "教育培训", "position": 9}
    )
    assert new_cat.status_code == 302
    assert DiversionCategory.objects.filter(name="教育培训", direction="to_12345").exists()


def test_call_form_suggests_and_diverts_at_intake(client, officer, station):
    client.force_login(officer)
    checked = client.post("/incidents/new/", {**call(station), "suggest": "1"})
    assert checked.status_code == 200
    html = checked.content.decode()
    assert 'id="diversion-suggestion"' in html and f'data-item="{item("装修施工噪音").pk}"' in html
    assert "施工噪音" in html and not Incident.objects.exists()  # checking writes nothing
    # an item without a destination is refused with the field named
    half = client.post("/incidents/new/", call(station, catalogue_item=item("装修施工噪音").pk))
    assert half.status_code == 400 and not Incident.objects.exists()
    done = client.post(
        "/incidents/new/", call(station, divert_to="12345", catalogue_item=item("装修施工噪音").pk)
    )
    assert done.status_code == 302
    incident = Incident.objects.get()
    assert incident.status == "diverted" and incident.diversion_item == item("装修施工噪音")
    assert not SlaClock.objects.filter(incident=incident, task_id__gt="").exists()


def test_police_call_shows_no_suggestion(client, officer, station):
    client.force_login(officer)
    page = client.post(
        "/incidents/new/", {**call(station, category="criminal", description="有人抢劫"), "suggest": "1"}
    )
    assert 'id="diversion-suggestion" data-url="/api/v1/diversion-catalogue/" aria-live="polite" hidden' in (
        page.content.decode()
    )


def test_incident_page_suggests_and_diverts_with_item(client, officer, station):
    incident = make_incident(station, officer, category="dispute", description="老板拖欠工资不给")
    client.force_login(officer)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-suggestion="divert"' in page and "劳资欠薪咨询" in page
    response = client.post(
        f"/incidents/{incident.pk}/events/",
        {"kind": "diverted", "target": "12345", "catalogue_item": item("劳资欠薪咨询").pk},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "diverted" and incident.diversion_item == item("劳资欠薪咨询")
    bad = make_incident(station, officer, category="non_police")
    wrong = client.post(
        f"/incidents/{bad.pk}/events/",
        {"kind": "diverted", "target": "12345", "catalogue_item": item("紧急求助").pk},
    )
    assert wrong.status_code == 400  # not a choice of the 110 → 12345 list
    bad.refresh_from_db()
    assert bad.status == "open"


def test_counts_on_kpi_page_and_dashboard(client, bureau, station):
    now = timezone.now() - timedelta(minutes=5)
    for _n in range(2):
        make_incident(
            station,
            received_at=now,
            category="non_police",
            divert_to="12345",
            catalogue_item=item("占道经营").pk,
        )
    make_incident(station, received_at=now)
    client.force_login(bureau)
    kpi = client.get("/incidents/kpi/").content.decode()
    month = timezone.localtime(now).strftime("%Y-%m")
    assert f'data-month="{month}"><td>{month}</td><td class="num">3</td><td class="num">2</td>' in kpi
    # 2 of 3: below the small-number threshold, counts only, no percentage
    assert '<span class="fig">2 / 3</span>' in kpi
    assert f'data-item="{item("占道经营").pk}" data-direction="to_12345"' in kpi
    dash = client.get("/dashboard/").content.decode()
    assert "data-diversion-counts" in dash and "市容环境 · 占道经营" in dash
