"""The anti-fraud lists and the inbox on the shared list page (qianwan/listing.py, issue 21):
bounded counts, cursor links that walk every row once, and a default window on the time-ordered
lists with "全部时间"."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from antifraud.models import FraudNotice
from qianwan.org.choices import Role

pytestmark = pytest.mark.django_db


def _notice(station, title, age):
    notice = FraudNotice.objects.create(station=station, title=title, body="b", fraud_type="brushing")
    FraudNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now() - age)


def _titles(html):
    return re.findall(r'href="/antifraud/notices/\d+/">([^<]+)</a>', html)


def test_notices_open_on_30_days_and_page_by_cursor(make_user, station):
    for i in range(32):
        _notice(station, f"近期预警{i:02d}", timedelta(hours=i))
    _notice(station, "旧预警", timedelta(days=40))
    client = Client()
    client.force_login(make_user(Role.BUREAU_LEADER, username="bl-notices"))
    html = client.get(reverse("antifraud:notices")).content.decode()
    assert "最近 30 天" in html and "全部时间" in html and "共 32 条" in html
    first = _titles(html)
    assert len(first) == 30 and "旧预警" not in first
    next_url = unescape(re.search(r'href="([^"]+)" rel="next"', html).group(1))
    assert "cursor=" in next_url
    rest = _titles(client.get(reverse("antifraud:notices") + next_url).content.decode())
    assert sorted(first + rest) == sorted(f"近期预警{i:02d}" for i in range(32))  # each once
    everything = client.get(reverse("antifraud:notices") + "?period=all").content.decode()
    assert "共 33 条" in everything
    tampered = next_url.replace("cursor=", "cursor=x")
    assert client.get(reverse("antifraud:notices") + tampered).status_code == 400
