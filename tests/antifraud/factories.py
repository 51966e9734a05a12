"""Factories for the anti-fraud app."""

from datetime import date
from decimal import Decimal

import factory

from antifraud.models import (
    Criterion,
    Employee,
    EvaluationRound,
    FraudCase,
    Pairing,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)
from enterprises.models import Enterprise
from qianwan.validators import uscc_check_char
from tests.factories import StationFactory


def _uscc(n):
    first17 = f"91330282{n:09d}"
    return first17 + uscc_check_char(first17)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}")
    credit_code = factory.Sequence(lambda n: _uscc(500000 + n))
    station = factory.SubFactory(StationFactory)
    is_above_size = True
    employee_count = 200


class WorkClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkClass

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"班组{n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    work_class = factory.SubFactory(WorkClassFactory)
    enterprise = factory.LazyAttribute(lambda o: o.work_class.enterprise)
    number = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class FraudCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FraudCase

    title = factory.Sequence(lambda n: f"刷单返利案例{n}")
    fraud_type = "brushing"
    lesson = "凡是刷单都是诈骗"


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringStandard
        skip_postgeneration_save = True

    name = "班组互评标准"
    version = factory.Sequence(lambda n: n + 1)
    effective_from = date(2020, 1, 1)

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):
        if not create:
            return
        items = extracted or [("学习开展", 40, 10), ("案例掌握", 30, 10), ("宣传氛围", 30, 5)]
        for order, (name, weight, max_score) in enumerate(items, start=1):
            Criterion.objects.create(
                standard=obj, order=order, name=name, weight=Decimal(weight), max_score=Decimal(max_score)
            )


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationRound
        django_get_or_create = ("month",)

    month = date(2026, 5, 1)
    standard = factory.SubFactory(StandardFactory)
    remind_on = factory.LazyAttribute(lambda o: o.month.replace(day=20))


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    round = factory.SubFactory(RoundFactory)
    evaluator = factory.SubFactory(WorkClassFactory)
    evaluated = factory.SubFactory(
        WorkClassFactory, enterprise=factory.SelfAttribute("..evaluator.enterprise")
    )


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudySession

    work_class = factory.SubFactory(WorkClassFactory)
    enterprise = factory.LazyAttribute(lambda o: o.work_class.enterprise)
    held_on = date(2026, 5, 6)
    kind = "class_study"


class VictimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Victim

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"受害人{n}")
    occurred_on = date(2026, 3, 1)
    fraud_type = "brushing"
    amount_lost = Decimal("1000")
