"""Browser: a rota → a call → the on-duty leader's single inbox thread updating as the chain repeats →
acknowledgement from the signed link in the work notice (on a phone, no login) stops the repeats; and a
channel's "send test" to an unreachable receiver shows the failure in the delivery log."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents import services as incident_services
from incidents.models import Incident, IncidentEvent, SlaClock
from qianwan.loopback import free_port
from qianwan.notify.channels import _forget_token
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from qianwan.webhooks import CONNECT_FAILED
from tests.e2e.conftest import artifact, new_page
from tests.notify.standins import CorporateApis

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def apis(settings, live_server):
    stand_in = CorporateApis()
    stand_in.configure(settings)
    settings.SITE_URL = live_server.url
    yield stand_in
    for kind in ("dingtalk", "wecom"):
        _forget_token(kind)
    stand_in.close()


def test_rota_call_thread_and_link_acknowledgement(
    browser, live_server, page, login, make_user, station, apis
):
    zhao = make_user(Role.STATION_LEADER, username="zhao", full_name="赵所长")
    make_user(Role.STATION_LEADER, username="qian", full_name="钱副所长")  # not on the rota
    make_user(Role.OFFICER, username="wang", full_name="王建国")
    bureau = make_user(Role.BUREAU_LEADER, username="bureau", full_name="分局领导")
    incident_services.escalation_chain_save(
        actor=bureau,
        station=None,
        steps=[{"target": "duty_leader", "wait_seconds": 0, "repeat_times": 10, "repeat_every_seconds": 4}],
    )

    # the station leader keeps the rota in the page: today, round the clock, himself
    login(page, "zhao")
    page.goto("/duty/rotations/new/")
    page.fill("#id_name", "所领导值班")
    page.select_option("#id_post", "leader")
    page.select_option("#id_period", "daily")
    page.fill("#id_starts_on", timezone.localdate().isoformat())
    page.fill("#id_shift_start", "00:00")
    page.fill("#id_shift_hours", "24")
    page.fill("#id_members", "zhao")
    page.click("form.card button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("已保存值班轮换")
    expect(page.locator("[data-duty-now]")).to_contain_text("赵所长")
    # his DingTalk work notice, for every level
    page.goto("/notifications/contacts/")
    page.select_option("#id_kind", "dingtalk")
    page.fill("#id_address", "zhao01")
    page.click("form.card button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("已添加联系方式")

    # a call, taken in another browser by the officer; it came in 61 s ago (dispatch already late)
    officer = new_page(browser, live_server)
    login(officer, "wang")
    officer.goto("/incidents/new/")
    officer.select_option("#id_category", "dispute")
    officer.fill("#id_address", "庵东镇兴业路18号")
    officer.fill("#id_description", "邻里因停车位争吵")
    received = timezone.localtime(timezone.now() - timedelta(seconds=61)).strftime("%Y-%m-%dT%H:%M:%S")
    officer.fill("#id_received_at", received)
    officer.press("#id_description", "Enter")
    expect(officer.locator(".msg-success")).to_contain_text("已登记警情")
    officer.context.close()
    incident = Incident.objects.get()
    dispatch = SlaClock.objects.get(incident=incident, stage="dispatch")

    incident_services.clocks_sweep()  # what beat does every 15 s: the breach, and the chain's first page
    page.goto("/notifications/")
    thread = page.locator(f'[data-thread="incident:{incident.pk}"]')
    expect(thread).to_have_count(1)
    expect(thread.locator("[data-thread-count]")).to_contain_text("2 条")
    expect(thread).to_contain_text("已超时")
    expect(page.locator("[data-unread-badge]")).to_have_text("1")

    # the chain repeats every 4 s: sweep as beat does until the repeat has come (or two on a slow
    # machine), for at most 20 s; the open page updates itself
    in_thread, waited = 2, 0.0
    while in_thread < 3 and waited < 20:
        time.sleep(1.0)
        waited += 1.0
        incident_services.clocks_sweep()
        in_thread = InboxItem.objects.filter(
            recipient=zhao, notification__thread=f"incident:{incident.pk}"
        ).count()
    assert in_thread >= 3, f"no repeat after {waited:.0f} s"
    expect(page.locator(f'[data-thread="incident:{incident.pk}"] [data-thread-count]')).to_contain_text(
        f"{in_thread} 条", timeout=15000
    )
    expect(page.locator("[data-thread]")).to_have_count(1)
    page.screenshot(path=artifact("duty-thread.png"), full_page=True)
    assert not InboxItem.objects.filter(recipient__username="qian").exists()

    # the work notice carries the one-time link; opened on a phone, nobody logged in
    notices = [m for m in apis.messages if m["kind"] == "dingtalk" and m["to"] == "zhao01"]
    assert len(notices) == in_thread  # the new call, the breach, the repeats: one message per step
    link = re.search(r"(/notifications/ack/\S+/)", notices[-1]["text"]).group(1)
    assert notices[-1]["text"].count(live_server.url) == 2  # the incident and the link, absolute
    phone = new_page(browser, live_server)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(link)
    phone.get_by_role("button", name="确认收到").click()
    expect(phone.locator("[data-ack-result]")).to_contain_text("已确认收到")
    phone.screenshot(path=artifact("duty-ack-phone.png"), full_page=True)
    phone.goto(link)  # the same link again: a clear page, nothing changes
    expect(phone.locator("[data-ack-result]")).to_contain_text("只能使用一次")
    phone.context.close()
    assert IncidentEvent.objects.get(incident=incident, kind="leader_notified").actor == zhao

    # no more repeats for the steps already sent (up to ten were planned)
    dispatch.refresh_from_db()
    assert dispatch.chain_next < len(dispatch.chain)
    sent = Notification.objects.filter(key__startswith=f"clock:{dispatch.pk}:").count()
    time.sleep(8.5)
    incident_services.clocks_sweep()
    assert Notification.objects.filter(key__startswith=f"clock:{dispatch.pk}:").count() == sent
    page.reload()
    expect(page.locator(f'[data-thread="incident:{incident.pk}"]')).to_contain_text("已确认")
    assert page.external_requests == []


def test_channel_send_test_to_an_unreachable_receiver_shows_the_failure(page, login, make_user, station):
    make_user(Role.STATION_LEADER, username="zhao", full_name="赵所长")
    login(page, "zhao")
    page.goto("/notifications/channels/new/")
    page.fill("#id_name", "庵东所值班群")
    page.select_option("#id_kind", "dingtalk")
    page.fill("#id_url", f"http://127.0.0.1:{free_port()}/robot/send?access_token=x")
    page.click("form.card button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("已保存推送渠道")
    page.get_by_role("button", name="发送测试").click()
    expect(page.locator(".msg-error")).to_contain_text("测试消息发送失败")
    log = page.locator("[data-delivery-log] tbody tr")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("失败")
    expect(log.first).to_contain_text(CONNECT_FAILED)
    page.screenshot(path=artifact("channel-send-test-failed.png"), full_page=True)
