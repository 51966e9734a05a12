from datetime import date

import pytest

from antifraud import services
from antifraud.models import EvaluationRound, Pairing
from antifraud.pairing import best_cycle, plan_pairings

from .factories import EnterpriseFactory, StandardFactory, WorkClassFactory


def _check(pairs, ids):
    evaluators = [a for a, _ in pairs]
    evaluated = [b for _, b in pairs]
    assert all(a != b for a, b in pairs)
    assert sorted(evaluators) == sorted(ids) and sorted(evaluated) == sorted(ids)


def test_cycle_never_self_and_avoids_last_month():
    items = [1, 2, 3, 4]
    first = best_cycle(items, set())
    _check(first, items)
    second = best_cycle(items, set(first))
    _check(second, items)
    assert not set(first) & set(second)


def test_two_classes_must_repeat():
    first = best_cycle([1, 2], set())
    assert best_cycle([1, 2], set(first)) == first == [(1, 2), (2, 1)]


def test_single_class_enterprises_pair_across_station():
    classes = [(10, "A", "S1"), (20, "B", "S1"), (30, "C", "S1"), (40, "D", "S2"), (41, "D", "S2")]
    pairs, unpaired = plan_pairings(classes, set())
    assert not unpaired
    cross = [(a, b) for a, b in pairs if a in (10, 20, 30)]
    _check(cross, [10, 20, 30])
    assert {(40, 41), (41, 40)} <= set(pairs)


def test_lone_single_class_joins_largest_enterprise_of_its_station():
    classes = [(1, "A", "S1"), (2, "A", "S1"), (3, "A", "S1"), (9, "L", "S1"), (7, "X", "S2")]
    pairs, unpaired = plan_pairings(classes, set())
    assert unpaired == [7]  # alone in its station
    _check(pairs, [1, 2, 3, 9])


@pytest.mark.django_db
def test_round_open_is_idempotent_and_pairs_within_enterprise(station):
    StandardFactory()
    enterprise = EnterpriseFactory(station=station)
    classes = [WorkClassFactory(enterprise=enterprise) for _ in range(3)]
    april, created = services.round_open(month=date(2026, 4, 1))
    assert created
    again, created_again = services.round_open(month=date(2026, 4, 9))
    assert again == april and not created_again
    assert EvaluationRound.objects.count() == 1
    april_pairs = set(Pairing.objects.filter(round=april).values_list("evaluator_id", "evaluated_id"))
    _check(list(april_pairs), [c.pk for c in classes])
    may, _ = services.round_open(month=date(2026, 5, 1))
    may_pairs = set(Pairing.objects.filter(round=may).values_list("evaluator_id", "evaluated_id"))
    _check(list(may_pairs), [c.pk for c in classes])
    assert not april_pairs & may_pairs  # not the same partner as last month


@pytest.mark.django_db
def test_round_open_pairs_single_class_enterprises_across_the_station(station, other_station):
    StandardFactory()
    singles = [WorkClassFactory(enterprise=EnterpriseFactory(station=station)) for _ in range(2)]
    elsewhere = WorkClassFactory(enterprise=EnterpriseFactory(station=other_station))
    evaluation_round, _ = services.round_open(month=date(2026, 4, 1))
    pairs = list(Pairing.objects.filter(round=evaluation_round).select_related("evaluator", "evaluated"))
    assert {(p.evaluator_id, p.evaluated_id) for p in pairs} == {
        (singles[0].pk, singles[1].pk),
        (singles[1].pk, singles[0].pk),
    }
    assert all(p.evaluator.enterprise_id != p.evaluated.enterprise_id for p in pairs)
    assert elsewhere.pk not in {p.evaluator_id for p in pairs}


@pytest.mark.django_db
def test_no_standard_no_round():
    assert services.round_open(month=date(2026, 4, 1)) == (None, False)
