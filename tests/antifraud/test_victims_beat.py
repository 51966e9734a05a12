from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from antifraud import services
from antifraud.models import EvaluationRound, Pairing
from incidents.models import Incident
from qianwan.notify.models import InboxItem, Notification
from qianwan.org.choices import Role

from .factories import EnterpriseFactory, StandardFactory, VictimFactory, WorkClassFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_victim_kpis_yoy_above_size_and_per_thousand(api_as, officer, station):
    big = EnterpriseFactory(station=station, name="大厂", is_above_size=True, employee_count=2000)
    small = EnterpriseFactory(station=station, name="小厂", is_above_size=False, employee_count=100)
    for _ in range(10):
        VictimFactory(enterprise=big, occurred_on=date(2025, 3, 1))
    for _ in range(5):
        VictimFactory(enterprise=big, occurred_on=date(2026, 3, 1))
    VictimFactory(enterprise=small, occurred_on=date(2026, 2, 1))
    response = api_as(officer).get("/api/v1/antifraud/victims/kpis/?from=2026-01-01&to=2026-05-31")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["victims"]["now"] == 6 and data["victims"]["before"] == 10
    above = data["above_size"]
    assert (above["now"], above["before"], above["change"]) == (5, 10, -0.5)
    assert above["per_1000"] == 2.5 and above["significant"] is False
    assert data["rest"]["now"] == 1 and data["rest"]["change"] is None  # base below 5: counts only
    ranking = {row["name"]: row for row in data["enterprises"]}
    assert ranking["大厂"]["per_1000"] == 2.5 and ranking["小厂"]["per_1000"] == 10.0
    assert ranking["大厂"]["rank"] == 1 and ranking["小厂"]["rank"] == 2


def test_victim_kpis_other_station_is_403_and_bad_dates_400(api_as, officer):
    assert (
        api_as(officer)
        .get("/api/v1/antifraud/victims/kpis/?from=2026-01-01&to=2026-05-31&station=CSS")
        .status_code
        == 403
    )
    assert (
        api_as(officer).get("/api/v1/antifraud/victims/kpis/?from=2026-05-01&to=2026-01-01").status_code
        == 400
    )
    assert api_as(officer).get("/api/v1/antifraud/victims/kpis/").status_code == 400


def test_victim_from_fraud_incident(api_as, officer, station, other_station):
    ent = EnterpriseFactory(station=station)
    received = datetime(2026, 4, 1, 10, tzinfo=TZ)
    fraud = Incident.objects.create(number="F1", station=station, category="fraud", received_at=received)
    dispute = Incident.objects.create(number="D1", station=station, category="dispute", received_at=received)
    base = {
        "enterprise": ent.pk,
        "name": "张三",
        "occurred_on": "2026-03-30",
        "fraud_type": "investment",
        "amount_lost": "52000.00",
    }
    client = api_as(officer)
    response = client.post("/api/v1/antifraud/victims/", {**base, "incident": fraud.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "incident"
    assert (
        client.post("/api/v1/antifraud/victims/", {**base, "incident": fraud.pk}, format="json").status_code
        == 400
    )
    assert (
        client.post("/api/v1/antifraud/victims/", {**base, "incident": dispute.pk}, format="json").status_code
        == 400
    )
    assert (
        client.post("/api/v1/antifraud/victims/", {**base, "amount_lost": "-1"}, format="json").status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/antifraud/victims/", {**base, "occurred_on": "2099-01-01"}, format="json"
        ).status_code
        == 400
    )


def test_beat_opens_round_once_and_reminds_each_evaluator_once(make_user, station):
    StandardFactory()
    ent = EnterpriseFactory(station=station)
    liaison = make_user(Role.LIAISON, username="l1", enterprise=ent)
    classes = [WorkClassFactory(enterprise=ent) for _ in range(3)]
    with time_machine.travel(datetime(2026, 6, 1, 0, 30, tzinfo=TZ)):  # still 31 May in UTC
        result = services.rounds_sweep()
        assert result["opened"] and result["round"] == "2026-06" and result["reminded"] == 0
        assert services.rounds_sweep()["opened"] is False
    assert EvaluationRound.objects.count() == 1
    evaluation_round = EvaluationRound.objects.get()
    assert evaluation_round.remind_on == date(2026, 6, 20)
    done = Pairing.objects.filter(round=evaluation_round).first()
    services.evaluation_submit(
        actor=liaison,
        month=evaluation_round.month,
        evaluator=done.evaluator,
        evaluated=done.evaluated,
        scores={c.pk: 1 for c in evaluation_round.standard.criteria.all()},
    )
    with time_machine.travel(datetime(2026, 6, 19, 12, tzinfo=TZ)):
        assert services.rounds_sweep()["reminded"] == 0
    with time_machine.travel(datetime(2026, 6, 20, 9, tzinfo=TZ)):
        assert services.rounds_sweep()["reminded"] == 2
        assert services.rounds_sweep()["reminded"] == 0
    keys = set(Notification.objects.filter(kind="antifraud.evaluation_remind").values_list("key", flat=True))
    assert len(keys) == 2 and f"antifraud:pairing:{done.pk}:remind" not in keys
    assert InboxItem.objects.filter(recipient=liaison).count() == 2
    assert len(classes) == 3


def test_remind_day_is_configurable(settings, station):
    settings.ANTIFRAUD_SCORING_REMIND_DAY = 10
    StandardFactory()
    evaluation_round, _ = services.round_open(month=date(2026, 7, 1))
    assert evaluation_round.remind_on == date(2026, 7, 10)


def test_victims_yoy_overlapping_periods_and_amount(officer, station):
    """A period longer than a year overlaps the year before it: a victim in both windows counts in
    both; the amount is the current period's only."""
    from decimal import Decimal

    from antifraud import selectors

    big = EnterpriseFactory(station=station, name="大厂", is_above_size=True, employee_count=1000)
    small = EnterpriseFactory(station=station, name="小厂", is_above_size=False, employee_count=100)
    VictimFactory(enterprise=big, occurred_on=date(2024, 6, 1), amount_lost=Decimal(100))  # before only
    VictimFactory(enterprise=big, occurred_on=date(2025, 6, 1), amount_lost=Decimal(200))  # both
    VictimFactory(enterprise=small, occurred_on=date(2026, 6, 1), amount_lost=Decimal(400))  # now only
    VictimFactory(enterprise=small, occurred_on=date(2023, 12, 31), amount_lost=Decimal(800))  # neither
    result = selectors.victims_yoy(user=officer, date_from=date(2025, 1, 1), date_to=date(2026, 12, 31))
    assert (result["victims"]["now"], result["victims"]["before"]) == (2, 2)
    assert (result["above_size"]["now"], result["above_size"]["before"]) == (1, 2)
    assert (result["rest"]["now"], result["rest"]["before"]) == (1, 0)
    assert result["amount_lost"] == 600.0
    assert result["above_size"]["per_1000"] == 1.0 and result["rest"]["per_1000"] == 10.0
    empty = selectors.victims_yoy(user=officer, date_from=date(2030, 1, 1), date_to=date(2030, 1, 31))
    assert empty["amount_lost"] == 0.0 and empty["victims"]["now"] == 0
