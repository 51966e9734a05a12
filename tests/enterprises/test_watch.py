"""Neighbourhood watch: alliance size 10–15 with a leader override, first responses, calls."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from enterprises.models import Alliance, FirstResponse
from qianwan.audit.models import AuditEntry
from qianwan.notify.choices import ChannelKind, DeliveryStatus
from qianwan.notify.models import Channel, Delivery, InboxItem
from qianwan.org.choices import Role
from tests.errors import error_fields
from tests.factories import enterprise_for

from .factories import AllianceFactory, EnterpriseFactory, ShopFactory


def members(station, n):
    return [EnterpriseFactory(station=station) if i % 2 else ShopFactory(station=station) for i in range(n)]


def payload(ms, **extra):
    return {
        "name": "兴业路邻里守望联盟",
        "area": "兴业路沿线",
        "members": [m.pk for m in ms],
        "leader_member": ms[0].pk if ms else None,
        "contacts": [{"name": "张三", "phone": "13800000000", "duty": "保卫科长"}],
        **extra,
    }


class TestAllianceSize:
    @pytest.mark.parametrize("n", [3, 30])
    def test_outside_10_to_15_is_a_clear_400(self, api_as, officer, station, n):
        response = api_as(officer).post("/api/v1/alliances/", payload(members(station, n)), format="json")
        assert response.status_code == 400
        message = error_fields(response)["members"][0]
        assert "10–15" in message and f"当前为 {n} 家" in message
        assert not Alliance.objects.exists()

    @pytest.mark.parametrize("n", [10, 15])
    def test_bounds_are_allowed(self, api_as, officer, station, n):
        response = api_as(officer).post("/api/v1/alliances/", payload(members(station, n)), format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["member_count"] == n and body["station"] == "ADS" and body["size_override_reason"] == ""
        assert body["contacts"][0]["phone"] == "13800000000"

    def test_officer_cannot_override(self, api_as, officer, station):
        response = api_as(officer).post(
            "/api/v1/alliances/",
            payload(members(station, 3), override_reason="村里只有三家店"),
            format="json",
        )
        assert response.status_code == 403
        assert not Alliance.objects.exists()

    def test_leader_override_with_reason_is_audited(self, api_as, leader, station):
        response = api_as(leader).post(
            "/api/v1/alliances/",
            payload(members(station, 3), override_reason="偏远片区仅三家商户"),
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["member_count"] == 3 and body["size_override_reason"] == "偏远片区仅三家商户"
        assert body["size_override_by"]["id"] == leader.pk
        entry = AuditEntry.objects.get(action="alliance.size_override", object_id=str(body["id"]))
        assert entry.actor == leader and entry.after == {"members": 3, "reason": "偏远片区仅三家商户"}

    def test_update_members_is_checked_too(self, api_as, officer, leader, station):
        alliance = AllianceFactory(station=station, members=members(station, 10))
        extra = members(station, 6)
        current = [m.enterprise_id for m in alliance.memberships.all()]
        client = api_as(officer)
        too_many = client.patch(
            f"/api/v1/alliances/{alliance.pk}/", {"members": current + [m.pk for m in extra]}, format="json"
        )
        assert too_many.status_code == 400 and "当前为 16 家" in error_fields(too_many)["members"][0]
        ok = client.patch(
            f"/api/v1/alliances/{alliance.pk}/",
            {"members": current + [m.pk for m in extra[:5]]},
            format="json",
        )
        assert ok.status_code == 200 and ok.json()["member_count"] == 15
        too_few = client.patch(f"/api/v1/alliances/{alliance.pk}/", {"members": current[:4]}, format="json")
        assert too_few.status_code == 400
        by_leader = api_as(leader).patch(
            f"/api/v1/alliances/{alliance.pk}/",
            {"members": current[:4], "override_reason": "拆迁后剩四家"},
            format="json",
        )
        assert by_leader.status_code == 200 and by_leader.json()["member_count"] == 4

    def test_members_from_another_station_or_alliance_are_refused(
        self, api_as, officer, bureau, station, other_station
    ):
        AllianceFactory(station=station, members=members(station, 10))
        taken = Alliance.objects.get().memberships.first().enterprise
        ms = members(station, 9) + [taken]
        response = api_as(officer).post("/api/v1/alliances/", payload(ms), format="json")
        assert response.status_code == 400 and "已加入其他联盟" in error_fields(response)["members"][0]
        foreign = members(other_station, 1)
        response = api_as(bureau).post(
            "/api/v1/alliances/", payload(members(station, 9) + foreign, station="ADS"), format="json"
        )
        assert response.status_code == 400 and "辖区" in error_fields(response)["members"][0]

    def test_leader_member_must_be_a_member_and_contacts_validated(self, api_as, officer, station):
        ms = members(station, 10)
        outsider = EnterpriseFactory(station=station)
        client = api_as(officer)
        assert (
            client.post(
                "/api/v1/alliances/", payload(ms, leader_member=outsider.pk), format="json"
            ).status_code
            == 400
        )
        bad_phone = payload(ms, contacts=[{"name": "张三", "phone": "123"}])
        response = client.post("/api/v1/alliances/", bad_phone, format="json")
        assert response.status_code == 400 and "contacts" in error_fields(response)

    def test_page_shows_the_error_and_keeps_the_form(self, client, officer, station):
        ms = members(station, 3)
        client.force_login(officer)
        response = client.post(
            "/enterprises/alliances/new/",
            {"name": "小联盟", "station": station.pk, "area": "路口", "members": [m.pk for m in ms]},
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "当前为 3 家" in html and "小联盟" in html


class _Robot(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Robot.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    _Robot.received = []
    server = HTTPServer(("127.0.0.1", 0), _Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t", _Robot.received
    server.shutdown()


def test_call_notifies_member_liaisons_and_dingtalk(
    api_as, officer, make_user, station, robot, django_capture_on_commit_callbacks
):
    url, received = robot
    ms = members(station, 10)
    alliance = AllianceFactory(station=station, members=ms)
    liaisons = [make_user(Role.LIAISON, enterprise=m, username=f"lia{i}") for i, m in enumerate(ms[:3])]
    outsider = make_user(Role.LIAISON, enterprise=EnterpriseFactory(station=station), username="outsider")
    Channel.objects.create(
        name="庵东警企群", kind=ChannelKind.DINGTALK, url=url, station=station, kinds=["watch_call"]
    )
    Channel.objects.create(
        name="WeCom", kind=ChannelKind.WECOM, url=url, station=station, kinds=["watch_call"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(officer).post(
            f"/api/v1/alliances/{alliance.pk}/call/",
            {"place": "兴业路口", "message": "两人争执"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["recipients"] == 3
    inbox = set(InboxItem.objects.filter(notification__kind="watch_call").values_list("recipient", flat=True))
    assert inbox == {u.pk for u in liaisons} and outsider.pk not in inbox
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    assert len(received) == 2 and "兴业路口" in received[0]["text"]["content"]
    # a liaison sees the call and answers it with a first-response log
    client = api_as(liaisons[0])
    assert client.get("/api/v1/watch-calls/").json()["count"] == 1
    logged = client.post(
        "/api/v1/first-responses/",
        {
            "alliance": alliance.pk,
            "call": response.json()["id"],
            "occurred_at": timezone.now().isoformat(),
            "place": "兴业路口",
            "action_taken": "保安劝开双方",
            "outcome": "平息",
        },
        format="json",
    )
    assert logged.status_code == 201, logged.content
    assert logged.json()["member"] == ms[0].pk and logged.json()["status"] == "reported"


def test_first_response_rules_and_confirmation(api_as, officer, make_user, station):
    alliance = AllianceFactory(station=station, members=[enterprise_for(station), *members(station, 9)])
    liaison = make_user(Role.LIAISON, username="lia")
    stranger = make_user(Role.LIAISON, enterprise=EnterpriseFactory(station=station), username="stranger")
    body = {
        "alliance": alliance.pk,
        "occurred_at": timezone.now().isoformat(),
        "place": "路口",
        "action_taken": "劝阻",
        "outcome": "平息",
    }
    # a liaison whose enterprise is not a member cannot even see the alliance
    assert api_as(stranger).post("/api/v1/first-responses/", body, format="json").status_code == 400
    # a liaison cannot report for another member: the member is always their own enterprise
    other_member = alliance.memberships.exclude(enterprise=liaison.enterprise).first().enterprise
    created = api_as(liaison).post(
        "/api/v1/first-responses/", {**body, "member": other_member.pk}, format="json"
    )
    assert created.status_code == 400  # another member is outside the liaison's scope
    created = api_as(liaison).post("/api/v1/first-responses/", body, format="json")
    assert created.status_code == 201 and created.json()["member"] == liaison.enterprise_id
    rid = created.json()["id"]
    late = {**body, "police_arrived_at": "2020-01-01T00:00:00+08:00"}
    assert api_as(liaison).post("/api/v1/first-responses/", late, format="json").status_code == 400
    assert (
        api_as(liaison).post(f"/api/v1/first-responses/{rid}/confirm/", {}, format="json").status_code == 403
    )
    off = api_as(officer)
    assert (
        off.post(f"/api/v1/first-responses/{rid}/reject/", {}, format="json").status_code == 400
    )  # reason needed
    assert (
        off.post(f"/api/v1/first-responses/{rid}/confirm/", {}, format="json").json()["status"] == "confirmed"
    )
    assert off.post(f"/api/v1/first-responses/{rid}/confirm/", {}, format="json").status_code == 409
    # the liaison sees only their own enterprise's logs
    FirstResponse.objects.create(
        alliance=alliance,
        station=station,
        member=other_member,
        occurred_at=timezone.now(),
        place="x",
        action_taken="x",
        outcome="x",
        reported_by=officer,
    )
    assert api_as(liaison).get("/api/v1/first-responses/").json()["count"] == 1
    other = FirstResponse.objects.exclude(member=liaison.enterprise).get()
    assert api_as(liaison).get(f"/api/v1/first-responses/{other.pk}/").status_code == 404


def test_counts_per_alliance_and_period(api_as, officer, station, other_station, leader):
    from .factories import FirstResponseFactory

    a = AllianceFactory(station=station, members=members(station, 10))
    b = AllianceFactory(station=station, members=members(station, 10))
    c = AllianceFactory(station=other_station, members=members(other_station, 10))
    june = timezone.datetime(2026, 6, 10, 12, tzinfo=timezone.get_current_timezone())
    for _ in range(3):
        FirstResponseFactory(alliance=a, occurred_at=june, status="confirmed")
    FirstResponseFactory(alliance=a, occurred_at=june, status="reported")
    FirstResponseFactory(alliance=a, occurred_at=june.replace(month=8), status="confirmed")
    FirstResponseFactory(alliance=b, occurred_at=june, status="rejected")
    FirstResponseFactory(alliance=c, occurred_at=june, status="confirmed")
    data = api_as(officer).get("/api/v1/kpis/watch/?from=2026-06-01&to=2026-06-30").json()
    per = {row["alliance"]: row for row in data["per_alliance"]}
    assert set(per) == {a.pk, b.pk}
    assert (per[a.pk]["confirmed"], per[a.pk]["awaiting_confirmation"]) == (3, 1)
    assert per[b.pk]["confirmed"] == 0
    assert data["confirmed_responses"] == 3 and data["alliances"] == 2 and data["members"] == 20
    assert (
        api_as(officer).get("/api/v1/kpis/watch/?from=2026-06-01&to=2026-06-30&station=CSS").status_code
        == 403
    )


def test_bureau_must_name_the_station(api_as, bureau, station):
    response = api_as(bureau).post("/api/v1/alliances/", payload(members(station, 10)), format="json")
    assert response.status_code == 400 and "station" in error_fields(response)
    response = api_as(bureau).post(
        "/api/v1/alliances/", payload(members(station, 10), station="ADS"), format="json"
    )
    assert response.status_code == 201


def test_liaison_sees_only_their_own_alliance(api_as, client, make_user, station):
    mine = AllianceFactory(station=station, members=[enterprise_for(station), *members(station, 9)])
    other = AllianceFactory(station=station, members=members(station, 10))
    liaison = make_user(Role.LIAISON, username="lia")
    rows = api_as(liaison).get("/api/v1/alliances/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk] and rows[0]["member_count"] == 10
    assert api_as(liaison).get(f"/api/v1/alliances/{other.pk}/").status_code == 404
    client.force_login(liaison)
    assert client.get(f"/enterprises/alliances/{other.pk}/").status_code == 404
    assert (
        client.post(f"/enterprises/alliances/{mine.pk}/", {"place": "x", "message": "y"}).status_code == 404
    )
