import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from qianwan.audit.models import AuditEntry
from qianwan.audit.services import audit_record
from qianwan.org import services
from qianwan.org.models import Station

pytestmark = pytest.mark.django_db


def test_failing_service_leaves_neither_change_nor_audit_row(admin_user, station):
    with pytest.raises(ValidationError):
        services.station_create(actor=admin_user, code="ADS", name="重复")
    assert not AuditEntry.objects.exists()
    before = Station.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.station_create(actor=admin_user, code="NEW", name="新所")
        assert AuditEntry.objects.filter(action="station.create").count() == 1
        raise RuntimeError("a later step of the same transaction fails")
    assert Station.objects.count() == before and not AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused(station):
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, action="x", obj=station)


def test_api_write_records_request_id_and_ip(api_as, admin_user):
    response = api_as(admin_user).post(
        "/api/v1/stations/", {"code": "RQ1", "name": "请求所"}, format="json", HTTP_X_REQUEST_ID="req-123"
    )
    assert response.status_code == 201 and response["X-Request-ID"] == "req-123"
    entry = AuditEntry.objects.get(action="station.create")
    assert entry.request_id == "req-123" and entry.ip == "127.0.0.1" and entry.actor == admin_user
    assert entry.before is None and entry.after["code"] == "RQ1"


def test_audit_page_for_leaders_only(client, leader, officer, admin_user, bureau):
    client.force_login(officer)
    assert client.get("/audit/").status_code == 403
    client.force_login(bureau)
    with transaction.atomic():
        services.station_create(actor=admin_user, code="AUD", name="审计所")
    page = client.get("/audit/?q=审计所")
    assert page.status_code == 200 and "station.create" in page.content.decode()
    client.force_login(leader)
    assert "station.create" not in client.get("/audit/").content.decode()  # the admin is not of their station


def test_audit_page_bad_filter_is_400_with_errors_and_no_rows(client, bureau, admin_user):
    with transaction.atomic():
        services.station_create(actor=admin_user, code="AUD", name="审计所")
    client.force_login(bureau)
    assert client.get("/audit/", {"date_from": "2026-01-01", "action": "station"}).status_code == 200
    for query, message in (
        ({"date_from": "2026-13-40"}, "输入一个有效的日期。"),
        ({"date_from": "2026-06-30", "date_to": "2026-01-01"}, "“结束日期”不能早于“开始日期”。"),
        ({"q": "x" * 101}, "不超过 100 字符"),
    ):
        response = client.get("/audit/", query)
        html = response.content.decode()
        assert response.status_code == 400, query
        assert message in html and 'class="error" role="alert"' in html, query
        assert "station.create" not in html and "请先更正上面的筛选条件。" in html, query
