"""Issue 19 item 4: leaders read station names, never codes (ADS/CSS), on the pages with station
columns, rankings and figures, and in the Excel exports (codes stay in links and form values only)."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from qianwan.org.choices import Role
from tests.disputes.factories import make_dispute
from tests.incidents.factories import make_incident, settled
from tests.risks.factories import make_hazard
from tests.traffic.factories import make_accident, make_zone

pytestmark = pytest.mark.django_db
# a code on its own (a record number such as YH-ADS-2026-000003 is a number, not a station label)
CODE = re.compile(r"(?<![-\w])(ADS|CSS)(?![-\w])")

PAGES = [
    "/incidents/list/",
    "/incidents/kpi/",
    "/incidents/board/",
    "/disputes/",
    "/disputes/analysis/",
    "/risks/",
    "/risks/reconciliation/",
    "/risks/warning/",
    "/traffic/accidents/",
    "/traffic/kpis/",
    "/antifraud/ranking/",
    "/enterprises/",
    "/dashboard/",
]
EXPORTS = [
    "/incidents/list/?export=xlsx",
    "/disputes/?export=xlsx",
    "/risks/reconciliation/?export=xlsx",
    "/traffic/accidents/?export=xlsx",
]


class VisibleText(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


@pytest.fixture
def records(make_user, station, other_station):
    now = timezone.now()
    for s in (station, other_station):
        officer = make_user(Role.OFFICER, station_=s, username=f"names-{s.code}")
        settled(s, received_at=now - timedelta(hours=1), dispatch=30, video=60, leader=90, arrival=300)
        make_incident(s, officer)
        make_hazard(s, officer, found_days_ago=5)
        make_dispute(s, officer)
        make_accident(s)
    make_zone()


@pytest.mark.parametrize("path", PAGES)
def test_pages_show_station_names_not_codes(client, bureau, records, path):
    client.force_login(bureau)
    response = client.get(path)
    assert response.status_code == 200, path
    parser = VisibleText()
    parser.feed(response.content.decode())
    text = " ".join(parser.parts)
    assert CODE.findall(text) == [], (
        f"{path}: {[text[max(0, m.start() - 40) : m.end() + 20] for m in CODE.finditer(text)]}"
    )


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_show_station_names_not_codes(client, bureau, records, path):
    client.force_login(bureau)
    response = client.get(path)
    assert response.status_code == 200, path
    book = load_workbook(BytesIO(response.content))
    found = [
        (ws.title, cell.coordinate, cell.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and CODE.search(cell.value)
    ]
    assert found == [], f"{path}: {found[:5]}"
    assert any(
        isinstance(cell.value, str) and "庵东派出所" in cell.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
    ), path
