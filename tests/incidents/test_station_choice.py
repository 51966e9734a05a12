"""Issue 19 item 4: the duty board and the KPI page choose a station from a dropdown of station names
in the user's scope (their own for station roles, every active one plus 全部 for the sub-bureau)."""

import re

import pytest

from qianwan.org.choices import Role

pytestmark = pytest.mark.django_db


def _options(html: str, select_id: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select id="{select_id}" name="station">(.*?)</select>', html, re.S)
    assert select, f"no #{select_id} dropdown"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


@pytest.mark.parametrize(
    ("path", "select_id"), [("/incidents/board/", "board-station"), ("/incidents/kpi/", "kpi-station")]
)
def test_station_roles_get_their_own_station_by_name(client, make_user, other_station, path, select_id):
    for role in (Role.OFFICER, Role.STATION_LEADER):
        client.force_login(make_user(role, username=f"pick-{role}"))
        response = client.get(path)
        assert response.status_code == 200
        assert _options(response.content.decode(), select_id) == [("ADS", "庵东派出所")]


@pytest.mark.parametrize(
    ("path", "select_id", "everything"),
    [("/incidents/board/", "board-station", "全部"), ("/incidents/kpi/", "kpi-station", "全分局")],
)
def test_bureau_picks_any_active_station_by_name(
    client, bureau, station, other_station, path, select_id, everything
):
    client.force_login(bureau)
    html = client.get(path, {"station": "CSS"}).content.decode()
    assert _options(html, select_id) == [("", everything), ("ADS", "庵东派出所"), ("CSS", "崇寿派出所")]
    assert '<option value="CSS" selected>崇寿派出所</option>' in html


def test_another_station_is_refused_for_a_station_role(client, officer, other_station):
    client.force_login(officer)
    response = client.get("/incidents/board/", {"station": "CSS"})
    assert response.status_code == 400
    assert 'id="board-station"' not in response.content.decode()
