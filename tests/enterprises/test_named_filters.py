"""Issue 19 item 4: catalogue filters (服务项目, 宣讲团队) are dropdowns of names, not code boxes; the
query value stays the code, so links and the API read the same ``?service_type=``."""

import re

import pytest

from qianwan.org.choices import Role

from .factories import LecturerTeamFactory, ServiceRequestFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"{name} is not a dropdown"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def test_service_item_filter_is_a_dropdown_of_names_and_filters_by_code(client, make_user):
    liaison = make_user(Role.LIAISON, username="lian")
    patrol = ServiceTypeFactory(code="patrol", name="夜间巡逻")
    lecture = ServiceTypeFactory(code="lecture", name="防诈宣讲")
    wanted = ServiceRequestFactory(enterprise=liaison.enterprise, service_type=patrol, description="巡逻需求")
    ServiceRequestFactory(enterprise=liaison.enterprise, service_type=lecture, description="宣讲需求")
    client.force_login(liaison)
    html = client.get("/enterprises/requests/").content.decode()
    options = _options(html, "service_type")
    assert (
        options[0] == ("", "全部")
        and ("patrol", "夜间巡逻") in options
        and ("lecture", "防诈宣讲") in options
    )
    assert "服务项目代码" not in html
    html = client.get("/enterprises/requests/", {"service_type": "patrol"}).content.decode()
    assert f"/enterprises/requests/{wanted.pk}/" in html and "宣讲需求" not in html
    assert '<option value="patrol" selected>夜间巡逻</option>' in html


def test_lecturer_team_filter_is_a_dropdown_of_names(client, officer):
    LecturerTeamFactory(code="t1", name="庵东宣讲团")
    client.force_login(officer)
    html = client.get("/enterprises/lectures/").content.decode()
    assert ("t1", "庵东宣讲团") in _options(html, "team")
