"""Who may call the dashboard's API: leaders only; a report of another station is 404."""

from datetime import date

from qianwan.dashboard.models import MonthlyReport
from tests.access import EndpointAccess

LEADERS = {"station_leader", "bureau_leader", "admin"}


class TestFigures(EndpointAccess):
    detail = False
    allowed_roles = LEADERS

    def url(self, record):
        return "/api/v1/dashboard/figures/"


class TestCharts(EndpointAccess):
    detail = False
    allowed_roles = LEADERS

    def url(self, record):
        return "/api/v1/dashboard/charts/"


class TestLive(EndpointAccess):
    detail = False
    allowed_roles = LEADERS

    def url(self, record):
        return "/api/v1/dashboard/live/"


class TestReportList(EndpointAccess):
    detail = False
    allowed_roles = LEADERS

    def url(self, record):
        return "/api/v1/dashboard/reports/"


class TestReportDetail(EndpointAccess):
    allowed_roles = LEADERS

    def make_record(self, station):
        last = date.today().replace(day=1)
        return MonthlyReport.objects.create(
            year=last.year - 1, month=last.month, station=station, scope_key=station.code
        )

    def url(self, record):
        return f"/api/v1/dashboard/reports/{record.pk}/"
