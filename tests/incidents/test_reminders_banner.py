"""The duty board tells officers and leaders when the reminders are not running: a red banner while
the beat sweep's heartbeat is older than 60 s (rendered with the page and switched by the board's
poll of board.json, which carries ``reminders``)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.services import clocks_sweep
from qianwan.notify.models import Heartbeat
from qianwan.org.choices import Role

BANNER = "data-reminders-banner"


def _banner_hidden(html: str) -> bool:
    tag = html[html.index(BANNER) - 60 : html.index(BANNER) + 40]
    return " hidden" in tag


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER])
def test_board_banner_follows_the_heartbeat(client, make_user, station, role):
    user = make_user(role, username=f"banner-{role}")
    client.force_login(user)
    # never swept: stale
    page = client.get("/incidents/board/").content.decode()
    assert "超时提醒未在运行" in page and not _banner_hidden(page)
    assert client.get("/incidents/board.json").json()["reminders"] == "stale"

    clocks_sweep()
    page = client.get("/incidents/board/").content.decode()
    assert _banner_hidden(page)
    assert client.get("/incidents/board.json").json()["reminders"] == "ok"

    Heartbeat.objects.update(at=timezone.now() - timedelta(seconds=61))
    assert client.get("/incidents/board.json").json()["reminders"] == "stale"
    assert not _banner_hidden(client.get("/incidents/board/").content.decode())
