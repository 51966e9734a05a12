"""Bad input on the anti-fraud pages: a 400 page with the errors next to the fields and nothing written;
an id of a record that does not exist or is out of scope is a 404; posting to a read-only page is a 403."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from antifraud import services
from antifraud.models import (
    AdminStaff,
    Employee,
    FraudCase,
    FraudNotice,
    Pairing,
    ResponsibilityLetter,
    RosterImport,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)
from qianwan.notify.models import Channel
from tests.factories import enterprise_for

from .factories import EmployeeFactory, EnterpriseFactory, FraudCaseFactory, StandardFactory, WorkClassFactory

pytestmark = pytest.mark.django_db

REQUIRED = "该字段是必填项。"
ALERT = 'class="error" role="alert"'


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def assert_400(response, *messages):
    html = response.content.decode()
    assert response.status_code == 400, html[:2000]
    for message in messages:
        assert message in html, message
    return html


def test_enterprise_forms_invalid_post_is_400_and_writes_nothing(liaison, bureau, ent):
    c = client_for(liaison)
    url = f"/antifraud/enterprises/{ent.pk}/"
    html = assert_400(c.post(url, {"form": "staff", "staff-name": ""}), REQUIRED, ALERT)
    assert 'name="staff-name"' in html and not AdminStaff.objects.exists()
    assert_400(c.post(url, {"form": "class", "class-name": "x" * 101}), "不超过 100 字符", ALERT)
    assert not WorkClass.objects.exists()
    html = assert_400(c.post(url, {"form": "employee", "emp-name": "", "emp-joined_on": "2026-13-01"}), ALERT)
    assert REQUIRED in html and "输入一个有效的日期。" in html and "<details open>" in html
    assert not Employee.objects.exists()
    assert_400(c.post(url, {"form": "upload"}), REQUIRED)
    assert not RosterImport.objects.exists()
    assert_400(c.post(url, {"form": "bogus"}), "无法识别提交的表单，请刷新页面后重试。")
    assert c.post(url, {"form": "class", "class-name": "一班"}).status_code == 302
    # a bureau leader reads the page but may not write to it: refused, not silently ignored
    assert client_for(bureau).post(url, {"form": "class", "class-name": "二班"}).status_code == 403
    assert list(WorkClass.objects.values_list("name", flat=True)) == ["一班"]


def test_enterprise_class_param(liaison, ent, other_station):
    mine = WorkClassFactory(enterprise=ent, name="一班")
    EmployeeFactory(work_class=mine, name="甲员工")
    EmployeeFactory(work_class=WorkClassFactory(enterprise=ent, name="二班"), name="乙员工")
    foreign = WorkClassFactory(enterprise=enterprise_for(other_station))
    c = client_for(liaison)
    url = f"/antifraud/enterprises/{ent.pk}/"
    page = c.get(url, {"class": mine.pk}).content.decode()
    assert "甲员工" in page and "乙员工" not in page
    for bad in ("abc", "-1", "1.5", "²"):
        html = assert_400(c.get(url, {"class": bad}), f"班组编号“{bad}”无效，请从列表中选择班组。")
        assert "甲员工" not in html and "乙员工" not in html
    for missing in (foreign.pk, 999999, "99999999999999999"):
        assert c.get(url, {"class": missing}).status_code == 404


def test_class_edit_invalid_post_is_400(liaison, bureau, ent):
    wc = WorkClassFactory(enterprise=ent, name="一班")
    url = f"/antifraud/enterprises/{ent.pk}/classes/{wc.pk}/"
    assert_400(client_for(liaison).post(url, {"name": ""}), REQUIRED, ALERT)
    assert client_for(bureau).post(url, {"name": "改名"}).status_code == 403
    wc.refresh_from_db()
    assert wc.name == "一班"


def test_sessions_invalid_post_is_400_and_writes_nothing(liaison, ent):
    one = WorkClassFactory(enterprise=ent, name="一班")
    person = EmployeeFactory(work_class=one)
    c = client_for(liaison)
    url = f"/antifraud/enterprises/{ent.pk}/sessions/"
    data = {"class": one.pk, "held_on": "2026-05-14", "kind": "class_study", "attendees": [person.pk]}
    assert_400(c.post(url, {**data, "attendees": []}), REQUIRED, ALERT)
    assert_400(c.post(url, {**data, "held_on": "yesterday"}), "输入一个有效的日期。")
    assert_400(c.post(url, {**data, "class": "x"}), "班组编号“x”无效")
    assert c.post(url, {**data, "class": 999999}).status_code == 404
    assert not StudySession.objects.exists()


def test_sessions_post_without_any_class_is_400(liaison, ent):
    response = client_for(liaison).post(
        f"/antifraud/enterprises/{ent.pk}/sessions/", {"held_on": "2026-05-14"}
    )
    assert_400(response, "请先在“三级架构”中建立班组。")
    assert not StudySession.objects.exists()


def test_sessions_bad_month_or_class_param(liaison, ent, other_station):
    one = WorkClassFactory(enterprise=ent, name="一班")
    inactive = WorkClassFactory(enterprise=ent, name="停用班", is_active=False)
    foreign = WorkClassFactory(enterprise=enterprise_for(other_station))
    c = client_for(liaison)
    url = f"/antifraud/enterprises/{ent.pk}/sessions/"
    ok = c.get(url, {"month": "2026-05", "class": one.pk})
    assert ok.status_code == 200 and "2026-05 员工覆盖率" in ok.content.decode()
    for query, message in (
        ({"month": "2026-13"}, "月份格式应为 YYYY-MM，例如 2026-05。"),
        ({"month": "May"}, "月份格式应为 YYYY-MM"),
        ({"class": "one"}, "班组编号“one”无效，请从列表中选择班组。"),
    ):
        html = assert_400(c.get(url, query), message)
        assert "员工覆盖率" not in html and "保存活动" not in html, query
    for missing in (inactive.pk, foreign.pk, 999999):
        assert c.get(url, {"class": missing}).status_code == 404


def test_scoring_invalid_post_is_400_and_unknown_pairing_404(liaison, bureau, ent):
    StandardFactory()
    one, two = WorkClassFactory(enterprise=ent), WorkClassFactory(enterprise=ent)
    c = client_for(liaison)
    url = f"/antifraud/enterprises/{ent.pk}/scoring/"
    with time_machine.travel(date(2026, 5, 15)):
        services.round_open(month=date(2026, 5, 1))
        pairing = Pairing.objects.get(evaluator=one)
        criteria = list(pairing.round.standard.criteria.all())
        data = {"pairing": pairing.pk, **{f"p{pairing.pk}-c{k.pk}": "5" for k in criteria}}
        assert_400(c.post(url, {**data, f"p{pairing.pk}-c{criteria[0].pk}": "abc"}), "输入一个数字。", ALERT)
        assert_400(c.post(url, {**data, f"p{pairing.pk}-c{criteria[0].pk}": ""}), REQUIRED)
        assert_400(c.post(url, {**data, "pairing": ""}), "未指明要评分的班组，请刷新页面后重试。")
        assert c.post(url, {**data, "pairing": 999999}).status_code == 404
        assert_400(c.post(url + "?month=2026-99", data), "月份格式应为 YYYY-MM")
        assert client_for(bureau).post(url, data).status_code == 403
        pairing.refresh_from_db()
        assert pairing.total is None and pairing.submitted_at is None and not pairing.scores.exists()
        assert two


def test_letters_invalid_post_is_400_and_writes_nothing(liaison, ent):
    c = client_for(liaison)
    url = f"/antifraud/enterprises/{ent.pk}/letters/"
    data = {"signatory": "甲", "signed_on": "2026-01-01", "valid_until": "2026-12-31"}
    assert_400(c.post(url, data), REQUIRED, ALERT)
    bad = SimpleUploadedFile("l.pdf", b"%PDF-1.4 test")
    assert_400(c.post(url, {**data, "signed_on": "2026-02-30", "file": bad}), "输入一个有效的日期。")
    assert not ResponsibilityLetter.objects.exists()


def test_cases_invalid_post_is_400_and_writes_nothing(officer, liaison):
    c = client_for(officer)
    assert_400(c.post("/antifraud/cases/", {"title": "", "fraud_type": "brushing"}), REQUIRED, ALERT)
    assert_400(c.post("/antifraud/cases/", {"title": "案例", "fraud_type": "bogus"}), "bogus")
    assert (
        client_for(liaison).post("/antifraud/cases/", {"title": "案例", "fraud_type": "brushing"}).status_code
        == 403
    )
    assert not FraudCase.objects.exists()
    case = FraudCaseFactory(title="原标题")
    assert_400(c.post(f"/antifraud/cases/{case.pk}/", {"title": "", "fraud_type": "brushing"}), REQUIRED)
    case.refresh_from_db()
    assert case.title == "原标题"


def _notice_group(station):
    """A liaison group the notices page may send to."""
    return Channel.objects.create(
        name="联络群",
        kind="wecom",
        url="https://example.invalid/hook",
        station=station,
        broadcast_only=True,
        kinds=["antifraud.notice"],
    )


def test_notices_invalid_post_is_400_and_writes_nothing(officer, station):
    group = _notice_group(station)
    c = client_for(officer)
    html = assert_400(
        c.post(
            "/antifraud/notices/",
            {"form": "notice", "n-title": "", "n-fraud_type": "brushing", "n-body": "x"},
        ),
        REQUIRED,
        ALERT,
    )
    assert 'name="n-title"' in html
    assert_400(
        c.post(
            "/antifraud/notices/",
            {
                "form": "notice",
                "n-title": "t",
                "n-fraud_type": "brushing",
                "n-body": "x",
                "n-groups": [999999],
            },
        ),
        "999999",
    )
    assert not FraudNotice.objects.exists()
    html = assert_400(
        c.post(
            "/antifraud/notices/",
            {
                "form": "group",
                "g-name": "新群",
                "g-kind": "wecom",
                "g-url": "not a url",
                "g-station": station.pk,
            },
        ),
        "请输入合法的URL。",
    )
    assert "<details open>" in html
    assert list(Channel.objects.all()) == [group]


def test_notices_post_of_unknown_or_missing_form_is_400_and_writes_nothing(officer, station):
    """A POST whose ``form`` names no form of the page is neither form: a 400 with a message, not the
    notice form's errors, and nothing sent or added even when the fields of both forms are valid."""
    group = _notice_group(station)
    valid = {
        "n-title": "警惕刷单返利",
        "n-fraud_type": "brushing",
        "n-body": "凡是刷单都是诈骗。",
        "n-groups": [group.pk],
        "g-name": "新群",
        "g-kind": "wecom",
        "g-url": "https://example.invalid/other",
        "g-station": station.pk,
    }
    c = client_for(officer)
    for which in ({"form": "bogus"}, {"form": ""}, {}):
        html = assert_400(
            c.post("/antifraud/notices/", {**valid, **which}), "无法识别提交的表单，请刷新页面后重试。"
        )
        assert REQUIRED not in html and ALERT not in html, which
    assert_400(c.post("/antifraud/notices/", {}), "无法识别提交的表单，请刷新页面后重试。")
    assert not FraudNotice.objects.exists()
    assert list(Channel.objects.all()) == [group]
    # the same fields under a known form are accepted: the 400 above came from the form name alone
    assert c.post("/antifraud/notices/", {**valid, "form": "notice"}).status_code == 302
    assert FraudNotice.objects.count() == 1


