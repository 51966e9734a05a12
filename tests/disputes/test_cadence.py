"""The follow-up cadence: the daily sweep, one step at a time with frozen time, across a month boundary."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes import selectors, services
from disputes.selectors import expected_by
from disputes.tasks import followup_sweep
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role
from tests.disputes.factories import handled_dispute, local

pytestmark = pytest.mark.django_db

BEHIND = "disputes.followup_behind"
SHORT = "disputes.followup_month_short"


def sweep_at(*args):
    with time_machine.travel(local(*args), tick=False):
        return followup_sweep.delay().get()


def followup(dispute, actor, *args):
    with time_machine.travel(local(*args), tick=False):
        return services.followup_record(actor=actor, dispute=dispute, outcome="stable", note="回访")


def test_expected_pace():
    assert [expected_by(d, 30, 2) for d in (1, 10, 14, 15, 16, 27, 28, 30)] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert expected_by(31, 31, 2) == 2 and expected_by(16, 31, 2) == 1 and expected_by(7, 28, 3) == 0


@pytest.fixture
def case(officer, leader):
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        dispute = handled_dispute(officer.station, officer)
    return dispute


def test_sweep_reminds_officer_once_a_day_and_leader_at_month_end(case, officer, leader, make_user):
    dispute = case
    assert sweep_at(2026, 6, 10, 9, 0)["reminded"] == 0  # on pace: nothing expected yet
    assert sweep_at(2026, 6, 16, 7, 0)["reminded"] == 0  # before 08:00 local: quiet
    assert sweep_at(2026, 6, 16, 9, 0)["reminded"] == 1
    assert sweep_at(2026, 6, 16, 15, 0)["reminded"] == 0  # same day again: at most once a day
    note = Notification.objects.get(kind=BEHIND)
    assert note.key == f"{BEHIND}:{dispute.pk}:2026-06-16"
    assert list(InboxItem.objects.filter(notification=note).values_list("recipient", flat=True)) == [
        officer.pk
    ]
    assert sweep_at(2026, 6, 17, 9, 0)["reminded"] == 1  # a new day: reminded again
    followup(dispute, officer, 2026, 6, 17, 10, 0)
    assert sweep_at(2026, 6, 18, 9, 0)["reminded"] == 0  # one visit by mid-month is on pace
    assert sweep_at(2026, 6, 28, 9, 0)["reminded"] == 1  # last days: the second visit is due
    # 30 June 23:30 local and 1 July 00:30 local are both 30 June in UTC: the month is local
    followup(dispute, officer, 2026, 7, 1, 0, 30)
    with time_machine.travel(local(2026, 6, 30, 23, 0), tick=False):
        assert [d.pk for d in selectors.followups_due(user=officer)] == [dispute.pk]
    # month end: June closed with 1 of 2 visits → one report to the station leader, once
    result = sweep_at(2026, 7, 1, 9, 0)
    assert result == {"reminded": 0, "reports": 1, "reviews": 0}
    assert sweep_at(2026, 7, 2, 9, 0)["reports"] == 0
    report = Notification.objects.get(kind=SHORT)
    assert report.key == f"{SHORT}:{dispute.station_id}:2026-06"
    assert dispute.number in report.body and "1/2" in report.body
    assert list(InboxItem.objects.filter(notification=report).values_list("recipient", flat=True)) == [
        leader.pk
    ]
    # in July the visit of 1 July 00:30 counts
    with time_machine.travel(local(2026, 7, 10, 9, 0), tick=False):
        due = list(selectors.followups_due(user=officer))
        assert due[0].month_followups == 1


def test_met_month_sends_no_report(case, officer, leader):
    followup(case, officer, 2026, 6, 8, 10, 0)
    followup(case, officer, 2026, 6, 30, 23, 30)
    assert sweep_at(2026, 6, 30, 9, 0)["reminded"] == 0
    assert sweep_at(2026, 7, 1, 9, 0)["reports"] == 0
    with time_machine.travel(local(2026, 6, 30, 23, 45), tick=False):
        assert not selectors.followups_due(user=officer).exists()
    with time_machine.travel(local(2026, 7, 1, 0, 15), tick=False):
        assert selectors.followups_due(user=officer).get() == case


def test_cadence_window_and_close(officer, settings):
    settings.DISPUTES_FOLLOWUP_MONTHS = 2
    with time_machine.travel(local(2026, 6, 20, 10, 0), tick=False):
        dispute = handled_dispute(officer.station, officer)
    assert str(dispute.followup_until) == "2026-08-01"
    with time_machine.travel(local(2026, 7, 20, 10, 0), tick=False):
        assert selectors.followups_due(user=officer).filter(pk=dispute.pk).exists()
    with time_machine.travel(local(2026, 8, 2, 10, 0), tick=False):
        assert not selectors.followups_due(user=officer).exists()
        # no reminder (August is past the window), but July was in it and ended short: one report
        assert followup_sweep.delay().get() == {"reminded": 0, "reports": 1, "reviews": 0}
    settings.DISPUTES_FOLLOWUP_MONTHS = 0  # until closed
    with time_machine.travel(local(2026, 9, 1, 10, 0), tick=False):
        other = handled_dispute(officer.station, officer)
        assert other.followup_until is None
    with time_machine.travel(local(2027, 3, 1, 10, 0), tick=False):
        assert selectors.followups_due(user=officer).filter(pk=other.pk).exists()
        for _visit in range(2):
            services.followup_record(actor=officer, dispute=other, outcome="stable")
        services.dispute_close(actor=officer, dispute=other)
        assert not selectors.followups_due(user=officer).filter(pk=other.pk).exists()


def test_required_count_is_configurable(case, officer, settings):
    settings.DISPUTES_FOLLOWUPS_PER_MONTH = 3
    followup(case, officer, 2026, 6, 6, 10, 0)
    followup(case, officer, 2026, 6, 7, 10, 0)
    with time_machine.travel(local(2026, 6, 8, 10, 0), tick=False):
        assert selectors.followups_due(user=officer).get().month_followups == 2
        settings.DISPUTES_FOLLOWUPS_PER_MONTH = 2
        assert not selectors.followups_due(user=officer).exists()


def test_reminder_goes_to_block_officer_or_leaders(officer, leader, make_user):
    from tests.disputes.factories import make_block

    community = make_user(Role.OFFICER, username="community")
    make_block(officer.station, officer=community)
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        in_block = handled_dispute(officer.station, leader)  # block officer responsible
        nobody = handled_dispute(officer.station, leader, lat=30.4, lon=121.4)  # no block, leader created
    assert in_block.officer == community and nobody.officer is None
    sweep_at(2026, 6, 20, 9, 0)
    recipients = dict(
        InboxItem.objects.filter(notification__kind=BEHIND).values_list("notification__key", "recipient")
    )
    assert recipients[f"{BEHIND}:{in_block.pk}:2026-06-20"] == community.pk
    assert recipients[f"{BEHIND}:{nobody.pk}:2026-06-20"] == leader.pk


def sweep_queries(*args):
    """The sweep at a local time, called directly; its result and the SQL of its queries in three
    groups: reads of users, the notifications' own (notify tables and their savepoints), the rest."""
    with CaptureQueriesContext(connection) as ctx:
        result = services.followup_reminders_send(now=local(*args))
    sql = [q["sql"] for q in ctx.captured_queries]
    users = [q for q in sql if 'FROM "org_user"' in q]
    notify = [q for q in sql if '"notify_' in q or q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    rest = [q for q in sql if q not in users and q not in notify]
    return result, users, notify, rest


def test_sweep_reads_a_stations_leaders_once_however_many_disputes(officer, leader, make_user):
    """Disputes without an officer are put before the station's leaders: the sweep reads the leaders
    once per station, so only the notifications (the same writes for each dispute) grow with them."""
    deputy = make_user(Role.STATION_LEADER, username="deputy")

    def behind(n):  # created by a leader, outside any block: no responsible officer
        with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
            return [handled_dispute(officer.station, leader, lat=30.4, lon=121.4) for _ in range(n)]

    disputes = behind(2)
    result2, users2, notify2, rest2 = sweep_queries(2026, 6, 16, 9, 0)
    disputes += behind(3)
    result5, users5, notify5, rest5 = sweep_queries(2026, 6, 17, 9, 0)  # a new day: all five again
    assert all(d.officer_id is None for d in disputes)
    assert result2["reminded"] == 2 and result5["reminded"] == 5
    assert len(users2) == len(users5) == 1  # the station's leaders, once
    assert len(rest2) == len(rest5)  # the disputes and the case files: one read each
    per_dispute = len(notify2) // 2
    assert per_dispute > 0 and len(notify2) == 2 * per_dispute and len(notify5) == 5 * per_dispute
    for dispute in disputes:
        reached = InboxItem.objects.filter(notification__key=f"{BEHIND}:{dispute.pk}:2026-06-17")
        assert set(reached.values_list("recipient", flat=True)) == {leader.pk, deputy.pk}


def test_sweep_falls_back_to_bureau_leaders_read_once_per_station(officer, leader, bureau, other_station):
    """A station without leaders: its disputes go to the bureau's leaders, also read once per station."""
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        here = [handled_dispute(officer.station, leader, lat=30.4, lon=121.4) for _ in range(2)]
        there = [handled_dispute(other_station, bureau, lat=30.4, lon=121.4) for _ in range(3)]
    result, users, _notify, _rest = sweep_queries(2026, 6, 16, 9, 0)
    assert result["reminded"] == 5
    # this station's leaders; the other station's (none) and then the bureau's
    assert len(users) == 3
    recipients = dict(
        InboxItem.objects.filter(notification__kind=BEHIND).values_list("notification__key", "recipient")
    )
    assert {recipients[f"{BEHIND}:{d.pk}:2026-06-16"] for d in here} == {leader.pk}
    assert {recipients[f"{BEHIND}:{d.pk}:2026-06-16"] for d in there} == {bureau.pk}


def test_followups_on_time_selector(officer):
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        a = handled_dispute(officer.station, officer)
        handled_dispute(officer.station, officer)
    followup(a, officer, 2026, 6, 6, 10, 0)
    followup(a, officer, 2026, 6, 26, 10, 0)
    result = selectors.followups_on_time(user=officer, year=2026, month=6)
    assert (result["successes"], result["n"], result["rate"]) == (1, 2, 0.5)
    assert result["shown"] is False  # below 5: counts only
    assert selectors.followups_on_time(user=officer, year=2026, month=5)["n"] == 0


def test_month_count_only_counts_the_month(officer):
    """The due list's and the on-time rate's per-dispute count: the month's follow-ups only, zero
    when there are none (not NULL), and the met/n split at the required number."""
    with time_machine.travel(local(2026, 6, 5, 10, 0), tick=False):
        a = handled_dispute(officer.station, officer)
        b = handled_dispute(officer.station, officer)
        c = handled_dispute(officer.station, officer)
    followup(a, officer, 2026, 6, 6, 10, 0)
    followup(a, officer, 2026, 6, 30, 23, 0)  # local 30 June: still June
    followup(a, officer, 2026, 7, 1, 0, 30)  # local 1 July: not June
    followup(b, officer, 2026, 6, 10, 10, 0)
    for _ in range(3):
        followup(c, officer, 2026, 6, 12, 10, 0)
    result = selectors.followups_on_time(user=officer, year=2026, month=6)
    assert (result["successes"], result["n"]) == (2, 3)
    with time_machine.travel(local(2026, 6, 29, 10, 0), tick=False):
        due = list(selectors.followups_due(user=officer))
    assert [(d.pk, d.month_followups) for d in due] == [(b.pk, 1)]


def test_casefile_review_reminder_once_per_date(leader, officer):
    with time_machine.travel(local(2026, 6, 1, 10, 0), tick=False):
        case_file = services.casefile_save(
            actor=leader, station=leader.station, category="labour", title="欠薪档案", review_every_days=10
        )
    assert str(case_file.next_review_on) == "2026-06-11"
    assert sweep_at(2026, 6, 10, 9, 0)["reviews"] == 0
    assert sweep_at(2026, 6, 11, 9, 0)["reviews"] == 1
    assert sweep_at(2026, 6, 12, 9, 0)["reviews"] == 0
    note = Notification.objects.get(kind="disputes.casefile_review")
    assert list(note.inbox_items.values_list("recipient", flat=True)) == [leader.pk]
    with time_machine.travel(local(2026, 6, 12, 10, 0), tick=False):
        services.casefile_review(actor=officer, case_file=case_file)
    assert sweep_at(2026, 6, 22, 9, 0)["reviews"] == 1  # the next review date
