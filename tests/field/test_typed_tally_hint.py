"""The patrol form says, before saving, that a typed tally (手工录入) for that campaign, station and day
already exists: rendered with the form for the chosen values, and answered by a small fetch when they
change (issue 22, item 3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qianwan.org.choices import Role
from risks import services
from tests.risks.factories import make_campaign
from tests.traffic.factories import team_with_members

pytestmark = pytest.mark.django_db

URL = "/traffic/patrols/typed-tally/"


@pytest.fixture
def setting(station, officer):
    campaign = make_campaign()
    team = team_with_members(station)
    start = timezone.localtime(timezone.now() - timedelta(hours=2))
    services.violations_record(actor=officer, campaign=campaign, station=station, date=start.date(), count=9)
    return {"campaign": campaign, "team": team, "start": start.strftime("%Y-%m-%dT%H:%M")}


def test_fetch_says_a_typed_tally_exists(setting, client, officer):
    client.force_login(officer)
    params = {"campaign": setting["campaign"].pk, "team": setting["team"].pk, "started_at": setting["start"]}
    r = client.get(URL, params)
    assert r.status_code == 200 and "已有手工录入的违法统计（9 起）" in r.json()["message"]
    # another day, or no campaign: nothing to say
    day_before = (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert client.get(URL, {**params, "started_at": day_before}).json()["message"] == ""
    assert (
        client.get(URL, {"team": setting["team"].pk, "started_at": setting["start"]}).json()["message"] == ""
    )


def test_form_shows_it_before_saving(setting, client, officer):
    client.force_login(officer)
    page = client.get(
        "/traffic/patrols/new/",
        {"campaign": setting["campaign"].pk, "team": setting["team"].pk, "started_at": setting["start"]},
    ).content.decode()
    assert "已有手工录入的违法统计（9 起）" in page and "patrol_form.js" in page
    blank = client.get("/traffic/patrols/new/").content.decode()
    assert "data-typed-tally" in blank and "已有手工录入的违法统计" not in blank


def test_bad_input_is_400_and_another_station_reveals_nothing(setting, client, make_user, other_station):
    outsider = make_user(Role.OFFICER, station_=other_station, username="typed-outsider")
    client.force_login(outsider)
    params = {"campaign": setting["campaign"].pk, "team": setting["team"].pk, "started_at": setting["start"]}
    r = client.get(URL, params)
    assert r.status_code == 200 and r.json()["message"] == ""  # another station's team: no hint
    assert client.get(URL, {**params, "started_at": "yesterday"}).status_code == 400
    assert client.get(URL, {**params, "team": "abc"}).status_code == 400
