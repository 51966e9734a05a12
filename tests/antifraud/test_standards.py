from datetime import date

import pytest

from antifraud import services
from antifraud.models import EvaluationRound, ScoringStandard
from tests.errors import error_fields

from .factories import StandardFactory, WorkClassFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/antifraud/standards/"


def test_new_version_applies_from_its_month_and_old_rounds_keep_theirs(api_as, bureau, ent):
    old = StandardFactory(version=1, effective_from=date(2026, 1, 1))
    WorkClassFactory(enterprise=ent), WorkClassFactory(enterprise=ent)
    may, _ = services.round_open(month=date(2026, 5, 1))
    payload = {
        "name": "2026下半年标准",
        "effective_from": "2026-07-01",
        "criteria": [
            {"name": "学习开展", "weight": "50", "max_score": "20"},
            {"name": "APP注册", "weight": "50", "max_score": "10", "description": "安装注册率"},
        ],
    }
    response = api_as(bureau).post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2 and len(response.json()["criteria"]) == 2
    july, _ = services.round_open(month=date(2026, 7, 1))
    june, _ = services.round_open(month=date(2026, 6, 1))
    assert may.standard == old and june.standard == old
    assert july.standard == ScoringStandard.objects.get(version=2)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"criteria": []}, "criteria"),
        ({"criteria": [{"name": "x", "weight": "0", "max_score": "10"}]}, "criteria"),
        ({"criteria": [{"name": "x", "weight": "5", "max_score": "-1"}]}, "criteria"),
        ({"effective_from": "2026-05-01"}, "effective_from"),  # a round is already open from May
    ],
)
def test_bad_standard_is_400(api_as, bureau, change, field):
    StandardFactory(version=1, effective_from=date(2026, 1, 1))
    EvaluationRound.objects.create(
        month=date(2026, 5, 1), standard=ScoringStandard.objects.get(), remind_on=date(2026, 5, 20)
    )
    payload = {
        "name": "x",
        "effective_from": "2026-09-01",
        "criteria": [{"name": "x", "weight": "5", "max_score": "10"}],
        **change,
    }
    response = api_as(bureau).post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response)
    assert ScoringStandard.objects.count() == 1


def test_round_open_endpoint(api_as, bureau):
    assert (
        api_as(bureau).post("/api/v1/antifraud/rounds/open/", {"month": "2026-05"}, format="json").status_code
        == 400
    )
    StandardFactory()
    response = api_as(bureau).post("/api/v1/antifraud/rounds/open/", {"month": "2026-05"}, format="json")
    assert response.status_code == 201 and response.json()["month"] == "2026-05"
    again = api_as(bureau).post("/api/v1/antifraud/rounds/open/", {"month": "2026-05"}, format="json")
    assert again.status_code == 200
    assert (
        api_as(bureau).post("/api/v1/antifraud/rounds/open/", {"month": "2026-13"}, format="json").status_code
        == 400
    )


@pytest.mark.django_db(transaction=True)
def test_two_leaders_publishing_at_once_the_second_gets_a_400_not_a_500(api_as, bureau):
    """The other leader's version is inserted but not yet committed while this one is computed: this
    insert waits on the unique version, then fails; the answer is a clear 400 and nothing is written."""
    import threading

    from django.db import connection, transaction

    holding, release = threading.Event(), threading.Event()

    def other_leader():
        try:
            with transaction.atomic():
                StandardFactory(version=1, effective_from=date(2026, 8, 1))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_leader)
    thread.start()
    assert holding.wait(10)
    threading.Timer(0.5, release.set).start()  # commit while this request waits on the unique index
    payload = {
        "name": "新标准",
        "effective_from": "2026-09-01",
        "criteria": [{"name": "学习", "weight": "1", "max_score": "10"}],
    }
    response = api_as(bureau).post(URL, payload, format="json")
    thread.join(10)
    assert response.status_code == 400, response.content
    assert "effective_from" in error_fields(response)
    assert list(ScoringStandard.objects.values_list("version", flat=True)) == [1]
