"""Issue 16, "also to decide": webhook tokens and 加签 secrets are write-only in the API and never
copied into audit rows (qianwan.masking.mask_secrets on every audit snapshot)."""

import json

import pytest

from qianwan.audit.models import AuditEntry
from qianwan.masking import mask_url
from qianwan.notify.models import Channel

pytestmark = pytest.mark.django_db

TOKEN = "3f9c2a7d0b6e41f8a5c2d9e7b1a4c6f0deadbeefcafe"
SECRET = "SECabcdef0123456789abcdef0123456789abcdef0123456789abcdef012345"
URL = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"


def test_liaison_group_secrets_are_write_only_and_not_audited(api_as, officer, make_user):
    client = api_as(officer)
    response = client.post(
        "/api/v1/antifraud/liaison-groups/",
        {"name": "庵东警企反诈群", "kind": "dingtalk", "url": URL, "secret": SECRET, "station": "ADS"},
        format="json",
    )
    assert response.status_code == 201, response.content
    group = Channel.objects.get(pk=response.json()["id"])
    assert group.url == URL and group.secret == SECRET  # stored for sending
    for body in (
        response.content.decode(),
        client.get(f"/api/v1/antifraud/liaison-groups/{group.pk}/").content.decode(),
        client.get("/api/v1/antifraud/liaison-groups/").content.decode(),
        api_as(make_user("station_leader", username="sl"))
        .get("/api/v1/antifraud/liaison-groups/")
        .content.decode(),
    ):
        assert TOKEN not in body and SECRET not in body
    detail = client.get(f"/api/v1/antifraud/liaison-groups/{group.pk}/").json()
    assert detail["url_masked"] == "https://oapi.dingtalk.com/robot/send?access_token=***"
    assert detail["has_secret"] is True
    rows = json.dumps([[e.before, e.after] for e in AuditEntry.objects.all()], ensure_ascii=False)
    assert AuditEntry.objects.exists()
    assert TOKEN not in rows and SECRET not in rows


def test_mask_url_keeps_where_and_hides_credentials():
    assert mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc&x=1") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***&x=1"
    )
    assert mask_url("https://example.org/hook") == "https://example.org/hook"
    assert mask_url("") == ""
