"""Issue 16, items 8 and 9: login with any username length is a normal failure, and `next` only
ever leads to a local path (one helper, qianwan.security.redirects.local_next)."""

import pytest
from django.urls import reverse

from qianwan.notify.models import InboxItem
from qianwan.notify.services import notification_send

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("length", [150, 151, 255, 256, 300, 5000])
def test_login_with_any_username_length_is_a_normal_failure(client, url, length):
    response = client.post(url, {"username": "u" * length, "password": "wrong-password"})
    assert response.status_code in (200, 400, 403, 429), response.status_code
    assert not response.wsgi_request.user.is_authenticated


BAD_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
]


def _item_for(user):
    notification_send(key=f"t16-{user.pk}", recipients=[user], title="测试", body="x", kind="test")
    return InboxItem.objects.filter(recipient=user).latest("pk")


@pytest.mark.parametrize("nxt", BAD_NEXT)
def test_acknowledge_never_redirects_off_site(client, officer, nxt, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = _item_for(officer)
    client.force_login(officer)
    response = client.post(reverse("notify:ack", args=[item.pk]), {"next": nxt})
    assert response.status_code == 302
    assert response["Location"] == reverse("notify:inbox")


def test_acknowledge_follows_a_local_next(client, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = _item_for(officer)
    client.force_login(officer)
    response = client.post(reverse("notify:ack", args=[item.pk]), {"next": "/traffic/?a=1"})
    assert response.status_code == 302 and response["Location"] == "/traffic/?a=1"


@pytest.mark.parametrize("nxt", BAD_NEXT)
def test_local_next_helper(rf, nxt):
    from qianwan.security.redirects import local_next

    request = rf.post("/", {"next": nxt})
    assert local_next(request, "/fallback/") == "/fallback/"
    assert local_next(rf.post("/", {"next": "/ok/?x=1"}), "/fallback/") == "/ok/?x=1"
