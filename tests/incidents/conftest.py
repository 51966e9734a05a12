import pytest


@pytest.fixture(autouse=True)
def _reference_rows(request):
    """Rows the migrations seed (hotline partners, the default SLA policy) are flushed by transactional
    tests elsewhere in the run; put them back for every incidents test that uses the database."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    from incidents.models import SlaPolicy
    from qianwan.exchange.models import Partner

    Partner.objects.get_or_create(
        code="12345", defaults={"name": "12345 政务服务便民热线", "is_hotline": True}
    )
    Partner.objects.get_or_create(
        code="grid", defaults={"name": "基层治理四平台（网格）", "is_hotline": False}
    )
    SlaPolicy.objects.get_or_create(category="")


@pytest.fixture(autouse=True)
def _diversion_catalogue(request, _reference_rows):
    """The seeded diversion catalogue (a data migration) is flushed by transactional tests too."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    from django.apps import apps

    from incidents.catalogue_seed import seed

    seed(apps)
