from datetime import date

import pytest

from antifraud import selectors, services
from antifraud.models import Pairing
from tests.errors import error_fields

from .factories import EnterpriseFactory, PairingFactory, StandardFactory, WorkClassFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/antifraud/evaluations/"


@pytest.fixture
def setup(ent):
    standard = StandardFactory()
    classes = [WorkClassFactory(enterprise=ent, name=n) for n in ("一车间", "二车间", "三车间")]
    evaluation_round, _ = services.round_open(month=date(2026, 5, 1))
    criteria = list(standard.criteria.all())
    return evaluation_round, classes, criteria


def _payload(pairing, criteria, values=None, month="2026-05"):
    values = values or [c.max_score for c in criteria]
    return {
        "month": month,
        "evaluator": pairing.evaluator_id,
        "evaluated": pairing.evaluated_id,
        "scores": [{"criterion": c.pk, "score": str(v)} for c, v in zip(criteria, values, strict=True)],
    }


def test_liaison_scores_assigned_class_and_ranking_updates(api_as, liaison, setup):
    evaluation_round, classes, criteria = setup
    pairing = Pairing.objects.filter(round=evaluation_round).first()
    values = [8, 5, 5]  # 40·0.8 + 30·0.5 + 30·1 = 77 of 100
    response = api_as(liaison).post(URL, _payload(pairing, criteria, values), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["total"] == 77.0
    ranking = api_as(liaison).get(URL + "ranking/?month=2026-05").json()
    assert ranking["classes"][0]["class"] == pairing.evaluated_id and ranking["classes"][0]["score"] == 77.0
    assert ranking["enterprises"][0]["score"] == 77.0
    # re-submitting overwrites
    response = api_as(liaison).post(URL, _payload(pairing, criteria), format="json")
    assert response.json()["total"] == 100.0
    assert selectors.class_ranking(user=liaison, month=date(2026, 5, 1))[0]["score"] == 100.0


def test_a_class_scoring_itself_is_400(api_as, liaison, setup):
    _, classes, criteria = setup
    payload = {
        "month": "2026-05",
        "evaluator": classes[0].pk,
        "evaluated": classes[0].pk,
        "scores": [{"criterion": c.pk, "score": "1"} for c in criteria],
    }
    response = api_as(liaison).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "evaluated" in error_fields(response)


def test_score_above_max_is_400_and_nothing_written(api_as, liaison, setup):
    evaluation_round, _, criteria = setup
    pairing = Pairing.objects.filter(round=evaluation_round).first()
    values = [c.max_score for c in criteria]
    values[2] = criteria[2].max_score + 1
    response = api_as(liaison).post(URL, _payload(pairing, criteria, values), format="json")
    assert response.status_code == 400
    assert "scores" in error_fields(response) and "0 到 5" in error_fields(response)["scores"][0]
    pairing.refresh_from_db()
    assert pairing.total is None and not pairing.scores.exists()


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_negative_or_non_numeric_score_is_400(api_as, liaison, setup, value):
    evaluation_round, _, criteria = setup
    pairing = Pairing.objects.filter(round=evaluation_round).first()
    payload = _payload(pairing, criteria)
    payload["scores"][0]["score"] = value
    assert api_as(liaison).post(URL, payload, format="json").status_code == 400


def test_missing_criterion_and_unpaired_class_are_400(api_as, liaison, setup):
    evaluation_round, classes, criteria = setup
    pairing = Pairing.objects.filter(round=evaluation_round).first()
    payload = _payload(pairing, criteria)
    payload["scores"] = payload["scores"][:1]
    assert api_as(liaison).post(URL, payload, format="json").status_code == 400
    wrong = next(c for c in classes if c.pk not in (pairing.evaluator_id, pairing.evaluated_id))
    payload = _payload(pairing, criteria)
    payload["evaluated"] = wrong.pk
    response = api_as(liaison).post(URL, payload, format="json")
    assert response.status_code == 400 and "evaluated" in error_fields(response)


def test_round_not_open_is_400_and_closed_is_409(api_as, liaison, bureau, setup):
    evaluation_round, _, criteria = setup
    pairing = Pairing.objects.filter(round=evaluation_round).first()
    assert (
        api_as(liaison).post(URL, _payload(pairing, criteria, month="2026-07"), format="json").status_code
        == 400
    )
    response = api_as(bureau).post(f"/api/v1/antifraud/rounds/{evaluation_round.pk}/close/")
    assert response.status_code == 200 and response.json()["closed_at"]
    assert api_as(bureau).post(f"/api/v1/antifraud/rounds/{evaluation_round.pk}/close/").status_code == 409
    assert api_as(liaison).post(URL, _payload(pairing, criteria), format="json").status_code == 409


def test_liaison_cannot_score_for_another_enterprise(api_as, liaison, setup, station):
    other = PairingFactory(
        round=setup[0], evaluator=WorkClassFactory(enterprise=EnterpriseFactory(station=station))
    )
    response = api_as(liaison).post(URL, _payload(other, setup[2]), format="json")
    assert response.status_code == 400 and "evaluator" in error_fields(response)  # not in their scope
    assert api_as(liaison).get(f"{URL}{other.pk}/").status_code == 404


def test_trend_and_enterprise_ranking_month_over_month(liaison, ent, station):
    standard = StandardFactory()
    criteria = list(standard.criteria.all())
    a, b = WorkClassFactory(enterprise=ent), WorkClassFactory(enterprise=ent)
    for month, value in ((date(2026, 4, 1), 5), (date(2026, 5, 1), 10)):
        evaluation_round, _ = services.round_open(month=month)
        for pairing in Pairing.objects.filter(round=evaluation_round):
            services.evaluation_submit(
                actor=liaison,
                month=month,
                evaluator=pairing.evaluator,
                evaluated=pairing.evaluated,
                scores={c.pk: min(value, c.max_score) for c in criteria},
            )
    trend = selectors.evaluation_trend(user=liaison, end_month=date(2026, 5, 1), months=2)
    assert [t["score"] for t in trend] == [65.0, 100.0] and trend[1]["change"] == 35.0
    row = selectors.enterprise_ranking(user=liaison, month=date(2026, 5, 1))[0]
    assert row["score"] == 100.0 and row["previous_score"] == 65.0 and row["rank"] == 1
    # pages and workbooks show the station's name; the API row keeps its code
    assert row["station_name"] == station.name and row["station"] == station.code
    assert {a.pk, b.pk} == {r["class"] for r in selectors.class_ranking(user=liaison, month=date(2026, 5, 1))}


def test_unknown_and_foreign_evaluated_class_give_the_same_400(api_as, liaison, setup, other_station):
    from tests.factories import enterprise_for

    evaluation_round, classes, criteria = setup
    pairing = Pairing.objects.filter(round=evaluation_round).first()
    foreign = WorkClassFactory(enterprise=enterprise_for(other_station))
    answers = []
    for target in (foreign.pk, 987654321):
        payload = _payload(pairing, criteria)
        payload["evaluated"] = target
        response = api_as(liaison).post(URL, payload, format="json")
        assert response.status_code == 400
        answers.append(response.json())
    assert answers[0] == answers[1]
