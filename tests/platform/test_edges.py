"""Issue 19's edges: /api/docs/ and a session, error pages, favicon, a dispute's push state, the audit
trail in words, the workbench's overdue rows in red, durations as 分秒."""

import pytest
from django.template.loader import render_to_string
from django.test import Client

from disputes.models import Dispute
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from qianwan.templatetags.figures import duration, score_change, thousands
from tests.conftest import token_client
from tests.disputes.factories import handled_dispute, make_dispute

pytestmark = pytest.mark.django_db


def test_api_docs_redirects_a_person_without_a_session_to_the_login_page(client, officer):
    response = Client().get("/api/docs/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/api/docs/"
    # a token still works (the API's own authentication decides)
    assert token_client(officer).get("/api/docs/").status_code == 200
    bad = Client().get("/api/docs/", HTTP_AUTHORIZATION="Token nonsense")
    assert bad.status_code == 401
    client.force_login(officer)
    assert client.get("/api/docs/").status_code == 200


def test_error_pages_are_chinese_with_a_way_back(client, officer):
    client.force_login(officer)
    forbidden = client.get("/audit/")
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert "无权访问" in html and "返回工作台" in html and 'href="/"' in html
    missing = client.get("/disputes/99999999/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    page = render_to_string("500.html")  # rendered without a request, as Django does
    assert "系统出错" in page and 'href="/"' in page and 'lang="zh-hans"' in page


def test_favicon_is_linked_and_served(client, officer):
    client.force_login(officer)
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg")


def test_push_state_has_one_source(client, officer):
    dispute = make_dispute(officer.station, officer)
    client.force_login(officer)
    assert "尚未推送" in client.get(f"/disputes/{dispute.pk}/").content.decode()
    # a dispute marked pushed (its timeline says 推送平台关注) without an outbox row of its own
    from django.utils import timezone

    from disputes.models import DisputeEvent

    Dispute.objects.filter(pk=dispute.pk).update(pushed_at=timezone.now())
    DisputeEvent.objects.create(dispute=dispute, kind="pushed", at=timezone.now(), actor=officer)
    html = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "推送平台关注" in html and "尚未推送" not in html and "平台尚无回执" in html


def test_audit_log_in_words(client, make_user, officer):
    leader = make_user(Role.STATION_LEADER, username="zhao", full_name="赵所长")
    dispute = handled_dispute(officer.station, officer)
    from disputes import services

    services.dispute_close(actor=leader, dispute=dispute, approval_reason="当事人搬离")
    client.force_login(leader)
    html = client.get("/audit/").content.decode()
    assert "领导批准结案" in html and "矛盾纠纷" in html  # what, to which kind of record
    assert "批准结案理由" in html and "当事人搬离" in html  # the field's Chinese name and value
    assert "已处置" in html and "已结案" in html  # choice values in words (close: before/after)
    assert "{&#x27;" not in html and "{'" not in html  # no Python dicts
    entry = AuditEntry.objects.filter(action="disputes.dispute.close").get()
    assert entry.before["status"] == "handled"  # the stored row keeps its codes


def test_workbench_overdue_rows_are_red_with_words(client, officer):
    from datetime import timedelta

    from django.utils import timezone

    from incidents import services as incident_services

    incident_services.incident_create(
        actor=officer,
        station=officer.station,
        category="dispute",
        received_at=timezone.now() - timedelta(minutes=30),
        address="兴业路1号",
    )
    client.force_login(officer)
    html = client.get("/").content.decode()
    assert '<span class="tag bad" data-overdue>✗ 已超时</span>' in html


def test_figures_in_plain_words():
    assert duration(558) == "9分18秒" and duration(42) == "42秒" and duration(None) == "—"
    assert thousands(950000) == "950,000" and thousands("1234.5", 2) == "1,234.50"
    assert score_change(-6.5) == "↓ 6.5 分" and score_change(2) == "↑ 2 分" and score_change(0) == "→ 0"


def test_kpi_and_incident_pages_show_durations_in_words(client, officer):
    from tests.incidents.factories import make_incident

    incident = make_incident(officer.station, officer)
    client.force_login(officer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "用时(秒)" not in html and "1分0秒" in html  # the dispatch limit (60 s)
