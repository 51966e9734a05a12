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


def test_channel_pages_never_show_the_token_or_the_secret_and_keep_them(client, leader, station):
    """A station leader keeps the station's robot channel: its page and its edit form show the
    webhook's access_token masked and never the 加签 secret; saving the form back unchanged (or with
    another name) keeps both as stored."""
    channel = Channel.objects.create(
        name="庵东所值班群", kind="dingtalk", url=URL, secret=SECRET, station=station
    )
    client.force_login(leader)
    for page in (f"/notifications/channels/{channel.pk}/", f"/notifications/channels/{channel.pk}/edit/"):
        text = client.get(page).content.decode()
        assert TOKEN not in text and SECRET not in text, page
    assert mask_url(URL) in text  # the edit form carries the masked URL
    saved = client.post(
        f"/notifications/channels/{channel.pk}/edit/",
        {
            "name": "庵东所值班群（新）",
            "kind": "dingtalk",
            "url": mask_url(URL),
            "secret": "",
            "station": station.pk,
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:1500]
    channel.refresh_from_db()
    assert (channel.name, channel.url, channel.secret) == ("庵东所值班群（新）", URL, SECRET)
    # a new token replaces the old one
    client.post(
        f"/notifications/channels/{channel.pk}/edit/",
        {
            "name": "x",
            "kind": "dingtalk",
            "url": URL.replace(TOKEN, "new0token"),
            "secret": "",
            "station": station.pk,
        },
    )
    channel.refresh_from_db()
    assert channel.url.endswith("access_token=new0token") and channel.secret == SECRET
    audit = json.dumps(list(AuditEntry.objects.values("before", "after")), ensure_ascii=False)
    assert TOKEN not in audit and SECRET not in audit