def test_victims_invalid_post_is_400_and_writes_nothing(officer, station, other_station):
    mine = EnterpriseFactory(station=station)
    theirs = EnterpriseFactory(station=other_station)
    c = client_for(officer)
    data = {
        "enterprise": mine.pk,
        "name": "张三",
        "occurred_on": "2026-05-01",
        "fraud_type": "brushing",
        "amount_lost": "100",
    }
    assert_400(c.post("/antifraud/victims/", {**data, "amount_lost": "-1"}), ALERT)
    assert_400(c.post("/antifraud/victims/", {**data, "name": ""}), REQUIRED)
    assert_400(c.post("/antifraud/victims/", {**data, "enterprise": theirs.pk}), "选择一个有效的选项")
    assert not Victim.objects.exists()


def test_standards_invalid_post_is_400_and_readers_may_not_post(bureau, liaison):
    StandardFactory(version=1, effective_from=date(2026, 1, 1))
    data = {
        "name": "",
        "effective_from": "2027-02",
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "1",
        "c-MAX_NUM_FORMS": "20",
        "c-0-name": "学习",
        "c-0-weight": "60",
        "c-0-max_score": "10",
    }
    assert_400(client_for(bureau).post("/antifraud/standards/", data), REQUIRED, ALERT)
    assert client_for(liaison).post("/antifraud/standards/", {**data, "name": "x"}).status_code == 403
    assert ScoringStandard.objects.count() == 1
