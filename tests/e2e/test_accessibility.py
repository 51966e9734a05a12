"""Issue 19 item 9: axe-core, installed from npm (package.json devDependency, `make assets`), is injected
from node_modules into the main page of every module, opened as the role that works there, and finds
no serious or critical violation. Never from a CDN: the page's network stays closed (conftest)."""

from pathlib import Path

import pytest

from qianwan.org.choices import Role
from tests.disputes.factories import make_dispute
from tests.e2e.conftest import artifact, new_page
from tests.incidents.factories import make_incident
from tests.risks.factories import make_hazard

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# (module, path, role): the landing page of each module for the people who use it
PAGES = [
    ("workbench", "/", Role.OFFICER),
    ("incidents", "/incidents/", Role.OFFICER),
    ("incident list", "/incidents/list/", Role.OFFICER),
    ("duty board", "/incidents/board/", Role.OFFICER),
    ("kpi", "/incidents/kpi/", Role.STATION_LEADER),
    ("exchange", "/exchange/inbound/", Role.STATION_LEADER),
    ("risks", "/risks/", Role.OFFICER),
    ("enterprises", "/enterprises/", Role.OFFICER),
    ("traffic", "/traffic/", Role.STATION_LEADER),
    ("antifraud", "/antifraud/", Role.OFFICER),
    ("disputes", "/disputes/", Role.OFFICER),
    ("dashboard", "/dashboard/", Role.BUREAU_LEADER),
    ("liaison portal", "/enterprises/", Role.LIAISON),
]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it stands; the serious and critical violations, summarised."""
    if not AXE.exists():
        pytest.fail(f"axe-core not installed at {AXE}: run `make assets` (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def records(make_user, station):
    officer = make_user(Role.OFFICER, username="a11y-officer")
    make_incident(station, officer)
    make_hazard(station, officer, found_days_ago=40, rectify_in_days=-5)
    make_dispute(station, officer)
    return officer


@pytest.mark.parametrize(("module", "path", "role"), PAGES, ids=[p[0] for p in PAGES])
def test_main_page_has_no_serious_or_critical_axe_violation(
    module, path, role, browser, live_server, login, make_user, records
):
    user = records if role == Role.OFFICER else make_user(role, username=f"a11y-{role}")
    page = new_page(browser, live_server, bypass_csp=True)
    try:
        login(page, user.username)
        response = page.goto(path)
        assert response.status == 200, f"{module}: {path} answered {response.status}"
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            page.screenshot(path=artifact(f"i19-axe-{module.replace(' ', '-')}.png"), full_page=True)
        assert violations == [], f"{module} ({path}): {violations}"
        assert page.external_requests == []
    finally:
        page.context.close()


def test_axe_finds_a_violation_when_there_is_one(browser, live_server, login, records):
    """The check can fail: an image without alt text and an unlabelled input on a real page are caught."""
    page = new_page(browser, live_server, bypass_csp=True)
    try:
        login(page, records.username)
        page.goto("/")
        page.evaluate(
            """() => {
                const input = document.createElement('input');
                input.type = 'text';
                document.querySelector('main').appendChild(input);
            }"""
        )
        assert {v["id"] for v in axe_violations(page)} >= {"label"}
    finally:
        page.context.close()
