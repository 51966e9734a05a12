import pytest


@pytest.fixture(autouse=True)
def _grid_partner(request):
    """The grid partner comes from a data migration; a transactional test's flush (e2e, integration)
    removes it from a reused database, so the disputes tests (which push to the grid) make sure of it."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from qianwan.exchange.models import Partner

    Partner.objects.get_or_create(code="grid", defaults={"name": "基层治理四平台（网格）"})
