"""Liaison groups are notify channels; notices are delivered to a real local HTTP robot."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from qianwan.notify.models import Channel, Delivery
from tests.errors import error_fields

pytestmark = pytest.mark.django_db
SECRET = "SECtest-secret"


class Robot:
    def __init__(self):
        self.requests = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.requests.append((self.path, json.loads(body)))
                answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.close()


def test_notice_reaches_dingtalk_group_with_valid_signature(
    api_as, officer, station, robot, django_capture_on_commit_callbacks
):
    client = api_as(officer)
    response = client.post(
        "/api/v1/antifraud/liaison-groups/",
        {"name": "庵东警企反诈群", "kind": "dingtalk", "url": robot.url, "secret": SECRET, "station": "ADS"},
        format="json",
    )
    assert response.status_code == 201, response.content
    group = Channel.objects.get(pk=response.json()["id"])
    assert group.broadcast_only and group.station == station and "secret" not in response.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/antifraud/notices/",
            {
                "title": "警惕刷单返利",
                "body": "近期多名员工被骗，凡是刷单都是诈骗。",
                "fraud_type": "brushing",
                "groups": [group.pk],
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert len(robot.requests) == 1
    path, body = robot.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["access_token"] == ["abc"]
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert body["msgtype"] == "text" and "警惕刷单返利" in body["text"]["content"]
    detail = client.get(f"/api/v1/antifraud/notices/{response.json()['id']}/").json()
    assert detail["deliveries"][0]["status"] == "delivered"
    assert detail["deliveries"][0]["attempts_log"][0]["ok"] is True
    assert Delivery.objects.get().status == "delivered"


def test_station_alerts_never_reach_a_liaison_group(officer, station, robot):
    from qianwan.notify.services import notification_send

    Channel.objects.create(
        name="群",
        kind="wecom",
        url=robot.url,
        station=station,
        broadcast_only=True,
        kinds=["antifraud.notice"],
    )
    notification_send(key="x", kind="incident.breach", title="t", recipients=[officer], station=station)
    assert not Delivery.objects.exists()


def test_notice_bad_input_and_other_station_group(api_as, officer, other_station, robot):
    foreign = Channel.objects.create(
        name="崇寿群",
        kind="wecom",
        url=robot.url,
        station=other_station,
        broadcast_only=True,
        kinds=["antifraud.notice"],
    )
    client = api_as(officer)
    response = client.post(
        "/api/v1/antifraud/notices/",
        {"title": "t", "body": "b", "fraud_type": "brushing", "groups": [foreign.pk]},
        format="json",
    )
    assert response.status_code == 400 and "groups" in error_fields(response)
    response = client.post(
        "/api/v1/antifraud/notices/",
        {"title": "t", "body": "b", "fraud_type": "brushing", "groups": []},
        format="json",
    )
    assert response.status_code == 400
    response = client.post(
        "/api/v1/antifraud/liaison-groups/",
        {"name": "x", "kind": "email", "url": robot.url, "station": "ADS"},
        format="json",
    )
    assert response.status_code == 400
    response = client.post(
        "/api/v1/antifraud/liaison-groups/",
        {"name": "x", "kind": "dingtalk", "url": robot.url, "station": "CSS"},
        format="json",
    )
    assert response.status_code == 403
