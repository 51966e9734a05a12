"""Browser: a liaison records a class session, scores the partner class, and the ranking updates."""

import pytest
from playwright.sync_api import expect

from antifraud import services
from antifraud.models import Pairing, StudySession
from qianwan.org.choices import Role
from tests.antifraud.factories import EmployeeFactory, FraudCaseFactory, StandardFactory, WorkClassFactory
from tests.e2e.conftest import artifact
from tests.factories import enterprise_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_liaison_records_session_and_scores_another_class(page, login, make_user, station, bureau):
    ent = enterprise_for(station)
    liaison = make_user(Role.LIAISON, username="fotile", enterprise=ent, full_name="方太联络员")
    one = WorkClassFactory(enterprise=ent, name="总装一班")
    two = WorkClassFactory(enterprise=ent, name="注塑班")
    people = [EmployeeFactory(work_class=one, name=n) for n in ("张伟", "李娜", "王强")]
    EmployeeFactory(work_class=two, name="赵敏")
    FraudCaseFactory(title="刷单返利：兼职点赞返佣")
    StandardFactory()
    evaluation_round, _ = services.round_open(month=services.today_local())
    pairing = Pairing.objects.get(round=evaluation_round, evaluator=one)
    assert pairing.evaluated == two

    login(page, "fotile")
    page.goto("/antifraud/")
    expect(page.locator("h1.page-title")).to_contain_text(ent.name)
    expect(page.locator("main")).to_contain_text("总装一班")

    # record a morning-meeting session of 总装一班
    page.click("nav.af-tabs >> text=学习活动")
    page.select_option("#cls", str(one.pk))
    page.click("text=选择班组")
    page.fill("#id_held_on", services.today_local().isoformat())
    page.select_option("#id_kind", "morning_meeting")
    page.select_option("#id_case", label="刷单返利：兼职点赞返佣")
    page.select_option("#id_speaker", label="张伟")
    for person in people[:2]:
        page.check(f"input[name=attendees][value='{person.pk}']")
    page.fill("#id_notes", "员工讲反诈：刷单都是诈骗")
    page.click("text=保存活动")
    expect(page.locator(".msg-success")).to_contain_text("学习活动已记录")
    expect(page.locator("main table").last).to_contain_text("晨会")
    page.screenshot(path=artifact("antifraud-session.png"), full_page=True)
    session = StudySession.objects.get()
    assert session.attendees.count() == 2 and session.created_by == liaison

    # score the partner class; a score above the maximum is refused
    page.click("nav.af-tabs >> text=交叉互评")
    card = page.locator(f"section[data-pairing='{pairing.pk}']")
    expect(card).to_contain_text("注塑班")
    inputs = card.locator("input[type=number]")
    for i in range(inputs.count()):
        inputs.nth(i).fill("4")
    inputs.nth(0).fill("12")  # the max is 10
    card.locator("button[type=submit]").click()
    # the browser refuses it before sending (the server refuses it too: tests/antifraud/test_pages.py)
    assert inputs.nth(0).evaluate("e => e.validity.rangeOverflow") is True
    pairing.refresh_from_db()
    assert pairing.total is None
    inputs.nth(0).fill("10")
    card.locator("button[type=submit]").click()
    expect(page.locator(".msg-success")).to_contain_text("注塑班")
    ranking = page.locator("table[data-ranking]")
    expect(ranking).to_contain_text("注塑班")
    pairing.refresh_from_db()
    expect(ranking).to_contain_text(f"{float(pairing.total)}")
    page.screenshot(path=artifact("antifraud-scoring.png"), full_page=True)
    assert page.external_requests == []

    # the district ranking a leader sees has the class and the enterprise
    page.context.clear_cookies()
    login(page, bureau.username)
    page.goto("/antifraud/ranking/")
    expect(page.locator("table[data-class-ranking]")).to_contain_text("注塑班")
    expect(page.locator("table[data-enterprise-ranking]")).to_contain_text(ent.name)
    page.screenshot(path=artifact("antifraud-ranking.png"), full_page=True)
